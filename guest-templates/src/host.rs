//! What the template engine asks of its host: the `loader` and `django`
//! imports of `wit/host.wit`, as a trait so the engine runs natively in tests
//! with [`StubHost`] and in the component with the real imports.

use crate::value::{Date, DateTime, Time, Value};
use std::collections::HashMap;
use std::rc::Rc;

pub trait Host {
    /// The source of template `name`, or why it cannot be had.
    fn load_template(&self, name: &str) -> Result<String, String>;
    /// `reverse(view_name, args=…, kwargs=…)`.
    fn reverse_url(&self, view_name: &str, args: &[String], kwargs: &[(String, String)]) -> Result<String, String>;
    /// `static(path)`.
    fn static_url(&self, path: &str) -> Result<String, String>;
    /// `gettext` / `pgettext`.
    fn translate(&self, message: &str, context: Option<&str>) -> String;
    /// `ngettext` / `npgettext`.
    fn translate_plural(&self, singular: &str, plural: &str, count: i64, context: Option<&str>) -> String;
    /// The active language code.
    fn current_language(&self) -> String;
    /// The current local time, aware.
    fn now(&self) -> DateTime;
}

/// "now" as `timesince` needs it: aware when compared with an aware value.
pub(crate) fn now_value(host: &dyn Host, compared_with: &Value) -> Value {
    let mut now = host.now();
    let aware = matches!(compared_with, Value::DateTime(dt) if dt.offset.is_some());
    if !aware {
        now.offset = None;
        now.tzname = None;
    }
    Value::DateTime(Rc::new(now))
}

/// A host for tests and tools: templates from a map, URLs from a table of
/// patterns, static files under `/static/`, no translations, a fixed clock.
#[derive(Debug, Clone)]
pub struct StubHost {
    pub templates: HashMap<String, String>,
    /// View name → pattern with `{name}` placeholders (positional arguments fill them in order).
    pub urls: HashMap<String, String>,
    pub static_prefix: String,
    pub language: String,
    pub now: DateTime,
}

impl Default for StubHost {
    fn default() -> Self {
        StubHost {
            templates: HashMap::new(),
            urls: HashMap::new(),
            static_prefix: "/static/".into(),
            language: "en-us".into(),
            now: DateTime {
                date: Date { year: 2026, month: 1, day: 1 },
                time: Time { hour: 12, minute: 0, second: 0, microsecond: 0 },
                offset: Some(0),
                tzname: Some("UTC".into()),
            },
        }
    }
}

impl StubHost {
    pub fn with_template(mut self, name: &str, source: &str) -> StubHost {
        self.templates.insert(name.into(), source.into());
        self
    }

    pub fn with_url(mut self, name: &str, pattern: &str) -> StubHost {
        self.urls.insert(name.into(), pattern.into());
        self
    }
}

impl Host for StubHost {
    fn load_template(&self, name: &str) -> Result<String, String> {
        self.templates.get(name).cloned().ok_or_else(|| name.to_string())
    }

    fn reverse_url(&self, view_name: &str, args: &[String], kwargs: &[(String, String)]) -> Result<String, String> {
        let pattern = self.urls.get(view_name).ok_or_else(|| {
            format!("Reverse for '{view_name}' not found. '{view_name}' is not a valid view function or pattern name.")
        })?;
        // Placeholders are `{name}`; positional arguments fill them in order.
        let mut url = String::new();
        let mut rest = pattern.as_str();
        let mut positional = args.iter();
        let mut used = 0;
        while let Some(open) = rest.find('{') {
            url.push_str(&rest[..open]);
            let close = rest[open..].find('}').map(|c| open + c).ok_or("bad pattern")?;
            let name = &rest[open + 1..close];
            let value = if args.is_empty() {
                kwargs.iter().find(|(k, _)| k == name).map(|(_, v)| v)
            } else {
                positional.next()
            };
            let value = value.ok_or_else(|| format!("Reverse for '{view_name}' with arguments '{args:?}' not found."))?;
            url.push_str(value);
            used += 1;
            rest = &rest[close + 1..];
        }
        url.push_str(rest);
        if used != args.len().max(kwargs.len()) {
            return Err(format!("Reverse for '{view_name}' with arguments '{args:?}' not found."));
        }
        Ok(url)
    }

    fn static_url(&self, path: &str) -> Result<String, String> {
        Ok(format!("{}{}", self.static_prefix, crate::filters::html::quote(path, "/")))
    }

    fn translate(&self, message: &str, _context: Option<&str>) -> String {
        message.to_string()
    }

    fn translate_plural(&self, singular: &str, plural: &str, count: i64, _context: Option<&str>) -> String {
        if count == 1 { singular } else { plural }.to_string()
    }

    fn current_language(&self) -> String {
        self.language.clone()
    }

    fn now(&self) -> DateTime {
        self.now.clone()
    }
}
