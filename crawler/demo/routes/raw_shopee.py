"""The real Shopee samples on the demo marketplace (only with ``--raw-samples``), at Shopee's own paths.

- ``/shopee/api/v4/search/search_items?match_id=<shopid>&page_type=shop…`` (a shop's search, as the
  page ``shopee.vn/shop/<shopid>/search`` fetches it): shop 203699428 → ``shopee/search_items.json``
  (2022–23 ``items[].item_basic``), shop 978489333 → ``shopee/shopee_data.json`` (2025–26 item cards),
  served whole (each is one real page; ``nomore`` as recorded).
- ``/shopee/api/v4/item/get?itemid=&shopid=`` for the 80 items of
  ``shopee/[shopee]__[vua_nem_official_store]__2021-09-30.json`` → ``{"error": null, "data": item}``
  (the sample keeps a field subset).

Anything else falls through to the other Shopee routes (our own listings). The module is named so
that it sorts before ``shopee_browser`` (routes are asked in module-name order).
"""

from __future__ import annotations

from typing import Any

from crawler.demo.routes._common import param, raw_json

SHOP_FILES = {"203699428": "search_items.json", "978489333": "shopee_data.json"}
ITEM_FILE = "[shopee]__[vua_nem_official_store]__2021-09-30.json"


def handle(handler: Any, path: str, query: dict[str, list[str]]) -> bool:
    """Answer requests for the real Shopee samples; False for everything else."""
    if handler.market.raw_samples is None:
        return False
    if path == "/shopee/api/v4/search/search_items" and param(query, "match_id") in SHOP_FILES:
        payload = raw_json(handler, "shopee", SHOP_FILES[param(query, "match_id")])
        if payload is None:
            return False
        if param(query, "newest", "0") not in ("", "0"):  # one recorded page: nothing after it
            payload = {"error": 0, "error_msg": "", "items": [], "nomore": True,
                       "total_count": payload.get("total_count")}
        handler._json(payload)
        return True
    if path == "/shopee/api/v4/item/get":
        items = raw_json(handler, "shopee", ITEM_FILE) or []
        wanted = (param(query, "itemid"), param(query, "shopid"))
        for item in items:
            if (str(item.get("itemid")), str(item.get("shopid"))) == wanted:
                handler._json({"error": None, "error_msg": None, "data": item})
                return True
    return False
