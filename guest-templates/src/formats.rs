//! Django's formatting utilities for the English locale: `numberformat`,
//! `dateformat` (every format character) and `timesince`.
//!
//! Month and weekday names are English; Django translates them through
//! gettext, which the engine does not do for these (see docs/templates.md).

use crate::value::{Date, DateTime, Decimal, Time, Value, float_repr};
use std::fmt::Write;

const MONTHS: [&str; 12] = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
const MONTHS_AP: [&str; 12] = ["Jan.", "Feb.", "March", "April", "May", "June", "July", "Aug.", "Sept.", "Oct.", "Nov.", "Dec."];
const WEEKDAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

/// Named formats of Django's English locale (`get_format`).
pub fn named_format(name: &str) -> Option<&'static str> {
    Some(match name {
        "DATE_FORMAT" => "N j, Y",
        "DATETIME_FORMAT" => "N j, Y, P",
        "TIME_FORMAT" => "P",
        "YEAR_MONTH_FORMAT" => "F Y",
        "MONTH_DAY_FORMAT" => "F j",
        "SHORT_DATE_FORMAT" => "m/d/Y",
        "SHORT_DATETIME_FORMAT" => "m/d/Y P",
        _ => return None,
    })
}

/// `numberformat.format(number, ".", decimal_pos, grouping=3, ",", force_grouping)`
/// for the values `localize` and `floatformat` pass it: a plain decimal string.
pub fn number_format_str(number: &str, decimal_pos: Option<usize>, force_grouping: bool) -> String {
    let (sign, digits) = match number.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", number),
    };
    let (int_part, mut dec_part) = match digits.split_once('.') {
        Some((i, d)) => (i.to_string(), d.to_string()),
        None => (digits.to_string(), String::new()),
    };
    if let Some(pos) = decimal_pos {
        if dec_part.len() > pos {
            dec_part.truncate(pos);
        }
        while dec_part.len() < pos {
            dec_part.push('0');
        }
    }
    let int_part = if force_grouping { group_thousands(&int_part) } else { int_part };
    if dec_part.is_empty() { format!("{sign}{int_part}") } else { format!("{sign}{int_part}.{dec_part}") }
}

fn group_thousands(int_part: &str) -> String {
    let chars: Vec<char> = int_part.chars().collect();
    let mut out = String::new();
    for (i, c) in chars.iter().enumerate() {
        if i > 0 && (chars.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(*c);
    }
    out
}

/// `numberformat.format` of a Python number with no decimal positions, as
/// `localize` prints numbers. A NaN or infinite `Decimal` is an error there
/// (numberformat takes `abs()` of its string exponent).
pub fn localize_number(v: &Value) -> Option<Result<String, String>> {
    if let Value::Decimal(d) = v {
        if !d.is_finite() {
            return Some(Err("bad operand type for abs(): 'str'".into()));
        }
    }
    Some(Ok(match v {
        Value::Int(i) => i.to_string(),
        Value::BigInt(d) => d.to_fixed(),
        Value::Float(f) => {
            let repr = float_repr(*f);
            if repr.contains('e') { decimal_fixed_or_sci(&Decimal::from_float_repr(*f)) } else { repr }
        }
        Value::Decimal(d) => decimal_fixed_or_sci(d),
        _ => return None,
    }))
}

/// `'{:f}'.format(d)`, or `{:e}` past 200 digits as numberformat does.
fn decimal_fixed_or_sci(d: &Decimal) -> String {
    match d.parts() {
        Some((_, digits, exp)) if exp.unsigned_abs() as usize + digits.len() > 200 => {
            let (neg, digits, exp) = d.parts().expect("finite");
            let e = exp + digits.len() as i64 - 1;
            let mant = if digits.len() > 1 { format!("{}.{}", &digits[..1], &digits[1..]) } else { digits.to_string() };
            format!("{}{}e{}{}", if neg { "-" } else { "" }, mant, if e < 0 { '-' } else { '+' }, e.abs())
        }
        _ => d.to_fixed(),
    }
}

/// A date, time or datetime being formatted.
pub enum Temporal<'a> {
    Date(Date),
    Time(Time),
    DateTime(&'a DateTime),
}

impl Temporal<'_> {
    pub fn from_value(v: &Value) -> Option<Temporal<'_>> {
        Some(match v {
            Value::Date(d) => Temporal::Date(*d),
            Value::Time(t) => Temporal::Time(*t),
            Value::DateTime(dt) => Temporal::DateTime(dt),
            _ => return None,
        })
    }

    fn date(&self) -> Option<Date> {
        match self {
            Temporal::Date(d) => Some(*d),
            Temporal::DateTime(dt) => Some(dt.date),
            Temporal::Time(_) => None,
        }
    }

    fn time(&self) -> Option<Time> {
        match self {
            Temporal::Time(t) => Some(*t),
            Temporal::DateTime(dt) => Some(dt.time),
            Temporal::Date(_) => None,
        }
    }

    /// The UTC offset to print: the aware value's own, UTC for a naive
    /// datetime (the engine's default time zone), none for dates and times.
    fn offset(&self) -> Option<i32> {
        match self {
            Temporal::DateTime(dt) => Some(dt.offset.unwrap_or(0)),
            _ => None,
        }
    }
}

