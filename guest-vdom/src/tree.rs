//! The tree the guest keeps, its serialization, and its flattened form.

/// One node of a parsed fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Element {
        name: String,
        namespace: Namespace,
        /// In source order; a repeated name keeps its first value, as browsers do.
        attributes: Vec<(String, String)>,
        children: Vec<Node>,
    },
    Text(String),
    Comment(String),
    Doctype(String),
}

/// A text node whose data is a stretch of the HTML it was parsed from,
/// verbatim: bytes `start..end`, at `path` in the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextSpan {
    pub start: usize,
    pub end: usize,
    pub path: Vec<u32>,
}

/// The kind of a [`FlatNode`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    Element,
    Text,
    Comment,
    Doctype,
}

/// The namespace the parser gave an element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Namespace {
    Html,
    Svg,
    MathMl,
}

/// A node of a tree flattened in document order (WIT has no recursive types).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlatNode {
    pub parent: Option<u32>,
    pub kind: NodeKind,
    pub name: String,
    pub data: String,
    pub namespace: Namespace,
    pub attributes: Vec<(String, String)>,
}

/// HTML elements serialized without an end tag (the serialization algorithm's list).
const VOID_ELEMENTS: &[&str] = &[
    "area", "base", "basefont", "bgsound", "br", "col", "embed", "frame", "hr", "img", "input", "keygen", "link",
    "meta", "param", "source", "track", "wbr",
];

/// HTML elements whose text children are serialized unescaped (`noscript`
/// because browsers parse with scripting enabled).
const RAW_TEXT_ELEMENTS: &[&str] = &[
    "style", "script", "xmp", "iframe", "noembed", "noframes", "plaintext", "noscript",
];

/// Serialize nodes as `innerHTML` does.
pub fn to_html(nodes: &[Node]) -> String {
    let mut out = String::new();
    for node in nodes {
        write_node(node, false, &mut out);
    }
    out
}

pub(crate) fn node_html(node: &Node) -> String {
    let mut out = String::new();
    write_node(node, false, &mut out);
    out
}

fn write_node(node: &Node, raw_parent: bool, out: &mut String) {
    match node {
        Node::Element {
            name,
            namespace,
            attributes,
            children,
        } => {
            let html = *namespace == Namespace::Html;
            out.push('<');
            out.push_str(name);
            for (k, v) in attributes {
                out.push(' ');
                out.push_str(k);
                out.push_str("=\"");
                escape(v, true, out);
                out.push('"');
            }
            out.push('>');
            if html && VOID_ELEMENTS.contains(&name.as_str()) {
                return;
            }
            let raw = html && RAW_TEXT_ELEMENTS.contains(&name.as_str());
            for child in children {
                write_node(child, raw, out);
            }
            out.push_str("</");
            out.push_str(name);
            out.push('>');
        }
        Node::Text(text) if raw_parent => out.push_str(text),
        Node::Text(text) => escape(text, false, out),
        Node::Comment(data) => {
            out.push_str("<!--");
            out.push_str(data);
            out.push_str("-->");
        }
        Node::Doctype(name) => {
            out.push_str("<!DOCTYPE ");
            out.push_str(name);
            out.push('>');
        }
    }
}

/// The HTML serialization algorithm's escaping: `&`, no-break space, `<`
/// and `>`, and `"` in attributes (escaping `<` `>` in attribute values is
/// the 2025 change Chromium ships).
fn escape(text: &str, attribute: bool, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '\u{a0}' => out.push_str("&nbsp;"),
            '"' if attribute => out.push_str("&quot;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
}

/// Flatten in document order, each node naming its parent's index.
pub fn flatten(nodes: &[Node]) -> Vec<FlatNode> {
    let mut flat = Vec::new();
    for node in nodes {
        flatten_into(node, None, &mut flat);
    }
    flat
}

fn flatten_into(node: &Node, parent: Option<u32>, flat: &mut Vec<FlatNode>) {
    let index = flat.len() as u32;
    let (kind, name, data, namespace, attributes, children): (_, _, _, _, _, &[Node]) = match node {
        Node::Element {
            name,
            namespace,
            attributes,
            children,
        } => (NodeKind::Element, name.clone(), String::new(), *namespace, attributes.clone(), children),
        Node::Text(t) => (NodeKind::Text, String::new(), t.clone(), Namespace::Html, Vec::new(), &[]),
        Node::Comment(c) => (NodeKind::Comment, String::new(), c.clone(), Namespace::Html, Vec::new(), &[]),
        Node::Doctype(d) => (NodeKind::Doctype, d.clone(), String::new(), Namespace::Html, Vec::new(), &[]),
    };
    flat.push(FlatNode {
        parent,
        kind,
        name,
        data,
        namespace,
        attributes,
    });
    for child in children {
        flatten_into(child, Some(index), flat);
    }
}
