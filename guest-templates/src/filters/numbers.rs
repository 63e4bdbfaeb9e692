//! Filters on numbers, dates and choices.

use crate::formats::{FormatError, Temporal, format_temporal, named_format, number_format_str};
use crate::value::{Decimal, Value, float_repr, int_value, py_float, py_int};
use std::rc::Rc;

pub fn add(value: &Value, arg: &Value) -> Value {
    if let (Some(a), Some(b)) = (py_int(value), py_int(arg)) {
        if let Some(sum) = a.checked_add(b) {
            return int_value(sum);
        }
    }
    if py_int(value).is_some() && py_int(arg).is_some() {
        return Value::empty();
    }
    match (value, arg) {
        (Value::Str(a, sa), Value::Str(b, sb)) => Value::Str(Rc::from(format!("{a}{b}")), *sa && *sb),
        (Value::List(a), Value::List(b)) => Value::List(Rc::new(a.iter().chain(b.iter()).cloned().collect())),
        (Value::Tuple(a), Value::Tuple(b)) => Value::Tuple(Rc::new(a.iter().chain(b.iter()).cloned().collect())),
        (Value::Float(a), Value::Float(b)) => Value::Float(a + b),
        (Value::Decimal(a), Value::Decimal(b)) => a.add(b).map_or_else(Value::empty, |d| Value::Decimal(Rc::new(d))),
        _ => Value::empty(),
    }
}

fn int_or_raise(v: &Value) -> Result<i128, String> {
    py_int(v).ok_or_else(|| match v {
        Value::Str(s, _) => format!("invalid literal for int() with base 10: {}", crate::parser::py_str_repr(s)),
        other => format!("int() argument must be a string, a bytes-like object or a real number, not '{}'", other.type_name()),
    })
}

pub fn divisibleby(value: &Value, arg: &Value) -> Result<Value, String> {
    let (a, b) = (int_or_raise(value)?, int_or_raise(arg)?);
    if b == 0 {
        return Err("integer modulo by zero".into());
    }
    Ok(Value::Bool(a.rem_euclid(b) == 0))
}

pub fn get_digit(value: &Value, arg: &Value) -> Result<Value, String> {
    let (Some(n), Some(v)) = (py_int(arg), py_int(value)) else {
        if matches!(value, Value::Str(..)) || matches!(arg, Value::Str(..)) {
            return Ok(value.clone());
        }
        return Err(format!("int() argument must be a string, a bytes-like object or a real number, not '{}'", value.type_name()));
    };
    if n < 1 {
        return Ok(int_value(v));
    }
    let digits = v.to_string();
    let chars: Vec<char> = digits.chars().collect();
    if n as usize > chars.len() {
        return Ok(Value::Int(0));
    }
    let c = chars[chars.len() - n as usize];
    c.to_digit(10).map(|d| Value::Int(i64::from(d))).ok_or_else(|| format!("invalid literal for int() with base 10: '{c}'"))
}

/// `floatformat` of a float with an integer argument, on the digits of its
/// repr instead of a `Decimal` (the result is the same: Django rounds
/// `Decimal(repr(f))` half up).
fn floatformat_float(f: f64, p: i64) -> Option<String> {
    let repr = float_repr(f);
    if repr.contains(['e', 'n', 'i']) || p.unsigned_abs() > 30 {
        return None;
    }
    let (negative, digits) = match repr.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, repr.as_str()),
    };
    let (int_part, frac) = digits.split_once('.')?;
    let has_fraction = frac.bytes().any(|b| b != b'0');
    if !has_fraction && p <= 0 {
        return Some(if int_part == "0" || !negative { int_part.to_string() } else { format!("-{int_part}") });
    }
    let places = p.unsigned_abs() as usize;
    let mut out: Vec<u8> = Vec::with_capacity(int_part.len() + places + 3);
    out.extend_from_slice(int_part.as_bytes());
    let frac = frac.as_bytes();
    for i in 0..places {
        out.push(*frac.get(i).unwrap_or(&b'0'));
    }
    if frac.get(places).is_some_and(|d| *d >= b'5') {
        crate::value::increment_digits(&mut out);
    }
    let split = out.len() - places;
    if places > 0 {
        out.insert(split, b'.');
    }
    if negative && out.iter().any(|d| (b'1'..=b'9').contains(d)) {
        out.insert(0, b'-');
    }
    Some(String::from_utf8(out).expect("ASCII digits"))
}

