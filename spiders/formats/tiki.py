"""Extract Listing fields from Tiki's API responses (pure functions, no Scrapy).

- :func:`extract_tiki_search_item` — one ``data[]`` item of ``/api/v2/products?q=`` (the listing API;
  real sample: ``eval/raw/tiki/tiki_products_preview_*.csv``);
- :func:`extract_tiki_detail` — ``/api/v2/products/{id}`` (real sample: ``eval/raw/tiki/success_002.json``);
- seller store listings ``api.tiki.vn/v2/seller/stores/{slug}/products?limit=50&page=N`` give the same
  items as the search API plus ``sp_seller_id``/``sp_seller_name`` (real sample: ``eval/raw/tiki/tiki.json``),
  read by :func:`extract_tiki_search_item` too;
- :func:`next_data` / :func:`next_data_product` / :func:`next_data_listing_items` — the ``__NEXT_DATA__``
  JSON of Tiki's HTML pages: a product page holds the detail object (real sample ``tiki.html``, 2021,
  at ``props.initialState.desktop.product.data``), a category page the listing items
  (``full_page.html``, 2025, at ``props.initialState.catalog.data``). It is the fallback when the
  detail API fails.

Identity: one listing is one seller's offer of a product, so the listing id is the product id and the
seller-product id (``spid``) joined by ``-`` (``"275628395-275628397"``, :func:`tiki_listing_id`): the
search item's ``seller_product_id``, the detail's ``current_seller.product_id``, or a URL's ``?spid=``.
Without one the id is the product id alone (what every Tiki id was before offers were told apart).

The listing URL is the ``url_path`` Tiki gives joined to the configured base URL (``https://tiki.vn``
in production, the demo/mock server in tests), so an item always links to where it was crawled from.
Seller links (``current_seller.link``) are kept as Tiki gives them.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urljoin

from crawler.prices import parse_vnd
from spiders.formats.common import (
    FieldErrors,
    carried_in,
    count,
    field,
    html_to_text,
    rating,
    required_text,
    text_or_none,
)

PLATFORM = "tiki"


def tiki_listing_id(product_id: Any, spid: Any) -> str:
    """``"<product id>-<seller product id>"``, or the product id alone without a seller product id."""
    product = required_text(product_id, "id")
    offer = str(spid).strip() if spid not in (None, "", 0) and not isinstance(spid, bool) else ""
    return f"{product}-{offer}" if offer and offer != product else product


def search_items(payload: dict[str, Any]) -> list[Any]:
    """The ``data`` of a search or seller-store page; ValueError when there is no list."""
    items = payload.get("data")
    if not isinstance(items, list):
        raise ValueError("no data[] list")
    return items


def _listing_url(data: dict[str, Any], base_url: str) -> str:
    path = text_or_none(data.get("url_path"))
    if path:
        return urljoin(base_url.rstrip("/") + "/", path.lstrip("/"))
    short = text_or_none(data.get("short_url"))
    if short:
        return short
    return f"{base_url.rstrip('/')}/product-p{data['id']}.html"


def _original_price(data: dict[str, Any]) -> int | None:
    for key in ("original_price", "list_price"):
        value = parse_vnd(data.get(key)) if data.get(key) not in (None, "") else None
        if value:
            return value
    return None


def _sold(data: dict[str, Any]) -> int | None:
    sold = data.get("quantity_sold")
    if isinstance(sold, dict):
        return count(sold.get("value"))
    return count(data.get("all_time_quantity_sold"))


def _official(data: dict[str, Any]) -> bool:
    amplitude = (data.get("visible_impression_info") or {}).get("amplitude") or {}
    if amplitude.get("seller_type") == "OFFICIAL_STORE":
        return True
    for impression in data.get("impression_info") or []:
        if ((impression or {}).get("metadata") or {}).get("is_official_store"):
            return True
    return False


def _category_from_group(data: dict[str, Any]) -> str | None:
    group = text_or_none(data.get("productset_group_name"))
    if not group:
        return None
    return " > ".join(part.strip() for part in group.split("/") if part.strip()) or None


_BASE_PLACES: dict[str, tuple[str, ...]] = {
    "price": ("price",), "original_price": ("original_price", "list_price"),
    "rating": ("rating_average",), "sold_count": ("quantity_sold", "all_time_quantity_sold"),
}
SEARCH_PLACES: dict[str, tuple[str, ...]] = {
    **_BASE_PLACES, "brand": ("brand_name",), "category": ("productset_group_name",),
    "images": ("thumbnail_url",), "seller": ("seller_id", "sp_seller_id", "sp_seller_name", "seller_name"),
    "origin": ("origin",),
}
"""Where a listing item (search API, seller store, a category page's ``__NEXT_DATA__``) keeps each field:
no description; the 2025 category pages' items also carry ``origin`` and ``seller_name``."""
DETAIL_PLACES: dict[str, tuple[str, ...]] = {
    **_BASE_PLACES, "description": ("description",), "brand": ("brand", "specifications"),
    "category": ("breadcrumbs",), "origin": ("specifications",), "seller": ("current_seller",),
    "images": ("images",),
}
"""Where a product detail keeps each field: the origin in ``specifications`` (absent there: none stated)."""


def _base(data: dict[str, Any], base_url: str, errors: FieldErrors | None) -> dict[str, Any]:
    return {
        "platform": PLATFORM,
        "listing_id": required_text(data.get("id"), "id"),
        "title": required_text(data.get("name"), "name"),
        "url": field(errors, "url", _listing_url, data, base_url),
        "price": field(errors, "price", parse_vnd, data.get("price")),
        "original_price": field(errors, "original_price", _original_price, data),
        "currency": "VND",
        "rating": field(errors, "rating", rating, data.get("rating_average"), data.get("review_count")),
        "sold_count": field(errors, "sold_count", _sold, data),
    }


def extract_tiki_search_item(
    data: dict[str, Any], base_url: str, errors: FieldErrors | None = None
) -> dict[str, Any]:
    """One search-API item → Listing fields (no description, and no origin but in the 2025 category
    pages' items: the rest comes with the detail).

    Raises :class:`spiders.formats.common.MissingField` when the item has no id or name.
    """
    item = _base(data, base_url, errors)
    seller_id = data.get("seller_id") or data.get("sp_seller_id")
    seller_name = field(errors, "seller.name", text_or_none, data.get("sp_seller_name", data.get("seller_name")))
    item.update({
        "brand": field(errors, "brand", text_or_none, data.get("brand_name")),
        "category": field(errors, "category", _category_from_group, data),
        "origin": field(errors, "origin", text_or_none, data.get("origin")),
        "images": [data["thumbnail_url"]] if isinstance(data.get("thumbnail_url"), str) else [],
        "seller": {
            "platform_id": str(seller_id) if seller_id not in (None, "") else None,
            "name": seller_name,
            "official": bool(field(errors, "seller.official", _official, data))
            or data.get("is_from_official_store") is True or "official store" in str(seller_name or "").lower(),
        },
        "listing_id": tiki_listing_id(data.get("id"), data.get("seller_product_id")),
        "spid": data.get("seller_product_id"),
        "fields_seen": carried_in(data, SEARCH_PLACES, "title"),
    })
    return item


def _origin(data: dict[str, Any]) -> str | None:
    for group in data.get("specifications") or []:
        for attribute in (group or {}).get("attributes") or []:
            name = str(attribute.get("name") or "")
            if attribute.get("code") == "origin" or name.startswith("Xuất xứ (Made in)"):
                return text_or_none(attribute.get("value"))
    return None


def _spec_brand(data: dict[str, Any]) -> str | None:
    for group in data.get("specifications") or []:
        for attribute in (group or {}).get("attributes") or []:
            if attribute.get("code") == "brand":
                return text_or_none(attribute.get("value"))
    return None


def _brand(data: dict[str, Any]) -> str | None:
    brand = data.get("brand")
    if isinstance(brand, dict):
        return text_or_none(brand.get("name")) or _spec_brand(data)
    return _spec_brand(data)


def _category(data: dict[str, Any]) -> str | None:
    names = [
        str(crumb.get("name")).strip()
        for crumb in data.get("breadcrumbs") or []
        if isinstance(crumb, dict) and crumb.get("category_id") and str(crumb.get("name") or "").strip()
    ]
    return " > ".join(names) or None


def _images(data: dict[str, Any]) -> list[str]:
    urls = [image.get("base_url") for image in data.get("images") or [] if isinstance(image, dict)]
    return [url for url in urls if isinstance(url, str) and url]


def _seller(data: dict[str, Any]) -> dict[str, Any]:
    seller = data.get("current_seller")
    if not isinstance(seller, dict):
        return {}
    return {
        "platform_id": str(seller["id"]) if seller.get("id") is not None else None,
        "name": text_or_none(seller.get("name")),
        "url": text_or_none(seller.get("link")),
    }


def extract_tiki_detail(data: dict[str, Any], base_url: str, errors: FieldErrors | None = None) -> dict[str, Any]:
    """A product-detail object → Listing fields (the id with ``current_seller.product_id``, if any).

    Raises :class:`spiders.formats.common.MissingField` when the object has no id or name.
    """
    item = _base(data, base_url, errors)
    seller = data.get("current_seller")
    spid = seller.get("product_id") if isinstance(seller, dict) else None
    item.update({
        "listing_id": tiki_listing_id(data.get("id"), spid),
        "spid": spid,
        "description": field(errors, "description", html_to_text, data.get("description")),
        "brand": field(errors, "brand", _brand, data),
        "category": field(errors, "category", _category, data),
        "origin": field(errors, "origin", _origin, data),
        "seller": field(errors, "seller", _seller, data) or {},
        "images": field(errors, "images", _images, data) or [],
        "fields_seen": carried_in(data, DETAIL_PLACES, "title"),
    })
    return item


_NEXT_TAG = re.compile(r'<script[^>]*id=["\']__NEXT_DATA__["\'][^>]*>(.*?)</script>', re.S | re.I)
_NEXT_ASSIGN = re.compile(r"__NEXT_DATA__\s*=\s*")
_SPACED_UNICODE = re.compile(r"\\\s+u([0-9a-fA-F]{4})")
_BAD_ESCAPE = re.compile(r'\\(?!["\\/bfnrtu])')


def _clean_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key).strip(): _clean_keys(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_clean_keys(item) for item in value]
    return value


