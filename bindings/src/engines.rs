//! Guest engines a view names instead of the defaults (`template_engine` /
//! `vdom_engine` on a LiveView): loaded from their files, checked against
//! their world at first use, compiled once per process and shared by every
//! view that names them. An engine listed in `engine_limits` runs under
//! those limits instead of the `guest_*` ones.

use crate::errors::EngineLoadError;
use crate::system::System;
use dashmap::DashMap;
use pyo3::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use std::time::SystemTime;
use wasmlive::actors::Engines;
use wasmlive::engine_host::{TemplateEngine, VdomEngine};

#[derive(Clone)]
enum Loaded {
    Templates(TemplateEngine),
    Vdom(VdomEngine),
}

/// By file and kind: the file's modification time and length when loaded
/// (a rebuilt engine is loaded again), and the engine.
static CACHE: LazyLock<DashMap<(PathBuf, bool), (Option<SystemTime>, u64, Loaded)>> = LazyLock::new(DashMap::new);

/// Forget loaded engines (they belong to a system that has stopped).
pub fn clear() {
    CACHE.clear();
}

fn load(system: &System, path: &Path, templates: bool) -> PyResult<Loaded> {
    let what = if templates { "template engine" } else { "vdom engine" };
    let meta = std::fs::metadata(path)
        .map_err(|e| EngineLoadError::new_err(format!("cannot load the {what} {}: {e}", path.display())))?;
    let stamp = (meta.modified().ok(), meta.len());
    let key = (path.to_path_buf(), templates);
    if let Some(hit) = CACHE.get(&key) {
        if (hit.0, hit.1) == stamp {
            return Ok(hit.2.clone());
        }
    }
    let bytes = std::fs::read(path)
        .map_err(|e| EngineLoadError::new_err(format!("cannot load the {what} {}: {e}", path.display())))?;
    let name = path.display().to_string();
    let engine = system.supervisor.engine();
    let loaded = if templates {
        engine.load_templates(&name, &bytes).map(Loaded::Templates)
    } else {
        engine.load_vdom(&name, &bytes).map(Loaded::Vdom)
    }
    .map_err(|e| EngineLoadError::new_err(format!("cannot use {} as a {what}: {e}", path.display())))?;
    let limits = std::fs::canonicalize(path).ok().and_then(|p| system.settings.engine_limits.get(&p).copied());
    let loaded = match (loaded, limits) {
        (Loaded::Templates(t), Some(l)) => Loaded::Templates(t.with_limits(l)),
        (Loaded::Vdom(v), Some(l)) => Loaded::Vdom(v.with_limits(l)),
        (loaded, None) => loaded,
    };
    CACHE.insert(key, (stamp.0, stamp.1, loaded.clone()));
    Ok(loaded)
}

/// The engines for a view naming `templates` and/or `vdom` files; `None`
/// when it names neither (the defaults).
pub fn for_view(system: &System, templates: Option<PathBuf>, vdom: Option<PathBuf>) -> PyResult<Option<Engines>> {
    if templates.is_none() && vdom.is_none() {
        return Ok(None);
    }
    let (mut t, mut v) = system.supervisor.default_engines();
    if let Some(path) = templates {
        if let Loaded::Templates(engine) = load(system, &path, true)? {
            t = engine;
        }
    }
    if let Some(path) = vdom {
        if let Loaded::Vdom(engine) = load(system, &path, false)? {
            v = engine;
        }
    }
    Ok(Some(Engines { templates: t, vdom: v }))
}

/// A view's engine attribute (`template_engine` / `vdom_engine`) as a path.
pub fn attr(view: &Bound<'_, PyAny>, name: &str) -> PyResult<Option<PathBuf>> {
    match view.getattr(name) {
        Ok(v) if !v.is_none() => Ok(Some(v.extract()?)),
        _ => Ok(None),
    }
}
