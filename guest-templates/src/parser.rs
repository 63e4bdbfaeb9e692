//! Turns tokens into nodes, one function per tag, as Django's `Parser` and
//! its tag compilation functions do — with their error messages.

use crate::condition;
use crate::error::{Error, ErrorKind, Pos};
use crate::expr::FilterExpr;
use crate::lexer::{Token, TokenKind, tokenize};
use crate::nodes::*;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A compiled template: its name, node tree and what extends needs to know.
#[derive(Debug)]
pub struct Template {
    pub(crate) name: Rc<str>,
    pub(crate) nodes: NodeList,
    /// Every `{% block %}` in the template, by name (for the root of an extends chain).
    pub(crate) blocks: Vec<Rc<BlockNode>>,
    /// The length of the last output, to size the next one's buffer.
    pub(crate) last_len: std::cell::Cell<usize>,
}

impl Template {
    /// Compile `source`; errors carry `name` and the position of the offending token.
    pub fn compile(name: &str, source: &str) -> Result<Template, Error> {
        let mut parser = Parser::new(name, source);
        let nodes = parser.parse(&[]).map_err(|e| e.in_template(name))?;
        Ok(Template { name: Rc::from(name), nodes, blocks: parser.all_blocks, last_len: std::cell::Cell::new(256) })
    }

    /// The name given at compile time.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// Tags and filters of the libraries `{% load %}` can add.
const LIBRARIES: &[(&str, &[&str], &[&str])] = &[
    ("cache", &["cache"], &[]),
    (
        "i18n",
        &[
            "get_available_languages",
            "get_language_info",
            "get_language_info_list",
            "get_current_language",
            "get_current_language_bidi",
            "translate",
            "trans",
            "blocktranslate",
            "blocktrans",
            "language",
        ],
        &["language_name", "language_name_translated", "language_name_local", "language_bidi"],
    ),
    ("l10n", &["localize"], &["localize", "unlocalize"]),
    ("static", &["get_static_prefix", "get_media_prefix", "static"], &[]),
    ("tz", &["localtime", "timezone", "get_current_timezone"], &["localtime", "utc", "timezone"]),
];

const BUILTIN_TAGS: &[&str] = &[
    "autoescape", "comment", "cycle", "csrf_token", "debug", "filter", "firstof", "for", "if", "ifchanged", "load",
    "lorem", "now", "querystring", "regroup", "resetcycle", "spaceless", "templatetag", "url", "verbatim",
    "widthratio", "with", "block", "extends", "include",
];

static NEXT_ID: AtomicUsize = AtomicUsize::new(1);

fn next_id() -> usize {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

pub(crate) struct Parser<'s> {
    name: &'s str,
    tokens: Vec<Token<'s>>,
    next: usize,
    /// Open block tags, for "Unclosed tag" errors.
    command_stack: Vec<(String, Pos)>,
    /// Tags and filters added by `{% load %}`.
    loaded_tags: Vec<&'static str>,
    pub(crate) loaded_filters: Vec<&'static str>,
    named_cycles: HashMap<String, Rc<CycleNode>>,
    last_cycle: Option<Rc<CycleNode>>,
    block_names: Vec<String>,
    all_blocks: Vec<Rc<BlockNode>>,
    seen_extends: bool,
}

impl<'s> Parser<'s> {
    fn new(name: &'s str, source: &'s str) -> Parser<'s> {
        Parser {
            name,
            tokens: tokenize(source),
            next: 0,
            command_stack: Vec::new(),
            loaded_tags: Vec::new(),
            loaded_filters: Vec::new(),
            named_cycles: HashMap::new(),
            last_cycle: None,
            block_names: Vec::new(),
            all_blocks: Vec::new(),
            seen_extends: false,
        }
    }

    /// Parse until a block tag whose first word is in `until` (left unconsumed).
    fn parse(&mut self, until: &[&str]) -> Result<NodeList, Error> {
        let mut nodes = Vec::new();
        let mut contains_nontext = false;
        while let Some(token) = self.tokens.get(self.next).cloned() {
            self.next += 1;
            match token.kind {
                TokenKind::Text => nodes.push(Node::Text(Rc::from(token.contents))),
                TokenKind::Comment => {}
                TokenKind::Variable => {
                    if token.contents.is_empty() {
                        return Err(Error::at(ErrorKind::Syntax, token.pos, format!("Empty variable tag on line {}", token.pos.line)));
                    }
                    nodes.push(Node::Var(self.compile_filter(token.contents, token.pos)?));
                    contains_nontext = true;
                }
                TokenKind::Block => {
                    let Some(command) = token.contents.split_whitespace().next() else {
                        return Err(Error::at(ErrorKind::Syntax, token.pos, format!("Empty block tag on line {}", token.pos.line)));
                    };
                    if until.contains(&command) {
                        self.next -= 1;
                        return Ok(nodes);
                    }
                    self.command_stack.push((command.to_string(), token.pos));
                    if !self.is_known_tag(command) {
                        return Err(invalid_block_tag(command, token.pos, until));
                    }
                    let node = self.compile_tag(command, &token).map_err(|e| e.at_if_unplaced(token.pos))?;
                    if let Some(node) = node {
                        if let (Node::Extends(_), true) = (&node, contains_nontext) {
                            return Err(Error::at(
                                ErrorKind::Syntax,
                                token.pos,
                                format!("{{% {} %}} must be the first tag in {}.", token.contents, py_str_repr(self.name)),
                            ));
                        }
                        if !matches!(node, Node::Text(_)) {
                            contains_nontext = true;
                        }
                        nodes.push(node);
                    } else {
                        contains_nontext = true;
                    }
                    self.command_stack.pop();
                }
            }
        }
        if !until.is_empty() {
            let (command, pos) = self.command_stack.pop().unwrap_or_default();
            return Err(Error::at(
                ErrorKind::Syntax,
                pos,
                format!("Unclosed tag on line {}: '{command}'. Looking for one of: {}.", pos.line, until.join(", ")),
            ));
        }
        Ok(nodes)
    }

