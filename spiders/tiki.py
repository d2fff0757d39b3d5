"""``scrapy crawl tiki``: Tiki search / seller-store API → product detail API → one Listing per product.

    scrapy crawl tiki -a keywords='kem chống nắng,nồi chiên' [-a keywords_file=F] [-a max_pages=3]
    scrapy crawl tiki -a category=1883 [-a keywords=…]        # the search API's category filter
    scrapy crawl tiki -a seller=vua-nem-official-store        # one seller's store
    scrapy crawl tiki -a url='https://tiki.vn/…-p123.html?spid=456' [-a source=tip-off]

A listing is one seller's offer: its id is ``<product id>-<spid>`` (``spiders.formats.tiki.tiki_listing_id``).

Requests: ``<tiki>/api/v2/products?limit=40&q=K[&category=C]&page=N`` until ``paging.last_page`` (or
``max_pages``); for a seller ``<tiki_api>/v2/seller/stores/<slug>/products?limit=50&page=N`` until a page
comes back empty or ``paging.last_page``; then ``<tiki>/api/v2/products/<id>?spid=<seller product>`` for
each item: the detail gives description, origin (``specifications`` code ``origin``), brand, seller and
breadcrumbs. When the detail API fails (HTTP error after retries, or unreadable JSON) the product's
HTML page is fetched and its ``__NEXT_DATA__`` product object read instead (``spider/tiki/detail_fallback``);
when that fails too the product is yielded from its search item, marked ``partial`` (its ``fields_seen``
say the search item carried no origin, so no origin is not taken as "none stated") and its detail is
fetched on the next crawl (``spiders.base.MarketplaceSpider.partial_listing``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from spiders.base import MarketplaceSpider, failure_cause
from spiders.formats.common import FieldErrors, MissingField, merge
from spiders.formats.tiki import (
    extract_tiki_detail,
    extract_tiki_search_item,
    next_data,
    next_data_product,
    search_items,
    tiki_listing_id,
)

PRODUCT_ID = re.compile(r"-p(\d+)\.html$|/p/(\d+)$|^/?p(\d+)\.html$")


class TikiSpider(MarketplaceSpider):
    """Tiki listings through the JSON API the site itself uses."""

    name = "tiki"
    default_base_url = "https://tiki.vn"
    page_size = 40
    store_page_size = 50

    @property
    def api_url(self) -> str:
        """The seller-store API host (``PLATFORM_BASE_URLS["tiki_api"]``)."""
        return self.platform_url("tiki_api", "https://api.tiki.vn")

    def search_request(self, keyword: str, page: int) -> scrapy.Request:
        """The search request for one page (1-based) of one keyword (and ``-a category``)."""
        params: dict[str, Any] = {"limit": self.page_size, "q": self.search_keyword(keyword)}
        if self.category:
            params["category"] = self.category
        params["page"] = page
        return scrapy.Request(
            f"{self.base_url}/api/v2/products?{urlencode(params)}",
            callback=self.parse_search,
            cb_kwargs={"keyword": keyword, "page": page},
        )

    def store_request(self, seller: str, page: int) -> scrapy.Request:
        """One page of a seller's store listing."""
        query = urlencode({"limit": self.store_page_size, "page": page})
        return scrapy.Request(
            f"{self.api_url}/v2/seller/stores/{seller}/products?{query}",
            callback=self.parse_search,
            cb_kwargs={"keyword": None, "page": page, "seller": seller},
        )

    def seller_requests(self, seller: str) -> Iterable[scrapy.Request]:
        """``-a seller=<store slug>``: the store's first page."""
        return [self.store_request(seller, 1)]

    def url_requests(self, url: str) -> Iterable[scrapy.Request]:
        """``-a url=<product page>``: its detail API request (the page itself is the fallback)."""
        parts = urlsplit(url)
        match = PRODUCT_ID.search(parts.path)
        if not match:
            return self.bad_url(url, "https://tiki.vn/<slug>-p<id>.html")
        product_id = next(group for group in match.groups() if group)
        spid = parse_qs(parts.query).get("spid", [None])[0]
        return [self.detail_request(product_id, spid, {"url": url, "spid": spid})]

    def detail_request(self, product_id: str, spid: Any, partial: dict[str, Any]) -> scrapy.Request:
        """The product-detail API request; ``partial`` holds what the listing page already gave."""
        query = f"?{urlencode({'spid': spid})}" if spid else ""
        return scrapy.Request(
            f"{self.base_url}/api/v2/products/{product_id}{query}",
            callback=self.parse_detail,
            errback=self.detail_failed,
            cb_kwargs={"partial": partial},
        )

    def parse_search(self, response: Response, keyword: str | None, page: int, seller: str | None = None) -> Any:
        """Search or store page → a detail request per product, and the next page."""
        page_data = self.page_entries(response, search_items)
        if page_data is None:
            return
        payload, items = page_data
        capture = self.list_capture(response)
        for partial in self.extract_entries(response.url, items, extract_tiki_search_item):
            partial["capture"] = capture
            product_id = partial["listing_id"].split("-", 1)[0]
            yield self.detail_request(product_id, partial.get("spid"), partial)
        paging = payload.get("paging") or {}
        try:
            last_page = int(paging.get("last_page") or (page + 1 if seller else page))
        except (TypeError, ValueError):
            last_page = page
        if items and page < last_page and self.more_pages(page):
            yield self.store_request(seller, page + 1) if seller else self.search_request(str(keyword), page + 1)

    def parse_detail(self, response: Response, partial: dict[str, Any]) -> Any:
        """Product detail → the listing (detail fields over the search item's)."""
        payload = self.parse_json(response)
        if payload is None:
            yield from self.fallback(response.url, partial, "unreadable")
            return
        yield from self._detail_item(payload, response.url, partial)

    def _detail_item(self, payload: dict[str, Any], url: str, partial: dict[str, Any]) -> Any:
        errors: FieldErrors = []
        try:
            detail = extract_tiki_detail(payload, self.base_url, errors)
        except MissingField as exc:
            self.logger.error("%s: product detail unreadable (%s)", url, exc)
            item = self.partial_listing(partial, "unreadable", url)
            if item is not None:
                yield item
            return
        if not detail.get("spid") and partial.get("spid"):  # the offer asked for, when the detail names none
            detail["listing_id"] = tiki_listing_id(detail["listing_id"], partial["spid"])
        if self.url and partial.get("url") == self.url:
            detail["url"] = self.url  # a tip-off keeps the URL it was given
        item = self.emit(merge(partial, detail), url, errors)
        if item is not None:
            yield item

    def fallback(self, detail_url: str, partial: dict[str, Any], cause: str) -> Iterable[Any]:
        """The detail API failed (``cause``): read the product's HTML page (``__NEXT_DATA__``) if its URL
        is known; without one, the search item is the listing (partial)."""
        page = partial.get("url")
        if not page:
            item = self.partial_listing(partial, cause, detail_url)
            return [item] if item is not None else []
        self.logger.warning("%s: product detail API failed; reading its page %s", detail_url, page)
        return [scrapy.Request(page, callback=self.parse_page, errback=self.page_failed,
                               cb_kwargs={"partial": partial, "cause": cause}, dont_filter=True)]

    def parse_page(self, response: Response, partial: dict[str, Any], cause: str = "unreadable") -> Any:
        """The product's HTML page → the product object in ``__NEXT_DATA__`` → the listing (else the
        search item, partial)."""
        try:
            product = next_data_product(next_data(response.text))
        except (ValueError, AttributeError) as exc:
            self.logger.error("%s: product page unreadable (%s)", response.url, exc)
            item = self.partial_listing(partial, cause, response.url)
            if item is not None:
                yield item
            return
        self._stat("detail_fallback")
        yield from self._detail_item(product, response.url, partial)

    def detail_failed(self, failure: Failure) -> Any:
        """A detail request that failed for good (after retries): try the product page."""
        self.logger.error("%s: product detail failed (%s)", failure.request.url, failure.getErrorMessage())
        yield from self.fallback(failure.request.url, failure.request.cb_kwargs["partial"], failure_cause(failure))

    def page_failed(self, failure: Failure) -> Any:
        """The product page failed too: the search item is the listing (partial), detail next crawl."""
        self.logger.error("%s: product page failed (%s)", failure.request.url, failure.getErrorMessage())
        item = self.partial_listing(failure.request.cb_kwargs["partial"], failure.request.cb_kwargs["cause"],
                                    failure.request.url)
        if item is not None:
            yield item
