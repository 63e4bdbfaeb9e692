"""First paint over HTTP (no JavaScript needed) and the POST fallback."""

import json

import pytest

from django.test import AsyncClient


async def test_first_paint_renders_the_view_and_the_client():
    client = AsyncClient()
    response = await client.get("/counter/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Counter: 0</h1>" in html
    assert 'data-view="demo.views.CounterView"' in html and 'data-view-id="' in html
    assert '<script type="module" src="/static/wasmlive/client.js"' in html
    assert "wasmlive_session" in response.cookies


def view_id_of(html):
    return html.split('data-view-id="', 1)[1].split('"', 1)[0]


async def test_post_fallback_sends_events_to_the_painted_view():
    client = AsyncClient()
    page = await client.get("/counter/")
    view_id = view_id_of(page.content.decode())
    r = await client.post("/counter/", json.dumps({"event": "increment", "params": {}, "view_id": view_id, "ref": 1}), content_type="application/json")
    assert r.status_code == 200
    frame = json.loads(r.content)
    assert frame["type"] == "patch" and frame["version"] == 2 and frame["ref"] == 1
    assert frame["patches"][0]["text"] == "Counter: 1"
    r = await client.post("/counter/", json.dumps({"type": "resync", "view_id": view_id}), content_type="application/json")
    assert "Counter: 1" in json.loads(r.content)["html"]


async def test_post_fallback_refuses_bad_bodies_and_foreign_views():
    owner, other = AsyncClient(), AsyncClient()
    view_id = view_id_of((await owner.get("/counter/")).content.decode())
    await other.get("/counter/")
    r = await other.post("/counter/", json.dumps({"event": "increment", "view_id": view_id}), content_type="application/json")
    assert r.status_code == 404 and json.loads(r.content)["error"] == "ViewNotFoundError"
    r = await owner.post("/counter/", "{nope", content_type="application/json")
    assert r.status_code == 400
    r = await owner.post("/counter/", json.dumps({"event": "mount", "view_id": view_id}), content_type="application/json")
    assert r.status_code == 400 and json.loads(r.content)["error"] == "EventRejectedError"


@pytest.mark.django_db(transaction=True)
async def test_every_example_page_paints(todo_rows):
    client = AsyncClient()
    for url, text in [("/chat/", "No messages yet"), ("/todo/", "Ship it"), ("/components/", "Pears: 10")]:
        r = await client.get(url)
        assert r.status_code == 200 and text in r.content.decode(), url


async def test_reloads_do_not_pile_up_views():
    client = AsyncClient()
    ids = [view_id_of((await client.get("/counter/")).content.decode()) for _ in range(10)]
    body = lambda vid: json.dumps({"event": "increment", "view_id": vid})  # noqa: E731
    r = await client.post("/counter/", body(ids[0]), content_type="application/json")
    assert r.status_code == 404, "the oldest view was unmounted"
    for vid in ids[-8:]:
        r = await client.post("/counter/", body(vid), content_type="application/json")
        assert r.status_code == 200
