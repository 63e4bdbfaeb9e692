//! Decoding a render context from JSON.
//!
//! Plain JSON maps onto Python as `json.loads` would (integers that fit 64
//! bits, floats, strings, lists, string-keyed dicts). An object with a single
//! `$`-prefixed tag key carries what JSON cannot say; the tags are listed in
//! `wit/templates.wit`. A dict whose own keys start with `$` must be sent as
//! `{"$dict": [[key, value], …]}`.

use super::{Date, DateTime, Decimal, Dict, Object, Time, Value};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;
use std::rc::Rc;

/// Parse `text` as a JSON object of top-level variables.
pub fn decode_context(text: &str) -> Result<Vec<(Rc<str>, Value)>, String> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value = ValueSeed.deserialize(&mut de).map_err(|e| e.to_string())?;
    de.end().map_err(|e| e.to_string())?;
    match value {
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

/// Parse one value (used by tests and the CLI).
pub fn decode_value(text: &str) -> Result<Value, String> {
    let mut de = serde_json::Deserializer::from_str(text);
    let v = ValueSeed.deserialize(&mut de).map_err(|e| e.to_string())?;
    de.end().map_err(|e| e.to_string())?;
    Ok(v)
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::None => "null",
        Value::Bool(_) => "a boolean",
        Value::Int(_) | Value::Float(_) => "a number",
        Value::Str(..) => "a string",
        Value::List(_) => "an array",
        _ => "a tagged value",
    }
}

struct ValueSeed;

impl<'de> DeserializeSeed<'de> for ValueSeed {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::None)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }
    fn visit_i64<E>(self, i: i64) -> Result<Value, E> {
        Ok(Value::Int(i))
    }
    fn visit_u64<E>(self, u: u64) -> Result<Value, E> {
        Ok(super::int_value(i128::from(u)))
    }
    fn visit_f64<E>(self, f: f64) -> Result<Value, E> {
        Ok(Value::Float(f))
    }
    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::str(s))
    }
    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::str(s))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(v) = seq.next_element_seed(ValueSeed)? {
            items.push(v);
        }
        Ok(Value::List(Rc::new(items)))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut dict = Dict { entries: Vec::with_capacity(map.size_hint().unwrap_or(4)) };
        let mut first = true;
        let mut position = 0;
        while let Some(key) = map.next_key_seed(KeySeed(position))? {
            position += 1;
            if first && key.starts_with('$') {
                return tagged(&key, &mut map);
            }
            first = false;
            let value = map.next_value_seed(ValueSeed)?;
            dict.entries.push((Value::Str(key, false), value));
        }
        Ok(Value::Dict(Rc::new(dict)))
    }
}

/// Dict keys, interned: rows of a table repeat the same few keys, and one
/// shared `Rc<str>` per key saves an allocation per row and key.
/// The key's position in its object: rows repeat their keys in the same
/// order, so the key last seen at this position is checked first.
struct KeySeed(usize);

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Rc<str>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Rc<str>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Rc<str>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string key")
    }
    fn visit_str<E>(self, s: &str) -> Result<Rc<str>, E> {
        const POSITIONS: usize = 16;
        if self.0 >= POSITIONS {
            return Ok(intern(s));
        }
        Ok(RECENT.with(|recent| {
            let mut recent = recent.borrow_mut();
            if let Some(k) = recent[self.0].as_ref().filter(|k| &***k == s) {
                return k.clone();
            }
            let k = intern(s);
            recent[self.0] = Some(k.clone());
            k
        }))
    }
}

thread_local! {
    static RECENT: std::cell::RefCell<[Option<Rc<str>>; 16]> = std::cell::RefCell::new(Default::default());
}

/// How many distinct keys the interner keeps before starting over.
const INTERNED_KEYS: usize = 4096;

