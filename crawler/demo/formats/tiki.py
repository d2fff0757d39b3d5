"""Render a demo listing in Tiki's real API formats (field names, nesting and types as Tiki sends).

- :func:`search_item` — one item of ``/api/v2/products?q=`` (``data[]``), the format of the flattened
  listing-API rows in ``eval/raw/tiki/tiki_products_preview_*.csv``;
- :func:`detail` — ``/api/v2/products/{id}``, the format of ``eval/raw/tiki/success_002.json``.

Links the platform itself gives (``short_url``, ``current_seller.link``, breadcrumbs) point at the
server that renders them (``base``), as they point at tiki.vn on the real site. Image URLs keep
Tiki's CDN form.
"""

from __future__ import annotations

import hashlib
import html
from typing import Any

from crawler.text import fold

PUBLIC_BASE = "https://tiki.vn"
_ORIGIN_EN = {
    "Trung Quốc": "China", "Việt Nam": "Vietnam", "Hàn Quốc": "Korea", "Nhật Bản": "Japan", "Pháp": "France",
    "Mỹ": "USA", "Thái Lan": "Thailand", "Singapore": "Singapore",
}


def _num(*parts: object, mod: int = 9_000) -> int:
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()
    return 1_000 + int(digest[:8], 16) % mod


def rebase(url: str | None, base: str) -> str | None:
    """A ``https://tiki.vn/...`` URL of the demo data as served from ``base``."""
    if url and url.startswith(PUBLIC_BASE):
        return base.rstrip("/") + url[len(PUBLIC_BASE):]
    return url


def url_path(record: dict[str, Any]) -> str:
    """The listing's ``url_path`` (``slug-p123.html?spid=456``), read off its public URL."""
    return record["url"][len(PUBLIC_BASE) + 1:]


def spid(record: dict[str, Any]) -> int:
    """The seller-product id Tiki puts in ``url_path`` (``?spid=``)."""
    return int(url_path(record).rsplit("spid=", 1)[1])


def _prices(record: dict[str, Any], price_override: Any) -> tuple[Any, int, int, int]:
    price = record["price"]
    original = record["original_price"] or 0
    shown: Any = "Liên hệ" if price is None else price
    if price_override is not None:
        shown = price_override
    discount = max(0, original - price) if isinstance(price, int) and original else 0
    rate = round(discount * 100 / original) if original else 0
    return shown, original, discount, rate


def _category_crumbs(record: dict[str, Any]) -> list[tuple[str, int]]:
    names = [part.strip() for part in (record.get("category") or "").split(" > ") if part.strip()]
    return [(name, _num("cat", name, mod=60_000)) for name in names]


def _sold(record: dict[str, Any]) -> dict[str, Any] | None:
    sold = record.get("sold_count")
    if not sold:
        return None
    return {"text": f"Đã bán {sold}", "value": sold}


def _review_count(record: dict[str, Any]) -> int:
    return 0 if record.get("rating") is None else 1 + (record.get("sold_count") or 0) // 7


