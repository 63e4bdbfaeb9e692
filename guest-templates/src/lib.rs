//! wasmlive's default template engine, compiled to a Wasm component that
//! implements the `template-engine` world of `wit/`.
//!
//! Layout, in the order a template goes through it:
//! - `lexer`: splits source into text, `{{ variable }}`, `{% tag %}` and
//!   `{# comment #}` tokens with their line and column, as Django's lexer does;
//! - `parser`: turns tokens into a tree of nodes, filter expressions included;
//! - `render`: walks the tree against a JSON context, escaping as Django does;
//! - `value`: how JSON values look when Django prints them;
//! - `filters`: the builtin filters;
//! - `error`: the one error type, located once where it is known.
//!
//! The engine is plain Rust and is unit-tested natively; only this file knows
//! about the component model.

mod error;
mod filters;
mod lexer;
mod parser;
mod render;
mod value;

pub use error::{Error, ErrorKind};
pub use parser::Template;

#[cfg(target_arch = "wasm32")]
mod component {
    use super::{Error, ErrorKind};
    use exports::wasmlive::engine::templates::{self as wit, GuestTemplate};
    use std::sync::Once;
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
            super::Template::compile(&name, &source)
                .map(|t| wit::Template::new(CompiledTemplate(t)))
                .map_err(to_wit)
        }

        fn name(&self) -> String {
            self.0.name().to_string()
        }

        fn render(&self, context: String) -> Result<String, wit::TemplateError> {
            report_panics();
            self.0.render_json(&context).map_err(to_wit)
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
