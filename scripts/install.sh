#!/usr/bin/env bash
# Install everything wasmlive needs on a fresh Debian machine. Idempotent:
# it installs only what is missing, so running it again costs a few checks.
#
# - rustup's Rust toolchain (cargo, rustc, rust-lld) must already be there;
# - Debian's rustc-web, cargo-web and rust-web-src build the Wasm guests
#   (rustup cannot add the wasm32 target on these machines; see
#   guest-build/src/lib.rs), unless rustup already has wasm32-unknown-unknown.
set -euo pipefail

say() { printf '\033[1m[install]\033[0m %s\n' "$*" >&2; }

if ! command -v cargo >/dev/null 2>&1; then
    if [ -x "$HOME/.cargo/bin/cargo" ]; then
        export PATH="$HOME/.cargo/bin:$PATH"
    else
        say "cargo not found: install Rust with rustup (https://rustup.rs) and run this again"
        exit 1
    fi
fi

sysroot=$(rustc --print sysroot)
apt_packages=()
if [ ! -d "$sysroot/lib/rustlib/wasm32-unknown-unknown/lib" ]; then
    for pkg in rustc-web cargo-web rust-web-src; do
        if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
            apt_packages+=("$pkg")
        fi
    done
fi

# The browser tests drive Debian's Chromium (Playwright cannot download one here).
if ! dpkg-query -W -f='${Status}' chromium 2>/dev/null | grep -q "install ok installed"; then
    apt_packages+=(chromium)
fi

# PubSub across processes runs on Redis; its tests start their own
# redis-server on a free loopback port (Debian's package).
if ! dpkg-query -W -f='${Status}' redis-server 2>/dev/null | grep -q "install ok installed"; then
    apt_packages+=(redis-server)
fi

if [ ${#apt_packages[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    say "installing Debian packages: ${apt_packages[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${apt_packages[@]}" >/dev/null
fi

# Each guest instance takes a few memory maps; thousands of live views need
# more than the kernel's default 65530 (see docs/engine.md).
want_maps=1048576
have_maps=$(cat /proc/sys/vm/max_map_count 2>/dev/null || echo "$want_maps")
if [ "$have_maps" -lt "$want_maps" ]; then
    if [ "$(id -u)" -eq 0 ] && sysctl -qw vm.max_map_count="$want_maps" 2>/dev/null; then
        say "raised vm.max_map_count from $have_maps to $want_maps (until reboot)"
    else
        say "note: vm.max_map_count is $have_maps; raise it to $want_maps to run many thousands of views"
    fi
fi

# The tests render every template case with the real Django too: a
# virtualenv at .venv with tests/requirements.txt.
root=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -x "$root/.venv/bin/python" ]; then
    say "creating the virtualenv .venv"
    python3 -m venv "$root/.venv"
fi
# Satisfied pinned requirements cost pip no network round trip.
"$root/.venv/bin/python" -m pip install -q --disable-pip-version-check -r "$root/tests/requirements.txt"

# The Python package, built from bindings/ into .venv (editable: the
# extension lands next to its Python sources; the dev profile shares the
# workspace's build of the host with `cargo test`).
say "building the wasmlive Python package (maturin develop)"
(cd "$root/bindings" && VIRTUAL_ENV="$root/.venv" PATH="$root/.venv/bin:$PATH" maturin develop --quiet >/dev/null)

host=$(rustc -vV | sed -n 's/^host: //p')
if [ ! -x "$sysroot/lib/rustlib/$host/bin/rust-lld" ] && [ ! -d "$sysroot/lib/rustlib/wasm32-unknown-unknown/lib" ]; then
    say "rustup's toolchain has no rust-lld at $sysroot/lib/rustlib/$host/bin: reinstall the toolchain with rustup"
    exit 1
fi
say "ready: $(cargo --version), guests via $( [ ${#apt_packages[@]} -eq 0 ] && [ -d "$sysroot/lib/rustlib/wasm32-unknown-unknown/lib" ] && echo "rustup's wasm32 target" || echo "Debian's rustc-web $(/usr/bin/rustc --version 2>/dev/null | cut -d' ' -f2)")"