    /// A body up to `end`, consuming the end tag.
    fn parse_body(&mut self, end: &str) -> Result<NodeList, Error> {
        let body = self.parse(&[end])?;
        self.next += 1;
        Ok(body)
    }

    /// A body up to `middle` or `end`, then (after `middle`) a second body up
    /// to `end`: `for … empty`, `ifchanged … else`.
    fn parse_two_bodies(&mut self, middle: &str, end: &str) -> Result<(NodeList, NodeList), Error> {
        let first = self.parse(&[middle, end])?;
        let second = if self.next_token().contents == middle { self.parse_body(end)? } else { Vec::new() };
        Ok((first, second))
    }

    fn next_token(&mut self) -> Token<'s> {
        let t = self.tokens[self.next].clone();
        self.next += 1;
        t
    }

    fn is_known_tag(&self, command: &str) -> bool {
        BUILTIN_TAGS.contains(&command) || self.loaded_tags.contains(&command)
    }

    pub(crate) fn compile_filter(&self, text: &str, pos: Pos) -> Result<FilterExpr, Error> {
        let expr = FilterExpr::parse(text, pos)?;
        for call in &expr.filters {
            let name = call.filter.name();
            if call.filter.needs_load() && !self.loaded_filters.contains(&name) {
                return Err(Error::at(ErrorKind::UnknownFilter, pos, format!("Invalid filter: '{name}'")));
            }
        }
        Ok(expr)
    }

    /// Compile one block tag; `None` for tags that produce no node (`load`, `comment`).
    fn compile_tag(&mut self, command: &str, token: &Token<'s>) -> Result<Option<Node>, Error> {
        let pos = token.pos;
        let bits = split_contents(token.contents);
        let syntax = |msg: String| Error::at(ErrorKind::Syntax, pos, msg);
        Ok(Some(match command {
            "if" => self.parse_if(&bits, pos)?,
            "for" => self.parse_for(token, &bits, pos)?,
            "with" => {
                let mut rest: Vec<&str> = bits[1..].to_vec();
                let assignments = self.token_kwargs(&mut rest, true, pos)?;
                if assignments.is_empty() {
                    return Err(syntax(format!("'{}' expected at least one variable assignment", bits[0])));
                }
                if let Some(first) = rest.first() {
                    return Err(syntax(format!("'{}' received an invalid token: {}", bits[0], py_str_repr(first))));
                }
                let body = self.parse_body("endwith")?;
                Node::With(assignments, body)
            }
            "comment" => {
                self.skip_past("endcomment")?;
                return Ok(None);
            }
            "load" => {
                self.parse_load(token.contents, pos)?;
                return Ok(None);
            }
            "autoescape" => {
                let args: Vec<&str> = token.contents.split_whitespace().collect();
                if args.len() != 2 {
                    return Err(syntax("'autoescape' tag requires exactly one argument.".into()));
                }
                if args[1] != "on" && args[1] != "off" {
                    return Err(syntax("'autoescape' argument should be 'on' or 'off'".into()));
                }
                let body = self.parse_body("endautoescape")?;
                Node::Autoescape(args[1] == "on", body)
            }
            "filter" => {
                let rest = token.contents.split_once(char::is_whitespace).map(|(_, r)| r).unwrap_or("");
                if rest.trim().is_empty() {
                    return Err(syntax("not enough values to unpack (expected 2, got 1)".into()));
                }
                let expr = self.compile_filter(&format!("var|{}", rest.trim_start()), pos)?;
                for call in &expr.filters {
                    let name = call.filter.name();
                    if name == "escape" || name == "safe" {
                        return Err(syntax(format!("\"filter {name}\" is not permitted.  Use the \"autoescape\" tag instead.")));
                    }
                }
                let body = self.parse_body("endfilter")?;
                Node::Filter(expr.filters, pos, body)
            }
            "firstof" => {
                let mut args: &[&str] = &bits[1..];
                if args.is_empty() {
                    return Err(syntax("'firstof' statement requires at least one argument".into()));
                }
                let mut asvar = None;
                if args.len() >= 2 && args[args.len() - 2] == "as" {
                    asvar = Some(Rc::from(args[args.len() - 1]));
                    args = &args[..args.len() - 2];
                }
                let exprs = args.iter().map(|a| self.compile_filter(a, pos)).collect::<Result<_, _>>()?;
                Node::FirstOf(exprs, asvar)
            }
            "cycle" => self.parse_cycle(&bits, pos)?,
            "resetcycle" => {
                if bits.len() > 2 {
                    return Err(syntax(format!("'{}' tag accepts at most one argument.", bits[0])));
                }
                if bits.len() == 2 {
                    let node = self.named_cycles.get(bits[1]).cloned();
                    return node
                        .map(|n| Some(Node::ResetCycle(n)))
                        .ok_or_else(|| syntax(format!("Named cycle '{}' does not exist.", bits[1])));
                }
                let node = self.last_cycle.clone().ok_or_else(|| syntax("No cycles in template.".into()))?;
                Node::ResetCycle(node)
            }
            "ifchanged" => {
                let (then, otherwise) = self.parse_two_bodies("else", "endifchanged")?;
                let exprs = bits[1..].iter().map(|b| self.compile_filter(b, pos)).collect::<Result<_, _>>()?;
                Node::IfChanged(Box::new(IfChangedNode { id: next_id(), exprs, then, otherwise }))
            }
            "spaceless" => {
                let body = self.parse_body("endspaceless")?;
                Node::Spaceless(body)
            }
            "verbatim" => {
                let body = self.parse_body("endverbatim")?;
                let text: String = body
                    .iter()
                    .map(|n| match n {
                        Node::Text(t) => &**t,
                        _ => "",
                    })
                    .collect();
                Node::Literal(Rc::from(text))
            }
            "templatetag" => {
                let args: Vec<&str> = token.contents.split_whitespace().collect();
                if args.len() != 2 {
                    return Err(syntax("'templatetag' statement takes one argument".into()));
                }
                let out = match args[1] {
                    "openblock" => "{%",
                    "closeblock" => "%}",
                    "openvariable" => "{{",
                    "closevariable" => "}}",
                    "openbrace" => "{",
                    "closebrace" => "}",
                    "opencomment" => "{#",
                    "closecomment" => "#}",
                    other => {
                        return Err(syntax(format!(
                            "Invalid templatetag argument: '{other}'. Must be one of: ['openblock', 'closeblock', 'openvariable', 'closevariable', 'openbrace', 'closebrace', 'opencomment', 'closecomment']"
                        )));
                    }
                };
                Node::Literal(Rc::from(out))
            }
            "widthratio" => {
                let (v, m, w, asvar) = match bits.as_slice() {
                    [_, v, m, w] => (v, m, w, None),
                    [_, v, m, w, as_, var] => {
                        if *as_ != "as" {
                            return Err(syntax("Invalid syntax in widthratio tag. Expecting 'as' keyword".into()));
                        }
                        (v, m, w, Some(Rc::from(*var)))
                    }
                    _ => return Err(syntax("widthratio takes at least three arguments".into())),
                };
                Node::WidthRatio(Box::new(WidthRatioNode {
                    value: self.compile_filter(v, pos)?,
                    max: self.compile_filter(m, pos)?,
                    width: self.compile_filter(w, pos)?,
                    asvar,
                }))
            }
            "now" => {
                let mut args: &[&str] = &bits;
                let mut asvar = None;
                if args.len() == 4 && args[2] == "as" {
                    asvar = Some(Rc::from(args[3]));
                    args = &args[..2];
                }
                if args.len() != 2 {
                    return Err(syntax("'now' statement takes one argument".into()));
                }
                let f = args[1];
                let inner = if f.len() >= 2 { &f[1..f.len() - 1] } else { "" };
                Node::Now(Rc::from(inner), asvar)
            }
            "regroup" => {
                if bits.len() != 6 {
                    return Err(syntax("'regroup' tag takes five arguments".into()));
                }
                let target = self.compile_filter(bits[1], pos)?;
                if bits[2] != "by" {
                    return Err(syntax("second argument to 'regroup' tag must be 'by'".into()));
                }
                if bits[4] != "as" {
                    return Err(syntax("next-to-last argument to 'regroup' tag must be 'as'".into()));
                }
                let expression = self.compile_filter(&format!("{}.{}", bits[5], bits[3]), pos)?;
                Node::Regroup(Box::new(RegroupNode { target, expression, var_name: Rc::from(bits[5]) }))
            }
            "lorem" => {
                let mut args: Vec<&str> = bits.clone();
                let random = args.last() == Some(&"random");
                if random {
                    args.pop();
                }
                let method = match args.last() {
                    Some(&m @ ("w" | "p" | "b")) if args.len() > 1 => {
                        args.pop();
                        m.chars().next().expect("one letter")
                    }
                    _ => 'b',
                };
                let count = if args.len() > 1 { args.pop().expect("len > 1") } else { "1" };
                if args.len() != 1 {
                    return Err(syntax(format!("Incorrect format for '{}' tag", bits[0])));
                }
                Node::Lorem(Box::new(LoremNode { count: self.compile_filter(count, pos)?, method, random }))
            }
            "csrf_token" => Node::CsrfToken,
            "url" => self.parse_url(&bits, pos)?,
            "block" => self.parse_block(token, pos)?,
            "extends" => {
                if bits.len() != 2 {
                    return Err(syntax(format!("'{}' takes one argument", bits[0])));
                }
                let name = construct_relative_path(self.name, bits[1], false).map_err(syntax)?;
                let parent = self.compile_filter(&name, pos)?;
                if self.seen_extends {
                    return Err(syntax(format!("'{}' cannot appear more than once in the same template", bits[0])));
                }
                self.seen_extends = true;
                let blocks_before = self.all_blocks.len();
                let _body = self.parse(&[])?;
                let blocks = self.all_blocks[blocks_before..].to_vec();
                Node::Extends(Box::new(ExtendsNode { parent, blocks }))
            }
            "include" => self.parse_include(&bits, pos)?,
            "static" => {
                if bits.len() < 2 {
                    return Err(syntax(format!("'{}' takes at least one argument (path to file)", bits[0])));
                }
                let path = self.compile_filter(bits[1], pos)?;
                let asvar = (bits.len() >= 2 && bits[bits.len() - 2] == "as").then(|| Rc::from(bits[3]));
                Node::Static(path, asvar)
            }
            "get_static_prefix" | "get_media_prefix" => {
                let args: Vec<&str> = token.contents.split_whitespace().collect();
                if args.len() > 1 && args[1] != "as" {
                    return Err(syntax(format!("First argument in '{}' must be 'as'", args[0])));
                }
                let asvar = if args.len() > 1 {
                    Some(Rc::from(*args.get(2).ok_or_else(|| syntax("list index out of range".into()))?))
                } else {
                    None
                };
                if command == "get_media_prefix" {
                    return Err(unsupported(command, pos));
                }
                Node::StaticPrefix(asvar)
            }
            "trans" | "translate" => self.parse_trans(&bits, pos)?,
            "blocktrans" | "blocktranslate" => self.parse_blocktrans(&bits, pos)?,
            "get_current_language" | "get_current_language_bidi" => {
                let args: Vec<&str> = token.contents.split_whitespace().collect();
                if args.len() != 3 || args[1] != "as" {
                    return Err(syntax(format!("'{command}' requires 'as variable' (got {})", py_list_repr(&args))));
                }
                Node::CurrentLanguage(command.ends_with("bidi"), Rc::from(args[2]))
            }
            "localize" => {
                let args: Vec<&str> = token.contents.split_whitespace().collect();
                if !matches!(args.as_slice(), [_] | [_, "on" | "off"]) {
                    return Err(syntax(format!("'{}' argument should be 'on' or 'off'", args[0])));
                }
                let body = self.parse_body("endlocalize")?;
                Node::Localize(body)
            }
            other => return Err(unsupported(other, pos)),
        }))
    }

    fn skip_past(&mut self, end: &str) -> Result<(), Error> {
        while let Some(t) = self.tokens.get(self.next) {
            self.next += 1;
            if t.kind == TokenKind::Block && t.contents == end {
                return Ok(());
            }
        }
        let (command, pos) = self.command_stack.pop().unwrap_or_default();
        Err(Error::at(
            ErrorKind::Syntax,
            pos,
            format!("Unclosed tag on line {}: '{command}'. Looking for one of: {end}.", pos.line),
        ))
    }

    fn parse_load(&mut self, contents: &str, pos: Pos) -> Result<(), Error> {
        let bits: Vec<&str> = contents.split_whitespace().collect();
        let find = |name: &str| {
            LIBRARIES.iter().find(|(n, _, _)| *n == name).ok_or_else(|| {
                let names: Vec<&str> = LIBRARIES.iter().map(|(n, _, _)| *n).collect();
                Error::at(
                    ErrorKind::UnknownLibrary,
                    pos,
                    format!("'{name}' is not a registered tag library. Must be one of:\n{}", names.join("\n")),
                )
            })
        };
        if bits.len() >= 4 && bits[bits.len() - 2] == "from" {
            let lib_name = bits[bits.len() - 1];
            let (_, tags, filters) = find(lib_name)?;
            for name in &bits[1..bits.len() - 2] {
                let mut found = false;
                if let Some(t) = tags.iter().find(|t| *t == name) {
                    self.loaded_tags.push(t);
                    found = true;
                }
                if let Some(f) = filters.iter().find(|f| *f == name) {
                    self.loaded_filters.push(f);
                    found = true;
                }
                if !found {
                    return Err(Error::at(
                        ErrorKind::UnknownLibrary,
                        pos,
                        format!("'{name}' is not a valid tag or filter in tag library '{lib_name}'"),
                    ));
                }
            }
        } else {
            for name in &bits[1..] {
                let (_, tags, filters) = find(name)?;
                self.loaded_tags.extend_from_slice(tags);
                self.loaded_filters.extend_from_slice(filters);
            }
        }
        Ok(())
    }

    fn parse_if(&mut self, bits: &[&str], pos: Pos) -> Result<Node, Error> {
        let mut branches = Vec::new();
        let cond = condition::parse(&bits[1..], pos)?;
        let body = self.parse(&["elif", "else", "endif"])?;
        branches.push((Some(cond), body));
        let mut token = self.next_token();
        while token.contents.starts_with("elif") {
            let b = split_contents(token.contents);
            let cond = condition::parse(&b[1..], token.pos)?;
            let body = self.parse(&["elif", "else", "endif"])?;
            branches.push((Some(cond), body));
            token = self.next_token();
        }
        if token.contents == "else" {
            let body = self.parse(&["endif"])?;
            branches.push((None, body));
            token = self.next_token();
        }
        if token.contents != "endif" {
            return Err(Error::at(
                ErrorKind::Syntax,
                token.pos,
                format!("Malformed template tag at line {}: \"{}\"", token.pos.line, token.contents),
            ));
        }
        Ok(Node::If(branches))
    }

    fn parse_for(&mut self, token: &Token<'s>, bits: &[&str], pos: Pos) -> Result<Node, Error> {
        let syntax = |msg: String| Error::at(ErrorKind::Syntax, pos, msg);
        if bits.len() < 4 {
            return Err(syntax(format!("'for' statements should have at least four words: {}", token.contents)));
        }
        let reversed = bits[bits.len() - 1] == "reversed";
        let in_index = if reversed { bits.len() - 3 } else { bits.len() - 2 };
        if bits[in_index] != "in" {
            return Err(syntax(format!("'for' statements should use the format 'for x in y': {}", token.contents)));
        }
        let joined = bits[1..in_index].join(" ");
        let mut loopvars = Vec::new();
        for var in split_loopvars(&joined) {
            if var.is_empty() || var.contains([' ', '"', '\'', '|']) {
                return Err(syntax(format!("'for' tag received an invalid argument: {}", token.contents)));
            }
            loopvars.push(Rc::from(var));
        }
        let sequence = self.compile_filter(bits[in_index + 1], pos)?;
        let (body, empty) = self.parse_two_bodies("empty", "endfor")?;
        Ok(Node::For(Box::new(ForNode { loopvars, sequence, reversed, body, empty })))
    }

    fn parse_cycle(&mut self, bits: &[&str], pos: Pos) -> Result<Node, Error> {
        let syntax = |msg: String| Error::at(ErrorKind::Syntax, pos, msg);
        if bits.len() < 2 {
            return Err(syntax("'cycle' tag requires at least two arguments".into()));
        }
        if bits.len() == 2 {
            if self.named_cycles.is_empty() {
                return Err(syntax(format!("No named cycles in template. '{}' is not defined", bits[1])));
            }
            let node = self.named_cycles.get(bits[1]).cloned().ok_or_else(|| syntax(format!("Named cycle '{}' does not exist", bits[1])))?;
            return Ok(Node::Cycle(node));
        }
        let mut args: &[&str] = bits;
        let (mut as_form, mut silent) = (false, false);
        if args.len() > 4 {
            if args[args.len() - 3] == "as" {
                if args[args.len() - 1] != "silent" {
                    return Err(syntax(format!("Only 'silent' flag is allowed after cycle's name, not '{}'.", args[args.len() - 1])));
                }
                as_form = true;
                silent = true;
                args = &args[..args.len() - 1];
            } else if args[args.len() - 2] == "as" {
                as_form = true;
            }
        }
        let node = if as_form {
            let name = args[args.len() - 1];
            let values = args[1..args.len() - 2].iter().map(|a| self.compile_filter(a, pos)).collect::<Result<_, _>>()?;
            let node = Rc::new(CycleNode { id: next_id(), values, name: Some(Rc::from(name)), silent });
            self.named_cycles.insert(name.to_string(), node.clone());
            node
        } else {
            let values = args[1..].iter().map(|a| self.compile_filter(a, pos)).collect::<Result<_, _>>()?;
            Rc::new(CycleNode { id: next_id(), values, name: None, silent: false })
        };
        self.last_cycle = Some(node.clone());
        Ok(Node::Cycle(node))
    }

    fn parse_url(&mut self, bits: &[&str], pos: Pos) -> Result<Node, Error> {
        let syntax = |msg: String| Error::at(ErrorKind::Syntax, pos, msg);
        if bits.len() < 2 {
            return Err(syntax(format!("'{}' takes at least one argument, a URL pattern name.", bits[0])));
        }
        let view_name = self.compile_filter(bits[1], pos)?;
        let mut rest: &[&str] = &bits[2..];
        let mut asvar = None;
        if rest.len() >= 2 && rest[rest.len() - 2] == "as" {
            asvar = Some(Rc::from(rest[rest.len() - 1]));
            rest = &rest[..rest.len() - 2];
        }
        let (mut args, mut kwargs) = (Vec::new(), Vec::new());
        for bit in rest {
            match kwarg(bit) {
                (Some(name), value) => kwargs.push((Rc::from(name), self.compile_filter(value, pos)?)),
                (None, value) => args.push(self.compile_filter(value, pos)?),
            }
        }
        Ok(Node::Url(Box::new(UrlNode { view_name, args, kwargs, asvar })))
    }

    fn parse_block(&mut self, token: &Token<'s>, pos: Pos) -> Result<Node, Error> {
        let syntax = |msg: String| Error::at(ErrorKind::Syntax, pos, msg);
        let bits: Vec<&str> = token.contents.split_whitespace().collect();
        if bits.len() != 2 {
            return Err(syntax(format!("'{}' tag takes only one argument", bits[0])));
        }
        let name = bits[1];
        if self.block_names.iter().any(|b| b == name) {
            return Err(syntax(format!("'{}' tag with name '{name}' appears more than once", bits[0])));
        }
        self.block_names.push(name.to_string());
        let body = self.parse(&["endblock"])?;
        let end = self.next_token();
        if end.contents != "endblock" && end.contents != format!("endblock {name}") {
            return Err(invalid_block_tag("endblock", end.pos, &["endblock", &format!("endblock {name}")]));
        }
        let node = Rc::new(BlockNode { name: Rc::from(name), body });
        self.all_blocks.push(node.clone());
        Ok(Node::Block(node))
    }

    fn parse_include(&mut self, bits: &[&str], pos: Pos) -> Result<Node, Error> {
        let syntax = |msg: String| Error::at(ErrorKind::Syntax, pos, msg);
        if bits.len() < 2 {
            return Err(syntax(format!(
                "'{}' tag takes at least one argument: the name of the template to be included.",
                bits[0]
            )));
        }
        let mut rest: Vec<&str> = bits[2..].to_vec();
        let (mut extra, mut only, mut seen_with) = (Vec::new(), false, false);
        while !rest.is_empty() {
            let option = rest.remove(0);
            if (option == "with" && seen_with) || (option == "only" && only) {
                return Err(syntax(format!("The {} option was specified more than once.", py_str_repr(option))));
            }
            match option {
                "with" => {
                    extra = self.token_kwargs(&mut rest, false, pos)?;
                    if extra.is_empty() {
                        return Err(syntax(format!("\"with\" in '{}' tag needs at least one keyword argument.", bits[0])));
                    }
                    seen_with = true;
                }
                "only" => only = true,
                other => return Err(syntax(format!("Unknown argument for '{}' tag: {}.", bits[0], py_str_repr(other)))),
            }
        }
        let name = construct_relative_path(self.name, bits[1], true).map_err(syntax)?;
        let template = self.compile_filter(&name, pos)?;
        Ok(Node::Include(Box::new(IncludeNode { template, extra, only })))
    }

    fn parse_trans(&mut self, bits: &[&str], pos: Pos) -> Result<Node, Error> {
        let syntax = |msg: String| Error::at(ErrorKind::Syntax, pos, msg);
        if bits.len() < 2 {
            return Err(syntax(format!("'{}' takes at least one argument", bits[0])));
        }
        let message = self.compile_filter(bits[1], pos)?;
        let mut rest = bits[2..].iter();
        let (mut noop, mut context, mut asvar) = (false, None, None);
        let mut seen: Vec<&str> = Vec::new();
        while let Some(&option) = rest.next() {
            if seen.contains(&option) {
                return Err(syntax(format!("The '{option}' option was specified more than once.")));
            }
            match option {
                "noop" => noop = true,
                "context" => {
                    let value = rest.next().ok_or_else(|| syntax(format!("No argument provided to the '{}' tag for the context option.", bits[0])))?;
                    if *value == "as" || *value == "noop" {
                        return Err(syntax(format!("Invalid argument '{value}' provided to the '{}' tag for the context option", bits[0])));
                    }
                    context = Some(self.compile_filter(value, pos)?);
                }
                "as" => {
                    let value = rest.next().ok_or_else(|| syntax(format!("No argument provided to the '{}' tag for the as option.", bits[0])))?;
                    asvar = Some(Rc::from(*value));
                }
                other => {
                    return Err(syntax(format!(
                        "Unknown argument for '{}' tag: '{other}'. The only options available are 'noop', 'context' \"xxx\", and 'as VAR'.",
                        bits[0]
                    )));
                }
            }
            seen.push(option);
        }
        Ok(Node::Trans(Box::new(TransNode { message, noop, context, asvar })))
    }

    fn parse_blocktrans(&mut self, bits: &[&str], pos: Pos) -> Result<Node, Error> {
        let syntax = |msg: String| Error::at(ErrorKind::Syntax, pos, msg);
        let tag = bits[0];
        let mut rest: Vec<&str> = bits[1..].to_vec();
        let mut seen: Vec<&str> = Vec::new();
        let (mut extra, mut counter, mut context, mut trimmed, mut asvar) = (Vec::new(), None, None, false, None);
        while !rest.is_empty() {
            let option = rest.remove(0);
            if seen.contains(&option) {
                return Err(syntax(format!("The {} option was specified more than once.", py_str_repr(option))));
            }
            match option {
                "with" => {
                    extra = self.token_kwargs(&mut rest, true, pos)?;
                    if extra.is_empty() {
                        return Err(syntax(format!("\"with\" in '{tag}' tag needs at least one keyword argument.")));
                    }
                }
                "count" => {
                    let mut kw = self.token_kwargs(&mut rest, true, pos)?;
                    if kw.len() != 1 {
                        return Err(syntax(format!("\"count\" in '{tag}' tag expected exactly one keyword argument.")));
                    }
                    counter = kw.pop();
                }
                "context" => {
                    if rest.is_empty() {
                        return Err(syntax(format!("\"context\" in '{tag}' tag expected exactly one argument.")));
                    }
                    let v = rest.remove(0);
                    context = Some(self.compile_filter(v, pos).map_err(|_| syntax(format!("\"context\" in '{tag}' tag expected exactly one argument.")))?);
                }
                "trimmed" => trimmed = true,
                "asvar" => {
                    if rest.is_empty() {
                        return Err(syntax(format!("No argument provided to the '{tag}' tag for the asvar option.")));
                    }
                    asvar = Some(Rc::from(rest.remove(0)));
                }
                other => return Err(syntax(format!("Unknown argument for '{tag}' tag: {}.", py_str_repr(other)))),
            }
            seen.push(option);
        }
        let mut singular = Vec::new();
        let mut plural = Vec::new();
        let mut end = self.collect_trans_parts(&mut singular);
        if counter.is_some() {
            let Some(t) = end.clone() else {
                return Err(syntax(format!("'{tag}' doesn't allow other block tags inside it")));
            };
            if t.contents.trim() != "plural" {
                return Err(syntax(format!("'{tag}' doesn't allow other block tags inside it")));
            }
            end = self.collect_trans_parts(&mut plural);
        }
        let end_name = format!("end{tag}");
        match end {
            Some(t) if t.contents.trim() == end_name => {}
            Some(t) => {
                return Err(syntax(format!("'{tag}' doesn't allow other block tags (seen {}) inside it", py_str_repr(t.contents))));
            }
            None => {
                let (command, p) = self.command_stack.last().cloned().unwrap_or_default();
                return Err(Error::at(ErrorKind::Syntax, p, format!("Unclosed tag on line {}: '{command}'. Looking for one of: {end_name}.", p.line)));
            }
        }
        Ok(Node::BlockTrans(Box::new(BlockTransNode {
            extra,
            singular,
            plural,
            counter,
            context,
            trimmed,
            asvar,
            tag_name: Rc::from(tag),
            pos,
        })))
    }

    /// Text and `{{ var }}` tokens up to the next block tag (returned).
    fn collect_trans_parts(&mut self, parts: &mut Vec<TransPart>) -> Option<Token<'s>> {
        while let Some(t) = self.tokens.get(self.next).cloned() {
            self.next += 1;
            match t.kind {
                TokenKind::Text => parts.push(TransPart::Text(Rc::from(t.contents))),
                TokenKind::Variable => parts.push(TransPart::Var(Rc::from(t.contents))),
                TokenKind::Block => return Some(t),
                TokenKind::Comment => {}
            }
        }
        None
    }

    /// Django's `token_kwargs`: `a=b c=d`, or with `legacy`, `b as a and d as c`.
    fn token_kwargs(&self, bits: &mut Vec<&str>, legacy: bool, pos: Pos) -> Result<Vec<(Rc<str>, FilterExpr)>, Error> {
        let mut out: Vec<(Rc<str>, FilterExpr)> = Vec::new();
        if bits.is_empty() {
            return Ok(out);
        }
        let kwarg_format = kwarg(bits[0]).0.is_some();
        if !kwarg_format && (!legacy || bits.len() < 3 || bits[1] != "as") {
            return Ok(out);
        }
        while !bits.is_empty() {
            let (key, value) = if kwarg_format {
                match kwarg(bits[0]) {
                    (Some(k), v) => {
                        let r = (k, v);
                        bits.remove(0);
                        r
                    }
                    _ => return Ok(out),
                }
            } else {
                if bits.len() < 3 || bits[1] != "as" {
                    return Ok(out);
                }
                let r = (bits[2], bits[0]);
                bits.drain(..3);
                r
            };
            let expr = self.compile_filter(value, pos)?;
            match out.iter_mut().find(|(k, _)| &**k == key) {
                Some(slot) => slot.1 = expr,
                None => out.push((Rc::from(key), expr)),
            }
            if !bits.is_empty() && !kwarg_format {
                if bits[0] != "and" {
                    return Ok(out);
                }
                bits.remove(0);
            }
        }
        Ok(out)
    }
}