/// Why a format could not be applied.
#[derive(Debug)]
pub enum FormatError {
    /// Python's `AttributeError`: the value has no such part (the filter prints nothing).
    Attribute,
    /// Python's `TypeError` with this message (a render error).
    Type(String),
}

/// A format applied to a value that is no date: the time zone characters
/// print nothing (there is no zone), any other format character fails and is
/// returned, plain text prints as is.
pub fn literal_only(format: &str) -> Result<String, Option<char>> {
    let mut out = String::new();
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            out.push(chars.next().unwrap_or('\\'));
        } else if "eOTZI".contains(c) {
            continue;
        } else if FORMAT_CHARS.contains(c) {
            return Err(Some(c));
        } else {
            out.push(c);
        }
    }
    Ok(out)
}

const FORMAT_CHARS: &str = "aAbcdDeEfFgGhHiIjlLmMnNoOPrsStTUuwWyYzZ";

/// `dateformat.format(value, format)`.
pub fn format_temporal(t: &Temporal, format: &str) -> Result<String, FormatError> {
    let mut out = String::new();
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            } else {
                out.push('\\');
            }
            continue;
        }
        if !"aAbcdDeEfFgGhHiIjlLmMnNoOPrsStTUuwWyYzZ".contains(c) {
            out.push(c);
            continue;
        }
        let is_time_char = "aAefgGhHiOPsTuZ".contains(c);
        if let Temporal::Date(_) = t {
            if is_time_char {
                return Err(FormatError::Type(format!(
                    "The format for date objects may not contain time-related format specifiers (found '{c}')."
                )));
            }
        }
        format_char(t, c, &mut out)?;
    }
    Ok(out)
}

