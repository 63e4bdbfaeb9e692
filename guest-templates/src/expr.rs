//! Filter expressions — `value|filter:arg|filter` — parsed exactly as
//! Django's `FilterExpression` does with its `filter_re`, and the variables
//! and literals inside them (Django's `Variable`).

use crate::error::{Error, ErrorKind, Pos};
use crate::filters::Filter;
use crate::value::Value;
use std::rc::Rc;

/// `operand|filter:arg|…`, compiled.
#[derive(Debug, Clone)]
pub(crate) struct FilterExpr {
    pub operand: Operand,
    pub filters: Vec<FilterCall>,
    /// Where the expression is, for render-time errors.
    pub pos: Pos,
}

/// The start of an expression, or a filter's argument.
#[derive(Debug, Clone)]
pub(crate) enum Operand {
    /// A dotted lookup such as `user.name` or `rows.0`.
    Lookup(Rc<[Rc<str>]>),
    /// A number, or a quoted string (safe, as Django marks string literals).
    Literal(Value),
    /// `_("text")`: translated when rendered.
    Translated(Rc<str>),
}

#[derive(Debug, Clone)]
pub(crate) struct FilterCall {
    pub filter: Filter,
    pub arg: Option<Operand>,
}

impl FilterExpr {
    /// Parse `token` as Django's `FilterExpression(token, parser)`.
    pub fn parse(token: &str, pos: Pos) -> Result<FilterExpr, Error> {
        let syntax = |msg: String| Error::at(ErrorKind::Syntax, pos, msg);
        let mut operand = None;
        let mut filters = Vec::new();
        let mut upto = 0;
        while let Some((start, m)) = find_match(token, upto) {
            if start != upto {
                return Err(syntax(format!(
                    "Could not parse some characters: {}|{}|{}",
                    &token[..upto],
                    &token[upto..start],
                    &token[start..]
                )));
            }
            match (operand.is_none(), m.kind) {
                (true, MatchKind::Constant) => operand = Some(constant(&token[start..m.end], pos)?),
                (true, MatchKind::Var) => operand = Some(variable(&token[start..m.end], pos)?),
                (true, MatchKind::Filter { .. }) => {
                    return Err(syntax(format!("Could not find variable at start of {token}.")));
                }
                (false, MatchKind::Filter { name, arg }) => {
                    let name = &token[name.0..name.1];
                    let filter = Filter::by_name(name)
                        .ok_or_else(|| Error::at(ErrorKind::UnknownFilter, pos, format!("Invalid filter: '{name}'")))?;
                    let arg = match arg {
                        Some((a, b, true)) => Some(constant(&token[a..b], pos)?),
                        Some((a, b, false)) => Some(variable(&token[a..b], pos)?),
                        None => None,
                    };
                    let (min, max) = filter.arity();
                    let provided = 1 + usize::from(arg.is_some());
                    if provided < min || provided > max {
                        return Err(syntax(format!("{name} requires {min} arguments, {provided} provided")));
                    }
                    filters.push(FilterCall { filter, arg });
                }
                (false, _) => unreachable!("constants and variables only match at the start"),
            }
            upto = m.end;
        }
        if upto != token.len() {
            return Err(syntax(format!("Could not parse the remainder: '{}' from '{}'", &token[upto..], token)));
        }
        let operand = operand.ok_or_else(|| syntax(format!("Could not find variable at start of {token}.")))?;
        Ok(FilterExpr { operand, filters, pos })
    }
}

/// Parse a tag argument that is a bare variable or literal (no filters), as
/// Django's `Variable(bit)`.
pub(crate) fn variable(text: &str, pos: Pos) -> Result<Operand, Error> {
    let syntax = |msg: String| Error::at(ErrorKind::Syntax, pos, msg);
    let looks_float = text.contains('.') || text.to_ascii_lowercase().contains('e');
    if looks_float {
        if let Some(f) = crate::value::parse_py_float(text).filter(|_| !is_inf_nan_word(text)) {
            if text.ends_with('.') {
                // Django: "2." is not a number; it falls through to a lookup.
            } else {
                return Ok(Operand::Literal(Value::Float(f)));
            }
        }
    } else if let Some(i) = parse_py_int(text) {
        return Ok(Operand::Literal(i));
    }
    let (translate, inner) = match text.strip_prefix("_(").and_then(|t| t.strip_suffix(')')) {
        Some(inner) => (true, inner),
        None => (false, text),
    };
    if let Some(lit) = unescape_string_literal(inner) {
        return Ok(if translate { Operand::Translated(lit.into()) } else { Operand::Literal(Value::safe(lit)) });
    }
    if inner.contains("._") || inner.starts_with('_') {
        return Err(syntax(format!("Variables and attributes may not begin with underscores: '{inner}'")));
    }
    Ok(Operand::Lookup(inner.split('.').map(Rc::from).collect()))
}

/// Python's float() accepts "inf"/"nan" words; Django only reaches float()
/// for text containing '.' or 'e', so only "infinity"-like words matter.
fn is_inf_nan_word(text: &str) -> bool {
    let t = text.trim_start_matches(['+', '-']).to_ascii_lowercase();
    matches!(t.as_str(), "inf" | "infinity" | "nan")
}

fn parse_py_int(text: &str) -> Option<Value> {
    let v = crate::value::py_int(&Value::str(text.trim()))?;
    if text.trim() != text {
        // int() ignores surrounding whitespace; Django's tokens never have it.
    }
    Some(crate::value::int_value(v))
}

fn constant(text: &str, pos: Pos) -> Result<Operand, Error> {
    variable(text, pos)
}