pub fn floatformat(value: &Value, arg: Option<&Value>) -> Value {
    if let (Value::Float(f), None | Some(Value::Int(_))) = (value, arg) {
        let p = match arg {
            Some(Value::Int(p)) => *p,
            _ => -1,
        };
        if let Some(s) = floatformat_float(*f, p) {
            return Value::Str(Rc::from(s.as_str()), true);
        }
    }
    let (mut force_grouping, mut arg_v) = (false, arg.cloned().unwrap_or(Value::Int(-1)));
    if let Value::Str(s, _) = &arg_v {
        let s = s.to_string();
        let strip = |n: usize| -> Value {
            let rest = &s[..s.len() - n];
            if rest.is_empty() { Value::Int(-1) } else { Value::str(rest) }
        };
        if s.ends_with("gu") || s.ends_with("ug") {
            force_grouping = true;
            arg_v = strip(2);
        } else if s.ends_with('g') {
            force_grouping = true;
            arg_v = strip(1);
        } else if s.ends_with('u') {
            arg_v = strip(1);
        }
    }
    let input_val = value.to_py_str();
    let d = match Decimal::parse(&input_val) {
        Some(d) => d,
        None => match py_float(value) {
            Some(f) if !matches!(value, Value::Str(..)) || crate::value::parse_py_float(&input_val).is_some() => Decimal::from_float_repr(f),
            _ => return Value::empty(),
        },
    };
    let Some(p) = py_int(&arg_v) else { return Value::str(input_val) };
    if !d.is_finite() {
        return Value::str(input_val);
    }
    // Django returns huge or tiny values as they are (a denial-of-service guard).
    let (_, digits, exponent) = d.parts().expect("finite");
    if digits.len() as u64 + exponent.unsigned_abs() > 200 {
        return Value::str(input_val);
    }
    let has_fraction = d.has_fraction();
    if !has_fraction && p <= 0 {
        let int = d.trunc().expect("finite").to_fixed();
        let int = int.strip_prefix("-").filter(|r| *r == "0").map_or(int.clone(), |_| "0".to_string());
        return Value::safe(number_format_str(&int, Some(0), force_grouping));
    }
    let places = p.unsigned_abs().min(10_000) as i64;
    let rounded = d.quantize_half_up(-places);
    let (neg, digits, exponent) = rounded.parts().expect("finite");
    let mut ds: Vec<char> = digits.chars().rev().collect();
    while ds.len() as i64 <= -exponent {
        ds.push('0');
    }
    if exponent < 0 {
        ds.insert((-exponent) as usize, '.');
    }
    if neg && !rounded.is_zero() {
        ds.push('-');
    }
    let number: String = ds.into_iter().rev().collect();
    Value::safe(number_format_str(&number, Some(places as usize), force_grouping))
}

pub fn pluralize(value: &Value, arg: Option<&Value>) -> Value {
    let arg = arg.map_or_else(|| "s".to_string(), Value::to_py_str);
    let arg = if arg.contains(',') { arg } else { format!(",{arg}") };
    let bits: Vec<&str> = arg.split(',').collect();
    if bits.len() > 2 {
        return Value::empty();
    }
    let (singular, plural) = (bits[0], bits[1]);
    let pick = |one: bool| Value::str(if one { singular } else { plural });
    match value {
        Value::Str(s, _) => match crate::value::parse_py_float(s) {
            Some(f) => pick(f == 1.0),
            None => Value::empty(),
        },
        Value::Int(_) | Value::BigInt(_) | Value::Float(_) | Value::Bool(_) | Value::Decimal(_) => pick(py_float(value) == Some(1.0)),
        other => match other.len() {
            Some(n) => pick(n == 1),
            None => Value::empty(),
        },
    }
}

