"""``scrapy crawl screenshots``: render queued listings' public pages in Chromium, one PNG each.

    scrapy crawl screenshots [-a limit=N] [-a keys=tiki:1,shopee:2]
    crawler evidence capture [--limit N]          (the same, with progress and a clear exit code)

Reads the screenshot queue (``crawler.screenshot_queue``, under ``EVIDENCE_DIR``): oldest entries
first, at most ``limit``, only ``keys`` when given. Each entry's URL is the listing URL its spider
recorded; it is rendered only when its host is one of the platform's (``page_url_problem``), and the
net policy applies to the page request (``NetPolicyMiddleware``) and to every request Chromium makes
for it (``PLAYWRIGHT_ABORT_REQUEST``, see ``spiders.browser``); a page that Chromium was redirected
to a refused address within (a redirect hop, which Playwright does not route: ``RedirectWatch``) is
not kept. The page is given a few seconds to settle, then a full-page PNG is taken. The spider yields
one item per entry: ``{"entry", "png", "url", "status"}`` or ``{"entry", "error"}``;
``pipelines.screenshots`` stores the PNG as evidence and appends the capture to the listing in the
store (the normal listing pipelines do not run here).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, ClassVar, Self

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.net_policy import BrowserRequestPolicy, RedirectWatch
from crawler.screenshot_queue import QueueEntry, ScreenshotQueue, page_url_problem
from spiders.browser import browser_meta, close_page, configure_browser, settle, start_collecting, take_screenshot

SETTLE_MS = 5_000
"""How long a page gets to finish loading (network idle) before its screenshot."""


async def watch_redirects(page: Any, request: Any) -> None:
    """Page-init callback: the JSON collector of ``spiders.browser``, and a :class:`RedirectWatch` on the
    page's requests (``request.meta["redirect_watch"]``), judged with the crawl's net policy."""
    await start_collecting(page, request)
    watch = RedirectWatch(request.meta["net_policy"])
    request.meta["redirect_watch"] = watch
    page.on("request", watch.on_request)


class ScreenshotsSpider(scrapy.Spider):
    """Drain the screenshot queue: one rendered-page PNG per queued listing."""

    name = "screenshots"
    custom_settings: ClassVar[dict[str, Any]] = {
        "ITEM_PIPELINES": {"pipelines.screenshots.ScreenshotPipeline": 100},
        "SPIDER_MIDDLEWARES": {"crawler.capture.CaptureResponseMiddleware": None},
        "ROBOTSTXT_OBEY": False,  # one page a buyer opens, asked for by an inspector: not a crawl
        "CONCURRENT_REQUESTS": 2,
        "RETRY_TIMES": 1,
        "MONITORS_ENABLED": False,  # a queue drain, not a crawl: no listing-count or coverage history to watch
    }

    def __init__(self, *args: Any, limit: Any = None, keys: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        try:
            self.limit = int(limit) if limit not in (None, "") else None
        except ValueError:
            raise ValueError(f"limit must be a positive integer, got {limit!r}") from None
        if self.limit is not None and self.limit < 1:
            raise ValueError(f"limit must be a positive integer, got {limit!r}")
        self.keys = {key.strip() for key in keys.split(",") if key.strip()} if keys else None

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        """Render through Chromium (``spiders.browser``): raises ``BrowserNotFound`` when it is missing."""
        configure_browser(crawler.settings)
        return super().from_crawler(crawler, *args, **kwargs)

    async def start(self) -> AsyncIterator[Any]:
        """A browser request per queued entry; an entry whose URL is off the platform's hosts fails at once."""
        queue = ScreenshotQueue(self.settings.get("EVIDENCE_DIR", "data/evidence"))
        policy = BrowserRequestPolicy.from_settings(self.settings)
        bases = self.settings.getdict("PLATFORM_BASE_URLS")
        entries = list(queue.entries(self.limit, self.keys))
        self.crawler.stats.set_value("screenshots/queued", len(entries))
        self.logger.info("screenshots: %d queued listings to render", len(entries))
        for number, entry in enumerate(entries, 1):
            problem = page_url_problem(entry.platform, entry.url, bases)
            if problem:
                self.logger.error("%s: not rendered for %s: %s", entry.url, entry.key, problem)
                yield {"entry": entry, "error": problem, "number": number}
                continue
            yield scrapy.Request(
                entry.url, callback=self.parse_page, errback=self.page_failed, dont_filter=True,
                cb_kwargs={"entry": entry, "number": number},
                meta=browser_meta(playwright_page_init_callback=watch_redirects, net_policy=policy),
            )

    async def parse_page(self, response: Response, entry: QueueEntry, number: int) -> AsyncIterator[Any]:
        """The rendered page → a full-page PNG of it."""
        page = response.meta.get("playwright_page")
        try:
            await settle(page, SETTLE_MS)
            png = await take_screenshot(page, response)
        finally:
            await close_page(page)
        violations = await response.meta["redirect_watch"].settled()
        if violations:
            yield {"entry": entry, "number": number,
                   "error": f"the page was redirected to a refused address, nothing kept: {violations[0]}"}
            return
        if png is None:
            yield {"entry": entry, "error": "screenshot failed (see the warning above)", "number": number}
            return
        yield {"entry": entry, "png": png, "url": response.url, "status": response.status, "number": number}

    async def page_failed(self, failure: Failure) -> AsyncIterator[Any]:
        """The page could not be loaded (refused, unreachable, timed out): the entry stays queued."""
        request = failure.request
        await close_page(request.meta.get("playwright_page"))
        self.logger.error("%s: page not rendered for %s (%s)", request.url, request.cb_kwargs["entry"].key,
                          failure.getErrorMessage())
        yield {"entry": request.cb_kwargs["entry"], "error": failure.getErrorMessage(),
               "number": request.cb_kwargs["number"]}
