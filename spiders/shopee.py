"""``scrapy crawl shopee``: Shopee search API (both formats) → ``item/get`` → one Listing per item.

    scrapy crawl shopee -a keywords='airpods pro 2' [-a keywords_file=F] [-a max_pages=3]

Requests: ``<base>/api/v4/search/search_items?by=relevancy&keyword=K&limit=60&newest=N&order=desc&
page_type=search&scenario=PAGE_GLOBAL_SEARCH&version=2`` until ``nomore`` (or ``max_pages``); each page
may be the 2022–23 ``items[].item_basic`` format or the 2025–26 ``centralize_item_card`` format.
Then ``<base>/api/v4/item/get?itemid=&shopid=`` per item for description, origin (attribute
"Xuất xứ"), brand, categories and whether the shop is official; and, once per shop whose name no
search card gave, ``<base>/api/v4/product/get_shop_info?shopid=`` for the shop's name.
Plain HTTP only; pages that need a browser come later (Playwright). An item whose detail cannot
be read is logged and left for the next crawl.
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
from spiders.formats.shopee import (
    extract_shopee_item_basic,
    extract_shopee_item_card,
    extract_shopee_item_get,
    search_entries,
)


class ShopeeSpider(MarketplaceSpider):
    """Shopee listings through the v4 JSON API."""

    name = "shopee"
    default_base_url = "https://shopee.vn"
    page_size = 60

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.shop_names: dict[str, str | None] = {}
        """Shop names learned from search cards and get_shop_info, per shopid (None: none given)."""

    def search_request(self, keyword: str, page: int) -> scrapy.Request:
        """The search request for one page (1-based) of one keyword."""
        query = urlencode({
            "by": "relevancy", "keyword": keyword, "limit": self.page_size,
            "newest": (page - 1) * self.page_size, "order": "desc", "page_type": "search",
            "scenario": "PAGE_GLOBAL_SEARCH", "version": 2,
        })
        return scrapy.Request(
            f"{self.base_url}/api/v4/search/search_items?{query}",
            callback=self.parse_search,
            cb_kwargs={"keyword": keyword, "page": page},
        )

    async def start(self) -> AsyncIterator[Any]:
        """One search request per keyword."""
        for keyword in self.keywords:
            yield self.search_request(keyword, 1)

    def parse_search(self, response: Response, keyword: str, page: int) -> Any:
        """Search page (either format) → an ``item/get`` request per item, and the next page."""
        payload = self.parse_json(response)
        if payload is None:
            return
        if payload.get("error"):
            self.logger.error("%s: search error %r (%s)", response.url, payload.get("error"), payload.get("error_msg"))
            self._stat("api_errors")
            return
        try:
            kind, entries = search_entries(payload)
        except ValueError as exc:
            self.logger.error("%s: malformed JSON (%s)", response.url, exc)
            self._stat("malformed_responses")
            return
        self._stat(f"search_format/{kind}")
        extract = extract_shopee_item_card if kind == "cards" else extract_shopee_item_basic
        errors: FieldErrors = []
        for entry in entries:
            try:
                partial = extract(entry, self.base_url, errors)
            except MissingField as exc:
                self.logger.error("%s: search item skipped (%s)", response.url, exc)
                self._stat("dropped")
                continue
            self.report(response.url, errors)
            if partial["seller"].get("name"):
                self.shop_names[partial["seller"]["platform_id"]] = partial["seller"]["name"]
            query = urlencode({"itemid": partial["listing_id"], "shopid": partial["seller"]["platform_id"]})
            yield scrapy.Request(
                f"{self.base_url}/api/v4/item/get?{query}",
                callback=self.parse_item,
                errback=self.detail_failed,
                cb_kwargs={"partial": partial},
            )
        if entries and not payload.get("nomore", True) and self.more_pages(page):
            yield self.search_request(keyword, page + 1)

    def parse_item(self, response: Response, partial: dict[str, Any]) -> Any:
        """``item/get`` → the listing (detail fields over the search entry's)."""
        payload = self.parse_json(response)
        data = payload.get("data") if payload else None
        if payload is not None and (payload.get("error") or not isinstance(data, dict)):
            self.logger.error("%s: item/get error %r (%s)", response.url, payload.get("error"),
                              payload.get("error_msg"))
            self._stat("api_errors")
        if not isinstance(data, dict):
            self._stat("detail_failed")
            return
        errors: FieldErrors = []
        try:
            detail = extract_shopee_item_get(data, self.base_url, errors)
        except MissingField as exc:
            self.logger.error("%s: item skipped (%s)", response.url, exc)
            self._stat("dropped")
            return
        merged = merge(partial, detail)
        self.report(response.url, errors)
        shopid = merged["seller"]["platform_id"]
        name = merged["seller"].get("name") or self.shop_names.get(shopid)
        if name is None and shopid not in self.shop_names:
            # the shop's name is only in the 2025–26 search cards; item/get does not repeat it
            yield scrapy.Request(
                f"{self.base_url}/api/v4/product/get_shop_info?{urlencode({'shopid': shopid})}",
                callback=self.parse_shop,
                errback=self.shop_failed,
                cb_kwargs={"item": merged},
                dont_filter=True,
            )
            return
        merged["seller"]["name"] = name
        item = self.emit(merged, response.url, errors)
        if item is not None:
            yield item

    def parse_shop(self, response: Response, item: dict[str, Any]) -> Any:
        """``get_shop_info`` → the shop's name (remembered per shop), then the listing."""
        payload = self.parse_json(response)
        data = (payload or {}).get("data")
        name = data.get("name") if isinstance(data, dict) else None
        shopid = item["seller"]["platform_id"]
        self.shop_names[shopid] = name.strip() if isinstance(name, str) and name.strip() else None
        if self.shop_names[shopid] is None:
            self.logger.warning("%s field=seller.name: no shop name in get_shop_info", response.url)
            self._stat("field_errors")
        item["seller"]["name"] = self.shop_names[shopid]
        listing = self.emit(item, item["url"], [])
        if listing is not None:
            yield listing

    def shop_failed(self, failure: Failure) -> Any:
        """The shop lookup failed for good: the listing goes on without the shop's name."""
        self.logger.warning("%s field=seller.name: shop lookup failed (%s)", failure.request.url,
                            failure.getErrorMessage())
        self._stat("field_errors")
        listing = self.emit(failure.request.cb_kwargs["item"], failure.request.url, [])
        if listing is not None:
            yield listing

    def detail_failed(self, failure: Failure) -> None:
        """An ``item/get`` that failed for good (after retries): logged, counted, left for next crawl."""
        self.logger.error("%s: item detail failed (%s)", failure.request.url, failure.getErrorMessage())
        self._stat("detail_failed")
