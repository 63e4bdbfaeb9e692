//! The fast path for text-only updates (`Document::update` without a parse)
//! against the full one (parse the new HTML, diff the trees): for random
//! documents and random edits of their HTML — inside text, across markup,
//! with characters that change how HTML parses — the patches and the tree
//! after the update are exactly the full path's.

use guest_vdom::{Document, diff, parse};
use proptest::prelude::*;

/// Random HTML in which text sits in every context that treats it
/// specially: tables, `<pre>`, SVG, select, raw text, keyed lists.
fn html(depth: u32) -> BoxedStrategy<String> {
    let text = prop::sample::select(vec!["a", "Count: 3", " ", "\n  ", "é ü", "x & y", "1 < 2", "&amp;", "tab\there", "42"])
        .prop_map(str::to_string);
    let leaf = prop_oneof![
        5 => text,
        1 => Just("<br>".to_string()),
        1 => Just("<!-- c -->".to_string()),
        1 => Just("<script>let a = 1;</script>".to_string()),
        1 => Just("<textarea>t</textarea>".to_string()),
    ];
    if depth == 0 {
        return leaf.boxed();
    }
    let attrs = prop::sample::select(vec!["", " class=\"a\"", " data-key=\"k1\"", " data-key=\"k2\"", " @click=\"inc\""]);
    let children = prop::collection::vec(html(depth - 1), 0..4).prop_map(|c| c.concat());
    let tag = prop::sample::select(vec!["div", "p", "span", "b", "li", "pre", "svg", "select", "option", "h1"]);
    let element = (tag, attrs, children).prop_map(|(t, a, c)| format!("<{t}{a}>{c}</{t}>"));
    let table = prop::collection::vec(html(depth - 1), 1..3)
        .prop_map(|cells| format!("<table>{}<tr>{}</tr></table>", cells[0], cells.iter().map(|c| format!("<td>{c}</td>")).collect::<String>()));
    prop_oneof![3 => leaf, 5 => element, 1 => table].boxed()
}

fn fragment() -> impl Strategy<Value = String> {
    prop::collection::vec(html(3), 1..5).prop_map(|parts| parts.concat())
}

/// Replace up to six characters of `html` from character `a` (wrapped into
/// range) with `with`.
fn edited(html: &str, a: usize, b: usize, with: &str) -> String {
    let bounds: Vec<usize> = html.char_indices().map(|(i, _)| i).chain([html.len()]).collect();
    // At most six characters replaced, so most edits stay small.
    let a = a % bounds.len();
    let b = (a + b % 7).min(bounds.len() - 1);
    format!("{}{with}{}", &html[..bounds[a]], &html[bounds[b]..])
}

/// Character positions of letters, digits and spaces outside tags.
fn text_positions(html: &str) -> Vec<usize> {
    let mut in_tag = false;
    let mut positions = Vec::new();
    for (n, c) in html.chars().enumerate() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag && (c.is_alphanumeric() || c == ' ') => positions.push(n),
            _ => {}
        }
    }
    positions
}

fn replacement() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["", "1", "99", "x y", " ", "\n", "\n\n", "<", "<b>", "&", "amp;", "\0", "\r", "é", "\t", ">", "\""])
        .prop_map(str::to_string)
}

fn check(doc: &mut Document, old: &str, new: &str) -> Result<(), TestCaseError> {
    let expected = diff(&parse(old), &parse(new));
    let patches = doc.update(new.to_string());
    prop_assert_eq!(patches, expected, "{:?} -> {:?}", old, new);
    prop_assert_eq!(doc.tree().to_vec(), parse(new), "{:?} -> {:?}", old, new);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn an_edit_gives_the_full_paths_patches_and_tree(
        old in fragment(),
        edits in prop::collection::vec((any::<usize>(), any::<usize>(), replacement()), 1..4),
    ) {
        // Several edits in a row: the spans must follow each one.
        let mut doc = Document::parse(old.clone());
        let mut current = old;
        for (a, b, with) in edits {
            let next = edited(&current, a, b, &with);
            check(&mut doc, &current, &next)?;
            current = next;
        }
    }

    #[test]
    fn edits_aimed_at_text_give_the_full_paths_patches_and_tree(
        old in fragment(),
        edits in prop::collection::vec((any::<usize>(), 0usize..3, replacement()), 1..4),
    ) {
        // Mostly inside text between tags, where the fast path applies.
        let mut doc = Document::parse(old.clone());
        let mut current = old;
        for (pick, len, with) in edits {
            let Some(at) = text_positions(&current).get(pick % text_positions(&current).len().max(1)).copied() else {
                return Ok(());
            };
            let next = edited(&current, at, len, &with);
            check(&mut doc, &current, &next)?;
            current = next;
        }
    }

    #[test]
    fn a_number_counting_up_in_text_stays_exact(old in fragment(), n in 0u32..1000) {
        // The counter case: digits inside text, wherever the text sits.
        let Some(at) = old.find("3") else { return Ok(()) };
        let mut doc = Document::parse(old.clone());
        let new = format!("{}{n}{}", &old[..at], &old[at + 1..]);
        check(&mut doc, &old, &new)?;
    }
}
