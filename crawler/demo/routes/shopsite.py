"""Small shop websites on the demo marketplace, for ``scrapy crawl shopsite`` (products written by us).

- ``/shopsite/jsonld/`` — an ``ItemList`` (JSON-LD) linking to ``/shopsite/jsonld/san-pham/<slug>``,
  product pages with JSON-LD ``Product`` (one in an ``@graph`` with an ``AggregateOffer``);
- ``/shopsite/microdata/san-pham/<slug>`` — the same kind of page in microdata, and
  ``/shopsite/rdfa/san-pham/<slug>`` in RDFa;
- ``/shopsite/plain/danh-muc/tat-ca?page=N`` — a markup-less shop (2 products a page, ``rel=next``
  links) with product pages ``/shopsite/plain/sp/<id>``, described by ``spiders/sites/demo_shop.yaml``.
"""

from __future__ import annotations

import html
import json
from typing import Any

PRODUCTS: list[dict[str, Any]] = [
    {"slug": "tinh-dau-vape-xoai", "sku": "TD-0301", "name": "Tinh dầu vape 30ml vị xoài lạnh Salt Nic 35mg",
     "price": 185000, "brand": "Juice Salt", "origin": "Malaysia", "seller": "Vape Sài Gòn Store",
     "description": "Tinh dầu pod vị xoài, nồng độ 35mg. Giao hỏa tốc nội thành."},
    {"slug": "dong-ho-omega-seamaster", "sku": "OM-300", "name": "Đồng hồ Omega Seamaster Diver 300M replica 1:1",
     "price": 4500000, "brand": "Omega", "origin": None, "seller": "Đồng Hồ Luxury HN",
     "description": "Hàng replica cao cấp, máy Nhật, bảo hành 1 năm."},
    {"slug": "noi-chien-khong-dau", "sku": None, "name": "Nồi chiên không dầu 5L chống dính",
     "price": 990000, "brand": "Sunhouse", "origin": "Việt Nam", "seller": "Gia Dụng Việt",
     "description": "Dung tích 5 lít, 1500W, hẹn giờ 60 phút."},
]
PLAIN: list[dict[str, Any]] = [
    {"id": "1001", "name": "Súng bắn bi sắt 6mm hợp kim tặng 500 viên", "price": "1.250.000₫",
     "before": "1.500.000₫", "brand": "No brand", "origin": "Trung Quốc", "category": "Đồ chơi ngoài trời"},
    {"id": "1002", "name": "Sữa bột Aptamil Đức số 1 800g xách tay", "price": "650k", "before": None,
     "brand": "Aptamil", "origin": None, "category": "Mẹ & Bé"},
    {"id": "1003", "name": "Kem chống nắng La Roche Posay 50ml", "price": "Liên hệ", "before": None,
     "brand": "La Roche Posay", "origin": "Pháp", "category": "Làm đẹp"},
    {"id": "1004", "name": "Bình khí cười N2O 3.3L giao nhanh", "price": "1tr2", "before": None,
     "brand": None, "origin": None, "category": "Tiệc"},
]
PER_PAGE = 2
E = html.escape


def _send(handler: Any, body: str, status: int = 200) -> None:
    page = f"<!doctype html><html lang=vi><head><meta charset=utf-8><title>Shop</title>{body}</html>"
    handler._send(status, page.encode("utf-8"), "text/html; charset=utf-8")


def _jsonld_product(product: dict[str, Any], url: str) -> dict[str, Any]:
    node: dict[str, Any] = {
        "@type": "Product", "name": product["name"], "url": url, "description": product["description"],
        "image": [f"/img/{product['slug']}-1.jpg", {"@type": "ImageObject", "url": f"/img/{product['slug']}-2.jpg"}],
        "brand": {"@type": "Brand", "name": product["brand"]},
        "offers": {"@type": "Offer", "price": str(product["price"]), "priceCurrency": "VND",
                   "availability": "https://schema.org/InStock",
                   "seller": {"@type": "Organization", "name": product["seller"]}},
        "aggregateRating": {"@type": "AggregateRating", "ratingValue": "4.5", "reviewCount": "12"},
    }
    if product["sku"]:
        node["sku"] = product["sku"]
    if product["origin"]:
        node["countryOfOrigin"] = {"@type": "Country", "name": product["origin"]}
    return node


def _jsonld(handler: Any, rest: str) -> bool:
    base = f"{handler.base}/shopsite/jsonld"
    if rest in ("", "/"):
        items = [{"@type": "ListItem", "position": i + 1, "url": f"{base}/san-pham/{p['slug']}", "name": p["name"]}
                 for i, p in enumerate(PRODUCTS)]
        data = {"@context": "https://schema.org", "@type": "ItemList", "itemListElement": items}
        _send(handler, f"<script type='application/ld+json'>{json.dumps(data, ensure_ascii=False)}</script>"
                       "<body><h1>Tất cả sản phẩm</h1></body>")
        return True
    for index, product in enumerate(PRODUCTS):
        if rest == f"/san-pham/{product['slug']}":
            node = _jsonld_product(product, f"{base}/san-pham/{product['slug']}")
            if index == 2:  # an @graph with an AggregateOffer, as many WordPress shops send
                node["offers"] = {"@type": "AggregateOffer", "lowPrice": product["price"], "highPrice": 1290000,
                                  "priceCurrency": "VND", "offerCount": 3}
                node.pop("sku", None)
                data: dict[str, Any] = {"@context": "https://schema.org",
                                        "@graph": [{"@type": "WebPage", "name": "x"}, node]}
            else:
                data = {"@context": "https://schema.org", **node}
            script = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
            _send(handler, f"<script type='application/ld+json'>{script}</script><body><h1>{E(product['name'])}"
                           "</h1></body>")
            return True
    return False


