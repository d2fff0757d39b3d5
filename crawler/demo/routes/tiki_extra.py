"""Tiki beyond the built-in routes: seller stores, product pages with ``__NEXT_DATA__``, raw details.

- ``/tiki_api/v2/seller/stores/<slug>/products?limit=50&page=N`` — a seller's store listing (our Tiki
  listings whose seller URL ends in ``/cua-hang/<slug>``), the search API's item format plus
  ``sp_seller_id``/``sp_seller_name``, with ``paging``;
- ``/tiki/<slug>-p<id>.html`` — the product page: the built-in small HTML page plus a
  ``<script id="__NEXT_DATA__">`` holding the product-detail object at
  ``props.initialState.desktop.product.data`` (where ``eval/raw/tiki/tiki.html`` has it).

With ``--raw-samples``: ``/tiki_api/v2/seller/stores/vua-nem-official-store/products`` serves the 94
real items of ``tiki/tiki.json`` 50 a page, ``/tiki/api/v2/products/<id>`` of the 462 products in
``tiki/success_002.json`` serves the real detail object, and the search ``/tiki/api/v2/products?category=1883``
(the request the preview recorded) serves the 40 real search items of
``tiki/tiki_products_preview_20260417_020417.csv`` (one page; each row's values turned back into JSON:
numbers, and the Python reprs of its nested objects parsed; empty cells left out).
"""

from __future__ import annotations

import ast
import csv
import html
import json
import re
from typing import Any

from crawler.demo.formats import tiki as tiki_format
from crawler.demo.routes._common import int_param, param, raw_file, raw_json

RAW_STORE = "vua-nem-official-store"
RAW_SEARCH = ("1883", "tiki_products_preview_20260417_020417.csv")


def _cell(text: str) -> Any:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return text


def raw_search_items(handler: Any) -> list[dict[str, Any]] | None:
    """The real search items of the preview CSV; None when not served."""
    path = raw_file(handler, "tiki", RAW_SEARCH[1])
    if path is None:
        return None

    def load() -> list[dict[str, Any]]:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
        return [{key: _cell(value) for key, value in row.items() if value != "" and key != "extracted_at"}
                for row in rows]

    return handler.market.cached(str(path), load)


def _page(handler: Any, product_id: str) -> bool:
    record = handler.market.by_id.get(("tiki", product_id))
    if record is None:
        return False
    detail = tiki_format.detail(record, handler.base + "/tiki")
    data = {"props": {"isServer": True, "initialState": {"desktop": {"product": {"data": detail}}}},
            "page": "/product", "query": {"id": product_id}}
    script = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    body = (f"<!doctype html><html lang=vi><meta charset=utf-8><title>{html.escape(record['title'])}</title>"
            f"<h1>{html.escape(record['title'])}</h1>"
            f'<script id="__NEXT_DATA__" type="application/json">{script}</script></html>')
    handler._send(200, body.encode("utf-8"), "text/html; charset=utf-8")
    return True


def _store(handler: Any, slug: str, query: dict[str, list[str]]) -> None:
    page, limit = max(1, int_param(query, "page", 1)), max(1, min(100, int_param(query, "limit", 50)))
    raw = raw_json(handler, "tiki", "tiki.json") if slug == RAW_STORE else None
    if raw is not None:
        items = raw[(page - 1) * limit: page * limit]
        total = len(raw)
    else:
        mine = [r for r in handler.market.listings
                if r["platform"] == "tiki" and (r["seller"].get("url") or "").rstrip("/").endswith(f"/cua-hang/{slug}")]
        total = len(mine)
        items = []
        for index, record in enumerate(mine[(page - 1) * limit: page * limit]):
            item = tiki_format.search_item(record, (page - 1) * limit + index + 1)
            item.update({"sp_seller_id": int(record["seller"]["platform_id"]),
                         "sp_seller_name": record["seller"].get("name")})
            items.append(item)
    last = max(1, -(-total // limit))
    handler._json({"data": items, "paging": {"current_page": page, "last_page": last, "per_page": limit,
                                             "total": total, "from": (page - 1) * limit + 1,
                                             "to": min(total, page * limit)}})


def handle(handler: Any, path: str, query: dict[str, list[str]]) -> bool:
    """Answer the extra Tiki paths; False for everything else."""
    if m := re.fullmatch(r"/tiki_api/v2/seller/stores/([\w.-]+)/products", path):
        _store(handler, m[1], query)
        return True
    if path == "/tiki/api/v2/products" and param(query, "category") == RAW_SEARCH[0]:
        items = raw_search_items(handler)
        if items is not None:
            page = max(1, int_param(query, "page", 1))
            chunk = items if page == 1 else []
            handler._json({"data": chunk, "paging": {"current_page": page, "last_page": 1, "per_page": 40,
                                                     "total": len(items)}})
            return True
    if m := re.fullmatch(r"/tiki/(?:.*-)?p(\d+)\.html", path):
        return _page(handler, m[1])
    if (m := re.fullmatch(r"/tiki/api/v2/products/(\d+)", path)) and handler.market.raw_samples is not None:
        if handler.market.by_id.get(("tiki", m[1])) is not None:
            return False
        details = raw_json(handler, "tiki", "success_002.json") or []
        index = handler.market.cached("tiki-raw-index", lambda: {str(d.get("id")): d for d in details})
        if m[1] in index:
            handler._json(index[m[1]])
            return True
    return False
