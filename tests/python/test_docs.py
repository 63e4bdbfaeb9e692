"""The documentation cannot drift: every public Python name, settings key,
stats field and CLI subcommand is in its reference, the generated
references are current, relative links resolve, and the quick start runs
as written."""

import json
import os
import pathlib
import re
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from websockets.asyncio.client import connect

import wasmlive
from conftest import ROOT, free_port
from wasmlive import conf

DOCS = ROOT / "docs"


def text(path):
    return (DOCS / path).read_text()


def test_every_public_python_name_is_in_the_reference():
    reference = text("reference/python.md")
    missing = [name for name in wasmlive.__all__ if f"`{name}" not in reference]
    assert not missing, f"docs/reference/python.md lacks {missing}"
    handle = [m for m in dir(wasmlive.SessionActorHandle) if not m.startswith("_")]
    missing = [m for m in handle if f"`{m}" not in reference]
    assert not missing, f"docs/reference/python.md lacks SessionActorHandle.{missing}"


def test_every_settings_key_is_in_the_reference_with_its_default():
    reference = text("reference/settings.md")
    rows = dict(re.findall(r"^\| `(\w+)` \| `([^`]*)`", reference, re.M))
    assert set(rows) == set(conf.DEFAULTS), f"documented {sorted(rows)} vs {sorted(conf.DEFAULTS)}"
    wrong = {k: (rows[k], repr(v)) for k, v in conf.DEFAULTS.items() if rows[k] != repr(v)}
    assert not wrong, f"documented defaults differ: {wrong}"


def test_every_stats_field_is_in_the_reference():
    reference = text("reference/stats.md")
    rows = set(re.findall(r"^\| `(\w+)` \|", reference, re.M))
    fields = {f for f in dir(wasmlive.ActorStats) if not f.startswith("_")}
    assert rows == fields, f"documented {sorted(rows)} vs ActorStats {sorted(fields)}"


def test_the_generated_references_are_current():
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen-docs.py"), "--check"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_every_cli_subcommand_is_in_the_reference():
    help_text = subprocess.run([sys.executable, "-m", "wasmlive", "--help"], capture_output=True, text=True, check=True).stdout
    commands = re.findall(r"^  (\w+)\s{2,}", help_text.split("Commands:")[1].split("Options:")[0], re.M)
    commands = [c for c in commands if c != "help"]
    assert len(commands) >= 6, help_text
    reference = text("reference/cli.md")
    missing = [c for c in commands if f"## `wasmlive {c}`" not in reference]
    assert not missing, f"docs/reference/cli.md lacks {missing}"


def test_relative_links_in_the_docs_resolve():
    broken = []
    for page in [ROOT / "README.md", *DOCS.rglob("*.md")]:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text()):
            if "://" in target or target.startswith("mailto:"):
                continue
            if not (page.parent / target).exists():
                broken.append(f"{page.relative_to(ROOT)} → {target}")
    assert not broken, "\n".join(broken)


def quickstart_steps():
    """The quick start's code blocks, in order: (language, body)."""
    return re.findall(r"```(\w+)\n(.*?)```", text("quickstart.md"), re.S)


async def test_the_quick_start_runs_as_written(tmp_path):
    bin_dir = pathlib.Path(sys.executable).parent
    server = None
    port = free_port()
    # A new project: none of the test run's own Django settings.
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    try:
        for lang, body in quickstart_steps():
            if lang == "sh":
                for line in body.strip().splitlines():
                    if "pip install" in line:
                        assert "bindings" in line, "the install step installs the package from bindings/"
                        continue
                    if line.startswith("python -m venv"):
                        continue  # this test runs in the environment scripts/install.sh made
                    args = line.split()
                    if args[0] == "django-admin":
                        subprocess.run([str(bin_dir / "django-admin"), *args[1:]], cwd=tmp_path, env=env, check=True)
                    elif args[:2] == ["python", "manage.py"]:
                        subprocess.run([sys.executable, *args[1:]], cwd=tmp_path, env=env, check=True)
                    elif args[0] == "uvicorn":
                        server = subprocess.Popen(
                            [sys.executable, "-m", "uvicorn", *args[1:], "--port", str(port)],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                        )
                    else:
                        pytest.fail(f"the quick start runs a command this test does not know: {line}")
            else:
                first, rest = body.split("\n", 1)
                path = re.fullmatch(r"(?:#|\{#) (\S+)(?: \(add at the end\))?(?: #\})?", first.strip())
                assert path, f"a quick start block must start by naming its file: {first}"
                target = tmp_path / path.group(1)
                target.parent.mkdir(parents=True, exist_ok=True)
                if "(add at the end)" in first:
                    target.write_text(target.read_text() + "\n" + rest)
                else:
                    target.write_text(rest)
        assert server is not None, "the quick start starts a server"
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(server.stdout.read().decode() if server.poll() is not None else "uvicorn did not start")
                time.sleep(0.1)
        page = urllib.request.urlopen(f"http://127.0.0.1:{port}/").read().decode()
        assert "<h1>Count: 0</h1>" in page and "wasmlive/client.js" in page, page
        client_js = urllib.request.urlopen(f"http://127.0.0.1:{port}/static/wasmlive/client.js").read().decode()
        assert "applyPatches" in client_js
        async with connect(f"ws://127.0.0.1:{port}/ws/live/", origin=f"http://127.0.0.1:{port}") as ws:
            assert json.loads(await ws.recv())["type"] == "connected"
            await ws.send(json.dumps({"type": "mount", "view": "counter.views.CounterView", "params": {}, "ref": 1}))
            mounted = json.loads(await ws.recv())
            assert mounted["type"] == "mounted" and "Count: 0" in mounted["html"], mounted
            for n, event in [(1, "increment"), (2, "increment"), (1, "decrement")]:
                await ws.send(json.dumps({"type": "event", "event": event, "params": {}, "view_id": mounted["view_id"], "ref": 2}))
                patch = json.loads(await ws.recv())
                assert patch["patches"] == [{"op": "set-text", "path": [0, 1, 0], "text": f"Count: {n}"}], patch
    finally:
        if server is not None and server.poll() is None:
            server.kill()
            server.wait()


