//! The `wasmlive` binary; everything it does lives in [`wasmlive::cli`].

fn main() -> std::process::ExitCode {
    wasmlive::cli::main()
}
