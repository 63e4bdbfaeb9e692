//! Filters on sequences and mappings.

use super::html::escape;
use crate::value::{Value, py_cmp, py_int};
use std::cmp::Ordering;
use std::rc::Rc;

fn subscript_error(v: &Value) -> String {
    format!("'{}' object is not subscriptable", v.type_name())
}

pub fn first(v: &Value) -> Result<Value, String> {
    index(v, 0)
}

pub fn last(v: &Value) -> Result<Value, String> {
    index(v, -1)
}

fn index(v: &Value, i: i64) -> Result<Value, String> {
    let pick = |len: usize| -> Option<usize> {
        let idx = if i < 0 { len as i64 + i } else { i };
        (idx >= 0 && (idx as usize) < len).then_some(idx as usize)
    };
    match v {
        Value::List(items) | Value::Tuple(items) => Ok(pick(items.len()).map_or_else(Value::empty, |k| items[k].clone())),
        Value::Str(s, _) => {
            let chars: Vec<char> = s.chars().collect();
            Ok(pick(chars.len()).map_or_else(Value::empty, |k| Value::str(chars[k].to_string())))
        }
        Value::Dict(d) => d.get(&Value::Int(i)).cloned().ok_or_else(|| i.to_string()),
        Value::Object(o) if o.items.is_some() => {
            let items = o.items.as_ref().expect("checked");
            Ok(pick(items.len()).map_or_else(Value::empty, |k| items[k].clone()))
        }
        other => Err(subscript_error(other)),
    }
}

/// `conditional_escape(str(v))`.
fn cond_escape(v: &Value) -> String {
    if v.is_safe() { v.to_py_str() } else { escape(&v.to_py_str()) }
}

pub fn join(value: &Value, arg: &Value, autoescape: bool) -> Value {
    if let (Value::List(items) | Value::Tuple(items), true) = (value, autoescape) {
        // The common case, without an intermediate list of strings.
        let sep: std::borrow::Cow<str> = match arg {
            Value::Str(s, true) => std::borrow::Cow::Borrowed(s),
            other => std::borrow::Cow::Owned(cond_escape(other)),
        };
        return Value::Str(
            crate::value::build_str(|out| {
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(&sep);
                    }
                    match item {
                        Value::Str(s, true) => out.push_str(s),
                        Value::Str(s, false) => crate::render::escape_into(out, s),
                        other => crate::render::escape_into(out, &other.to_py_str()),
                    }
                }
            }),
            true,
        );
    }
    let Some(items) = (match value {
        Value::Str(..) | Value::List(_) | Value::Tuple(_) | Value::Dict(_) | Value::DictView(..) | Value::Object(_) => value.iter_items(),
        _ => None,
    }) else {
        return value.clone();
    };
    if autoescape {
        let sep = cond_escape(arg);
        let parts: Vec<String> = items.iter().map(cond_escape).collect();
        Value::safe(parts.join(&sep))
    } else {
        let Value::Str(sep, _) = arg else { return value.clone() };
        let mut parts = Vec::with_capacity(items.len());
        for item in &items {
            match item {
                Value::Str(s, _) => parts.push(s.to_string()),
                _ => return value.clone(),
            }
        }
        Value::safe(parts.join(sep))
    }
}

pub fn escapeseq(value: &Value) -> Result<Value, String> {
    let items = value.iter_items().ok_or_else(|| format!("'{}' object is not iterable", value.type_name()))?;
    Ok(Value::List(Rc::new(items.iter().map(|v| Value::safe(cond_escape(v))).collect())))
}

pub fn safeseq(value: &Value) -> Result<Value, String> {
    let items = value.iter_items().ok_or_else(|| format!("'{}' object is not iterable", value.type_name()))?;
    Ok(Value::List(Rc::new(items.iter().map(|v| Value::safe(v.to_py_str())).collect())))
}

/// Resolve a `dictsort` key on one item; `None` where Django's resolver raises.
fn sort_key(item: &Value, arg: &Value) -> Option<Value> {
    let numeric = match arg {
        Value::Int(_) | Value::Float(_) | Value::Bool(_) => true,
        Value::Str(s, _) => crate::value::parse_py_float(s).is_some(),
        _ => false,
    };
    if numeric {
        // itemgetter(arg): arg used as is (an int indexes, a string keys).
        return match (item, arg) {
            (Value::List(v) | Value::Tuple(v), Value::Int(i)) => {
                let idx = if *i < 0 { v.len() as i64 + i } else { *i };
                v.get(usize::try_from(idx).ok()?).cloned()
            }
            (Value::Dict(d), key) => d.get(key).cloned(),
            _ => None,
        };
    }
    let path = arg.to_py_str();
    if path.contains("._") || path.starts_with('_') {
        return None;
    }
    let mut cur = item.clone();
    for part in path.split('.') {
        cur = match &cur {
            Value::Dict(d) => d.get_str(part).cloned()?,
            Value::List(v) | Value::Tuple(v) => {
                let i = part.parse::<i64>().ok()?;
                let idx = if i < 0 { v.len() as i64 + i } else { i };
                v.get(usize::try_from(idx).ok()?).cloned()?
            }
            Value::Object(o) => o.attrs.get_str(part).cloned()?,
            _ => return None,
        };
    }
    Some(cur)
}

