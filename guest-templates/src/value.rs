//! How context values print and test for truth, as Python's `str()` and
//! `bool()` would on the values Django's JSON-decoded context holds.

use serde_json::Value;

/// A value during rendering, with Django's "safe string" mark.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Rendered {
    pub value: Value,
    /// Marked safe (by `safe`, `escape`, or as a literal): never escaped again.
    pub safe: bool,
}

impl Rendered {
    pub fn new(value: Value, safe: bool) -> Rendered {
        Rendered { value, safe }
    }
}

/// `str(value)` in Python.
pub(crate) fn to_display(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => repr(other),
    }
}

/// `repr(value)` in Python, used inside lists and dicts.
pub(crate) fn repr(value: &Value) -> String {
    match value {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => i.to_string(),
            (_, Some(u), _) => u.to_string(),
            (_, _, Some(f)) => float_repr(f),
            _ => n.to_string(),
        },
        Value::String(s) => string_repr(s),
        Value::Array(items) => format!("[{}]", items.iter().map(repr).collect::<Vec<_>>().join(", ")),
        Value::Object(map) => format!(
            "{{{}}}",
            map.iter()
                .map(|(k, v)| format!("{}: {}", string_repr(k), repr(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn float_repr(f: f64) -> String {
    if f.is_finite() && f == f.trunc() && f.abs() < 1e16 {
        format!("{f:.1}")
    } else {
        let s = format!("{f}");
        if s.contains('e') { s.replace("e", "e+").replace("e+-", "e-") } else { s }
    }
}

/// Python's string repr: single quotes unless the text has a single quote and no double.
fn string_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') { '"' } else { '\'' };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// `bool(value)` in Python.
pub(crate) fn is_true(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// Django's `escape()`: the five HTML-significant characters.
pub(crate) fn escape_into(out: &mut String, text: &str) {
    let mut last = 0;
    for (i, b) in text.bytes().enumerate() {
        let rep = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#x27;",
            _ => continue,
        };
        out.push_str(&text[last..i]);
        out.push_str(rep);
        last = i + 1;
    }
    out.push_str(&text[last..]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn prints_like_python() {
        assert_eq!(to_display(&json!(null)), "None");
        assert_eq!(to_display(&json!(true)), "True");
        assert_eq!(to_display(&json!(2.0)), "2.0");
        assert_eq!(to_display(&json!(0.5)), "0.5");
        assert_eq!(to_display(&json!(["a", 1, null])), "['a', 1, None]");
        assert_eq!(to_display(&json!({"k": "it's"})), "{'k': \"it's\"}");
    }

    #[test]
    fn escapes_the_five_characters() {
        let mut out = String::new();
        escape_into(&mut out, "<a href=\"x\">'&'</a>");
        assert_eq!(out, "&lt;a href=&quot;x&quot;&gt;&#x27;&amp;&#x27;&lt;/a&gt;");
    }
}
