"""Extract Listing fields from Sendo's search and product-detail JSON (pure functions, no Scrapy).

- :func:`search_products` / :func:`extract_sendo_search_item` — ``searchlist-api.sendo.vn/web/products
  ?q=K&page=N&size=60`` answers ``{"data": [...]}`` (older builds ``{"async_data": {"products": [...]}}``);
  an item has ``id, name, category_path`` (the product page's path on www.sendo.vn),
  ``image, default_price_min/max, sale_price_min/max, sale_percent, sold, order_count_text,
  rated{total, star}, shop{id, name, ware_house_region_name, badge_urls}``, and **no brand**. Real
  samples: ``eval/raw/sendo/sendo_*_600.json`` (600 untransformed items each).
- :func:`extract_sendo_detail` — ``detail-api.sendo.vn/full/{id}``. **No real detail response exists in
  ``eval/raw``**: the format read here (``{"data": {id, name, cat_path, price, final_price,
  description (HTML), brand_info{id, name}, shop_info{shop_id, shop_name, warehouse_region_name,
  is_certificated}, attribute[]{name, search_key, value[]{name, selected}}, category_info[]{title},
  media[]{image}, rating_info{percent_star, total_rated}}}``) is our best reading of what the site
  fetches, written for the demo server; the extractor is lenient about it. Origin comes from the
  attribute whose ``search_key`` is ``xuat_xu`` or whose name starts with "Xuất xứ".

Prices are whole đồng. The listing price is ``sale_price_min`` (what a buyer pays for the cheapest
option), the original price ``default_price_min`` when higher.
"""

from __future__ import annotations

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

PLATFORM = "sendo"


def search_products(payload: dict[str, Any]) -> list[Any]:
    """The products of one search page (``data`` or ``async_data.products``); ValueError when neither."""
    products = payload.get("data")
    if products is None:
        products = (payload.get("async_data") or {}).get("products")
    if isinstance(products, dict):  # some builds nest the list once more
        products = products.get("products", products.get("list"))
    if not isinstance(products, list):
        raise ValueError("no data[] list of products")
    return products


def product_url(path: Any, base_url: str) -> str:
    """``ten-san-pham-123.html`` → ``https://www.sendo.vn/ten-san-pham-123.html`` (on ``base_url``)."""
    text = text_or_none(path)
    if not text:
        raise ValueError("no product path")
    if text.startswith(("http://", "https://")):
        return text
    return urljoin(base_url.rstrip("/") + "/", text.lstrip("/"))


def _url(data: dict[str, Any], base_url: str) -> str:
    for key in ("category_path", "cat_path", "url_key"):
        if text_or_none(data.get(key)):
            return product_url(data[key], base_url)
    return f"{base_url.rstrip('/')}/san-pham-{data['id']}.html"


def _price(data: dict[str, Any], *keys: str) -> int | None:
    for key in keys:
        value = data.get(key)
        if value not in (None, "", 0):
            return parse_vnd(value)
    return None


def _original(data: dict[str, Any], price: int | None, *keys: str) -> int | None:
    original = _price(data, *keys)
    return original if original and (price is None or original > price) else None


def _sold(data: dict[str, Any]) -> int | None:
    if data.get("sold") not in (None, ""):
        return count(data.get("sold"))
    if data.get("order_count") not in (None, ""):
        return count(data.get("order_count"))
    return None


def _search_rating(data: dict[str, Any]) -> float | None:
    rated = data.get("rated") or {}
    if not isinstance(rated, dict):
        raise TypeError(f"rated is {type(rated).__name__}")
    return rating(rated.get("star"), rated.get("total"))


def _shop(shop: Any, errors: FieldErrors | None) -> dict[str, Any]:
    if not isinstance(shop, dict):
        return {}
    shop_id = shop.get("id", shop.get("shop_id"))
    badges = shop.get("badge_urls") or {}
    region = shop.get("ware_house_region_name", shop.get("warehouse_region_name"))
    return {
        "platform_id": str(shop_id) if shop_id not in (None, "") else None,
        "name": field(errors, "seller.name", text_or_none, shop.get("name", shop.get("shop_name"))),
        "province": field(errors, "seller.province", text_or_none, region),
        # "shop_plus"/"shop_level" badges are paid tiers, not brand ownership; Sendo marks brand
        # shops as certificated ("Shop chính hãng")
        "official": bool(shop.get("is_certificated") or (isinstance(badges, dict) and badges.get("official"))),
    }


def _shop_url(seller: dict[str, Any], base_url: str) -> str | None:
    return f"{base_url.rstrip('/')}/shop/{seller['platform_id']}" if seller.get("platform_id") else None


