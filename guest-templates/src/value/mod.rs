//! Python values as a template sees them, and what Python does with them:
//! `str()`, `repr()`, `bool()`, `==`, `<` and `in`.
//!
//! Values arrive as JSON with a few tagged objects for what JSON cannot say
//! (see `render` in `wit/templates.wit` and [`json`]).

pub mod datetime;
pub mod decimal;
pub mod json;

use std::cmp::Ordering;
use std::fmt::Write;
use std::rc::Rc;

pub use datetime::{Date, DateTime, Time};
pub use decimal::Decimal;

/// A Python value.
#[derive(Debug, Clone)]
pub enum Value {
    None,
    Bool(bool),
    Int(i64),
    /// An `int` beyond 64 bits, exact.
    BigInt(Rc<Decimal>),
    Float(f64),
    /// A `str`; `safe` marks Django's `SafeString`.
    Str(Rc<str>, bool),
    List(Rc<Vec<Value>>),
    Tuple(Rc<Vec<Value>>),
    Dict(Rc<Dict>),
    Decimal(Rc<Decimal>),
    Date(Date),
    Time(Time),
    DateTime(Rc<DateTime>),
    /// `dict.items()`, `dict.keys()` or `dict.values()`.
    DictView(Rc<Dict>, DictViewKind),
    /// Any other object, described by the host.
    Object(Rc<Object>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DictViewKind {
    Items,
    Keys,
    Values,
}

/// A Python `dict`: insertion-ordered, any keys.
#[derive(Debug, Clone, Default)]
pub struct Dict {
    pub entries: Vec<(Value, Value)>,
}

/// An object the host could only describe: its `str()`, `repr()`, truth,
/// attributes reachable by dotted lookup, and items when iterable.
#[derive(Debug, Clone)]
pub struct Object {
    pub str: Rc<str>,
    pub repr: Rc<str>,
    pub truth: bool,
    pub attrs: Dict,
    pub items: Option<Vec<Value>>,
}

impl Dict {
    pub fn get_str(&self, key: &str) -> Option<&Value> {
        self.entries.iter().find_map(|(k, v)| match k {
            Value::Str(s, _) if &**s == key => Some(v),
            _ => None,
        })
    }

    pub fn get(&self, key: &Value) -> Option<&Value> {
        if let Value::Str(s, _) = key {
            return self.get_str(s);
        }
        self.entries.iter().find_map(|(k, v)| py_eq(k, key).then_some(v))
    }

    /// Insert or replace, keeping the first insertion's position as `dict` does.
    pub fn insert(&mut self, key: Value, value: Value) {
        match self.entries.iter_mut().find(|(k, _)| py_eq(k, &key)) {
            Some(slot) => slot.1 = value,
            None => self.entries.push((key, value)),
        }
    }
}

thread_local! {
    static SCRATCH: std::cell::RefCell<String> = std::cell::RefCell::new(String::with_capacity(256));
}

/// Build a string in a reused buffer and copy it into its `Rc<str>` once:
/// one allocation per result instead of a `String` and then an `Rc`.
pub fn build_str(build: impl FnOnce(&mut String)) -> Rc<str> {
    SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
        Ok(mut buf) => {
            buf.clear();
            build(&mut buf);
            Rc::from(buf.as_str())
        }
        // Re-entered (a builder that builds): fall back to a fresh buffer.
        Err(_) => {
            let mut buf = String::new();
            build(&mut buf);
            Rc::from(buf)
        }
    })
}

impl Value {
    pub fn str(s: impl Into<Rc<str>>) -> Value {
        Value::Str(s.into(), false)
    }

    pub fn safe(s: impl Into<Rc<str>>) -> Value {
        Value::Str(s.into(), true)
    }

    pub fn empty() -> Value {
        Value::Str(Rc::from(""), false)
    }

