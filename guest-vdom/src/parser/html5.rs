//! The html5ever parser (feature `html5ever`): the WHATWG parsing
//! algorithm browsers implement (implied end tags, foster parenting of table
//! content, raw-text elements, character references, adoption agency…), so
//! the tree is the one a browser builds for `element.innerHTML = html`.
//! It never fails: like a browser, it recovers from any input.

use crate::tree::{Namespace, Node};
use html5ever::interface::{ElementFlags, NodeOrText, QuirksMode, TreeSink};
use html5ever::tendril::{StrTendril, TendrilSink};
use html5ever::{Attribute, LocalName, ParseOpts, QualName, local_name, ns};
use std::borrow::Cow;
use std::cell::{Ref, RefCell};

/// Parse an HTML fragment as the children of a `<body>` element.
pub fn parse(html: &str) -> Vec<Node> {
    parse_in(html, "body", Namespace::Html)
}

/// Parse an HTML fragment as the children of a `context` element (a tag name
/// in `namespace`): `<tr>` only survives inside a table section, for
/// example. This is how patches carrying HTML are applied.
pub fn parse_in(html: &str, context: &str, namespace: Namespace) -> Vec<Node> {
    let context = QualName::new(None, namespace_of(namespace), LocalName::from(context));
    let sink = Arena::default();
    let opts = ParseOpts::default();
    let document = html5ever::driver::parse_fragment(sink, opts, context, Vec::new(), true).one(html);
    document.into_fragment()
}

fn namespace_of(namespace: Namespace) -> html5ever::Namespace {
    match namespace {
        Namespace::Html => ns!(html),
        Namespace::Svg => ns!(svg),
        Namespace::MathMl => ns!(mathml),
    }
}

type Handle = usize;

/// The tree under construction: nodes in an arena, linked by index.
#[derive(Default)]
struct Arena {
    nodes: RefCell<Vec<ArenaNode>>,
}

struct ArenaNode {
    parent: Option<Handle>,
    children: Vec<Handle>,
    data: Data,
}

enum Data {
    Document,
    Element {
        name: QualName,
        attributes: Vec<(String, String)>,
        /// A `<template>`'s contents (a separate fragment in the DOM).
        contents: Option<Handle>,
    },
    Text(String),
    Comment(String),
    /// Processing instructions do not occur in HTML; kept so every handle is valid.
    Ignored,
}

/// What `elem_name` answers for a handle that is not an element (never
/// asked by the tree builder, but a sink must not panic).
static NO_NAME: std::sync::LazyLock<QualName> =
    std::sync::LazyLock::new(|| QualName::new(None, ns!(html), local_name!("")));

impl Arena {
    fn push(&self, data: Data) -> Handle {
        let mut nodes = self.nodes.borrow_mut();
        nodes.push(ArenaNode {
            parent: None,
            children: Vec::new(),
            data,
        });
        nodes.len() - 1
    }

    fn detach(nodes: &mut [ArenaNode], child: Handle) {
        if let Some(parent) = nodes[child].parent.take() {
            nodes[parent].children.retain(|&c| c != child);
        }
    }

    /// Insert `child` into `parent` at `index`, merging text into an
    /// adjacent text node as the DOM does.
    fn insert(&self, parent: Handle, index: usize, child: NodeOrText<Handle>) {
        let mut nodes = self.nodes.borrow_mut();
        match child {
            NodeOrText::AppendText(text) => {
                if index > 0 {
                    let prev = nodes[parent].children[index - 1];
                    if let Data::Text(existing) = &mut nodes[prev].data {
                        existing.push_str(&text);
                        return;
                    }
                }
                drop(nodes);
                let node = self.push(Data::Text(text.to_string()));
                let mut nodes = self.nodes.borrow_mut();
                nodes[node].parent = Some(parent);
                nodes[parent].children.insert(index, node);
            }
            NodeOrText::AppendNode(node) => {
                Self::detach(&mut nodes, node);
                let index = index.min(nodes[parent].children.len());
                nodes[node].parent = Some(parent);
                nodes[parent].children.insert(index, node);
            }
        }
    }

    /// The children of the fragment's root `<html>` element, as a tree.
    fn into_fragment(self) -> Vec<Node> {
        let nodes = self.nodes.into_inner();
        let root = nodes[0]
            .children
            .iter()
            .copied()
            .find(|&c| matches!(nodes[c].data, Data::Element { .. }));
        match root {
            Some(root) => nodes[root].children.iter().filter_map(|&c| build(&nodes, c)).collect(),
            None => Vec::new(),
        }
    }
}

fn build(nodes: &[ArenaNode], handle: Handle) -> Option<Node> {
    let node = &nodes[handle];
    Some(match &node.data {
        Data::Element {
            name,
            attributes,
            contents,
        } => {
            let namespace = if name.ns == ns!(svg) {
                Namespace::Svg
            } else if name.ns == ns!(mathml) {
                Namespace::MathMl
            } else {
                Namespace::Html
            };
            // A template's contents serialize as its children; keep them there.
            let kids = contents.map_or(&node.children, |c| &nodes[c].children);
            Node::Element {
                name: name.local.to_string(),
                namespace,
                attributes: attributes.clone(),
                children: kids.iter().filter_map(|&c| build(nodes, c)).collect(),
            }
        }
        Data::Text(text) => Node::Text(text.clone()),
        Data::Comment(text) => Node::Comment(text.clone()),
        Data::Document | Data::Ignored => return None,
    })
}

fn attribute_name(attr: &Attribute) -> String {
    match &attr.name.prefix {
        Some(prefix) => format!("{prefix}:{}", attr.name.local),
        None => attr.name.local.to_string(),
    }
}

