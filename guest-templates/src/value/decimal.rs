//! Python's `decimal.Decimal`, exact, with the few operations templates use:
//! parsing, `str()`, `'{:f}'` formatting, `int()`, comparison and
//! `quantize(…, ROUND_HALF_UP)` for `floatformat`.

use std::cmp::Ordering;

/// A finite decimal `(-1)^negative × coefficient × 10^exponent`, or a special value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decimal {
    Finite {
        negative: bool,
        /// Decimal digits, most significant first, without leading zeros (`"0"` for zero).
        digits: String,
        exponent: i64,
    },
    Infinity { negative: bool },
    NaN,
}

impl Decimal {
    /// Parse as `Decimal(text)` does; `None` where Python raises `InvalidOperation`.
    pub fn parse(text: &str) -> Option<Decimal> {
        let t = text.trim();
        let (negative, body) = match t.as_bytes().first()? {
            b'-' => (true, &t[1..]),
            b'+' => (false, &t[1..]),
            _ => (false, t),
        };
        let lower = body.to_ascii_lowercase();
        match lower.as_str() {
            "inf" | "infinity" => return Some(Decimal::Infinity { negative }),
            "nan" | "snan" => return Some(Decimal::NaN),
            _ => {}
        }
        let body = body.replace('_', "");
        let (mantissa, exp) = match body.find(['e', 'E']) {
            Some(i) => (&body[..i], body[i + 1..].parse::<i64>().ok()?),
            None => (&body[..], 0),
        };
        let (int_part, frac_part) = match mantissa.find('.') {
            Some(i) => (&mantissa[..i], &mantissa[i + 1..]),
            None => (mantissa, ""),
        };
        if int_part.is_empty() && frac_part.is_empty() {
            return None;
        }
        if !int_part.bytes().chain(frac_part.bytes()).all(|b| b.is_ascii_digit()) {
            return None;
        }
        let all = format!("{int_part}{frac_part}");
        Some(Decimal::finite(negative, &all, exp - frac_part.len() as i64))
    }

    fn finite(negative: bool, digits: &str, exponent: i64) -> Decimal {
        let trimmed = digits.trim_start_matches('0');
        Decimal::Finite {
            negative,
            digits: if trimmed.is_empty() { "0".into() } else { trimmed.into() },
            exponent,
        }
    }

    pub fn from_i128(n: i128) -> Decimal {
        Decimal::finite(n < 0, &n.unsigned_abs().to_string(), 0)
    }

    /// The exact value of `str(f)` (Python's shortest repr), as `Decimal(str(f))`.
    pub fn from_float_repr(f: f64) -> Decimal {
        Decimal::parse(&super::float_repr(f)).unwrap_or(Decimal::NaN)
    }

    pub fn is_zero(&self) -> bool {
        matches!(self, Decimal::Finite { digits, .. } if digits.bytes().all(|b| b == b'0'))
    }

    pub fn is_finite(&self) -> bool {
        matches!(self, Decimal::Finite { .. })
    }

    /// `str(d)`: Python's to-scientific-string.
    pub fn to_python_str(&self) -> String {
        let (negative, digits, exponent) = match self {
            Decimal::NaN => return "NaN".into(),
            Decimal::Infinity { negative } => return if *negative { "-Infinity" } else { "Infinity" }.into(),
            Decimal::Finite { negative, digits, exponent } => (*negative, digits, *exponent),
        };
        let sign = if negative { "-" } else { "" };
        let left = exponent + digits.len() as i64;
        let dot = if exponent <= 0 && left > -6 { left } else { 1 };
        let (int_part, frac_part) = place_dot(digits, dot);
        let exp = if left == dot { String::new() } else { format!("E{:+}", left - dot) };
        format!("{sign}{int_part}{frac_part}{exp}")
    }

    /// `'{:f}'.format(d)`: fixed point, every digit, no exponent.
    pub fn to_fixed(&self) -> String {
        match self {
            Decimal::NaN => "NaN".into(),
            Decimal::Infinity { negative } => if *negative { "-Infinity" } else { "Infinity" }.into(),
            Decimal::Finite { negative, digits, exponent } => {
                let (i, f) = place_dot(digits, exponent + digits.len() as i64);
                format!("{}{i}{f}", if *negative { "-" } else { "" })
            }
        }
    }