fn format_char(t: &Temporal, c: char, out: &mut String) -> Result<(), FormatError> {
    let time = || t.time().ok_or(FormatError::Attribute);
    let date = || t.date().ok_or(FormatError::Attribute);
    let hour12 = |h: u8| if h % 12 == 0 { 12 } else { h % 12 };
    match c {
        'a' => out.push_str(if time()?.hour > 11 { "p.m." } else { "a.m." }),
        'A' => out.push_str(if time()?.hour > 11 { "PM" } else { "AM" }),
        'e' => {
            if let Temporal::DateTime(dt) = t {
                if dt.offset.is_some() {
                    out.push_str(dt.tzname.as_deref().unwrap_or(&utc_name(dt.offset.unwrap_or(0))));
                }
            }
        }
        'f' => {
            let tm = time()?;
            if tm.minute != 0 {
                let _ = write!(out, "{}:{:02}", hour12(tm.hour), tm.minute);
            } else {
                let _ = write!(out, "{}", hour12(tm.hour));
            }
        }
        'g' => {
            let _ = write!(out, "{}", hour12(time()?.hour));
        }
        'G' => {
            let _ = write!(out, "{}", time()?.hour);
        }
        'h' => {
            let _ = write!(out, "{:02}", hour12(time()?.hour));
        }
        'H' => {
            let _ = write!(out, "{:02}", time()?.hour);
        }
        'i' => {
            let _ = write!(out, "{:02}", time()?.minute);
        }
        'O' => {
            if let Some(off) = t.offset() {
                let sign = if off < 0 { '-' } else { '+' };
                let a = off.unsigned_abs();
                let _ = write!(out, "{sign}{:02}{:02}", a / 3600, (a / 60) % 60);
            }
        }
        'P' => {
            let tm = time()?;
            match (tm.hour, tm.minute) {
                (0, 0) => out.push_str("midnight"),
                (12, 0) => out.push_str("noon"),
                _ => {
                    format_char(t, 'f', out)?;
                    out.push(' ');
                    format_char(t, 'a', out)?;
                }
            }
        }
        's' => {
            let _ = write!(out, "{:02}", time()?.second);
        }
        'T' => {
            if let Temporal::DateTime(dt) = t {
                match (&dt.tzname, dt.offset) {
                    (Some(name), Some(_)) => out.push_str(name),
                    (_, off) => out.push_str(&utc_name(off.unwrap_or(0))),
                }
            }
        }
        'u' => {
            let _ = write!(out, "{:06}", time()?.microsecond);
        }
        'Z' => {
            if let Some(off) = t.offset() {
                let _ = write!(out, "{off}");
            }
        }
        'b' => out.push_str(&MONTHS[date()?.month as usize - 1][..3].to_lowercase()),
        'c' => out.push_str(&isoformat(t)),
        'd' => {
            let _ = write!(out, "{:02}", date()?.day);
        }
        'D' => out.push_str(&WEEKDAYS[date()?.weekday() as usize][..3]),
        'E' | 'F' => out.push_str(MONTHS[date()?.month as usize - 1]),
        'I' => {
            if t.offset().is_some() {
                out.push('0');
            }
        }
        'j' => {
            let _ = write!(out, "{}", date()?.day);
        }
        'l' => out.push_str(WEEKDAYS[date()?.weekday() as usize]),
        'L' => out.push_str(if crate::value::datetime::is_leap(date()?.year) { "True" } else { "False" }),
        'm' => {
            let _ = write!(out, "{:02}", date()?.month);
        }
        'M' => out.push_str(&MONTHS[date()?.month as usize - 1][..3]),
        'n' => {
            let _ = write!(out, "{}", date()?.month);
        }
        'N' => out.push_str(MONTHS_AP[date()?.month as usize - 1]),
        'o' => {
            let _ = write!(out, "{}", date()?.iso_week().0);
        }
        'r' => {
            let d = t.date().ok_or_else(|| FormatError::Type("combine() argument 1 must be datetime.date, not datetime.time".into()))?;
            let tm = t.time().unwrap_or(Time { hour: 0, minute: 0, second: 0, microsecond: 0 });
            let off = t.offset().unwrap_or(0);
            let sign = if off < 0 { '-' } else { '+' };
            let a = off.unsigned_abs();
            let _ = write!(
                out,
                "{}, {:02} {} {:04} {:02}:{:02}:{:02} {sign}{:02}{:02}",
                &WEEKDAYS[d.weekday() as usize][..3],
                d.day,
                &MONTHS[d.month as usize - 1][..3],
                d.year,
                tm.hour,
                tm.minute,
                tm.second,
                a / 3600,
                (a / 60) % 60
            );
        }
        'S' => {
            let day = date()?.day;
            out.push_str(match (day, day % 10) {
                (11..=13, _) => "th",
                (_, 1) => "st",
                (_, 2) => "nd",
                (_, 3) => "rd",
                _ => "th",
            });
        }
        't' => {
            let d = date()?;
            let _ = write!(out, "{}", crate::value::datetime::days_in_month(d.year, d.month));
        }
        'U' => {
            let secs = match t {
                Temporal::DateTime(dt) => dt.utc_seconds(),
                Temporal::Date(d) => d.days() * 86_400,
                Temporal::Time(_) => return Err(FormatError::Type("combine() argument 1 must be datetime.date, not datetime.time".into())),
            };
            let _ = write!(out, "{}", secs - Date { year: 1970, month: 1, day: 1 }.days() * 86_400);
        }
        'w' => {
            let _ = write!(out, "{}", (date()?.weekday() + 1) % 7);
        }
        'W' => {
            let _ = write!(out, "{}", date()?.iso_week().1);
        }
        'y' => {
            let _ = write!(out, "{:02}", date()?.year % 100);
        }
        'Y' => {
            let _ = write!(out, "{:04}", date()?.year);
        }
        'z' => {
            let _ = write!(out, "{}", date()?.day_of_year());
        }
        _ => out.push(c),
    }
    Ok(())
}

fn utc_name(offset: i32) -> String {
    if offset == 0 { "UTC".into() } else { format!("UTC{}", DateTime::offset_str(offset, true)) }
}

/// Python's `isoformat()`.
pub fn isoformat(t: &Temporal) -> String {
    match t {
        Temporal::Date(d) => d.to_python_str(),
        Temporal::Time(tm) => tm.to_python_str(),
        Temporal::DateTime(dt) => {
            let mut s = format!("{}T{}", dt.date.to_python_str(), dt.time.to_python_str());
            if let Some(off) = dt.offset {
                s.push_str(&DateTime::offset_str(off, true));
            }
            s
        }
    }
}

