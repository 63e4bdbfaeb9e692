//! Old tree and new tree to patches.
//!
//! Children are matched in one of two ways:
//!
//! - **by position**, when no child on either side has a `data-key`
//!   attribute: the i-th old child is diffed against the i-th new child,
//!   surplus new children are inserted at the end, surplus old ones removed
//!   from the end;
//! - **by key**, when any child has a `data-key`: a keyed element matches the
//!   old element with the same key (occurrence by occurrence, if keys
//!   repeat); other
//!   children match the old child of the same kind and tag by order of
//!   occurrence (the second unkeyed `<p>` matches the second unkeyed `<p>`;
//!   text matches text). Unmatched old children are removed, matched ones
//!   are moved into their new order with the fewest moves (everything off a
//!   longest increasing subsequence of their old positions moves, the rest
//!   stays), and unmatched new children are inserted.
//!
//! Matched elements with the same tag and namespace are patched in place
//! (attributes, then children); anything else is replaced.
//!
//! Addresses: a path is a list of child indices from the fragment root, and
//! each patch's path is valid against the tree as it stands after the
//! patches before it. That holds because a parent's list is rebuilt in a
//! fixed order — removals from the highest index down, then moves (each
//! computed on the list as it is at that moment), then insertions at their
//! final index from the lowest up — and only then are its matched children
//! diffed, at their final indices, recursively. Patching inside a child never
//! changes its siblings' indices.

use crate::tree::{Node, node_html};
use std::collections::HashMap;

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

/// The attribute that makes children matched by key.
pub const KEY_ATTRIBUTE: &str = "data-key";

/// The patches that turn the fragment `old` into `new`.
pub fn diff(old: &[Node], new: &[Node]) -> Vec<Patch> {
    let mut patches = Vec::new();
    let mut path = Vec::new();
    diff_children(old, new, &mut path, &mut patches);
    patches
}

fn diff_children(old: &[Node], new: &[Node], path: &mut Vec<u32>, patches: &mut Vec<Patch>) {
    if old.iter().chain(new).any(|n| key_of(n).is_some()) {
        diff_keyed(old, new, path, patches);
    } else {
        diff_positional(old, new, path, patches);
    }
}