impl TreeSink for Arena {
    type Handle = Handle;
    type Output = Arena;
    type ElemName<'a> = Ref<'a, QualName>;

    fn finish(self) -> Arena {
        self
    }

    fn parse_error(&self, _msg: Cow<'static, str>) {}

    fn get_document(&self) -> Handle {
        if self.nodes.borrow().is_empty() {
            self.push(Data::Document);
        }
        0
    }

    fn elem_name<'a>(&'a self, target: &'a Handle) -> Ref<'a, QualName> {
        Ref::map(self.nodes.borrow(), |nodes| match nodes.get(*target).map(|n| &n.data) {
            Some(Data::Element { name, .. }) => name,
            _ => &NO_NAME,
        })
    }

    fn create_element(&self, name: QualName, attrs: Vec<Attribute>, flags: ElementFlags) -> Handle {
        self.get_document();
        let mut attributes: Vec<(String, String)> = Vec::with_capacity(attrs.len());
        for attr in &attrs {
            let key = attribute_name(attr);
            // The tokenizer already drops duplicates; keep the first regardless.
            if !attributes.iter().any(|(k, _)| *k == key) {
                attributes.push((key, attr.value.to_string()));
            }
        }
        let contents = flags.template.then(|| self.push(Data::Document));
        self.push(Data::Element {
            name,
            attributes,
            contents,
        })
    }

    fn create_comment(&self, text: StrTendril) -> Handle {
        self.push(Data::Comment(text.to_string()))
    }

    fn create_pi(&self, _target: StrTendril, _data: StrTendril) -> Handle {
        self.push(Data::Ignored)
    }

    fn append(&self, parent: &Handle, child: NodeOrText<Handle>) {
        // Chromium's depth cap (see the lean parser): html5ever has none, and
        // a deeper tree would exhaust the guest's stack in recursive passes.
        let parent = {
            let nodes = self.nodes.borrow();
            let mut depth = 0;
            let mut cursor = Some(*parent);
            while let Some(n) = cursor {
                depth += 1;
                cursor = nodes[n].parent;
            }
            match nodes[*parent].parent {
                Some(grandparent) if depth > super::lean::MAX_DEPTH => grandparent,
                _ => *parent,
            }
        };
        let index = self.nodes.borrow()[parent].children.len();
        self.insert(parent, index, child);
    }

    fn append_based_on_parent_node(&self, element: &Handle, prev_element: &Handle, child: NodeOrText<Handle>) {
        if self.nodes.borrow()[*element].parent.is_some() {
            self.append_before_sibling(element, child);
        } else {
            self.append(prev_element, child);
        }
    }

    fn append_doctype_to_document(&self, _name: StrTendril, _public_id: StrTendril, _system_id: StrTendril) {
        // A doctype in a fragment is a parse error and is ignored.
    }

    fn get_template_contents(&self, target: &Handle) -> Handle {
        match self.nodes.borrow()[*target].data {
            Data::Element {
                contents: Some(contents),
                ..
            } => contents,
            _ => *target,
        }
    }

    fn same_node(&self, x: &Handle, y: &Handle) -> bool {
        x == y
    }

    fn set_quirks_mode(&self, _mode: QuirksMode) {}

    fn append_before_sibling(&self, sibling: &Handle, new_node: NodeOrText<Handle>) {
        let (parent, index) = {
            let nodes = self.nodes.borrow();
            let Some(parent) = nodes[*sibling].parent else { return };
            let index = nodes[parent].children.iter().position(|c| c == sibling).unwrap_or(0);
            (parent, index)
        };
        self.insert(parent, index, new_node);
    }

    fn add_attrs_if_missing(&self, target: &Handle, attrs: Vec<Attribute>) {
        let mut nodes = self.nodes.borrow_mut();
        if let Data::Element { attributes, .. } = &mut nodes[*target].data {
            for attr in &attrs {
                let key = attribute_name(attr);
                if !attributes.iter().any(|(k, _)| *k == key) {
                    attributes.push((key, attr.value.to_string()));
                }
            }
        }
    }

    fn remove_from_parent(&self, target: &Handle) {
        Self::detach(&mut self.nodes.borrow_mut(), *target);
    }

    fn reparent_children(&self, node: &Handle, new_parent: &Handle) {
        let mut nodes = self.nodes.borrow_mut();
        let children = std::mem::take(&mut nodes[*node].children);
        for &child in &children {
            nodes[child].parent = Some(*new_parent);
        }
        nodes[*new_parent].children.extend(children);
    }
}

#[cfg(test)]
mod tests {
    //! The lean parser's unit tests state the expected trees; the
    //! differential property tests hold both parsers to each other. These
    //! only check what is particular to this sink.
    use super::*;
    use crate::tree::to_html;

    #[test]
    fn fragments_are_parsed_in_their_context() {
        assert_eq!(to_html(&parse("<tr><td>a</td></tr>")), "a");
        assert_eq!(to_html(&parse_in("<tr><td>a</td></tr>", "tbody", Namespace::Html)), "<tr><td>a</td></tr>");
    }

    #[test]
    fn template_contents_become_children() {
        assert_eq!(to_html(&parse("<template><p>x</p></template>")), "<template><p>x</p></template>");
    }

    #[test]
    fn adjacent_text_merges_and_garbage_never_panics() {
        assert_eq!(parse("a<!---->b").len(), 3);
        for input in ["<", "</", "<table><td><table><td>", "<template><td></template>", "\0<p\0>", "<frameset>"] {
            let _ = to_html(&parse(input));
        }
    }
}
