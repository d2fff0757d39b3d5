"""``scrapy crawl shopee``: Shopee search (both formats) → item detail → one Listing per item.

    scrapy crawl shopee -a keywords='airpods pro 2' [-a keywords_file=F] [-a max_pages=3]
    scrapy crawl shopee -a category=11035567 | -a seller=203699428 | -a url=https://shopee.vn/product/S/I
    scrapy crawl shopee -a browser=1 …        (or -s SHOPEE_BROWSER=1): through Chromium

Plain HTTP (default): ``<base>/api/v4/search/search_items?…`` (``keyword=K``; within a category
``&match_id=CATID&scenario=PAGE_CATEGORY``; a shop is ``match_id=SHOPID&page_type=shop``) until
``nomore`` (or ``max_pages``), each page in the 2022–23 ``items[].item_basic`` or the 2025–26
``centralize_item_card`` format; then ``<base>/api/v4/item/get?itemid=&shopid=`` per item for
description, origin ("Xuất xứ"), brand, categories, official shop; and, once per shop whose name no
search card gave, ``<base>/api/v4/product/get_shop_info?shopid=``.

Browser (Shopee blocks plain HTTP clients): Chromium (``spiders.browser``) opens the pages a person
would — ``<base>/search?keyword=K[&facet=CATID]&page=P``, ``<base>/shop/SHOPID/search?page=P``,
``<base>/cat-cat.CATID?page=P`` (a category without keywords; P 0-based) — and the spider reads
the ``search_items`` JSON the page itself fetches; then each product page
``<base>/product-i.SHOPID.ITEMID``, whose ``item/get`` or ``pdp/get_pc`` (and ``get_shop_info``) JSON
gives the detail; a full-page screenshot of it is kept as evidence for flagged listings
(``-a screenshots=0`` turns them off).

``-a category``, ``-a seller``, ``-a url`` and ``-a source`` are the base spider's (``spiders.base``);
here a category is a numeric catid and a seller a numeric shopid. An item whose detail cannot be had
(the request failed after its retries, the API answered an error, the JSON is unreadable, the page
fetched none) is yielded from its search entry, marked ``partial`` (``fields_seen`` of the search entry:
no description or origin) and its detail fetched on the next crawl.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any, Self
from urllib.parse import urlencode

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response
from twisted.python.failure import Failure

from spiders.base import MarketplaceSpider, SpiderArgumentError, failure_cause
from spiders.browser import (
    CapturedJson,
    browser_meta,
    close_page,
    configure_browser,
    parse_flag,
    settle,
    take_screenshot,
)
from spiders.formats.common import FieldErrors, MissingField, merge
from spiders.formats.shopee import (
    extract_shopee_item_basic,
    extract_shopee_item_card,
    extract_shopee_item_get,
    extract_shopee_pdp,
    product_ids,
    search_entries,
)

SEARCH_JSON = ("/api/v4/search/search_items", "/api/v4/shop/search_items")
DETAIL_JSON = ("/api/v4/item/get", "/api/v4/pdp/get_pc")
SHOP_JSON = "/api/v4/product/get_shop_info"
JSON_WAIT = 20.0
"""Seconds a browser page gets to fetch its JSON."""


class ShopeeSpider(MarketplaceSpider):
    """Shopee listings through the v4 JSON API, read directly or from the pages a browser renders."""

    name = "shopee"
    default_base_url = "https://shopee.vn"
    page_size = 60

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        """Switch the crawl to Chromium when ``-a browser=1`` or ``SHOPEE_BROWSER`` says so."""
        wanted = kwargs.get("browser")
        browser = parse_flag(wanted, "browser") if wanted is not None else crawler.settings.getbool("SHOPEE_BROWSER")
        if browser:
            configure_browser(crawler.settings)
        kwargs["browser"] = browser
        return super().from_crawler(crawler, *args, **kwargs)

    def __init__(self, *args: Any, browser: Any = False, screenshots: Any = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.browser = browser if isinstance(browser, bool) else parse_flag(browser, "browser")
        self.screenshots = screenshots if isinstance(screenshots, bool) else parse_flag(screenshots, "screenshots")
        if self.category is not None and not self.category.isdigit():
            raise SpiderArgumentError(f"category must be a numeric Shopee catid, got {self.category!r}")

    @property
    def shop_names(self) -> dict[str, str | None]:
        """Shop names learned from search cards and get_shop_info, per shopid (None: none given).

        Kept in the spider's ``state``, which Scrapy saves in ``JOBDIR`` when a crawl stops and loads
        when it resumes: a resumed crawl does not look up again the shops its first part looked up."""
        state = self.__dict__.setdefault("state", {})  # Scrapy's SpiderState replaces it under JOBDIR
        return state.setdefault("shop_names", {})

    @property
    def shop_waiting(self) -> dict[str, list[dict[str, Any]]]:
        """Listings waiting for the one ``get_shop_info`` lookup in flight for their shop, per shopid
        (so a shop is asked once, however many of its listings come at the same time). In ``state``
        too: a crawl stopped before the lookup came back hands them to its resumed part."""
        state = self.__dict__.setdefault("state", {})
        return state.setdefault("shop_waiting", {})

    # --- what to crawl ------------------------------------------------------------------------
    def search_request(self, keyword: str, page: int) -> scrapy.Request:
        """One search page (1-based) of one keyword, within ``-a category`` when given."""
        return self.listing_request("keyword", self.search_keyword(keyword), page)

    def seller_requests(self, seller: str) -> list[scrapy.Request]:
        """``-a seller=<shopid>``: the first page of the shop's listings."""
        if not seller.isdigit():
            raise SpiderArgumentError(f"seller must be a numeric Shopee shopid, got {seller!r}")
        return [self.listing_request("shop", seller, 1)]

    def url_requests(self, url: str) -> list[scrapy.Request]:
        """``-a url=<product URL>``: that product's detail (``…/product/S/I`` or ``…-i.S.I``)."""
        try:
            shopid, itemid = product_ids(url)
        except ValueError:
            return self.bad_url(url, "…/product/SHOPID/ITEMID or …-i.SHOPID.ITEMID")
        return [self.detail_request({}, shopid, itemid)]

    def api_search_url(self, mode: str, value: str, page: int) -> str:
        """The ``search_items`` API URL for one page (1-based) of a keyword (+ category) or a shop."""
        params: dict[str, Any] = {"by": "relevancy"}
        if mode == "shop":
            params.update(match_id=value, page_type="shop", scenario="PAGE_SHOP_SEARCH")
        elif self.category:
            params.update(keyword=value, match_id=self.category, page_type="search", scenario="PAGE_CATEGORY")
        else:
            params.update(keyword=value, page_type="search", scenario="PAGE_GLOBAL_SEARCH")
        params.update(limit=self.page_size, newest=(page - 1) * self.page_size, order="desc", version=2)
        return f"{self.base_url}/api/v4/search/search_items?{urlencode(dict(sorted(params.items())))}"

    def page_search_url(self, mode: str, value: str, page: int) -> str:
        """The page a person would open for one search page (1-based; Shopee counts from 0)."""
        if mode == "shop":
            return f"{self.base_url}/shop/{value}/search?page={page - 1}"
        if self.category and not value:
            return f"{self.base_url}/cat-cat.{self.category}?page={page - 1}"
        params: dict[str, Any] = {"keyword": value}
        if self.category:
            params["facet"] = self.category
        params["page"] = page - 1
        return f"{self.base_url}/search?{urlencode(params)}"

    def listing_request(self, mode: str, value: str, page: int) -> scrapy.Request:
        """The request for one page (1-based) of a keyword search (``keyword``) or a shop (``shop``)."""
        cb_kwargs = {"mode": mode, "value": value, "page": page}
        if self.browser:
            return scrapy.Request(
                self.page_search_url(mode, value, page), callback=self.parse_search_page,
                errback=self.browser_failed, cb_kwargs=cb_kwargs, meta=browser_meta(SEARCH_JSON),
            )
        return scrapy.Request(self.api_search_url(mode, value, page), callback=self.parse_search, cb_kwargs=cb_kwargs)

    def detail_request(self, partial: dict[str, Any], shopid: str, itemid: str) -> scrapy.Request:
        """The detail request of one item: ``item/get`` (HTTP) or its product page (browser)."""
        if self.browser:
            return scrapy.Request(
                f"{self.base_url}/product-i.{shopid}.{itemid}", callback=self.parse_product_page,
                errback=self.browser_failed, cb_kwargs={"partial": partial, "itemid": itemid},
                meta=browser_meta((*DETAIL_JSON, SHOP_JSON)),
            )
        return scrapy.Request(
            f"{self.base_url}/api/v4/item/get?{urlencode({'itemid': itemid, 'shopid': shopid})}",
            callback=self.parse_item, errback=self.detail_failed, cb_kwargs={"partial": partial},
        )

    # --- search -------------------------------------------------------------------------------
    def search_partials(
        self, payload: dict[str, Any] | None, url: str, capture: dict[str, Any] | None = None
    ) -> list[dict[str, Any]] | None:
        """A search response (either format) → one partial listing per entry (``capture``: the search
        response, their evidence should their detail fail); None if unusable."""
        if payload is None:
            return None
        if payload.get("error"):
            self.logger.error("%s: search error %r (%s)", url, payload.get("error"), payload.get("error_msg"))
            self._stat("api_errors")
            return None
        try:
            kind, entries = search_entries(payload)
        except ValueError as exc:
            self.logger.error("%s: malformed JSON (%s)", url, exc)
            self._stat("malformed_responses")
            return None
        self._stat(f"search_format/{kind}")
        extract = extract_shopee_item_card if kind == "cards" else extract_shopee_item_basic
        partials = []
        for partial in self.extract_entries(url, entries, extract):
            if partial["seller"].get("name"):
                self.shop_names[partial["seller"]["platform_id"]] = partial["seller"]["name"]
            partial["capture"] = capture
            partials.append(partial)
        return partials

    def follow_search(
        self, payload: dict[str, Any], partials: list[dict[str, Any]], mode: str, value: str, page: int
    ) -> Iterator[scrapy.Request]:
        """A detail request per partial listing, and the next page while there is one."""
        for partial in partials:
            yield self.detail_request(partial, partial["seller"]["platform_id"], partial["listing_id"])
        if partials and not payload.get("nomore", True) and self.more_pages(page):
            yield self.listing_request(mode, value, page + 1)

    def parse_search(self, response: Response, mode: str, value: str, page: int) -> Any:
        """Search API page (either format) → an ``item/get`` request per item, and the next page."""
        payload = self.parse_json(response)
        partials = self.search_partials(payload, response.url, self.list_capture(response))
        if payload is not None and partials is not None:
            yield from self.follow_search(payload, partials, mode, value, page)

    async def parse_search_page(self, response: Response, mode: str, value: str, page: int) -> AsyncIterator[Any]:
        """A browser-rendered search page → the ``search_items`` JSON it fetched → details, next page."""
        page_obj = response.meta.get("playwright_page")
        try:
            captured = await response.meta["json_collector"].wait(*SEARCH_JSON, timeout=JSON_WAIT)
        finally:
            await close_page(page_obj)
        if not captured:
            self.logger.error("%s: the page fetched no search_items JSON within %.0f s", response.url, JSON_WAIT)
            self._stat("browser/no_json")
            return
        for capture in captured:
            payload = self.captured_payload(capture)
            partials = self.search_partials(payload, capture.url, {"url": capture.url, "status": capture.status,
                                                                   "body": capture.body, "screenshot": None})
            if payload is not None and partials is not None:
                for request in self.follow_search(payload, partials, mode, value, page):
                    yield request

    def captured_payload(self, capture: CapturedJson) -> dict[str, Any] | None:
        """A JSON object the page fetched, or None after logging why not."""
        if capture.error or not isinstance(capture.data, dict):
            self.logger.error("%s: malformed JSON (%s)", capture.url, capture.error or "not an object")
            self._stat("malformed_responses")
            return None
        if capture.replaced:
            self.logger.warning("%s: %d invalid UTF-8 byte sequence(s) replaced with U+FFFD", capture.url,
                                capture.replaced)
            self._stat("invalid_utf8")
        return capture.data

    # --- detail -------------------------------------------------------------------------------
    def parse_item(self, response: Response, partial: dict[str, Any]) -> Any:
        """``item/get`` → the listing (detail fields over the search entry's)."""
        payload = self.parse_json(response)
        merged, cause = self.merge_detail(payload, response.url, partial, pdp=False)
        if merged is None:
            yield from self.without_detail(partial, cause, response.url)
            return
        shopid = merged["seller"]["platform_id"]
        name = merged["seller"].get("name") or self.shop_names.get(shopid)
        if name is None and shopid not in self.shop_names:
            # the listing's evidence stays this item/get response, never the seller's shop info
            merged["capture"] = self.response_capture(response)
            if shopid in self.shop_waiting:  # its shop is being looked up: the answer names it
                self.shop_waiting[shopid].append(merged)
                return
            self.shop_waiting[shopid] = []
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
        item = self.emit(merged, response.url, [])
        if item is not None:
            yield item

    def merge_detail(
        self, payload: dict[str, Any] | None, url: str, partial: dict[str, Any], *, pdp: bool
    ) -> tuple[dict[str, Any] | None, str]:
        """An ``item/get`` / ``pdp/get_pc`` response laid over the search entry, and ``""``; or None (logged)
        and why not (``api_error``, ``unreadable``)."""
        data = payload.get("data") if payload else None
        if payload is not None and (payload.get("error") or not isinstance(data, dict)):
            self.logger.error("%s: %s error %r (%s)", url, "pdp/get_pc" if pdp else "item/get",
                              payload.get("error"), payload.get("error_msg"))
            self._stat("api_errors")
        if not isinstance(data, dict):
            return None, "unreadable" if payload is None else "api_error"
        errors: FieldErrors = []
        try:
            detail = (extract_shopee_pdp if pdp else extract_shopee_item_get)(data, self.base_url, errors)
        except MissingField as exc:
            self.logger.error("%s: item detail unreadable (%s)", url, exc)
            return None, "unreadable"
        self.report(url, errors)
        return merge(partial, detail), ""

    def without_detail(self, partial: dict[str, Any], cause: str, url: str) -> Any:
        """The search entry as the listing (partial; the shop's name if a card gave it), detail next crawl."""
        seller = dict(partial.get("seller") or {})
        if partial and not seller.get("name"):
            seller["name"] = self.shop_names.get(seller.get("platform_id") or "")
            partial = {**partial, "seller": seller}
        item = self.partial_listing(partial, cause, url)
        if item is not None:
            yield item

    async def parse_product_page(self, response: Response, partial: dict[str, Any], itemid: str) -> AsyncIterator[Any]:
        """A browser-rendered product page → its detail JSON → the listing, with a screenshot."""
        page = response.meta.get("playwright_page")
        collector = response.meta["json_collector"]
        try:
            captured = await collector.wait(*DETAIL_JSON, timeout=JSON_WAIT)
            shops = await collector.wait(SHOP_JSON, timeout=2.0) if captured else []
            if captured and self.screenshots:
                await settle(page)
                await take_screenshot(page, response)
        finally:
            await close_page(page)
        if not captured:
            self.logger.error("%s: the page fetched no item detail JSON within %.0f s", response.url, JSON_WAIT)
            self._stat("browser/no_json")
            for item in self.without_detail(partial, "no_json", response.url):
                yield item
            return
        mine = [c for c in captured if f"={itemid}" in c.url] or captured
        capture = mine[0]
        merged, cause = self.merge_detail(self.captured_payload(capture), capture.url, partial,
                                          pdp="/pdp/get_pc" in capture.url)
        if merged is None:
            for item in self.without_detail(partial, cause, capture.url):
                yield item
            return
        shopid = merged["seller"]["platform_id"]
        if not merged["seller"].get("name"):
            merged["seller"]["name"] = self.shop_names.get(shopid) or self.shop_name(shops, response.url)
        item = self.emit(merged, response.url, [])
        if item is not None:
            yield item

    def shop_name(self, shops: list[CapturedJson], url: str) -> str | None:
        """The shop's name from the ``get_shop_info`` JSON the product page fetched, if any."""
        for capture in shops:
            data = (capture.data or {}).get("data") if isinstance(capture.data, dict) else None
            name = data.get("name") if isinstance(data, dict) else None
            if isinstance(name, str) and name.strip():
                return name.strip()
        self.logger.warning("%s field=seller.name: the page fetched no shop name", url)
        self._stat("field_errors")
        return None

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
        for waiting in [item, *self.shop_waiting.pop(shopid, [])]:
            waiting["seller"]["name"] = self.shop_names[shopid]
            listing = self.emit(waiting, waiting["url"], [])
            if listing is not None:
                yield self.own_capture(listing, waiting)

    def own_capture(self, listing: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
        """``listing`` with the capture of its own ``item/get`` response (set in :meth:`parse_item`)."""
        if item.get("capture") and self.captures:
            listing["capture"] = item["capture"]
        return listing

    def shop_failed(self, failure: Failure) -> Any:
        """The shop lookup failed for good: the listing goes on without the shop's name."""
        self.logger.warning("%s field=seller.name: shop lookup failed (%s)", failure.request.url,
                            failure.getErrorMessage())
        self._stat("field_errors")
        item = failure.request.cb_kwargs["item"]
        for waiting in [item, *self.shop_waiting.pop(item["seller"]["platform_id"], [])]:
            listing = self.emit(waiting, failure.request.url, [])
            if listing is not None:
                yield self.own_capture(listing, waiting)

    def detail_failed(self, failure: Failure) -> Any:
        """An ``item/get`` that failed for good (after retries): the search entry is the listing (partial)."""
        self.logger.error("%s: item detail failed (%s)", failure.request.url, failure.getErrorMessage())
        yield from self.without_detail(failure.request.cb_kwargs["partial"], failure_cause(failure),
                                       failure.request.url)

    async def browser_failed(self, failure: Failure) -> AsyncIterator[Any]:
        """A browser page that failed to load: logged, counted, its page closed; a product page's
        search entry is the listing (partial)."""
        await close_page(failure.request.meta.get("playwright_page"))
        self.logger.error("%s: browser page failed (%s)", failure.request.url, failure.getErrorMessage())
        self._stat("browser/failed")
        if "partial" in failure.request.cb_kwargs:
            for item in self.without_detail(failure.request.cb_kwargs["partial"], failure_cause(failure),
                                            failure.request.url):
                yield item