pub fn yesno(value: Value, arg: Option<&Value>) -> Value {
    let arg = arg.map_or_else(|| "yes,no,maybe".to_string(), Value::to_py_str);
    let bits: Vec<&str> = arg.split(',').collect();
    if bits.len() < 2 {
        return value;
    }
    let (yes, no, maybe) = if bits.len() == 3 { (bits[0], bits[1], bits[2]) } else { (bits[0], bits[1], bits[1]) };
    Value::str(match value {
        Value::None => maybe,
        v if v.truth() => yes,
        _ => no,
    })
}

pub fn filesizeformat(value: &Value) -> String {
    let Some(mut bytes) = (match value {
        Value::Str(..) | Value::Float(_) | Value::Int(_) | Value::BigInt(_) | Value::Bool(_) | Value::Decimal(_) => py_int(value),
        _ => None,
    }) else {
        return "0\u{a0}bytes".into();
    };
    let negative = bytes < 0;
    if negative {
        bytes = -bytes;
    }
    const KB: i128 = 1 << 10;
    let one_decimal = |v: f64| -> String {
        // formats.number_format(round(v, 1), 1)
        let r = round_half_even(v, 1);
        number_format_str(&fixed_from_float(r), Some(1), false)
    };
    let text = if bytes < KB {
        format!("{bytes} byte{}", if bytes == 1 { "" } else { "s" })
    } else if bytes < KB.pow(2) {
        format!("{} KB", one_decimal(bytes as f64 / KB as f64))
    } else if bytes < KB.pow(3) {
        format!("{} MB", one_decimal(bytes as f64 / KB.pow(2) as f64))
    } else if bytes < KB.pow(4) {
        format!("{} GB", one_decimal(bytes as f64 / KB.pow(3) as f64))
    } else if bytes < KB.pow(5) {
        format!("{} TB", one_decimal(bytes as f64 / KB.pow(4) as f64))
    } else {
        format!("{} PB", one_decimal(bytes as f64 / KB.pow(5) as f64))
    };
    let text = if negative { format!("-{text}") } else { text };
    text.replace(' ', "\u{a0}")
}

/// Python's `round(x, n)` on a float: the exact binary value rounded to `n`
/// decimals, ties to even.
fn round_half_even(x: f64, n: i32) -> f64 {
    // A double's exact decimal expansion has at most 1,074 fractional digits.
    let exact = format!("{:.1100}", x.abs());
    let (int_part, frac) = exact.split_once('.').expect("fixed notation");
    let n = n as usize;
    let kept = format!("{int_part}.{}", &frac[..n]);
    let rest = &frac[n..];
    let first = rest.as_bytes()[0];
    let tail_zero = rest[1..].bytes().all(|b| b == b'0');
    let last_digit = kept.bytes().rev().find(u8::is_ascii_digit).unwrap_or(b'0');
    let last_kept_odd = last_digit % 2 == 1;
    let up = first > b'5' || (first == b'5' && (!tail_zero || last_kept_odd));
    let mut v: f64 = kept.parse().unwrap_or(x.abs());
    if up {
        v += 10f64.powi(-(n as i32));
        v = format!("{:.*}", n, v).parse().unwrap_or(v);
    }
    if x < 0.0 { -v } else { v }
}

/// `str(f)` of a float, as a plain decimal string.
fn fixed_from_float(f: f64) -> String {
    let r = float_repr(f);
    if r.contains('e') { Decimal::from_float_repr(f).to_fixed() } else { r }
}

