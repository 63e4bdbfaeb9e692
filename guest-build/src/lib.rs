//! Builds guest crates of this workspace into WebAssembly components, from a
//! build script.
//!
//! Guests are compiled for `wasm32-unknown-unknown` and wrapped into
//! components with `wit-component`, the way `wasm-tools component new` does.
//! Two toolchains are tried, in order:
//!
//! 1. rustup's own `wasm32-unknown-unknown` standard library, where installed
//!    (`rustup target add wasm32-unknown-unknown` on a developer laptop);
//! 2. Debian's `rustc-web`, `cargo-web` and `rust-web-src`, building the
//!    standard library from source with `-Z build-std` and linking with
//!    rustup's `rust-lld` (the recipe in `shared/TOOLCHAIN.md`; rustup on the
//!    project's machines cannot add targets).
//!
//! If neither is there, the build fails with one message naming what to
//! install. Guests get their own target directory next to the workspace's, so
//! the host build and the guest build never rebuild each other's artifacts.
//!
//! ```no_run
//! // build.rs
//! let guest = wasmlive_guest_build::GuestBuilder::from_build_script()
//!     .build("guest-vdom", std::path::Path::new("../guest-vdom"));
//! println!("{}", guest.component.display());
//! ```

use std::collections::BTreeSet;
use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The Wasm target every guest is compiled for: no WASI, no libc, nothing
/// ambient; guests reach the outside only through WIT imports.
pub const TARGET: &str = "wasm32-unknown-unknown";

/// The cargo profile guests are built with (defined in the workspace manifest).
pub const PROFILE: &str = "guest";

/// Size of a guest's shadow stack in linear memory (wasm-ld's default is
/// 1 MiB). Recursion should exhaust the host's native Wasm stack limit
/// (`max_wasm_stack`, 512 KiB by default) first, which traps as a clean
/// "stack overflow"; running out of the shadow stack instead shows up as an
/// out-of-bounds memory access. Untouched stack pages cost no memory.
pub const GUEST_STACK_BYTES: u32 = 8 << 20;

const DEBIAN_RUSTC: &str = "/usr/bin/rustc";
const DEBIAN_CARGO: &str = "/usr/bin/cargo";
const DEBIAN_STD_SOURCE: &str = "/usr/lib/rustlib/src/rust/library/Cargo.lock";

const INSTALL_HINT: &str = "building the wasmlive Wasm guests needs a wasm32 standard library: either \
     `rustup target add wasm32-unknown-unknown`, or Debian's packages \
     `apt-get install rustc-web cargo-web rust-web-src` (see scripts/install.sh)";

/// Which compiler builds the guests, found once per build script.
#[derive(Debug, Clone)]
pub enum Toolchain {
    /// rustup's toolchain with the wasm32 target installed.
    Rustup { cargo: PathBuf, rustc: PathBuf },
    /// Debian's rustc-web, building std from source, linked by rustup's rust-lld.
    Debian { rust_lld: PathBuf },
}

