//! The document a view keeps between diffs, and a fast path for the
//! commonest update: new HTML that differs from the last only inside one
//! text node (a counter, a label, a status line).
//!
//! Parsing the new HTML and diffing two trees is most of an update's cost.
//! When the old and the new HTML differ in one stretch only, and that
//! stretch lies inside a text node the parser took verbatim from the old
//! HTML (no character reference, nothing dropped, a node of its own), the
//! new tree is the old one with that node's text changed and the patches
//! are one `SetText`, whatever the rest of the page. [`Document::text_edit`]
//! lists the conditions under which the parser could treat the new text
//! differently; anything else takes the full path. `tests/text_edits.rs`
//! holds the fast path to the full one on random documents and edits.

use crate::diff::{Patch, diff};
use crate::parser::parse_with_spans;
use crate::tree::{Node, TextSpan};

/// A parsed fragment with the HTML it came from.
pub struct Document {
    tree: Vec<Node>,
    source: String,
    /// The verbatim text nodes, by start in `source`.
    spans: Vec<TextSpan>,
}

impl Document {
    pub fn parse(html: String) -> Document {
        let mut spans = Vec::new();
        let tree = parse_with_spans(&html, &mut spans);
        Document { tree, source: html, spans }
    }

    pub fn tree(&self) -> &[Node] {
        &self.tree
    }

    /// Become `html`; the patches from the old tree to the new one.
    pub fn update(&mut self, html: String) -> Vec<Patch> {
        if let Some(patches) = self.text_edit(&html) {
            self.source = html;
            return patches;
        }
        let next = Document::parse(html);
        let patches = diff(&self.tree, &next.tree);
        *self = next;
        patches
    }

    /// The patches to `html` when it differs from the source only inside one
    /// verbatim text node (none when it is the same), with the tree and
    /// spans updated; `None`, with nothing changed, otherwise. The caller
    /// then sets the source.
    pub fn text_edit(&mut self, html: &str) -> Option<Vec<Patch>> {
        let (old, new) = (self.source.as_bytes(), html.as_bytes());
        let mut prefix = common_prefix(old, new);
        if prefix == old.len() && prefix == new.len() {
            return Some(Vec::new());
        }
        while !html.is_char_boundary(prefix) {
            prefix -= 1;
        }
        let room = old.len().min(new.len()) - prefix;
        let mut suffix = common_suffix(&old[old.len() - room..], &new[new.len() - room..]);
        while !self.source.is_char_boundary(old.len() - suffix) {
            suffix -= 1;
        }
        let (old_end, new_end) = (old.len() - suffix, new.len() - suffix);

        // The verbatim text node the changed stretch lies in.
        let at = self.spans.partition_point(|s| s.start <= prefix).checked_sub(1)?;
        let span = &self.spans[at];
        if old_end > span.end {
            return None;
        }
        let old_text = &self.source[span.start..span.end];
        let mut text = String::with_capacity(old_text.len() + new_end - old_end);
        text.push_str(&old_text[..prefix - span.start]);
        text.push_str(&html[prefix..new_end]);
        text.push_str(&old_text[old_end - span.start..]);
        if !parses_like(old_text, &text) {
            return None;
        }

        let delta = new.len() as isize - old.len() as isize;
        let shift = |offset: usize| offset.checked_add_signed(delta).expect("offsets stay in the new HTML");
        let path = span.path.clone();
        self.spans[at].end = shift(self.spans[at].end);
        for later in &mut self.spans[at + 1..] {
            later.start = shift(later.start);
            later.end = shift(later.end);
        }
        *text_at(&mut self.tree, &path)? = text.clone();
        Some(vec![Patch::SetText { path, text }])
    }
}

/// How many bytes `a` and `b` start with in common. Eight at a time: a
/// byte loop was a tenth of a counter event's time in the guest.
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let (mut a8, mut b8) = (a.chunks_exact(8), b.chunks_exact(8));
    let mut same = 0;
    for (x, y) in (&mut a8).zip(&mut b8) {
        let (x, y) = (u64::from_le_bytes(x.try_into().unwrap()), u64::from_le_bytes(y.try_into().unwrap()));
        if x != y {
            // Little-endian: the first differing byte is the lowest one.
            return same + (x ^ y).trailing_zeros() as usize / 8;
        }
        same += 8;
    }
    same + a[same..].iter().zip(&b[same..]).take_while(|(x, y)| x == y).count()
}

/// How many bytes `a` and `b` end with in common, eight at a time.
fn common_suffix(a: &[u8], b: &[u8]) -> usize {
    let (mut a8, mut b8) = (a.rchunks_exact(8), b.rchunks_exact(8));
    let mut same = 0;
    for (x, y) in (&mut a8).zip(&mut b8) {
        let (x, y) = (u64::from_le_bytes(x.try_into().unwrap()), u64::from_le_bytes(y.try_into().unwrap()));
        if x != y {
            // The last differing byte is the highest one.
            return same + (x ^ y).leading_zeros() as usize / 8;
        }
        same += 8;
    }
    let (a, b) = (&a[..a.len() - same], &b[..b.len() - same]);
    same + a.iter().rev().zip(b.iter().rev()).take_while(|(x, y)| x == y).count()
}

