"""The Playwright setup (spiders/browser.py): Chromium lookup, settings, the page-JSON collector."""

from __future__ import annotations

import asyncio
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from scrapy.settings import Settings

from crawler.net_policy import BrowserRequestPolicy
from spiders.browser import (
    CHROMIUM_ARGS,
    DEFAULT_CHROMIUM,
    HANDLER,
    BrowserNotFound,
    JsonCollector,
    browser_meta,
    check_chromium,
    chromium_path,
    configure_browser,
    parse_flag,
    take_screenshot,
)


def test_chromium_path_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHROMIUM_PATH", raising=False)
    assert chromium_path(Settings()) == DEFAULT_CHROMIUM
    monkeypatch.setenv("CHROMIUM_PATH", "/opt/env/chromium")
    assert chromium_path(Settings()) == "/opt/env/chromium"
    assert chromium_path(Settings({"CHROMIUM_PATH": "/opt/setting/chromium"})) == "/opt/setting/chromium"


def test_missing_chromium_names_path_and_fix(tmp_path: Path) -> None:
    with pytest.raises(BrowserNotFound, match=r"apt-get install chromium") as info:
        check_chromium(str(tmp_path / "nope"))
    assert str(tmp_path / "nope") in str(info.value)
    not_executable = tmp_path / "chromium"
    not_executable.write_text("#!/bin/sh\n")
    with pytest.raises(BrowserNotFound):
        check_chromium(str(not_executable))
    not_executable.chmod(not_executable.stat().st_mode | stat.S_IXUSR)
    assert check_chromium(str(not_executable)) == str(not_executable)


def test_configure_browser_sets_scrapy_playwright(tmp_path: Path) -> None:
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    settings = Settings({"CHROMIUM_PATH": str(fake), "DOWNLOAD_HANDLERS": {"s3": None}})
    configure_browser(settings)
    assert settings.getdict("DOWNLOAD_HANDLERS") == {"s3": None, "http": HANDLER, "https": HANDLER}
    options = settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS")
    assert options["executable_path"] == str(fake) and options["headless"] is True
    assert tuple(options["args"]) == CHROMIUM_ARGS and "--disable-quic" in options["args"]
    assert settings.get("PLAYWRIGHT_BROWSER_TYPE") == "chromium"
    policy = settings.get("PLAYWRIGHT_ABORT_REQUEST")  # Chromium's own requests obey the net policy
    assert isinstance(policy, BrowserRequestPolicy) and policy.allowed == frozenset()
    listed = Settings({"CHROMIUM_PATH": str(fake), "ALLOWED_PRIVATE_HOSTS": "127.0.0.1,localhost"})
    configure_browser(listed)
    assert listed.get("PLAYWRIGHT_ABORT_REQUEST").allowed == {"127.0.0.1", "localhost"}
    with pytest.raises(BrowserNotFound):
        configure_browser(Settings({"CHROMIUM_PATH": str(tmp_path / "missing")}))


def test_debian_chromium_is_installed() -> None:
    """CI installs Debian's chromium (Makefile DEBIAN_PACKAGES); the browser tests need it."""
    path = chromium_path(Settings())
    assert os.access(path, os.X_OK), f"Chromium not found at {path}: run `apt-get install chromium` (or make test)"


@pytest.mark.parametrize(("raw", "expected"), [("1", True), ("true", True), ("On", True), ("0", False),
                                               ("no", False), ("", False)])
def test_parse_flag(raw: str, expected: bool) -> None:
    assert parse_flag(raw, "browser") is expected


def test_parse_flag_rejects_other_values() -> None:
    with pytest.raises(ValueError, match="browser must be 1 or 0"):
        parse_flag("maybe", "browser")


class FakeResponse:
    """What JsonCollector reads from a Playwright response."""

    def __init__(self, url: str, body: bytes | Exception, status: int = 200) -> None:
        self.url, self.status, self._body = url, status, body

    async def body(self) -> bytes:
        if isinstance(self._body, Exception):
            raise self._body
        return self._body


def test_json_collector_keeps_matching_json_and_waits() -> None:
    async def scenario() -> tuple[list[Any], list[Any], list[Any]]:
        collector = JsonCollector(["/api/v4/search/search_items", "/api/v4/item/get"])
        await collector.on_response(FakeResponse("https://x/static/app.js", b"var a"))
        waiting = asyncio.ensure_future(collector.wait("/item/get", timeout=5))
        await asyncio.sleep(0.01)
        await collector.on_response(FakeResponse("https://x/api/v4/item/get?itemid=1", json.dumps({"a": 1}).encode()))
        got = await waiting
        await collector.on_response(FakeResponse("https://x/api/v4/search/search_items?k=1", b"{truncated"))
        await collector.on_response(FakeResponse("https://x/api/v4/search/search_items?k=2", RuntimeError("gone")))
        bad = collector.matching("search_items")
        none = await collector.wait("pdp/get_pc", timeout=0.05)
        return got, bad, none

    got, bad, none = asyncio.run(scenario())
    assert [c.data for c in got] == [{"a": 1}]
    assert [c.error is not None for c in bad] == [True, True]
    assert "malformed JSON" in bad[0].error and "body unavailable" in bad[1].error
    assert none == []


def test_browser_meta_and_screenshot_helper() -> None:
    meta = browser_meta(["search_items"], playwright_context="shopee")
    assert meta["playwright"] and meta["playwright_include_page"] and meta["collect_json"] == ("search_items",)
    assert meta["playwright_context"] == "shopee" and callable(meta["playwright_page_init_callback"])

    class Page:
        def __init__(self, fail: bool) -> None:
            self.fail = fail

        async def screenshot(self, **kwargs: Any) -> bytes:
            if self.fail:
                raise RuntimeError("target closed")
            assert kwargs["full_page"] is True
            return b"\x89PNG..."

    class Response:
        url = "https://x/p"

        def __init__(self) -> None:
            self.meta: dict[str, Any] = {}

    ok, failed = Response(), Response()
    assert asyncio.run(take_screenshot(Page(False), ok)) == b"\x89PNG..." and ok.meta["screenshot"] == b"\x89PNG..."
    assert asyncio.run(take_screenshot(Page(True), failed)) is None and "screenshot" not in failed.meta