impl Error {
    /// Errors raised while compiling a tag point at the tag unless they know better.
    fn at_if_unplaced(mut self, pos: Pos) -> Error {
        if self.line == 0 {
            self.line = pos.line;
            self.column = pos.column;
        }
        self
    }
}

fn unsupported(tag: &str, pos: Pos) -> Error {
    Error::at(ErrorKind::UnknownTag, pos, format!("'{tag}' is not supported by wasmlive's template engine"))
}

fn invalid_block_tag(command: &str, pos: Pos, until: &[&str]) -> Error {
    let message = if until.is_empty() {
        format!("Invalid block tag on line {}: '{command}'. Did you forget to register or load this tag?", pos.line)
    } else {
        let quoted: Vec<String> = until.iter().map(|u| format!("'{u}'")).collect();
        let list = match quoted.as_slice() {
            [one] => one.clone(),
            [init @ .., last] => format!("{} or {last}", init.join(", ")),
            [] => String::new(),
        };
        format!("Invalid block tag on line {}: '{command}', expected {list}. Did you forget to register or load this tag?", pos.line)
    };
    Error::at(ErrorKind::UnknownTag, pos, message)
}

/// `re.split(r" *, *", …)` on the loop variables of a `for` tag.
fn split_loopvars(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b',' || b[i] == b' ' {
            // A separator is spaces, a comma, spaces; plain spaces are not one.
            let mut j = i;
            while j < b.len() && b[j] == b' ' {
                j += 1;
            }
            if j < b.len() && b[j] == b',' {
                let mut k = j + 1;
                while k < b.len() && b[k] == b' ' {
                    k += 1;
                }
                out.push(&s[start..i]);
                start = k;
                i = k;
                continue;
            }
            i = j.max(i + 1);
            continue;
        }
        i += 1;
    }
    out.push(&s[start..]);
    out
}