def search_item(record: dict[str, Any], position: int, *, price_override: Any = None) -> dict[str, Any]:
    """The listing as one ``data[]`` item of Tiki's search/listing API."""
    product_id = int(str(record["listing_id"]).split("-", 1)[0])  # "<product id>-<spid>"
    path = url_path(record)
    seller = record["seller"]
    shown, original, discount, rate = _prices(record, price_override)
    crumbs = _category_crumbs(record)
    thumb = record["images"][0].replace("/ts/", "/cache/280x280/ts/", 1) if record["images"] else ""
    official = bool(seller.get("official"))
    rating = record.get("rating") or 0
    sold = record.get("sold_count") or 0
    return {
        "id": product_id,
        "sku": str(_num("sku", product_id, mod=8_999_999_999) * 1_000 + 137),
        "name": record["title"],
        "url_key": path.split(".html", 1)[0],
        "url_path": path,
        "type": "simple",
        "author_name": "",
        "book_cover": None,
        "brand_name": record.get("brand") or "",
        "short_description": "",
        "price": shown,
        "list_price": 0,
        "badges": [],
        "badges_new": [],
        "discount": discount,
        "discount_rate": rate,
        "rating_average": rating,
        "review_count": _review_count(record),
        "order_count": 0,
        "favourite_count": 0,
        "thumbnail_url": thumb,
        "thumbnail_width": 280,
        "thumbnail_height": 280,
        "freegift_items": [],
        "has_ebook": False,
        "inventory_status": "available",
        "is_visible": True,
        "productset_id": crumbs[0][1] if crumbs else 0,
        "productset_group_name": "/".join(name for name, _ in crumbs),
        "seller": None,
        "is_flower": False,
        "is_gift_card": False,
        "inventory": {"product_virtual_type": None, "fulfillment_type": "dropship"},
        "url_attendant_input_form": "",
        "option_color": [],
        "stock_item": {},
        "salable_type": "",
        "seller_product_id": spid(record),
        "installment_info": None,
        "url_review": "",
        "bundle_deal": False,
        "quantity_sold": _sold(record),
        "tiki_live": None,
        "original_price": original,
        "shippable": True,
        "impression_info": [{
            "impression_id": f"demo-{product_id}",
            "metadata": {
                "category": crumbs[-1][1] if crumbs else 0, "discount_rate": rate, "is_ad": 0,
                "is_official_store": int(official), "mpid": product_id, "position": position,
                "price": shown, "quantity_sold": sold, "rating": rating, "spid": spid(record), "tiki_verified": 0,
            },
            "checksum": "",
        }],
        "advertisement": None,
        "availability": 1,
        "primary_category_path": "/".join(["1", "2", *(str(cid) for _, cid in crumbs)]),
        "product_reco_score": 0,
        "seller_id": int(seller["platform_id"]),
        "visible_impression_info": {"amplitude": {
            "all_time_quantity_sold": sold,
            "brand_name": record.get("brand") or "",
            **{f"category_l{i + 1}_name": name for i, (name, _) in enumerate(crumbs[:3])},
            "is_authentic": int(official),
            "number_of_reviews": _review_count(record),
            "origin": _ORIGIN_EN.get(record.get("origin") or "", record.get("origin") or ""),
            "price": shown,
            "primary_category_name": crumbs[-1][0] if crumbs else "",
            "product_rating": rating,
            "seller_id": int(seller["platform_id"]),
            "seller_product_id": spid(record),
            "seller_type": "OFFICIAL_STORE" if official else "MARKETPLACE",
        }},
        "badges_v3": [],
    }


def description_html(text: str | None) -> str:
    """Plain text → the HTML Tiki keeps in ``description`` (one ``<p>`` a line, text escaped)."""
    if not text:
        return ""
    return "".join(f"<p>{html.escape(line, quote=False)}</p>" for line in text.split("\n"))


def _image(url: str) -> dict[str, Any]:
    return {
        "base_url": url,
        "is_gallery": True,
        "label": None,
        "large_url": url.replace("/ts/", "/cache/w1200/ts/", 1),
        "medium_url": url.replace("/ts/", "/cache/w300/ts/", 1),
        "position": None,
        "small_url": url.replace("/ts/", "/cache/200x280/ts/", 1),
        "thumbnail_url": url.replace("/ts/", "/cache/200x280/ts/", 1),
    }


