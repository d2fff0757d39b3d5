"""Shopee's browser pages on the demo marketplace: HTML whose JavaScript fetches the v4 JSON API.

Shopee serves its search and product pages as an empty shell that fetches JSON from ``/api/v4/…``;
only a browser sees the listings. These pages do the same against the demo's own API:

- ``/shopee/search?keyword=K&page=P``        fetches ``search_items?keyword=K&newest=P*60…``
  (``&facet=CATID``: within that category, ``match_id=CATID``)
- ``/shopee/shop/<shopid>/search?page=P``    fetches ``search_items?match_id=<shopid>&page_type=shop…``
- ``/shopee/<slug>-cat.<catid>?page=P``      fetches ``search_items?match_id=<catid>&scenario=PAGE_CATEGORY…``
- ``/shopee/<slug>-i.<shopid>.<itemid>``     a product page: fetches ``item/get`` and ``get_shop_info``
- ``/shopee/api/v4/search/search_items`` with ``match_id``: a shop's (``page_type=shop``) or a
  category's listings (the demo's catid, as in the search entries); without ``match_id`` the
  marketplace's built-in keyword search answers. A ``keyword`` narrows a category's listings.

``P`` is 0-based as on Shopee. Page numbers and ids are read by the page's script from its own URL.
"""

from __future__ import annotations

import json
import re
from typing import Any

from crawler.demo.formats import shopee as shopee_format

PREFIX = "/shopee"
PAGE_SIZE = 60

_SCRIPT = """
const api = %(api)s, mode = %(mode)s, target = %(target)s;
const params = new URLSearchParams(location.search);
const page = Math.max(0, parseInt(params.get("page") || "0", 10) || 0);
function card(entry) {
  const basic = entry.item_basic || entry;
  const asset = entry.item_card_displayed_asset || {};
  const name = basic.name || asset.name || "";
  const a = document.createElement("a");
  a.className = "shopee-search-item-result__item";
  a.href = api.replace(/\\/api\\/v4$/, "") + "/product-i." + basic.shopid + "." + basic.itemid;
  a.textContent = name;
  const li = document.createElement("li");
  li.appendChild(a);
  return li;
}
function searchUrl() {
  const q = new URLSearchParams({by: "relevancy", limit: "%(size)d", newest: String(page * %(size)d),
                                 order: "desc", version: "2"});
  if (mode === "keyword") {
    q.set("keyword", params.get("keyword") || ""); q.set("page_type", "search");
    q.set("scenario", params.get("facet") ? "PAGE_CATEGORY" : "PAGE_GLOBAL_SEARCH");
    if (params.get("facet")) q.set("match_id", params.get("facet"));
  } else if (mode === "shop") {
    q.set("match_id", target); q.set("page_type", "shop"); q.set("scenario", "PAGE_SHOP_SEARCH");
  } else {
    q.set("match_id", target); q.set("page_type", "search"); q.set("scenario", "PAGE_CATEGORY");
  }
  return api + "/search/search_items?" + q.toString();
}
async function render() {
  const list = document.getElementById("results");
  const data = await (await fetch(searchUrl(), {headers: {"x-api-source": "pc"}})).json();
  const entries = data.items || (data.centralize_item_card || {}).item_cards || [];
  entries.forEach(e => list.appendChild(card(e)));
  document.getElementById("count").textContent = entries.length + " sản phẩm";
}
render();
"""

_PRODUCT_SCRIPT = """
const api = %(api)s, shopid = %(shopid)s, itemid = %(itemid)s;
async function render() {
  const item = await (await fetch(api + "/item/get?itemid=" + itemid + "&shopid=" + shopid)).json();
  const shop = await (await fetch(api + "/product/get_shop_info?shopid=" + shopid)).json();
  const d = item.data || {};
  document.getElementById("name").textContent = d.name || "Sản phẩm không tồn tại";
  const price = typeof d.price === "number" ? (d.price / 100000).toLocaleString("vi-VN") + "₫" : "Liên hệ";
  document.getElementById("price").textContent = price;
  document.getElementById("desc").textContent = d.description || "";
  document.getElementById("shop").textContent = (shop.data || {}).name || "";
}
render();
"""


def _page(handler: Any, title: str, body: str, script: str) -> None:
    html = (
        "<!doctype html><html lang=vi><head><meta charset=utf-8>"
        f"<title>{title}</title><style>body{{font-family:sans-serif;margin:2em}}</style></head>"
        f"<body>{body}<script>{script}</script></body></html>"
    )
    handler._send(200, html.encode("utf-8"), "text/html; charset=utf-8")


def _search_page(handler: Any, mode: str, target: str) -> None:
    script = _SCRIPT % {"api": json.dumps(f"{PREFIX}/api/v4"), "mode": json.dumps(mode),
                        "target": json.dumps(target), "size": PAGE_SIZE}
    _page(handler, "Shopee Việt Nam", "<h1>Kết quả tìm kiếm</h1><p id=count></p><ul id=results></ul>", script)


def _product_page(handler: Any, shopid: str, itemid: str) -> None:
    script = _PRODUCT_SCRIPT % {"api": json.dumps(f"{PREFIX}/api/v4"), "shopid": json.dumps(shopid),
                                "itemid": json.dumps(itemid)}
    body = ("<div class=product><h1 id=name></h1><div id=price class=price></div>"
            "<div>Shop: <span id=shop></span></div><pre id=desc></pre></div>")
    _page(handler, "Shopee Việt Nam", body, script)


def _catid(record: dict[str, Any]) -> str:
    return str(shopee_format.item_basic(record)["item_basic"]["catid"])


def _filtered_search(handler: Any, query: dict[str, list[str]]) -> None:
    match_id = query["match_id"][0]
    shop = query.get("page_type", [""])[0] == "shop"
    found, _ = handler.market.search("shopee", "" if shop else query.get("keyword", [""])[0])
    records = [
        r for r in found
        if (str(r["seller"]["platform_id"]) == match_id if shop else _catid(r) == match_id)
    ]
    try:
        newest = max(0, int(query.get("newest", ["0"])[0]))
        limit = min(100, max(1, int(query.get("limit", [str(PAGE_SIZE)])[0])))
    except ValueError:
        handler._json({"error": {"code": 400, "message": "newest and limit must be integers"}}, 400)
        return
    chunk = records[newest: newest + limit]
    wanted = query.get("format", [handler.market.shopee_format])[0]
    cards = wanted == "cards" or (wanted == "alternate" and (newest // limit) % 2 == 1)
    render = shopee_format.item_card if cards else shopee_format.item_basic
    handler._json(shopee_format.search_response(
        [render(r) for r in chunk], cards=cards, total=len(records), nomore=newest + limit >= len(records)
    ))


def handle(handler: Any, path: str, query: dict[str, list[str]]) -> bool:
    """Answer Shopee's browser pages and the filtered search; False for anything else."""
    if not path.startswith(PREFIX + "/"):
        return False
    rest = path[len(PREFIX):]
    if rest == "/search":
        _search_page(handler, "keyword", "")
    elif m := re.fullmatch(r"/shop/(\d+)/search", rest):
        _search_page(handler, "shop", m[1])
    elif m := re.fullmatch(r"/[^/]*-cat\.(\d+)", rest):
        _search_page(handler, "category", m[1])
    elif m := re.fullmatch(r"/[^/]*-i\.(\d+)\.(\d+)", rest):
        _product_page(handler, m[1], m[2])
    elif rest == "/api/v4/search/search_items" and query.get("match_id", [""])[0].isdigit():
        _filtered_search(handler, query)
    else:
        return False
    return True
