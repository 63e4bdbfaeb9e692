//! The two guest worlds of `wit/worlds.wit`, and the load-time check that a
//! component implements one: every required export present, no import the
//! host does not provide. Besides its world's imports, a guest may import
//! WASI preview 2 (`wasi:*@0.2.x`), which the host links deny-all
//! (`wasi.rs`).

use super::error::LoadError;
use wasmtime::component::Component;
use wasmtime::component::types::ComponentItem;

/// The version of the `wasmlive:engine` package this host implements.
pub const PACKAGE_VERSION: &str = "0.1.0";

/// A world a guest component implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum World {
    /// `wasmlive:engine/template-engine`
    TemplateEngine,
    /// `wasmlive:engine/vdom-engine`
    VdomEngine,
}

impl World {
    /// The world's name in `wit/worlds.wit`.
    pub fn name(self) -> &'static str {
        match self {
            World::TemplateEngine => "template-engine",
            World::VdomEngine => "vdom-engine",
        }
    }

    /// Interfaces (unversioned) the host provides to guests of this world.
    pub fn provided_imports(self) -> &'static [&'static str] {
        match self {
            World::TemplateEngine => &["wasmlive:engine/log", "wasmlive:engine/loader", "wasmlive:engine/django"],
            World::VdomEngine => &["wasmlive:engine/log"],
        }
    }

    /// Whether the host grants `import` (a versioned interface name) to
    /// guests of this world: one of [`World::provided_imports`], or WASI
    /// preview 2 (linked with a deny-all context).
    pub fn provides(self, import: &str) -> bool {
        self.provided_imports().iter().any(|p| same_interface(import, p)) || is_wasi_p2(import)
    }

    /// The exported interface (unversioned) and the functions it must have.
    pub fn required_export(self) -> (&'static str, &'static [&'static str]) {
        match self {
            World::TemplateEngine => (
                "wasmlive:engine/templates",
                &["[static]template.compile", "[method]template.name", "[method]template.render"],
            ),
            World::VdomEngine => (
                "wasmlive:engine/vdom",
                &[
                    "[constructor]document",
                    "[method]document.diff",
                    "[method]document.to-html",
                    "[method]document.nodes",
                ],
            ),
        }
    }

    /// Check `component` against this world, naming the first problem found.
    pub(crate) fn check(self, engine: &wasmtime::Engine, name: &str, component: &Component) -> Result<(), LoadError> {
        let ty = component.component_type();
        let (interface, functions) = self.required_export();
        let missing = |what: String| LoadError::MissingExport {
            component: name.to_string(),
            world: self.name().to_string(),
            missing: what,
        };
        let export = ty
            .exports(engine)
            .find(|(export, _)| same_interface(export, interface))
            .ok_or_else(|| missing(format!("{interface}@{PACKAGE_VERSION}")))?;
        let ComponentItem::ComponentInstance(instance) = export.1.ty else {
            return Err(missing(format!("{interface}@{PACKAGE_VERSION} (exported, but not as an interface)")));
        };
        for function in functions {
            if instance.get_export(engine, function).is_none() {
                return Err(missing(format!("{interface}@{PACKAGE_VERSION}#{function}")));
            }
        }
        // Exports first: a component of the other world is reported as such,
        // not by the first of its imports this world does not grant.
        for (import, _) in ty.imports(engine) {
            if !self.provides(import) {
                return Err(LoadError::ForbiddenImport {
                    component: name.to_string(),
                    world: self.name().to_string(),
                    import: import.to_string(),
                    allowed: self
                        .provided_imports()
                        .iter()
                        .map(|p| format!("{p}@{PACKAGE_VERSION}"))
                        .chain(["WASI 0.2 (deny-all)".to_string()])
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
        }
        Ok(())
    }
}

/// What a component imports and exports, and which wasmlive worlds it implements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentInfo {
    /// Imported interface names, versioned (e.g. `wasmlive:engine/log@0.1.0`).
    pub imports: Vec<String>,
    /// Exported interface names with the functions each exports.
    pub exports: Vec<(String, Vec<String>)>,
    /// The worlds the component passes the load-time check for.
    pub worlds: Vec<World>,
    /// Why it fails the check of each world it does not implement.
    pub rejections: Vec<(World, LoadError)>,
}

impl ComponentInfo {
    /// The component's imports that `world` does not provide: what the host
    /// would refuse if the component were loaded as that world.
    pub fn refused_imports(&self, world: World) -> Vec<&str> {
        self.imports
            .iter()
            .filter(|i| !world.provides(i))
            .map(String::as_str)
            .collect()
    }

    pub(crate) fn of(engine: &wasmtime::Engine, name: &str, component: &Component) -> ComponentInfo {
        let ty = component.component_type();
        let imports = ty.imports(engine).map(|(n, _)| n.to_string()).collect();
        let exports = ty
            .exports(engine)
            .map(|(n, item)| {
                let functions = match item.ty {
                    ComponentItem::ComponentInstance(instance) => instance
                        .exports(engine)
                        .filter(|(_, item)| matches!(item.ty, ComponentItem::ComponentFunc(_)))
                        .map(|(f, _)| f.to_string())
                        .collect(),
                    _ => Vec::new(),
                };
                (n.to_string(), functions)
            })
            .collect();
        let mut worlds = Vec::new();
        let mut rejections = Vec::new();
        for world in [World::TemplateEngine, World::VdomEngine] {
            match world.check(engine, name, component) {
                Ok(()) => worlds.push(world),
                Err(e) => rejections.push((world, e)),
            }
        }
        ComponentInfo {
            imports,
            exports,
            worlds,
            rejections,
        }
    }
}

/// The WASI preview 2 interfaces wasmtime-wasi links (its `wasi:cli/imports`
/// world), by package and interface.
const WASI_P2: &[(&str, &[&str])] = &[
    ("wasi:io", &["error", "poll", "streams"]),
    ("wasi:clocks", &["monotonic-clock", "wall-clock"]),
    ("wasi:filesystem", &["types", "preopens"]),
    ("wasi:random", &["random", "insecure", "insecure-seed"]),
    (
        "wasi:sockets",
        &["network", "instance-network", "udp", "udp-create-socket", "tcp", "tcp-create-socket", "ip-name-lookup"],
    ),
    (
        "wasi:cli",
        &[
            "environment", "exit", "stdin", "stdout", "stderr", "terminal-input", "terminal-output", "terminal-stdin",
            "terminal-stdout", "terminal-stderr",
        ],
    ),
];

/// Whether `name` is a WASI preview 2 interface the host links (any 0.2.x).
fn is_wasi_p2(name: &str) -> bool {
    let Some((base, version)) = name.split_once('@') else {
        return false;
    };
    let Some((package, interface)) = base.split_once('/') else {
        return false;
    };
    version.starts_with("0.2.")
        && WASI_P2.iter().any(|(p, interfaces)| *p == package && interfaces.contains(&interface))
}

/// Whether a component's import/export name refers to `interface` at a
/// version compatible with ours (same `0.minor`, as semver treats 0.x).
fn same_interface(name: &str, interface: &str) -> bool {
    let (base, version) = name.split_once('@').unwrap_or((name, ""));
    base == interface && compatible(version, PACKAGE_VERSION)
}

fn compatible(theirs: &str, ours: &str) -> bool {
    let key = |v: &str| -> Option<(u64, u64)> {
        let mut parts = v.split('.').map(|p| p.parse::<u64>().ok());
        let (major, minor) = (parts.next()??, parts.next()??);
        Some(if major == 0 { (0, minor) } else { (major, u64::MAX) })
    };
    matches!((key(theirs), key(ours)), (Some(a), Some(b)) if a == b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_match_like_semver_for_zero_x() {
        assert!(same_interface("wasmlive:engine/log@0.1.0", "wasmlive:engine/log"));
        assert!(same_interface("wasmlive:engine/log@0.1.7", "wasmlive:engine/log"));
        assert!(!same_interface("wasmlive:engine/log@0.2.0", "wasmlive:engine/log"));
        assert!(!same_interface("wasmlive:engine/log", "wasmlive:engine/log"));
        assert!(!same_interface("wasi:cli/environment@0.2.0", "wasmlive:engine/log"));
    }

    #[test]
    fn wasi_preview_two_is_granted_and_nothing_else_of_wasi() {
        for world in [World::TemplateEngine, World::VdomEngine] {
            assert!(world.provides("wasi:filesystem/preopens@0.2.0"));
            assert!(world.provides("wasi:cli/stdout@0.2.12"));
            assert!(!world.provides("wasi:filesystem/preopens@0.3.0"));
            assert!(!world.provides("wasi:http/outgoing-handler@0.2.0"));
            assert!(!world.provides("wasi:cli/environment"));
            assert!(!world.provides("wasmlive:fixtures/secrets"));
        }
        assert!(World::TemplateEngine.provides("wasmlive:engine/loader@0.1.0"));
        assert!(!World::VdomEngine.provides("wasmlive:engine/loader@0.1.0"));
    }
}
