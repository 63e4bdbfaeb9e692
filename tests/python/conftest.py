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
