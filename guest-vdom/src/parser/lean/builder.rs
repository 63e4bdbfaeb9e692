//! The tree builder: the WHATWG tree construction rules for the insertion
//! modes fragments of a page meet, over an arena of nodes attached as they
//! are inserted (so the adoption agency and foster parenting can move them).

use super::tokenizer::Token;
use crate::tree::{Namespace, Node, TextSpan};


/// An open element: its name and namespace, and its node in the arena.
struct Open {
    name: String,
    namespace: Namespace,
    /// Index of its node in `Builder::nodes` (also its identity in the
    /// list of active formatting elements).
    id: u32,
    /// For a `<template>`: the insertion mode its content settled on (the
    /// spec's stack of template insertion modes, kept with each template).
    template_mode: Option<Mode>,
}

/// A node of the tree under construction. Nodes are attached to their
/// parent when inserted, as in the DOM, so the adoption agency can move them.
struct ArenaNode {
    parent: Option<usize>,
    children: Vec<usize>,
    data: Data,
    /// For a text node that is exactly one stretch of the input, verbatim:
    /// that stretch's byte range.
    span: Option<(usize, usize)>,
}

enum Data {
    Element { name: String, namespace: Namespace, attributes: Vec<(String, String)> },
    Text(String),
    Comment(String),
}

/// An entry of the list of active formatting elements.
enum Formatting {
    /// Set at cells, captions and similar: reconstruction stops here.
    Marker,
    /// A formatting element (its id while open) to re-open where it was cut off.
    Element { id: u32, name: String, attributes: Vec<(String, String)> },
}

const FORMATTING: &[&str] = &["a", "b", "big", "code", "em", "font", "i", "nobr", "s", "small", "strike", "strong", "tt", "u"];

pub(super) struct Builder {
    /// Every node created, the context element first (index 0).
    nodes: Vec<ArenaNode>,
    /// Open elements; `stack[0]` is the context element, whose children are the result.
    stack: Vec<Open>,
    /// Skip one newline right after `<pre>`, `<listing>` or `<textarea>`.
    pub(super) skip_newline: bool,
    /// Whether the last start tag opened an HTML element (raw text follows only then).
    pub(super) last_html: bool,
    /// The list of active formatting elements.
    formatting: Vec<Formatting>,
    /// The open `<form>`: forms do not nest.
    form: Option<u32>,
    /// The input range of the text token being processed, when its text is
    /// the input verbatim (no character reference, no NUL).
    pub(super) text_span: Option<(usize, usize)>,
}

const SPECIAL: &[&str] = &[
    "address", "applet", "area", "article", "aside", "base", "basefont", "bgsound", "blockquote", "body", "br",
    "button", "caption", "center", "col", "colgroup", "dd", "details", "dir", "div", "dl", "dt", "embed", "fieldset",
    "figcaption", "figure", "footer", "form", "frame", "frameset", "h1", "h2", "h3", "h4", "h5", "h6", "head",
    "header", "hgroup", "hr", "html", "iframe", "img", "input", "keygen", "li", "link", "listing", "main", "marquee",
    "menu", "meta", "nav", "noembed", "noframes", "noscript", "object", "ol", "p", "param", "plaintext", "pre",
    "script", "search", "section", "select", "source", "style", "summary", "table", "tbody", "td", "template",
    "textarea", "tfoot", "th", "thead", "title", "tr", "track", "ul", "wbr", "xmp",
];

const CLOSES_P: &[&str] = &[
    "address", "article", "aside", "blockquote", "center", "details", "dialog", "dir", "div", "dl", "fieldset",
    "figcaption", "figure", "footer", "header", "hgroup", "main", "menu", "nav", "ol", "p", "search", "section",
    "summary", "ul",
];

const VOID: &[&str] = &["area", "br", "embed", "img", "keygen", "wbr", "input", "param", "source", "track", "hr", "col", "base", "basefont", "bgsound", "link", "meta", "frame"];

/// Chromium's `kMaximumHTMLParserDOMTreeDepth`.
pub const MAX_DEPTH: usize = 512;

const HEADINGS: &[&str] = &["h1", "h2", "h3", "h4", "h5", "h6"];

const IMPLIED_END: &[&str] = &["dd", "dt", "li", "optgroup", "option", "p", "rb", "rp", "rt", "rtc"];

const TABLE_SECTIONS: &[&str] = &["tbody", "tfoot", "thead"];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    Body,
    Table,
    TableBody,
    Row,
    Cell,
    Caption,
    ColumnGroup,
    /// In a `<template>` whose content has not yet shown what it is.
    Template,
}

impl Builder {
    pub(super) fn new(context: &str, namespace: Namespace, size_hint: usize) -> Builder {
        let mut nodes = Vec::with_capacity(1 + size_hint / 16);
        nodes.push(ArenaNode {
            parent: None,
            children: Vec::new(),
            span: None,
            data: Data::Element {
                name: context.to_string(),
                namespace,
                attributes: Vec::new(),
            },
        });
        let mut stack = Vec::with_capacity(16);
        stack.push(Open {
            name: context.to_string(),
            namespace,
            id: 0,
            template_mode: None,
        });
        Builder {
            nodes,
            stack,
            skip_newline: false,
            last_html: false,
            formatting: Vec::new(),
            form: None,
            text_span: None,
        }
    }

    pub(super) fn last_inserted_is_html(&self, name: &str) -> bool {
        self.last_html && self.stack.len() > 1 && self.current().name == name
    }

    fn current(&self) -> &Open {
        self.stack.last().expect("the context element stays")
    }

    fn current_is(&self, names: &[&str]) -> bool {
        let c = self.current();
        c.namespace == Namespace::Html && names.contains(&c.name.as_str()) && self.stack.len() > 1
    }

