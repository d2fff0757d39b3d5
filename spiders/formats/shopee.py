"""Extract Listing fields from Shopee's API responses (pure functions, no Scrapy).

- :func:`extract_shopee_item_basic` — ``items[].item_basic`` of ``/api/v4/search/search_items``, the
  2022–23 format (real sample: ``eval/raw/shopee/search_items.json``);
- :func:`extract_shopee_item_card` — ``centralize_item_card.item_cards[]``, the 2025–26 format
  (real sample: ``eval/raw/shopee/shopee_data.json``);
- :func:`extract_shopee_item_get` — the ``data`` object of ``/api/v4/item/get?itemid=&shopid=``.
- :func:`extract_shopee_pdp` — the ``data`` object of ``/api/v4/pdp/get_pc?item_id=&shop_id=`` (the
  product page's detail call since 2023; no real sample in eval/raw, so it is read tolerantly and
  mapped onto the ``item/get`` reader);
- :func:`search_entries` — which of the two search formats a response is, and its entries;
- :func:`product_ids` — ``(shopid, itemid)`` from a product URL (``/product/S/I`` or ``…-i.S.I``).

Prices are ×100000 integers (:func:`crawler.prices.from_shopee`); a price sent as text ("Liên hệ")
goes through :func:`crawler.prices.parse_vnd`. Images are hashes on ``down-vn.img.susercontent.com``.
URLs are built on the configured base: ``<base>/product/<shopid>/<itemid>`` and ``<base>/shop/<shopid>``.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from crawler.prices import from_shopee, parse_vnd
from spiders.formats.common import (
    FieldErrors,
    carried,
    carried_in,
    count,
    epoch_to_iso,
    field,
    rating,
    required_text,
    sold_from_text,
    text_or_none,
)

PLATFORM = "shopee"
IMAGE_BASE = "https://down-vn.img.susercontent.com/file/"
_NO_BRAND = {"no brand", "nobrand", "no_brand", "none", "khong thuong hieu", "không thương hiệu"}
_ORIGIN_NAMES = {"xuất xứ", "xuat xu", "origin", "country of origin", "xuất xứ (made in)"}
_BRAND_NAMES = {"thương hiệu", "thuong hieu", "brand"}


def shopee_price(raw: Any) -> int | None:
    """A Shopee price: ×100000 integer → đồng; text ("Liên hệ", "1.250.000₫") parsed as VND."""
    if isinstance(raw, str) and not raw.strip().lstrip("-").isdigit():
        return parse_vnd(raw)
    return from_shopee(raw)


def _positive_price(raw: Any) -> int | None:
    value = shopee_price(raw) if raw not in (None, "", 0) else None
    return value or None


def _brand(value: Any) -> str | None:
    text = text_or_none(value)
    if text is None or text.lower() in _NO_BRAND:
        return None
    return text


def _images(hashes: Any, single: Any = None) -> list[str]:
    if not isinstance(hashes, list) or not hashes:
        hashes = [single] if isinstance(single, str) and single else []
    return [h if h.startswith("http") else IMAGE_BASE + h for h in hashes if isinstance(h, str) and h]


def _rating(item_rating: Any) -> float | None:
    if not isinstance(item_rating, dict):
        return None
    counts = item_rating.get("rating_count")
    total = counts[0] if isinstance(counts, list) and counts else item_rating.get("rating_star")
    return rating(item_rating.get("rating_star"), total)


def _ids(data: dict[str, Any]) -> tuple[str, str]:
    return required_text(data.get("itemid"), "itemid"), required_text(data.get("shopid"), "shopid")


def _common(data: dict[str, Any], base_url: str, title: Any) -> dict[str, Any]:
    itemid, shopid = _ids(data)
    base = base_url.rstrip("/")
    return {
        "platform": PLATFORM,
        "listing_id": itemid,
        "title": required_text(title, "name"),
        "url": f"{base}/product/{shopid}/{itemid}",
        "currency": "VND",
        "seller": {"platform_id": shopid, "url": f"{base}/shop/{shopid}"},
    }


BASIC_PLACES: dict[str, tuple[str, ...]] = {
    "price": ("price",), "original_price": ("price_before_discount",), "brand": ("brand",),
    "images": ("images", "image"), "sold_count": ("historical_sold",), "rating": ("item_rating",),
    "posted_at": ("ctime",),
}
"""Where a 2022–23 search entry keeps each field (no description, category name or origin; the seller
is its shop, always named by ``shopid``)."""
ITEM_GET_PLACES: dict[str, tuple[str, ...]] = {
    **BASIC_PLACES, "description": ("description",), "brand": ("brand", "attributes"),
    "origin": ("attributes",), "category": ("categories",),
}
"""Where ``item/get`` keeps each field: the origin is the "Xuất xứ" of ``attributes`` (absent there:
none stated)."""
CARD_PLACES: dict[str, tuple[str, ...]] = {
    "original_price": ("item_card_display_price",), "brand": ("global_brand",),
    "sold_count": ("item_card_display_sold_count", "item_card_displayed_asset"), "rating": ("item_rating",),
    "posted_at": ("ctime",),
}
"""Where a 2025–26 search card keeps each field (price, name and images are in its displayed asset)."""


def extract_shopee_item_basic(
    data: dict[str, Any], base_url: str, errors: FieldErrors | None = None
) -> dict[str, Any]:
    """One 2022–23 ``item_basic`` → Listing fields. Raises ``MissingField`` without id/shop/name."""
    item = _common(data, base_url, data.get("name"))
    item.update({
        "price": field(errors, "price", shopee_price, data.get("price")),
        "original_price": field(errors, "original_price", _positive_price, data.get("price_before_discount")),
        "brand": field(errors, "brand", _brand, data.get("brand")),
        "images": field(errors, "images", _images, data.get("images"), data.get("image")) or [],
        "sold_count": field(errors, "sold_count", count, data.get("historical_sold")),
        "rating": field(errors, "rating", _rating, data.get("item_rating")),
        "posted_at": field(errors, "posted_at", epoch_to_iso, data.get("ctime")),
    })
    item["seller"].update({
        "province": field(errors, "seller.province", text_or_none, data.get("shop_location")),
        "official": bool(data.get("is_official_shop")),
    })
    item["fields_seen"] = carried_in(data, BASIC_PLACES, "title", "seller")
    return item


def _card_sold(data: dict[str, Any]) -> int | None:
    sold = data.get("item_card_display_sold_count") or {}
    number = count(sold.get("historical_sold_count"))
    if number:
        return number
    text = sold.get("historical_sold_count_text")
    if text is None:
        text = ((data.get("item_card_displayed_asset") or {}).get("sold_count") or {}).get("text")
    return sold_from_text(text)


def extract_shopee_item_card(
    data: dict[str, Any], base_url: str, errors: FieldErrors | None = None
) -> dict[str, Any]:
    """One 2025–26 item card → Listing fields. Raises ``MissingField`` without id/shop/name.

    Cards do not say whether the shop is official; ``seller.official`` is left out (the detail says).
    """
    asset = data.get("item_card_displayed_asset") or {}
    price = data.get("item_card_display_price") or {}
    shop = data.get("shop_data") or {}
    item = _common(data, base_url, asset.get("name"))
    raw_price = price.get("price", (asset.get("display_price") or {}).get("price"))
    item.update({
        "price": field(errors, "price", shopee_price, raw_price),
        "original_price": field(errors, "original_price", _positive_price, price.get("strikethrough_price")),
        "brand": field(errors, "brand", _brand, (data.get("global_brand") or {}).get("display_name")),
        "images": field(errors, "images", _images, asset.get("images"), asset.get("image")) or [],
        "sold_count": field(errors, "sold_count", _card_sold, data),
        "rating": field(errors, "rating", _rating, data.get("item_rating")),
        "posted_at": field(errors, "posted_at", epoch_to_iso, data.get("ctime")),
    })
    item["seller"].update({
        "name": field(errors, "seller.name", text_or_none, shop.get("shop_name")),
        "province": field(errors, "seller.province", text_or_none, shop.get("shop_location")),
    })
    item["fields_seen"] = carried_in(data, CARD_PLACES, "title", "price", "images", "seller")
    return item


def _attribute(data: dict[str, Any], names: set[str]) -> str | None:
    for attribute in data.get("attributes") or []:
        if isinstance(attribute, dict) and str(attribute.get("name") or "").strip().lower() in names:
            return text_or_none(attribute.get("value"))
    return None


def _category(data: dict[str, Any]) -> str | None:
    names = [
        str(c.get("display_name")).strip()
        for c in data.get("categories") or []
        if isinstance(c, dict) and str(c.get("display_name") or "").strip()
    ]
    return " > ".join(names) or None


def extract_shopee_item_get(
    data: dict[str, Any], base_url: str, errors: FieldErrors | None = None
) -> dict[str, Any]:
    """The ``data`` object of ``item/get`` → Listing fields (description, origin, category, official)."""
    item = extract_shopee_item_basic(data, base_url, errors)
    item.update({
        "description": field(errors, "description", text_or_none, data.get("description")),
        "brand": item["brand"] or field(errors, "brand", lambda: _brand(_attribute(data, _BRAND_NAMES))),
        "origin": field(errors, "origin", _attribute, data, _ORIGIN_NAMES),
        "category": field(errors, "category", _category, data),
        "fields_seen": carried_in(data, ITEM_GET_PLACES, "title", "seller"),
    })
    return item


def search_entries(payload: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """``("cards", item_cards)`` or ``("legacy", [item_basic…])`` for a search response.

    Raises ValueError when the response is in neither format.
    """
    centralized = payload.get("centralize_item_card")
    if isinstance(centralized, dict):
        cards = centralized.get("item_cards") or []
        return "cards", [card for card in cards if isinstance(card, dict)]
    if "items" in payload:
        entries = []
        for entry in payload.get("items") or []:
            if isinstance(entry, dict):
                basic = entry.get("item_basic")
                entries.append(basic if isinstance(basic, dict) else entry)
        return "legacy", entries
    raise ValueError(f"neither items[] nor centralize_item_card in keys {sorted(payload)[:8]}")


def _first(*values: Any) -> Any:
    """The first given value; 0/False/empty count as not given (Shopee sends 0 for "no price")."""
    for value in values:
        if value not in (None, "", [], {}) and value is not False and value != 0:
            return value
    return None


def _single(price: Any) -> Any:
    """``product_price.price`` is ``{single_value, range_min, range_max}``; -1 means "not single"."""
    if not isinstance(price, dict):
        return None
    single = price.get("single_value")
    return single if single not in (None, -1) else price.get("range_min")


def extract_shopee_pdp(
    data: dict[str, Any], base_url: str, errors: FieldErrors | None = None
) -> dict[str, Any]:
    """The ``data`` object of ``pdp/get_pc`` → Listing fields, incl. the shop's name from ``shop_detailed``.

    ``data.item`` carries ``item_id``/``shop_id``/``title`` (older pages: ``itemid``/``shopid``/``name``);
    prices may sit in ``data.product_price``, attributes in ``data.product_attributes.attrs``, rating
    and sold count in ``data.product_review``. Raises ``MissingField`` without id/shop/name.
    """
    item, shop, prices, review, attributes, pictures = (
        data.get(key) if isinstance(data.get(key), dict) else {}
        for key in ("item", "shop_detailed", "product_price", "product_review", "product_attributes",
                    "product_images")
    )
    before = _single(prices.get("price_before_discount"))
    flat = dict(item)
    flat.update({
        "itemid": _first(item.get("item_id"), item.get("itemid")),
        "shopid": _first(item.get("shop_id"), item.get("shopid"), shop.get("shopid")),
        "name": _first(item.get("title"), item.get("name")),
        "price": _first(item.get("price"), _single(prices.get("price"))),
        "price_before_discount": _first(item.get("price_before_discount"), before),
        "images": _first(item.get("images"), pictures.get("images")),
        "attributes": _first(item.get("attributes"), attributes.get("attrs")),
        "historical_sold": _first(item.get("historical_sold"), review.get("historical_sold")),
        "item_rating": _first(item.get("item_rating"), review if "rating_star" in review else None),
        "shop_location": _first(item.get("shop_location"), shop.get("shop_location")),
        "is_official_shop": bool(_first(item.get("is_official_shop"), shop.get("is_official_shop"))),
    })
    listing = extract_shopee_item_get(flat, base_url, errors)
    listing["seller"]["name"] = field(errors, "seller.name", text_or_none, shop.get("name"))
    # the flattened object has every key; the page's own objects say which places it has
    has_attributes = "attributes" in item or "attrs" in attributes
    listing["fields_seen"] = carried(*(
        name for name in listing["fields_seen"]
        if (name != "origin" or has_attributes) and (name != "description" or "description" in item)
    ))
    return listing


_PRODUCT_PATHS = (re.compile(r"/product/(\d+)/(\d+)/?$"), re.compile(r"-i\.(\d+)\.(\d+)/?$"))


def product_ids(url: str) -> tuple[str, str]:
    """``(shopid, itemid)`` of a Shopee product URL; ValueError naming the URL otherwise."""
    path = urlsplit(url).path
    for pattern in _PRODUCT_PATHS:
        if match := pattern.search(path):
            return match[1], match[2]
    raise ValueError(f"not a Shopee product URL (…/product/SHOPID/ITEMID or …-i.SHOPID.ITEMID): {url!r}")
