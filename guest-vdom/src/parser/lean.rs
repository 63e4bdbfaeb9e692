//! The lean parser: a small hand-written HTML fragment parser. It never
//! fails and never panics: it recovers from any input (stray end tags are
//! ignored, unclosed elements close at the end, a `<` that starts no tag is
//! text). It is not the WHATWG algorithm: it knows void and raw-text
//! elements, the common character references, and the implied end tags of
//! `li` and `p`, but not table fix-ups, foster parenting or the adoption
//! agency; `parse_in` ignores its context. Build with the `html5ever`
//! feature for the browser's algorithm (see `docs/vdom.md` for the
//! measurements behind the default).

use crate::tree::{Namespace, Node};

/// Elements with no content and no end tag.
const VOID_ELEMENTS: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr",
];

/// Elements whose content is raw text.
const RAW_TEXT_ELEMENTS: &[&str] = &["script", "style", "xmp", "iframe", "noembed", "noframes"];

/// Parse an HTML fragment as the children of a `context` element; the lean
/// parser parses every fragment the same way.
pub fn parse_in(html: &str, _context: &str, _namespace: Namespace) -> Vec<Node> {
    parse(html)
}

/// Parse an HTML fragment into its top-level nodes.
pub fn parse(html: &str) -> Vec<Node> {
    let mut builder = Builder::default();
    let mut rest = html;
    while !rest.is_empty() {
        rest = if let Some(after) = rest.strip_prefix("<!--") {
            let (data, tail) = after.split_once("-->").unwrap_or((after, ""));
            builder.append(Node::Comment(data.to_string()));
            tail
        } else if let Some(after) = strip_prefix_ci(rest, "<!doctype") {
            let (decl, tail) = after.split_once('>').unwrap_or((after, ""));
            builder.append(Node::Doctype(decl.trim().to_ascii_lowercase()));
            tail
        } else if let Some(after) = rest.strip_prefix("</").filter(|a| starts_with_letter(a)) {
            let (name, tail) = tag_name(after);
            builder.close(&name);
            tail.split_once('>').map_or("", |(_, t)| t)
        } else if let Some(after) = rest.strip_prefix('<').filter(|a| starts_with_letter(a)) {
            let (tail, name) = builder.start_tag(after);
            if RAW_TEXT_ELEMENTS.contains(&name.as_str()) || name == "textarea" || name == "title" {
                let (text, tail) = until_end_tag(tail, &name);
                if !text.is_empty() {
                    let text = if name == "textarea" || name == "title" { decode(text) } else { text.to_string() };
                    builder.append_text(&text);
                }
                builder.close(&name);
                tail
            } else {
                tail
            }
        } else {
            // Text up to the next `<` that could start markup (at least one character).
            let first = first_char_len(rest);
            let end = rest[first..].find('<').map_or(rest.len(), |i| i + first);
            builder.append_text(&decode(&rest[..end]));
            &rest[end..]
        };
    }
    builder.finish()
}

#[derive(Default)]
struct Builder {
    /// Open elements, innermost last; each holds its children so far.
    open: Vec<Node>,
    top: Vec<Node>,
}

impl Builder {
    fn children(&mut self) -> &mut Vec<Node> {
        match self.open.last_mut() {
            Some(Node::Element { children, .. }) => children,
            _ => &mut self.top,
        }
    }

    fn append(&mut self, node: Node) {
        self.children().push(node);
    }

    /// Text merges with a preceding text sibling, as in the DOM.
    fn append_text(&mut self, text: &str) {
        let children = self.children();
        match children.last_mut() {
            Some(Node::Text(prev)) => prev.push_str(text),
            _ => children.push(Node::Text(text.to_string())),
        }
    }