    /// The insertion mode, reset from the stack of open elements (the
    /// spec's "reset the insertion mode appropriately").
    fn mode(&self) -> Mode {
        for (i, el) in self.stack.iter().enumerate().rev() {
            if el.namespace != Namespace::Html {
                continue;
            }
            let last = i == 0;
            match el.name.as_str() {
                "template" => return el.template_mode.unwrap_or(Mode::Template),
                // Since the 2025 "customizable select" change a select's
                // content is parsed as body content (see `body_start`).
                "td" | "th" if !last => return Mode::Cell,
                "tr" => return Mode::Row,
                "tbody" | "thead" | "tfoot" => return Mode::TableBody,
                "caption" => return Mode::Caption,
                "colgroup" => return Mode::ColumnGroup,
                "table" => return Mode::Table,
                _ => {}
            }
            if last {
                return Mode::Body;
            }
            // An element with the stack below it: keep looking only for table and select ancestry.
        }
        Mode::Body
    }

    /// Whether the current node is foreign (SVG or MathML) and not an
    /// integration point whose content is HTML.
    fn in_foreign(&self) -> bool {
        self.stack.len() > 1 && self.current().namespace != Namespace::Html && !self.at_integration_point()
    }

    fn at_integration_point(&self) -> bool {
        let c = self.current();
        (c.namespace == Namespace::Svg && matches!(c.name.as_str(), "foreignObject" | "desc" | "title"))
            || (c.namespace == Namespace::MathMl && matches!(c.name.as_str(), "mi" | "mo" | "mn" | "ms" | "mtext"))
    }

    /// The tree construction dispatcher: foreign content rules apply in a
    /// foreign element, except to start tags and text at an integration point.
    pub(super) fn process(&mut self, token: Token) {
        let foreign = self.stack.len() > 1
            && self.current().namespace != Namespace::Html
            && !(self.at_integration_point() && matches!(token, Token::Start { .. } | Token::Text(_)));
        if foreign {
            return self.foreign(token);
        }
        self.process_html(token);
    }

    fn process_html(&mut self, token: Token) {
        match self.mode() {
            Mode::Cell => self.in_cell(token),
            Mode::Caption => self.in_caption(token),
            Mode::Body => self.in_body(token),
            Mode::Table | Mode::TableBody | Mode::Row => self.in_table(token),
            Mode::ColumnGroup => self.in_column_group(token),
            Mode::Template => self.in_template(token),
        }
    }

    // ------------------------------------------------------------ inserting

    /// Foster parenting applies when content would land directly in a table part.
    fn foster_applies(&self) -> bool {
        self.current_is(&["table", "tbody", "tfoot", "thead", "tr"])
    }

    /// Where a node goes: (parent, index among its children). With foster
    /// parenting, right before the innermost open table.
    fn insertion_point(&self, foster: bool) -> (usize, usize) {
        if foster && self.foster_applies() {
            if let Some(point) = self.before_table() {
                return point;
            }
        }
        let mut parent = self.current().id as usize;
        // Chromium's depth cap: past MAX_DEPTH open elements, nodes go to
        // the current node's parent, so no tree is deeper than that (and no
        // recursion over it can exhaust a stack).
        if self.stack.len() > MAX_DEPTH {
            parent = self.nodes[parent].parent.unwrap_or(parent);
        }
        (parent, self.nodes[parent].children.len())
    }

    /// The foster-parenting location: just before the innermost open table.
    fn before_table(&self) -> Option<(usize, usize)> {
        let last = |name: &str| self.stack.iter().rposition(|e| e.name == name && e.namespace == Namespace::Html);
        // Inside a template opened after the last table, content goes to the template's end.
        if let Some(template) = last("template") {
            if last("table").is_none_or(|table| template > table) {
                let node = self.stack[template].id as usize;
                return Some((node, self.nodes[node].children.len()));
            }
        }
        let t = last("table")?;
        let table = self.stack[t].id as usize;
        match self.nodes[table].parent {
            Some(parent) => Some((parent, self.nodes[parent].children.iter().position(|&c| c == table).unwrap_or(0))),
            None if t > 0 => {
                let parent = self.stack[t - 1].id as usize;
                Some((parent, self.nodes[parent].children.len()))
            }
            None => None,
        }
    }

    /// Attach `node` (detached) to `parent` at `index`, merging text into a
    /// preceding text node as the DOM does.
    fn attach(&mut self, parent: usize, index: usize, node: usize) {
        if index > 0 {
            let prev = self.nodes[parent].children[index - 1];
            if let (Data::Text(_), Data::Text(_)) = (&self.nodes[prev].data, &self.nodes[node].data) {
                let Data::Text(text) = std::mem::replace(&mut self.nodes[node].data, Data::Text(String::new())) else {
                    unreachable!()
                };
                if let Data::Text(existing) = &mut self.nodes[prev].data {
                    existing.push_str(&text);
                }
                // Two stretches of input now: no longer one verbatim span.
                self.nodes[prev].span = None;
                return;
            }
        }
        self.nodes[node].parent = Some(parent);
        self.nodes[parent].children.insert(index, node);
    }

    fn detach(&mut self, node: usize) {
        if let Some(parent) = self.nodes[node].parent.take() {
            self.nodes[parent].children.retain(|&c| c != node);
        }
    }

    fn new_node(&mut self, data: Data) -> usize {
        self.nodes.push(ArenaNode {
            parent: None,
            children: Vec::new(),
            data,
            span: None,
        });
        self.nodes.len() - 1
    }

    fn insert_data(&mut self, data: Data, foster: bool) -> usize {
        let node = self.new_node(data);
        let (parent, index) = self.insertion_point(foster);
        self.attach(parent, index, node);
        node
    }

    fn insert_node(&mut self, node: Node, foster: bool) {
        let data = match node {
            Node::Text(t) => Data::Text(t),
            Node::Comment(c) => Data::Comment(c),
            Node::Element { .. } | Node::Doctype(_) => return,
        };
        self.insert_data(data, foster);
    }

    pub(super) fn insert_text(&mut self, mut text: String, foster: bool) {
        if self.skip_newline {
            self.skip_newline = false;
            if let Some(stripped) = text.strip_prefix('\n') {
                text = stripped.to_string();
            }
        }
        if text.is_empty() {
            return;
        }
        // The token's span is this node's only if nothing was dropped from
        // its text (a NUL, a leading newline) and it starts a node of its own.
        let span = self.text_span.take().filter(|(start, end)| end - start == text.len());
        let node = self.insert_data(Data::Text(text), foster);
        if self.nodes[node].parent.is_some() {
            self.nodes[node].span = span;
        }
    }

