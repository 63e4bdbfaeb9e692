#!/usr/bin/env bash
# Build this crate into a wasmlive template-engine component: engine.wasm.
# These are the steps of docs/guests.md, run as the guide shows them.
set -euo pipefail
cd "$(dirname "$0")"

# 1. Compile to a core Wasm module. rustup's wasm32 target if installed,
#    else Debian's rustc-web building std from source (no download needed).
if rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    cargo build --release --target wasm32-unknown-unknown
else
    RUST_LLD="$(rustc --print sysroot)/lib/rustlib/x86_64-unknown-linux-gnu/bin/rust-lld"
    RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 \
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER="$RUST_LLD" \
        /usr/bin/cargo build --release --target wasm32-unknown-unknown -Z build-std=std,panic_abort
fi

# 2. Wrap it into a component (what `wasm-tools component new` does).
cargo run -q --manifest-path ../../Cargo.toml -p wasmlive-guest-build --example componentize -- \
    target/wasm32-unknown-unknown/release/example_guest_engine.wasm engine.wasm

# 3. Check it: the host must say it implements the template-engine world.
cargo run -q --manifest-path ../../Cargo.toml -p wasmlive -- inspect engine.wasm
