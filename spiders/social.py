"""``scrapy crawl social``: public sale posts on Facebook pages and groups, rendered in Chromium.

    scrapy crawl social -a page=https://www.facebook.com/hang.xach.tay.gia.re [-a max_posts=20]
    scrapy crawl social -a group=123456789 [-a max_posts=50] [-a screenshots=0]

``page`` / ``group`` is a URL or a name/id on ``PLATFORM_BASE_URLS["facebook"]`` (``<base>/<page>``,
``<base>/groups/<group>``); several can be given comma-separated. The page is opened in Chromium
(``spiders.browser``), scrolled until ``max_posts`` posts (default 20) are on it or no more load, and
each post becomes a listing: its text (first line as title), the first price written in it ("3tr8",
"850k"), the author (``seller``), its permalink and time, and the phone numbers in it (``phones``,
normalised ``+84…``; see :mod:`spiders.formats.social`). Every post's own screenshot and the rendered
page travel with its listing as ``capture``, so a flagged post keeps both as evidence.

Only public content a logged-out visitor sees is read; a login wall or an empty feed is logged.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, ClassVar, Self

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response

from spiders.base import MarketplaceSpider, SpiderArgumentError, parse_max_pages
from spiders.browser import BROWSER_SETTINGS, browser_meta, close_page, configure_browser, parse_flag
from spiders.formats.common import FieldErrors, MissingField
from spiders.formats.social import SELECTORS, extract_posts, post_to_listing

FIRST_POST_TIMEOUT_MS = 15_000
MORE_POSTS_TIMEOUT_MS = 4_000
DEFAULT_MAX_POSTS = 20


class SocialSpider(MarketplaceSpider):
    """Public sale posts from Facebook pages and groups (browser-rendered)."""

    name = "social"
    platform_key = "facebook"
    default_base_url = "https://www.facebook.com"
    custom_settings: ClassVar[dict[str, Any]] = dict(BROWSER_SETTINGS)

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        """Point scrapy-playwright at Debian's Chromium (a clear error when it is missing)."""
        configure_browser(crawler.settings)
        return super().from_crawler(crawler, *args, **kwargs)

    def __init__(
        self, *args: Any, page: str | None = None, group: str | None = None, max_posts: Any = None,
        screenshots: Any = True, **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.pages = [p.strip() for p in str(page or "").split(",") if p.strip()]
        self.groups = [g.strip() for g in str(group or "").split(",") if g.strip()]
        if self.url:
            self.pages.insert(0, self.url)
        if not self.pages and not self.groups:
            raise SpiderArgumentError("social needs -a page=<url or name> or -a group=<url or id>")
        try:
            self.max_posts = parse_max_pages(max_posts) or DEFAULT_MAX_POSTS
        except SpiderArgumentError:
            raise SpiderArgumentError(f"max_posts must be a positive integer, got {max_posts!r}") from None
        self.screenshots = screenshots if isinstance(screenshots, bool) else parse_flag(screenshots, "screenshots")

    @property
    def base_url(self) -> str:
        """Facebook's host: ``PLATFORM_BASE_URLS["facebook"]``."""
        if self._base_url is None:
            self._base_url = self.platform_url(self.platform_key, self.default_base_url)
        return self._base_url

    def target_urls(self) -> list[str]:
        """The pages and groups to open, as URLs."""
        urls = []
        for name in self.pages:
            urls.append(name if name.startswith(("http://", "https://")) else f"{self.base_url}/{name.strip('/')}")
        for name in self.groups:
            urls.append(name if name.startswith(("http://", "https://"))
                        else f"{self.base_url}/groups/{name.strip('/')}")
        for url in urls:
            if any(ch in url for ch in " \t\n"):
                raise SpiderArgumentError(f"page/group must be a URL or a name without spaces, got {url!r}")
        return urls

    async def start(self) -> AsyncIterator[Any]:
        """One browser page per Facebook page or group."""
        for url in self.target_urls():
            yield scrapy.Request(url, callback=self.parse_feed, errback=self.feed_failed, meta=browser_meta())

    async def load_posts(self, page: Any, url: str) -> int:
        """Wait for the first posts, then scroll until ``max_posts`` are loaded or no more come."""
        posts = page.locator(SELECTORS["post"])
        try:
            await posts.first.wait_for(timeout=FIRST_POST_TIMEOUT_MS)
        except Exception as exc:  # Playwright's TimeoutError and page errors alike: nothing to read
            self.logger.error("%s: no posts appeared within %d s (login wall or empty feed?) (%s)",
                              url, FIRST_POST_TIMEOUT_MS // 1000, type(exc).__name__)
            self._stat("no_posts")
            return 0
        count = await posts.count()
        while count < self.max_posts:
            await page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
            try:
                await page.wait_for_function(
                    "n => document.querySelectorAll('[role=article]').length > n", arg=count,
                    timeout=MORE_POSTS_TIMEOUT_MS,
                )
            except Exception:  # no more posts loaded: the feed ends here
                break
            count = await posts.count()
        return count

    async def parse_feed(self, response: Response) -> AsyncIterator[Any]:
        """A rendered page or group → one listing per post (with its screenshot as evidence)."""
        page = response.meta["playwright_page"]
        shots: dict[int, bytes] = {}
        try:
            await self.load_posts(page, response.url)
            html = await page.content()
            errors: FieldErrors = []
            posts = extract_posts(html, page.url, errors)[: self.max_posts]
            self.report(response.url, errors)
            if self.screenshots:
                articles = page.locator(SELECTORS["post"])
                for post in posts:
                    try:
                        shots[post["index"]] = await articles.nth(post["index"]).screenshot(type="png")
                    except Exception as exc:  # a post that cannot be pictured still is a listing
                        self.logger.warning("%s: screenshot of post %d failed (%s)", response.url, post["index"], exc)
        finally:
            await close_page(page)
        body = html.encode("utf-8")
        for post in posts:
            errors = []
            try:
                listing = post_to_listing(post, errors, self.base_url)
            except MissingField as exc:
                self.logger.warning("%s: post %d skipped (%s)", response.url, post["index"], exc)
                self._stat("skipped_posts")
                continue
            item = self.emit(listing, response.url, errors)
            if item is None:
                continue
            item["capture"] = {"url": response.url, "status": response.status, "body": body,
                               "screenshot": shots.get(post["index"])}
            yield item

    async def feed_failed(self, failure: Any) -> None:
        """A page that did not load: logged, counted, its browser page closed."""
        await close_page(failure.request.meta.get("playwright_page"))
        self.logger.error("%s: page failed (%s)", failure.request.url, failure.getErrorMessage())
        self._stat("failed_pages")
