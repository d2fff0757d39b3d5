"""The project's Playwright setup for scrapy-playwright: Debian's Chromium, screenshots, page JSON.

A spider that renders pages in a browser (``social`` always, ``shopee`` with ``-a browser=1``):

- calls :func:`configure_browser` on ``crawler.settings`` in ``from_crawler`` (settings are still
  writable there): the scrapy-playwright download handler for http/https, the asyncio reactor,
  Chromium from ``CHROMIUM_PATH`` (setting, then environment, then ``/usr/lib/chromium/chromium``),
  headless, the launch flags in :data:`CHROMIUM_ARGS`, and the net policy for Chromium's own requests
  (``PLAYWRIGHT_ABORT_REQUEST``, :class:`crawler.net_policy.BrowserRequestPolicy`). A missing Chromium
  raises :class:`BrowserNotFound` naming the path and the fix (``apt-get install chromium``);
- builds its requests with :func:`browser_meta` (``playwright``, ``playwright_include_page`` and a
  page-init callback that starts a :class:`JsonCollector` before the page navigates, so no JSON
  response the page fetches is missed);
- in its (async) callback reads the page's JSON with ``await collector.wait(...)``, takes evidence
  with :func:`take_screenshot` (full-page PNG in ``response.meta["screenshot"]``, which
  ``crawler.capture`` attaches to the items and ``pipelines.evidence`` stores for flagged listings),
  and closes the page with :func:`close_page` (also from its errback).

Only requests with ``meta["playwright"]`` go through the browser; the others (robots.txt) stay plain
HTTP inside the same handler.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scrapy.settings import Settings

from crawler.net_policy import BrowserRequestPolicy
from spiders.formats.jsonbody import UnreadableJson, decode_json

logger = logging.getLogger(__name__)

DEFAULT_CHROMIUM = "/usr/lib/chromium/chromium"
"""Debian's Chromium binary (``apt-get install chromium``); ``/usr/bin/chromium`` is a shell wrapper."""

CHROMIUM_ARGS: tuple[str, ...] = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
HANDLER = "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler"
ASYNCIO_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"

BROWSER_SETTINGS: dict[str, Any] = {
    "DOWNLOAD_HANDLERS": {"http": HANDLER, "https": HANDLER},
    "TWISTED_REACTOR": ASYNCIO_REACTOR,
    "PLAYWRIGHT_BROWSER_TYPE": "chromium",
    "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": 4,
    "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": 30_000,
}
"""The parts of the setup that need no lookup; usable as a spider's ``custom_settings``."""


class BrowserNotFound(RuntimeError):
    """No Chromium binary where the settings say; the message names the path and the fix."""


def chromium_path(settings: Settings | None = None) -> str:
    """The Chromium to launch: setting ``CHROMIUM_PATH``, else env ``CHROMIUM_PATH``, else Debian's."""
    configured = settings.get("CHROMIUM_PATH") if settings is not None else None
    return str(configured or os.environ.get("CHROMIUM_PATH") or DEFAULT_CHROMIUM)


def check_chromium(path: str) -> str:
    """``path`` when it is an executable file; raises :class:`BrowserNotFound` otherwise."""
    binary = Path(path)
    if not binary.is_file() or not os.access(binary, os.X_OK):
        raise BrowserNotFound(
            f"Chromium not found at {path}: install Debian's with `apt-get install chromium` "
            "(the tests and `make test` need it) or point CHROMIUM_PATH (environment or "
            "`-s CHROMIUM_PATH=...`) at a Chromium binary"
        )
    return str(binary)


def launch_options(settings: Settings | None = None) -> dict[str, Any]:
    """``PLAYWRIGHT_LAUNCH_OPTIONS``: the checked Chromium, headless (``BROWSER_HEADLESS``), our flags."""
    headless = settings.getbool("BROWSER_HEADLESS", True) if settings is not None else True
    return {
        "executable_path": check_chromium(chromium_path(settings)),
        "headless": headless,
        "args": list(CHROMIUM_ARGS),
    }


def configure_browser(settings: Settings, priority: str = "spider") -> None:
    """Switch a crawler's (still unfrozen) settings to scrapy-playwright with Debian's Chromium.

    Chromium's own requests (sub-resources, fetches, in-page navigations) obey the net policy:
    ``PLAYWRIGHT_ABORT_REQUEST`` is a :class:`crawler.net_policy.BrowserRequestPolicy`, which aborts a
    request to a private, loopback, link-local or multicast address unless its host is in
    ``ALLOWED_PRIVATE_HOSTS``. Raises :class:`BrowserNotFound` before anything starts when Chromium is
    missing.
    """
    options = launch_options(settings)
    for name, value in BROWSER_SETTINGS.items():
        if name == "DOWNLOAD_HANDLERS":
            handlers = dict(settings.getdict("DOWNLOAD_HANDLERS"))
            handlers.update(value)
            value = handlers
        settings.set(name, value, priority=priority)
    settings.set("PLAYWRIGHT_LAUNCH_OPTIONS", options, priority=priority)
    settings.set("PLAYWRIGHT_ABORT_REQUEST", BrowserRequestPolicy.from_settings(settings), priority=priority)


