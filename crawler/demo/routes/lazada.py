"""Lazada on the demo marketplace: ``?ajax=true`` listing JSON and product pages under ``/lazada``.

- ``/lazada/catalog/?ajax=true&q=K&page=N``                    search (our listings, 4 a page)
- ``/lazada/<store-slug>/?ajax=true&from=wangpu&page=N``       a store (slug of the seller's name)
- ``/lazada/<category-slug>/?ajax=true&q=K&page=N``            any other slug: titles holding its words
- ``/lazada/products/<slug>-i<id>-s<sku>.html``                product page with Product JSON-LD

The fault token ``__html__`` in ``q`` makes the ajax URL answer the HTML listing page, its JSON in
``window.pageData`` (as Lazada does to some clients).

With ``--raw-samples``: ``/lazada/zinus-official-store/?ajax=true…`` serves the real store sample
(``lazada/[lazada]__[zinus-official-store]__[2021-09-22].json``, 40 items a page).
"""

from __future__ import annotations

import re
from typing import Any

from crawler.demo.formats import lazada as fmt
from crawler.demo.marketplace import keyword_match
from crawler.demo.routes._common import int_param, param, raw_json, send_page, slug

PAGE_SIZE = 4
RAW_PAGE_SIZE = 40
RAW_STORE = "zinus-official-store"


def handle(handler: Any, path: str, query: dict[str, list[str]]) -> bool:
    """Answer ``/lazada/…`` requests; False for other paths."""
    if not path.startswith("/lazada/"):
        return False
    records = handler.market.platform("lazada")
    if m := re.fullmatch(r"/lazada/products/[\w.-]*-i(\d+)(?:-s\d+)?\.html", path):
        found = [r for r in records if fmt.ids(r)[0] == m[1]]
        if not found:
            handler._html("Không tìm thấy sản phẩm", [m[1]], 404)
        else:
            handler._send(200, fmt.product_page(found[0]).encode("utf-8"), "text/html; charset=utf-8")
        return True
    m = re.fullmatch(r"/lazada/([\w-]+)/?", path)
    if not m or param(query, "ajax") != "true":
        return False  # only the ajax JSON and product pages are served; the rest is the usual 404
    name, page = m[1], max(1, int_param(query, "page", 1))
    keyword = param(query, "q")
    raw = raw_json(handler, "lazada", f"[lazada]__[{RAW_STORE}]__[2021-09-22].json") if name == RAW_STORE else None
    if raw is not None:
        chunk = raw[(page - 1) * RAW_PAGE_SIZE: page * RAW_PAGE_SIZE]
        handler._json(fmt.page(chunk, page=page, size=RAW_PAGE_SIZE, total=len(raw), query="All-Products"))
        return True
    stores = {slug(r["seller"]["name"] or ""): r["seller"]["platform_id"] for r in records}
    found, faults = keyword_match(records, keyword)
    if name in stores:
        found = [r for r in found if r["seller"]["platform_id"] == stores[name]]
    elif name != "catalog":
        found = [r for r in found if all(word in r["_folded"] for word in name.split("-"))]
    if handler.fault_response(faults):
        return True
    chunk = found[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    payload = fmt.page([fmt.list_item(r) for r in chunk], page=page, size=PAGE_SIZE, total=len(found), query=keyword)
    if "__html__" in faults:
        handler._send(200, fmt.html_page(payload).encode("utf-8"), "text/html; charset=utf-8")
        return True
    send_page(handler, payload, faults)
    return True
