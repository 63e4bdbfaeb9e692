//! Old tree and new tree to patches.
//!
//! Children are matched in one of two ways:
//!
//! - **by position**, when no child on either side has a `data-key`
//!   attribute: the i-th old child is diffed against the i-th new child,
//!   surplus new children are inserted at the end, surplus old ones removed
//!   from the end;
//! - **by key**, when any child has a `data-key`: the children are cut into
//!   units, each a keyed element with the unkeyed siblings after it (the
//!   whitespace between list items, typically), plus a head of the unkeyed
//!   children before the first keyed one. A unit matches the old unit with
//!   the same key (occurrence by occurrence if keys repeat). Unmatched old
//!   units are removed; kept units are put in their new order with the
//!   fewest moves (every unit off a longest increasing subsequence of old
//!   positions moves once, as one run of siblings); unmatched new units are
//!   inserted; inside a kept unit, nodes are diffed by position.
//!
//! Matched elements with the same tag and namespace are patched in place
//! (attributes, then children); anything else is replaced.
//!
//! Addresses: a path is a list of child indices from the fragment root, and
//! each patch's path is valid against the tree as it stands after the
//! patches before it. That holds because a parent's list is rebuilt in a
//! fixed order — removals from the highest index down, then moves (each
//! computed on the list as it is at that moment), then, from left to right
//! with everything left of the cursor final, each kept unit patched in
//! place and each new unit inserted. Patching inside a child never changes
//! its siblings' indices.

use crate::tree::{Node, node_html};
use std::collections::HashMap;

pub use wasmlive_types::Patch;

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
    diff_run(old, new, 0, path, patches);
}

/// Diff two runs of siblings by position, the old run starting at child
/// `offset` of the parent at `path`: pairs are patched in place, surplus new
/// nodes inserted after them, surplus old nodes removed from the end.
fn diff_run(old: &[Node], new: &[Node], offset: usize, path: &mut Vec<u32>, patches: &mut Vec<Patch>) {
    for (i, (a, b)) in old.iter().zip(new).enumerate() {
        path.push((offset + i) as u32);
        diff_node(a, b, path, patches);
        path.pop();
    }
    if new.len() > old.len() {
        patches.push(insert(path, offset + old.len(), &new[old.len()..]));
    }
    if old.len() > new.len() {
        patches.push(Patch::RemoveChild {
            parent: path.clone(),
            index: (offset + new.len()) as u32,
            count: (old.len() - new.len()) as u32,
        });
    }
}

/// Insert `nodes`, as one run, at `index` of the parent at `path`.
fn insert(path: &[u32], index: usize, nodes: &[Node]) -> Patch {
    Patch::InsertChild {
        parent: path.to_vec(),
        index: index as u32,
        html: nodes.iter().map(node_html).collect(),
        count: nodes.len() as u32,
    }
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

/// A keyed element with the unkeyed siblings that follow it up to the next
/// keyed element — the whitespace between list items, typically — or, first
/// in every list, the unkeyed siblings before any keyed one (the head).
/// Units are what moves: an item moves together with the text after it.
struct Unit<'a> {
    /// The key and its occurrence (keys should be unique; a repeated key
    /// still matches occurrence by occurrence); `None` for the head.
    key: Option<(&'a str, usize)>,
    start: usize,
    len: usize,
}

fn units(nodes: &[Node]) -> Vec<Unit<'_>> {
    let mut units = vec![Unit {
        key: None,
        start: 0,
        len: 0,
    }];
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, node) in nodes.iter().enumerate() {
        match key_of(node) {
            Some(key) => {
                let n = seen.entry(key).or_default();
                *n += 1;
                units.push(Unit {
                    key: Some((key, *n - 1)),
                    start: i,
                    len: 1,
                });
            }
            None => units.last_mut().expect("the head is always there").len += 1,
        }
    }
    units
}