    pub fn is_safe(&self) -> bool {
        matches!(self, Value::Str(_, true))
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s, _) => Some(s),
            _ => None,
        }
    }

    /// Python's type name, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::None => "NoneType",
            Value::Bool(_) => "bool",
            Value::Int(_) | Value::BigInt(_) => "int",
            Value::Float(_) => "float",
            Value::Str(_, false) => "str",
            Value::Str(_, true) => "SafeString",
            Value::List(_) => "list",
            Value::Tuple(_) => "tuple",
            Value::Dict(_) => "dict",
            Value::Decimal(_) => "Decimal",
            Value::Date(_) => "date",
            Value::Time(_) => "time",
            Value::DateTime(_) => "datetime",
            Value::DictView(_, DictViewKind::Items) => "dict_items",
            Value::DictView(_, DictViewKind::Keys) => "dict_keys",
            Value::DictView(_, DictViewKind::Values) => "dict_values",
            Value::Object(_) => "object",
        }
    }

    /// `bool(value)`.
    pub fn truth(&self) -> bool {
        match self {
            Value::None => false,
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::BigInt(_) => true,
            Value::Float(f) => *f != 0.0,
            Value::Str(s, _) => !s.is_empty(),
            Value::List(v) | Value::Tuple(v) => !v.is_empty(),
            Value::Dict(d) | Value::DictView(d, _) => !d.entries.is_empty(),
            Value::Decimal(d) => !d.is_zero(),
            Value::Date(_) | Value::Time(_) | Value::DateTime(_) => true,
            Value::Object(o) => o.truth,
        }
    }

    /// `str(value)`.
    pub fn to_py_str(&self) -> String {
        match self {
            Value::Str(s, _) => s.to_string(),
            Value::Object(o) => o.str.to_string(),
            Value::Decimal(d) => d.to_python_str(),
            Value::Date(d) => d.to_python_str(),
            Value::Time(t) => t.to_python_str(),
            Value::DateTime(dt) => dt.to_python_str(),
            other => {
                let mut out = String::new();
                other.write_repr(&mut out);
                out
            }
        }
    }

    /// Append `str(value)` without an intermediate string where possible.
    pub fn write_py_str(&self, out: &mut String) {
        match self {
            Value::Str(s, _) => out.push_str(s),
            Value::Int(i) => {
                let _ = write!(out, "{i}");
            }
            other => out.push_str(&other.to_py_str()),
        }
    }

    /// `repr(value)`.
    pub fn repr(&self) -> String {
        let mut out = String::new();
        self.write_repr(&mut out);
        out
    }

    pub fn write_repr(&self, out: &mut String) {
        match self {
            Value::None => out.push_str("None"),
            Value::Bool(true) => out.push_str("True"),
            Value::Bool(false) => out.push_str("False"),
            Value::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Value::BigInt(d) => out.push_str(&d.to_fixed()),
            Value::Float(f) => out.push_str(&float_repr(*f)),
            Value::Str(s, _) => write_str_repr(out, s),
            Value::List(items) => write_seq(out, "[", items, "]"),
            Value::Tuple(items) if items.len() == 1 => write_seq(out, "(", items, ",)"),
            Value::Tuple(items) => write_seq(out, "(", items, ")"),
            Value::Dict(d) => write_dict(out, d),
            Value::DictView(d, kind) => {
                out.push_str(self.type_name());
                out.push_str("([");
                for (i, (k, v)) in d.entries.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    match kind {
                        DictViewKind::Items => {
                            out.push('(');
                            k.write_repr(out);
                            out.push_str(", ");
                            v.write_repr(out);
                            out.push(')');
                        }
                        DictViewKind::Keys => k.write_repr(out),
                        DictViewKind::Values => v.write_repr(out),
                    }
                }
                out.push_str("])");
            }
            Value::Decimal(d) => {
                let _ = write!(out, "Decimal('{}')", d.to_python_str());
            }
            Value::Date(d) => {
                let _ = write!(out, "datetime.date({}, {}, {})", d.year, d.month, d.day);
            }
            Value::Time(t) => {
                out.push_str("datetime.time(");
                write_time_args(out, t, true);
                out.push(')');
            }
            Value::DateTime(dt) => {
                let d = dt.date;
                let _ = write!(out, "datetime.datetime({}, {}, {}, ", d.year, d.month, d.day);
                write_time_args(out, &dt.time, false);
                match (dt.offset, dt.tzname.as_deref()) {
                    (Some(0), None | Some("UTC")) => out.push_str(", tzinfo=datetime.timezone.utc"),
                    (Some(_), Some(name)) => {
                        let _ = write!(out, ", tzinfo=zoneinfo.ZoneInfo(key='{name}')");
                    }
                    (Some(off), None) if off < 0 => {
                        let _ = write!(out, ", tzinfo=datetime.timezone(datetime.timedelta(days=-1, seconds={})))", off + 86_400);
                    }
                    (Some(off), None) => {
                        let _ = write!(out, ", tzinfo=datetime.timezone(datetime.timedelta(seconds={off})))");
                    }
                    (None, _) => {}
                }
                out.push(')');
            }
            Value::Object(o) => out.push_str(&o.repr),
        }
    }

    /// Iterate as Python's `for x in value` would; `None` if not iterable.
    pub fn iter_items(&self) -> Option<Vec<Value>> {
        Some(match self {
            Value::List(v) | Value::Tuple(v) => v.as_ref().clone(),
            Value::Dict(d) => d.entries.iter().map(|(k, _)| k.clone()).collect(),
            Value::DictView(d, kind) => d
                .entries
                .iter()
                .map(|(k, v)| match kind {
                    DictViewKind::Items => Value::Tuple(Rc::new(vec![k.clone(), v.clone()])),
                    DictViewKind::Keys => k.clone(),
                    DictViewKind::Values => v.clone(),
                })
                .collect(),
            Value::Str(s, _) => s.chars().map(|c| Value::str(c.to_string())).collect(),
            Value::Object(o) => o.items.clone()?,
            _ => return None,
        })
    }

    /// `len(value)`; `None` where Python raises `TypeError`.
    pub fn len(&self) -> Option<usize> {
        match self {
            Value::Str(s, _) => Some(s.chars().count()),
            Value::List(v) | Value::Tuple(v) => Some(v.len()),
            Value::Dict(d) | Value::DictView(d, _) => Some(d.entries.len()),
            Value::Object(o) => o.items.as_ref().map(Vec::len),
            _ => None,
        }
    }
}

