//! Decoding a render context from JSON, straight into [`Value`]s.
//!
//! Plain JSON maps onto Python as `json.loads` would (integers of any size,
//! floats read exactly, strings, lists, string-keyed dicts in order). An
//! object whose first key is a `$` tag carries what JSON cannot say; the tags
//! are listed in `wit/templates.wit`. A dict whose own keys start with `$`
//! must be sent as `{"$dict": [[key, value], …]}`.
//!
//! A purpose-built decoder rather than serde: it builds values without an
//! intermediate tree, borrows unescaped strings, interns the keys that every
//! row of a table repeats, and parses floats with Rust's correctly rounded
//! `f64::from_str` (Python's repr of a float must survive the trip).

use super::{Date, DateTime, Decimal, Dict, Object, Time, Value};
use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashSet;
use std::rc::Rc;

/// How deeply arrays and objects may nest.
const MAX_DEPTH: usize = 256;

/// Parse `text` as a JSON object of top-level variables.
pub fn decode_context(text: &str) -> Result<Vec<(Rc<str>, Value)>, String> {
    match decode_value(text)? {
        Value::Dict(d) => Ok(Rc::unwrap_or_clone(d)
            .entries
            .into_iter()
            .map(|(k, v)| match k {
                Value::Str(s, _) => (s, v),
                other => (Rc::from(other.to_py_str()), v),
            })
            .collect()),
        other => Err(format!("the context must be a JSON object, not {}", json_kind(&other))),
    }
}

/// Parse one JSON value.
pub fn decode_value(text: &str) -> Result<Value, String> {
    let mut d = Decoder { text, bytes: text.as_bytes(), pos: 0, depth: 0 };
    let v = d.value()?;
    d.skip_ws();
    if d.pos != d.bytes.len() {
        return Err(d.error("trailing characters after the JSON value"));
    }
    Ok(v)
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::None => "null",
        Value::Bool(_) => "a boolean",
        Value::Int(_) | Value::BigInt(_) | Value::Float(_) => "a number",
        Value::Str(..) => "a string",
        Value::List(_) => "an array",
        _ => "a tagged value",
    }
}

struct Decoder<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    depth: usize,
}

impl<'a> Decoder<'a> {
    /// An error located as "line L column C".
    fn error(&self, message: &str) -> String {
        let before = &self.text[..self.pos.min(self.text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        format!("{message} at line {line} column {column}")
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    fn expect(&mut self, byte: u8) -> Result<(), String> {
        self.skip_ws();
        if self.bytes.get(self.pos) == Some(&byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(&format!("expected `{}`", byte as char)))
        }
    }

    fn value(&mut self) -> Result<Value, String> {
        self.skip_ws();
        match self.bytes.get(self.pos) {
            None => Err(self.error("unexpected end of JSON")),
            Some(b'{') => self.nested(Self::object),
            Some(b'[') => self.nested(Self::array),
            Some(b'"') => Ok(Value::Str(Rc::from(&*self.string()?), false)),
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'n') => self.literal("null", Value::None),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.error("expected a JSON value")),
        }
    }

