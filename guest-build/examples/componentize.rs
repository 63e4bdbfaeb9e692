//! Wrap a guest's core module (built for `wasm32-unknown-unknown` with
//! wit-bindgen) into a component, as `wasm-tools component new` does, with
//! nothing to install: `cargo run -p wasmlive-guest-build --example
//! componentize -- IN.wasm OUT.wasm` (docs/guests.md).

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [module, component] = args.as_slice() else {
        eprintln!("usage: componentize IN.wasm OUT.wasm");
        return ExitCode::from(2);
    };
    match wasmlive_guest_build::componentize(module, component) {
        Ok(()) => {
            println!("{}", component.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: cannot make a component of {}: {e}", module.display());
            ExitCode::FAILURE
        }
    }
}
