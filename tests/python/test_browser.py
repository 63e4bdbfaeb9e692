"""The example project in headless Chromium (Debian's, driven by
Playwright): the JS client's bindings, patches and keyed moves in a real
browser. Screenshots land in target/screenshots/."""

import pathlib
import subprocess
import sys

import pytest
from playwright.async_api import async_playwright

from conftest import DEMO

SHOTS = pathlib.Path(__file__).resolve().parents[2] / "target" / "screenshots"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture
async def browser():
    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
        yield b
        await b.close()


async def open_live(browser, port, path):
    page = await browser.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    await page.goto(f"http://127.0.0.1:{port}{path}")
    await page.wait_for_function("document.documentElement.dataset.wasmlive === 'connected'")
    # Mounted over the socket: the view has its live id.
    await page.wait_for_function("window.wasmlive.views.every((v) => v.viewId)")
    page.errors = errors
    return page


async def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"{name}.png"))


async def test_counter_clicks_patch_the_page_without_reloading(server, browser):
    _, port = server
    page = await open_live(browser, port, "/counter/")
    await page.evaluate("window.__marker = 42")
    for _ in range(3):
        await page.click("text=+")
    await page.wait_for_function("document.querySelector('h1').textContent === 'Counter: 3'")
    await page.click("text=-")
    await page.wait_for_function("document.querySelector('h1').textContent === 'Counter: 2'")
    assert await page.evaluate("window.__marker") == 42, "no full reload"
    assert await page.evaluate("[...window.wasmlive.views][0].version") == 5
    await shot(page, "counter")
    assert page.errors == []


async def test_chat_submit_sends_the_form_clears_the_input_and_appends(server, browser):
    _, port = server
    page = await open_live(browser, port, "/chat/")
    for text in ["hello", "world"]:
        await page.fill("input[name=message]", text)
        await page.press("input[name=message]", "Enter")
        await page.wait_for_function(f"document.querySelector('ul.messages').textContent.includes({text!r})")
        assert await page.input_value("input[name=message]") == ""
    items = await page.eval_on_selector_all("ul.messages li", "els => els.map(e => e.textContent)")
    assert items == ["Anonymous: hello", "Anonymous: world"]
    await shot(page, "chat")


async def test_todo_moved_rows_keep_their_dom_nodes(server, browser):
    _, port = server
    page = await open_live(browser, port, "/todo/")
    await page.fill("li[data-key='1'] input.note", "typed before the move")
    await page.evaluate("window.__row1 = document.querySelector(\"li[data-key='1']\")")
    await page.click("button.reverse")
    await page.wait_for_function("document.querySelector('ul.items li').dataset.key === '3'")
    assert await page.evaluate("window.__row1 === document.querySelector(\"li[data-key='1']\")")
    assert await page.input_value("li[data-key='1'] input.note") == "typed before the move"
    await page.click("li[data-key='2'] button.remove")
    await page.wait_for_function("!document.querySelector(\"li[data-key='2']\")")
    await page.fill("input[name=text]", "Buy milk")
    await page.press("input[name=text]", "Enter")
    await page.wait_for_function("document.querySelector('ul.items').textContent.includes('Buy milk')")
    keys = await page.eval_on_selector_all("ul.items li", "els => els.map(e => e.dataset.key)")
    assert keys == ["3", "1", "4"]
    assert await page.text_content("p.count") == "3 items"
    await shot(page, "todo")


async def test_a_component_event_updates_the_component_and_its_parent(server, browser):
    _, port = server
    page = await open_live(browser, port, "/components/")
    await page.click("[data-component-id=pears] button")
    await page.wait_for_function("document.querySelector('.summary').textContent.includes('Changes: 1')")
    assert "Pears: 15" in await page.text_content("[data-component-id=pears]")
    await page.click("[data-component-id=apples] button")
    await page.wait_for_function("document.querySelector('.summary').textContent.includes('Apples is now 1')")
    assert "Apples: 1" in await page.text_content("[data-component-id=apples]")
    await shot(page, "components")
    assert page.errors == []


async def test_first_paint_without_javascript_shows_the_same_content(server, browser):
    _, port = server
    context = await browser.new_context(java_script_enabled=False)
    page = await context.new_page()
    await page.goto(f"http://127.0.0.1:{port}/todo/")
    keys = await page.eval_on_selector_all("ul.items li", "els => els.map(e => e.dataset.key)")
    assert keys == ["1", "2", "3"]
    assert await page.text_content("p.count") == "3 items"
    await context.close()