pub fn date_or_time(value: &Value, arg: Option<&Value>, time_only: bool) -> Result<Value, String> {
    if matches!(value, Value::None) || value.as_str() == Some("") {
        return Ok(Value::empty());
    }
    let requested = arg.map(Value::to_py_str).filter(|s| !s.is_empty());
    let default = if time_only { "TIME_FORMAT" } else { "DATE_FORMAT" };
    let name = requested.clone().unwrap_or_else(|| default.to_string());
    let format = named_format(&name).map_or(name.clone(), str::to_string);
    let Some(t) = Temporal::from_value(value) else {
        // Formatting reads the value's date parts: any format character fails
        // (AttributeError, so nothing is printed); plain text prints as is.
        return match crate::formats::literal_only(&format) {
            Ok(text) => Ok(Value::str(text)),
            // 'r' and 'U' first build a datetime from the value, which raises.
            Err(Some(c)) if !time_only && (c == 'r' || c == 'U') => Err(format!("combine() argument 1 must be datetime.date, not {}", value.type_name())),
            Err(_) => Ok(Value::empty()),
        };
    };
    if time_only {
        if format.chars().any(|c| "bcdDEFIjlLmMnNorStUwWyYz".contains(c)) && !is_escaped_only(&format) {
            return Ok(Value::empty());
        }
        if let Temporal::Date(_) = t {
            return Ok(Value::empty());
        }
    }
    match format_temporal(&t, &format) {
        Ok(s) => Ok(Value::str(s)),
        Err(FormatError::Attribute) => Ok(Value::empty()),
        Err(FormatError::Type(m)) => Err(m),
    }
}

/// Whether every date-only format character in `f` is backslash-escaped.
fn is_escaped_only(f: &str) -> bool {
    let mut escaped = false;
    for c in f.chars() {
        if escaped {
            escaped = false;
            continue;
        }
        if c == '\\' {
            escaped = true;
        } else if "bcdDEFIjlLmMnNorStUwWyYz".contains(c) {
            return false;
        }
    }
    true
}

/// `("%" + arg) % value` for one conversion.
/// The largest precision Rust's float formatter takes in every form (`{:.*e}`
/// counts one digit more than its precision, in a u16).
const FORMAT_PRECISION: usize = u16::MAX as usize - 1;

pub fn stringformat(value: &Value, arg: &Value) -> Value {
    let spec = arg.to_py_str();
    let value = match value {
        Value::Tuple(_) => Value::str(value.to_py_str()),
        other => other.clone(),
    };
    percent_format(&spec, &value).map_or_else(Value::empty, Value::str)
}

