//! Host services answered by Python (Django's loaders, URL resolver,
//! static files storage and translations) for the guests' imports.
//!
//! Guests call these from a Tokio worker in the middle of a render, so
//! every answer that cannot change while the process runs (a template's
//! source, a reversed URL, a static URL, a translation in one language) is
//! cached here: after the first render of a view, its renders take no GIL.
//! A cache miss takes the GIL for one Python call.

use dashmap::DashMap;
use pyo3::prelude::*;
use std::sync::Arc;
use wasmlive::engine_host::{DateTime, HostServices};

/// The Python object answering the imports (`wasmlive.services.DjangoServices`),
/// with the caches every view shares.
pub struct Backend {
    object: Py<PyAny>,
    templates: DashMap<String, Result<String, String>>,
    urls: DashMap<(String, Vec<String>, Vec<(String, String)>), Result<String, String>>,
    statics: DashMap<String, Result<String, String>>,
    translations: DashMap<(String, String, Option<String>), String>,
    plurals: DashMap<(String, String, String, i64, Option<String>), String>,
}

impl Backend {
    pub fn new(object: Py<PyAny>) -> Arc<Backend> {
        Arc::new(Backend {
            object,
            templates: DashMap::new(),
            urls: DashMap::new(),
            statics: DashMap::new(),
            translations: DashMap::new(),
            plurals: DashMap::new(),
        })
    }

    /// Forget every cached answer (templates edited during development).
    pub fn clear(&self) {
        self.templates.clear();
        self.urls.clear();
        self.statics.clear();
        self.translations.clear();
        self.plurals.clear();
    }

    /// Call `method(*args)` on the Python object; its `str` result, or the
    /// exception's message.
    fn call<'py, A>(&self, py: Python<'py>, method: &str, args: A) -> Result<String, String>
    where
        A: pyo3::call::PyCallArgs<'py>,
    {
        self.object
            .bind(py)
            .call_method1(method, args)
            .and_then(|v| v.extract::<String>())
            .map_err(|e| e.value(py).to_string())
    }

    /// The template `name`'s source, loaded on the caller's thread (which
    /// holds the GIL): mounts load their main template this way.
    pub fn load_template_with(&self, py: Python<'_>, name: &str) -> Result<String, String> {
        if let Some(hit) = self.templates.get(name) {
            return hit.clone();
        }
        let result = self.call(py, "load_template", (name,));
        self.templates.insert(name.to_string(), result.clone());
        result
    }
}

/// One view's services: the shared backend and the view's language.
pub struct PythonServices {
    pub backend: Arc<Backend>,
    pub language: String,
}

impl HostServices for PythonServices {
    fn load_template(&self, name: &str) -> Result<String, String> {
        if let Some(hit) = self.backend.templates.get(name) {
            return hit.clone();
        }
        Python::attach(|py| self.backend.load_template_with(py, name))
    }

    fn reverse_url(&self, view_name: &str, args: &[String], kwargs: &[(String, String)]) -> Result<String, String> {
        let key = (view_name.to_string(), args.to_vec(), kwargs.to_vec());
        if let Some(hit) = self.backend.urls.get(&key) {
            return hit.clone();
        }
        let result = Python::attach(|py| self.backend.call(py, "reverse_url", (view_name, args.to_vec(), kwargs.to_vec())));
        self.backend.urls.insert(key, result.clone());
        result
    }

    fn static_url(&self, path: &str) -> Result<String, String> {
        if let Some(hit) = self.backend.statics.get(path) {
            return hit.clone();
        }
        let result = Python::attach(|py| self.backend.call(py, "static_url", (path,)));
        self.backend.statics.insert(path.to_string(), result.clone());
        result
    }

    fn translate(&self, message: &str, context: Option<&str>) -> String {
        let key = (self.language.clone(), message.to_string(), context.map(str::to_string));
        if let Some(hit) = self.backend.translations.get(&key) {
            return hit.clone();
        }
        let result = Python::attach(|py| {
            self.backend
                .call(py, "translate", (message, context, self.language.as_str()))
                .unwrap_or_else(|e| {
                    warn_fallback(py, format!("translate({message:?}) failed, shown untranslated: {e}"));
                    message.to_string()
                })
        });
        self.backend.translations.insert(key, result.clone());
        result
    }

    fn translate_plural(&self, singular: &str, plural: &str, count: i64, context: Option<&str>) -> String {
        let key = (
            self.language.clone(),
            singular.to_string(),
            plural.to_string(),
            count,
            context.map(str::to_string),
        );
        if let Some(hit) = self.backend.plurals.get(&key) {
            return hit.clone();
        }
        let result = Python::attach(|py| {
            self.backend
                .call(py, "translate_plural", (singular, plural, count, context, self.language.as_str()))
                .unwrap_or_else(|e| {
                    warn_fallback(py, format!("translate_plural({singular:?}, {plural:?}) failed, shown untranslated: {e}"));
                    if count == 1 { singular } else { plural }.to_string()
                })
        });
        self.backend.plurals.insert(key, result.clone());
        result
    }

    fn current_language(&self) -> String {
        self.language.clone()
    }

    fn now(&self) -> DateTime {
        let fields = Python::attach(|py| {
            let fields = self
                .backend
                .object
                .bind(py)
                .call_method0("now")
                .and_then(|v| v.extract::<(i32, u8, u8, u8, u8, u8, u32, i32, String)>());
            if let Err(e) = &fields {
                warn_fallback(py, format!("now() failed, using UTC: {e}"));
            }
            fields
        });
        match fields {
            Ok((year, month, day, hour, minute, second, microsecond, utc_offset_seconds, time_zone)) => DateTime {
                year,
                month,
                day,
                hour,
                minute,
                second,
                microsecond,
                utc_offset_seconds,
                time_zone,
            },
            Err(_) => DateTime::utc_from_unix(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap_or_default(),
            ),
        }
    }
}

/// The imports for translations and the time cannot fail in the WIT (as
/// gettext cannot: it falls back to the message), so a Python error there
/// is logged on the `wasmlive` logger and the fallback used.
fn warn_fallback(py: Python<'_>, message: String) {
    let logged = py
        .import("logging")
        .and_then(|logging| logging.call_method1("getLogger", ("wasmlive",)))
        .and_then(|logger| logger.call_method1("warning", (message,)));
    if let Err(e) = logged {
        e.print(py);
    }
}
