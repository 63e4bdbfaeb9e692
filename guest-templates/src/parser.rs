//! Turns tokens into a tree of nodes. Block tags parse their bodies by
//! recursion until one of their end tags, as Django's `Parser.parse(until)`.

use crate::error::{Error, ErrorKind, Pos};
use crate::filters::Filter;
use crate::lexer::{Token, TokenKind, tokenize};
use serde_json::Value;

/// A compiled template: its name and node tree.
#[derive(Debug, Clone)]
pub struct Template {
    pub(crate) name: String,
    pub(crate) nodes: Vec<Node>,
}

impl Template {
    /// Compile `source`; errors carry `name` and the position of the offending token.
    pub fn compile(name: &str, source: &str) -> Result<Template, Error> {
        let tokens = tokenize(source);
        let mut parser = Parser { tokens, next: 0 };
        let (nodes, end) = parser.parse_until(&[]).map_err(|e| e.in_template(name))?;
        debug_assert!(end.is_none());
        Ok(Template {
            name: name.to_string(),
            nodes,
        })
    }

    /// The name given at compile time.
    pub fn name(&self) -> &str {
        &self.name
    }
}

#[derive(Debug, Clone)]
pub(crate) enum Node {
    Text(String),
    Variable(FilterExpr),
    For(ForNode),
    If(IfNode),
}

#[derive(Debug, Clone)]
pub(crate) struct ForNode {
    pub target: String,
    pub iterable: FilterExpr,
    pub reversed: bool,
    pub body: Vec<Node>,
    pub empty: Vec<Node>,
}

#[derive(Debug, Clone)]
pub(crate) struct IfNode {
    pub negated: bool,
    pub condition: FilterExpr,
    pub then: Vec<Node>,
    pub otherwise: Vec<Node>,
}

/// `operand|filter:arg|filter…`
#[derive(Debug, Clone)]
pub(crate) struct FilterExpr {
    pub operand: Operand,
    pub filters: Vec<FilterCall>,
    pub pos: Pos,
}

#[derive(Debug, Clone)]
pub(crate) enum Operand {
    /// A dotted lookup such as `user.name` or `rows.0`.
    Lookup(Vec<String>),
    /// A string or number literal; literal strings are safe, as in Django.
    Literal(Value),
}

#[derive(Debug, Clone)]
pub(crate) struct FilterCall {
    pub filter: Filter,
    pub arg: Option<Operand>,
}

struct Parser<'s> {
    tokens: Vec<Token<'s>>,
    next: usize,
}

/// The end tag that stopped a nested parse, with its position.
type EndTag = Option<(String, Pos)>;

impl<'s> Parser<'s> {
    /// Parse nodes until one of the `until` tags (returned) or the end of input (`None`).
    fn parse_until(&mut self, until: &[&str]) -> Result<(Vec<Node>, EndTag), Error> {
        let mut nodes = Vec::new();
        while let Some(token) = self.tokens.get(self.next).cloned() {
            self.next += 1;
            match token.kind {
                TokenKind::Text => nodes.push(Node::Text(token.contents.to_string())),
                TokenKind::Comment => {}
                TokenKind::Variable => {
                    if token.contents.is_empty() {
                        return Err(Error::at(ErrorKind::Syntax, token.pos, "Empty variable tag"));
                    }
                    nodes.push(Node::Variable(parse_filter_expr(token.contents, token.pos)?));
                }
                TokenKind::Block => {
                    let mut bits = token.contents.split_whitespace();
                    let Some(command) = bits.next() else {
                        return Err(Error::at(ErrorKind::Syntax, token.pos, "Empty block tag"));
                    };
                    if until.contains(&command) {
                        return Ok((nodes, Some((token.contents.to_string(), token.pos))));
                    }
                    let rest: Vec<&str> = bits.collect();
                    nodes.push(match command {
                        "for" => self.parse_for(&rest, token.pos)?,
                        "if" => self.parse_if(&rest, token.pos)?,
                        _ => return Err(invalid_block_tag(command, until, token.pos)),
                    });
                }
            }
        }
        Ok((nodes, None))
    }

    /// Parse a nested body; an unclosed tag is reported at the opening tag.
    fn parse_body(&mut self, tag: &str, pos: Pos, until: &[&str]) -> Result<(Vec<Node>, String), Error> {
        match self.parse_until(until) {
            Ok((nodes, Some((end, _)))) => Ok((nodes, end)),
            Ok((_, None)) => Err(Error::at(
                ErrorKind::Syntax,
                pos,
                format!("Unclosed tag on line {}: '{tag}'. Looking for one of: {}.", pos.line, until.join(", ")),
            )),
            Err(e) => Err(e),
        }
    }

    fn parse_for(&mut self, bits: &[&str], pos: Pos) -> Result<Node, Error> {
        let (reversed, bits) = match bits.split_last() {
            Some((&"reversed", rest)) => (true, rest),
            _ => (false, bits),
        };
        let [target, "in", iterable] = bits else {
            return Err(Error::at(
                ErrorKind::Syntax,
                pos,
                format!("'for' statements should use the format 'for x in y': for {}", bits.join(" ")),
            ));
        };
        let iterable = parse_filter_expr(iterable, pos)?;
        let (body, end) = self.parse_body("for", pos, &["empty", "endfor"])?;
        let empty = if end == "empty" {
            self.parse_body("for", pos, &["endfor"])?.0
        } else {
            Vec::new()
        };
        Ok(Node::For(ForNode {
            target: target.to_string(),
            iterable,
            reversed,
            body,
            empty,
        }))
    }