SEARCH_PLACES: dict[str, tuple[str, ...]] = {
    "price": ("sale_price_min", "default_price_min"), "original_price": ("default_price_min",),
    "rating": ("rated",), "sold_count": ("sold", "order_count"), "images": ("image",), "seller": ("shop",),
}
"""Where a search item keeps each field: no brand, description, category name or origin."""
DETAIL_PLACES: dict[str, tuple[str, ...]] = {
    "description": ("description",), "price": ("final_price", "price"), "original_price": ("price",),
    "brand": ("brand_info", "attribute"), "origin": ("attribute",), "category": ("category_info",),
    "rating": ("rating_info",), "sold_count": ("sold", "order_count"), "images": ("media", "image"),
    "seller": ("shop_info",),
}
"""Where a detail keeps each field: the origin is the ``xuat_xu`` attribute (absent there: none stated)."""


def extract_sendo_search_item(
    data: dict[str, Any], base_url: str, errors: FieldErrors | None = None
) -> dict[str, Any]:
    """One search-API product → Listing fields (no brand, origin or description: the detail has them).

    Raises :class:`spiders.formats.common.MissingField` when the item has no id or name.
    """
    price = field(errors, "price", _price, data, "sale_price_min", "default_price_min")
    seller = _shop(data.get("shop"), errors)
    seller["url"] = _shop_url(seller, base_url)
    image = data.get("image")
    return {
        "platform": PLATFORM,
        "listing_id": required_text(data.get("id"), "id"),
        "title": required_text(data.get("name"), "name"),
        "url": field(errors, "url", _url, data, base_url),
        "price": price,
        "original_price": field(errors, "original_price", _original, data, price, "default_price_min"),
        "currency": "VND",
        "rating": field(errors, "rating", _search_rating, data),
        "sold_count": field(errors, "sold_count", _sold, data),
        "images": [image] if isinstance(image, str) and image else [],
        "seller": seller,
        "fields_seen": carried_in(data, SEARCH_PLACES, "title"),
    }


def _attribute_values(attribute: dict[str, Any]) -> list[str]:
    values = attribute.get("value")
    if isinstance(values, str):
        return [values]
    if not isinstance(values, list):
        return []
    chosen = [v for v in values if isinstance(v, dict) and v.get("selected")] or values
    return [str(v.get("name") if isinstance(v, dict) else v).strip() for v in chosen if v]


def _attribute(data: dict[str, Any], key: str, prefix: str) -> str | None:
    for attribute in data.get("attribute") or []:
        if not isinstance(attribute, dict):
            continue
        name = str(attribute.get("name") or "")
        if attribute.get("search_key") == key or name.lower().startswith(prefix.lower()):
            values = [v for v in _attribute_values(attribute) if v]
            return ", ".join(values) or None
    return None


def _brand(data: dict[str, Any]) -> str | None:
    info = data.get("brand_info")
    if isinstance(info, dict) and text_or_none(info.get("name")):
        return text_or_none(info.get("name"))
    return _attribute(data, "thuong_hieu", "Thương hiệu")


def _category(data: dict[str, Any]) -> str | None:
    names = [str(c.get("title") or c.get("name") or "").strip() for c in data.get("category_info") or []
             if isinstance(c, dict)]
    return " > ".join(name for name in names if name) or None


def _media(data: dict[str, Any]) -> list[str]:
    urls = []
    for media in data.get("media") or []:
        url = media.get("image") if isinstance(media, dict) else media
        if isinstance(url, str) and url:
            urls.append(url)
    if not urls and isinstance(data.get("image"), str):
        urls.append(data["image"])
    return urls


def _detail_rating(data: dict[str, Any]) -> float | None:
    info = data.get("rating_info") or {}
    return rating(info.get("percent_star"), info.get("total_rated"))


def extract_sendo_detail(data: dict[str, Any], base_url: str, errors: FieldErrors | None = None) -> dict[str, Any]:
    """A detail object (the ``data`` of ``/full/{id}``) → Listing fields, with brand, origin and description.

    Raises :class:`spiders.formats.common.MissingField` when it has no id or name.
    """
    price = field(errors, "price", _price, data, "final_price", "price")
    seller = _shop(data.get("shop_info"), errors)
    seller["url"] = _shop_url(seller, base_url)
    return {
        "platform": PLATFORM,
        "listing_id": required_text(data.get("id"), "id"),
        "title": required_text(data.get("name"), "name"),
        "url": field(errors, "url", _url, data, base_url),
        "description": field(errors, "description", html_to_text, data.get("description")),
        "price": price,
        "original_price": field(errors, "original_price", _original, data, price, "price"),
        "currency": "VND",
        "brand": field(errors, "brand", _brand, data),
        "origin": field(errors, "origin", _attribute, data, "xuat_xu", "Xuất xứ"),
        "category": field(errors, "category", _category, data),
        "rating": field(errors, "rating", _detail_rating, data),
        "sold_count": field(errors, "sold_count", _sold, data),
        "images": field(errors, "images", _media, data) or [],
        "seller": seller,
        "fields_seen": carried_in(data, DETAIL_PLACES, "title"),
    }
