"""``scrapy crawl sendo``: Sendo search API → product detail API → one Listing per product.

    scrapy crawl sendo -a keywords='iphone' [-a keywords_file=F] [-a max_pages=3]
    scrapy crawl sendo -a category=1663 [-a keywords=…]
    scrapy crawl sendo -a seller=76114
    scrapy crawl sendo -a url='https://www.sendo.vn/kinh-cuong-luc-iphone-12-37825800.html'

Requests: ``<sendo_search>/web/products?q=K&platform=web&page=N&size=60&sortType=vasup_desc`` (plus
``category_id=C`` for ``-a category`` and ``seller_admin_id=S`` for ``-a seller``; those two filter
names are our reading of the site, not checked against a live response) until a page has fewer than
``size`` products (the real API's only end-of-results signal) or ``max_pages``; then
``<sendo_detail>/full/<id>`` per product for brand, origin (attribute ``xuat_xu``), description and
categories. A product whose detail cannot be had (the request failed after its retries, or the detail
is unreadable) is yielded from its search item, marked ``partial`` (its ``fields_seen``: no brand,
origin or description) and its detail fetched on the next crawl. Listing links are
``<sendo>/<category_path>``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode, urlsplit

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from spiders.base import MarketplaceSpider, failure_cause
from spiders.formats.common import FieldErrors, MissingField, merge
from spiders.formats.sendo import extract_sendo_detail, extract_sendo_search_item, search_products

PRODUCT_ID = re.compile(r"-(\d+)\.html$")


class SendoSpider(MarketplaceSpider):
    """Sendo listings through the search and detail JSON APIs the site uses."""

    name = "sendo"
    default_base_url = "https://www.sendo.vn"
    page_size = 60

    @property
    def search_url(self) -> str:
        """The search API host (``PLATFORM_BASE_URLS["sendo_search"]``)."""
        return self.platform_url("sendo_search", "https://searchlist-api.sendo.vn")

    @property
    def detail_url(self) -> str:
        """The detail API host (``PLATFORM_BASE_URLS["sendo_detail"]``)."""
        return self.platform_url("sendo_detail", "https://detail-api.sendo.vn")

    def _search(self, params: dict[str, Any], page: int) -> scrapy.Request:
        query = urlencode({**params, "platform": "web", "page": page, "size": self.page_size,
                           "sortType": "vasup_desc"})
        return scrapy.Request(f"{self.search_url}/web/products?{query}", callback=self.parse_search,
                              cb_kwargs={"params": params, "page": page})

    def search_request(self, keyword: str, page: int) -> scrapy.Request:
        """One search page of one keyword (and ``-a category``)."""
        params: dict[str, Any] = {"q": self.search_keyword(keyword)}
        if self.category:
            params["category_id"] = self.category
        return self._search(params, page)

    def seller_requests(self, seller: str) -> Iterable[scrapy.Request]:
        """``-a seller=<shop id>``: the shop's products through the search API."""
        return [self._search({"q": "", "seller_admin_id": seller}, 1)]

    def url_requests(self, url: str) -> Iterable[scrapy.Request]:
        """``-a url=<product page>``: its detail API request."""
        match = PRODUCT_ID.search(urlsplit(url).path)
        if not match:
            return self.bad_url(url, "https://www.sendo.vn/<slug>-<id>.html")
        return [self.detail_request(match[1], {"url": url})]

    def detail_request(self, product_id: str, partial: dict[str, Any]) -> scrapy.Request:
        """The product-detail API request."""
        return scrapy.Request(f"{self.detail_url}/full/{product_id}", callback=self.parse_detail,
                              errback=self.detail_failed, cb_kwargs={"partial": partial})

    def parse_search(self, response: Response, params: dict[str, Any], page: int) -> Any:
        """Search page → a detail request per product, and the next page while pages are full."""
        page_data = self.page_entries(response, search_products)
        if page_data is None:
            return
        _, products = page_data
        capture = self.list_capture(response)
        for partial in self.extract_entries(response.url, products, extract_sendo_search_item):
            partial["capture"] = capture
            yield self.detail_request(partial["listing_id"], partial)
        if len(products) >= self.page_size and self.more_pages(page):
            yield self._search(params, page + 1)

    def parse_detail(self, response: Response, partial: dict[str, Any]) -> Any:
        """Product detail → the listing (detail fields over the search item's)."""
        payload = self.parse_json(response)
        data = payload.get("data") if payload else None
        if not isinstance(data, dict):
            if payload is not None:
                self.logger.error("%s: malformed JSON (no data object)", response.url)
                self._stat("malformed_responses")
            yield from self._partial(partial, "unreadable", response.url)
            return
        errors: FieldErrors = []
        try:
            detail = extract_sendo_detail(data, self.base_url, errors)
        except MissingField as exc:
            self.logger.error("%s: product detail unreadable (%s)", response.url, exc)
            yield from self._partial(partial, "unreadable", response.url)
            return
        if self.url and partial.get("url") == self.url:
            detail["url"] = self.url
        item = self.emit(merge(partial, detail), response.url, errors)
        if item is not None:
            yield item

    def _partial(self, partial: dict[str, Any], cause: str, url: str) -> Any:
        item = self.partial_listing(partial, cause, url)
        if item is not None:
            yield item

    def detail_failed(self, failure: Failure) -> Any:
        """A detail request that failed for good (after retries): the search item is the listing (partial)."""
        self.logger.error("%s: product detail failed (%s)", failure.request.url, failure.getErrorMessage())
        yield from self._partial(failure.request.cb_kwargs["partial"], failure_cause(failure), failure.request.url)