    fn parse_if(&mut self, bits: &[&str], pos: Pos) -> Result<Node, Error> {
        let (negated, bits) = match bits.split_first() {
            Some((&"not", rest)) => (true, rest),
            _ => (false, bits),
        };
        let [condition] = bits else {
            return Err(Error::at(
                ErrorKind::Syntax,
                pos,
                "this engine's 'if' takes one operand, optionally preceded by 'not'",
            ));
        };
        let condition = parse_filter_expr(condition, pos)?;
        let (then, end) = self.parse_body("if", pos, &["else", "endif"])?;
        let otherwise = if end == "else" {
            self.parse_body("if", pos, &["endif"])?.0
        } else {
            Vec::new()
        };
        Ok(Node::If(IfNode {
            negated,
            condition,
            then,
            otherwise,
        }))
    }
}

fn invalid_block_tag(command: &str, until: &[&str], pos: Pos) -> Error {
    let expected = match until {
        [] => String::new(),
        [one] => format!(", expected '{one}'"),
        [init @ .., last] => format!(
            ", expected {} or '{last}'",
            init.iter().map(|t| format!("'{t}'")).collect::<Vec<_>>().join(", ")
        ),
    };
    Error::at(
        ErrorKind::UnknownTag,
        pos,
        format!(
            "Invalid block tag on line {}: '{command}'{expected}. Did you forget to register or load this tag?",
            pos.line
        ),
    )
}

/// Parse `operand|filter:arg|…`, splitting on `|` and `:` outside quotes.
pub(crate) fn parse_filter_expr(source: &str, pos: Pos) -> Result<FilterExpr, Error> {
    let parts = split_outside_quotes(source, '|');
    let operand = parse_operand(parts[0].trim(), pos)?;
    let mut filters = Vec::new();
    for part in &parts[1..] {
        let mut name_arg = split_outside_quotes(part, ':').into_iter();
        let name = name_arg.next().unwrap_or_default().trim();
        let filter = Filter::by_name(name).ok_or_else(|| {
            Error::at(ErrorKind::UnknownFilter, pos, format!("Invalid filter: '{name}'"))
        })?;
        let rest: Vec<&str> = name_arg.collect();
        let arg = match rest.as_slice() {
            [] => None,
            _ => Some(parse_operand(rest.join(":").trim(), pos)?),
        };
        if filter.takes_arg() != arg.is_some() {
            let need = if filter.takes_arg() { "requires 2" } else { "requires 1" };
            return Err(Error::at(
                ErrorKind::Syntax,
                pos,
                format!("{name} {need} arguments, {} provided", 1 + usize::from(arg.is_some())),
            ));
        }
        filters.push(FilterCall { filter, arg });
    }
    Ok(FilterExpr { operand, filters, pos })
}

fn parse_operand(text: &str, pos: Pos) -> Result<Operand, Error> {
    let bad = || Error::at(ErrorKind::Syntax, pos, format!("Could not parse the remainder: '{text}'"));
    if text.is_empty() {
        return Err(bad());
    }
    let first = text.as_bytes()[0];
    if first == b'"' || first == b'\'' {
        let inner = text
            .strip_prefix(first as char)
            .and_then(|t| t.strip_suffix(first as char))
            .filter(|_| text.len() >= 2)
            .ok_or_else(bad)?;
        return Ok(Operand::Literal(Value::String(inner.to_string())));
    }
    if first.is_ascii_digit() || first == b'-' || first == b'+' {
        if let Ok(i) = text.parse::<i64>() {
            return Ok(Operand::Literal(Value::from(i)));
        }
        if let Ok(f) = text.parse::<f64>() {
            return Ok(Operand::Literal(Value::from(f)));
        }
        return Err(bad());
    }
    let parts: Vec<String> = text.split('.').map(str::to_string).collect();
    let valid = |p: &String| !p.is_empty() && !p.starts_with('_') && p.chars().all(|c| c.is_alphanumeric() || c == '_');
    if !parts.iter().all(valid) {
        return Err(bad());
    }
    Ok(Operand::Lookup(parts))
}

fn split_outside_quotes(text: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut quote = None;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == sep => {
                parts.push(&text[start..i]);
                start = i + c.len_utf8();
            }
            None => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(src: &str) -> Error {
        Template::compile("t.html", src).unwrap_err()
    }

    #[test]
    fn unknown_tag_is_located() {
        let e = err("a\n  {% frobnicate %}");
        assert_eq!((e.kind, e.line, e.column), (ErrorKind::UnknownTag, 2, 3));
        assert_eq!(e.template, "t.html");
        assert!(e.message.contains("'frobnicate'"), "{}", e.message);
    }

    #[test]
    fn unclosed_for_points_at_the_opening_tag() {
        let e = err("x {% for a in b %}{{ a }}");
        assert_eq!((e.kind, e.line, e.column), (ErrorKind::Syntax, 1, 3));
        assert!(e.message.contains("Unclosed tag on line 1: 'for'"), "{}", e.message);
    }

    #[test]
    fn unknown_filter_is_an_error() {
        let e = err("{{ a|nope }}");
        assert_eq!(e.kind, ErrorKind::UnknownFilter);
        assert_eq!(e.message, "Invalid filter: 'nope'");
    }

    #[test]
    fn stray_end_tag_names_what_was_expected() {
        let e = err("{% if a %}{% endfor %}{% endif %}");
        assert!(e.message.contains("expected 'else' or 'endif'"), "{}", e.message);
    }

    #[test]
    fn bad_operand_is_a_syntax_error() {
        assert_eq!(err("{{ a..b }}").kind, ErrorKind::Syntax);
        assert_eq!(err("{{ 'open }}").kind, ErrorKind::Syntax);
        assert_eq!(err("{{ a._private }}").kind, ErrorKind::Syntax);
    }
}