fn write_time_args(out: &mut String, t: &Time, always: bool) {
    let _ = write!(out, "{}, {}", t.hour, t.minute);
    if t.second != 0 || t.microsecond != 0 || !always {
        let _ = write!(out, ", {}", t.second);
    }
    if t.microsecond != 0 {
        let _ = write!(out, ", {}", t.microsecond);
    }
    if !always && t.second == 0 && t.microsecond == 0 {
        // datetime's repr drops trailing zero fields too.
        let cut = out.rfind(", ").expect("wrote seconds");
        out.truncate(cut);
    }
}

fn write_seq(out: &mut String, open: &str, items: &[Value], close: &str) {
    out.push_str(open);
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        item.write_repr(out);
    }
    out.push_str(close);
}

fn write_dict(out: &mut String, d: &Dict) {
    out.push('{');
    for (i, (k, v)) in d.entries.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        k.write_repr(out);
        out.push_str(": ");
        v.write_repr(out);
    }
    out.push('}');
}

/// Python's `repr(str)`.
pub fn write_str_repr(out: &mut String, s: &str) {
    let quote = if s.contains('\'') && !s.contains('"') { '"' } else { '\'' };
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
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if (0x80..0xa0).contains(&(c as u32)) || c == '\u{ad}' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
}

/// Python's `repr(float)`: shortest round-trip digits, exponent outside 1e-4..1e16.
pub fn float_repr(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf" } else { "-inf" }.into();
    }
    let (digits, len, exp) = shortest_digits(f);
    let digits = &digits[..len];
    let mut out = String::with_capacity(len + 8);
    if f.is_sign_negative() {
        out.push('-');
    }
    let push = |out: &mut String, d: &[u8]| out.push_str(std::str::from_utf8(d).expect("ASCII digits"));
    if (-4..16).contains(&exp) {
        let dot = exp + 1;
        if dot <= 0 {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-dot) as usize));
            push(&mut out, digits);
        } else if dot as usize >= len {
            push(&mut out, digits);
            out.extend(std::iter::repeat_n('0', dot as usize - len));
            out.push_str(".0");
        } else {
            push(&mut out, &digits[..dot as usize]);
            out.push('.');
            push(&mut out, &digits[dot as usize..]);
        }
    } else {
        push(&mut out, &digits[..1]);
        if len > 1 {
            out.push('.');
            push(&mut out, &digits[1..]);
        }
        let _ = write!(out, "e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
    }
    out
}