/// `(?:(\w+)=)?(.+)`
fn kwarg(bit: &str) -> (Option<&str>, &str) {
    let word_end = bit.char_indices().find(|(_, c)| !(c.is_alphanumeric() || *c == '_')).map_or(bit.len(), |(i, _)| i);
    if word_end > 0 && bit[word_end..].starts_with('=') && bit.len() > word_end + 1 {
        (Some(&bit[..word_end]), &bit[word_end + 1..])
    } else {
        (None, bit)
    }
}

/// Django's `construct_relative_path` for `extends`/`include` names starting `./` or `../`.
fn construct_relative_path(current: &str, relative: &str, allow_recursion: bool) -> Result<String, String> {
    let new_name = relative.trim_matches(['\'', '"']);
    if !(new_name.starts_with("./") || new_name.starts_with("../")) {
        return Ok(relative.to_string());
    }
    let base = current.trim_start_matches('/');
    let dir = base.rfind('/').map_or("", |i| &base[..i]);
    let joined = if dir.is_empty() { new_name.to_string() } else { format!("{dir}/{new_name}") };
    let mut parts: Vec<&str> = Vec::new();
    let mut ups = 0;
    for p in joined.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    ups += 1;
                }
            }
            p => parts.push(p),
        }
    }
    if ups > 0 {
        return Err(format!("The relative path '{relative}' points outside the file hierarchy that template '{current}' is in."));
    }
    let normalized = parts.join("/");
    if !allow_recursion && base == normalized {
        return Err(format!(
            "The relative path '{relative}' was translated to template name '{normalized}', the same template in which the tag appears."
        ));
    }
    let quoted = (relative.starts_with('"') || relative.starts_with('\'')) && relative.as_bytes()[0] == relative.as_bytes()[relative.len() - 1];
    Ok(if quoted { format!("\"{normalized}\"") } else { normalized })
}

