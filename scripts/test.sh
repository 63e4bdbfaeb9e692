#!/usr/bin/env bash
# Install what is needed, then run every test: the guests' own unit tests
# (natively), the engine host against the real components, the CLI, and the
# documentation examples.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
export PATH="$HOME/.cargo/bin:$PATH"

cargo test --workspace --locked
