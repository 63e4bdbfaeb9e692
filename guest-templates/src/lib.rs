//! wasmlive's default template engine: the Django template language,
//! compiled to a Wasm component that implements the `template-engine` world
//! of `wit/`, and rendering byte for byte what Django renders.
//!
//! Layout, in the order a template goes through it (minijinja's shape):
//! - `lexer`: source → text, `{{ variable }}`, `{% tag %}`, `{# comment #}` tokens;
//! - `expr`: filter expressions (`value|filter:arg`), as Django's `filter_re`;
//! - `condition`: the `{% if %}` expression parser (Django's smartif);
//! - `parser` and `nodes`: tokens → a tree with one node type per tag;
//! - `render` and `context`: the tree walked against a context stack;
//! - `engine`: templates loaded by name for include and extends;
//! - `value`: Python values and what Python does with them;
//! - `filters`, `formats`, `lorem`: the builtin filters and Django's formatting;
//! - `host`: what the engine asks of its host (the WIT imports), as a trait.
//!
//! The engine is plain Rust and is tested natively against Django itself;
//! only the `component` module knows about the component model.

mod condition;
mod context;
mod engine;
mod error;
mod expr;
mod filters;
mod formats;
mod host;
mod lexer;
mod lorem;
mod nodes;
mod parser;
mod render;
pub mod value;

pub use error::{Error, ErrorKind};
pub use host::{Host, StubHost};
pub use parser::Template;

#[cfg(target_arch = "wasm32")]
mod component {
    use super::value::{Date, DateTime, Time};
    use super::{Error, ErrorKind};
    use exports::wasmlive::engine::templates::{self as wit, GuestTemplate};
    use std::sync::Once;
    use wasmlive::engine::django;
    use wasmlive::engine::loader;
    use wasmlive::engine::log::{Level, log};

    wit_bindgen::generate!({ path: "../wit", world: "template-engine" });

    struct Engine;

    /// The guest side of a `template` resource.
    struct CompiledTemplate(super::Template);

    impl wit::Guest for Engine {
        type Template = CompiledTemplate;
    }

    impl GuestTemplate for CompiledTemplate {
        fn compile(name: String, source: String) -> Result<wit::Template, wit::TemplateError> {
            report_panics();
            super::Template::compile(&name, &source).map(|t| wit::Template::new(CompiledTemplate(t))).map_err(to_wit)
        }

        fn name(&self) -> String {
            self.0.name().to_string()
        }

        fn render(&self, context: String) -> Result<String, wit::TemplateError> {
            report_panics();
            self.0.render_json(&context, &WitHost).map_err(to_wit)
        }
    }

    /// The host, reached through the component's imports.
    struct WitHost;

    impl super::Host for WitHost {
        fn load_template(&self, name: &str) -> Result<String, String> {
            loader::load_template(name)
        }
        fn reverse_url(&self, view_name: &str, args: &[String], kwargs: &[(String, String)]) -> Result<String, String> {
            django::reverse_url(view_name, args, kwargs)
        }
        fn static_url(&self, path: &str) -> Result<String, String> {
            django::static_url(path)
        }
        fn translate(&self, message: &str, context: Option<&str>) -> String {
            django::translate(message, context)
        }
        fn translate_plural(&self, singular: &str, plural: &str, count: i64, context: Option<&str>) -> String {
            django::translate_plural(singular, plural, count, context)
        }
        fn current_language(&self) -> String {
            django::current_language()
        }
        fn now(&self) -> DateTime {
            let n = django::now();
            DateTime {
                date: Date { year: n.year, month: n.month, day: n.day },
                time: Time { hour: n.hour, minute: n.minute, second: n.second, microsecond: n.microsecond },
                offset: Some(n.utc_offset_seconds),
                tzname: Some(n.time_zone),
            }
        }
    }

    fn to_wit(e: Error) -> wit::TemplateError {
        wit::TemplateError {
            kind: match e.kind {
                ErrorKind::Syntax => wit::ErrorKind::Syntax,
                ErrorKind::UnknownTag => wit::ErrorKind::UnknownTag,
                ErrorKind::UnknownFilter => wit::ErrorKind::UnknownFilter,
                ErrorKind::UnknownLibrary => wit::ErrorKind::UnknownLibrary,
                ErrorKind::TemplateNotFound => wit::ErrorKind::TemplateNotFound,
                ErrorKind::InvalidContext => wit::ErrorKind::InvalidContext,
                ErrorKind::Render => wit::ErrorKind::Render,
            },
            message: e.message,
            template: e.template,
            line: e.line,
            column: e.column,
        }
    }

    /// Send a panic's message to the host before the guest traps, so the
    /// host's error says what went wrong instead of "unreachable".
    fn report_panics() {
        static HOOK: Once = Once::new();
        HOOK.call_once(|| {
            std::panic::set_hook(Box::new(|info| log(Level::Error, &info.to_string())));
        });
    }

    export!(Engine);
}
