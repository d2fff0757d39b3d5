"""Render a demo listing in Sendo's search-API and (our reading of the) detail-API formats.

- :func:`search_item` — one ``data[]`` product of ``searchlist-api.sendo.vn/web/products``, with the
  field names and types of ``eval/raw/sendo/sendo_*_600.json`` (no brand in it);
- :func:`detail` — ``detail-api.sendo.vn/full/{id}``: no real sample of this response exists here, so
  the shape is the one ``spiders/formats/sendo.py`` documents (``data{…, brand_info, shop_info,
  attribute[] with search_key "xuat_xu"}``).
"""

from __future__ import annotations

import html
from typing import Any

PUBLIC_BASE = "https://www.sendo.vn"


def path(record: dict[str, Any]) -> str:
    """``category_path``: the product page's path on www.sendo.vn (``slug-<id>.html``)."""
    return record["url"][len(PUBLIC_BASE) + 1:]


def _shop(seller: dict[str, Any]) -> dict[str, Any]:
    return {"id": int(seller["platform_id"]), "name": seller.get("name"), "status": 2,
            "ware_house_region_name": seller.get("province") or "", "badge_urls": {}}


def search_item(record: dict[str, Any]) -> dict[str, Any]:
    """The listing as one search-API product."""
    price = record["price"] or 0
    original = record.get("original_price") or price
    sold = record.get("sold_count")
    item: dict[str, Any] = {
        "id": int(record["listing_id"]),
        "name": record["title"],
        "category_path": path(record),
        "image": record["images"][0] if record["images"] else "",
        "default_price_min": original, "default_price_max": original,
        "sale_price_min": price, "sale_price_max": price,
        "seller_admin_id": int(record["seller"]["platform_id"]),
        "sku_user": record["title"][:40],
        "product_type": 23, "status_new": 2, "stock_status": 1, "search_feed_type": "SKU",
        "shop": _shop(record["seller"]),
        "rated": {} if record.get("rating") is None else {"total": 1 + (sold or 0), "star": record["rating"]},
        "options": {},
        "package_discount": [],
    }
    if original > price:
        item["sale_percent"] = round((original - price) * 100 / original)
    if sold:
        item.update({"sold": sold, "order_count_text": str(sold)})
    return item


def detail(record: dict[str, Any]) -> dict[str, Any]:
    """``/full/{id}``: the product with description, brand, origin attribute, categories and shop."""
    price = record["price"] or 0
    original = record.get("original_price") or price
    attributes = []
    if record.get("brand"):
        attributes.append({"name": "Thương hiệu", "search_key": "thuong_hieu",
                           "value": [{"name": record["brand"], "selected": True}]})
    if record.get("origin"):
        attributes.append({"name": "Xuất xứ", "search_key": "xuat_xu",
                           "value": [{"name": "Khác", "selected": False},
                                     {"name": record["origin"], "selected": True}]})
    desc = "".join(f"<p>{html.escape(line)}</p>" for line in (record.get("description") or "").split("\n") if line)
    seller = record["seller"]
    sold = record.get("sold_count")
    crumbs = [name for name in (record.get("category") or "").split(" > ") if name]
    rated = 0 if record.get("rating") is None else 1 + (sold or 0)
    return {"status": {"code": 200, "message": "OK"}, "data": {
        "id": int(record["listing_id"]),
        "name": record["title"],
        "cat_path": path(record),
        "price": original, "final_price": price,
        "promotion_percent": round((original - price) * 100 / original) if original > price else 0,
        "description": desc or None,
        "brand_info": {"id": 1000 + len(record["brand"]), "name": record["brand"]} if record.get("brand") else None,
        "shop_info": {"shop_id": int(seller["platform_id"]), "shop_name": seller.get("name"),
                      "warehouse_region_name": seller.get("province") or "",
                      "is_certificated": bool(seller.get("official"))},
        "attribute": attributes,
        "category_info": [{"id": 100 + i, "title": name} for i, name in enumerate(crumbs)],
        "media": [{"type": "image", "image": url} for url in record["images"]],
        "rating_info": {"percent_star": record.get("rating") or 0, "total_rated": rated},
        **({"order_count": sold} if sold else {}),
    }}
