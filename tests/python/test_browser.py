"""The example project in headless Chromium (Debian's, driven by
Playwright): the JS client's bindings, patches and keyed moves in a real
browser. Screenshots land in target/screenshots/."""

import pathlib

import pytest
from playwright.async_api import async_playwright

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
