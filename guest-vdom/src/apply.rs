//! Applying patches to a tree, as the JS client applies them to the DOM.
//! The property tests check `apply(old, diff(old, new)) == new`; the rules
//! here are the client's rules: HTML in a patch is parsed in the context of
//! the element it goes into, and must make exactly one node.

use crate::diff::Patch;
use crate::parser::parse_in;
use crate::tree::{Namespace, Node};
use std::fmt;

/// A patch that does not fit the tree it is applied to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyError {
    /// Index of the offending patch in the list.
    pub patch: usize,
    pub reason: String,
}

impl fmt::Display for ApplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "patch {}: {}", self.patch, self.reason)
    }
}

impl std::error::Error for ApplyError {}

/// Apply `patches` in order to the fragment `tree`.
pub fn apply(tree: &mut Vec<Node>, patches: &[Patch]) -> Result<(), ApplyError> {
    for (i, patch) in patches.iter().enumerate() {
        apply_one(tree, patch).map_err(|reason| ApplyError { patch: i, reason })?;
    }
    Ok(())
}

fn apply_one(tree: &mut Vec<Node>, patch: &Patch) -> Result<(), String> {
    match patch {
        Patch::SetText { path, text } => match node(tree, path)? {
            Node::Text(t) | Node::Comment(t) => {
                *t = text.clone();
                Ok(())
            }
            _ => Err(format!("set-text at {path:?}: not a text or comment node")),
        },
        Patch::SetAttribute { path, name, value } => match node(tree, path)? {
            Node::Element { attributes, .. } => {
                match attributes.iter_mut().find(|(n, _)| n == name) {
                    Some((_, v)) => *v = value.clone(),
                    None => attributes.push((name.clone(), value.clone())),
                }
                Ok(())
            }
            _ => Err(format!("set-attribute at {path:?}: not an element")),
        },
        Patch::RemoveAttribute { path, name } => match node(tree, path)? {
            Node::Element { attributes, .. } => {
                attributes.retain(|(n, _)| n != name);
                Ok(())
            }
            _ => Err(format!("remove-attribute at {path:?}: not an element")),
        },
        Patch::ReplaceNode { path, html } => {
            let (last, parent_path) = path.split_last().ok_or("replace-node of the root")?;
            let (children, context) = children(tree, parent_path)?;
            let new = one_node(html, &context)?;
            let slot = children.get_mut(*last as usize).ok_or(format!("replace-node: no child at {path:?}"))?;
            *slot = new;
            Ok(())
        }
        Patch::InsertChild { parent, index, html, count } => {
            let (children, (name, namespace)) = children(tree, parent)?;
            if *index as usize > children.len() {
                return Err(format!("insert-child at {parent:?}[{index}]: only {} children", children.len()));
            }
            let nodes = parse_in(html, &name, namespace);
            if nodes.len() != *count as usize || nodes.is_empty() {
                return Err(format!("{html:?} parses to {} nodes inside <{name}>, not {count}", nodes.len()));
            }
            children.splice(*index as usize..*index as usize, nodes);
            Ok(())
        }
        Patch::RemoveChild { parent, index, count } => {
            let (children, _) = children(tree, parent)?;
            let end = *index as usize + *count as usize;
            if *count == 0 || end > children.len() {
                return Err(format!("remove-child at {parent:?}[{index}]+{count}: only {} children", children.len()));
            }
            children.drain(*index as usize..end);
            Ok(())
        }
        Patch::MoveChild { parent, from, to, count } => {
            let (children, _) = children(tree, parent)?;
            let (from, to, count) = (*from as usize, *to as usize, *count as usize);
            if count == 0 || from + count > children.len() || to + count > children.len() {
                return Err(format!(
                    "move-child at {parent:?} {from}+{count} -> {to}: only {} children",
                    children.len()
                ));
            }
            let run: Vec<Node> = children.drain(from..from + count).collect();
            children.splice(to..to, run);
            Ok(())
        }
    }
}

/// The element (name and namespace) HTML parses in when inserted under a parent.
type Context = (String, Namespace);

fn children<'t>(tree: &'t mut Vec<Node>, path: &[u32]) -> Result<(&'t mut Vec<Node>, Context), String> {
    if path.is_empty() {
        return Ok((tree, ("body".into(), Namespace::Html)));
    }
    match node(tree, path)? {
        Node::Element {
            name,
            namespace,
            children,
            ..
        } => Ok((children, (name.clone(), *namespace))),
        _ => Err(format!("{path:?} is not an element")),
    }
}

fn node<'t>(tree: &'t mut [Node], path: &[u32]) -> Result<&'t mut Node, String> {
    let (first, rest) = path.split_first().ok_or("the root is not a node")?;
    let mut current = tree.get_mut(*first as usize).ok_or(format!("no node at {path:?}"))?;
    for &i in rest {
        current = match current {
            Node::Element { children, .. } => children.get_mut(i as usize).ok_or(format!("no node at {path:?}"))?,
            _ => return Err(format!("no node at {path:?}")),
        };
    }
    Ok(current)
}

fn one_node(html: &str, (name, namespace): &Context) -> Result<Node, String> {
    let mut nodes = parse_in(html, name, *namespace);
    match nodes.len() {
        1 => Ok(nodes.remove(0)),
        n => Err(format!("{html:?} parses to {n} nodes inside <{name}>, not one")),
    }
}