/// The significant digits (in a buffer, with their count) and decimal
/// exponent of the shortest string that reads back as `f`, chosen as Python
/// does: the nearest to `f`'s exact value, and on a tie the even one (Ryu,
/// like Rust's own formatter, takes the upper one).
fn shortest_digits(f: f64) -> ([u8; 20], usize, i32) {
    let mut buf = ryu::Buffer::new();
    let text = buf.format_finite(f.abs()).as_bytes();
    // Ryu prints "1.25", "1e16", "1.5e-7", "0.0001", "123.0".
    let (mantissa, exp_part) = match text.iter().position(|b| *b == b'e') {
        Some(i) => (&text[..i], Some(&text[i + 1..])),
        None => (text, None),
    };
    let mut digits = [0u8; 20];
    let mut len = 0;
    let mut dot = None;
    let mut leading_zeros = 0;
    for &b in mantissa {
        if b == b'.' {
            dot = Some(len + leading_zeros);
            continue;
        }
        if len == 0 && b == b'0' {
            leading_zeros += 1;
            continue;
        }
        digits[len] = b;
        len += 1;
    }
    while len > 1 && digits[len - 1] == b'0' {
        len -= 1;
    }
    if len == 0 {
        digits[0] = b'0';
        return (digits, 1, 0);
    }
    let int_digits = dot.unwrap_or(mantissa.len()) as i32;
    let explicit: i32 = exp_part.map_or(0, |e| std::str::from_utf8(e).ok().and_then(|e| e.parse().ok()).unwrap_or(0));
    let exp = int_digits - leading_zeros as i32 - 1 + explicit;
    if !may_tie(f.abs(), len) {
        return (digits, len, exp);
    }
    // Past 128 bits the exact value has 39 or more digits: no tie.
    let Some((all, e)) = exact_digits(f.abs()) else { return (digits, len, exp) };
    let n = len;
    let tie = all.len() == n + 1 && all[n] == b'5';
    if !tie {
        return (digits, len, exp);
    }
    let mut kept: Vec<u8> = all[..n].to_vec();
    let mut e = e;
    if kept[n - 1] % 2 == 1 {
        if increment_digits(&mut kept) {
            kept.pop();
            e += 1;
        }
    }
    while kept.len() > 1 && kept.last() == Some(&b'0') {
        kept.pop();
    }
    let text = std::str::from_utf8(&kept).expect("digits");
    let reads_back = format!("{}.{}e{}", &text[..1], &text[1..], e).parse::<f64>().is_ok_and(|g| g == f.abs());
    if !reads_back {
        return (digits, len, exp);
    }
    let mut out = [0u8; 20];
    out[..kept.len()].copy_from_slice(&kept);
    (out, kept.len(), e)
}

/// Add one to a string of ASCII decimal digits, carrying leftwards; `true`
/// when the carry grew it by a leading digit (`999` → `1000`).
pub(crate) fn increment_digits(digits: &mut Vec<u8>) -> bool {
    for d in digits.iter_mut().rev() {
        if *d == b'9' {
            *d = b'0';
        } else {
            *d += 1;
            return false;
        }
    }
    digits.insert(0, b'1');
    true
}

/// Whether `f`'s exact decimal expansion can have `n + 1` significant digits
/// (needed for a tie between two `n`-digit candidates). As m·2^e with m odd,
/// the expansion has the digits of m·5^-e (e < 0) or of m·2^e: estimated from
/// bit lengths, which is cheap and rules out almost every double.
fn may_tie(f: f64, n: usize) -> bool {
    let bits = f.to_bits();
    let raw_exp = ((bits >> 52) & 0x7ff) as i32;
    let frac = bits & ((1 << 52) - 1);
    let (m, e) = if raw_exp == 0 { (frac, -1074) } else { (frac | (1 << 52), raw_exp - 1075) };
    if m == 0 {
        return false;
    }
    let tz = m.trailing_zeros() as i32;
    let m_bits = 64 - (m >> tz).leading_zeros() as i32;
    let e = e + tz;
    let log2 = if e < 0 { f64::from(m_bits) + f64::from(-e) * std::f64::consts::LOG2_10 - f64::from(-e) } else { f64::from(m_bits + e) };
    // Digits ≈ log2 · log10(2); allow one either way.
    let digits = log2 * std::f64::consts::LOG10_2;
    digits < (n + 3) as f64
}

