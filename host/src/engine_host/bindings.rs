//! Host-side bindings generated from `wit/`, one module per world, and the
//! linkers that give guests the host's imports: their world's, and WASI
//! preview 2 backed by a deny-all context (`wasi.rs`), nothing else.

use super::state::GuestState;
use wasmtime::component::{HasSelf, Linker};

/// Bindings of the `template-engine` world.
pub(crate) mod template_world {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "wasmlive:engine/template-engine",
        exports: { default: async },
    });
}

/// Bindings of the `vdom-engine` world; `log` is shared with the template world.
pub(crate) mod vdom_world {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "wasmlive:engine/vdom-engine",
        exports: { default: async },
        with: { "wasmlive:engine/log": super::template_world::wasmlive::engine::log },
    });
}

pub(crate) fn template_linker(engine: &wasmtime::Engine) -> wasmtime::Result<Linker<GuestState>> {
    let mut linker = Linker::new(engine);
    template_world::TemplateEngine::add_to_linker::<GuestState, HasSelf<GuestState>>(&mut linker, |s| s)?;
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    Ok(linker)
}

pub(crate) fn vdom_linker(engine: &wasmtime::Engine) -> wasmtime::Result<Linker<GuestState>> {
    let mut linker = Linker::new(engine);
    vdom_world::VdomEngine::add_to_linker::<GuestState, HasSelf<GuestState>>(&mut linker, |s| s)?;
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    Ok(linker)
}