fn percent_format(spec: &str, value: &Value) -> Option<String> {
    let chars: Vec<char> = spec.chars().collect();
    let mut i = 0;
    let mut flags = String::new();
    while i < chars.len() && "-+ #0".contains(chars[i]) {
        flags.push(chars[i]);
        i += 1;
    }
    let mut width = String::new();
    while i < chars.len() && chars[i].is_ascii_digit() {
        width.push(chars[i]);
        i += 1;
    }
    let mut precision: Option<usize> = None;
    if i < chars.len() && chars[i] == '.' {
        i += 1;
        let mut p = String::new();
        while i < chars.len() && chars[i].is_ascii_digit() {
            p.push(chars[i]);
            i += 1;
        }
        precision = Some(p.parse().unwrap_or(0));
    }
    while i < chars.len() && "hlL".contains(chars[i]) {
        i += 1;
    }
    let conv = *chars.get(i)?;
    let rest: String = chars[i + 1..].iter().collect();
    if rest.contains('%') && !rest.contains("%%") {
        return None;
    }
    let left = flags.contains('-');
    let zero = flags.contains('0') && !left;
    let plus = flags.contains('+');
    let space = flags.contains(' ');
    let alt = flags.contains('#');
    let width: usize = width.parse().unwrap_or(0);
    let sign_of = |neg: bool| if neg { "-" } else if plus { "+" } else if space { " " } else { "" };
    let body: (String, String) = match conv {
        's' => {
            let s = value.to_py_str();
            (String::new(), match precision { Some(p) => s.chars().take(p).collect(), None => s })
        }
        'r' | 'a' => {
            let s = value.repr();
            (String::new(), match precision { Some(p) => s.chars().take(p).collect(), None => s })
        }
        'd' | 'i' | 'u' => {
            let n = match value {
                Value::Str(..) => return None,
                v => py_int(v)?,
            };
            let mut digits = n.unsigned_abs().to_string();
            if let Some(p) = precision {
                while digits.len() < p {
                    digits.insert(0, '0');
                }
            }
            (sign_of(n < 0).to_string(), digits)
        }
        'x' | 'X' | 'o' => {
            let n = match value {
                Value::Int(_) | Value::BigInt(_) | Value::Bool(_) => py_int(value)?,
                _ => return None,
            };
            let mut digits = match conv {
                'x' => format!("{:x}", n.unsigned_abs()),
                'X' => format!("{:X}", n.unsigned_abs()),
                _ => format!("{:o}", n.unsigned_abs()),
            };
            if alt {
                digits.insert_str(0, match conv { 'x' => "0x", 'X' => "0X", _ => "0o" });
            }
            (sign_of(n < 0).to_string(), digits)
        }
        'f' | 'F' | 'e' | 'E' | 'g' | 'G' | '%' => {
            if conv == '%' {
                return Some(format!("%{rest}"));
            }
            let f = match value {
                Value::Str(..) => return None,
                v => py_float(v)?,
            };
            let p = precision.unwrap_or(6);
            // Rust's formatter takes precisions up to u16::MAX; past that an
            // f64's exact expansion has long ended in zeros, so they are added.
            let (q, zeros) = (p.min(FORMAT_PRECISION), "0".repeat(p.saturating_sub(FORMAT_PRECISION)));
            let mut s = match conv {
                'f' | 'F' => format!("{:.*}{zeros}", q, f.abs()),
                'e' | 'E' => {
                    let s = python_exp(f.abs(), q);
                    let (m, e) = s.split_once('e').expect("exponent");
                    format!("{m}{zeros}e{e}")
                }
                _ => python_general(f.abs(), q, alt),
            };
            if conv.is_ascii_uppercase() {
                s = s.to_uppercase();
            }
            (sign_of(f.is_sign_negative() && !(f == 0.0 && !f.is_sign_negative())).to_string(), s)
        }
        'c' => match value {
            Value::Int(n) => (String::new(), char::from_u32(u32::try_from(*n).ok()?)?.to_string()),
            Value::Str(s, _) if s.chars().count() == 1 => (String::new(), s.to_string()),
            _ => return None,
        },
        _ => return None,
    };
    let (sign, digits) = body;
    let len = sign.chars().count() + digits.chars().count();
    let padded = if len >= width {
        format!("{sign}{digits}")
    } else if left {
        format!("{sign}{digits}{}", " ".repeat(width - len))
    } else if zero && !matches!(conv, 's' | 'r' | 'a' | 'c') {
        format!("{sign}{}{digits}", "0".repeat(width - len))
    } else {
        format!("{}{sign}{digits}", " ".repeat(width - len))
    };
    Some(format!("{padded}{}", rest.replace("%%", "%")))
}