fn diff_positional(old: &[Node], new: &[Node], path: &mut Vec<u32>, patches: &mut Vec<Patch>) {
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

/// How a child is matched in a keyed list.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum MatchKey<'a> {
    /// The n-th element with this `data-key` (keys should be unique; a
    /// repeated key still matches occurrence by occurrence).
    Key(&'a str, usize),
    /// The n-th unkeyed child of this kind and tag.
    Slot(&'a str, usize),
}

fn key_of(node: &Node) -> Option<&str> {
    match node {
        Node::Element { attributes, .. } => attributes
            .iter()
            .find(|(name, _)| name == KEY_ATTRIBUTE)
            .map(|(_, value)| value.as_str()),
        _ => None,
    }
}

fn match_keys(nodes: &[Node]) -> Vec<MatchKey<'_>> {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut keys_seen: HashMap<&str, usize> = HashMap::new();
    nodes
        .iter()
        .map(|node| {
            if let Some(key) = key_of(node) {
                let n = keys_seen.entry(key).or_default();
                *n += 1;
                return MatchKey::Key(key, *n - 1);
            }
            let kind = match node {
                Node::Element { name, .. } => name.as_str(),
                Node::Text(_) => "#text",
                Node::Comment(_) => "#comment",
                Node::Doctype(_) => "#doctype",
            };
            let n = seen.entry(kind).or_default();
            *n += 1;
            MatchKey::Slot(kind, *n - 1)
        })
        .collect()
}

fn diff_keyed(old: &[Node], new: &[Node], path: &mut Vec<u32>, patches: &mut Vec<Patch>) {
    let old_keys = match_keys(old);
    let by_key: HashMap<&MatchKey<'_>, usize> = old_keys.iter().enumerate().map(|(i, k)| (k, i)).collect();
    // For each new child, the old child it continues (match keys are unique
    // on each side, so each old child is taken at most once).
    let mut taken = vec![false; old.len()];
    let new_to_old: Vec<Option<usize>> = match_keys(new)
        .iter()
        .map(|key| {
            let i = *by_key.get(key)?;
            taken[i] = true;
            Some(i)
        })
        .collect();

    // 1. Remove what is not kept, from the end so indices stay put.
    for i in (0..old.len()).rev() {
        if !taken[i] {
            patches.push(Patch::RemoveChild {
                parent: path.clone(),
                index: i as u32,
            });
        }
    }

    // 2. Move kept children into their new relative order. Those on a
    //    longest increasing subsequence of old positions stay.
    let target: Vec<usize> = new_to_old.iter().flatten().copied().collect();
    let stays = longest_increasing_subsequence(&target);
    let mut current: Vec<usize> = (0..old.len()).filter(|&i| taken[i]).collect();
    let mut anchor: Option<usize> = None;
    for (t, &o) in target.iter().enumerate().rev() {
        if !stays[t] {
            let from = current.iter().position(|&c| c == o).expect("kept child is in the list");
            current.remove(from);
            let to = anchor.map_or(current.len(), |a| current.iter().position(|&c| c == a).expect("anchor"));
            current.insert(to, o);
            patches.push(Patch::MoveChild {
                parent: path.clone(),
                from: from as u32,
                to: to as u32,
            });
        }
        anchor = Some(o);
    }

    // 3. Insert new children at their final index, lowest first.
    for (j, b) in new.iter().enumerate() {
        if new_to_old[j].is_none() {
            patches.push(Patch::InsertChild {
                parent: path.clone(),
                index: j as u32,
                html: node_html(b),
            });
        }
    }

    // 4. Patch the kept children where they now are.
    for (j, b) in new.iter().enumerate() {
        if let Some(i) = new_to_old[j] {
            path.push(j as u32);
            diff_node(&old[i], b, path, patches);
            path.pop();
        }
    }
}

/// Which elements of `seq` lie on one longest strictly increasing
/// subsequence (patience sorting, O(n log n)).
fn longest_increasing_subsequence(seq: &[usize]) -> Vec<bool> {
    let mut tails: Vec<usize> = Vec::new(); // index into seq of the smallest tail of each length
    let mut prev: Vec<Option<usize>> = vec![None; seq.len()];
    for (i, &value) in seq.iter().enumerate() {
        let len = tails.partition_point(|&t| seq[t] < value);
        prev[i] = len.checked_sub(1).map(|l| tails[l]);
        if len == tails.len() {
            tails.push(i);
        } else {
            tails[len] = i;
        }
    }
    let mut on = vec![false; seq.len()];
    let mut cursor = tails.last().copied();
    while let Some(i) = cursor {
        on[i] = true;
        cursor = prev[i];
    }
    on
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
    fn unkeyed_children_by_position() {
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

    fn list(keys: &[u32]) -> String {
        let items: String = keys.iter().map(|k| format!("<li data-key=\"{k}\">{k}</li>")).collect();
        format!("<ul>{items}</ul>")
    }

    #[test]
    fn moving_one_keyed_item_is_one_move() {
        assert_eq!(d(&list(&[1, 2, 3, 4]), &list(&[4, 1, 2, 3])), vec![Patch::MoveChild { parent: vec![0], from: 3, to: 0 }]);
        assert_eq!(d(&list(&[1, 2, 3, 4]), &list(&[2, 3, 4, 1])), vec![Patch::MoveChild { parent: vec![0], from: 0, to: 3 }]);
    }

    #[test]
    fn reversing_moves_all_but_one() {
        let patches = d(&list(&[1, 2, 3, 4, 5]), &list(&[5, 4, 3, 2, 1]));
        assert_eq!(patches.len(), 4);
        assert!(patches.iter().all(|p| matches!(p, Patch::MoveChild { .. })));
    }

    #[test]
    fn keyed_inserts_removals_and_updates_keep_the_other_nodes() {
        let old = "<ul><li data-key=a>A</li><li data-key=b>B</li><li data-key=c>C</li></ul>";
        let new = "<ul><li data-key=c>C!</li><li data-key=x>X</li><li data-key=a>A</li></ul>";
        assert_eq!(
            d(old, new),
            vec![
                Patch::RemoveChild { parent: vec![0], index: 1 },
                Patch::MoveChild { parent: vec![0], from: 1, to: 0 },
                Patch::InsertChild { parent: vec![0], index: 1, html: "<li data-key=\"x\">X</li>".into() },
                Patch::SetText { path: vec![0, 0, 0], text: "C!".into() },
            ]
        );
    }

    #[test]
    fn lis_marks_a_longest_increasing_run() {
        let on = longest_increasing_subsequence(&[3, 0, 1, 4, 2, 5]);
        let picked: Vec<usize> = [3, 0, 1, 4, 2, 5].iter().zip(&on).filter(|(_, o)| **o).map(|(v, _)| *v).collect();
        assert_eq!(picked.len(), 4);
        assert!(picked.windows(2).all(|w| w[0] < w[1]));
    }
}
