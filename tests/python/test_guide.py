"""docs/guests.md, run: its build script makes a component the host
accepts, the CLI renders with, and a LiveView mounts."""

import json
import pathlib
import subprocess
import sys

import pytest

from conftest import ROOT
from wasmlive import LiveView, event_handler

GUIDE = ROOT / "docs" / "guests.md"
EXAMPLE = ROOT / "examples" / "guest-engine"


@pytest.fixture(scope="module")
def built_engine():
    result = subprocess.run([str(EXAMPLE / "build.sh")], capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, result.stderr[-4000:]
    assert "implements: template-engine" in result.stdout, result.stdout
    return EXAMPLE / "engine.wasm"


def test_the_guide_shows_the_script_it_tests():
    script = (EXAMPLE / "build.sh").read_text()
    assert f"```sh\n{script}```" in GUIDE.read_text(), "docs/guests.md must show examples/guest-engine/build.sh verbatim"


def test_the_built_component_renders_from_the_cli(built_engine, tmp_path):
    (tmp_path / "page.txt").write_text("<p>Hello, {name}! {{braces}}</p>")
    (tmp_path / "ctx.json").write_text(json.dumps({"name": "<Ada>"}))
    cli = [sys.executable, "-m", "wasmlive"]
    out = subprocess.run(
        [*cli, "render", str(tmp_path / "page.txt"), "--engine", str(built_engine), "--context", str(tmp_path / "ctx.json")],
        capture_output=True, text=True, timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout == "<p>Hello, &lt;Ada&gt;! {braces}</p>"
    (tmp_path / "bad.txt").write_text("line one\n  {oops")
    out = subprocess.run([*cli, "render", str(tmp_path / "bad.txt"), "--engine", str(built_engine)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 1 and "bad.txt:2:3" in out.stderr, out.stderr


async def test_a_liveview_mounts_on_the_built_component(built_engine, session):
    class Greeting(LiveView):
        template = "<p>Hello, {name}!</p>"
        template_engine = str(built_engine)

        def mount(self, request, **kwargs):
            self.name = "Ada"

        @event_handler
        def rename(self, name="", **kwargs):
            self.name = name

    view = Greeting()
    view.mount(None)
    m = await session.mount(Greeting.view_path(), python_view=view)
    assert m["html"] == "<p>Hello, Ada!</p>"
    r = await session.event("rename", {"name": "Grace"}, m["view_id"])
    assert r["patches"] == [{"op": "set-text", "path": [0, 0], "text": "Hello, Grace!"}]