    /// Parse a start tag after its `<`; returns the input after the tag and the tag name.
    fn start_tag<'a>(&mut self, input: &'a str) -> (&'a str, String) {
        let (name, mut rest) = tag_name(input);
        let mut attributes: Vec<(String, String)> = Vec::new();
        loop {
            rest = rest.trim_start_matches(|c: char| c.is_ascii_whitespace() || c == '/');
            if rest.is_empty() {
                break;
            }
            if let Some(after) = rest.strip_prefix('>') {
                rest = after;
                break;
            }
            let first = first_char_len(rest);
            let name_end = rest[first..]
                .find(|c: char| c.is_ascii_whitespace() || c == '/' || c == '>' || c == '=')
                .map_or(rest.len(), |i| i + first);
            let attr = rest[..name_end].to_ascii_lowercase();
            rest = rest[name_end..].trim_start_matches(|c: char| c.is_ascii_whitespace());
            let mut value = String::new();
            if let Some(after) = rest.strip_prefix('=') {
                let after = after.trim_start_matches(|c: char| c.is_ascii_whitespace());
                let (raw, tail) = match after.chars().next() {
                    Some(q @ ('"' | '\'')) => after[1..].split_once(q).unwrap_or((&after[1..], "")),
                    _ => {
                        let end = after
                            .find(|c: char| c.is_ascii_whitespace() || c == '>')
                            .unwrap_or(after.len());
                        after.split_at(end)
                    }
                };
                value = decode(raw);
                rest = tail;
            }
            if !attributes.iter().any(|(n, _)| *n == attr) {
                attributes.push((attr, value));
            }
        }
        self.implied_end(&name);
        let namespace = match (name.as_str(), self.namespace()) {
            ("svg", _) => Namespace::Svg,
            ("math", _) => Namespace::MathMl,
            (_, ns) => ns,
        };
        let element = Node::Element {
            name: name.clone(),
            namespace,
            attributes,
            children: Vec::new(),
        };
        if VOID_ELEMENTS.contains(&name.as_str()) && namespace == Namespace::Html {
            self.append(element);
        } else {
            self.open.push(element);
        }
        (rest, name)
    }

    fn namespace(&self) -> Namespace {
        match self.open.last() {
            Some(Node::Element { namespace, .. }) => *namespace,
            _ => Namespace::Html,
        }
    }

    /// The few implied end tags this parser knows: a new `li` closes an open
    /// `li`, a new block closes an open `p`.
    fn implied_end(&mut self, name: &str) {
        let closes_p = matches!(
            name,
            "p" | "div" | "ul" | "ol" | "table" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "section" | "form"
        );
        if let Some(Node::Element { name: open, .. }) = self.open.last() {
            if (name == "li" && open == "li") || (closes_p && open == "p") {
                self.pop();
            }
        }
    }

    fn close(&mut self, name: &str) {
        let is_open = self
            .open
            .iter()
            .any(|n| matches!(n, Node::Element { name: open, .. } if open == name));
        if is_open {
            while let Some(Node::Element { name: open, .. }) = self.pop() {
                if open == name {
                    break;
                }
            }
        }
    }

    /// Close the innermost open element, attaching it to its parent; returns a copy of its name.
    fn pop(&mut self) -> Option<Node> {
        let node = self.open.pop()?;
        let header = match &node {
            Node::Element { name, .. } => Node::Element {
                name: name.clone(),
                namespace: Namespace::Html,
                attributes: Vec::new(),
                children: Vec::new(),
            },
            other => other.clone(),
        };
        self.append(node);
        Some(header)
    }

    fn finish(mut self) -> Vec<Node> {
        while self.pop().is_some() {}
        self.top
    }
}

fn first_char_len(s: &str) -> usize {
    s.chars().next().map_or(0, char::len_utf8)
}

fn starts_with_letter(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphabetic())
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &s[prefix.len()..])
}

fn tag_name(input: &str) -> (String, &str) {
    let end = input
        .find(|c: char| c.is_ascii_whitespace() || c == '/' || c == '>')
        .unwrap_or(input.len());
    (input[..end].to_ascii_lowercase(), &input[end..])
}

/// Split raw text at the matching `</name` (case-insensitive).
fn until_end_tag<'a>(input: &'a str, name: &str) -> (&'a str, &'a str) {
    let lower = input.to_ascii_lowercase();
    let needle = format!("</{name}");
    match lower.find(&needle) {
        Some(i) => {
            let tail = &input[i + needle.len()..];
            (&input[..i], tail.split_once('>').map_or("", |(_, t)| t))
        }
        None => (input, ""),
    }
}

/// Decode the character references this parser knows; others stay as written.
fn decode(text: &str) -> String {
    if !text.contains('&') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let window = &rest.as_bytes()[..rest.len().min(12)];
        let Some(semi) = window.iter().position(|&b| b == b';') else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..semi];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some('\u{a0}'),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .map(|n| char::from_u32(n).filter(|&c| c != '\0').unwrap_or('\u{fffd}')),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::to_html;

    fn roundtrip(html: &str) -> String {
        to_html(&parse(html))
    }

    #[test]
    fn parses_elements_attributes_and_text() {
        assert_eq!(
            roundtrip("<DIV Class=a id='b' hidden>x &amp; y<br></div>"),
            "<div class=\"a\" id=\"b\" hidden=\"\">x &amp; y<br></div>"
        );
    }

    #[test]
    fn duplicate_attribute_keeps_the_first() {
        assert_eq!(roundtrip("<p a=1 a=2></p>"), "<p a=\"1\"></p>");
    }

    #[test]
    fn implied_and_stray_end_tags() {
        assert_eq!(roundtrip("<ul><li>a<li>b</ul></span>"), "<ul><li>a</li><li>b</li></ul>");
        assert_eq!(roundtrip("<p>a<div>b</div>"), "<p>a</p><div>b</div>");
    }

    #[test]
    fn raw_text_and_comments() {
        assert_eq!(roundtrip("<script>a<b && c</script><!-- x -->"), "<script>a<b && c</script><!-- x -->");
        assert_eq!(roundtrip("<textarea>&lt;x</textarea>"), "<textarea>&lt;x</textarea>");
    }

    #[test]
    fn never_panics_on_garbage() {
        for input in ["<", "</", "<a", "<a b='", "&#xFFFFFFFF;", "<!--", "<<>>", "&", "<a/b>", "é<é", "<svg><path/></svg>", "<a é=1 ü>", "&ééééééééé;", "<p\u{0}>"] {
            let _ = roundtrip(input);
        }
        assert_eq!(roundtrip("a < b"), "a &lt; b");
    }
}
