#!/usr/bin/env bash
# Install what is needed, then run every test: the guests' own unit tests
# (natively), the engine host against the real components, the CLI, and the
# documentation examples.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
export PATH="$HOME/.cargo/bin:$PATH"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
# The bindings crate is a Python extension: pytest tests it, below.
cargo test --workspace --exclude wasmlive-python --locked --no-fail-fast 2>&1 | tee "$log" || status=$?
# The VDOM guest once more, built with its html5ever parser.
cargo test -p guest-vdom --features html5ever --locked --no-fail-fast 2>&1 | tee -a "$log" || status=$?

# The Python package, the Django integration and the demo project; the
# fixture guests (tests/guests/) as files, for the engine-swap tests.
cargo run -q --locked -p wasmlive-fixtures --example export -- target/fixture-guests >/dev/null || status=$?
pylog=$(mktemp)
(cd tests/python && ../../.venv/bin/python -m pytest -q 2>&1) | tee "$pylog" || status=$?

# One closing line for the whole run (cargo prints one per test binary).
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "cargo: %d passed, %d failed\n", p, f }' "$log"
echo "pytest: $(tail -n 1 "$pylog")"
rm -f "$pylog"
exit "$status"
