"""Render a demo listing in Shopee's real API formats (prices ×100000, image hashes, ctime seconds).

- :func:`item_basic` — one ``items[]`` entry of ``/api/v4/search/search_items`` in the 2022–23
  format (``eval/raw/shopee/search_items.json``);
- :func:`item_card` — one ``centralize_item_card.item_cards[]`` entry, the 2025–26 format
  (``eval/raw/shopee/shopee_data.json``);
- :func:`item_get` — ``/api/v4/item/get?itemid=&shopid=`` (the fields of the ``item/get`` subset in
  ``eval/raw/shopee/[shopee]__[vua_nem…].json`` plus description, attributes, categories, brand);
- :func:`shop_info` — ``/api/v4/product/get_shop_info?shopid=`` (no real sample in eval/raw: the
  field names follow the public API as commonly documented; only ``data.name`` is relied on).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from crawler.prices import SHOPEE_PRICE_FACTOR

IMAGE_PREFIX = "https://down-vn.img.susercontent.com/file/"


def _raw(value: int | None) -> Any:
    return "Liên hệ" if value is None else value * SHOPEE_PRICE_FACTOR


def _prices(record: dict[str, Any], price_override: Any) -> tuple[Any, Any, int]:
    price = _raw(record["price"])
    if price_override is not None:
        price = price_override
    before = record["original_price"] * SHOPEE_PRICE_FACTOR if record.get("original_price") else 0
    discount = 0
    if before and isinstance(price, int) and price < before:
        discount = round((before - price) * 100 / before)
    return price, before, discount


def _hashes(record: dict[str, Any]) -> list[str]:
    return [url.removeprefix(IMAGE_PREFIX) for url in record["images"]]


def _ctime(record: dict[str, Any]) -> int:
    stamp = record.get("posted_at")
    if not stamp:
        return 0
    return int(datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp())


def _rating(record: dict[str, Any]) -> dict[str, Any]:
    rating = record.get("rating")
    if rating is None:
        return {"rating_star": 0, "rating_count": [0, 0, 0, 0, 0, 0]}
    total = 1 + (record.get("sold_count") or 0) // 5
    five = round(total * 0.8)
    return {"rating_star": rating, "rating_count": [total, 0, 0, total - five, 0, five]}


def _sold_text(sold: int) -> str:
    if sold >= 1_000:
        return f"Đã bán {sold // 1_000}k+"
    return f"Đã bán {sold}"


def item_basic(record: dict[str, Any], *, price_override: Any = None) -> dict[str, Any]:
    """The listing as one ``items[]`` entry (``{item_basic, itemid, shopid}``) of the 2022–23 search."""
    itemid, shopid = int(record["listing_id"]), int(record["seller"]["platform_id"])
    price, before, discount = _prices(record, price_override)
    hashes = _hashes(record)
    sold = record.get("sold_count") or 0
    rating = _rating(record)
    return {
        "item_basic": {
            "badge_icon_type": 0,
            "brand": record.get("brand") or "",
            "bundle_deal_id": 0,
            "can_use_bundle_deal": False,
            "can_use_cod": True,
            "can_use_wholesale": False,
            "catid": 100_000 + len(record.get("category") or ""),
            "cb_option": 0,
            "cmt_count": rating["rating_count"][0],
            "ctime": _ctime(record),
            "currency": "VND",
            "flag": 196608,
            "has_lowest_price_guarantee": False,
            "historical_sold": sold,
            "image": hashes[0] if hashes else "",
            "images": hashes,
            "is_adult": False,
            "is_mart": False,
            "is_official_shop": bool(record["seller"].get("official")),
            "is_on_flash_sale": False,
            "is_preferred_plus_seller": False,
            "is_service_by_shopee": False,
            "item_rating": {**rating, "rcount_with_context": 0, "rcount_with_image": 0},
            "item_status": "normal",
            "item_type": 0,
            "itemid": itemid,
            "label_ids": [1000278, 1000279],
            "liked": False,
            "liked_count": sold // 3,
            "name": record["title"],
            "price": price,
            "price_before_discount": before,
            "price_max": price,
            "price_max_before_discount": before or -1,
            "price_min": price,
            "price_min_before_discount": before or -1,
            "raw_discount": discount,
            "reference_item_id": "",
            "shop_location": record["seller"].get("province") or "",
            "shopee_verified": False,
            "shopid": shopid,
            "show_discount": discount,
            "show_free_shipping": True,
            "show_official_shop_label": bool(record["seller"].get("official")),
            "show_official_shop_label_in_title": bool(record["seller"].get("official")),
            "show_shopee_verified_label": False,
            "sold": sold // 10,
            "status": 1,
            "stock": 100,
            "tier_variations": [{"name": "", "options": [""], "type": 0}],
            "transparent_background_image": "",
            "welcome_package_type": 0,
        },
        "itemid": itemid,
        "shopid": shopid,
    }


def item_card(record: dict[str, Any], *, price_override: Any = None) -> dict[str, Any]:
    """The listing as one ``item_cards[]`` entry of the 2025–26 ``centralize_item_card`` search."""
    itemid, shopid = int(record["listing_id"]), int(record["seller"]["platform_id"])
    price, before, discount = _prices(record, price_override)
    hashes = _hashes(record)
    sold = record.get("sold_count") or 0
    display_price: dict[str, Any] = {
        "item_id": itemid, "model_id": itemid * 10 + 1, "promotion_type": 301 if discount else 0,
        "promotion_id": 0, "price": price, "discount": discount,
        "original_price": before or price, "model_selection_logic": 3,
    }
    if discount:
        display_price["strikethrough_price"] = before
    sold_count: dict[str, Any] = {"historical_sold_count": 0, "monthly_sold_count": 0}
    asset: dict[str, Any] = {
        "name": record["title"],
        "image": hashes[0] if hashes else "",
        "images": hashes,
        "rating": {"rating_text": f"{record['rating']:.1f}" if record.get("rating") else "", "rating_type": 1},
        "display_price": {"price": price, "display_price_type": 0},
        "in_title_image_flags": [],
    }
    if sold:
        sold_count["historical_sold_count_text"] = _sold_text(sold)
        asset["sold_count"] = {"text": _sold_text(sold)}
    if discount:
        asset["discount_tag"] = {"discount_text": f"-{discount}%"}
    card: dict[str, Any] = {
        "itemid": itemid,
        "shopid": shopid,
        "is_adult": False,
        "need_kyc": False,
        "item_card_display_price": display_price,
        "item_card_display_sold_count": sold_count,
        "is_sold_out": False,
        "is_preview": False,
        "label_ids": [1000278, 1000279],
        "catid": 100_000 + len(record.get("category") or ""),
        "shopee_verified": False,
        "liked_count": sold // 3,
        "item_type": 0,
        "shop_data": {"shop_name": record["seller"].get("name") or "",
                      "shop_location": record["seller"].get("province") or ""},
        "status": 1,
        "ctime": _ctime(record),
        "flag": 196608,
        "item_status": "normal",
        "global_cat": {"catid": [100_000, 100_000 + len(record.get("category") or "")]},
        "item_rating": _rating(record),
        "tier_variations": [],
        "can_use_bundle_deal": False,
        "item_card_displayed_asset": asset,
    }
    if record.get("brand"):
        card["global_brand"] = {"brand_id": 5_000_000 + len(record["brand"]), "display_name": record["brand"]}
    return card


def item_get(record: dict[str, Any], *, price_override: Any = None) -> dict[str, Any]:
    """The ``item/get`` response (``{error, error_msg, data}``) for the listing."""
    basic = item_basic(record, price_override=price_override)["item_basic"]
    attributes = []
    if record.get("brand"):
        attributes.append({"name": "Thương hiệu", "value": record["brand"], "id": 100_010,
                           "is_timestamp": False, "brand_option": None, "val_id": None})
    if record.get("origin"):
        attributes.append({"name": "Xuất xứ", "value": record["origin"], "id": 100_037,
                           "is_timestamp": False, "brand_option": None, "val_id": None})
    categories = [
        {"catid": 100_000 + i, "display_name": name.strip(), "no_sub": False, "is_default_subcat": False}
        for i, name in enumerate((record.get("category") or "").split(" > "))
        if name.strip()
    ]
    data = {
        key: basic[key]
        for key in (
            "itemid", "shopid", "name", "price", "price_min", "price_max", "price_before_discount",
            "price_min_before_discount", "price_max_before_discount", "show_discount", "raw_discount",
            "stock", "historical_sold", "sold", "ctime", "item_status", "status", "catid", "brand",
            "item_rating", "liked_count", "cmt_count", "images", "image", "is_official_shop",
            "show_official_shop_label_in_title", "shop_location", "currency", "tier_variations",
            "label_ids", "is_adult", "flag", "shopee_verified",
        )
    }
    data.update({
        "description": record.get("description") or "",
        "rich_text_description": None,
        "attributes": attributes,
        "categories": categories,
        "condition": 1,
        "models": [{"itemid": basic["itemid"], "modelid": basic["itemid"] * 10 + 1, "name": "",
                    "price": basic["price"], "price_before_discount": basic["price_before_discount"],
                    "stock": 100}],
    })
    return {"error": 0, "error_msg": None, "data": data}


def shop_info(seller: dict[str, Any]) -> dict[str, Any]:
    """The ``get_shop_info`` response for one demo seller."""
    return {
        "error": 0,
        "error_msg": None,
        "data": {
            "shopid": int(seller["platform_id"]),
            "userid": int(seller["platform_id"]) + 1_000,
            "name": seller.get("name") or "",
            "account": {"username": seller.get("name") or ""},
            "shop_location": seller.get("province") or "",
            "place": seller.get("province") or "",
            "is_official_shop": bool(seller.get("official")),
            "is_shopee_verified": False,
            "description": "",
        },
    }


def search_response(entries: list[dict[str, Any]], *, cards: bool, total: int, nomore: bool) -> dict[str, Any]:
    """Wrap one page of ``item_basic`` entries or item cards in the matching response envelope."""
    if cards:
        return {
            "error": 0,
            "error_msg": "",
            "total_count": total,
            "nomore": nomore,
            "centralize_item_card": {
                "item_cards": entries,
                "card_set": {"layout_id": 1, "element_toggle": {"atc_button": False, "feedback_button": False},
                             "card_set_name": "Search Result"},
                "card_version": "standard_version_v1",
            },
            "item_card_abt_data": {"hit_exp_group": "Treatment 2"},
            "item_version": 1,
        }
    return {"error": 0, "error_msg": "", "items": entries, "nomore": nomore, "total_count": total}