impl Toolchain {
    /// Find a toolchain able to build guests, or explain what to install.
    pub fn detect() -> Result<Toolchain, String> {
        let rustc = PathBuf::from(env::var_os("RUSTC").unwrap_or_else(|| "rustc".into()));
        let cargo = PathBuf::from(env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
        let sysroot = sysroot_of(&rustc)?;
        if sysroot.join("lib/rustlib").join(TARGET).join("lib").is_dir() {
            return Ok(Toolchain::Rustup { cargo, rustc });
        }
        let host = env::var("HOST").unwrap_or_else(|_| "x86_64-unknown-linux-gnu".to_string());
        let rust_lld = sysroot.join("lib/rustlib").join(&host).join("bin/rust-lld");
        let debian_ready = Path::new(DEBIAN_RUSTC).is_file()
            && Path::new(DEBIAN_CARGO).is_file()
            && Path::new(DEBIAN_STD_SOURCE).is_file();
        if debian_ready && rust_lld.is_file() {
            return Ok(Toolchain::Debian { rust_lld });
        }
        let mut missing = Vec::new();
        if !debian_ready {
            missing.push(format!("{DEBIAN_RUSTC}, {DEBIAN_CARGO} or {DEBIAN_STD_SOURCE} is missing"));
        }
        if !rust_lld.is_file() {
            missing.push(format!("no rust-lld at {}", rust_lld.display()));
        }
        Err(format!("{INSTALL_HINT} ({})", missing.join("; ")))
    }

    fn cargo_command(&self) -> Command {
        match self {
            Toolchain::Rustup { cargo, rustc } => {
                let mut cmd = Command::new(cargo);
                cmd.env("RUSTC", rustc);
                cmd
            }
            Toolchain::Debian { rust_lld } => {
                let mut cmd = Command::new(DEBIAN_CARGO);
                cmd.env("RUSTC", DEBIAN_RUSTC)
                    .env("RUSTC_BOOTSTRAP", "1")
                    .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER", rust_lld)
                    .arg("-Zbuild-std=std,panic_abort");
                cmd
            }
        }
    }
}

fn sysroot_of(rustc: &Path) -> Result<PathBuf, String> {
    let out = Command::new(rustc)
        .args(["--print", "sysroot"])
        .output()
        .map_err(|e| format!("cannot run {}: {e}", rustc.display()))?;
    if !out.status.success() {
        return Err(format!("{} --print sysroot failed", rustc.display()));
    }
    Ok(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

/// A guest built into a component.
#[derive(Debug, Clone)]
pub struct BuiltGuest {
    /// The cargo package name, e.g. `guest-vdom`.
    pub package: String,
    /// The core module cargo produced.
    pub module: PathBuf,
    /// The component made from it.
    pub component: PathBuf,
}

/// Builds guest packages into components and tells cargo when to rebuild.
pub struct GuestBuilder {
    toolchain: Toolchain,
    target_dir: PathBuf,
    /// Files already announced with `rerun-if-changed`, so each is printed once.
    announced: BTreeSet<String>,
}

impl GuestBuilder {
    /// Set up from a build script's environment. Panics with an installation
    /// hint when no wasm32 toolchain is available: a build script has no
    /// better way to report it.
    pub fn from_build_script() -> GuestBuilder {
        let toolchain = Toolchain::detect().unwrap_or_else(|msg| panic!("{msg}"));
        let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR is set for build scripts"));
        GuestBuilder {
            toolchain,
            target_dir: guest_target_dir(&out_dir),
            announced: BTreeSet::new(),
        }
    }

    /// Build `package` (a crate at `crate_dir`) and componentize it.
    pub fn build(&mut self, package: &str, crate_dir: &Path) -> BuiltGuest {
        self.build_variant(package, crate_dir, &[], None)
    }

    /// Build `package` with extra cargo `features`; the component is named
    /// after `variant` (e.g. `guest_vdom-html5ever.component.wasm`) so that
    /// several variants of one package can coexist.
    pub fn build_variant(
        &mut self,
        package: &str,
        crate_dir: &Path,
        features: &[&str],
        variant: Option<&str>,
    ) -> BuiltGuest {
        self.announce(crate_dir);
        // The workspace manifest holds the guest profile; the lock file, the versions.
        if let Some(root) = workspace_root(crate_dir) {
            self.announce(&root.join("Cargo.toml"));
            self.announce(&root.join("Cargo.lock"));
        }
        let mut cmd = self.toolchain.cargo_command();
        cmd.arg("build")
            .arg("--package")
            .arg(package)
            .arg("--target")
            .arg(TARGET)
            .arg("--profile")
            .arg(PROFILE)
            .current_dir(crate_dir)
            .env("CARGO_TARGET_DIR", &self.target_dir)
            .args(if features.is_empty() { vec![] } else { vec!["--features".to_string(), features.join(",")] })
            .env("CARGO_ENCODED_RUSTFLAGS", format!("-Clink-arg=-zstack-size={GUEST_STACK_BYTES}"));
        // What cargo set for *this* build must not leak into the guest build.
        for var in [
            "RUSTFLAGS",
            "RUSTC_WRAPPER",
            "RUSTC_WORKSPACE_WRAPPER",
            "CARGO_BUILD_TARGET",
            "CARGO_BUILD_RUSTFLAGS",
            "CARGO_PRIMARY_PACKAGE",
            "CARGO_TARGET_DIR_OVERRIDE",
        ] {
            cmd.env_remove(var);
        }
        // Build scripts run in parallel and may build variants of the same
        // package into this target dir: hold a lock from the build until
        // the module is componentized, so no other build overwrites it.
        fs::create_dir_all(&self.target_dir).expect("create the guest target dir");
        let lock = fs::File::create(self.target_dir.join(".wasmlive-guest-build.lock")).expect("create the lock file");
        lock.lock().expect("lock the guest target dir");
        eprintln!("building guest: {cmd:?}");
        let status = cmd
            .status()
            .unwrap_or_else(|e| panic!("cannot run cargo for guest {package}: {e}"));
        assert!(status.success(), "building guest {package} failed ({status}); see the output above");

        let stem = package.replace('-', "_");
        let dir = self.target_dir.join(TARGET).join(PROFILE);
        let module = dir.join(format!("{stem}.wasm"));
        self.announce_dep_info(&module.with_extension("d"));
        let component = match variant {
            Some(variant) => dir.join(format!("{stem}-{variant}.component.wasm")),
            None => dir.join(format!("{stem}.component.wasm")),
        };
        componentize(&module, &component)
            .unwrap_or_else(|e| panic!("cannot make a component of {}: {e}", module.display()));
        drop(lock);
        BuiltGuest {
            package: package.to_string(),
            module,
            component,
        }
    }

    /// Ask cargo to rerun the build script when `path` (file or directory) changes.
    pub fn announce(&mut self, path: &Path) {
        let path = path.display().to_string();
        if self.announced.insert(path.clone()) {
            println!("cargo:rerun-if-changed={path}");
        }
    }

    /// Announce every source file a cargo artifact was built from, read from
    /// its makefile-style dep-info file (`foo.d` next to `foo.wasm`).
    fn announce_dep_info(&mut self, deps_file: &Path) {
        let Ok(contents) = fs::read_to_string(deps_file) else {
            return;
        };
        for line in contents.lines() {
            let Some(pos) = line.find(": ") else { continue };
            let mut parts = line[pos + 2..].split_whitespace();
            while let Some(part) = parts.next() {
                let mut file = part.to_string();
                while file.ends_with('\\') {
                    file.pop();
                    file.push(' ');
                    file.push_str(parts.next().unwrap_or_default());
                }
                // Sources of the standard library never change between builds.
                if !file.starts_with("/usr/lib/rustlib") && !file.contains("/.cargo/registry/") {
                    self.announce(Path::new(&file));
                }
            }
        }
    }
}

/// The nearest directory above `dir` whose `Cargo.toml` declares a workspace.
fn workspace_root(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .find(|d| {
            fs::read_to_string(d.join("Cargo.toml")).is_ok_and(|manifest| manifest.contains("[workspace]"))
        })
        .map(Path::to_path_buf)
}

/// Wrap a core module carrying wit-bindgen's component-type section into a
/// component, validating the result.
pub fn componentize(module: &Path, component: &Path) -> Result<(), String> {
    let bytes = fs::read(module).map_err(|e| e.to_string())?;
    let encoded = wit_component::ComponentEncoder::default()
        .module(&bytes)
        .map_err(|e| format!("{e:#}"))?
        .validate(true)
        .encode()
        .map_err(|e| format!("{e:#}"))?;
    fs::write(component, encoded).map_err(|e| e.to_string())
}

/// `<target>/wasmlive-guests`, found from a build script's `OUT_DIR`
/// (`<target>[/<triple>]/<profile>/build/<pkg>-<hash>/out`), so debug and
/// release builds of the host share one guest build.
fn guest_target_dir(out_dir: &Path) -> PathBuf {
    let build = out_dir
        .ancestors()
        .find(|p| p.file_name().is_some_and(|n| n == "build"))
        .expect("OUT_DIR lies under a cargo build directory");
    let profile_dir = build.parent().expect("build dir has a parent");
    profile_dir
        .parent()
        .expect("profile dir has a parent")
        .join("wasmlive-guests")
}

/// Write Rust source declaring one `pub const NAME: &[u8]` per component,
/// for `include!` from the crate's `lib.rs`.
pub fn write_constants(out_file: &Path, items: &[(&str, &BuiltGuest)]) {
    let mut code = String::from("// Generated by wasmlive-guest-build. Do not edit.\n");
    for (name, guest) in items {
        code += &format!(
            "/// The `{}` guest, a component built from source at compile time.\n\
             pub const {name}: &[u8] = include_bytes!({:?});\n",
            guest.package, guest.component
        );
    }
    fs::write(out_file, code).expect("write generated constants");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guest_target_dir_is_shared_by_profiles() {
        let debug = guest_target_dir(Path::new("/w/target/debug/build/host-abc/out"));
        let release = guest_target_dir(Path::new("/w/target/release/build/host-def/out"));
        assert_eq!(debug, PathBuf::from("/w/target/wasmlive-guests"));
        assert_eq!(debug, release);
        let cross = guest_target_dir(Path::new("/w/target/x86_64-unknown-linux-gnu/debug/build/h-1/out"));
        assert_eq!(cross, PathBuf::from("/w/target/x86_64-unknown-linux-gnu/wasmlive-guests"));
    }
}