/// `"…"` or `'…'` with `\"`/`\'` and `\\` unescaped, as Django's
/// `unescape_string_literal`; `None` if not a quoted literal.
pub(crate) fn unescape_string_literal(s: &str) -> Option<String> {
    let first = *s.as_bytes().first()?;
    if !(first == b'"' || first == b'\'') || s.len() < 2 || s.as_bytes()[s.len() - 1] != first {
        return None;
    }
    let q = first as char;
    Some(s[1..s.len() - 1].replace(&format!("\\{q}"), &q.to_string()).replace("\\\\", "\\"))
}

#[derive(Debug, Clone, Copy)]
enum MatchKind {
    Constant,
    Var,
    /// Byte ranges of the filter's name and argument (with whether the argument is a constant).
    Filter { name: (usize, usize), arg: Option<(usize, usize, bool)> },
}

#[derive(Debug, Clone, Copy)]
struct Match {
    kind: MatchKind,
    end: usize,
}

/// The next match of Django's `filter_re` at or after `from`, as `finditer` would find it.
fn find_match(token: &str, from: usize) -> Option<(usize, Match)> {
    let mut i = from;
    while i <= token.len() {
        if token.is_char_boundary(i) {
            if let Some(m) = match_at(token, i) {
                return Some((i, m));
            }
        }
        i += 1;
    }
    None
}

fn match_at(token: &str, i: usize) -> Option<Match> {
    if i == 0 {
        if let Some(end) = match_constant(token, 0) {
            return Some(Match { kind: MatchKind::Constant, end });
        }
        if let Some(end) = match_var(token, 0) {
            return Some(Match { kind: MatchKind::Var, end });
        }
    }
    match_filter(token, i)
}

/// `\s*\|\s*(\w+)(?::(constant|var))?`
fn match_filter(token: &str, i: usize) -> Option<Match> {
    let mut j = skip_ws(token, i);
    if token.as_bytes().get(j) != Some(&b'|') {
        return None;
    }
    j = skip_ws(token, j + 1);
    let name_end = match_word(token, j);
    if name_end == j {
        return None;
    }
    let name = (j, name_end);
    let mut end = name_end;
    let mut arg = None;
    if token.as_bytes().get(end) == Some(&b':') {
        if let Some(e) = match_constant(token, end + 1) {
            arg = Some((end + 1, e, true));
            end = e;
        } else if let Some(e) = match_var(token, end + 1) {
            arg = Some((end + 1, e, false));
            end = e;
        }
    }
    Some(Match { kind: MatchKind::Filter { name, arg }, end })
}

fn skip_ws(token: &str, mut i: usize) -> usize {
    while let Some(c) = token[i..].chars().next() {
        if !c.is_whitespace() {
            break;
        }
        i += c.len_utf8();
    }
    i
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn match_word(token: &str, mut i: usize) -> usize {
    while let Some(c) = token[i..].chars().next() {
        if !is_word(c) {
            break;
        }
        i += c.len_utf8();
    }
    i
}

/// `[\w.]+|[-+.]?\d[\d.e]*`
fn match_var(token: &str, i: usize) -> Option<usize> {
    let mut j = i;
    while let Some(c) = token[j..].chars().next() {
        if !(is_word(c) || c == '.') {
            break;
        }
        j += c.len_utf8();
    }
    if j > i {
        return Some(j);
    }
    let b = token.as_bytes();
    let mut j = i;
    if matches!(b.get(j), Some(b'-' | b'+' | b'.')) {
        j += 1;
    }
    if !b.get(j).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    j += 1;
    while b.get(j).is_some_and(|c| c.is_ascii_digit() || *c == b'.' || *c == b'e') {
        j += 1;
    }
    Some(j)
}

/// `_("…")`, `_('…')`, `"…"`, `'…'` with backslash escapes.
fn match_constant(token: &str, i: usize) -> Option<usize> {
    let rest = &token[i..];
    if let Some(inner) = rest.strip_prefix("_(") {
        if let Some(n) = match_quoted(inner) {
            if inner[n..].starts_with(')') {
                return Some(i + 2 + n + 1);
            }
        }
        return None;
    }
    match_quoted(rest).map(|n| i + n)
}

fn match_quoted(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let q = *b.first()?;
    if q != b'"' && q != b'\'' {
        return None;
    }
    let mut j = 1;
    while j < b.len() {
        match b[j] {
            b'\\' if j + 1 < b.len() && b[j + 1] != b'\n' => j += 2,
            b'\\' => return None,
            c if c == q => return Some(j + 1),
            _ => j += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(s: &str) -> String {
        FilterExpr::parse(s, Pos::default()).unwrap_err().message
    }

    #[test]
    fn parses_operands_and_filters() {
        let e = FilterExpr::parse(r#"a.b|default:"x|y"|upper"#, Pos::default()).unwrap();
        assert!(matches!(&e.operand, Operand::Lookup(p) if p.len() == 2));
        assert_eq!(e.filters.len(), 2);
        let e = FilterExpr::parse("-1.5|add:2", Pos::default()).unwrap();
        assert!(matches!(e.operand, Operand::Literal(Value::Float(f)) if f == -1.5));
    }

    #[test]
    fn reports_like_django() {
        assert_eq!(err("a b"), "Could not parse the remainder: ' b' from 'a b'");
        assert_eq!(err("|upper"), "Could not find variable at start of |upper.");
        assert_eq!(err("a|upper:1"), "upper requires 1 arguments, 2 provided");
        assert_eq!(err("a|default"), "default requires 2 arguments, 1 provided");
        assert_eq!(err("a._b"), "Variables and attributes may not begin with underscores: 'a._b'");
        assert_eq!(err("a|nope"), "Invalid filter: 'nope'");
    }
}
