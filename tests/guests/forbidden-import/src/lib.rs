//! A template engine that imports `wasmlive:fixtures/secrets`, which the host
//! never provides: loading it must fail with an error naming that import.

#[cfg(target_arch = "wasm32")]
mod component {
    use exports::wasmlive::engine::templates::{self as wit, GuestTemplate};
    use wasmlive::fixtures::secrets::read_secret;

    wit_bindgen::generate!({ path: ["../../../wit", "../wit"], world: "wasmlive:fixtures/forbidden-import", generate_all });

    struct Engine;
    struct Nothing;

    impl wit::Guest for Engine {
        type Template = Nothing;
    }

    impl GuestTemplate for Nothing {
        fn compile(_name: String, _source: String) -> Result<wit::Template, wit::TemplateError> {
            Ok(wit::Template::new(Nothing))
        }

        fn name(&self) -> String {
            "forbidden".into()
        }

        fn render(&self, _context: String) -> Result<String, wit::TemplateError> {
            Ok(read_secret())
        }
    }

    export!(Engine);
}
