//! Python's `datetime.date`, `time` and `datetime`, as much of them as
//! printing and the `date`, `time`, `timesince` filters need.

/// A proleptic Gregorian calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

/// A wall-clock time of day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Time {
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
    pub microsecond: u32,
}

/// A date and time, naive or with a UTC offset (aware).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateTime {
    pub date: Date,
    pub time: Time,
    /// Seconds east of UTC; `None` for a naive datetime.
    pub offset: Option<i32>,
    /// The zone's name as `tzname()` gives it (for the `T` and `e` format characters).
    pub tzname: Option<String>,
}

impl Date {
    pub fn new(year: i32, month: u8, day: u8) -> Option<Date> {
        ((1..=9999).contains(&year) && (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month))
            .then_some(Date { year, month, day })
    }

    /// `YYYY-MM-DD`.
    pub fn parse(s: &str) -> Option<Date> {
        let mut it = s.splitn(3, '-');
        let y = it.next()?.parse().ok()?;
        let m = it.next()?.parse().ok()?;
        let d = it.next()?.parse().ok()?;
        Date::new(y, m, d)
    }

    /// Days since 0001-01-01 (Python's `toordinal() - 1`).
    pub fn days(&self) -> i64 {
        let y = i64::from(self.year) - 1;
        y * 365 + y / 4 - y / 100 + y / 400 + i64::from(self.day_of_year()) - 1
    }

    pub fn from_days(days: i64) -> Date {
        // Howard Hinnant's civil_from_days, shifted from 1970 to 0001 epoch.
        let z = days - 719_162 + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }

    /// 0 = Monday … 6 = Sunday, as `weekday()`.
    pub fn weekday(&self) -> u8 {
        (self.days().rem_euclid(7)) as u8
    }

    /// 1-based day of the year.
    pub fn day_of_year(&self) -> u16 {
        let mut n = 0u16;
        for m in 1..self.month {
            n += u16::from(days_in_month(self.year, m));
        }
        n + u16::from(self.day)
    }

    /// `isocalendar()`: (ISO year, ISO week).
    pub fn iso_week(&self) -> (i32, u32) {
        let wd = i64::from(self.weekday());
        let thursday = Date::from_days(self.days() - wd + 3);
        (thursday.year, u32::from((thursday.day_of_year() - 1) / 7 + 1))
    }

    pub fn to_python_str(&self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl Time {
    /// `HH:MM[:SS[.ffffff]]`.
    pub fn parse(s: &str) -> Option<Time> {
        let (hms, micro) = match s.split_once('.') {
            Some((a, f)) if !f.is_empty() && f.len() <= 6 && f.bytes().all(|b| b.is_ascii_digit()) => {
                (a, format!("{f:0<6}").parse().ok()?)
            }
            Some(_) => return None,
            None => (s, 0),
        };
        let mut it = hms.split(':');
        let hour: u8 = it.next()?.parse().ok()?;
        let minute: u8 = it.next()?.parse().ok()?;
        let second: u8 = it.next().map_or(Some(0), |s| s.parse().ok())?;
        if it.next().is_some() || hour > 23 || minute > 59 || second > 59 {
            return None;
        }
        Some(Time { hour, minute, second, microsecond: micro })
    }

    pub fn to_python_str(&self) -> String {
        let base = format!("{:02}:{:02}:{:02}", self.hour, self.minute, self.second);
        if self.microsecond == 0 { base } else { format!("{base}.{:06}", self.microsecond) }
    }

    pub fn seconds(&self) -> i64 {
        i64::from(self.hour) * 3600 + i64::from(self.minute) * 60 + i64::from(self.second)
    }
}

impl DateTime {
    /// `YYYY-MM-DD[T ]HH:MM[:SS[.ffffff]]`.
    pub fn parse(s: &str, offset: Option<i32>, tzname: Option<String>) -> Option<DateTime> {
        let (d, t) = s.split_once(['T', ' '])?;
        Some(DateTime { date: Date::parse(d)?, time: Time::parse(t)?, offset, tzname })
    }

    /// Seconds since 0001-01-01 00:00 in the datetime's own wall time.
    pub fn local_seconds(&self) -> i64 {
        self.date.days() * 86_400 + self.time.seconds()
    }

    /// Seconds since 0001-01-01 00:00 UTC (a naive value counts as UTC).
    pub fn utc_seconds(&self) -> i64 {
        self.local_seconds() - i64::from(self.offset.unwrap_or(0))
    }

    /// `+HH:MM` as Python prints offsets in `str(datetime)`.
    pub fn offset_str(offset: i32, colon: bool) -> String {
        let sign = if offset < 0 { '-' } else { '+' };
        let a = offset.unsigned_abs();
        let (h, m, s) = (a / 3600, a % 3600 / 60, a % 60);
        let sep = if colon { ":" } else { "" };
        let mut out = format!("{sign}{h:02}{sep}{m:02}");
        if s != 0 {
            out.push_str(&format!("{sep}{s:02}"));
        }
        out
    }

    pub fn to_python_str(&self) -> String {
        let mut s = format!("{} {}", self.date.to_python_str(), self.time.to_python_str());
        if let Some(off) = self.offset {
            s.push_str(&DateTime::offset_str(off, true));
        }
        s
    }
}

pub fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

pub fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_arithmetic_round_trips() {
        for days in [0, 1, 364, 365, 730_000, 739_000, 3_652_058] {
            assert_eq!(Date::from_days(days).days(), days);
        }
        let d = Date::new(2026, 11, 30).unwrap();
        assert_eq!(d.weekday(), 0); // a Monday
        assert_eq!(d.iso_week(), (2026, 49));
        assert_eq!(Date::new(2021, 1, 1).unwrap().iso_week(), (2020, 53));
    }

    #[test]
    fn prints_like_python() {
        let t = Time::parse("09:05:03.25").unwrap();
        assert_eq!(t.to_python_str(), "09:05:03.250000");
        let dt = DateTime::parse("2026-01-02T03:04:05", Some(-19800), None).unwrap();
        assert_eq!(dt.to_python_str(), "2026-01-02 03:04:05-05:30");
    }
}