/// The exact decimal digits of a finite non-negative double (no trailing
/// zeros) and its decimal exponent, when they fit in 128-bit arithmetic: the
/// value is m·2^e = m·5^-e / 10^-e, so the digits are those of m·5^-e.
fn exact_digits(f: f64) -> Option<(Vec<u8>, i32)> {
    if f == 0.0 {
        return Some((vec![b'0'], 0));
    }
    let bits = f.to_bits();
    let raw_exp = ((bits >> 52) & 0x7ff) as i32;
    let frac = bits & ((1 << 52) - 1);
    let (mut m, mut e) = if raw_exp == 0 { (frac, -1074) } else { (frac | (1 << 52), raw_exp - 1075) };
    let tz = m.trailing_zeros();
    m >>= tz;
    e += tz as i32;
    let (n, point): (u128, i32) = if e >= 0 {
        (u128::from(m).checked_shl(e as u32).filter(|v| v >> e == u128::from(m))?, 0)
    } else {
        let k = (-e) as u32;
        (u128::from(m).checked_mul(5u128.checked_pow(k)?)?, -(k as i32))
    };
    let mut digits = n.to_string().into_bytes();
    let exp10 = digits.len() as i32 - 1 + point;
    while digits.len() > 1 && digits.last() == Some(&b'0') {
        digits.pop();
    }
    Some((digits, exp10))
}

/// A number in one of Python's numeric types, for arithmetic and comparison.
enum Num<'a> {
    Int(i128),
    Float(f64),
    Dec(&'a Decimal),
}

fn num(v: &Value) -> Option<Num<'_>> {
    Some(match v {
        Value::Bool(b) => Num::Int(i128::from(*b)),
        Value::Int(i) => Num::Int(i128::from(*i)),
        Value::BigInt(d) | Value::Decimal(d) => Num::Dec(d),
        Value::Float(f) => Num::Float(*f),
        _ => return None,
    })
}

fn num_cmp(a: &Num, b: &Num) -> Option<Ordering> {
    match (a, b) {
        (Num::Int(x), Num::Int(y)) => Some(x.cmp(y)),
        (Num::Float(x), Num::Float(y)) => x.partial_cmp(y),
        (Num::Int(x), Num::Float(y)) => (*x as f64).partial_cmp(y),
        (Num::Float(x), Num::Int(y)) => x.partial_cmp(&(*y as f64)),
        (Num::Dec(x), Num::Dec(y)) => x.compare(y),
        (Num::Dec(x), Num::Int(y)) => x.compare(&Decimal::from_i128(*y)),
        (Num::Int(x), Num::Dec(y)) => Decimal::from_i128(*x).compare(y),
        (Num::Dec(x), Num::Float(y)) => x.to_f64().partial_cmp(y),
        (Num::Float(x), Num::Dec(y)) => x.partial_cmp(&y.to_f64()),
    }
}

/// Python's `a == b`.
pub fn py_eq(a: &Value, b: &Value) -> bool {
    if let (Some(x), Some(y)) = (num(a), num(b)) {
        return num_cmp(&x, &y) == Some(Ordering::Equal);
    }
    match (a, b) {
        (Value::None, Value::None) => true,
        (Value::Str(x, _), Value::Str(y, _)) => x == y,
        (Value::List(x), Value::List(y)) | (Value::Tuple(x), Value::Tuple(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| py_eq(p, q))
        }
        (Value::Dict(x), Value::Dict(y)) => {
            x.entries.len() == y.entries.len()
                && x.entries.iter().all(|(k, v)| y.get(k).is_some_and(|w| py_eq(v, w)))
        }
        (Value::Date(x), Value::Date(y)) => x == y,
        (Value::Time(x), Value::Time(y)) => x == y,
        (Value::DateTime(x), Value::DateTime(y)) => match (x.offset, y.offset) {
            (Some(_), Some(_)) => x.utc_seconds() == y.utc_seconds() && x.time.microsecond == y.time.microsecond,
            (None, None) => x.date == y.date && x.time == y.time,
            _ => false,
        },
        (Value::Object(x), Value::Object(y)) => Rc::ptr_eq(x, y),
        _ => false,
    }
}

/// Python's ordering `a < b` etc.; `None` where Python raises `TypeError`.
pub fn py_cmp(a: &Value, b: &Value) -> Option<Ordering> {
    if let (Some(x), Some(y)) = (num(a), num(b)) {
        return num_cmp(&x, &y);
    }
    match (a, b) {
        (Value::Str(x, _), Value::Str(y, _)) => Some(x.cmp(y)),
        (Value::List(x), Value::List(y)) | (Value::Tuple(x), Value::Tuple(y)) => {
            for (p, q) in x.iter().zip(y.iter()) {
                if !py_eq(p, q) {
                    return py_cmp(p, q);
                }
            }
            Some(x.len().cmp(&y.len()))
        }
        (Value::Date(x), Value::Date(y)) => Some(x.cmp(y)),
        (Value::Time(x), Value::Time(y)) => Some(x.cmp(y)),
        (Value::DateTime(x), Value::DateTime(y)) if x.offset.is_some() == y.offset.is_some() => {
            Some((x.utc_seconds(), x.time.microsecond).cmp(&(y.utc_seconds(), y.time.microsecond)))
        }
        _ => None,
    }
}

