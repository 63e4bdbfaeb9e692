//! What the host answers when a guest calls an import: template loading,
//! URLs, static files, translations and the time. The Django integration
//! implements [`HostServices`] over Python; [`StandaloneServices`] serves the
//! CLI and tests.

use std::path::{Component, Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// The host side of the `loader` and `django` imports of `wit/host.wit`.
///
/// Called synchronously from inside a guest call, on the thread running the
/// view; an implementation must not block for long.
pub trait HostServices: Send + Sync + 'static {
    /// The source of template `name`, or why it cannot be had.
    fn load_template(&self, name: &str) -> Result<String, String>;
    /// `{% url %}`: reverse a view name with rendered arguments.
    fn reverse_url(&self, view_name: &str, args: &[String], kwargs: &[(String, String)]) -> Result<String, String>;
    /// `{% static %}`: the URL of a static file.
    fn static_url(&self, path: &str) -> Result<String, String>;
    /// `gettext` / `pgettext`.
    fn translate(&self, message: &str, context: Option<&str>) -> String;
    /// `ngettext` / `npgettext`.
    fn translate_plural(&self, singular: &str, plural: &str, count: i64, context: Option<&str>) -> String;
    /// The active language code.
    fn current_language(&self) -> String;
    /// The current time, in the configured time zone.
    fn now(&self) -> DateTime;
}

/// A wall-clock time as the `datetime` record of `wit/host.wit` carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateTime {
    pub year: i32,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
    pub microsecond: u32,
    pub utc_offset_seconds: i32,
    pub time_zone: String,
}

impl DateTime {
    /// The UTC calendar time `since_epoch` after 1970-01-01.
    pub fn utc_from_unix(since_epoch: std::time::Duration) -> DateTime {
        let secs = since_epoch.as_secs() as i64;
        let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
        let (year, month, day) = civil_from_days(days);
        DateTime {
            year,
            month,
            day,
            hour: (rem / 3600) as u8,
            minute: (rem % 3600 / 60) as u8,
            second: (rem % 60) as u8,
            microsecond: since_epoch.subsec_micros(),
            utc_offset_seconds: 0,
            time_zone: "UTC".into(),
        }
    }
}

/// Days since 1970-01-01 to (year, month, day), Howard Hinnant's algorithm.
fn civil_from_days(days: i64) -> (i32, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
    (year, month, day)
}

/// Host services without Django: templates from directories, static files
/// under a URL prefix, no URL configuration, no translations, UTC time.
#[derive(Debug, Clone)]
pub struct StandaloneServices {
    /// Directories searched in order for included and extended templates.
    pub template_dirs: Vec<PathBuf>,
    /// Prefix for `{% static %}`, like Django's `STATIC_URL`.
    pub static_url: String,
}

impl Default for StandaloneServices {
    fn default() -> Self {
        StandaloneServices {
            template_dirs: Vec::new(),
            static_url: "/static/".into(),
        }
    }
}

impl StandaloneServices {
    /// Services that load templates from `dirs`.
    pub fn with_template_dirs(dirs: impl IntoIterator<Item = PathBuf>) -> StandaloneServices {
        StandaloneServices {
            template_dirs: dirs.into_iter().collect(),
            ..StandaloneServices::default()
        }
    }
}

impl HostServices for StandaloneServices {
    fn load_template(&self, name: &str) -> Result<String, String> {
        // Like Django's safe_join: a template name never leaves its directory.
        let relative = Path::new(name);
        if relative.components().any(|c| !matches!(c, Component::Normal(_))) {
            return Err(format!("template name `{name}` must be a relative path without `..`"));
        }
        for dir in &self.template_dirs {
            match std::fs::read_to_string(dir.join(relative)) {
                Ok(source) => return Ok(source),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(format!("cannot read {}: {e}", dir.join(relative).display())),
            }
        }
        let searched: Vec<String> = self.template_dirs.iter().map(|d| d.display().to_string()).collect();
        Err(format!("template `{name}` not found (searched: {})", searched.join(", ")))
    }

    fn reverse_url(&self, view_name: &str, _args: &[String], _kwargs: &[(String, String)]) -> Result<String, String> {
        Err(format!(
            "Reverse for '{view_name}' not found: no URL configuration outside Django"
        ))
    }

    fn static_url(&self, path: &str) -> Result<String, String> {
        Ok(format!("{}{}", self.static_url, path.trim_start_matches('/')))
    }

    fn translate(&self, message: &str, _context: Option<&str>) -> String {
        message.to_string()
    }

    fn translate_plural(&self, singular: &str, plural: &str, count: i64, _context: Option<&str>) -> String {
        if count == 1 { singular } else { plural }.to_string()
    }

    fn current_language(&self) -> String {
        "en-us".into()
    }

    fn now(&self) -> DateTime {
        DateTime::utc_from_unix(SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn unix_time_to_calendar() {
        let t = DateTime::utc_from_unix(Duration::from_secs(1_795_510_800) + Duration::from_micros(7));
        assert_eq!((t.year, t.month, t.day, t.hour, t.minute, t.second, t.microsecond), (2026, 11, 24, 9, 0, 0, 7));
        let leap = DateTime::utc_from_unix(Duration::from_secs(951_782_400));
        assert_eq!((leap.year, leap.month, leap.day), (2000, 2, 29));
    }

    #[test]
    fn template_names_cannot_escape_their_directory() {
        let s = StandaloneServices::with_template_dirs([PathBuf::from("/tmp")]);
        assert!(s.load_template("../etc/passwd").unwrap_err().contains("without `..`"));
        assert!(s.load_template("/etc/passwd").is_err());
        assert!(s.load_template("surely-missing.html").unwrap_err().contains("not found"));
    }
}