/// Django's `Token.split_contents`: `smart_split`, with `_("a b")` kept whole.
pub(crate) fn split_contents(contents: &str) -> Vec<&str> {
    let bits = smart_split(contents);
    let mut out: Vec<&str> = Vec::with_capacity(bits.len());
    let mut i = 0;
    while i < bits.len() {
        let bit = bits[i];
        if bit.starts_with("_(\"") || bit.starts_with("_('") {
            let sentinel = format!("{})", &bit[2..3]);
            let start = bit.as_ptr() as usize - contents.as_ptr() as usize;
            let mut j = i;
            while !bits[j].ends_with(&sentinel) && j + 1 < bits.len() {
                j += 1;
            }
            let last = bits[j];
            let end = last.as_ptr() as usize - contents.as_ptr() as usize + last.len();
            // Django joins the pieces with single spaces; they are single-spaced in practice.
            out.push(&contents[start..end]);
            i = j + 1;
        } else {
            out.push(bit);
            i += 1;
        }
    }
    out
}

/// Django's `smart_split`: whitespace-separated, quoted strings kept whole.
fn smart_split(text: &str) -> Vec<&str> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let is_ws = |c: u8| c.is_ascii_whitespace();
    while i < b.len() {
        if is_ws(b[i]) {
            i += 1;
            continue;
        }
        // First alternative: [^\s'"]* ( quoted [^\s'"]* )+
        let mut j = i;
        while j < b.len() && !is_ws(b[j]) && b[j] != b'"' && b[j] != b'\'' {
            j += 1;
        }
        let mut matched_quote = false;
        loop {
            if j < b.len() && (b[j] == b'"' || b[j] == b'\'') {
                let q = b[j];
                let mut k = j + 1;
                let mut closed = false;
                while k < b.len() {
                    if b[k] == b'\\' && k + 1 < b.len() {
                        k += 2;
                        continue;
                    }
                    if b[k] == q {
                        closed = true;
                        break;
                    }
                    k += 1;
                }
                if !closed {
                    break;
                }
                matched_quote = true;
                j = k + 1;
                while j < b.len() && !is_ws(b[j]) && b[j] != b'"' && b[j] != b'\'' {
                    j += 1;
                }
            } else {
                break;
            }
        }
        if !matched_quote {
            // Second alternative: \S+
            j = i;
            while j < b.len() && !is_ws(b[j]) {
                j += 1;
            }
        }
        out.push(&text[i..j]);
        i = j;
    }
    out
}

