"""Tokio workers never wait for the GIL on the event path: actors keep
answering while Python code holds the GIL."""

import time

import wasmlive


async def test_actors_progress_while_python_holds_the_gil():
    sessions = []
    for i in range(20):
        s = await wasmlive.create_session_actor(f"gil-{i}")
        await s.mount("demo.views.CounterView", {})
        sessions.append(s)
    before = wasmlive.get_actor_stats().messages_processed
    # 200 events go out (the handlers run here, now); nobody awaits yet.
    replies = [s.event("increment", {}) for s in sessions for _ in range(10)]
    # Hold the GIL in pure Python, never yielding to the event loop.
    deadline = time.perf_counter() + 0.5
    processed = before
    while time.perf_counter() < deadline:
        processed = wasmlive.get_actor_stats().messages_processed
        if processed >= before + 200:
            break
    assert processed >= before + 200, f"only {processed - before} of 200 events were handled while Python held the GIL"
    results = [await r for r in replies]
    assert sorted({r["version"] for r in results}) == list(range(2, 12))
    for s in sessions:
        assert "Counter: 10" in (await s.render())["html"]
        await s.shutdown()