def next_data(html: str) -> dict[str, Any]:
    """The ``__NEXT_DATA__`` object of a Next.js page (``<script id=__NEXT_DATA__>`` or ``__NEXT_DATA__ = {…}``).

    Tolerant of pages that went through an HTML beautifier (whitespace inside keys and escapes, raw
    newlines in strings). Raises ValueError when the page has none or it cannot be read.
    """
    match = _NEXT_TAG.search(html)
    decoder = json.JSONDecoder(strict=False)
    if match:
        text = match[1]
    else:
        assign = _NEXT_ASSIGN.search(html)
        if not assign:
            raise ValueError("no __NEXT_DATA__ in the page")
        text = html[assign.end():]
    text = _BAD_ESCAPE.sub(r"\\\\", _SPACED_UNICODE.sub(r"\\u\1", text.strip()))
    try:
        data, _end = decoder.raw_decode(text)
        if not isinstance(data, dict):
            raise ValueError("__NEXT_DATA__ is not an object")
        return _clean_keys(data)
    except RecursionError:
        raise ValueError("__NEXT_DATA__ is nested too deeply") from None
    except ValueError as exc:
        raise ValueError(f"__NEXT_DATA__ is not JSON ({exc})") from exc


def _walk(value: Any, depth: int = 0) -> Any:
    if depth > 12:
        return
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _walk(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item, depth + 1)


def _is_product(node: dict[str, Any]) -> bool:
    return bool(node.get("id") and node.get("name") and "price" in node
                and ("current_seller" in node or "specifications" in node or "breadcrumbs" in node))


def next_data_product(data: dict[str, Any]) -> dict[str, Any]:
    """The product-detail object in a product page's ``__NEXT_DATA__``; ValueError when there is none."""
    for node in _walk(data):
        if _is_product(node):
            return node
    raise ValueError("no product object in __NEXT_DATA__")


def next_data_listing_items(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The listing items of a category/search page's ``__NEXT_DATA__`` (``catalog.data``); may be empty."""
    catalog = ((data.get("props") or {}).get("initialState") or {}).get("catalog") or {}
    items = catalog.get("data") if isinstance(catalog, dict) else None
    return [item for item in items or [] if isinstance(item, dict)]