    fn nested(&mut self, f: fn(&mut Self) -> Result<Value, String>) -> Result<Value, String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(&format!("values nest deeper than {MAX_DEPTH} levels")));
        }
        let v = f(self);
        self.depth -= 1;
        v
    }

    fn literal(&mut self, word: &str, v: Value) -> Result<Value, String> {
        if self.text[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(v)
        } else {
            Err(self.error("expected a JSON value"))
        }
    }

    fn number(&mut self) -> Result<Value, String> {
        let start = self.pos;
        let b = self.bytes;
        let mut i = self.pos;
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        let digits_start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == digits_start || (b[digits_start] == b'0' && i - digits_start > 1) {
            self.pos = digits_start;
            return Err(self.error("invalid number"));
        }
        let mut is_float = false;
        if b.get(i) == Some(&b'.') {
            i += 1;
            let frac = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == frac {
                self.pos = i;
                return Err(self.error("invalid number"));
            }
            is_float = true;
        }
        if let Some(b'e' | b'E') = b.get(i) {
            i += 1;
            if let Some(b'+' | b'-') = b.get(i) {
                i += 1;
            }
            let exp = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == exp {
                self.pos = i;
                return Err(self.error("invalid number"));
            }
            is_float = true;
        }
        self.pos = i;
        let text = &self.text[start..i];
        if is_float {
            return text.parse::<f64>().map(Value::Float).map_err(|_| self.error("invalid number"));
        }
        match text.parse::<i64>() {
            Ok(n) => Ok(Value::Int(n)),
            // An integer beyond 64 bits stays exact, as Python's would.
            Err(_) => Decimal::parse(text).map(|d| Value::BigInt(Rc::new(d))).ok_or_else(|| self.error("invalid number")),
        }
    }

    /// A string, borrowed when it has no escapes.
    fn string(&mut self) -> Result<Cow<'a, str>, String> {
        self.pos += 1; // the opening quote
        let start = self.pos;
        let b = self.bytes;
        let mut i = self.pos;
        while let Some(&c) = b.get(i) {
            match c {
                b'"' => {
                    self.pos = i + 1;
                    return Ok(Cow::Borrowed(&self.text[start..i]));
                }
                b'\\' => break,
                0..=0x1f => {
                    self.pos = i;
                    return Err(self.error("control character in a string"));
                }
                _ => i += 1,
            }
        }
        let mut out = String::from(&self.text[start..i]);
        loop {
            match b.get(i) {
                None => {
                    self.pos = i;
                    return Err(self.error("unterminated string"));
                }
                Some(b'"') => {
                    self.pos = i + 1;
                    return Ok(Cow::Owned(out));
                }
                Some(b'\\') => {
                    let esc = b.get(i + 1).copied();
                    i += 2;
                    match esc {
                        Some(b'"') => out.push('"'),
                        Some(b'\\') => out.push('\\'),
                        Some(b'/') => out.push('/'),
                        Some(b'b') => out.push('\u{8}'),
                        Some(b'f') => out.push('\u{c}'),
                        Some(b'n') => out.push('\n'),
                        Some(b'r') => out.push('\r'),
                        Some(b't') => out.push('\t'),
                        Some(b'u') => {
                            let (c, used) = self.unicode_escape(i)?;
                            out.push(c);
                            i += used;
                        }
                        _ => {
                            self.pos = i - 1;
                            return Err(self.error("invalid escape in a string"));
                        }
                    }
                }
                Some(0..=0x1f) => {
                    self.pos = i;
                    return Err(self.error("control character in a string"));
                }
                Some(_) => {
                    let ch = self.text[i..].chars().next().expect("in bounds");
                    out.push(ch);
                    i += ch.len_utf8();
                }
            }
        }
    }

    /// `XXXX` (and a low surrogate's `\uXXXX`) after `\u` at `i`.
    fn unicode_escape(&mut self, i: usize) -> Result<(char, usize), String> {
        let hex = |at: usize| -> Option<u32> { self.text.get(at..at + 4).and_then(|h| u32::from_str_radix(h, 16).ok()) };
        let bad = |d: &mut Self| {
            d.pos = i;
            Err(d.error("invalid \\u escape"))
        };
        let Some(first) = hex(i) else { return bad(self) };
        if (0xD800..0xDC00).contains(&first) {
            if self.text.get(i + 4..i + 6) != Some("\\u") {
                return bad(self);
            }
            let Some(second) = hex(i + 6).filter(|s| (0xDC00..0xE000).contains(s)) else { return bad(self) };
            let c = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
            return char::from_u32(c).map(|c| (c, 10)).map_or_else(|| bad(self), Ok);
        }
        match char::from_u32(first) {
            Some(c) => Ok((c, 4)),
            None => bad(self),
        }
    }

    fn array(&mut self) -> Result<Value, String> {
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.bytes.get(self.pos) == Some(&b']') {
            self.pos += 1;
            return Ok(Value::List(Rc::new(items)));
        }
        loop {
            items.push(self.value()?);
            self.skip_ws();
            match self.bytes.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value::List(Rc::new(items)));
                }
                _ => return Err(self.error("expected `,` or `]`")),
            }
        }
    }

    fn key(&mut self, position: usize) -> Result<Rc<str>, String> {
        self.skip_ws();
        if self.bytes.get(self.pos) != Some(&b'"') {
            return Err(self.error("expected a string key"));
        }
        let key = self.string()?;
        self.expect(b':')?;
        Ok(recent_key(position, &key))
    }

    fn object(&mut self) -> Result<Value, String> {
        self.pos += 1;
        let mut dict = Dict { entries: Vec::with_capacity(8) };
        self.skip_ws();
        if self.bytes.get(self.pos) == Some(&b'}') {
            self.pos += 1;
            return Ok(Value::Dict(Rc::new(dict)));
        }
        let mut position = 0;
        loop {
            let key = self.key(position)?;
            if position == 0 && key.starts_with('$') {
                return self.tagged(&key);
            }
            position += 1;
            let value = self.value()?;
            dict.entries.push((Value::Str(key, false), value));
            self.skip_ws();
            match self.bytes.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Value::Dict(Rc::new(dict)));
                }
                _ => return Err(self.error("expected `,` or `}`")),
            }
        }
    }

    /// The rest of an object that began with tag key `tag` (its `:` read).
    fn tagged(&mut self, tag: &str) -> Result<Value, String> {
        let bad = |d: &Self, what: &str| Err(d.error(&format!("invalid {tag} value: {what}")));
        let text = |d: &mut Self| -> Result<String, String> {
            d.skip_ws();
            if d.bytes.get(d.pos) != Some(&b'"') {
                return Err(d.error(&format!("{tag} takes a string")));
            }
            Ok(d.string()?.into_owned())
        };
        // A tag whose value is a string that `parse` must accept.
        let parsed = |d: &mut Self, parse: fn(&str) -> Option<Value>| -> Result<Value, String> {
            let s = text(d)?;
            parse(&s).map_or_else(|| bad(d, &s), Ok)
        };
        let value = match tag {
            "$safe" => Value::safe(text(self)?),
            "$int" => parsed(self, |s| {
                let d = Decimal::parse(s).filter(|d| d.is_finite() && !d.has_fraction())?;
                Some(match d.to_i128().and_then(|n| i64::try_from(n).ok()) {
                    Some(i) => Value::Int(i),
                    None => Value::BigInt(Rc::new(d.trunc().expect("finite"))),
                })
            })?,
            "$float" => parsed(self, |s| super::parse_py_float(s).map(Value::Float))?,
            "$decimal" => parsed(self, |s| Decimal::parse(s).map(|d| Value::Decimal(Rc::new(d))))?,
            "$date" => parsed(self, |s| Date::parse(s).map(Value::Date))?,
            "$time" => parsed(self, |s| Time::parse(s).map(Value::Time))?,
            "$tuple" => match self.value()? {
                Value::List(items) => Value::Tuple(items),
                _ => return bad(self, "expected an array"),
            },
            "$dict" => match self.value()? {
                Value::List(pairs) => {
                    let mut d = Dict::default();
                    for pair in pairs.iter() {
                        match pair {
                            Value::List(kv) if kv.len() == 2 => d.insert(kv[0].clone(), kv[1].clone()),
                            _ => return bad(self, "expected [key, value] pairs"),
                        }
                    }
                    Value::Dict(Rc::new(d))
                }
                _ => return bad(self, "expected an array of pairs"),
            },
            "$datetime" => {
                let s = text(self)?;
                let (mut offset, mut tzname) = (None, None);
                while self.more_keys()? {
                    match &*self.key(usize::MAX)? {
                        "offset" => match self.value()? {
                            Value::Int(n) if i32::try_from(n).is_ok_and(|n| n.abs() < 86_400) => offset = Some(n as i32),
                            _ => return bad(self, "offset must be seconds east of UTC, under a day"),
                        },
                        "tzname" => tzname = Some(text(self)?),
                        other => return Err(self.error(&format!("unknown key `{other}` in a $datetime value"))),
                    }
                }
                return match DateTime::parse(&s, offset, tzname) {
                    Some(dt) => Ok(Value::DateTime(Rc::new(dt))),
                    None => bad(self, &s),
                };
            }
            "$object" => {
                let s = text(self)?;
                let mut obj = Object { repr: Rc::from(format!("<object {s}>")), str: Rc::from(s), truth: true, attrs: Dict::default(), items: None };
                while self.more_keys()? {
                    match &*self.key(usize::MAX)? {
                        "repr" => obj.repr = Rc::from(text(self)?),
                        "bool" => match self.value()? {
                            Value::Bool(b) => obj.truth = b,
                            _ => return bad(self, "bool must be true or false"),
                        },
                        "attrs" => match self.value()? {
                            Value::Dict(d) => obj.attrs = Rc::unwrap_or_clone(d),
                            _ => return bad(self, "attrs must be an object"),
                        },
                        "items" => match self.value()? {
                            Value::List(items) => obj.items = Some(Rc::unwrap_or_clone(items)),
                            _ => return bad(self, "items must be an array"),
                        },
                        other => return Err(self.error(&format!("unknown key `{other}` in an $object value"))),
                    }
                }
                return Ok(Value::Object(Rc::new(obj)));
            }
            other => {
                return Err(self.error(&format!(
                    "unknown value tag `{other}` (a dict with `$` keys must be sent as {{\"$dict\": [[key, value], …]}})"
                )));
            }
        };
        if self.more_keys()? {
            return Err(self.error(&format!("unexpected key after {tag}")));
        }
        Ok(value)
    }

    /// After a value inside an object: `true` at a `,` (consumed), `false` at the closing `}` (consumed).
    fn more_keys(&mut self) -> Result<bool, String> {
        self.skip_ws();
        match self.bytes.get(self.pos) {
            Some(b',') => {
                self.pos += 1;
                Ok(true)
            }
            Some(b'}') => {
                self.pos += 1;
                Ok(false)
            }
            _ => Err(self.error("expected `,` or `}`")),
        }
    }
}

