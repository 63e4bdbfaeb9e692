//! A second template engine, deliberately unlike Django's: a small Mustache
//! dialect implementing the same `template-engine` world, so tests can run
//! two engines side by side and swap one in for a single view.
//!
//! Supported: `{{name}}` (HTML-escaped), `{{{name}}}` and `{{&name}}` (raw),
//! dotted names and `{{.}}`, sections `{{#name}}…{{/name}}` (a list repeats
//! the body per item, a truthy value renders it once with the value pushed
//! on the context stack, a falsy one skips it), inverted sections
//! `{{^name}}…{{/name}}`, comments `{{! … }}` and partials `{{> name}}`
//! loaded through the host's `loader` import. Values arrive in the JSON
//! encoding of `wit/templates.wit`; `{"$safe": …}` strings are not escaped
//! and other tagged values print their text.
//!
//! The parser and renderer are plain Rust (unit-tested natively); only the
//! `component` module touches WIT.

pub mod mustache;

#[cfg(target_arch = "wasm32")]
mod component {
    use crate::mustache::{self, Error, ErrorKind, Template};
    use exports::wasmlive::engine::templates::{self as wit, GuestTemplate};
    use wasmlive::engine::loader::load_template;

    wit_bindgen::generate!({ path: "../../../wit", world: "wasmlive:engine/template-engine@0.1.0", generate_all });

    struct Engine;

    impl wit::Guest for Engine {
        type Template = Template;
    }

    fn to_wit(e: Error) -> wit::TemplateError {
        wit::TemplateError {
            kind: match e.kind {
                ErrorKind::Syntax => wit::ErrorKind::Syntax,
                ErrorKind::NotFound => wit::ErrorKind::TemplateNotFound,
                ErrorKind::Context => wit::ErrorKind::InvalidContext,
                ErrorKind::Render => wit::ErrorKind::Render,
            },
            message: e.message,
            template: e.template,
            line: e.line,
            column: e.column,
        }
    }

    impl GuestTemplate for Template {
        fn compile(name: String, source: String) -> Result<wit::Template, wit::TemplateError> {
            Template::compile(&name, &source).map(wit::Template::new).map_err(to_wit)
        }

        fn name(&self) -> String {
            self.name().to_string()
        }

        fn render(&self, context: String) -> Result<String, wit::TemplateError> {
            let partials = |name: &str| load_template(name);
            mustache::render(self, &context, &partials).map_err(to_wit)
        }
    }

    export!(Engine);
}