/// Python's `repr()` of a string, for messages that quote one.
pub(crate) fn py_str_repr(s: &str) -> String {
    let mut out = String::new();
    crate::value::write_str_repr(&mut out, s);
    out
}

fn py_list_repr(items: &[&str]) -> String {
    format!("[{}]", items.iter().map(|s| py_str_repr(s)).collect::<Vec<_>>().join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(src: &str) -> Error {
        Template::compile("t.html", src).unwrap_err()
    }

    #[test]
    fn smart_split_keeps_quotes_together() {
        assert_eq!(smart_split(r#"a "b c"|x:'d e' f"#), vec!["a", r#""b c"|x:'d e'"#, "f"]);
        assert_eq!(split_contents(r#"trans _("a b") as x"#), vec!["trans", r#"_("a b")"#, "as", "x"]);
        assert_eq!(smart_split(r#""unterminated x"#), vec!["\"unterminated", "x"]);
    }

    #[test]
    fn loopvars_split_on_commas() {
        assert_eq!(split_loopvars("a , b,c"), vec!["a", "b", "c"]);
        assert_eq!(split_loopvars("a b"), vec!["a b"]);
    }

    #[test]
    fn errors_are_located_and_worded_like_django() {
        let e = err("a\n  {% frobnicate %}");
        assert_eq!((e.kind, e.line, e.column), (ErrorKind::UnknownTag, 2, 3));
        assert_eq!(e.message, "Invalid block tag on line 2: 'frobnicate'. Did you forget to register or load this tag?");
        let e = err("x {% for a in b %}{{ a }}");
        assert_eq!((e.line, e.column), (1, 3));
        assert_eq!(e.message, "Unclosed tag on line 1: 'for'. Looking for one of: empty, endfor.");
        let e = err("{% if a %}{% endfor %}{% endif %}");
        assert_eq!(e.message, "Invalid block tag on line 1: 'endfor', expected 'elif', 'else' or 'endif'. Did you forget to register or load this tag?");
        assert_eq!(err("{% trans 'x' %}").kind, ErrorKind::UnknownTag);
        assert_eq!(err("{% load nope %}").kind, ErrorKind::UnknownLibrary);
    }

    #[test]
    fn relative_paths_resolve_against_the_template() {
        assert_eq!(construct_relative_path("app/page.html", "'./row.html'", true).unwrap(), "\"app/row.html\"");
        assert!(construct_relative_path("page.html", "'../x.html'", true).is_err());
    }
}