    fn insert_element(&mut self, name: String, namespace: Namespace, attributes: Vec<(String, String)>, void: bool, foster: bool) {
        self.skip_newline = false;
        self.last_html = namespace == Namespace::Html && !void;
        let data = Data::Element {
            name: name.clone(),
            namespace,
            attributes,
        };
        let id = self.insert_data(data, foster) as u32;
        if !void {
            self.stack.push(Open { name, namespace, id, template_mode: None });
        }
    }

    fn pop(&mut self) {
        if self.stack.len() > 1 {
            self.stack.pop();
        }
    }

    fn pop_until(&mut self, names: &[&str]) {
        while self.stack.len() > 1 {
            let done = {
                let c = self.current();
                c.namespace == Namespace::Html && names.contains(&c.name.as_str())
            };
            self.pop();
            if done {
                break;
            }
        }
    }

    fn is_open(&self, id: u32) -> bool {
        self.stack.iter().any(|e| e.id == id)
    }

    /// Insert a formatting element and remember it as active.
    fn insert_formatting(&mut self, name: String, attributes: Vec<(String, String)>, foster: bool) {
        self.insert_element(name.clone(), Namespace::Html, attributes.clone(), false, foster);
        let id = self.current().id;
        // The "Noah's Ark" clause: at most three identical entries after the
        // last marker (without it, `<b><p>` repeated grows quadratically).
        let since_marker = self.formatting.iter().rposition(|f| matches!(f, Formatting::Marker)).map_or(0, |m| m + 1);
        let same: Vec<usize> = (since_marker..self.formatting.len())
            .filter(|&i| matches!(&self.formatting[i], Formatting::Element { name: n, attributes: a, .. } if *n == name && *a == attributes))
            .collect();
        if same.len() >= 3 {
            self.formatting.remove(same[0]);
        }
        self.formatting.push(Formatting::Element { id, name, attributes });
    }

    /// Re-open the active formatting elements that were closed by something
    /// else (the spec's "reconstruct the active formatting elements").
    fn reconstruct(&mut self, foster: bool) {
        let mut first = self.formatting.len();
        while first > 0 {
            match &self.formatting[first - 1] {
                Formatting::Marker => break,
                Formatting::Element { id, .. } if self.is_open(*id) => break,
                Formatting::Element { .. } => first -= 1,
            }
        }
        for i in first..self.formatting.len() {
            let Formatting::Element { name, attributes, .. } = &self.formatting[i] else { continue };
            let (name, attributes) = (name.clone(), attributes.clone());
            self.insert_element(name.clone(), Namespace::Html, attributes.clone(), false, foster);
            let id = self.current().id;
            self.formatting[i] = Formatting::Element { id, name, attributes };
        }
    }

    fn clear_formatting_to_marker(&mut self) {
        while let Some(entry) = self.formatting.pop() {
            if matches!(entry, Formatting::Marker) {
                break;
            }
        }
    }

    fn is_special(open: &Open) -> bool {
        match open.namespace {
            Namespace::Html => SPECIAL.contains(&open.name.as_str()),
            Namespace::MathMl => matches!(open.name.as_str(), "mi" | "mo" | "mn" | "ms" | "mtext" | "annotation-xml"),
            Namespace::Svg => matches!(open.name.as_str(), "foreignObject" | "desc" | "title"),
        }
    }

    fn formatting_position(&self, id: u32) -> Option<usize> {
        self.formatting
            .iter()
            .position(|f| matches!(f, Formatting::Element { id: i, .. } if *i == id))
    }

    /// A copy of element `id` (same name and attributes), not yet attached.
    fn clone_element(&mut self, id: u32) -> u32 {
        let data = match &self.nodes[id as usize].data {
            Data::Element { name, namespace, attributes } => Data::Element {
                name: name.clone(),
                namespace: *namespace,
                attributes: attributes.clone(),
            },
            _ => unreachable!("formatting entries are elements"),
        };
        self.new_node(data) as u32
    }