def detail(record: dict[str, Any], base: str, *, price_override: Any = None) -> dict[str, Any]:
    """The listing as Tiki's product-detail object, links pointing at ``base``."""
    item = search_item(record, 0, price_override=price_override)
    product_id = item["id"]
    seller = record["seller"]
    shown, original, discount, rate = _prices(record, price_override)
    brand = record.get("brand") or "OEM"
    content = [{"code": "brand", "name": "Thương hiệu", "value": brand}]
    if record.get("origin"):
        content.append({"code": "origin", "name": "Xuất xứ (Made in)", "value": record["origin"]})
    crumbs = [
        {"url": f"/{'-'.join(fold(name).split())}/c{cid}", "name": name, "category_id": cid}
        for name, cid in _category_crumbs(record)
    ]
    crumbs.append({"url": rebase(record["url"], base), "name": record["title"], "category_id": 0})
    text = record.get("description") or ""
    sold = _sold(record)
    return {
        "id": product_id,
        "master_id": product_id,
        "sku": item["sku"],
        "name": record["title"],
        "url_key": item["url_key"],
        "url_path": item["url_path"],
        "short_url": f"{base.rstrip('/')}/product-p{product_id}.html?spid={item['seller_product_id']}",
        "type": "simple",
        "book_cover": None,
        "short_description": (text[:197] + "...") if len(text) > 200 else text,
        "price": shown,
        "list_price": original,
        "original_price": original,
        "badges": [],
        "badges_new": [],
        "badges_v3": None,
        "tracking_info": None,
        "discount": discount,
        "discount_rate": rate,
        "rating_average": item["rating_average"],
        "review_count": item["review_count"],
        "review_text": f"({item['review_count']})",
        "favourite_count": 0,
        "thumbnail_url": item["thumbnail_url"],
        "has_ebook": False,
        "inventory_status": "available",
        "inventory_type": "backorder",
        "productset_group_name": item["productset_group_name"],
        "is_fresh": False,
        "seller": None,
        "is_flower": False,
        "is_gift_card": False,
        "salable_type": None,
        "data_version": 3300,
        "day_ago_created": _num("age", product_id, mod=900),
        "meta_title": "",
        "meta_description": "",
        "meta_keywords": "",
        "is_baby_milk": False,
        "is_acoholic_drink": False,
        "description": description_html(text),
        "images": [_image(url) for url in record["images"]],
        "warranty_policy": None,
        "brand": {"id": _num("brand", brand, mod=900_000), "name": brand, "slug": "-".join(fold(brand).split())},
        "current_seller": {
            "id": int(seller["platform_id"]),
            "sku": item["sku"],
            "name": seller["name"],
            "link": rebase(seller["url"], base),
            "logo": f"https://vcdn.tikicdn.com/ts/seller/{_num('logo', seller['platform_id'])}.jpg",
            "price": shown,
            "product_id": str(item["seller_product_id"]),
            "store_id": int(seller["platform_id"]) + 7,
            "is_best_store": False,
            "is_offline_installment_supported": None,
        },
        "other_sellers": [],
        "specifications": [
            {"name": "Content", "attributes": content},
            {"name": "Operation", "attributes": [
                {"code": "is_warranty_applied", "name": "Sản phẩm có được bảo hành không?", "value": "Có"},
            ]},
        ],
        "product_links": [],
        "gift_item_title": "",
        "services_and_promotions": [],
        "promitions": [],
        "breadcrumbs": crumbs,
        "installment_info_v2": None,
        "is_seller_in_chat_whitelist": False,
        "inventory": {"product_virtual_type": None, "fulfillment_type": "dropship"},
        "warranty_info": None,
        "return_and_exchange_policy": "",
        "is_tier_pricing_available": False,
        "is_tier_pricing_eligible": False,
        "stock_item": {"max_sale_qty": 1000, "min_sale_qty": 1, "preorder_date": None, "qty": 1000},
        "categories": {"id": crumbs[-2]["category_id"] if len(crumbs) > 1 else 2,
                       "name": crumbs[-2]["name"] if len(crumbs) > 1 else "Root", "is_leaf": True},
        "quantity_sold": sold,
        "all_time_quantity_sold": sold["value"] if sold else None,
    }


def search_page(items: list[dict[str, Any]], *, total: int, page: int, limit: int) -> dict[str, Any]:
    """The search response around one page of items, with Tiki's ``paging`` block."""
    last_page = max(1, -(-total // limit))
    start = (page - 1) * limit
    return {
        "data": items,
        "paging": {
            "total": total,
            "per_page": limit,
            "current_page": page,
            "last_page": last_page,
            "from": start + 1 if items else 0,
            "to": start + len(items),
        },
    }
