"""Render a demo listing in Lazada's ``?ajax=true`` listing format (``mods.listItems`` + ``mainInfo``).

Field names, nesting and string-typed values are those of Lazada's store/catalog ajax JSON (real
sample: ``eval/raw/lazada/[lazada]__[zinus-official-store]__…json``): prices are digit strings
(``"310000"``), ``priceShow`` the formatted "310.000 ₫", ``productUrl`` protocol-relative on
www.lazada.vn. The product page (one-URL mode) carries schema.org Product JSON-LD.
"""

from __future__ import annotations

import html
import json
import re
import zlib
from typing import Any

PUBLIC_BASE = "https://www.lazada.vn"


def _show(value: int | None) -> str:
    return "" if value is None else f"{value:,}".replace(",", ".") + " ₫"


def ids(record: dict[str, Any]) -> tuple[str, str]:
    """``(itemId, skuId)`` from the record's ``…-i<item>-s<sku>.html`` URL."""
    match = re.search(r"-i(\d+)-s(\d+)\.html", record["url"])
    if not match:
        raise ValueError(f"lazada demo record {record['listing_id']}: URL has no -i<id>-s<sku>")
    return match[1], match[2]


def list_item(record: dict[str, Any]) -> dict[str, Any]:
    """The listing as one ``mods.listItems`` entry."""
    item_id, sku_id = ids(record)
    seller = record["seller"]
    price, original = record["price"], record.get("original_price")
    discount = f"-{round((original - price) * 100 / original)}%" if price and original else ""
    reviews = 0 if record.get("rating") is None else 3 + (record.get("sold_count") or 9)
    return {
        "name": record["title"],
        "nid": item_id,
        "productUrl": "//www.lazada.vn" + record["url"][len(PUBLIC_BASE):] + "?mp=1",
        "image": record["images"][0] if record["images"] else "",
        "originalPrice": f"{original}.00" if original else "",
        "originalPriceShow": _show(original),
        "price": "" if price is None else str(price),
        "promotionId": "null",
        "priceShow": _show(price),
        "discount": discount,
        "ratingScore": "" if record.get("rating") is None else str(record["rating"]),
        "review": str(reviews) if reviews else "",
        "installment": "",
        "tItemType": "nt_product",
        "location": seller.get("province") or record.get("ships_from") or "",
        "cheapest_sku": f"{item_id}_VNAMZ-{sku_id}",
        "sku": f"{item_id}_VNAMZ",
        "brandId": str(zlib.crc32(record["brand"].encode())) if record.get("brand") else "",
        "brandName": record.get("brand") or "No Brand",
        "sellerId": seller["platform_id"],
        "mainSellerId": "",
        "sellerName": seller.get("name") or "",
        "itemId": item_id,
        "skuId": sku_id,
        "inStock": True,
        "isAD": 0,
        "addToCart": False,
    }


def page(items: list[dict[str, Any]], *, page: int, size: int, total: int, query: str) -> dict[str, Any]:
    """One ajax listing page."""
    return {
        "templates": {},
        "mods": {"filter": {}, "listItems": items, "breadcrumb": []},
        "mainInfo": {"errorMsg": "", "page": str(page), "pageSize": str(size), "q": query,
                     "totalResults": str(total), "title": query},
        "seoInfo": {},
    }


def product_page(record: dict[str, Any]) -> str:
    """The product page: a title and schema.org Product JSON-LD (name, sku, brand, offers, image)."""
    item_id, _ = ids(record)
    product = {
        "@context": "https://schema.org", "@type": "Product", "name": record["title"], "sku": item_id,
        "image": record["images"][0] if record["images"] else None,
        "brand": {"@type": "Brand", "name": record.get("brand") or "No Brand"},
        "offers": {"@type": "Offer", "priceCurrency": "VND", "price": record["price"],
                   "availability": "https://schema.org/InStock"},
    }
    data = json.dumps(product, ensure_ascii=False).replace("</", "<\\/")
    return (f"<!doctype html><html lang=vi><meta charset=utf-8><title>{html.escape(record['title'])}</title>"
            f'<script type="application/ld+json">{data}</script><h1>{html.escape(record["title"])}</h1></html>')


def html_page(payload: dict[str, Any]) -> str:
    """The HTML listing page Lazada answers instead of the ajax JSON: the same JSON as
    ``window.pageData`` in a script, among the page's other scripts (as on www.lazada.vn)."""
    data = json.dumps(payload, ensure_ascii=False).replace("</", "<\\/")
    return (
        "<!DOCTYPE html><html lang=\"vi\"><head><meta charset=\"utf-8\"><title>Lazada Việt Nam</title>"
        "<script>window.g_config = {appId: 4413, pageType: 'list', regionID: 'VN', lang: 'vi'};</script>"
        "</head><body><div id=\"root\"></div>"
        f"<script>window.pageData = {data};window.__i18n__ = {{'vi': {{ok: 'Đồng ý'}}}};</script>"
        "<script src=\"//g.lazcdn.com/g/lzdfe/pdp-modules/index.js\"></script></body></html>"
    )