/// How many distinct keys the interner keeps before starting over.
const INTERNED_KEYS: usize = 4096;
/// Key positions remembered: rows repeat their keys in the same order.
const POSITIONS: usize = 16;

thread_local! {
    static KEYS: RefCell<HashSet<Rc<str>, BuildFnv>> = RefCell::default();
    static RECENT: RefCell<[Option<Rc<str>>; POSITIONS]> = RefCell::new(Default::default());
}

/// The key last seen at this position in an object if it matches, else the
/// interned key: one shared `Rc<str>` per distinct key, not one per row.
fn recent_key(position: usize, key: &str) -> Rc<str> {
    if position >= POSITIONS {
        return intern(key);
    }
    RECENT.with(|recent| {
        let mut recent = recent.borrow_mut();
        if let Some(k) = recent[position].as_ref().filter(|k| &***k == key) {
            return k.clone();
        }
        let k = intern(key);
        recent[position] = Some(k.clone());
        k
    })
}

fn intern(s: &str) -> Rc<str> {
    if s.len() > 64 {
        return Rc::from(s);
    }
    KEYS.with(|keys| {
        let mut keys = keys.borrow_mut();
        if let Some(k) = keys.get(s) {
            return k.clone();
        }
        if keys.len() >= INTERNED_KEYS {
            keys.clear();
        }
        let k: Rc<str> = Rc::from(s);
        keys.insert(k.clone());
        k
    })
}