/// Python's `item in container`; `None` where Python raises `TypeError`.
pub fn py_contains(container: &Value, item: &Value) -> Option<bool> {
    match container {
        Value::Str(s, _) => item.as_str().map(|i| s.contains(i)),
        Value::List(v) | Value::Tuple(v) => Some(v.iter().any(|x| py_eq(x, item))),
        Value::Dict(d) | Value::DictView(d, DictViewKind::Keys) => Some(d.get(item).is_some()),
        Value::DictView(..) | Value::Object(_) => container.iter_items().map(|items| items.iter().any(|x| py_eq(x, item))),
        _ => None,
    }
}

/// Python's `int(value)`; `None` where Python raises.
pub fn py_int(v: &Value) -> Option<i128> {
    match v {
        Value::Bool(b) => Some(i128::from(*b)),
        Value::Int(i) => Some(i128::from(*i)),
        Value::BigInt(d) | Value::Decimal(d) => d.to_i128(),
        Value::Float(f) if f.is_finite() => Some(f.trunc() as i128),
        Value::Str(s, _) => {
            let t = s.trim();
            let t2 = t.strip_prefix('+').unwrap_or(t);
            let digits = t2.strip_prefix('-').unwrap_or(t2);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit() || b == b'_') || digits.starts_with('_') || digits.ends_with('_') || digits.contains("__") {
                return None;
            }
            t2.replace('_', "").parse().ok()
        }
        _ => None,
    }
}

/// Python's `float(value)`; `None` where Python raises.
pub fn py_float(v: &Value) -> Option<f64> {
    match v {
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        Value::Int(i) => Some(*i as f64),
        Value::BigInt(d) | Value::Decimal(d) => Some(d.to_f64()),
        Value::Float(f) => Some(*f),
        Value::Str(s, _) => parse_py_float(s),
        _ => None,
    }
}

/// `float(text)`: Python's syntax, including `inf`, `nan` and underscores.
pub fn parse_py_float(s: &str) -> Option<f64> {
    let t = s.trim();
    let lower = t.to_ascii_lowercase();
    let unsigned = lower.trim_start_matches(['+', '-']);
    if matches!(unsigned, "inf" | "infinity" | "nan") {
        let neg = lower.starts_with('-');
        let v = if unsigned == "nan" { f64::NAN } else { f64::INFINITY };
        return Some(if neg { -v } else { v });
    }
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-' | b'_')) {
        return None;
    }
    t.replace('_', "").parse().ok()
}

/// Turn an `i128` result back into the narrowest value.
pub fn int_value(n: i128) -> Value {
    match i64::try_from(n) {
        Ok(i) => Value::Int(i),
        Err(_) => Value::BigInt(Rc::new(Decimal::from_i128(n))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_like_python() {
        for (f, s) in [(888178419700125.25, "888178419700125.2"), (0.3, "0.3"), (5e-324, "5e-324"), (2.0, "2.0"), (0.1, "0.1"), (1e16, "1e+16"), (1.5e-5, "1.5e-05"), (123456789012345.6, "123456789012345.6"), (-0.0, "-0.0"), (0.0001, "0.0001")] {
            assert_eq!(float_repr(f), s);
        }
    }

    #[test]
    fn reprs_like_python() {
        let v = Value::List(Rc::new(vec![Value::str("it's"), Value::None, Value::Tuple(Rc::new(vec![Value::Int(1)]))]));
        assert_eq!(v.to_py_str(), "[\"it's\", None, (1,)]");
        assert_eq!(Value::str("a\u{1}b").repr(), "'a\\x01b'");
    }

    #[test]
    fn equality_crosses_numeric_types() {
        assert!(py_eq(&Value::Bool(true), &Value::Int(1)));
        assert!(py_eq(&Value::Float(2.0), &Value::Int(2)));
        assert!(py_eq(&Value::Decimal(Rc::new(Decimal::parse("2.50").unwrap())), &Value::Float(2.5)));
        assert!(!py_eq(&Value::str("1"), &Value::Int(1)));
        assert_eq!(py_cmp(&Value::str("a"), &Value::Int(1)), None);
    }
}
