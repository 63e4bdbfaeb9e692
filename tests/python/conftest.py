import os
import pathlib
import subprocess

import pytest

import wasmlive

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture
async def session(request):
    """A fresh session actor, shut down after the test."""
    s = await wasmlive.create_session_actor(f"test-{request.node.name}")
    yield s
    await s.shutdown()


@pytest.fixture(scope="session")
def fixture_guests():
    """The fixture guest components (tests/guests/) as .wasm files: written
    by scripts/test.sh, or here with cargo when run alone."""
    directory = pathlib.Path(os.environ.get("WASMLIVE_FIXTURE_GUESTS", ROOT / "target" / "fixture-guests"))
    if not (directory / "faulty.wasm").exists():
        subprocess.run(["cargo", "run", "-q", "-p", "wasmlive-fixtures", "--example", "export", "--", str(directory)], cwd=ROOT, check=True)
    return directory


class configured:
    """``async with configured(**settings):`` a fresh actor system with
    these settings, then a fresh default one again."""

    def __init__(self, **settings):
        self.settings = settings

    async def __aenter__(self):
        await wasmlive.shutdown_actor_system()
        wasmlive.configure(**self.settings)

    async def __aexit__(self, *exc):
        await wasmlive.shutdown_actor_system()
        defaults = {"ttl_secs": 3600, "cleanup_interval": 60, "guest_output_bytes": 16 << 20}
        wasmlive.configure(**{k: v for k, v in defaults.items() if k in self.settings or k == "ttl_secs"})