    /// The adoption agency algorithm for the end tag `subject` (and for a
    /// new `<a>` while one is active). Returns `false` when the end tag must
    /// be handled as "any other end tag".
    fn adoption_agency(&mut self, subject: &str) -> bool {
        let current = self.current();
        if current.namespace == Namespace::Html
            && current.name == subject
            && self.formatting_position(current.id).is_none()
            && self.stack.len() > 1
        {
            self.pop();
            return true;
        }
        for _ in 0..8 {
            // The last active formatting element of that name, after the last marker.
            let mut found = None;
            for (i, f) in self.formatting.iter().enumerate().rev() {
                match f {
                    Formatting::Marker => break,
                    Formatting::Element { id, name, .. } if name == subject => {
                        found = Some((i, *id));
                        break;
                    }
                    Formatting::Element { .. } => {}
                }
            }
            let Some((_, fe)) = found else { return false };
            let Some(fe_pos) = self.stack.iter().position(|o| o.id == fe) else {
                let i = self.formatting_position(fe).expect("found above");
                self.formatting.remove(i);
                return true;
            };
            if !self.in_scope(&[subject], &[]) {
                return true;
            }
            let Some(fb_pos) = (fe_pos + 1..self.stack.len()).find(|&i| Self::is_special(&self.stack[i])) else {
                while self.stack.len() > fe_pos {
                    self.pop();
                }
                let i = self.formatting_position(fe).expect("found above");
                self.formatting.remove(i);
                return true;
            };
            let common_ancestor = self.stack[fe_pos - 1].id as usize;
            let furthest_block = self.stack[fb_pos].id;
            let mut bookmark = self.formatting_position(fe).expect("found above");
            let mut node_pos = fb_pos;
            let mut last_node = furthest_block;
            let mut inner = 0;
            loop {
                inner += 1;
                node_pos -= 1;
                let node = self.stack[node_pos].id;
                if node == fe {
                    break;
                }
                let mut entry = self.formatting_position(node);
                if inner > 3 {
                    if let Some(i) = entry.take() {
                        self.formatting.remove(i);
                        if i < bookmark {
                            bookmark -= 1;
                        }
                    }
                }
                let Some(entry) = entry else {
                    self.stack.remove(node_pos);
                    continue;
                };
                let copy = self.clone_element(node);
                if let Formatting::Element { id, .. } = &mut self.formatting[entry] {
                    *id = copy;
                }
                self.stack[node_pos].id = copy;
                if last_node == furthest_block {
                    bookmark = entry + 1;
                }
                self.detach(last_node as usize);
                let end = self.nodes[copy as usize].children.len();
                self.attach(copy as usize, end, last_node as usize);
                last_node = copy;
            }
            // Put the chain where the formatting element's parent would take it.
            self.detach(last_node as usize);
            let ca = &self.nodes[common_ancestor].data;
            let fosters = matches!(ca, Data::Element { name, namespace: Namespace::Html, .. }
                if matches!(name.as_str(), "table" | "tbody" | "tfoot" | "thead" | "tr"));
            let (parent, index) = match self.before_table().filter(|_| fosters) {
                Some(point) => point,
                None => (common_ancestor, self.nodes[common_ancestor].children.len()),
            };
            self.attach(parent, index, last_node as usize);
            // A fresh formatting element takes the furthest block's children.
            let copy = self.clone_element(fe);
            let children = std::mem::take(&mut self.nodes[furthest_block as usize].children);
            for &child in &children {
                self.nodes[child].parent = Some(copy as usize);
            }
            self.nodes[copy as usize].children = children;
            let end = self.nodes[furthest_block as usize].children.len();
            self.attach(furthest_block as usize, end, copy as usize);
            let fe_entry = self.formatting_position(fe).expect("still listed");
            let (name, attributes) = match &self.formatting[fe_entry] {
                Formatting::Element { name, attributes, .. } => (name.clone(), attributes.clone()),
                Formatting::Marker => unreachable!(),
            };
            self.formatting.remove(fe_entry);
            if fe_entry < bookmark {
                bookmark -= 1;
            }
            self.formatting.insert(bookmark.min(self.formatting.len()), Formatting::Element { id: copy, name, attributes });
            let fe_pos = self.stack.iter().position(|o| o.id == fe).expect("still open");
            let open = self.stack.remove(fe_pos);
            let fb_pos = self.stack.iter().position(|o| o.id == furthest_block).expect("still open");
            self.stack.insert(fb_pos + 1, Open { id: copy, ..open });
        }
        true
    }

    fn in_scope(&self, target: &[&str], extra_boundaries: &[&str]) -> bool {
        for el in self.stack.iter().skip(1).rev() {
            if el.namespace == Namespace::Html && target.contains(&el.name.as_str()) {
                return true;
            }
            let boundary = match el.namespace {
                Namespace::Html => {
                    matches!(el.name.as_str(), "applet" | "caption" | "html" | "table" | "td" | "th" | "marquee" | "object" | "template" | "select")
                        || extra_boundaries.contains(&el.name.as_str())
                }
                Namespace::MathMl => matches!(el.name.as_str(), "mi" | "mo" | "mn" | "ms" | "mtext" | "annotation-xml"),
                Namespace::Svg => matches!(el.name.as_str(), "foreignObject" | "desc" | "title"),
            };
            if boundary {
                return false;
            }
        }
        false
    }

    fn in_table_scope(&self, target: &[&str]) -> bool {
        for el in self.stack.iter().skip(1).rev() {
            if el.namespace == Namespace::Html && target.contains(&el.name.as_str()) {
                return true;
            }
            if el.namespace == Namespace::Html && matches!(el.name.as_str(), "html" | "table" | "template") {
                return false;
            }
        }
        false
    }

    fn close_p(&mut self) {
        if self.in_scope(&["p"], &["button"]) {
            self.implied_end_except(Some("p"));
            self.pop_until(&["p"]);
        }
    }

    fn implied_end_except(&mut self, except: Option<&str>) {
        while self.current_is(IMPLIED_END) && Some(self.current().name.as_str()) != except {
            self.pop();
        }
    }

    // ------------------------------------------------------------ modes

    fn in_body(&mut self, token: Token) {
        self.body(token, false);
    }

    /// A template's first start tag decides how its content parses.
    fn in_template(&mut self, token: Token) {
        let settled = match &token {
            // Head content goes in without deciding anything.
            Token::Start { name, .. }
                if matches!(
                    name.as_str(),
                    "base" | "basefont" | "bgsound" | "link" | "meta" | "noframes" | "script" | "style" | "template" | "title"
                ) =>
            {
                None
            }
            Token::Start { name, .. } => Some(match name.as_str() {
                "caption" | "colgroup" | "tbody" | "tfoot" | "thead" => Mode::Table,
                "col" => Mode::ColumnGroup,
                "tr" => Mode::TableBody,
                "td" | "th" => Mode::Row,
                _ => Mode::Body,
            }),
            _ => None,
        };
        match (settled, token) {
            (Some(mode), token) => {
                if let Some(template) = self.stack.iter_mut().rev().find(|o| o.name == "template" && o.namespace == Namespace::Html) {
                    template.template_mode = Some(mode);
                }
                self.process(token);
            }
            // Before any element, only `</template>` ends anything.
            (None, Token::End { name }) => {
                if name == "template" {
                    self.end_template();
                }
            }
            (None, token) => self.in_body(token),
        }
    }

    fn in_template_content(&self) -> bool {
        self.stack.iter().any(|o| o.name == "template" && o.namespace == Namespace::Html)
    }

    /// `</template>`: close everything opened inside it.
    fn end_template(&mut self) {
        if self.stack.iter().skip(1).any(|o| o.name == "template" && o.namespace == Namespace::Html) {
            while self.current_is(IMPLIED_END) || self.current_is(&["caption", "colgroup", "tbody", "td", "tfoot", "th", "thead", "tr"]) {
                self.pop();
            }
            self.pop_until(&["template"]);
            self.clear_formatting_to_marker();
        }
    }