pub fn dictsort(value: &Value, arg: &Value, reverse: bool) -> Value {
    let Some(items) = (match value {
        Value::Str(..) | Value::List(_) | Value::Tuple(_) | Value::Dict(_) | Value::DictView(..) | Value::Object(_) => value.iter_items(),
        _ => None,
    }) else {
        return Value::empty();
    };
    let mut keyed = Vec::with_capacity(items.len());
    for item in items {
        match sort_key(&item, arg) {
            Some(k) => keyed.push((k, item)),
            None => return Value::empty(),
        }
    }
    let mut failed = false;
    keyed.sort_by(|a, b| match py_cmp(&a.0, &b.0) {
        Some(o) => {
            if reverse { o.reverse() } else { o }
        }
        None => {
            failed = true;
            Ordering::Equal
        }
    });
    if failed && keyed.len() > 1 {
        return Value::empty();
    }
    Value::List(Rc::new(keyed.into_iter().map(|(_, v)| v).collect()))
}

/// `random.choice(value)` from a generator seeded per render (xorshift).
pub fn random(value: &Value, state: &mut u64) -> Result<Value, String> {
    let len = value.len().ok_or_else(|| format!("object of type '{}' has no len()", value.type_name()))?;
    if len == 0 {
        return Ok(Value::empty());
    }
    let mut x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;
    index(value, (x % len as u64) as i64)
}

pub fn slice(value: &Value, arg: &Value) -> Value {
    let spec = arg.to_py_str();
    let mut bits: Vec<Option<i64>> = Vec::new();
    for part in spec.split(':') {
        if part.is_empty() {
            bits.push(None);
        } else {
            match py_int(&Value::str(part)) {
                Some(n) => bits.push(Some(n.clamp(i128::from(i64::MIN / 2), i128::from(i64::MAX / 2)) as i64)),
                None => return value.clone(),
            }
        }
    }
    let (start, stop, step) = match bits.as_slice() {
        [stop] => (None, *stop, None),
        [start, stop] => (*start, *stop, None),
        [start, stop, step] => (*start, *stop, *step),
        _ => return value.clone(),
    };
    if step == Some(0) {
        return value.clone();
    }
    let take = |len: usize| slice_indices(len, start, stop, step.unwrap_or(1));
    match value {
        Value::List(items) => Value::List(Rc::new(take(items.len()).into_iter().map(|i| items[i].clone()).collect())),
        Value::Tuple(items) => Value::Tuple(Rc::new(take(items.len()).into_iter().map(|i| items[i].clone()).collect())),
        Value::Str(s, safe) => {
            let chars: Vec<char> = s.chars().collect();
            let out: String = take(chars.len()).into_iter().map(|i| chars[i]).collect();
            Value::Str(Rc::from(out), *safe)
        }
        _ => value.clone(),
    }
}

/// The indices Python's `seq[start:stop:step]` selects.
fn slice_indices(len: usize, start: Option<i64>, stop: Option<i64>, step: i64) -> Vec<usize> {
    let len = len as i64;
    let norm = |v: i64, lo: i64, hi: i64| -> i64 {
        let v = if v < 0 { v + len } else { v };
        v.clamp(lo, hi)
    };
    let mut out = Vec::new();
    if step > 0 {
        let s = start.map_or(0, |v| norm(v, 0, len));
        let e = stop.map_or(len, |v| norm(v, 0, len));
        let mut i = s;
        while i < e {
            out.push(i as usize);
            i += step;
        }
    } else {
        let s = start.map_or(len - 1, |v| norm(v, -1, len - 1));
        let e = stop.map_or(-1, |v| norm(v, -1, len - 1));
        let mut i = s;
        while i > e {
            out.push(i as usize);
            i += step;
        }
    }
    out
}

pub fn unordered_list(value: &Value, autoescape: bool) -> Result<String, String> {
    let items = value.iter_items().ok_or_else(|| format!("'{}' object is not iterable", value.type_name()))?;
    Ok(list_formatter(&items, 1, autoescape))
}

fn is_sublist(v: &Value) -> bool {
    matches!(v, Value::List(_) | Value::Tuple(_))
}

fn list_formatter(items: &[Value], tabs: usize, autoescape: bool) -> String {
    let indent = "\t".repeat(tabs);
    let mut output = Vec::new();
    let mut i = 0;
    while i < items.len() {
        let item = &items[i];
        let mut children: Option<Vec<Value>> = None;
        if let Some(next) = items.get(i + 1) {
            if is_sublist(next) {
                children = next.iter_items();
                i += 1;
            }
        }
        i += 1;
        let sublist = match children.filter(|c| !c.is_empty()) {
            Some(c) => format!("\n{indent}<ul>\n{}\n{indent}</ul>\n{indent}", list_formatter(&c, tabs + 1, autoescape)),
            None => String::new(),
        };
        let text = if autoescape { cond_escape(item) } else { item.to_py_str() };
        output.push(format!("{indent}<li>{text}{sublist}</li>"));
    }
    output.join("\n")
}

/// `pprint.pformat` for values that fit on one line: `repr` with dict keys sorted.
pub fn pformat(v: &Value) -> String {
    fn sorted(v: &Value) -> Value {
        match v {
            Value::Dict(d) => {
                let mut entries: Vec<(Value, Value)> = d.entries.iter().map(|(k, x)| (k.clone(), sorted(x))).collect();
                entries.sort_by(|a, b| py_cmp(&a.0, &b.0).unwrap_or(Ordering::Equal));
                Value::Dict(Rc::new(crate::value::Dict { entries }))
            }
            Value::List(items) => Value::List(Rc::new(items.iter().map(sorted).collect())),
            Value::Tuple(items) => Value::Tuple(Rc::new(items.iter().map(sorted).collect())),
            other => other.clone(),
        }
    }
    sorted(v).repr()
}
