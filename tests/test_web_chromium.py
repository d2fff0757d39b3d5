"""The web UI in real Chromium (Playwright driving Debian's chromium): an inspector logs in, filters the
queue, opens a listing, confirms it and sees the audit entry; a listing whose title holds ``<script>``
and a right-to-left override shows that text and runs nothing. Slow (a browser and a server).

The server is uvicorn in a thread on 127.0.0.1, port 0 (the OS picks a free one), stopped at the end.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from crawler.store import open_store
from crawler.web.app import WebConfig, create_app
from tests.web_fixtures import PASSWORD, WebData, build

CHROMIUM = "/usr/lib/chromium/chromium"
pytestmark = pytest.mark.slow


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, WebData]]:
    import uvicorn

    data = build(tmp_path)
    app = create_app(WebConfig(store_uri=data.uri, evidence_dir=data.evidence_dir))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, name="web-ui-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the web UI did not start"
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", data
    finally:
        server.should_exit = True
        thread.join(15)
        assert not thread.is_alive(), "the web UI server did not stop"


@pytest.fixture
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium (make test does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            yield launched
        finally:
            launched.close()


def _watch(page: object, events: list[str]) -> None:
    page.on("dialog", lambda dialog: (events.append("dialog: " + dialog.message), dialog.dismiss()))  # type: ignore[attr-defined]
    page.on("pageerror", lambda exc: events.append(f"pageerror: {exc}"))  # type: ignore[attr-defined]
    page.on("console", lambda message: events.append(f"console {message.type}: {message.text}")  # type: ignore[attr-defined]
            if message.type == "error" and "favicon" not in message.text and "404" not in message.text else None)


def _login(page: object, base: str, name: str) -> None:
    page.goto(base + "/queue")  # type: ignore[attr-defined]
    assert "/login" in page.url  # type: ignore[attr-defined]
    page.fill("input[name=username]", name)  # type: ignore[attr-defined]
    page.fill("input[name=password]", PASSWORD)  # type: ignore[attr-defined]
    page.click("form[action='/login'] button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_url(base + "/queue")  # type: ignore[attr-defined]


def test_inspector_filters_opens_confirms_and_sees_the_audit_entry(served: tuple[str, WebData],
                                                                   browser: object) -> None:
    base, data = served
    page = browser.new_page()  # type: ignore[attr-defined]
    events: list[str] = []
    _watch(page, events)
    _login(page, base, "lan")
    assert page.locator("tbody tr").count() == 3
    page.select_option("select[name=kind]", "banned")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**/queue?kind=banned**")
    rows = page.locator("tbody tr")
    assert rows.count() == 1
    rows.first.locator("td.title a").click()
    page.wait_for_url("**/listings/tiki%3A2")
    assert page.inner_text("h1") == "Súng bắn điện cầm tay"
    assert "Chờ xét duyệt" in page.inner_text(".summary")
    page.fill("textarea[name=note]", "Vũ khí, đã xác minh")
    page.click("button[value=confirmed]")
    page.wait_for_load_state()
    assert "Xác nhận vi phạm" in page.inner_text(".summary")
    history = page.inner_text("#history")
    assert "lan" in history and "Chờ xét duyệt → Xác nhận vi phạm" in history and "Vũ khí, đã xác minh" in history
    with open_store(data.uri) as store:
        entries = store.review_history("tiki", "2")
    assert [(e.by, e.to_status, e.note) for e in entries] == [("lan", "confirmed", "Vũ khí, đã xác minh")]
    assert not events, events


def test_hostile_title_is_shown_as_text_and_runs_nothing(served: tuple[str, WebData], browser: object) -> None:
    base, data = served
    page = browser.new_page()  # type: ignore[attr-defined]
    events: list[str] = []
    _watch(page, events)
    _login(page, base, "minh")
    queue_title = page.inner_text("td.title a >> nth=0")
    assert queue_title.startswith("<script>window.__pwned = 1;")
    page.goto(base + "/listings/shopee:1")
    title = page.inner_text("#listing-title")
    assert title.startswith("<script>window.__pwned = 1; alert('x')</script> Túi Gucci")
    assert "\\u202egnp.exe" in title and "\u202e" not in title  # the override shown, not obeyed
    assert page.locator("#listing-title script").count() == 0
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator("mark", has_text="Gucci").count() >= 1
    shot = page.locator("img.shot")
    assert shot.count() == 1 and page.evaluate("document.querySelector('img.shot').naturalWidth") == 1
    # the response body (which holds a script) is a download, never a page
    with page.expect_download() as download:
        page.click("text=Nội dung phản hồi (tải về)")
    assert download.value.suggested_filename.endswith(".html.txt")
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert not events, events
    page.screenshot(path=str(Path(data.uri.removeprefix("sqlite:///")).parent / "listing.png"), full_page=True)