    /// In a cell: table structure closes the cell; everything else is body content.
    fn in_cell(&mut self, token: Token) {
        let closes = match &token {
            Token::Start { name, .. } => {
                matches!(name.as_str(), "caption" | "col" | "colgroup" | "tbody" | "td" | "tfoot" | "th" | "thead" | "tr")
            }
            Token::End { name } => {
                if matches!(name.as_str(), "td" | "th") {
                    if self.in_table_scope(&[name.as_str()]) {
                        self.implied_end_except(None);
                        self.pop_until(&["td", "th"]);
                        self.clear_formatting_to_marker();
                    }
                    return;
                }
                matches!(name.as_str(), "table" | "tbody" | "tfoot" | "thead" | "tr") && self.in_table_scope(&[name.as_str()])
            }
            _ => false,
        };
        if closes {
            // Without a cell in table scope the token is ignored (reprocessing
            // it would come straight back here).
            if !self.in_table_scope(&["td", "th"]) {
                return;
            }
            self.implied_end_except(None);
            self.pop_until(&["td", "th"]);
            self.clear_formatting_to_marker();
            return self.process(token);
        }
        if matches!(&token, Token::End { name } if matches!(name.as_str(), "body" | "caption" | "col" | "colgroup" | "html")) {
            return;
        }
        self.in_body(token);
    }

    fn in_caption(&mut self, token: Token) {
        let closes = match &token {
            Token::Start { name, .. } => {
                matches!(name.as_str(), "caption" | "col" | "colgroup" | "tbody" | "td" | "tfoot" | "th" | "thead" | "tr")
            }
            Token::End { name } => matches!(name.as_str(), "caption" | "table"),
            _ => false,
        };
        if closes {
            if !self.in_table_scope(&["caption"]) {
                return;
            }
            self.implied_end_except(None);
            self.pop_until(&["caption"]);
            self.clear_formatting_to_marker();
            if matches!(&token, Token::End { name } if name == "caption") {
                return;
            }
            return self.process(token);
        }
        self.in_body(token);
    }

    fn body(&mut self, token: Token, foster: bool) {
        match token {
            Token::Text(text) => {
                let mut text = if text.contains('\0') { text.replace('\0', "") } else { text };
                if std::mem::take(&mut self.skip_newline) {
                    if let Some(stripped) = text.strip_prefix('\n') {
                        text = stripped.to_string();
                    }
                }
                if !text.is_empty() {
                    self.reconstruct(foster);
                }
                self.insert_text(text, foster);
            }
            Token::Comment(data) => self.insert_node(Node::Comment(data), foster),
            Token::Start { name, attributes, self_closing } => self.body_start(name, attributes, self_closing, foster),
            Token::End { name } => self.body_end(&name, foster),
        }
    }

    fn body_start(&mut self, name: String, attributes: Vec<(String, String)>, self_closing: bool, foster: bool) {
        let n = name.as_str();
        match n {
            "html" | "body" | "head" | "frameset" | "frame" | "caption" | "col" | "colgroup" | "tbody" | "td"
            | "tfoot" | "th" | "thead" | "tr" => {}
            "template" => {
                self.insert_element(name, Namespace::Html, attributes, false, foster);
                self.formatting.push(Formatting::Marker);
            }
            "svg" | "math" => {
                self.reconstruct(foster);
                let ns = if n == "svg" { Namespace::Svg } else { Namespace::MathMl };
                let attributes = adjust_attributes(attributes, ns);
                self.insert_element(name, ns, attributes, self_closing, foster);
            }
            _ if CLOSES_P.contains(&n) => {
                self.close_p();
                self.insert_element(name, Namespace::Html, attributes, false, foster);
            }
            _ if HEADINGS.contains(&n) => {
                self.close_p();
                if self.current_is(HEADINGS) {
                    self.pop();
                }
                self.insert_element(name, Namespace::Html, attributes, false, foster);
            }
            "pre" | "listing" => {
                self.close_p();
                self.insert_element(name, Namespace::Html, attributes, false, foster);
                self.skip_newline = true;
            }
            "form" => {
                let in_template = self.in_template_content();
                if self.form.is_some() && !in_template {
                    return;
                }
                self.close_p();
                self.insert_element(name, Namespace::Html, attributes, false, foster);
                if !in_template {
                    self.form = Some(self.current().id);
                }
            }
            "plaintext" | "xmp" => {
                self.close_p();
                self.insert_element(name, Namespace::Html, attributes, false, foster);
            }
            "li" | "dd" | "dt" => {
                let closes: &[&str] = if n == "li" { &["li"] } else { &["dd", "dt"] };
                for i in (1..self.stack.len()).rev() {
                    let el = &self.stack[i];
                    let el_name = el.name.clone();
                    if el.namespace == Namespace::Html && closes.contains(&el_name.as_str()) {
                        self.implied_end_except(Some(&el_name));
                        self.pop_until(&[el_name.as_str()]);
                        break;
                    }
                    let special = el.namespace != Namespace::Html || SPECIAL.contains(&el_name.as_str());
                    if special && !matches!(el_name.as_str(), "address" | "div" | "p") {
                        break;
                    }
                }
                self.close_p();
                self.insert_element(name, Namespace::Html, attributes, false, foster);
            }
            "button" => {
                if self.in_scope(&["button"], &[]) {
                    self.implied_end_except(None);
                    self.pop_until(&["button"]);
                }
                self.reconstruct(foster);
                self.insert_element(name, Namespace::Html, attributes, false, foster);
            }
            "a" => {
                let active_a = self
                    .formatting
                    .iter()
                    .rev()
                    .take_while(|f| !matches!(f, Formatting::Marker))
                    .find_map(|f| match f {
                        Formatting::Element { id, name, .. } if name == "a" => Some(*id),
                        _ => None,
                    });
                if let Some(id) = active_a {
                    self.adoption_agency("a");
                    if let Some(i) = self.formatting_position(id) {
                        self.formatting.remove(i);
                    }
                    if let Some(i) = self.stack.iter().position(|o| o.id == id) {
                        self.stack.remove(i);
                    }
                }
                self.reconstruct(foster);
                self.insert_formatting(name, attributes, foster);
            }
            "nobr" => {
                self.reconstruct(foster);
                if self.in_scope(&["nobr"], &[]) {
                    self.adoption_agency("nobr");
                    self.reconstruct(foster);
                }
                self.insert_formatting(name, attributes, foster);
            }
            _ if FORMATTING.contains(&n) => {
                self.reconstruct(foster);
                self.insert_formatting(name, attributes, foster);
            }
            "hr" => {
                self.close_p();
                if self.in_scope(&["select"], &[]) {
                    self.implied_end_except(None);
                }
                self.insert_element(name, Namespace::Html, attributes, true, foster);
            }
            "image" => self.body_start("img".into(), attributes, self_closing, foster),
            "textarea" => {
                self.insert_element(name, Namespace::Html, attributes, false, foster);
                self.skip_newline = true;
            }
            "table" => {
                self.close_p();
                self.insert_element(name, Namespace::Html, attributes, false, foster);
            }
            "select" => {
                if self.in_scope(&["select"], &[]) {
                    self.pop_until(&["select"]);
                    return;
                }
                self.reconstruct(foster);
                self.insert_element(name, Namespace::Html, attributes, false, foster);
            }
            "option" | "optgroup" => {
                if self.in_scope(&["select"], &[]) {
                    self.implied_end_except(if n == "option" { Some("optgroup") } else { None });
                } else if self.current_is(&["option"]) {
                    self.pop();
                }
                self.reconstruct(foster);
                self.insert_element(name, Namespace::Html, attributes, false, foster);
            }
            "applet" | "marquee" | "object" => {
                self.reconstruct(foster);
                self.insert_element(name, Namespace::Html, attributes, false, foster);
                self.formatting.push(Formatting::Marker);
            }
            "area" | "br" | "embed" | "img" | "keygen" | "wbr" | "input" => {
                self.reconstruct(foster);
                self.insert_element(name, Namespace::Html, attributes, true, foster);
            }
            _ if VOID.contains(&n) => self.insert_element(name, Namespace::Html, attributes, true, foster),
            _ => {
                self.reconstruct(foster);
                self.insert_element(name, Namespace::Html, attributes, false, foster);
            }
        }
    }