def parse_flag(value: Any, name: str) -> bool:
    """``-a name=1|0|true|false|yes|no|on|off`` → bool; raises ValueError naming the argument."""
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"{name} must be 1 or 0 (true/false), got {value!r}")


@dataclass
class CapturedJson:
    """One JSON response the page fetched: its URL, HTTP status, parsed body (None if unreadable)."""

    url: str
    status: int
    data: Any
    body: bytes
    error: str | None = None
    replaced: int = 0
    """Invalid UTF-8 sequences replaced with U+FFFD while decoding (``spiders.formats.jsonbody``)."""


class JsonCollector:
    """Keeps the JSON responses a page fetches whose URL contains one of ``patterns``."""

    def __init__(self, patterns: Iterable[str], max_bytes: int | None = None) -> None:
        self.patterns = tuple(patterns)
        self.max_bytes = max_bytes
        self.captured: list[CapturedJson] = []
        self._changed = asyncio.Condition()

    def wanted(self, url: str) -> bool:
        """Whether a response URL matches one of the patterns."""
        return any(pattern in url for pattern in self.patterns)

    async def on_response(self, response: Any) -> None:
        """Playwright ``response`` event handler: read and keep matching responses."""
        if not self.wanted(response.url):
            return
        try:
            body = await response.body()
        except Exception as exc:  # the page may close or the body be gone; keep going
            captured = CapturedJson(response.url, response.status, None, b"", f"body unavailable ({exc})")
        else:
            try:
                decoded = decode_json(body, max_bytes=self.max_bytes)
                captured = CapturedJson(response.url, response.status, decoded.value, body, replaced=decoded.replaced)
            except UnreadableJson as exc:
                captured = CapturedJson(response.url, response.status, None, body, f"malformed JSON ({exc})")
        async with self._changed:
            self.captured.append(captured)
            self._changed.notify_all()

    def matching(self, *patterns: str) -> list[CapturedJson]:
        """What was captured so far; only URLs containing one of ``patterns`` when any are given."""
        return [c for c in self.captured if not patterns or any(p in c.url for p in patterns)]

    async def wait(self, *patterns: str, timeout: float = 15.0) -> list[CapturedJson]:
        """The captures matching ``patterns``, waiting up to ``timeout`` s for the first; [] if none came."""
        async with self._changed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait_for(lambda: bool(self.matching(*patterns))), timeout)
            return self.matching(*patterns)


async def start_collecting(page: Any, request: Any) -> None:
    """Page-init callback: attach a :class:`JsonCollector` for ``meta["collect_json"]`` patterns.

    It runs before the page navigates; the collector is put in ``request.meta["json_collector"]``
    (so ``response.meta`` has it in the callback).
    """
    collector = JsonCollector(request.meta.get("collect_json") or (), request.meta.get("download_maxsize"))
    request.meta["json_collector"] = collector
    page.on("response", collector.on_response)


def browser_meta(collect_json: Iterable[str] = (), **extra: Any) -> dict[str, Any]:
    """Request meta for a browser-rendered page whose JSON responses matching ``collect_json`` are kept."""
    meta: dict[str, Any] = {
        "playwright": True,
        "playwright_include_page": True,
        "playwright_page_init_callback": start_collecting,
        "playwright_page_goto_kwargs": {"wait_until": "load"},
        "collect_json": tuple(collect_json),
    }
    meta.update(extra)
    return meta


async def settle(page: Any, timeout_ms: float = 3_000) -> None:
    """Give the page up to ``timeout_ms`` to finish its network activity (never raises)."""
    try:
        await page.wait_for_load_state("networkidle", timeout=timeout_ms)
    except Exception as exc:  # a page that never goes idle is still screenshotted
        logger.debug("%s: network not idle after %.0f ms (%s)", getattr(page, "url", "?"), timeout_ms, exc)


async def take_screenshot(page: Any, response: Any, *, full_page: bool = True) -> bytes | None:
    """A full-page PNG of ``page`` put in ``response.meta["screenshot"]`` (evidence); None if it failed."""
    try:
        png = await page.screenshot(full_page=full_page, type="png")
    except Exception as exc:  # no screenshot is no reason to lose the listing
        logger.warning("%s: screenshot failed (%s)", response.url, exc)
        return None
    response.meta["screenshot"] = png
    return png


async def close_page(page: Any) -> None:
    """Close a Playwright page, ignoring one that is already closed."""
    if page is None:
        return
    try:
        await page.close()
    except Exception as exc:  # closing twice or after a crash is harmless
        logger.debug("page close failed (%s)", exc)


async def close_failed_page(failure: Any) -> None:
    """Errback helper: close the page a failed browser request left open."""
    await close_page(failure.request.meta.get("playwright_page"))
