"""``scrapy crawl chotot``: Chợ Tốt's gateway ad-listing API → ad detail → one Listing per ad.

    scrapy crawl chotot -a keywords='iphone 15' [-a keywords_file=F] [-a max_pages=3]
    scrapy crawl chotot -a category=2020 [-a keywords=…]      # cg: 2020 motorbikes, 5010 phones, …
    scrapy crawl chotot -a seller=<account id>
    scrapy crawl chotot -a url='https://www.chotot.com/131061275.htm'

Requests: ``<chotot_api>/v1/public/ad-listing?cg=C&q=K&limit=50&o=OFFSET&st=s,k&key_param_included=true``
(``account_id=S`` for ``-a seller``, our reading of the shop filter, unchecked against the live API)
until ``o + limit ≥ total``, a page comes back empty, or ``max_pages``; then
``<chotot_api>/v2/public/ad-listing/<list_id>`` per ad for the full ``parameters`` (origin "Xuất xứ",
brand "Hãng"). The free-text ``body`` is the description. When the detail fails the ad is still
yielded from the listing page, marked ``partial`` with the fields the listing page carried
(``fields_seen``: its key ``params`` hold no origin, so no origin is taken as missing), and the failure
is counted (``spider/chotot/detail_failed``). Ad links are ``<chotot>/<list_id>.htm``.
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
from spiders.formats.chotot import extract_chotot_ad, extract_chotot_detail, listing_ads
from spiders.formats.common import FieldErrors, MissingField, merge

LIST_ID = re.compile(r"/(\d+)\.htm$|/(\d+)$")


class ChototSpider(MarketplaceSpider):
    """Chợ Tốt ads through the public gateway API."""

    name = "chotot"
    default_base_url = "https://www.chotot.com"
    page_size = 50

    @property
    def api_url(self) -> str:
        """The gateway API host (``PLATFORM_BASE_URLS["chotot_api"]``)."""
        return self.platform_url("chotot_api", "https://gateway.chotot.com")

    def _listing(self, params: dict[str, Any], page: int) -> scrapy.Request:
        query = urlencode({**params, "limit": self.page_size, "o": (page - 1) * self.page_size,
                           "st": "s,k", "key_param_included": "true"})
        return scrapy.Request(f"{self.api_url}/v1/public/ad-listing?{query}", callback=self.parse_listing,
                              cb_kwargs={"params": params, "page": page})

    def search_request(self, keyword: str, page: int) -> scrapy.Request:
        """One listing page of one keyword (and ``-a category`` as ``cg``)."""
        params: dict[str, Any] = {}
        if self.category:
            params["cg"] = self.category
        query = self.search_keyword(keyword)
        if query and query != "*":
            params["q"] = query
        return self._listing(params, page)

    def seller_requests(self, seller: str) -> Iterable[scrapy.Request]:
        """``-a seller=<account id>``: that account's ads."""
        return [self._listing({"account_id": seller}, 1)]

    def url_requests(self, url: str) -> Iterable[scrapy.Request]:
        """``-a url=<ad page>``: its detail API request."""
        match = LIST_ID.search(urlsplit(url).path)
        if not match:
            return self.bad_url(url, "https://www.chotot.com/<list_id>.htm")
        return [self.detail_request(match[1] or match[2], {"url": url})]

    def detail_request(self, list_id: str, partial: dict[str, Any]) -> scrapy.Request:
        """The ad-detail API request; ``partial`` is what the listing page gave."""
        return scrapy.Request(f"{self.api_url}/v2/public/ad-listing/{list_id}", callback=self.parse_detail,
                              errback=self.detail_failed, cb_kwargs={"partial": partial})

    def parse_listing(self, response: Response, params: dict[str, Any], page: int) -> Any:
        """Listing page → a detail request per ad, and the next page until ``total``."""
        page_data = self.page_entries(response, listing_ads)
        if page_data is None:
            return
        payload, ads = page_data
        capture = self.list_capture(response)
        for partial in self.extract_entries(response.url, ads, extract_chotot_ad, "ad"):
            partial["capture"] = capture
            yield self.detail_request(partial["listing_id"], partial)
        try:
            total = int(payload.get("total") or 0)
        except (TypeError, ValueError):
            total = 0
        if ads and page * self.page_size < total and self.more_pages(page):
            yield self._listing(params, page + 1)

    def parse_detail(self, response: Response, partial: dict[str, Any]) -> Any:
        """Ad detail → the listing (detail fields and parameters over the listing page's)."""
        payload = self.parse_json(response)
        errors: FieldErrors = []
        try:
            if payload is None:
                raise MissingField("unreadable detail")
            detail = extract_chotot_detail(payload, self.base_url, errors)
        except MissingField as exc:
            self.logger.error("%s: ad detail unreadable (%s)", response.url, exc)
            yield from self._without_detail(partial, "unreadable", response.url)
            return
        if self.url and partial.get("url") == self.url:
            detail["url"] = self.url
        item = self.emit(merge(partial, detail), response.url, errors)
        if item is not None:
            yield item

    def _without_detail(self, partial: dict[str, Any], cause: str, url: str) -> Any:
        item = self.partial_listing(partial, cause, url)  # the listing page's ad is still a listing, a partial one
        if item is not None:
            yield item

    def detail_failed(self, failure: Failure) -> Any:
        """A detail request that failed for good: the listing page's ad goes on without its parameters."""
        self.logger.error("%s: ad detail failed (%s)", failure.request.url, failure.getErrorMessage())
        yield from self._without_detail(failure.request.cb_kwargs["partial"], failure_cause(failure),
                                        failure.request.url)