def _microdata(handler: Any, rest: str) -> bool:
    for product in PRODUCTS:
        if rest == f"/san-pham/{product['slug']}":
            origin = ""
            if product["origin"]:
                origin = ("<div itemprop=additionalProperty itemscope itemtype='https://schema.org/PropertyValue'>"
                          f"<span itemprop=name>Xuất xứ</span>: <span itemprop=value>{E(product['origin'])}</span>"
                          "</div>")
            sku = f"<meta itemprop=sku content='{E(product['sku'])}'>" if product["sku"] else ""
            _send(handler, (
                "<body><div itemscope itemtype='https://schema.org/Product'>"
                f"<h1 itemprop=name>{E(product['name'])}</h1>{sku}"
                f"<img itemprop=image src='/img/{product['slug']}.jpg'>"
                f"<div itemprop=brand itemscope itemtype='https://schema.org/Brand'><span itemprop=name>"
                f"{E(product['brand'])}</span></div>"
                f"<p itemprop=description>{E(product['description'])}</p>{origin}"
                "<div itemprop=offers itemscope itemtype='https://schema.org/Offer'>"
                f"<span itemprop=price content='{product['price']}'>{product['price']:,}₫</span>"
                "<meta itemprop=priceCurrency content=VND></div></div></body>"
            ))
            return True
    return False


def _rdfa(handler: Any, rest: str) -> bool:
    for product in PRODUCTS:
        if rest == f"/san-pham/{product['slug']}":
            _send(handler, (
                "<body vocab='https://schema.org/'><div typeof=Product>"
                f"<h1 property=name>{E(product['name'])}</h1>"
                f"<p property=description>{E(product['description'])}</p>"
                f"<div property=brand typeof=Brand><span property=name>{E(product['brand'])}</span></div>"
                f"<div property=offers typeof=Offer><span property=price content='{product['price']}'>"
                f"{product['price']:,}₫</span><meta property=priceCurrency content=VND></div></div></body>"
            ))
            return True
    return False


def _plain(handler: Any, rest: str, query: dict[str, list[str]]) -> bool:
    if rest == "/danh-muc/tat-ca":
        try:
            page = max(1, int(query.get("page", ["1"])[0]))
        except ValueError:
            page = 1
        chunk = PLAIN[(page - 1) * PER_PAGE: page * PER_PAGE]
        cards = "".join(f"<li><a class=product-card href='../sp/{p['id']}'>{E(p['name'])}</a></li>" for p in chunk)
        more = f"<a rel=next href='tat-ca?page={page + 1}'>Trang sau</a>" if page * PER_PAGE < len(PLAIN) else ""
        _send(handler, f"<body><ul class=products>{cards}</ul>{more}</body>")
        return True
    for product in PLAIN:
        if rest == f"/sp/{product['id']}":
            specs = "".join(f"<tr><th>{label}</th><td>{E(value)}</td></tr>"
                            for label, value in (("Thương hiệu", product["brand"]), ("Xuất xứ", product["origin"]))
                            if value)
            before = f"<del>{E(product['before'])}</del>" if product["before"] else ""
            _send(handler, (
                f"<body><ol class=breadcrumb><li>Trang chủ</li><li>{E(product['category'])}</li></ol>"
                f"<h1 class=product-name>{E(product['name'])}</h1>"
                f"<div class=price-box><span class=price-current>{E(product['price'])}</span>{before}</div>"
                f"<div class=gallery><img src='/img/p{product['id']}.jpg'></div>"
                "<div class=shop-name>Shop Đồ Chơi Demo</div>"
                f"<div class=product-desc><p>{E(product['name'])}.</p><p>Giao hàng toàn quốc.</p></div>"
                f"<table class=specs>{specs}</table></body>"
            ))
            return True
    return False


def handle(handler: Any, path: str, query: dict[str, list[str]]) -> bool:
    """Answer ``/shopsite/…`` pages; False for anything else."""
    for kind, reader in (("jsonld", _jsonld), ("microdata", _microdata), ("rdfa", _rdfa)):
        prefix = f"/shopsite/{kind}"
        if path == prefix or path.startswith(prefix + "/"):
            return reader(handler, path[len(prefix):])
    if path.startswith("/shopsite/plain/"):
        return _plain(handler, path[len("/shopsite/plain"):], query)
    return False
