"""Extract Listing fields from Lazada's ``?ajax=true`` listing JSON (pure functions, no Scrapy).

Lazada's catalog (``/catalog/?ajax=true&q=K&page=N``), category (``/<category-slug>/?ajax=true``) and
store pages (``/<store-slug>/?ajax=true&from=wangpu&page=N``) all answer with the same JSON:
``{"mods": {"listItems": [...]}, "mainInfo": {"page", "pageSize", "totalResults", ...}}``. Every value
in a list item is a string, as Lazada sends it (``"price": "310000"``, ``"ratingScore": "4.72"``,
``"review": "11"``, ``"isAD": 0``); real sample: ``eval/raw/lazada/[lazada]__[zinus-official-store]__…json``
(a field subset with the original key names), and ``eval/raw/lazada/lazada.csv`` (name, price such
as "₫167,000", location, sellerName, itemUrl of catalog items).

- :func:`list_items` — the ``mods.listItems`` of a page (raises ValueError when the page has none);
- :func:`page_data` — the same JSON from the HTML page the ajax URL answers when Lazada ignores
  ``ajax=true`` (its ``window.pageData = {…}`` script, read with chompjs);
- :func:`has_more` — whether ``mainInfo`` says there is a page after this one;
- :func:`extract_lazada_list_item` — one list item → Listing fields (brand, seller and province are
  in the list item; Lazada gives no origin there, and its product page is JavaScript-rendered, so
  there is no detail follow-up). "No Brand", "Not Specified", "OEM" are Lazada's ways of saying no
  brand; a ``location`` that is a country or "Overseas" (cross-border sellers ship from abroad) is not a
  Vietnamese province, so the seller's province stays empty (the data model has no ships-from field,
  and where goods ship from is not their stated origin);
- :func:`extract_lazada_product_page` — a product page's schema.org ``Product`` JSON-LD (one-URL mode).
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urljoin, urlsplit

import chompjs
from parsel import Selector

from crawler.prices import parse_vnd
from crawler.text import fold
from spiders.formats.common import (
    FieldErrors,
    MissingField,
    carried_in,
    count,
    field,
    placeholder,
    rating,
    required_text,
    text_or_none,
)

PLATFORM = "lazada"
ITEM_ID = re.compile(r"-i(\d+)(?:-s(\d+))?(?:\.html|$)")


def list_items(payload: dict[str, Any]) -> list[Any]:
    """The page's ``mods.listItems`` (may be empty on the last page); ValueError when absent."""
    mods = payload.get("mods")
    if not isinstance(mods, dict):
        raise ValueError("no mods object")
    items = mods.get("listItems", [])
    if not isinstance(items, list):
        raise ValueError("mods.listItems is not a list")
    return items


_PAGE_DATA = re.compile(r"window\.pageData\s*=\s*")


def page_data(html: str) -> dict[str, Any]:
    """The ``window.pageData`` object of a Lazada listing page (it holds the ajax JSON: ``mods.listItems``,
    ``mainInfo``). Raises ValueError when the page has none (a captcha or block page) or it is unreadable."""
    match = _PAGE_DATA.search(html)
    if not match:
        raise ValueError("an HTML page without window.pageData (a captcha or block page?)")
    try:
        data = chompjs.parse_js_object(html[match.end():])
    except (ValueError, RecursionError) as exc:
        raise ValueError(f"window.pageData is unreadable ({exc})") from None
    if not isinstance(data, dict):
        raise ValueError("window.pageData is not an object")
    return data


def has_more(payload: dict[str, Any], page: int, seen: int) -> bool:
    """Whether a page follows ``page``: ``mainInfo.totalResults`` > ``page × pageSize`` (strings or ints)."""
    info = payload.get("mainInfo")
    if not isinstance(info, dict):
        return False
    try:
        total = int(str(info.get("totalResults")).replace(",", ""))
        size = int(str(info.get("pageSize") or seen or 0))
    except ValueError:
        return False
    return size > 0 and page * size < total


def product_url(raw: Any, base_url: str) -> str:
    """``//www.lazada.vn/products/…-i123-s456.html?mp=1`` → an absolute URL on ``base_url``'s site.

    The path Lazada gives is kept (its tracking query such as ``?mp=1`` is dropped, so a listing keeps
    one URL across crawls); the scheme and host are the configured site's, so a listing crawled from
    the mock server links to the mock server (``base_url`` may carry a path prefix).
    """
    text = text_or_none(raw)
    if not text:
        raise MissingField("productUrl is missing")
    parts = urlsplit(text if "//" in text else "//" + text.lstrip("/"))
    return urljoin(base_url.rstrip("/") + "/", parts.path.lstrip("/"))


def _official(data: dict[str, Any]) -> bool:
    name = str(data.get("sellerName") or "")
    return "official" in name.lower() or bool(data.get("isLazMall") or data.get("isMall"))


def _images(data: dict[str, Any]) -> list[str]:
    image = data.get("image")
    if not isinstance(image, str) or not image.strip():
        return []
    image = image.strip()
    return ["https:" + image if image.startswith("//") else image]  # protocol-relative: Lazada is https


def _original(data: dict[str, Any]) -> int | None:
    value = data.get("originalPrice")
    if value in (None, "", "0", "0.00"):
        return None
    return parse_vnd(value)


def _price(data: dict[str, Any]) -> int | None:
    value = data.get("price")
    return parse_vnd(data.get("priceShow")) if value in (None, "") else parse_vnd(value)


