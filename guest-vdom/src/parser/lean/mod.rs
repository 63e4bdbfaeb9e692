//! The lean parser: a compact implementation of the WHATWG HTML parsing
//! algorithm for fragments, covering what templates produce — character
//! references (the full named table), raw-text and escapable raw-text
//! elements, implied end tags (`p`, `li`, `dt`/`dd`, `option`, table parts),
//! the table insertion modes with implied `<tbody>`/`<tr>` and foster
//! parenting, the active formatting elements with the adoption agency, the
//! form pointer, `select` as the 2025 "customizable select" change parses
//! it, `<template>` content with its own insertion mode, and SVG/MathML with
//! their case adjustments. It never
//! fails and never panics. `tests/differential.rs` holds it to html5ever's
//! tree, misnested formatting elements (the adoption agency) included.
//!
//! Layout: `tokenizer` (tags, attributes, character references, raw text,
//! with the named references' table in `entities`) feeds `builder` (the tree
//! construction: insertion modes, the stack of open elements, active
//! formatting elements, foreign content).

mod builder;
mod entities;
mod tokenizer;

pub use builder::MAX_DEPTH;

use crate::tree::{Namespace, Node, TextSpan};
use builder::Builder;
use tokenizer::Tokenizer;

pub fn parse(html: &str) -> Vec<Node> {
    parse_in(html, "body", Namespace::Html)
}

/// Parse an HTML fragment as the children of a `context` element: `<tr>`
/// only survives inside a table section, for example.
pub fn parse_in(html: &str, context: &str, namespace: Namespace) -> Vec<Node> {
    parse_in_with_spans(html, context, namespace, &mut Vec::new())
}

/// [`parse`], also noting each text node that is one stretch of `html`
/// verbatim (in `spans`, by start): what lets an edit inside such a stretch
/// skip the parse (`crate::edit`).
pub fn parse_with_spans(html: &str, spans: &mut Vec<TextSpan>) -> Vec<Node> {
    parse_in_with_spans(html, "body", Namespace::Html, spans)
}

fn parse_in_with_spans(html: &str, context: &str, namespace: Namespace, spans: &mut Vec<TextSpan>) -> Vec<Node> {
    // The input stream's newline normalization (offsets then no longer
    // match `html`: no spans).
    let normalized = html.contains('\r');
    let input: std::borrow::Cow<'_, str> = if normalized {
        html.replace("\r\n", "\n").replace('\r', "\n").into()
    } else {
        html.into()
    };
    let mut builder = Builder::new(context, namespace, input.len());
    Tokenizer::new(&input).run(&mut builder);
    let nodes = builder.finish(spans);
    if normalized {
        spans.clear();
    }
    nodes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::to_html;

    fn roundtrip(html: &str) -> String {
        to_html(&parse(html))
    }

    #[test]
    fn elements_attributes_and_character_references() {
        assert_eq!(
            roundtrip("<DIV Class=a id='b' hidden>x &amp; y&nbsp;&lt;<br></div>"),
            "<div class=\"a\" id=\"b\" hidden=\"\">x &amp; y&nbsp;&lt;<br></div>"
        );
        assert_eq!(roundtrip("&notit; &copy &#x41;&#65;&#x80;"), "¬it; © AA€");
        assert_eq!(roundtrip("<a href='?a=1&copy=2'>"), "<a href=\"?a=1&amp;copy=2\"></a>");
        assert_eq!(roundtrip("<p a=1 a=2></p>"), "<p a=\"1\"></p>");
    }

    #[test]
    fn implied_end_tags() {
        assert_eq!(roundtrip("<ul><li>a<li>b</ul></span>"), "<ul><li>a</li><li>b</li></ul>");
        assert_eq!(roundtrip("<p>a<div>b</div>"), "<p>a</p><div>b</div>");
        assert_eq!(roundtrip("<dl><dt>a<dd>b<dt>c</dl>"), "<dl><dt>a</dt><dd>b</dd><dt>c</dt></dl>");
        assert_eq!(roundtrip("<select><option>a<option>b</select>"), "<select><option>a</option><option>b</option></select>");
        assert_eq!(roundtrip("</p>x"), "<p></p>x");
    }

    #[test]
    fn tables_get_their_implied_sections_and_foster_parent_stray_content() {
        assert_eq!(roundtrip("<table><tr><td>a<td>b</table>"), "<table><tbody><tr><td>a</td><td>b</td></tr></tbody></table>");
        assert_eq!(roundtrip("<table>x<tr><td>a</td></tr></table>"), "x<table><tbody><tr><td>a</td></tr></tbody></table>");
        assert_eq!(roundtrip("<table>\n <tr><td>a</td></tr>\n</table>"), "<table>\n <tbody><tr><td>a</td></tr>\n</tbody></table>");
        assert_eq!(roundtrip("<tr><td>a</td></tr>"), "a");
        assert_eq!(to_html(&parse_in("<tr><td>a</td></tr>", "tbody", Namespace::Html)), "<tr><td>a</td></tr>");
    }

    #[test]
    fn raw_text_and_escapable_raw_text() {
        assert_eq!(roundtrip("<script>a<b && c</script><!-- x -->"), "<script>a<b && c</script><!-- x -->");
        assert_eq!(roundtrip("<textarea>\n&lt;x</textarea><title>&amp;</title>"), "<textarea>&lt;x</textarea><title>&amp;</title>");
    }

    #[test]
    fn svg_gets_its_namespace_and_case() {
        assert_eq!(
            roundtrip("<svg viewbox='0 0 1 1'><path d='M0'/><foreignobject><p>x</p></foreignobject></svg>"),
            "<svg viewBox=\"0 0 1 1\"><path d=\"M0\"></path><foreignObject><p>x</p></foreignObject></svg>"
        );
    }

    fn depth(nodes: &[Node]) -> usize {
        nodes
            .iter()
            .map(|n| match n {
                Node::Element { children, .. } => 1 + depth(children),
                _ => 1,
            })
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn trees_are_no_deeper_than_chromium_builds_them() {
        let deep = "<div>".repeat(3_000) + "x";
        let tree = parse(&deep);
        assert!(depth(&tree) <= MAX_DEPTH + 1, "{}", depth(&tree));
        let formatting = "<b><i><p>".repeat(1_000);
        assert!(depth(&parse(&formatting)) <= MAX_DEPTH + 1);
        // Diffing and serializing such a tree stays within the stack.
        let _ = crate::diff(&tree, &parse(&deep.replace('x', "y")));
        let html = to_html(&tree);
        assert!(html.contains("</div>x</div>"), "past the cap, nodes become siblings");
    }

    #[test]
    fn never_panics_on_garbage() {
        for input in [
            "<", "</", "<a", "<a b='", "&#xFFFFFFFF;", "<!--", "<<>>", "&", "<a/b>", "é<é", "<a é=1 ü>", "&ééé;",
            "<table><td><table><td>", "<template><td></template>", "<svg><desc><p></svg>", "\0<p\0>", "<frameset>",
            "<html><body><head>", "</p></br>", "<math><mi><svg>", "</", "</>", "<!>", "<?x>", "<select><table>",
            // A cell or caption start inside a template inside a cell once recursed forever.
            "<table><td><template><td><tr><caption>", "<table><caption><template><tr>",
        ] {
            let _ = roundtrip(input);
        }
        assert_eq!(roundtrip("a < b"), "a &lt; b");
    }
}