/// FNV-1a: short keys hash faster than with SipHash, and no attacker picks them.
#[derive(Default, Clone, Copy)]
struct BuildFnv;

struct Fnv(u64);

impl std::hash::BuildHasher for BuildFnv {
    type Hasher = Fnv;
    fn build_hasher(&self) -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl std::hash::Hasher for Fnv {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3);
        }
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_tags() {
        let ctx = decode_context(r#"{"a": {"$int": "123456789012345678901234567890"}, "b": {"$tuple": [1, 2.0]}, "c": {"$safe": "<b>"}, "d": {"$dict": [[1, "x"]]}}"#).unwrap();
        assert_eq!(ctx[0].1.to_py_str(), "123456789012345678901234567890");
        assert_eq!(ctx[1].1.to_py_str(), "(1, 2.0)");
        assert!(ctx[2].1.is_safe());
        assert_eq!(ctx[3].1.to_py_str(), "{1: 'x'}");
    }

    #[test]
    fn reads_json_as_python_would() {
        let v = decode_value(r#" {"s": "\u00e9\ud83c\udf89\n\"\\\/", "n": 18446744073709551616, "f": [0.1, -0.0, 1e300, 2.5E-3],
            "l": [true, false, null, {}, []], "k": {"x": {"y": [[{"z": "w"}]]}}} "#).unwrap();
        assert_eq!(
            v.repr(),
            r#"{'s': 'é🎉\n"\\/', 'n': 18446744073709551616, 'f': [0.1, -0.0, 1e+300, 0.0025], 'l': [True, False, None, {}, []], 'k': {'x': {'y': [[{'z': 'w'}]]}}}"#
        );
    }

    #[test]
    fn locates_syntax_errors() {
        assert_eq!(decode_value("{\"a\": 1,\n \"b\" 2}").unwrap_err(), "expected `:` at line 2 column 6");
        assert!(decode_value("[1, 2").unwrap_err().starts_with("expected `,` or `]`"));
        assert!(decode_value("\"\\ud800\"").unwrap_err().starts_with("invalid \\u escape"));
        assert!(decode_value("01").unwrap_err().starts_with("invalid number"));
        assert!(decode_value(&"[".repeat(300)).unwrap_err().contains("nest deeper than 256"));
        assert!(decode_value("{} x").unwrap_err().starts_with("trailing characters"));
    }

    #[test]
    fn rejects_unknown_tags_and_non_objects() {
        assert!(decode_context(r#"{"a": {"$nope": 1}}"#).unwrap_err().contains("unknown value tag `$nope`"));
        assert!(decode_context("[1]").unwrap_err().contains("must be a JSON object"));
        assert!(decode_context(r#"{"a": {"$date": "2026-13-01"}}"#).unwrap_err().contains("invalid $date"));
    }
}