    /// `int(d)`, truncating toward zero; `None` for infinities and NaN.
    pub fn trunc(&self) -> Option<Decimal> {
        let Decimal::Finite { negative, digits, exponent } = self else { return None };
        if *exponent >= 0 {
            let mut d = digits.clone();
            if d != "0" {
                d.extend(std::iter::repeat_n('0', *exponent as usize));
            }
            return Some(Decimal::finite(*negative, &d, 0));
        }
        let keep = digits.len() as i64 + exponent;
        let int_digits = if keep > 0 { &digits[..keep as usize] } else { "0" };
        Some(Decimal::finite(*negative, int_digits, 0))
    }

    /// Whether `int(d) - d` is non-zero.
    pub fn has_fraction(&self) -> bool {
        match self {
            Decimal::Finite { digits, exponent, .. } if *exponent < 0 => {
                let frac_len = (-exponent) as usize;
                let frac = if frac_len >= digits.len() { &digits[..] } else { &digits[digits.len() - frac_len..] };
                frac.bytes().any(|b| b != b'0')
            }
            _ => false,
        }
    }

    /// The integer part as an `i128`, if it fits (for `%d`).
    pub fn to_i128(&self) -> Option<i128> {
        match self.trunc()? {
            Decimal::Finite { negative, digits, .. } => {
                let n: i128 = digits.parse().ok()?;
                Some(if negative { -n } else { n })
            }
            _ => None,
        }
    }

    pub fn to_f64(&self) -> f64 {
        match self {
            Decimal::NaN => f64::NAN,
            Decimal::Infinity { negative } => if *negative { f64::NEG_INFINITY } else { f64::INFINITY },
            Decimal::Finite { negative, digits, exponent } => {
                let s = format!("{}{}e{}", if *negative { "-" } else { "" }, digits, exponent);
                s.parse().unwrap_or(f64::NAN)
            }
        }
    }

    /// `as_tuple()`: (sign, digits, exponent), for finite values.
    pub fn parts(&self) -> Option<(bool, &str, i64)> {
        match self {
            Decimal::Finite { negative, digits, exponent } => Some((*negative, digits, *exponent)),
            _ => None,
        }
    }

    /// `d.quantize(Decimal(10) ** exponent, ROUND_HALF_UP)`.
    pub fn quantize_half_up(&self, exponent: i64) -> Decimal {
        let Decimal::Finite { negative, digits, exponent: e } = self else { return self.clone() };
        if *e >= exponent {
            let mut d = digits.clone();
            d.extend(std::iter::repeat_n('0', (*e - exponent) as usize));
            return Decimal::Finite { negative: *negative, digits: d, exponent };
        }
        let drop = (exponent - e) as usize;
        let (keep, dropped) = if drop >= digits.len() {
            (String::from("0"), format!("{}{}", "0".repeat(drop - digits.len()), digits))
        } else {
            (digits[..digits.len() - drop].to_string(), digits[digits.len() - drop..].to_string())
        };
        let round_up = dropped.as_bytes()[0] >= b'5';
        let kept = if round_up { increment(&keep) } else { keep };
        let d = Decimal::finite(*negative, &kept, exponent);
        // Keep the sign of a negative value that rounds to zero, as Python does.
        match d {
            Decimal::Finite { digits, exponent, .. } => Decimal::Finite { negative: *negative, digits, exponent },
            other => other,
        }
    }

    pub fn negate(&self) -> Decimal {
        match self {
            Decimal::Finite { negative, digits, exponent } => Decimal::Finite { negative: !negative, digits: digits.clone(), exponent: *exponent },
            Decimal::Infinity { negative } => Decimal::Infinity { negative: !negative },
            Decimal::NaN => Decimal::NaN,
        }
    }

    pub fn abs(&self) -> Decimal {
        match self {
            Decimal::Finite { digits, exponent, .. } => Decimal::Finite { negative: false, digits: digits.clone(), exponent: *exponent },
            Decimal::Infinity { .. } => Decimal::Infinity { negative: false },
            Decimal::NaN => Decimal::NaN,
        }
    }

    /// Exact sum of two finite decimals.
    pub fn add(&self, other: &Decimal) -> Option<Decimal> {
        let (an, ad, ae) = self.parts()?;
        let (bn, bd, be) = other.parts()?;
        let e = ae.min(be);
        let a = format!("{}{}", ad, "0".repeat((ae - e) as usize));
        let b = format!("{}{}", bd, "0".repeat((be - e) as usize));
        if an == bn {
            return Some(Decimal::finite(an, &add_digits(&a, &b), e));
        }
        match cmp_digits(&a, &b) {
            Ordering::Equal => Some(Decimal::finite(false, "0", e)),
            Ordering::Greater => Some(Decimal::finite(an, &sub_digits(&a, &b), e)),
            Ordering::Less => Some(Decimal::finite(bn, &sub_digits(&b, &a), e)),
        }
    }

