#!/usr/bin/env bash
# Install what is needed, then run the example Django project (counter,
# chat, todo list, live components) under uvicorn and print its URL.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
export PATH="$HOME/.cargo/bin:$PATH"

addr=${WASMLIVE_ADDR:-127.0.0.1}
port=${WASMLIVE_PORT:-8000}
echo
echo "  wasmlive demo: open http://$addr:$port/  (Ctrl-C stops it)"
echo
cd examples/demo
# The todo list is stored in sqlite (examples/demo/db.sqlite3).
../../.venv/bin/python manage.py migrate --noinput
exec ../../.venv/bin/python -m uvicorn demo.asgi:application --host "$addr" --port "$port" --ws websockets
