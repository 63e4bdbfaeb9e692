"""One protocol, four transports: the same frames sent over `wasmlive
serve`'s WebSocket and POST fallback and over Django's (Channels under a
real uvicorn, and the HTTP view) get the same answers.

Both servers serve one view class, `notes.views.TallyView` (serve through
its views file's `handler`, Django from its URLconf), so the answers can
be compared field by field: types, error classes and messages, `kind`,
`ref`, versions, patches, HTML, and the POST fallback's status codes."""

import json
import os
import re
import urllib.error
import urllib.request

import pytest
from websockets.asyncio.client import connect

from conftest import DEMO, HERE, Server, start_serve

VIEW = "notes.views.TallyView"
ROUTE = "/notes/tally/"

# (name, frame (a dict, or text; "VIEW" stands for the view's id), the
# transports it is sent over, what the answer is: its type, and for errors
# the class and a part of the message, and on POST its status).
CASES = [
    ("ping", {"type": "ping", "ref": 1}, "ws", ("pong",)),
    ("an event", {"type": "event", "event": "add", "params": {"by": 2}, "view_id": "VIEW", "ref": 2}, "both", ("patch", 200)),
    ("an event without a view id", {"type": "event", "event": "add", "ref": "r3"}, "ws", ("patch",)),
    ("a POST without a view id", {"event": "add", "ref": "r3"}, "post", ("error", "ValueError", '"view_id"', 400)),
    ("a handler that raises", {"type": "event", "event": "explode", "view_id": "VIEW", "ref": 4}, "both", ("error", "ValueError", "no such luck", 500)),
    ("no such handler", {"type": "event", "event": "nope", "view_id": "VIEW", "ref": 5}, "both", ("error", "HandlerNotFoundError", "nope", 400)),
    ("a method that is no handler", {"type": "event", "event": "helper", "view_id": "VIEW"}, "both", ("error", "EventRejectedError", "helper", 400)),
    ("a private name", {"type": "event", "event": "_count", "view_id": "VIEW"}, "both", ("error", "EventRejectedError", "private", 400)),
    ("a lifecycle name", {"type": "event", "event": "mount", "view_id": "VIEW"}, "both", ("error", "EventRejectedError", "lifecycle", 400)),
    ("params not an object", {"type": "event", "event": "add", "params": [1], "view_id": "VIEW"}, "both", ("error", "InvalidParamsError", "object", 400)),
    ("a forged tagged value", {"type": "event", "event": "add", "params": {"by": {"$safe": "<b>"}}, "view_id": "VIEW"}, "both", ("error", "InvalidParamsError", "$safe", 400)),
    ("params too deep", {"type": "event", "event": "add", "params": {"by": [[[[[[[[[1]]]]]]]]]}, "view_id": "VIEW"}, "both", ("error", "InvalidParamsError", "deep", 400)),
    ("a view id that is no string", {"type": "event", "event": "add", "view_id": 5, "ref": 6}, "both", ("error", "ValueError", '"view_id" must be a string', 400)),
    ("an unknown view id", {"type": "event", "event": "add", "view_id": "nope", "ref": 7}, "both", ("error", "ViewNotFoundError", "nope", 404)),
    ("a component event without its view", {"type": "event", "event": "add", "component_id": "c"}, "ws", ("error", "ValueError", "needs its view_id")),
    ("a resync", {"type": "resync", "view_id": "VIEW", "ref": 8}, "both", ("html_update", 200)),
    ("a resume with a forged token", {"type": "resume", "view_id": "VIEW", "token": "ws-0.00", "version": 1, "ref": 14}, "ws", ("resume_failed",)),
    ("a resume without its token", {"type": "resume", "view_id": "VIEW", "version": 1}, "ws", ("error", "ValueError", '"token"')),
    ("a resume on POST", {"type": "resume", "view_id": "VIEW", "token": "t", "version": 1}, "post", ("error", "ValueError", "POST takes", 400)),
    ("an unknown type", {"type": "teleport", "view_id": "VIEW"}, "both", ("error", "ValueError", "unknown frame type", 400)),
    ("a socket's frame on POST", {"type": "ping", "view_id": "VIEW"}, "post", ("error", "ValueError", "POST takes", 400)),
    ("a claim", {"type": "claim", "view_id": "VIEW", "ref": 9}, "post", ("claimed", 200)),
    ("a claim on the socket", {"type": "claim", "view_id": "VIEW"}, "ws", ("error", "ValueError", "unknown frame type", 400)),
    ("a binary frame", b'{"type": "ping", "ref": 1}', "ws", ("error", "ValueError", "JSON text")),
    ("not JSON", "{nope", "both", ("error", "ValueError", "invalid frame", 400)),
    ("NaN", '{"type": "ping", "ref": NaN}', "both", ("error", "ValueError", "NaN is not JSON", 400)),
    ("not an object", "[1, 2]", "both", ("error", "ValueError", "JSON object", 400)),
    ("a ref no client can echo", {"type": "resync", "view_id": "VIEW", "ref": [1]}, "both", ("error", "ValueError", '"ref"', 400)),
    ("a huge ref", {"type": "resync", "view_id": "VIEW", "ref": 2**60}, "both", ("error", "ValueError", '"ref"', 400)),
    ("a frame too large", {"type": "event", "event": "add", "view_id": "VIEW", "pad": "x" * (1 << 20)}, "both", ("error", "ValueError", "larger than 1048576 bytes", 413)),
    ("a mount", {"type": "mount", "view": VIEW, "ref": 10}, "ws", ("mounted",)),
    ("a mount of nothing", {"type": "mount", "view": "os.system", "ref": 11}, "ws", ("error", "LookupError", "no view may be mounted", 404)),
    ("a mount param the view does not take", {"type": "mount", "view": VIEW, "params": {"count": 9}, "ref": 12}, "ws", ("error", "InvalidParamsError", "count", 400)),
    ("the view still counts", {"type": "event", "event": "add", "view_id": "VIEW", "ref": 13}, "both", ("patch", 200)),
]