    /// Numeric comparison; `None` when NaN is involved.
    pub fn compare(&self, other: &Decimal) -> Option<Ordering> {
        use Decimal::*;
        match (self, other) {
            (NaN, _) | (_, NaN) => None,
            (Infinity { negative: a }, Infinity { negative: b }) => Some(b.cmp(a)),
            (Infinity { negative }, _) => Some(if *negative { Ordering::Less } else { Ordering::Greater }),
            (_, Infinity { negative }) => Some(if *negative { Ordering::Greater } else { Ordering::Less }),
            _ => {
                let diff = self.add(&other.negate())?;
                let (neg, digits, _) = diff.parts()?;
                Some(if digits == "0" { Ordering::Equal } else if neg { Ordering::Less } else { Ordering::Greater })
            }
        }
    }
}

fn place_dot(digits: &str, dot: i64) -> (String, String) {
    let len = digits.len() as i64;
    if dot <= 0 {
        ("0".into(), format!(".{}{}", "0".repeat((-dot) as usize), digits))
    } else if dot >= len {
        (format!("{}{}", digits, "0".repeat((dot - len) as usize)), String::new())
    } else {
        (digits[..dot as usize].into(), format!(".{}", &digits[dot as usize..]))
    }
}

fn increment(digits: &str) -> String {
    add_digits(digits, "1")
}

fn cmp_digits(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.trim_start_matches('0'), b.trim_start_matches('0'));
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

fn add_digits(a: &str, b: &str) -> String {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut out = Vec::with_capacity(a.len().max(b.len()) + 1);
    let mut carry = 0;
    for i in 0..a.len().max(b.len()) {
        let x = if i < a.len() { a[a.len() - 1 - i] - b'0' } else { 0 };
        let y = if i < b.len() { b[b.len() - 1 - i] - b'0' } else { 0 };
        let s = x + y + carry;
        out.push(b'0' + s % 10);
        carry = s / 10;
    }
    if carry > 0 {
        out.push(b'0' + carry);
    }
    out.reverse();
    String::from_utf8(out).expect("ASCII digits")
}

/// `a - b` for `a >= b`.
fn sub_digits(a: &str, b: &str) -> String {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut out = Vec::with_capacity(a.len());
    let mut borrow = 0i8;
    for i in 0..a.len() {
        let x = (a[a.len() - 1 - i] - b'0') as i8;
        let y = if i < b.len() { (b[b.len() - 1 - i] - b'0') as i8 } else { 0 };
        let mut d = x - y - borrow;
        borrow = 0;
        if d < 0 {
            d += 10;
            borrow = 1;
        }
        out.push(b'0' + d as u8);
    }
    out.reverse();
    String::from_utf8(out).expect("ASCII digits")
}

#[cfg(test)]
mod tests {
    use super::Decimal;

    fn d(s: &str) -> Decimal {
        Decimal::parse(s).unwrap()
    }

    #[test]
    fn prints_like_python() {
        assert_eq!(d("1.50").to_python_str(), "1.50");
        assert_eq!(d("1e2").to_python_str(), "1E+2");
        assert_eq!(d("0.0000001").to_python_str(), "1E-7");
        assert_eq!(d("-0.000001").to_python_str(), "-0.000001");
        assert_eq!(d("1e2").to_fixed(), "100");
        assert_eq!(d("1E-7").to_fixed(), "0.0000001");
        assert_eq!(d("-0").to_fixed(), "-0");
    }

    #[test]
    fn quantizes_half_up() {
        assert_eq!(d("2.675").quantize_half_up(-2).to_fixed(), "2.68");
        assert_eq!(d("-0.004").quantize_half_up(-2).to_fixed(), "-0.00");
        assert_eq!(d("9.999").quantize_half_up(-2).to_fixed(), "10.00");
        assert_eq!(d("12").quantize_half_up(-1).to_fixed(), "12.0");
    }

    #[test]
    fn adds_and_compares() {
        assert_eq!(d("1.5").add(&d("-2.25")).unwrap().to_fixed(), "-0.75");
        assert_eq!(d("1.50").compare(&d("1.5")), Some(std::cmp::Ordering::Equal));
        assert!(d("3.7").has_fraction() && !d("3.00").has_fraction());
        assert_eq!(d("-3.7").trunc().unwrap().to_fixed(), "-3");
    }
}
