"""``scrapy crawl lazada``: Lazada's ``?ajax=true`` listing JSON → one Listing per list item.

    scrapy crawl lazada -a keywords='giày' [-a keywords_file=F] [-a max_pages=3]
    scrapy crawl lazada -a category=dien-thoai-di-dong [-a keywords=…]
    scrapy crawl lazada -a seller=zinus-official-store
    scrapy crawl lazada -a url='https://www.lazada.vn/products/…-i123-s456.html' [-a source=tip-off]

Requests: ``<lazada>/catalog/?ajax=true&q=K&page=N`` (search), ``<lazada>/<category-slug>/?ajax=true&q=K&page=N``
(category) and ``<lazada>/<store-slug>/?ajax=true&from=wangpu&page=N`` (store); each answers
``mods.listItems`` and ``mainInfo`` (page, pageSize, totalResults), and pages are followed until
``page × pageSize ≥ totalResults``, a page comes back empty, or ``max_pages``. When the ajax URL answers
the HTML listing page instead of JSON (Lazada does, to some clients), the same JSON is read from its
``window.pageData`` script (``spider/lazada/html_pages``). The list items already
carry brand, seller and the seller's province; Lazada gives no origin outside its JavaScript-rendered
product page, so there is no detail request: each listing is its list entry, marked ``partial`` (its
``fields_seen`` hold no description, category or origin). One-URL mode reads the product page's schema.org
``Product`` JSON-LD (name, price, brand, images).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode, urlsplit

import scrapy
from scrapy.http import Response

from spiders.base import MarketplaceSpider
from spiders.formats.common import FieldErrors, MissingField
from spiders.formats.lazada import (
    ITEM_ID,
    extract_lazada_list_item,
    extract_lazada_product_page,
    has_more,
    list_items,
    page_data,
)


def is_html(response: Response) -> bool:
    """Whether a response is an HTML page (by its Content-Type, or a body that starts with ``<``)."""
    kind = response.headers.get("Content-Type", b"").decode("latin-1").lower()
    return "html" in kind or response.body.lstrip()[:1] == b"<"


class LazadaSpider(MarketplaceSpider):
    """Lazada listings through the ``?ajax=true`` JSON its listing pages load."""

    name = "lazada"
    default_base_url = "https://www.lazada.vn"

    def _page_request(self, path: str, params: dict[str, Any], page: int, **context: Any) -> scrapy.Request:
        query = urlencode({"ajax": "true", **params, "page": page})
        return scrapy.Request(
            f"{self.base_url}/{path}/?{query}",
            callback=self.parse_list,
            cb_kwargs={"page": page, "context": {"path": path, "params": params, **context}},
        )

    def search_request(self, keyword: str, page: int) -> scrapy.Request:
        """One catalog (or ``-a category``) page of one keyword."""
        path = self.category or "catalog"
        return self._page_request(path, {"q": self.search_keyword(keyword)}, page)

    def seller_requests(self, seller: str) -> Iterable[scrapy.Request]:
        """``-a seller=<store slug>``: the store's first ajax page."""
        return [self._page_request(seller, {"from": "wangpu"}, 1)]

    def url_requests(self, url: str) -> Iterable[scrapy.Request]:
        """``-a url=<product page>``: the page itself (its JSON-LD)."""
        if not ITEM_ID.search(urlsplit(url).path):
            return self.bad_url(url, "https://www.lazada.vn/products/<slug>-i<id>[-s<sku>].html")
        return [scrapy.Request(url, callback=self.parse_product_page)]

    def parse_list(self, response: Response, page: int, context: dict[str, Any]) -> Any:
        """A listing page → its listings, and the next page while ``mainInfo`` says there are more."""
        found = self.html_entries(response) if is_html(response) else self.page_entries(response, list_items)
        if found is None:
            return
        payload, entries = found
        for fields in self.extract_entries(response.url, entries, extract_lazada_list_item, "list item"):
            item = self.emit({**fields, "partial": True}, response.url, [])
            if item is not None:
                yield item
        if entries and has_more(payload, page, len(entries)) and self.more_pages(page):
            yield self._page_request(context["path"], context["params"], page + 1)

    def html_entries(self, response: Response) -> tuple[dict[str, Any], list[Any]] | None:
        """The ajax JSON from an HTML listing page's ``window.pageData``; None after logging why not."""
        try:
            payload = page_data(response.text)
            entries = list_items(payload)
        except (ValueError, AttributeError) as exc:
            self.logger.error("%s: malformed page (%s)", response.url, exc)
            self._stat("malformed_responses")
            return None
        self._stat("html_pages")
        return payload, entries

    def parse_product_page(self, response: Response) -> Any:
        """One-URL mode: the product page's JSON-LD → the listing."""
        errors: FieldErrors = []
        try:
            fields = extract_lazada_product_page(response.text, self.url or response.url, errors)
        except (MissingField, AttributeError) as exc:
            self.logger.error("%s: product page unreadable (%s)", response.url, exc)
            self._stat("dropped")
            return
        item = self.emit(fields, response.url, errors)
        if item is not None:
            yield item
