//! A template engine for tests that misbehaves when the render context asks
//! it to. The context is JSON; a `"fault"` key picks the misbehaviour:
//!
//! - `"panic"`: panics with the message `deliberate panic`;
//! - `"loop"`: spins forever (the host's deadline must stop it);
//! - `"grow"`: allocates without bound (the host's memory cap must stop it);
//! - `"recurse"`: recurses until the Wasm stack overflows;
//! - `"flood"`: returns 100 MB of output (the host's output cap, or its
//!   memory cap first, must refuse it).
//!
//! Without a fault it renders the template source back unchanged, so a
//! test can see that a fresh instance works after a fault.

#[cfg(target_arch = "wasm32")]
mod component {
    use exports::wasmlive::engine::templates::{self as wit, GuestTemplate};
    use std::hint::black_box;
    use wasmlive::engine::log::{Level, log};

    wit_bindgen::generate!({ path: "../../../wit", world: "wasmlive:engine/template-engine@0.1.0" });

    struct Engine;
    /// The template's name and source.
    struct Source(String, String);

    impl wit::Guest for Engine {
        type Template = Source;
    }

    impl GuestTemplate for Source {
        fn compile(name: String, source: String) -> Result<wit::Template, wit::TemplateError> {
            std::panic::set_hook(Box::new(|info| log(Level::Error, &info.to_string())));
            Ok(wit::Template::new(Source(name, source)))
        }

        fn name(&self) -> String {
            self.0.clone()
        }

        fn render(&self, context: String) -> Result<String, wit::TemplateError> {
            let fault = |name: &str| context.contains(&format!("\"fault\":\"{name}\""));
            if fault("panic") {
                panic!("deliberate panic");
            }
            if fault("loop") {
                let mut n = 0u64;
                loop {
                    n = black_box(n.wrapping_add(1));
                }
            }
            if fault("grow") {
                let mut hoard = Vec::new();
                loop {
                    hoard.push(black_box(vec![1u8; 1 << 20]));
                }
            }
            if fault("flood") {
                return Ok("x".repeat(100 << 20));
            }
            if fault("recurse") {
                return Ok(recurse(black_box(1)).to_string());
            }
            Ok(self.1.clone())
        }
    }

    fn recurse(depth: u64) -> u64 {
        let frame = black_box([depth; 16]);
        if black_box(depth) == 0 { 0 } else { recurse(depth + 1) + frame[3] }
    }

    export!(Engine);
}