    fn body_end(&mut self, name: &str, foster: bool) {
        match name {
            "p" => {
                if !self.in_scope(&["p"], &["button"]) {
                    self.insert_element("p".into(), Namespace::Html, Vec::new(), false, foster);
                }
                self.implied_end_except(Some("p"));
                self.pop_until(&["p"]);
            }
            "li" => {
                if self.in_scope(&["li"], &["ol", "ul"]) {
                    self.implied_end_except(Some("li"));
                    self.pop_until(&["li"]);
                }
            }
            "dd" | "dt" => {
                if self.in_scope(&[name], &[]) {
                    self.implied_end_except(Some(name));
                    self.pop_until(&[name]);
                }
            }
            _ if HEADINGS.contains(&name) => {
                if self.in_scope(HEADINGS, &[]) {
                    self.implied_end_except(None);
                    self.pop_until(HEADINGS);
                }
            }
            "form" if self.in_template_content() => {
                if self.in_scope(&["form"], &[]) {
                    self.implied_end_except(None);
                    self.pop_until(&["form"]);
                }
            }
            "form" => {
                let Some(id) = self.form.take() else { return };
                if self.in_scope(&["form"], &[]) && self.stack.iter().any(|o| o.id == id) {
                    self.implied_end_except(None);
                    let position = self.stack.iter().position(|o| o.id == id).expect("checked");
                    self.stack.remove(position);
                }
            }
            "template" => self.end_template(),
            "select" => {
                if self.in_scope(&["select"], &[]) {
                    self.implied_end_except(None);
                    self.pop_until(&["select"]);
                }
            }
            "applet" | "marquee" | "object" => {
                if self.in_scope(&[name], &[]) {
                    self.implied_end_except(None);
                    self.pop_until(&[name]);
                    self.clear_formatting_to_marker();
                }
            }
            "br" => {
                self.reconstruct(foster);
                self.insert_element("br".into(), Namespace::Html, Vec::new(), true, foster)
            }
            _ if FORMATTING.contains(&name) && self.adoption_agency(name) => {}
            "body" | "html" => {}
            _ if CLOSES_P.contains(&name) || matches!(name, "button" | "pre" | "listing" | "xmp") => {
                if self.in_scope(&[name], &[]) {
                    self.implied_end_except(None);
                    self.pop_until(&[name]);
                }
            }
            _ => {
                // Any other end tag: close the nearest open element of that
                // name, unless a special element stands in between.
                for i in (1..self.stack.len()).rev() {
                    let el = &self.stack[i];
                    if el.namespace == Namespace::Html && el.name == name {
                        self.implied_end_except(Some(name));
                        while self.stack.len() > i {
                            self.pop();
                        }
                        return;
                    }
                    if el.namespace == Namespace::Html && SPECIAL.contains(&el.name.as_str()) {
                        return;
                    }
                }
            }
        }
    }

