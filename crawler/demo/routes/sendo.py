"""Sendo on the demo marketplace: search API, detail API and product pages.

- ``/sendo_search/web/products?q=K&page=N&size=60[&category_id=C][&seller_admin_id=S]``  ``{"data": [...]}``
- ``/sendo_detail/full/<id>``                                          ``{"data": {...}}`` (our reading)
- ``/sendo/<slug>-<id>.html``, ``/sendo/shop/<id>``                    small HTML pages

With ``--raw-samples``: a search whose ``q`` names a real sample (``iphone`` →
``sendo/sendo_iphone_600.json``, ``ao-so-mi-nam``) serves that file's 600 products ``size`` a page,
and ``/sendo_detail/full/<id>`` of those products serves a detail rendered from the search item
(no real detail sample exists, so it has no brand or origin).
"""

from __future__ import annotations

import re
from typing import Any

from crawler.demo.formats import sendo as fmt
from crawler.demo.marketplace import keyword_match
from crawler.demo.routes._common import int_param, param, raw_file, raw_json, send_page

RAW_QUERIES = ("iphone", "ao-so-mi-nam")


def _raw_products(handler: Any) -> dict[str, dict[str, Any]]:
    products: dict[str, dict[str, Any]] = {}
    for name in RAW_QUERIES:
        data = raw_json(handler, "sendo", f"sendo_{name}_600.json")
        for item in (data or {}).get("products", []):
            products[str(item.get("id"))] = item
    return products


def _raw_detail(item: dict[str, Any]) -> dict[str, Any]:
    shop = item.get("shop") or {}
    return {"status": {"code": 200}, "data": {
        "id": item["id"], "name": item["name"], "cat_path": item.get("category_path"),
        "price": item.get("default_price_min"), "final_price": item.get("sale_price_min"),
        "shop_info": {"shop_id": shop.get("id"), "shop_name": shop.get("name"),
                      "warehouse_region_name": shop.get("ware_house_region_name")},
        "media": [{"image": item.get("image")}], "attribute": [], "category_info": [],
    }}


def handle(handler: Any, path: str, query: dict[str, list[str]]) -> bool:
    """Answer Sendo requests; False for other paths."""
    if path == "/sendo_search/web/products":
        _search(handler, query)
        return True
    if m := re.fullmatch(r"/sendo_detail/full/(\d+)", path):
        record = next((r for r in handler.market.platform("sendo") if r["listing_id"] == m[1]), None)
        if record is not None:
            handler._json(fmt.detail(record))
        elif handler.market.raw_samples is not None and m[1] in _raw_products(handler):
            handler._json(_raw_detail(_raw_products(handler)[m[1]]))
        else:
            handler._json({"status": {"code": 404, "message": "Sản phẩm không tồn tại"}, "data": None}, 404)
        return True
    if path.startswith("/sendo/"):
        handler._html("Sendo", [path])
        return True
    return False


def _search(handler: Any, query: dict[str, list[str]]) -> None:
    page, size = max(1, int_param(query, "page", 1)), max(1, min(100, int_param(query, "size", 60)))
    keyword = param(query, "q")
    if keyword in RAW_QUERIES and raw_file(handler, "sendo", f"sendo_{keyword}_600.json"):
        products = raw_json(handler, "sendo", f"sendo_{keyword}_600.json")["products"]
        handler._json({"data": products[(page - 1) * size: page * size]})
        return
    found, faults = keyword_match(handler.market.platform("sendo"), keyword)
    if seller := param(query, "seller_admin_id"):
        found = [r for r in found if r["seller"]["platform_id"] == seller]
    if category := param(query, "category_id"):
        found = [r for r in found if str(fmt.category_id(r)) == category]
    if handler.fault_response(faults):
        return
    chunk = found[(page - 1) * size: page * size]
    send_page(handler, {"data": [fmt.search_item(r) for r in chunk]}, faults)
