//! A template engine that reaches for everything WASI offers and reports
//! what it got, one `key=value` per line: the preopened directories, the
//! environment, the arguments, the wall and monotonic clocks, whether a TCP
//! socket can be created. It also writes a line to stdout and to stderr,
//! which the host must route to its logs. When the context holds
//! `"read": "/some/path"` it tries to read that file the only way WASI
//! allows, through a preopened directory holding it. When it holds
//! `"flood": true`, writes a megabyte to stdout to show the cap.
//!
//! Built like the other guests (wit-bindgen imports on
//! `wasm32-unknown-unknown`); the component imports the same `wasi:*`
//! interfaces a `wasm32-wasip2` build of the standard library would.

#[cfg(target_arch = "wasm32")]
mod component {
    use exports::wasmlive::engine::templates::{self as wit, GuestTemplate};
    use wasi::cli::{environment, stderr, stdout};
    use wasi::clocks::{monotonic_clock, wall_clock};
    use wasi::filesystem::{preopens, types};
    use wasi::sockets::network::IpAddressFamily;
    use wasi::sockets::tcp_create_socket::create_tcp_socket;

    wit_bindgen::generate!({ path: ["../../../wit", "../wit"], world: "wasmlive:fixtures/wasi-probe", generate_all });

    struct Engine;
    struct Probe(String);

    impl wit::Guest for Engine {
        type Template = Probe;
    }

    impl GuestTemplate for Probe {
        fn compile(name: String, _source: String) -> Result<wit::Template, wit::TemplateError> {
            Ok(wit::Template::new(Probe(name)))
        }

        fn name(&self) -> String {
            self.0.clone()
        }

        fn render(&self, context: String) -> Result<String, wit::TemplateError> {
            let out = stdout::get_stdout();
            let _ = out.blocking_write_and_flush(b"hello from the guest's stdout\n");
            let _ = stderr::get_stderr().blocking_write_and_flush(b"hello from the guest's stderr\n");
            if context.contains("\"flood\":true") {
                let chunk = [b'x'; 4096];
                for _ in 0..256 {
                    if out.blocking_write_and_flush(&chunk).is_err() {
                        break;
                    }
                }
            }
            let directories = preopens::get_directories();
            let names: Vec<String> = directories.iter().map(|(_, path)| path.clone()).collect();
            let read = match requested_path(&context) {
                None => "-".to_string(),
                Some(path) => read_file(&directories, &path),
            };
            let socket = match create_tcp_socket(IpAddressFamily::Ipv4) {
                Ok(_) => "created".to_string(),
                Err(e) => e.name().to_string(),
            };
            let wall = wall_clock::now();
            Ok(format!(
                "preopens={}\nread={read}\nenvironment={}\narguments={}\ninitial-cwd={:?}\nwall-clock={}\nmonotonic-clock={}\ntcp-socket={socket}\n",
                names.join(","),
                environment::get_environment().len(),
                environment::get_arguments().len(),
                environment::initial_cwd(),
                wall.seconds,
                monotonic_clock::now(),
            ))
        }
    }

    /// The value of `"read"` in the context, if any (a plain string, no escapes).
    fn requested_path(context: &str) -> Option<String> {
        let start = context.find("\"read\":\"")? + 8;
        let end = context[start..].find('"')?;
        Some(context[start..start + end].to_string())
    }

    /// Read `path` through whichever preopened directory holds it.
    fn read_file(directories: &[(types::Descriptor, String)], path: &str) -> String {
        for (dir, prefix) in directories {
            let Some(relative) = path.strip_prefix(prefix.as_str()) else { continue };
            let relative = relative.trim_start_matches('/');
            return match dir.open_at(types::PathFlags::empty(), relative, types::OpenFlags::empty(), types::DescriptorFlags::READ) {
                Ok(file) => match file.read(4096, 0) {
                    Ok((bytes, _)) => format!("contents:{}", String::from_utf8_lossy(&bytes)),
                    Err(e) => format!("error:{}", e.name()),
                },
                Err(e) => format!("error:{}", e.name()),
            };
        }
        "no preopened directory holds it".to_string()
    }

    export!(Engine);
}
