//! Property tests: for random trees and random edits, applying the diff to
//! the old tree gives exactly the tree parsing the new HTML gives; and the
//! parser and differ never panic, whatever the input.

use guest_vdom::{Node, apply, diff, parse, to_html};
use proptest::prelude::*;

/// Random HTML from a grammar covering text, entities, attributes (keys and
/// event bindings included), nesting, lists, tables, forms, void elements.
fn html(depth: u32) -> BoxedStrategy<String> {
    let text = prop::sample::select(vec!["a", "b c", "x & y", "1 < 2", " ", "\n  ", "é", "&amp;", "&lt;p&gt;", "Count: 3"])
        .prop_map(str::to_string);
    let leaf = prop_oneof![
        4 => text,
        1 => Just("<br>".to_string()),
        1 => Just("<input value=\"v\">".to_string()),
        1 => Just("<!-- note -->".to_string()),
    ];
    if depth == 0 {
        return leaf.boxed();
    }
    let attrs = prop::collection::vec(
        prop::sample::select(vec![
            " class=\"a\"", " class=\"b\"", " id=x", " data-key=\"k1\"", " data-key=\"k2\"", " @click=\"inc\"",
            " hidden", " title='q\"uote'",
        ]),
        0..3,
    )
    .prop_map(|a| a.concat());
    let children = prop::collection::vec(html(depth - 1), 0..4).prop_map(|c| c.concat());
    let tag = prop::sample::select(vec!["div", "p", "span", "b", "ul", "li", "button", "section", "em"]);
    let element = (tag, attrs, children).prop_map(|(t, a, c)| format!("<{t}{a}>{c}</{t}>"));
    let table = prop::collection::vec(html(depth - 1), 1..3)
        .prop_map(|cells| format!("<table><tr>{}</tr></table>", cells.iter().map(|c| format!("<td>{c}</td>")).collect::<String>()));
    prop_oneof![3 => leaf, 5 => element, 1 => table].boxed()
}

fn fragment() -> impl Strategy<Value = String> {
    prop::collection::vec(html(3), 0..5).prop_map(|parts| parts.concat())
}

/// A keyed list and an edit of it: reorder, drop, add, change text and classes.
fn keyed_lists() -> impl Strategy<Value = (String, String)> {
    (prop::collection::btree_set(0u32..40, 0..15), any::<u64>(), prop::collection::vec(0u32..60, 0..6), any::<bool>())
        .prop_map(|(keys, seed, added, spaced)| {
            let old: Vec<u32> = keys.iter().copied().collect();
            let mut new: Vec<u32> = old.iter().copied().filter(|k| (seed >> (k % 64)) & 1 == 0 || k % 3 == 0).collect();
            // A deterministic shuffle driven by the seed.
            let mut s = seed;
            for i in (1..new.len()).rev() {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                new.swap(i, (s >> 33) as usize % (i + 1));
            }
            for k in added {
                if !new.contains(&k) {
                    new.insert((k as usize) % (new.len() + 1), k);
                }
            }
            let sep = if spaced { "\n  " } else { "" };
            let render = |keys: &[u32], tick: u64| {
                let items: Vec<String> = keys
                    .iter()
                    .map(|k| format!("<li data-key=\"{k}\" class=\"c{}\">item {k} {}</li>", (u64::from(*k) + tick) % 3, tick))
                    .collect();
                format!("<ul>{sep}{}{sep}</ul>", items.join(sep))
            };
            (render(&old, 0), render(&new, seed % 2))
        })
}

/// Attribute order is not part of DOM equality (`Node.isEqualNode` compares
/// attribute sets), and `setAttribute` appends: compare with sorted attributes.
fn normalized(mut nodes: Vec<Node>) -> Vec<Node> {
    for node in &mut nodes {
        if let Node::Element { attributes, children, .. } = node {
            attributes.sort();
            *children = normalized(std::mem::take(children));
        }
    }
    nodes
}

fn check(old_html: &str, new_html: &str) -> Result<(), TestCaseError> {
    let old = parse(old_html);
    let new = parse(new_html);
    let patches = diff(&old, &new);
    let mut patched: Vec<Node> = old.clone();
    apply(&mut patched, &patches).map_err(|e| TestCaseError::fail(format!("{e}; patches {patches:?}")))?;
    let (patched, new) = (normalized(patched), normalized(new));
    prop_assert_eq!(to_html(&patched), to_html(&new), "patches: {:?}", patches);
    prop_assert_eq!(patched, new);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn diff_then_apply_gives_the_new_tree(old in fragment(), new in fragment()) {
        check(&old, &new)?;
    }

    #[test]
    fn keyed_lists_are_patched_exactly((old, new) in keyed_lists()) {
        check(&old, &new)?;
    }

    #[test]
    fn a_tree_diffed_against_itself_needs_no_patch(html in fragment()) {
        let tree = parse(&html);
        prop_assert!(diff(&tree, &tree).is_empty());
    }

    #[test]
    fn arbitrary_bytes_never_panic(old in prop::collection::vec(any::<u8>(), 0..300), new in prop::collection::vec(any::<u8>(), 0..300)) {
        let (old, new) = (String::from_utf8_lossy(&old), String::from_utf8_lossy(&new));
        let old_tree = parse(&old);
        let new_tree = parse(&new);
        let _ = diff(&old_tree, &new_tree);
        let _ = to_html(&new_tree);
    }

    #[test]
    fn markup_soup_never_panics(soup in prop::collection::vec(prop::sample::select(vec![
        "<", ">", "</", "/>", "<p", "<table", "<tr", "<td", "<li", "<select", "<option", "<svg", "<math", "<template",
        "<script>", "</script>", "<textarea>", "<!--", "-->", "<!DOCTYPE", "&", "&#", "x", "\"", "'", "=", " ",
        "<frameset>", "<html>", "<body>", "<head>", "<form>", "<a>", "<b>", "</b>", "<i>", "</i>", "\0",
    ]), 0..60)) {
        let html = soup.concat();
        let tree = parse(&html);
        let _ = diff(&tree, &parse(&html.chars().rev().collect::<String>()));
    }
}