def listing_id(data: dict[str, Any]) -> str:
    """The item id: ``itemId``, else ``nid``, else the ``-i<id>`` of its URL."""
    for key in ("itemId", "nid"):
        if data.get(key) not in (None, ""):
            return required_text(data.get(key), key)
    match = ITEM_ID.search(str(data.get("productUrl") or data.get("itemUrl") or ""))
    if match:
        return match[1]
    raise MissingField("itemId is missing")


LIST_PLACES: dict[str, tuple[str, ...]] = {
    "price": ("price", "priceShow"), "original_price": ("originalPrice",), "brand": ("brandName",),
    "rating": ("ratingScore",), "images": ("image",), "seller": ("sellerId", "sellerName"),
}
"""Where a list item keeps each field: no description, category or origin (the product page has them,
rendered by JavaScript)."""
PAGE_PLACES: dict[str, tuple[str, ...]] = {
    "description": ("description",), "price": ("offers",), "brand": ("brand",), "images": ("image",),
}
"""Where a product page's JSON-LD ``Product`` keeps each field."""


def extract_lazada_list_item(
    data: dict[str, Any], base_url: str, errors: FieldErrors | None = None
) -> dict[str, Any]:
    """One ``mods.listItems`` entry → Listing fields.

    Raises :class:`spiders.formats.common.MissingField` without an id, name or product URL.
    """
    seller_id = data.get("sellerId")
    return {
        "platform": PLATFORM,
        "listing_id": listing_id(data),
        "title": required_text(data.get("name"), "name"),
        "url": product_url(data.get("productUrl") or data.get("itemUrl"), base_url),
        "price": field(errors, "price", _price, data),
        "original_price": field(errors, "original_price", _original, data),
        "currency": "VND",
        "brand": field(errors, "brand", _brand, data),
        "rating": field(errors, "rating", rating, _float(data.get("ratingScore")), _int(data.get("review"))),
        "images": _images(data),
        "seller": {
            "platform_id": str(seller_id) if seller_id not in (None, "") else None,
            "name": field(errors, "seller.name", text_or_none, data.get("sellerName")),
            "province": field(errors, "seller.province", _province, data),
            "official": _official(data),
        },
        "fields_seen": carried_in(data, LIST_PLACES, "title"),
    }


NO_BRAND = frozenset({"no brand", "nobrand", "no-brand", "not specified", "oem", "khong thuong hieu"})
"""Lazada's ways of saying a product has no brand (folded)."""
FOREIGN_LOCATIONS = frozenset({
    "overseas", "nuoc ngoai", "quoc te", "international", "global", "trung quoc", "china", "mainland china",
    "hong kong", "dai loan", "taiwan", "han quoc", "korea", "south korea", "nhat ban", "japan", "thai lan",
    "thailand", "singapore", "malaysia", "indonesia", "philippines", "my", "hoa ky", "usa", "united states",
    "uc", "australia", "duc", "germany", "phap", "france", "anh", "uk", "united kingdom", "an do", "india",
})
"""``location`` values that name a country, not a Vietnamese province (folded)."""


def _brand(data: dict[str, Any]) -> str | None:
    brand = text_or_none(data.get("brandName"))
    return None if brand and (fold(brand) in NO_BRAND or placeholder(brand)) else brand


def _province(data: dict[str, Any]) -> str | None:
    location = text_or_none(data.get("location"))
    return None if location and (fold(location) in FOREIGN_LOCATIONS or placeholder(location)) else location


def _float(value: Any) -> float | None:
    return None if value in (None, "") else float(value)


def _int(value: Any) -> int | None:
    return None if value in (None, "") else count(int(float(value)))


def _ld_products(html: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for block in Selector(text=html).css('script[type="application/ld+json"]::text').getall():
        try:
            data = json.loads(block)
        except ValueError:
            continue
        for node in data if isinstance(data, list) else [data]:
            if isinstance(node, dict) and node.get("@type") == "Product":
                found.append(node)
    return found


def _offer_price(offers: Any) -> Any:
    if isinstance(offers, list):
        offers = offers[0] if offers else {}
    if not isinstance(offers, dict):
        return None
    return offers.get("price", offers.get("lowPrice"))


def extract_lazada_product_page(html: str, url: str, errors: FieldErrors | None = None) -> dict[str, Any]:
    """A Lazada product page → Listing fields from its schema.org ``Product`` JSON-LD.

    The id is the ``-i<id>`` of ``url`` (or the JSON-LD ``sku``). Raises MissingField when the page
    has no Product markup or no id.
    """
    products = _ld_products(html)
    if not products:
        raise MissingField("no schema.org Product JSON-LD on the page")
    product = products[0]
    match = ITEM_ID.search(urlsplit(url).path)
    item_id = match[1] if match else required_text(product.get("sku"), "sku")
    brand = product.get("brand")
    images = product.get("image")
    return {
        "platform": PLATFORM,
        "listing_id": item_id,
        "title": required_text(product.get("name"), "name"),
        "url": url,
        "description": field(errors, "description", text_or_none, product.get("description")),
        "price": field(errors, "price", parse_vnd, _offer_price(product.get("offers"))),
        "currency": "VND",
        "brand": field(errors, "brand", _brand, {"brandName": brand.get("name") if isinstance(brand, dict) else brand}),
        "images": [images] if isinstance(images, str) else [i for i in images or [] if isinstance(i, str)],
        "seller": {},
        "fields_seen": carried_in(product, PAGE_PLACES, "title"),
    }