async def test_the_client_reconnects_after_a_server_restart_and_the_page_works_again(site, browser):
    page = await open_live(browser, site.port, "/counter/")
    await page.click("text=+")
    await page.wait_for_function("document.querySelector('h1').textContent === 'Counter: 1'")
    site.stop()
    await page.wait_for_function("document.documentElement.dataset.wasmlive === 'reconnecting'")
    site.start()
    # Backoff (with jitter) then a fresh socket: the view is mounted again.
    await page.wait_for_function("document.documentElement.dataset.wasmlive === 'connected'", timeout=30000)
    await page.wait_for_function("window.wasmlive.views.every((v) => v.viewId)")
    await page.click("text=+")
    # State lived in the old server's actors: the new one starts from the mount.
    await page.wait_for_function("document.querySelector('h1').textContent === 'Counter: 1'")
    await page.click("text=+")
    await page.wait_for_function("document.querySelector('h1').textContent === 'Counter: 2'")
    assert page.errors == []


async def test_a_stale_or_failing_patch_makes_the_client_resync_to_the_right_state(site, browser):
    page = await open_live(browser, site.port, "/counter/")
    warnings = []
    page.on("console", lambda m: warnings.append(m.text) if m.type == "warning" else None)
    await page.click("text=+")
    await page.wait_for_function("document.querySelector('h1').textContent === 'Counter: 1'")
    # Stale: the client believes it is a version behind, so the next patch does not follow on.
    await page.evaluate("window.wasmlive.views[0].version -= 1")
    await page.click("text=+")
    await page.wait_for_function("document.querySelector('h1').textContent === 'Counter: 2'")
    # Failing: the node the next patch addresses is gone from the page.
    await page.evaluate("document.querySelector('h1').firstChild.remove()")
    await page.click("text=+")
    await page.wait_for_function("document.querySelector('h1') && document.querySelector('h1').textContent === 'Counter: 3'")
    assert any("resync" in w and "version" in w for w in warnings), warnings
    assert any("resync" in w and "no node at" in w for w in warnings), warnings
    # Back in step: the next click patches normally.
    version = await page.evaluate("window.wasmlive.views[0].version")
    await page.click("text=+")
    await page.wait_for_function("document.querySelector('h1').textContent === 'Counter: 4'")
    assert await page.evaluate("window.wasmlive.views[0].version") == version + 1
    assert page.errors == []


async def test_a_slow_handler_shows_the_loading_class_until_its_patch_arrives(site, browser):
    page = await open_live(browser, site.port, "/slow/")
    root = "document.querySelector('[data-wasmlive-root]')"
    await page.click("div.slow button")
    assert await page.evaluate(f"{root}.classList.contains('wasmlive-loading')")
    assert await page.text_content("p") == "Saved: 0"
    await page.wait_for_function(f"document.querySelector('p').textContent === 'Saved: 1' && !{root}.classList.contains('wasmlive-loading')")
    await shot(page, "slow")


async def test_a_guest_fault_shows_an_error_for_its_view_while_the_page_works_on(site, browser):
    page = await open_live(browser, site.port, "/two-views/")
    faulty = "document.querySelector('section.faulty [data-wasmlive-root]')"
    await page.click("section.faulty button.break")
    await page.wait_for_function(f"{faulty}.classList.contains('wasmlive-error')")
    error = await page.evaluate(f"{faulty}.dataset.error")
    assert error.startswith("GuestFaultError:") and "deliberate panic" in error, error
    await shot(page, "guest-fault")
    # The other view on the page carries on...
    await page.click("section.counter >> text=+")
    await page.wait_for_function("document.querySelector('section.counter h1').textContent === 'Counter: 1'")
    assert await page.evaluate("document.querySelector('section.counter [data-wasmlive-root]').classList.contains('wasmlive-error')") is False
    # ...and the faulted one answers again on a fresh instance, clearing its error.
    await page.click("section.faulty button.mend")
    await page.wait_for_function(f"!{faulty}.classList.contains('wasmlive-error')")
    assert await page.text_content("section.faulty p") == "fine"
    assert page.errors == []


# A canonical form of a DOM subtree: namespace, tag, attributes sorted by
# name (their order carries no meaning, and a patched element keeps the
# order its attributes were set in), text and comments as data.
CANON = """
function canon(node) {
  if (node.nodeType === Node.TEXT_NODE) return JSON.stringify(node.data);
  if (node.nodeType === Node.COMMENT_NODE) return `<!--${node.data}-->`;
  const attrs = [...node.attributes].map((a) => `${a.name}=${JSON.stringify(a.value)}`).sort().join(" ");
  const kids = node.content instanceof DocumentFragment ? node.content.childNodes : node.childNodes;
  return `<${node.namespaceURI}|${node.localName} ${attrs}>[${[...kids].map(canon).join(",")}]`;
}
"""


