import pytest

import wasmlive


@pytest.fixture
async def session(request):
    """A fresh session actor, shut down after the test."""
    s = await wasmlive.create_session_actor(f"test-{request.node.name}")
    yield s
    await s.shutdown()