/// `timesince(d, now)` (or `timeuntil` with `reversed`), Django's algorithm
/// with depth 2. `None` where Python raises `TypeError` (naive vs aware).
pub fn timesince(d: &Value, now: &Value, reversed: bool) -> Option<String> {
    let as_dt = |v: &Value| -> Option<DateTime> {
        match v {
            Value::DateTime(dt) => Some((**dt).clone()),
            Value::Date(d) => Some(DateTime { date: *d, time: Time { hour: 0, minute: 0, second: 0, microsecond: 0 }, offset: None, tzname: None }),
            _ => None,
        }
    };
    let (mut d, mut now) = (as_dt(d)?, as_dt(now)?);
    if d.offset.is_some() != now.offset.is_some() {
        return None;
    }
    if let (Some(od), Some(on)) = (d.offset, now.offset) {
        // now.astimezone(d.tzinfo)
        let shifted = now.local_seconds() - i64::from(on) + i64::from(od);
        now = from_seconds(shifted, now.time.microsecond, Some(od));
    }
    if reversed {
        std::mem::swap(&mut d, &mut now);
    }
    let to_micros = |dt: &DateTime| dt.utc_seconds() as i128 * 1_000_000 + i128::from(dt.time.microsecond);
    let delta_us = to_micros(&now) - to_micros(&d);
    let since = delta_us.div_euclid(1_000_000);
    if since <= 0 {
        return Some("0\u{a0}minutes".into());
    }
    let mut total_months = (now.date.year - d.date.year) * 12 + i32::from(now.date.month) - i32::from(d.date.month);
    if d.date.day > now.date.day || (d.date.day == now.date.day && d.time > now.time) {
        total_months -= 1;
    }
    let (years, months) = (total_months.div_euclid(12), total_months.rem_euclid(12));
    let pivot = if years != 0 || months != 0 {
        let mut py = d.date.year + years;
        let mut pm = i32::from(d.date.month) + months;
        if pm > 12 {
            pm -= 12;
            py += 1;
        }
        const MONTHS_DAYS: [u8; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
        let day = d.date.day.min(MONTHS_DAYS[pm as usize - 1]);
        DateTime {
            date: Date { year: py, month: pm as u8, day },
            time: Time { microsecond: 0, ..d.time },
            offset: d.offset,
            tzname: None,
        }
    } else {
        d.clone()
    };
    let mut remaining = (to_micros(&now) - to_micros(&pivot)) as f64 / 1e6;
    let mut partials = vec![i64::from(years), i64::from(months)];
    for chunk in [604_800.0, 86_400.0, 3_600.0, 60.0] {
        let count = (remaining / chunk).floor() as i64;
        partials.push(count);
        remaining -= chunk * count as f64;
    }
    let names = ["year", "month", "week", "day", "hour", "minute"];
    let Some(mut i) = partials.iter().position(|p| *p != 0) else {
        return Some("0\u{a0}minutes".into());
    };
    let mut result = Vec::new();
    while i < names.len() && result.len() < 2 {
        let value = partials[i];
        if value == 0 {
            break;
        }
        result.push(format!("{value}\u{a0}{}{}", names[i], if value == 1 { "" } else { "s" }));
        i += 1;
    }
    Some(result.join(", "))
}

fn from_seconds(secs: i64, micro: u32, offset: Option<i32>) -> DateTime {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    DateTime {
        date: Date::from_days(days),
        time: Time { hour: (rem / 3600) as u8, minute: (rem % 3600 / 60) as u8, second: (rem % 60) as u8, microsecond: micro },
        offset,
        tzname: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dt(s: &str) -> DateTime {
        DateTime::parse(s, None, None).unwrap()
    }

    #[test]
    fn formats_every_character_like_django() {
        let v = dt("2026-03-01T13:05:09.000042");
        let t = Temporal::DateTime(&v);
        assert_eq!(format_temporal(&t, "D, d M Y H:i:s").unwrap(), "Sun, 01 Mar 2026 13:05:09");
        assert_eq!(format_temporal(&t, "N j, Y, P").unwrap(), "March 1, 2026, 1:05 p.m.");
        assert_eq!(format_temporal(&t, r"jS \o\f F").unwrap(), "1st of March");
        assert_eq!(format_temporal(&t, "u w W z t L o").unwrap(), "000042 0 9 60 31 False 2026");
        let d = Temporal::Date(Date::new(2026, 1, 1).unwrap());
        assert!(matches!(format_temporal(&d, "H"), Err(FormatError::Type(_))));
    }

    #[test]
    fn timesince_counts_like_django() {
        let a = Value::DateTime(std::rc::Rc::new(dt("2026-01-01T00:00:00")));
        let b = Value::DateTime(std::rc::Rc::new(dt("2027-03-15T06:00:00")));
        assert_eq!(timesince(&a, &b, false).unwrap(), "1\u{a0}year, 2\u{a0}months");
        assert_eq!(timesince(&b, &a, false).unwrap(), "0\u{a0}minutes");
        assert_eq!(timesince(&b, &a, true).unwrap(), "1\u{a0}year, 2\u{a0}months");
    }

    #[test]
    fn numbers_group_and_pad() {
        assert_eq!(number_format_str("-1234567.891", Some(2), true), "-1,234,567.89");
        assert_eq!(number_format_str("12", Some(3), false), "12.000");
    }
}