# Answers whose message says how to fix it, which differs: declare the
# param in the views file (serve) or on the class (Django).
ADVICE_DIFFERS = {"a mount param the view does not take"}


def text_of(frame, view_id):
    if isinstance(frame, bytes):
        return frame  # sent as a binary frame
    text = frame if isinstance(frame, str) else json.dumps(frame)
    return text.replace('"VIEW"', json.dumps(view_id))


def normal(answer, view_id):
    """The answer with this transport's ids replaced by placeholders."""
    if isinstance(answer, list):
        return [normal(a, view_id) for a in answer]
    answer = dict(answer)
    answer.pop("session_id", None)
    # Only `serve` keeps a view past its socket, so only its `mounted` carries
    # a token (docs/reference/protocol.md, Resume); test_resume.py checks it.
    answer.pop("resume_token", None)
    if answer.get("view_id") == view_id:
        answer["view_id"] = "VIEW"
    elif "view_id" in answer and answer.get("type") == "mounted":
        answer["view_id"] = "NEW"
    return answer


async def over_socket(base):
    answers = {}
    async with connect(f"ws://{base}/ws/live/", origin=f"http://{base}", max_size=None) as ws:
        assert json.loads(await ws.recv())["type"] == "connected"
        await ws.send(json.dumps({"type": "mount", "view": VIEW, "ref": "m"}))
        mounted = json.loads(await ws.recv())
        assert mounted["type"] == "mounted" and "Tally: 0" in mounted["html"], mounted
        view_id = mounted["view_id"]
        for name, frame, over, _ in CASES:
            if over in ("ws", "both"):
                await ws.send(text_of(frame, view_id))
                answers[name] = normal(json.loads(await ws.recv()), view_id)
    return answers


def over_post(base):
    answers = {}
    with urllib.request.urlopen(f"http://{base}{ROUTE}", timeout=10) as page:
        html = page.read().decode()
        cookie = page.headers["Set-Cookie"].split(";", 1)[0]
    view_id = re.search(r'data-view-id="([^"]+)"', html).group(1)
    assert "Tally: 0" in html
    for name, frame, over, _ in CASES:
        if over not in ("post", "both"):
            continue
        request = urllib.request.Request(
            f"http://{base}{ROUTE}", data=text_of(frame, view_id).encode(), method="POST", headers={"Content-Type": "application/json", "Cookie": cookie}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status, text = response.status, response.read().decode()
        except urllib.error.HTTPError as e:
            status, text = e.code, e.read().decode()
        answers[name] = (status, normal(json.loads(text), view_id))
    return answers


@pytest.fixture
def servers(migrated_db, tmp_path):
    """The test site under uvicorn, and `python -m wasmlive serve` serving
    the same view class with the same settings: their addresses."""
    django = Server("testsite.settings", migrated_db, pythonpath=[HERE], env={"WASMLIVE_DEBUG": "0", "WASMLIVE_UNTHROTTLED": "1"}).start()
    views = {"views": [{"name": VIEW, "route": ROUTE, "template": "notes/tally.html", "handler": "notes.views:TallyView"}]}
    (tmp_path / "views.json").write_text(json.dumps(views))
    env = dict(django.env, PYTHONPATH=os.pathsep.join([str(HERE), str(DEMO)]))
    serve, addr = start_serve(tmp_path, HERE / "notes" / "templates", env, "--max-frames-per-second", "0")
    yield f"127.0.0.1:{django.port}", addr
    serve.kill()
    serve.wait()
    django.stop()


async def test_the_same_frames_get_the_same_answers_over_all_four_transports(servers):
    django, serve = servers
    sockets = {"Django": await over_socket(django), "serve": await over_socket(serve)}
    posts = {"Django": over_post(django), "serve": over_post(serve)}
    for name, _, over, expected in CASES:
        kind = expected[0]
        if over in ("ws", "both"):
            answer, served = sockets["Django"][name], sockets["serve"][name]
            if name in ADVICE_DIFFERS:
                answer, served = ({k: v for k, v in a.items() if k != "message"} for a in (answer, served))
            assert answer == served, f"{name} over the sockets: Django {answer} / serve {sockets['serve'][name]}"
            answer = sockets["Django"][name]
            assert answer["type"] == kind, (name, answer)
            if kind == "error":
                assert answer["error"] == expected[1] and expected[2] in answer["message"], (name, answer)
        if over in ("post", "both"):
            status, answer = posts["Django"][name]
            assert (status, answer) == posts["serve"][name], f"{name} over POST: Django {status} {answer} / serve {posts['serve'][name]}"
            assert answer["type"] == kind and status == expected[-1], (name, status, answer)
            if kind == "error":
                assert answer["error"] == expected[1] and expected[2] in answer["message"], (name, answer)
    # The answers carry what the client needs: refs echoed, versions in order.
    event = sockets["Django"]["an event"]
    assert [p["text"] for p in event["patches"]] == ["Tally: 2"] and (event["version"], event["view_id"], event["ref"]) == (2, "VIEW", 2), event
    assert sockets["Django"]["the view still counts"]["version"] == 5
    assert posts["Django"]["the view still counts"][1]["version"] == 4
    assert sockets["Django"]["a mount"]["html"].strip() == "<div><h1>Tally: 0</h1><p>Ticks: 0</p></div>"