// Kept out of line: inlined, its locals would enlarge every frame of the
// recursive positional diff, and every page of shadow stack a call touches
// stays resident in each instance.
#[inline(never)]
fn diff_keyed(old: &[Node], new: &[Node], path: &mut Vec<u32>, patches: &mut Vec<Patch>) {
    let (old_units, new_units) = (units(old), units(new));
    let by_key: HashMap<(&str, usize), usize> =
        old_units.iter().enumerate().skip(1).filter_map(|(i, u)| Some((u.key?, i))).collect();
    // For each new unit, the old unit it continues; the heads always match.
    let mut taken = vec![false; old_units.len()];
    taken[0] = true;
    let new_to_old: Vec<Option<usize>> = new_units
        .iter()
        .enumerate()
        .map(|(j, unit)| {
            if j == 0 {
                return Some(0);
            }
            let i = *by_key.get(&unit.key?)?;
            taken[i] = true;
            Some(i)
        })
        .collect();

    // 1. Remove the units that are not kept, from the end so indices stay put.
    for (i, unit) in old_units.iter().enumerate().rev() {
        if !taken[i] && unit.len > 0 {
            patches.push(Patch::RemoveChild {
                parent: path.clone(),
                index: unit.start as u32,
                count: unit.len as u32,
            });
        }
    }

    // 2. Move kept units into their new order; those on a longest increasing
    //    subsequence of old positions stay, each other one moves once.
    let target: Vec<usize> = new_to_old.iter().skip(1).flatten().copied().collect();
    let stays = longest_increasing_subsequence(&target);
    let mut current: Vec<usize> = (1..old_units.len()).filter(|&i| taken[i]).collect();
    let node_index = |current: &[usize], position: usize| -> usize {
        old_units[0].len + current[..position].iter().map(|&u| old_units[u].len).sum::<usize>()
    };
    let mut anchor: Option<usize> = None;
    for (t, &unit) in target.iter().enumerate().rev() {
        if !stays[t] {
            let position = current.iter().position(|&c| c == unit).expect("kept unit is in the list");
            let from = node_index(&current, position);
            current.remove(position);
            let to_position = anchor.map_or(current.len(), |a| current.iter().position(|&c| c == a).expect("anchor"));
            let to = node_index(&current, to_position);
            current.insert(to_position, unit);
            patches.push(Patch::MoveChild {
                parent: path.clone(),
                from: from as u32,
                to: to as u32,
                count: old_units[unit].len as u32,
            });
        }
        anchor = Some(unit);
    }

    // 3. Left to right, everything before `cursor` being final: patch each
    //    kept unit in place (its nodes by position), insert each new one.
    let mut cursor = 0;
    for (j, unit) in new_units.iter().enumerate() {
        let new_nodes = &new[unit.start..unit.start + unit.len];
        match new_to_old[j] {
            Some(i) => {
                let old_unit = &old_units[i];
                diff_run(&old[old_unit.start..old_unit.start + old_unit.len], new_nodes, cursor, path, patches);
            }
            None => patches.push(insert(path, cursor, new_nodes)),
        }
        cursor += unit.len;
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
            vec![Patch::InsertChild { parent: vec![0], index: 1, html: "<li>b</li>".into(), count: 1 }]
        );
        assert_eq!(
            d("<i>1</i><i>2</i><i>3</i>", "<i>1</i>"),
            vec![Patch::RemoveChild { parent: vec![], index: 1, count: 2 }]
        );
        assert_eq!(d("<i>1</i>", "<b>1</b>"), vec![Patch::ReplaceNode { path: vec![0], html: "<b>1</b>".into() }]);
    }

    fn list(keys: &[u32]) -> String {
        let items: String = keys.iter().map(|k| format!("<li data-key=\"{k}\">{k}</li>")).collect();
        format!("<ul>{items}</ul>")
    }

    #[test]
    fn moving_one_keyed_item_is_one_move() {
        assert_eq!(d(&list(&[1, 2, 3, 4]), &list(&[4, 1, 2, 3])), vec![Patch::MoveChild { parent: vec![0], from: 3, to: 0, count: 1 }]);
        assert_eq!(d(&list(&[1, 2, 3, 4]), &list(&[2, 3, 4, 1])), vec![Patch::MoveChild { parent: vec![0], from: 0, to: 3, count: 1 }]);
    }

    #[test]
    fn reversing_moves_all_but_one() {
        let patches = d(&list(&[1, 2, 3, 4, 5]), &list(&[5, 4, 3, 2, 1]));
        assert_eq!(patches.len(), 4);
        assert!(patches.iter().all(|p| matches!(p, Patch::MoveChild { .. })));
    }

    #[test]
    fn an_item_moves_with_the_whitespace_after_it() {
        let old = "<ul>\n  <li data-key=1>a</li>\n  <li data-key=2>b</li>\n  <li data-key=3>c</li>\n</ul>";
        let new = "<ul>\n  <li data-key=3>c</li>\n  <li data-key=1>a</li>\n  <li data-key=2>b</li>\n</ul>";
        let patches = d(old, new);
        assert_eq!(patches, vec![Patch::MoveChild { parent: vec![0], from: 5, to: 1, count: 2 }, Patch::SetText { path: vec![0, 2], text: "\n  ".into() }, Patch::SetText { path: vec![0, 6], text: "\n".into() }]);
    }

    #[test]
    fn keyed_inserts_removals_and_updates_keep_the_other_nodes() {
        let old = "<ul><li data-key=a>A</li><li data-key=b>B</li><li data-key=c>C</li></ul>";
        let new = "<ul><li data-key=c>C!</li><li data-key=x>X</li><li data-key=a>A</li></ul>";
        assert_eq!(
            d(old, new),
            vec![
                Patch::RemoveChild { parent: vec![0], index: 1, count: 1 },
                Patch::MoveChild { parent: vec![0], from: 1, to: 0, count: 1 },
                Patch::SetText { path: vec![0, 0, 0], text: "C!".into() },
                Patch::InsertChild { parent: vec![0], index: 1, html: "<li data-key=\"x\">X</li>".into(), count: 1 },
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
