"""``scrapy crawl shopsite``: any shop website — schema.org Product markup, or a YAML site description.

    scrapy crawl shopsite -a url=https://shop.vn/san-pham/abc          # one page (or an ItemList page)
    scrapy crawl shopsite -a start_urls_file=urls.txt                  # one URL a line, # comments
    scrapy crawl shopsite -a site=demo_shop [-a max_pages=3]           # spiders/sites/demo_shop.yaml

Pages given by URL are read for schema.org ``Product`` nodes (JSON-LD, microdata, RDFa via extruct);
a page whose ``ItemList`` only links to products has those links followed. A site described in
``spiders/sites/<name>.yaml`` is crawled from its start URLs: product links by its ``listing_links``
selector, pagination by ``next_page`` (up to ``max_pages``), and each product page read with its
field selectors — or with its Product markup, when it has some and the YAML gives no fields for it.
The site's host is ``PLATFORM_BASE_URLS[<site name>]`` when set (tests, mirrors), else its
``base_url``. The platform is the YAML's ``platform`` or the site's domain (``-a platform=`` names it).

A product page reached from a list (an ``ItemList`` entry with a name, a YAML listing link with text)
that fails after its retries or holds no readable product is yielded from its list entry: its name
as the title, marked ``partial`` (``fields_seen``: the title only), fetched again on the next crawl.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from spiders.base import MarketplaceSpider, SpiderArgumentError, failure_cause, parse_url
from spiders.formats.common import FieldErrors, MissingField
from spiders.formats.shopsite import (
    domain,
    extract_products,
    extract_with_selectors,
    item_list_entries,
    link_entries,
    links,
    listing_id_from,
)
from spiders.sites import SiteError, SiteSpec, load_site


def read_url_file(path: str) -> list[str]:
    """The URLs of ``-a start_urls_file=`` (one a line, ``#`` comments); bad lines raise with file:line."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise SpiderArgumentError(f"start_urls_file={path}: cannot read ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise SpiderArgumentError(f"start_urls_file={path}: not UTF-8 text ({exc.reason})") from None
    urls = []
    for number, line in enumerate(lines, 1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        try:
            urls.append(parse_url(text))
        except SpiderArgumentError as exc:
            raise SpiderArgumentError(f"{path}:{number}: {exc}") from None
    if not urls:
        raise SpiderArgumentError(f"start_urls_file={path}: no URLs in it")
    return urls


class ShopSiteSpider(MarketplaceSpider):
    """Listings from shop websites by their schema.org markup or their YAML selectors."""

    name = "shopsite"
    default_base_url = ""

    def __init__(
        self, *args: Any, site: str | None = None, start_urls_file: str | None = None,
        platform: str | None = None, **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.site: SiteSpec | None = None
        if site:
            try:
                self.site = load_site(str(site).strip())
            except SiteError as exc:
                raise SpiderArgumentError(f"site={site}: {exc}") from None
        self.page_urls = [self.url] if self.url else []
        if start_urls_file:
            self.page_urls += read_url_file(start_urls_file)
        if not self.site and not self.page_urls:
            raise SpiderArgumentError("shopsite needs -a url=…, -a start_urls_file=… or -a site=<name>")
        self.platform = str(platform).strip() if platform else None

    @property
    def base_url(self) -> str:
        """A shop site has no one host: pages carry their own URLs (a YAML site has its ``base_url``)."""
        return self.site.base_url if self.site else ""

    def platform_for(self, url: str) -> str:
        """The listings' platform: ``-a platform``, the YAML's ``platform``, else the site's domain."""
        if self.platform:
            return self.platform
        if self.site and self.site.platform:
            return self.site.platform
        return domain(url)

    async def start(self) -> AsyncIterator[Any]:
        """The given pages, then the site's start URLs (its host overridable in PLATFORM_BASE_URLS)."""
        for url in self.page_urls:
            yield scrapy.Request(url, callback=self.parse_page, cb_kwargs={"depth": 0})
        if self.site:
            override = self.settings.getdict("PLATFORM_BASE_URLS").get(self.site.name)
            for url in self.site.urls(override):
                yield scrapy.Request(url, callback=self.parse_site_listing, cb_kwargs={"page": 1})

    def list_entry(self, url: str, title: str | None, page: Response) -> dict[str, Any] | None:
        """What a list ``page`` says of one product (its link and name), for a partial listing; None
        without a name."""
        if not title:
            return None
        listing_id = listing_id_from({}, url)
        if self.site and self.site.id_pattern and (match := re.search(self.site.id_pattern, urlsplit(url).path)):
            listing_id = match.group(1) if match.groups() else match.group(0)
        return {"platform": self.platform_for(url), "listing_id": listing_id, "url": url, "title": title,
                "seller": {}, "fields_seen": ["title"], "capture": self.list_capture(page)}

    def entry_partial(self, entry: dict[str, Any] | None, cause: str, url: str) -> Any:
        """The list entry of a product page that could not be read, as a partial listing (if any)."""
        if entry is None:
            return
        item = self.partial_listing(entry, cause, url)
        if item is not None:
            yield item

    def product_failed(self, failure: Failure) -> Any:
        """A product page that failed for good (after retries): its list entry, partial."""
        self.logger.error("%s: product page failed (%s)", failure.request.url, failure.getErrorMessage())
        yield from self.entry_partial(failure.request.cb_kwargs.get("entry"), failure_cause(failure),
                                      failure.request.url)

    def _html(self, response: Response) -> str | None:
        if not isinstance(response, TextResponse):
            self.logger.error("%s: not an HTML page (%s)", response.url,
                              response.headers.get("Content-Type", b"?").decode("latin-1"))
            self._stat("not_html")
            return None
        return response.text

    def parse_page(self, response: Response, depth: int, entry: dict[str, Any] | None = None) -> Any:
        """A page given by URL: its Products, or the product links of its ItemList (one level)."""
        html = self._html(response)
        if html is None:
            yield from self.entry_partial(entry, "unreadable", response.url)
            return
        errors: FieldErrors = []
        products = extract_products(html, response.url, self.platform_for(response.url), errors)
        for product in products:
            item = self.emit(product, response.url, errors)
            if item is not None:
                yield item
        if products:
            return
        follow = item_list_entries(html, response.url) if depth == 0 else []
        if not follow:
            self.logger.warning("%s: no schema.org Product markup on this page", response.url)
            self._stat("no_product_markup")
            yield from self.entry_partial(entry, "unreadable", response.url)
        for url, name in follow:
            yield response.follow(url, callback=self.parse_page, errback=self.product_failed,
                                  cb_kwargs={"depth": depth + 1, "entry": self.list_entry(url, name, response)})

    def parse_site_listing(self, response: Response, page: int) -> Any:
        """A listing page of a YAML site: its product links, and the next page within ``max_pages``."""
        assert self.site is not None
        html = self._html(response)
        if html is None:
            return
        found = link_entries(html, response.url, self.site.listing_links)
        if not found:
            self.logger.warning("%s: listing_links (%s) matched no links", response.url, self.site.listing_links)
            self._stat("no_listing_links")
        for url, text in found:
            yield scrapy.Request(url, callback=self.parse_site_product, errback=self.product_failed,
                                 cb_kwargs={"entry": self.list_entry(url, text, response)})
        if self.site.next_page and self.more_pages(page):
            for url in links(html, response.url, self.site.next_page)[:1]:
                yield scrapy.Request(url, callback=self.parse_site_listing, cb_kwargs={"page": page + 1})

    def parse_site_product(self, response: Response, entry: dict[str, Any] | None = None) -> Any:
        """A product page of a YAML site → one listing (its selectors, or its markup without them)."""
        assert self.site is not None
        html = self._html(response)
        if html is None:
            yield from self.entry_partial(entry, "unreadable", response.url)
            return
        errors: FieldErrors = []
        platform = self.platform_for(response.url)
        try:
            listing = extract_with_selectors(html, response.url, self.site.fields, platform, errors,
                                             self.site.id_pattern)
        except MissingField as exc:
            products = extract_products(html, response.url, platform, errors)
            if not products:
                self.logger.error("%s: listing unreadable (%s; selector %s)", response.url, exc,
                                  self.site.fields.get("title"))
                if entry is None:
                    self._stat("dropped")
                yield from self.entry_partial(entry, "unreadable", response.url)
                return
            listing = products[0]
        item = self.emit(listing, response.url, errors)
        if item is not None:
            yield item