thread_local! {
    static KEYS: std::cell::RefCell<std::collections::HashSet<Rc<str>, BuildFnv>> = std::cell::RefCell::default();
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

/// Decode the value of a `{"$tag": …, extra…}` object.
fn tagged<'de, A: MapAccess<'de>>(tag: &str, map: &mut A) -> Result<Value, A::Error> {
    let bad = |what: &str| de::Error::custom(format!("invalid {tag} value: {what}"));
    let value = match tag {
        "$safe" => Value::safe(map.next_value::<String>()?),
        "$int" => {
            let s: String = map.next_value()?;
            let d = Decimal::parse(&s).filter(|d| d.is_finite() && !d.has_fraction()).ok_or_else(|| bad(&s))?;
            match d.to_i128().and_then(|n| i64::try_from(n).ok()) {
                Some(i) => Value::Int(i),
                None => Value::BigInt(Rc::new(d.trunc().expect("finite"))),
            }
        }
        "$float" => {
            let s: String = map.next_value()?;
            Value::Float(super::parse_py_float(&s).ok_or_else(|| bad(&s))?)
        }
        "$decimal" => {
            let s: String = map.next_value()?;
            Value::Decimal(Rc::new(Decimal::parse(&s).ok_or_else(|| bad(&s))?))
        }
        "$date" => {
            let s: String = map.next_value()?;
            Value::Date(Date::parse(&s).ok_or_else(|| bad(&s))?)
        }
        "$time" => {
            let s: String = map.next_value()?;
            Value::Time(Time::parse(&s).ok_or_else(|| bad(&s))?)
        }
        "$tuple" => match map.next_value_seed(ValueSeed)? {
            Value::List(items) => Value::Tuple(items),
            _ => return Err(bad("expected an array")),
        },
        "$dict" => match map.next_value_seed(ValueSeed)? {
            Value::List(pairs) => {
                let mut d = Dict::default();
                for pair in pairs.iter() {
                    match pair {
                        Value::List(kv) if kv.len() == 2 => d.insert(kv[0].clone(), kv[1].clone()),
                        _ => return Err(bad("expected [key, value] pairs")),
                    }
                }
                Value::Dict(Rc::new(d))
            }
            _ => return Err(bad("expected an array of pairs")),
        },
        "$datetime" => {
            let s: String = map.next_value()?;
            let (mut offset, mut tzname) = (None, None);
            while let Some(key) = map.next_key::<String>()? {
                match key.as_str() {
                    "offset" => offset = Some(map.next_value::<i32>()?),
                    "tzname" => tzname = Some(map.next_value::<String>()?),
                    other => return Err(de::Error::custom(format!("unknown key `{other}` in a $datetime value"))),
                }
            }
            return DateTime::parse(&s, offset, tzname).map(|dt| Value::DateTime(Rc::new(dt))).ok_or_else(|| bad(&s));
        }
        "$object" => {
            let s: String = map.next_value()?;
            let mut obj = Object { repr: Rc::from(format!("<object {s}>")), str: Rc::from(s), truth: true, attrs: Dict::default(), items: None };
            while let Some(key) = map.next_key::<String>()? {
                match key.as_str() {
                    "repr" => obj.repr = Rc::from(map.next_value::<String>()?),
                    "bool" => obj.truth = map.next_value()?,
                    "attrs" => match map.next_value_seed(ValueSeed)? {
                        Value::Dict(d) => obj.attrs = Rc::unwrap_or_clone(d),
                        _ => return Err(bad("attrs must be an object")),
                    },
                    "items" => match map.next_value_seed(ValueSeed)? {
                        Value::List(items) => obj.items = Some(Rc::unwrap_or_clone(items)),
                        _ => return Err(bad("items must be an array")),
                    },
                    other => return Err(de::Error::custom(format!("unknown key `{other}` in an $object value"))),
                }
            }
            return Ok(Value::Object(Rc::new(obj)));
        }
        other => return Err(de::Error::custom(format!("unknown value tag `{other}` (a dict with `$` keys must be sent as {{\"$dict\": [[key, value], …]}})"))),
    };
    if let Some(key) = map.next_key::<String>()? {
        return Err(de::Error::custom(format!("unexpected key `{key}` after {tag}")));
    }
    Ok(value)
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
    fn rejects_unknown_tags_and_non_objects() {
        assert!(decode_context(r#"{"a": {"$nope": 1}}"#).unwrap_err().contains("unknown value tag `$nope`"));
        assert!(decode_context("[1]").unwrap_err().contains("must be a JSON object"));
        assert!(decode_context(r#"{"a": {"$date": "2026-13-01"}}"#).unwrap_err().contains("invalid $date"));
    }
}