/// Whether text `new`, in place of the verbatim text `old`, is again one
/// text token taken verbatim, that every insertion mode treats as it
/// treated `old`:
/// - no `<` (no markup) and no `&` (no character reference: with `old`'s
///   own `&`, new characters could complete one), no NUL (dropped or
///   replaced), no CR (normalized before parsing);
/// - not empty (the node would vanish);
/// - whitespace-only exactly when `old` is: tables foster-parent text
///   with anything else in it, and column groups and framesets keep only
///   whitespace;
/// - no newline first unless `old` had one: right after `<pre>`,
///   `<listing>` and `<textarea>` it would be dropped.
fn parses_like(old: &str, new: &str) -> bool {
    let whitespace = |s: &str| s.bytes().all(|b| matches!(b, b'\t' | b'\n' | b'\x0c' | b'\r' | b' '));
    !new.is_empty()
        && !new.bytes().any(|b| matches!(b, b'<' | b'&' | b'\0' | b'\r'))
        && whitespace(old) == whitespace(new)
        && (!new.starts_with('\n') || old.starts_with('\n'))
}

/// The text of the text node at `path`.
fn text_at<'t>(nodes: &'t mut [Node], path: &[u32]) -> Option<&'t mut String> {
    let (&last, parents) = path.split_last()?;
    let mut siblings = nodes;
    for &i in parents {
        match siblings.get_mut(i as usize)? {
            Node::Element { children, .. } => siblings = children,
            _ => return None,
        }
    }
    match siblings.get_mut(last as usize)? {
        Node::Text(text) => Some(text),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse;
    use proptest::prelude::*;

    proptest! {
        /// Word at a time, the same counts as byte by byte: strings that
        /// share a random start and end around a random middle.
        #[test]
        fn common_prefix_and_suffix_count_like_a_byte_loop(
            start in proptest::collection::vec(0u8..4, 0..40),
            middle_a in proptest::collection::vec(0u8..4, 0..20),
            middle_b in proptest::collection::vec(0u8..4, 0..20),
            end in proptest::collection::vec(0u8..4, 0..40),
        ) {
            let a = [&start[..], &middle_a, &end].concat();
            let b = [&start[..], &middle_b, &end].concat();
            let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
            let suffix = a.iter().rev().zip(b.iter().rev()).take_while(|(x, y)| x == y).count();
            prop_assert_eq!(common_prefix(&a, &b), prefix);
            prop_assert_eq!(common_suffix(&a, &b), suffix);
        }
    }

    const COUNTER: &str = "<div data-liveview-root>\n    <h1>Counter: 9</h1>\n    <button @click=\"increment\">+</button>\n</div>";

    // html5ever reports no spans: these two are about the lean parser's.
    #[cfg(not(feature = "html5ever"))]
    #[test]
    fn a_counter_change_is_one_set_text_without_a_parse() {
        let mut doc = Document::parse(COUNTER.into());
        let next = COUNTER.replace("9", "10");
        assert_eq!(doc.text_edit(&next), Some(vec![Patch::SetText { path: vec![0, 1, 0], text: "Counter: 10".into() }]));
        doc.source = next.clone();
        assert_eq!(doc.tree(), parse(&next));
        // And again from there: the spans moved with the edit.
        let again = next.replace("10", "11").replace('+', "plus");
        let patches = doc.update(again.clone());
        assert_eq!(patches, diff(&parse(&next), &parse(&again)));
        assert_eq!(doc.tree(), parse(&again));
    }

    #[test]
    fn what_the_parser_could_treat_differently_takes_the_full_path() {
        let cases = [
            ("<p>a</p>", "<p>a<b>x</b></p>"),
            ("<p>a</p>", "<p>&amp;</p>"),
            ("<p>x &amp y</p>", "<p>x &ampz y</p>"),
            ("<p>a</p>", "<p></p>"),
            ("<table> </table>", "<table>x</table>"),
            ("<pre>a</pre>", "<pre>\na</pre>"),
            ("<p>a</p>", "<p>a\r</p>"),
            ("<p>a</p>", "<p>a\0</p>"),
            ("<p>a</p><p>b</p>", "<p>ab</p><p>b</p>x"),
        ];
        for (old, new) in cases {
            let mut doc = Document::parse(old.into());
            assert_eq!(doc.text_edit(new), None, "{old:?} -> {new:?}");
            assert_eq!(doc.update(new.into()), diff(&parse(old), &parse(new)), "{old:?} -> {new:?}");
            assert_eq!(doc.tree(), parse(new), "{old:?} -> {new:?}");
        }
    }

    #[cfg(not(feature = "html5ever"))]
    #[test]
    fn text_with_a_reference_or_merged_from_two_tokens_has_no_span() {
        let mut spans = Vec::new();
        parse_with_spans("<p>a &amp; b</p><p>c < d</p><p>plain</p><pre>\nx</pre>", &mut spans);
        let spans: Vec<_> = spans.iter().map(|s| (s.start, s.end, s.path.clone())).collect();
        assert_eq!(spans, vec![(31, 36, vec![2, 0])]);
    }

    #[test]
    fn the_same_html_is_no_patch() {
        let mut doc = Document::parse(COUNTER.into());
        assert_eq!(doc.text_edit(COUNTER), Some(vec![]));
    }
}