    fn in_table(&mut self, token: Token) {
        match token {
            Token::Text(text) => {
                // Whitespace stays in the table; anything else is fostered out.
                let text = text.replace('\0', "");
                let in_table_text = self.foster_applies();
                if in_table_text && text.chars().all(|c| matches!(c, ' ' | '\t' | '\n' | '\x0c' | '\r')) {
                    self.insert_text(text, false);
                } else {
                    self.body(Token::Text(text), true);
                }
            }
            Token::Comment(data) => self.insert_node(Node::Comment(data), false),
            Token::Start { name, attributes, self_closing } => {
                let mode = self.mode();
                // Table structure closes an open row or section first (or is
                // ignored when there is none to close).
                let structure = matches!(name.as_str(), "caption" | "col" | "colgroup" | "tbody" | "tfoot" | "thead");
                if mode == Mode::Row && (structure || name == "tr") {
                    if self.close_row() {
                        self.process(Token::Start { name, attributes, self_closing });
                    }
                    return;
                }
                if mode == Mode::TableBody && structure {
                    if self.close_section() {
                        self.process(Token::Start { name, attributes, self_closing });
                    }
                    return;
                }
                match name.as_str() {
                    "caption" => {
                        self.clear_to(&["table"]);
                        self.insert_element(name, Namespace::Html, attributes, false, false);
                        self.formatting.push(Formatting::Marker);
                    }
                    "colgroup" => {
                        self.clear_to(&["table"]);
                        self.insert_element(name, Namespace::Html, attributes, false, false);
                    }
                    "col" => {
                        self.clear_to(&["table"]);
                        self.insert_element("colgroup".into(), Namespace::Html, Vec::new(), false, false);
                        self.process(Token::Start { name, attributes, self_closing });
                    }
                    "tbody" | "tfoot" | "thead" => {
                        if mode != Mode::Table && !self.close_section() {
                            return;
                        }
                        self.clear_to(&["table"]);
                        self.insert_element(name, Namespace::Html, attributes, false, false);
                    }
                    "tr" => {
                        if mode == Mode::Row && !self.close_row() {
                            return;
                        }
                        if self.mode() == Mode::Table {
                            self.clear_to(&["table"]);
                            self.insert_element("tbody".into(), Namespace::Html, Vec::new(), false, false);
                        }
                        self.clear_to(TABLE_SECTIONS);
                        self.insert_element(name, Namespace::Html, attributes, false, false);
                    }
                    "td" | "th" => match self.mode() {
                        Mode::Table => {
                            self.clear_to(&["table"]);
                            self.insert_element("tbody".into(), Namespace::Html, Vec::new(), false, false);
                            self.process(Token::Start { name, attributes, self_closing });
                        }
                        Mode::TableBody => {
                            self.clear_to(TABLE_SECTIONS);
                            self.insert_element("tr".into(), Namespace::Html, Vec::new(), false, false);
                            self.process(Token::Start { name, attributes, self_closing });
                        }
                        _ => {
                            self.clear_to(&["tr"]);
                            self.insert_element(name, Namespace::Html, attributes, false, false);
                            self.formatting.push(Formatting::Marker);
                        }
                    },
                    "table" => {
                        if self.in_table_scope(&["table"]) {
                            self.pop_until(&["table"]);
                            self.process(Token::Start { name, attributes, self_closing });
                        }
                    }
                    "style" | "script" => {
                        self.insert_element(name, Namespace::Html, attributes, false, false);
                    }
                    "template" => {
                        self.insert_element(name, Namespace::Html, attributes, false, false);
                        self.formatting.push(Formatting::Marker);
                    }
                    "form" => {
                        // A form in a table goes in as an empty element
                        // (and not at all inside a template).
                        if self.form.is_none() && !self.in_template_content() {
                            self.insert_element(name, Namespace::Html, attributes, false, false);
                            self.form = Some(self.current().id);
                            self.pop();
                        }
                    }
                    "input"
                        if attributes
                            .iter()
                            .any(|(k, v)| k == "type" && v.eq_ignore_ascii_case("hidden")) =>
                    {
                        self.insert_element(name, Namespace::Html, attributes, true, false);
                    }
                    _ => self.body(Token::Start { name, attributes, self_closing }, true),
                }
            }
            Token::End { name } => match name.as_str() {
                "table" => match self.mode() {
                    // A row or section closes first, then the table (if there is one).
                    Mode::Row => {
                        if self.close_row() {
                            self.process(Token::End { name });
                        }
                    }
                    Mode::TableBody => {
                        if self.close_section() {
                            self.process(Token::End { name });
                        }
                    }
                    _ => {
                        if self.in_table_scope(&["table"]) {
                            self.pop_until(&["table"]);
                        }
                    }
                },
                "tbody" | "tfoot" | "thead" => {
                    if self.in_table_scope(&[name.as_str()]) {
                        self.clear_to(TABLE_SECTIONS);
                        self.pop();
                    }
                }
                "tr" => {
                    self.close_row();
                }
                "body" | "caption" | "col" | "colgroup" | "html" | "td" | "th" => {}
                _ => self.body(Token::End { name }, true),
            },
        }
    }

    /// Pop until the current node is one of `names` (or table, template, html).
    fn clear_to(&mut self, names: &[&str]) {
        while self.stack.len() > 1 {
            let c = self.current();
            if c.namespace == Namespace::Html && (names.contains(&c.name.as_str()) || matches!(c.name.as_str(), "table" | "template" | "html")) {
                break;
            }
            self.pop();
        }
    }

    fn close_row(&mut self) -> bool {
        if !self.in_table_scope(&["tr"]) {
            return false;
        }
        self.clear_to(&["tr"]);
        self.pop();
        true
    }

    fn close_section(&mut self) -> bool {
        if !self.in_table_scope(TABLE_SECTIONS) {
            return false;
        }
        self.clear_to(TABLE_SECTIONS);
        self.pop();
        true
    }

    fn in_column_group(&mut self, token: Token) {
        match token {
            Token::Text(text) if text.chars().all(|c| c.is_ascii_whitespace()) => self.insert_text(text, false),
            Token::Comment(data) => self.insert_node(Node::Comment(data), false),
            Token::Start { name, attributes, .. } if name == "col" => {
                self.insert_element(name, Namespace::Html, attributes, true, false)
            }
            Token::End { name } if name == "colgroup" => {
                if self.current_is(&["colgroup"]) {
                    self.pop();
                }
            }
            Token::End { name } if name == "col" => {}
            Token::End { name } if name == "template" => self.end_template(),
            other => {
                if self.current_is(&["colgroup"]) {
                    self.pop();
                    self.process(other);
                }
            }
        }
    }

