#!/usr/bin/env bash
# Install what is needed, then show wasmlive at work: render the example
# template through the embedded template guest, and diff two HTML files
# through the embedded VDOM guest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
export PATH="$HOME/.cargo/bin:$PATH"

cargo build --quiet -p wasmlive
wasmlive=target/debug/wasmlive

echo "== wasmlive render examples/hello/page.html --context examples/hello/context.json"
"$wasmlive" render examples/hello/page.html --context examples/hello/context.json
echo
echo "== wasmlive diff examples/hello/before.html examples/hello/after.html"
"$wasmlive" diff examples/hello/before.html examples/hello/after.html
echo
echo "== the same patches as the client receives them (--json)"
"$wasmlive" diff examples/hello/before.html examples/hello/after.html --json
