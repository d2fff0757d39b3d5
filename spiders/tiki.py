"""``scrapy crawl tiki``: Tiki search API → product detail API → one Listing per product.

    scrapy crawl tiki -a keywords='kem chống nắng,nồi chiên' [-a keywords_file=F] [-a max_pages=3]

Requests: ``<base>/api/v2/products?limit=40&q=K&page=N`` until ``paging.last_page`` (or
``max_pages``), then ``<base>/api/v2/products/<id>?spid=<seller product>`` for each item; the detail
gives description, origin (``specifications`` code ``origin``), brand, seller and breadcrumbs. A
product whose detail cannot be read is logged and left for the next crawl (yielding it without its
origin would wrongly look like a listing with no origin stated).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from spiders.base import MarketplaceSpider
from spiders.formats.common import FieldErrors, MissingField, merge
from spiders.formats.tiki import extract_tiki_detail, extract_tiki_search_item


class TikiSpider(MarketplaceSpider):
    """Tiki listings through the JSON API the site itself uses."""

    name = "tiki"
    default_base_url = "https://tiki.vn"
    page_size = 40

    def search_request(self, keyword: str, page: int) -> scrapy.Request:
        """The search request for one page (1-based) of one keyword."""
        query = urlencode({"limit": self.page_size, "q": keyword, "page": page})
        return scrapy.Request(
            f"{self.base_url}/api/v2/products?{query}",
            callback=self.parse_search,
            cb_kwargs={"keyword": keyword, "page": page},
        )

    async def start(self) -> AsyncIterator[Any]:
        """One search request per keyword."""
        for keyword in self.keywords:
            yield self.search_request(keyword, 1)

    def parse_search(self, response: Response, keyword: str, page: int) -> Any:
        """Search page → a detail request per product, and the next page."""
        payload = self.parse_json(response)
        if payload is None:
            return
        items = payload.get("data")
        if not isinstance(items, list):
            self.logger.error("%s: malformed JSON (no data[] list)", response.url)
            self._stat("malformed_responses")
            return
        errors: FieldErrors = []
        for raw in items:
            if not isinstance(raw, dict):
                continue
            try:
                partial = extract_tiki_search_item(raw, self.base_url, errors)
            except MissingField as exc:
                self.logger.error("%s: search item skipped (%s)", response.url, exc)
                self._stat("dropped")
                continue
            self.report(response.url, errors)
            spid = partial.pop("spid", None)
            query = f"?{urlencode({'spid': spid})}" if spid else ""
            yield scrapy.Request(
                f"{self.base_url}/api/v2/products/{partial['listing_id']}{query}",
                callback=self.parse_detail,
                errback=self.detail_failed,
                cb_kwargs={"partial": partial},
            )
        paging = payload.get("paging") or {}
        try:
            last_page = int(paging.get("last_page") or page)
        except (TypeError, ValueError):
            last_page = page
        if items and page < last_page and self.more_pages(page):
            yield self.search_request(keyword, page + 1)

    def parse_detail(self, response: Response, partial: dict[str, Any]) -> Any:
        """Product detail → the listing (detail fields over the search item's)."""
        payload = self.parse_json(response)
        if payload is None:
            self._stat("detail_failed")
            return
        errors: FieldErrors = []
        try:
            detail = extract_tiki_detail(payload, self.base_url, errors)
        except MissingField as exc:
            self.logger.error("%s: product skipped (%s)", response.url, exc)
            self._stat("dropped")
            return
        item = self.emit(merge(partial, detail), response.url, errors)
        if item is not None:
            yield item

    def detail_failed(self, failure: Failure) -> None:
        """A detail request that failed for good (after retries): logged, counted, left for next crawl."""
        self.logger.error("%s: product detail failed (%s)", failure.request.url, failure.getErrorMessage())
        self._stat("detail_failed")