    fn foreign(&mut self, token: Token) {
        match token {
            Token::Text(text) => {
                let text = text.replace('\0', "\u{fffd}");
                self.insert_text(text, false);
            }
            Token::Comment(data) => self.insert_node(Node::Comment(data), false),
            Token::Start { name, attributes, self_closing } => {
                let breakout = matches!(
                    name.as_str(),
                    "b" | "big" | "blockquote" | "body" | "br" | "center" | "code" | "dd" | "div" | "dl" | "dt" | "em"
                        | "embed" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "head" | "hr" | "i" | "img" | "li"
                        | "listing" | "menu" | "meta" | "nobr" | "ol" | "p" | "pre" | "ruby" | "s" | "small"
                        | "span" | "strong" | "strike" | "sub" | "sup" | "table" | "tt" | "u" | "ul" | "var"
                ) || (name == "font" && attributes.iter().any(|(k, _)| matches!(k.as_str(), "color" | "face" | "size")));
                if breakout {
                    while self.in_foreign() {
                        self.pop();
                    }
                    return self.process(Token::Start { name, attributes, self_closing });
                }
                let namespace = self.current().namespace;
                let name = if namespace == Namespace::Svg { svg_tag(&name) } else { name };
                let attributes = adjust_attributes(attributes, namespace);
                self.insert_element(name, namespace, attributes, self_closing, false);
            }
            Token::End { name } if name == "br" || name == "p" => {
                while self.in_foreign() {
                    self.pop();
                }
                self.process(Token::End { name });
            }
            Token::End { name } => {
                let top = self.stack.len() - 1;
                for i in (1..self.stack.len()).rev() {
                    let el = &self.stack[i];
                    // An HTML element below the current node hands the tag to the HTML rules.
                    if i < top && el.namespace == Namespace::Html {
                        return self.process_html(Token::End { name });
                    }
                    if el.name.eq_ignore_ascii_case(&name) {
                        while self.stack.len() > i {
                            self.pop();
                        }
                        return;
                    }
                }
            }
        }
    }

    pub(super) fn finish(mut self, spans: &mut Vec<TextSpan>) -> Vec<Node> {
        let top = std::mem::take(&mut self.nodes[0].children);
        let mut path = Vec::new();
        let nodes = top
            .into_iter()
            .enumerate()
            .map(|(i, c)| {
                path.push(i as u32);
                let node = self.build(c, &mut path, spans);
                path.pop();
                node
            })
            .collect();
        spans.sort_unstable_by_key(|s| s.start);
        nodes
    }

    /// Move node `node` (and its subtree) out of the arena into a tree,
    /// noting the path of each verbatim text node.
    fn build(&mut self, node: usize, path: &mut Vec<u32>, spans: &mut Vec<TextSpan>) -> Node {
        let children = std::mem::take(&mut self.nodes[node].children);
        match std::mem::replace(&mut self.nodes[node].data, Data::Text(String::new())) {
            Data::Element { name, namespace, attributes } => Node::Element {
                name,
                namespace,
                attributes,
                children: children
                    .into_iter()
                    .enumerate()
                    .map(|(i, c)| {
                        path.push(i as u32);
                        let child = self.build(c, path, spans);
                        path.pop();
                        child
                    })
                    .collect(),
            },
            Data::Text(t) => {
                if let Some((start, end)) = self.nodes[node].span {
                    spans.push(TextSpan { start, end, path: path.clone() });
                }
                Node::Text(t)
            }
            Data::Comment(c) => Node::Comment(c),
        }
    }
}

/// SVG tag names the parser restores to their camel case.
fn svg_tag(name: &str) -> String {
    const TAGS: &[&str] = &[
        "altGlyph", "altGlyphDef", "altGlyphItem", "animateColor", "animateMotion", "animateTransform", "clipPath",
        "feBlend", "feColorMatrix", "feComponentTransfer", "feComposite", "feConvolveMatrix", "feDiffuseLighting",
        "feDisplacementMap", "feDistantLight", "feDropShadow", "feFlood", "feFuncA", "feFuncB", "feFuncG", "feFuncR",
        "feGaussianBlur", "feImage", "feMerge", "feMergeNode", "feMorphology", "feOffset", "fePointLight",
        "feSpecularLighting", "feSpotLight", "feTile", "feTurbulence", "foreignObject", "glyphRef", "linearGradient",
        "radialGradient", "textPath",
    ];
    TAGS.iter()
        .find(|t| t.eq_ignore_ascii_case(name))
        .map_or_else(|| name.to_string(), |t| t.to_string())
}

/// SVG and MathML attribute names the parser restores to their case.
fn adjust_attributes(attributes: Vec<(String, String)>, namespace: Namespace) -> Vec<(String, String)> {
    const SVG: &[&str] = &[
        "attributeName", "attributeType", "baseFrequency", "baseProfile", "calcMode", "clipPathUnits", "diffuseConstant",
        "edgeMode", "filterUnits", "glyphRef", "gradientTransform", "gradientUnits", "kernelMatrix",
        "kernelUnitLength", "keyPoints", "keySplines", "keyTimes", "lengthAdjust", "limitingConeAngle",
        "markerHeight", "markerUnits", "markerWidth", "maskContentUnits", "maskUnits", "numOctaves", "pathLength",
        "patternContentUnits", "patternTransform", "patternUnits", "pointsAtX", "pointsAtY", "pointsAtZ",
        "preserveAlpha", "preserveAspectRatio", "primitiveUnits", "refX", "refY", "repeatCount", "repeatDur",
        "requiredExtensions", "requiredFeatures", "specularConstant", "specularExponent", "spreadMethod",
        "startOffset", "stdDeviation", "stitchTiles", "surfaceScale", "systemLanguage", "tableValues", "targetX",
        "targetY", "textLength", "viewBox", "viewTarget", "xChannelSelector", "yChannelSelector", "zoomAndPan",
    ];
    attributes
        .into_iter()
        .map(|(k, v)| {
            let k = match namespace {
                Namespace::Svg => SVG.iter().find(|a| a.eq_ignore_ascii_case(&k)).map_or(k, |a| a.to_string()),
                Namespace::MathMl if k == "definitionurl" => "definitionURL".to_string(),
                _ => k,
            };
            (k, v)
        })
        .collect()
}