async def test_patches_applied_by_the_client_build_the_dom_chromium_parses(site, browser, session):
    """Several hundred generated transitions: the server's patches applied
    with the real client in Chromium must give the DOM Chromium builds from
    the new HTML itself."""
    from markup import Markup, html
    from wasmlive import LiveView, event_handler

    class Html(LiveView):
        template = "{{ html|safe }}"

        def mount(self, request, **kwargs):
            self.html = ""

        @event_handler
        def show(self, html="", **kwargs):
            self.html = html

    view = Html()
    view.mount(None)
    view_id = (await session.mount(Html.view_path(), python_view=view))["view_id"]
    cases = []
    for seed in range(400):
        m = Markup(seed)
        old = m.tree()
        new = m.edit(old)
        old_html, new_html = html(old), html(new)
        await session.event("show", {"html": old_html}, view_id)
        reply = await session.event("show", {"html": new_html}, view_id)
        cases.append({"seed": seed, "old": old_html, "new": new_html, "patches": reply["patches"]})
    assert sum(len(c["patches"]) for c in cases) > 400, "the edits must produce patches"

    page = await browser.new_page()
    await page.goto(f"http://127.0.0.1:{site.port}/fidelity/")
    await page.wait_for_function("typeof window.applyPatches === 'function'")
    results = await page.evaluate(
        "(cases) => {"
        + CANON
        + """return cases.map((c) => {
          const stage = document.getElementById("stage");
          const fresh = document.getElementById("fresh");
          stage.innerHTML = c.old;
          let error = null;
          try { window.applyPatches(stage, c.patches); } catch (e) { error = e.message; }
          fresh.innerHTML = c.new;
          const got = [...stage.childNodes].map(canon).join(","), want = [...fresh.childNodes].map(canon).join(",");
          return { seed: c.seed, error, same: got === want, got, want };
        }); }""",
        cases,
    )
    bad = [r for r in results if r["error"] or not r["same"]]
    detail = "\n".join(
        f"seed {r['seed']}: {r['error'] or 'different DOM'}\n  old: {cases[r['seed']]['old']}\n  new: {cases[r['seed']]['new']}\n"
        f"  patches: {cases[r['seed']]['patches']}\n  got:  {r['got']}\n  want: {r['want']}"
        for r in bad[:5]
    )
    assert not bad, f"{len(bad)} of {len(results)} transitions differ:\n{detail}"


def logged_in_session(site, username, visits):
    """A user and a database session logged in as them, in the server's own
    database: the session key for the browser's cookie."""
    code = (
        "from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model\n"
        "from django.contrib.sessions.backends.db import SessionStore\n"
        f"user = get_user_model().objects.create_user({username!r}, password='pw')\n"
        "s = SessionStore()\n"
        "s[SESSION_KEY] = str(user.pk)\n"
        "s[BACKEND_SESSION_KEY] = 'django.contrib.auth.backends.ModelBackend'\n"
        "s[HASH_SESSION_KEY] = user.get_session_auth_hash()\n"
        f"s['visits'] = {visits}\n"
        "s.create()\n"
        "print(s.session_key)\n"
    )
    out = subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=DEMO, env=site.env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()[-1]


async def test_the_logged_in_user_reaches_mount_over_http_and_the_socket(site, browser):
    key = logged_in_session(site, "grace", visits=3)
    context = await browser.new_context()
    await context.add_cookies([{"name": "sessionid", "value": key, "url": f"http://127.0.0.1:{site.port}"}])
    page = await context.new_page()
    await page.goto(f"http://127.0.0.1:{site.port}/notes/whoami/")
    # The first paint (HTTP, the database session read in mount) ...
    assert await page.text_content("p.who") == "Hello grace" and await page.text_content("p.visits") == "3"
    first_paint_id = await page.evaluate("window.wasmlive.views[0].httpViewId")
    # ... then the socket's mount, with the same user from the same session.
    await page.wait_for_function("window.wasmlive.views.every((v) => v.viewId)")
    assert await page.evaluate("window.wasmlive.views[0].viewId") != first_paint_id
    assert await page.text_content("p.who") == "Hello grace" and await page.text_content("p.visits") == "3"
    await shot(page, "whoami")
    await context.close()
    # Nobody logged in: the anonymous user.
    page = await open_live(browser, site.port, "/notes/whoami/")
    assert await page.text_content("p.who") == "Hello stranger"