fn python_exp(f: f64, p: usize) -> String {
    let s = format!("{:.*e}", p, f);
    let (m, e) = s.split_once('e').expect("exponent");
    let e: i32 = e.parse().expect("int");
    format!("{m}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs())
}

fn python_general(f: f64, p: usize, alt: bool) -> String {
    let p = p.max(1);
    if f == 0.0 {
        return "0".into();
    }
    let exp = f.abs().log10().floor() as i32;
    let rounded_exp = {
        let s = format!("{:.*e}", p - 1, f);
        s.split_once('e').expect("exp").1.parse::<i32>().unwrap_or(exp)
    };
    let s = if rounded_exp < -4 || rounded_exp >= p as i32 {
        python_exp(f, p - 1)
    } else {
        format!("{:.*}", (p as i32 - 1 - rounded_exp).max(0) as usize, f)
    };
    if alt {
        return s;
    }
    match s.split_once('e') {
        Some((m, e)) if m.contains('.') => format!("{}e{e}", m.trim_end_matches('0').trim_end_matches('.')),
        Some(_) => s,
        None if s.contains('.') => s.trim_end_matches('0').trim_end_matches('.').to_string(),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ff(v: Value, a: &str) -> String {
        floatformat(&v, Some(&Value::str(a))).to_py_str()
    }

    #[test]
    fn floatformat_matches_django() {
        assert_eq!(ff(Value::Float(34.23234), "3"), "34.232");
        assert_eq!(ff(Value::Float(34.0), "-3"), "34");
        assert_eq!(ff(Value::Float(34.26), "-1"), "34.3");
        assert_eq!(ff(Value::Int(1234567), "2g"), "1,234,567.00");
        assert_eq!(ff(Value::Float(-0.001), "2"), "0.00");
        assert_eq!(floatformat(&Value::Float(34.26), None).to_py_str(), "34.3");
    }

    #[test]
    fn stringformat_matches_python() {
        assert_eq!(percent_format("05.2f", &Value::Float(3.14159)).unwrap(), "03.14");
        assert_eq!(percent_format("x", &Value::Int(255)).unwrap(), "ff");
        assert_eq!(percent_format("-5s|", &Value::str("ab")).unwrap(), "ab   |");
        assert_eq!(percent_format(".3e", &Value::Float(12345.678)).unwrap(), "1.235e+04");
    }

    #[test]
    fn precisions_past_what_rusts_formatter_takes_print_like_python() {
        // Python: '%.70000f' % 1.5 is "1.5" and 69,999 zeros; Rust's `{:.*}` stops at u16::MAX.
        let f = percent_format(".70000f", &Value::Float(1.5)).unwrap();
        assert_eq!((f.len(), &f[..3], f[2..].bytes().all(|b| b == b'0' || b == b'5')), (70_002, "1.5", true));
        // The smallest subnormal's exact expansion: 1,074 digits, then zeros.
        let tiny = percent_format(".70000f", &Value::Float(f64::from_bits(1))).unwrap();
        assert_eq!((tiny.len(), tiny.trim_end_matches('0').len()), (70_002, 1_076));
        let e = percent_format(".70000e", &Value::Float(1.5)).unwrap();
        assert_eq!((e.len(), &e[..3], &e[e.len() - 4..]), (70_006, "1.5", "e+00"));
    }

    #[test]
    fn filesizes_read_like_django() {
        assert_eq!(filesizeformat(&Value::Int(1023)), "1023\u{a0}bytes");
        assert_eq!(filesizeformat(&Value::Int(1536)), "1.5\u{a0}KB");
        assert_eq!(filesizeformat(&Value::str("x")), "0\u{a0}bytes");
    }
}

#[cfg(test)]
mod rounding_tests {
    use super::*;

    #[test]
    fn rounds_ties_to_even_on_the_exact_value() {
        let v = 10f64.powi(30) / 2f64.powi(50);
        assert_eq!(format!("{v:.5}"), "888178419700125.25000");
        assert_eq!(round_half_even(v, 1), 888178419700125.2);
        assert_eq!(round_half_even(2.675, 2), 2.67);
        assert_eq!(round_half_even(0.125, 2), 0.12);
        assert_eq!(round_half_even(-1.5, 0), -2.0);
        let big = Value::BigInt(std::rc::Rc::new(Decimal::parse("1000000000000000000000000000000").unwrap()));
        assert_eq!(filesizeformat(&big), "888178419700125.2\u{a0}PB");
    }
}