def python_block(path, containing):
    """The ```python block of a doc page that contains `containing`."""
    blocks = re.findall(r"```python\n(.*?)```", text(path), re.S)
    found = [b for b in blocks if containing in b]
    assert len(found) == 1, f"{path}: {len(found)} python blocks contain {containing!r}"
    return found[0]


@pytest.mark.django_db(transaction=True)
async def test_the_views_guides_database_example_runs_as_written(session):
    from django.contrib.auth.models import AnonymousUser

    from notes.models import Note
    from wasmlive._bridge import mount_live
    from wasmlive.request import LiveRequest

    source = python_block("guides/views.md", "class NotesView").replace("from .models import Note", "from notes.models import Note")
    namespace = {"__name__": "docs_views_example"}
    exec(source, namespace)
    view = namespace["NotesView"]()
    await Note.objects.acreate(text="before")
    mounted = await mount_live(session, view, LiveRequest(user=AnonymousUser(), session={}), {})
    assert "before" in mounted["html"] and "1 notes" in mounted["html"]
    reply = await session.event("add", {"text": "added"}, mounted["view_id"])
    assert any("added" in p.get("html", "") for p in reply["patches"]), reply
    assert [n.text async for n in Note.objects.all()] == ["before", "added"]
    await session.event("count", {}, mounted["view_id"])
    assert view.total == 2


@pytest.mark.django_db(transaction=True)
async def test_the_lists_guides_orm_example_runs_as_written(session):
    import itertools
    import textwrap

    from notes.models import Product
    from wasmlive import LiveView, event_handler

    handlers = textwrap.indent(python_block("guides/lists-and-forms.md", "Product.objects"), "    ")
    source = (
        "class SearchView(LiveView):\n"
        "    template = '<ul>{% for p in results %}<li>{{ p.name }}</li>{% endfor %}</ul><ol>{% for m in messages %}<li>{{ m.text }}</li>{% endfor %}</ol>'\n"
        + handlers
    )
    namespace = {"__name__": "docs_lists_example", "LiveView": LiveView, "event_handler": event_handler, "Product": Product}
    exec(source, namespace)
    view = namespace["SearchView"]()
    view.results, view.messages, view.ids = [], [], itertools.count(1)
    for name in ["apple", "apricot", "banana"]:
        await Product.objects.acreate(name=name)
    mounted = await session.mount("docs_lists_example.SearchView", python_view=view)
    await session.event("search", {"q": "ap"}, mounted["view_id"])
    full = await session.render(mounted["view_id"])
    assert "<ul><li>apple</li><li>apricot</li></ul>" in full["html"], full["html"]
    await session.event("send_message", {"message": " hi "}, mounted["view_id"])
    assert "<ol><li>hi</li></ol>" in (await session.render(mounted["view_id"]))["html"]


def test_the_architecture_walk_names_files_that_exist():
    import re

    text = (ROOT / "docs" / "architecture.md").read_text()
    paths = set(re.findall(r"`((?:host|bindings|guest-templates|guest-vdom|types|wit)/[^`\s]*)`", text))
    assert len(paths) > 20, paths
    missing = sorted(p for p in paths if not (ROOT / p).exists())
    assert not missing, f"docs/architecture.md names files that are not there: {missing}"
