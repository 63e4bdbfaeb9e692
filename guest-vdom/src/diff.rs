//! Old tree and new tree to patches. Children are matched by position;
//! elements with the same tag are patched in place, anything else is replaced.
//! Patches use the addressing of `wit/vdom.wit`: a path is valid against the
//! tree as it stands after the patches before it, which holds here because a
//! parent's children are patched left to right and surplus old children are
//! removed from the end.

use crate::tree::{Node, node_html};

/// One step of turning the old tree into the new one; mirrors `patch` in `wit/vdom.wit`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Patch {
    SetText { path: Vec<u32>, text: String },
    SetAttribute { path: Vec<u32>, name: String, value: String },
    RemoveAttribute { path: Vec<u32>, name: String },
    ReplaceNode { path: Vec<u32>, html: String },
    InsertChild { parent: Vec<u32>, index: u32, html: String },
    RemoveChild { parent: Vec<u32>, index: u32 },
    MoveChild { parent: Vec<u32>, from: u32, to: u32 },
}

/// The patches that turn the fragment `old` into `new`.
pub fn diff(old: &[Node], new: &[Node]) -> Vec<Patch> {
    let mut patches = Vec::new();
    let mut path = Vec::new();
    diff_children(old, new, &mut path, &mut patches);
    patches
}

fn diff_children(old: &[Node], new: &[Node], path: &mut Vec<u32>, patches: &mut Vec<Patch>) {
    for (i, (a, b)) in old.iter().zip(new).enumerate() {
        path.push(i as u32);
        diff_node(a, b, path, patches);
        path.pop();
    }
    for (i, b) in new.iter().enumerate().skip(old.len()) {
        patches.push(Patch::InsertChild {
            parent: path.clone(),
            index: i as u32,
            html: node_html(b),
        });
    }
    for i in (new.len()..old.len()).rev() {
        patches.push(Patch::RemoveChild {
            parent: path.clone(),
            index: i as u32,
        });
    }
}

fn diff_node(old: &Node, new: &Node, path: &mut Vec<u32>, patches: &mut Vec<Patch>) {
    match (old, new) {
        (
            Node::Element {
                name: a,
                namespace: na,
                attributes: attrs_a,
                children: kids_a,
            },
            Node::Element {
                name: b,
                namespace: nb,
                attributes: attrs_b,
                children: kids_b,
            },
        ) if a == b && na == nb => {
            for (name, _) in attrs_a {
                if !attrs_b.iter().any(|(n, _)| n == name) {
                    patches.push(Patch::RemoveAttribute {
                        path: path.clone(),
                        name: name.clone(),
                    });
                }
            }
            for (name, value) in attrs_b {
                if !attrs_a.iter().any(|(n, v)| n == name && v == value) {
                    patches.push(Patch::SetAttribute {
                        path: path.clone(),
                        name: name.clone(),
                        value: value.clone(),
                    });
                }
            }
            diff_children(kids_a, kids_b, path, patches);
        }
        (Node::Text(a), Node::Text(b)) | (Node::Comment(a), Node::Comment(b)) => {
            if a != b {
                patches.push(Patch::SetText {
                    path: path.clone(),
                    text: b.clone(),
                });
            }
        }
        (a, b) if a == b => {}
        (_, b) => patches.push(Patch::ReplaceNode {
            path: path.clone(),
            html: node_html(b),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse;

    fn d(old: &str, new: &str) -> Vec<Patch> {
        diff(&parse(old), &parse(new))
    }

    #[test]
    fn identical_trees_need_no_patch() {
        assert!(d("<div a=1><p>x</p></div>", "<div a=1><p>x</p></div>").is_empty());
    }

    #[test]
    fn text_change_is_one_set_text() {
        assert_eq!(
            d("<p>Count: <b>1</b></p>", "<p>Count: <b>2</b></p>"),
            vec![Patch::SetText { path: vec![0, 1, 0], text: "2".into() }]
        );
    }

    #[test]
    fn attribute_changes() {
        assert_eq!(
            d("<a href=x class=c>t</a>", "<a href=y id=i>t</a>"),
            vec![
                Patch::RemoveAttribute { path: vec![0], name: "class".into() },
                Patch::SetAttribute { path: vec![0], name: "href".into(), value: "y".into() },
                Patch::SetAttribute { path: vec![0], name: "id".into(), value: "i".into() },
            ]
        );
    }

    #[test]
    fn children_added_removed_and_replaced() {
        assert_eq!(
            d("<ul><li>a</li></ul>", "<ul><li>a</li><li>b</li></ul>"),
            vec![Patch::InsertChild { parent: vec![0], index: 1, html: "<li>b</li>".into() }]
        );
        assert_eq!(
            d("<i>1</i><i>2</i><i>3</i>", "<i>1</i>"),
            vec![
                Patch::RemoveChild { parent: vec![], index: 2 },
                Patch::RemoveChild { parent: vec![], index: 1 },
            ]
        );
        assert_eq!(d("<i>1</i>", "<b>1</b>"), vec![Patch::ReplaceNode { path: vec![0], html: "<b>1</b>".into() }]);
    }
}