async def test_the_todo_list_is_stored_in_the_database(server, browser):
    _, port = server
    page = await open_live(browser, port, "/todo/")
    await page.fill("input[name=text]", "Stored")
    await page.press("input[name=text]", "Enter")
    await page.wait_for_function("document.querySelector('ul.items').textContent.includes('Stored')")
    # Another browser sees the row: it is in the database, not in one view's state.
    other = await open_live(browser, port, "/todo/")
    assert "Stored" in await other.text_content("ul.items")
    assert await other.text_content("p.count") == "4 items"


async def test_with_debug_a_failing_handler_shows_an_overlay_that_can_be_dismissed(site, browser):
    page = await open_live(browser, site.port, "/notes/failing-handler/")
    await page.click("text=explode")
    await page.wait_for_selector("#wasmlive-debug")
    assert await page.text_content("#wasmlive-debug .wasmlive-debug-exception") == "KeyError"
    assert await page.text_content("#wasmlive-debug .wasmlive-debug-message") == "'no such key'"
    assert await page.text_content("#wasmlive-debug .wasmlive-debug-where") == "in notes.views.FailingHandlerView, explode"
    frames = await page.eval_on_selector_all("#wasmlive-debug .wasmlive-debug-traceback li", "els => els.map(e => e.textContent)")
    assert "in helper_that_fails" in frames[-1] and 'return {}["no such key"]' in frames[-1], frames
    assert await page.evaluate("document.querySelector('[data-wasmlive-root]').classList.contains('wasmlive-error')")
    await shot(page, "debug-overlay")
    await page.click("#wasmlive-debug .wasmlive-debug-close")
    await page.wait_for_selector("#wasmlive-debug", state="detached")
    # Escape dismisses it too.
    await page.click("text=explode")
    await page.wait_for_selector("#wasmlive-debug")
    await page.keyboard.press("Escape")
    await page.wait_for_selector("#wasmlive-debug", state="detached")
    assert page.errors == []


async def test_without_debug_no_traceback_reaches_the_page(production_site, browser):
    page = await open_live(browser, production_site.port, "/notes/failing-handler/")
    await page.evaluate("window.__errors = []; document.addEventListener('wasmlive:error', (e) => window.__errors.push(e.detail))")
    await page.click("text=explode")
    await page.wait_for_function("window.__errors.length === 1")
    detail = await page.evaluate("window.__errors[0]")
    assert detail["error"] == "KeyError" and "debug" not in detail, detail
    assert await page.evaluate("document.querySelector('[data-wasmlive-root]').classList.contains('wasmlive-error')")
    assert await page.query_selector("#wasmlive-debug") is None
    assert "helper_that_fails" not in await page.content()


async def test_two_browsers_on_two_processes_chat_through_redis(migrated_db, redis_server, browser):
    from conftest import HERE, Server

    a, b = (Server("demo.settings", migrated_db, pythonpath=[HERE], env={"WASMLIVE_REDIS_URL": redis_server.url}).start() for _ in range(2))
    try:
        alice, bob = await open_live(browser, a.port, "/chat/"), await open_live(browser, b.port, "/chat/")
        await bob.evaluate(
            "window.__told = []; document.querySelector('[data-wasmlive-root]')"
            ".addEventListener('wasmlive:chat-message', (e) => window.__told.push(e.detail))"
        )
        await alice.fill("input[name=message]", "hello from A")
        await alice.press("input[name=message]", "Enter")
        await bob.wait_for_function("document.querySelector('ul.messages').textContent.includes('hello from A')")
        assert await bob.evaluate("window.__told") == [{"username": "Anonymous"}]
        await bob.fill("input[name=message]", "hi from B")
        await bob.press("input[name=message]", "Enter")
        await alice.wait_for_function("document.querySelector('ul.messages').textContent.includes('hi from B')")
        for page in (alice, bob):
            items = await page.eval_on_selector_all("ul.messages li", "els => els.map(e => e.textContent)")
            assert items == ["Anonymous: hello from A", "Anonymous: hi from B"], items
            # Each sees the other in presence.
            await page.wait_for_function("document.querySelector('p.here').textContent === 'Here: Anonymous, Anonymous'")
            assert page.errors == []
        # From a shell, to both processes' pages.
        env = dict(a.env, WASMLIVE_REDIS_URL=redis_server.url)
        subprocess.run([sys.executable, "manage.py", "demo_broadcast", "from the shell", "--as", "ops"], cwd=DEMO, env=env, check=True, timeout=60)
        for page in (alice, bob):
            await page.wait_for_function("document.querySelector('ul.messages').textContent.includes('ops: from the shell')")
        await shot(alice, "chat-two-processes")
        # Bob leaves: Alice sees him go.
        await bob.close()
        await alice.wait_for_function("document.querySelector('p.here').textContent === 'Here: Anonymous'")
    finally:
        a.stop()
        b.stop()
