#!/usr/bin/env python3
"""Write the generated references: docs/reference/cli.md (from the CLI's
own --help) and docs/reference/wit.md (from wit/*.wit). `--check` writes
nothing and fails if either is out of date (tests/python/test_docs.py).

    .venv/bin/python scripts/gen-docs.py [--check]
"""

import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
SUBCOMMANDS = ["render", "diff", "check", "inspect", "bench", "serve", "broadcast"]


def cli_help(*args):
    out = subprocess.run([sys.executable, "-m", "wasmlive", *args, "--help"], capture_output=True, text=True, check=True)
    return out.stdout.rstrip() + "\n"


def cli_md():
    parts = [
        "# CLI reference\n\n",
        "Generated from the CLI's own `--help` by `scripts/gen-docs.py`; a test fails\n",
        "when it drifts. `wasmlive` is the Rust binary (`cargo run -p wasmlive --`);\n",
        "`python -m wasmlive` and the `wasmlive` script the Python package installs\n",
        "are the same CLI, with Python handler classes for `serve`.\n\n",
        "```text\n$ wasmlive --help\n", cli_help(), "```\n",
    ]
    for sub in SUBCOMMANDS:
        parts += [f"\n## `wasmlive {sub}`\n\n```text\n$ wasmlive {sub} --help\n", cli_help(sub), "```\n"]
    return "".join(parts)


ITEM = re.compile(r"^\s*(interface|world|record|enum|variant|resource|flags|type)\s+([\w-]+)")
FUNC = re.compile(r"^\s*(?:%)?([\w-]+):\s*(?:static\s+)?func\b|^\s*(constructor)\(")


def wit_md():
    parts = [
        "# WIT reference\n\n",
        "The guests' contracts, generated from `wit/*.wit` by `scripts/gen-docs.py`\n",
        "(a test fails when it drifts). Every type and function is documented in\n",
        "the WIT itself, reproduced below per file after an index of what it\n",
        "defines. Writing a guest: [../guests.md](../guests.md).\n",
    ]
    for path in sorted((ROOT / "wit").glob("*.wit")):
        source = path.read_text()
        parts.append(f"\n## `wit/{path.name}`\n\n")
        scope = None
        for line in source.splitlines():
            m = ITEM.match(line)
            if m and m.group(1) in ("interface", "world"):
                scope = f"{m.group(1)} `{m.group(2)}`"
                parts.append(f"- {scope}\n")
            elif m:
                parts.append(f"  - {m.group(1)} `{m.group(2)}`\n")
            else:
                f = FUNC.match(line)
                if f and scope:
                    parts.append(f"  - function `{f.group(1) or f.group(2)}`\n")
        parts.append(f"\n```wit\n{source.rstrip()}\n```\n")
    return "".join(parts)


def main():
    check = "--check" in sys.argv
    stale = []
    for path, text in [(ROOT / "docs/reference/cli.md", cli_md()), (ROOT / "docs/reference/wit.md", wit_md())]:
        if check:
            if not path.exists() or path.read_text() != text:
                stale.append(str(path.relative_to(ROOT)))
        else:
            path.write_text(text)
            print(path.relative_to(ROOT))
    if stale:
        sys.exit(f"out of date (run scripts/gen-docs.py): {', '.join(stale)}")


if __name__ == "__main__":
    main()
