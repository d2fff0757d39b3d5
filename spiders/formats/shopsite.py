"""Extract Listings from shop websites: schema.org Product markup, or CSS/XPath selectors from YAML.

- :func:`extract_products` — every schema.org ``Product`` in a page's JSON-LD (also inside ``@graph``
  and ``ItemList``), microdata or RDFa (read by extruct) → Listing fields: name, description,
  ``offers`` (``price``/``priceCurrency``, ``AggregateOffer.lowPrice``, ``seller``), brand,
  sku/gtin/productID (the listing id), image, category, aggregateRating, and the origin from
  ``countryOfOrigin`` or an ``additionalProperty`` named "Xuất xứ" / "Made in" / "Origin";
- :func:`item_list_urls` — the product URLs of an ``ItemList`` whose entries are only links;
- :func:`extract_with_selectors` — a page of a site without markup, read with the field selectors of
  its YAML description (:mod:`spiders.sites`); prices are free text read by ``crawler.prices``.

``platform`` is the site's domain (``www.`` dropped) unless the caller names it; the seller is the
offer's ``seller`` (or ``offeredBy``), never the site's domain: a page that names none leaves the seller
empty. A Product is also any of its schema.org subtypes (``IndividualProduct``, ``ProductModel``,
``Vehicle``, …) and a ``Book`` (or other creative work) on offer; old pages in the data-vocabulary.org
vocabulary (``offerDetails``, ``currency``) are read too. The listing id is the sku/gtin/productID, else
the URL's path without its query string (tracking parameters change, the product does not). "₫", "đ",
"VNĐ" are VND; descriptions are plain text (tags and escaped tags stripped); image links are absolute
(also protocol-relative ones); placeholders ("Đang cập nhật", "N/A", "Không có", "Updating") are empty.
``fields_seen`` is what the markup has a place for (a Product without ``countryOfOrigin`` or an origin
property says nothing about its origin), or the fields a YAML site's selectors read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

import extruct
from parsel import Selector
from w3lib.html import replace_entities

from crawler.prices import parse_vnd
from spiders.formats.common import (
    FieldErrors,
    carried,
    carried_in,
    field,
    html_to_text,
    placeholder,
    rating,
    required_text,
    text_or_none,
)

SCHEMA_PREFIXES = ("https://schema.org/", "http://schema.org/", "http://data-vocabulary.org/",
                   "https://data-vocabulary.org/")
PRODUCT_TYPES = frozenset({
    "Product", "IndividualProduct", "ProductModel", "SomeProducts", "ProductGroup", "ProductCollection",
    "DietarySupplement", "Drug", "Vehicle", "Car", "Motorcycle", "MotorizedBicycle", "BusOrCoach",
})
"""schema.org's Product and its subtypes."""
GOODS_ON_OFFER = frozenset({"Book", "VideoGame", "MusicAlbum", "Movie", "SoftwareApplication", "CreativeWork"})
"""Types that are goods when they carry ``offers`` (a shop's Book page)."""
VND_SIGNS = frozenset({"₫", "đ", "Đ", "VNĐ", "VNđ", "vnđ", "vnd", "VND", "đồng", "dong", "Đồng"})
"""What shops write as ``priceCurrency`` for the đồng."""
ORIGIN_NAMES = {"xuất xứ", "xuat xu", "made in", "origin", "country of origin", "nơi sản xuất", "xuất xứ (made in)"}
ID_FIELDS = ("sku", "productID", "gtin13", "gtin", "gtin14", "gtin12", "gtin8", "mpn")


def domain(url: str) -> str:
    """``https://www.shop.vn/a`` → ``shop.vn`` (the platform name of a shop site)."""
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.") or url


def _types(node: dict[str, Any]) -> set[str]:
    raw = node.get("@type")
    values = raw if isinstance(raw, list) else [raw]
    out = set()
    for value in values:
        if isinstance(value, str):
            for prefix in SCHEMA_PREFIXES:
                value = value.removeprefix(prefix)
            out.add(value)
    return out


def _rdfa_nodes(graph: list[Any]) -> list[dict[str, Any]]:
    """extruct's expanded RDFa graph → plain schema.org nodes (``name`` not ``https://schema.org/name``)."""
    by_id = {node.get("@id"): node for node in graph if isinstance(node, dict)}

    def simplify(node: dict[str, Any], depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {"@type": sorted(_types(node))}
        for key, values in node.items():
            name = key
            for prefix in SCHEMA_PREFIXES:
                name = name.removeprefix(prefix)
            if name == key or not isinstance(values, list):
                continue
            converted = []
            for value in values:
                if isinstance(value, dict) and "@value" in value:
                    converted.append(value["@value"])
                elif isinstance(value, dict) and value.get("@id") in by_id and depth < 4:
                    converted.append(simplify(by_id[value["@id"]], depth + 1))
                elif isinstance(value, dict) and "@id" in value:
                    converted.append(value["@id"])
            out[name] = converted[0] if len(converted) == 1 else converted
        return out

    referenced = {
        value.get("@id")
        for node in by_id.values()
        for values in node.values() if isinstance(values, list)
        for value in values if isinstance(value, dict) and "@id" in value
    }
    return [simplify(node, 0) for node_id, node in by_id.items() if node_id not in referenced and _types(node)]


def _walk(node: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    """Every dict node inside ``node`` (``@graph``, ``itemListElement``, ``item``…), breadth first enough."""
    if depth > 6:
        return
    if isinstance(node, list):
        for child in node:
            yield from _walk(child, depth + 1)
    elif isinstance(node, dict):
        yield node
        for key in ("@graph", "itemListElement", "item", "mainEntity", "hasVariant"):
            if key in node:
                yield from _walk(node[key], depth + 1)


def structured_nodes(html: str, url: str) -> list[dict[str, Any]]:
    """All schema.org nodes of a page, from JSON-LD, microdata and RDFa (extruct); [] on unparsable markup."""
    try:
        data = extruct.extract(html, base_url=url, syntaxes=["json-ld", "microdata", "rdfa"], uniform=True,
                               errors="ignore")
    except Exception:  # extruct raises many kinds on hostile HTML; the page simply has no usable markup
        return []
    nodes: list[dict[str, Any]] = []
    for root in [*data.get("json-ld", []), *data.get("microdata", []), *_rdfa_nodes(data.get("rdfa", []))]:
        nodes.extend(_walk(root))
    return nodes


def _text(value: Any) -> str | None:
    """A schema.org value as text: strings, numbers, ``{name}``/``{@value}`` objects, first of a list."""
    if isinstance(value, list):
        value = next((v for v in value if v not in (None, "")), None)
    if isinstance(value, dict):
        value = value.get("name") or value.get("@value") or value.get("value")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return text_or_none(value) if isinstance(value, str | type(None)) else None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def is_product(node: dict[str, Any]) -> bool:
    """Whether a schema.org node is goods for sale: a Product (or subtype), or a Book… with offers."""
    types = _types(node)
    return bool(types & PRODUCT_TYPES) or bool(types & GOODS_ON_OFFER and _offers(node))


def _value(value: Any) -> str | None:
    """:func:`_text`, with a placeholder ("Đang cập nhật", "N/A", …) taken as empty."""
    text = _text(value)
    return None if placeholder(text) else text


def _offers(product: dict[str, Any]) -> list[dict[str, Any]]:
    raw = product.get("offers", product.get("offerDetails"))
    return [offer for offer in _as_list(raw) if isinstance(offer, dict)]


def _price(offers: list[dict[str, Any]]) -> int | None:
    for offer in offers:
        for key in ("price", "lowPrice"):
            raw = offer.get(key)
            if raw not in (None, ""):
                return parse_vnd(raw)
        spec = offer.get("priceSpecification")
        if isinstance(spec, dict) and spec.get("price") not in (None, ""):
            return parse_vnd(spec["price"])
    return None


def _original_price(offers: list[dict[str, Any]]) -> int | None:
    """The list price of a ``priceSpecification`` typed ``ListPrice`` (a price range is no discount)."""
    for offer in offers:
        for entry in _as_list(offer.get("priceSpecification")):
            if isinstance(entry, dict) and "ListPrice" in str(entry.get("priceType", "")):
                return parse_vnd(entry.get("price"))
    return None


def _currency(offers: list[dict[str, Any]]) -> str:
    for offer in offers:
        currency = _text(offer.get("priceCurrency", offer.get("currency")))
        if currency:
            return "VND" if currency in VND_SIGNS else currency.upper()
    return "VND"


def _seller_node(offers: list[dict[str, Any]]) -> Any:
    for offer in offers:
        node = offer.get("seller") or offer.get("offeredBy")
        if node:
            return node[0] if isinstance(node, list) and node else node
    return None


def _seller(offers: list[dict[str, Any]], base_url: str) -> dict[str, Any]:
    """The offer's seller (a name, or an Organization/Person object): name, id, link; {} without one."""
    node = _seller_node(offers)
    name = _value(node)
    if not name:
        return {}
    link = _text(node.get("url")) if isinstance(node, dict) else None
    ident = (_text(node.get("identifier")) or _text(node.get("@id"))) if isinstance(node, dict) else None
    url = urljoin(base_url, link) if link else None
    return {"name": name, "platform_id": ident or url or name, "url": url}


def _has_seller(offers: list[dict[str, Any]]) -> bool:
    return any("seller" in offer or "offeredBy" in offer for offer in offers)


def _origin_property(prop: Any) -> bool:
    return isinstance(prop, dict) and str(_text(prop.get("name")) or "").strip().lower() in ORIGIN_NAMES


PRODUCT_PLACES: dict[str, tuple[str, ...]] = {
    "description": ("description",), "price": ("offers",), "original_price": ("offers",), "brand": ("brand",),
    "category": ("category",), "origin": ("countryOfOrigin",), "images": ("image",),
    "rating": ("aggregateRating",),
}
"""Where a schema.org Product keeps each field (an origin also in an ``additionalProperty``; the seller
is the offer's, else the site)."""


def _product_fields_seen(product: dict[str, Any]) -> list[str]:
    seen = carried_in(product, PRODUCT_PLACES, "title", *(["seller"] if _has_seller(_offers(product)) else []))
    if "origin" not in seen and any(_origin_property(p) for p in _as_list(product.get("additionalProperty"))):
        seen = carried(*seen, "origin")
    return seen


def _origin(product: dict[str, Any]) -> str | None:
    origin = _value(product.get("countryOfOrigin"))
    if origin:
        return origin
    for prop in _as_list(product.get("additionalProperty")):
        if _origin_property(prop):
            return _value(prop.get("value"))
    return None


def _images(product: dict[str, Any], url: str) -> list[str]:
    out = []
    for image in _as_list(product.get("image")):
        link = image.get("url") or image.get("contentUrl") if isinstance(image, dict) else image
        if isinstance(link, str) and link.strip():
            out.append(urljoin(url, link.strip()))
    return out


def _description(value: Any) -> str | None:
    text = _value(value)
    if text and "&lt;" in text:  # HTML escaped once more inside the JSON-LD
        text = replace_entities(text)
    return html_to_text(text) if text else None


def _rating(product: dict[str, Any]) -> float | None:
    aggregate = product.get("aggregateRating")
    if not isinstance(aggregate, dict):
        return None
    reviews = aggregate.get("ratingCount") or aggregate.get("reviewCount") or 1
    value = aggregate.get("ratingValue")
    best = float(aggregate.get("bestRating") or 5)
    return rating(float(value) * 5 / best if value not in (None, "") else None, reviews)


def listing_id_from(product: dict[str, Any], url: str) -> str:
    """The product's sku/gtin/productID, else its URL's path without the query string (tracking
    parameters such as ``?utm_source=`` change between visits; the product does not)."""
    for key in ID_FIELDS:
        value = _value(product.get(key))
        if value:
            return value
    return urlsplit(url).path.rstrip("/") or "/"


def product_to_listing(
    product: dict[str, Any], page_url: str, platform: str | None = None, errors: FieldErrors | None = None
) -> dict[str, Any]:
    """One schema.org Product node → Listing fields. Raises ``MissingField`` without a name."""
    url = urljoin(page_url, _text(product.get("url")) or page_url)
    offers = _offers(product)
    site = platform or domain(page_url)
    return {
        "platform": site,
        "listing_id": listing_id_from(product, url),
        "url": url,
        "title": required_text(_text(product.get("name")), "name"),
        "description": field(errors, "description", _description, product.get("description")),
        "price": field(errors, "price", _price, offers),
        "original_price": field(errors, "original_price", _original_price, offers),
        "currency": _currency(offers),
        "brand": field(errors, "brand", _value, product.get("brand")),
        "category": field(errors, "category", _value, product.get("category")),
        "origin": field(errors, "origin", _origin, product),
        "seller": field(errors, "seller", _seller, offers, url) or {},
        "images": field(errors, "images", _images, product, url) or [],
        "rating": field(errors, "rating", _rating, product),
        "fields_seen": _product_fields_seen(product),
    }


def extract_products(
    html: str, url: str, platform: str | None = None, errors: FieldErrors | None = None
) -> list[dict[str, Any]]:
    """Every schema.org Product of a page → Listing fields (products without a name are skipped)."""
    listings: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for node in structured_nodes(html, url):
        if not is_product(node) or not _text(node.get("name")):
            continue
        listing = product_to_listing(node, url, platform, errors)
        key = (listing["listing_id"], listing["url"])
        if key not in seen:
            seen.add(key)
            listings.append(listing)
    return listings


def item_list_entries(html: str, url: str) -> list[tuple[str, str | None]]:
    """``(URL, name)`` of an ``ItemList``'s entries that are links only (``ListItem.url`` without a
    Product); the name is the ListItem's (or its item's), None when it gives none."""
    found: dict[str, str | None] = {}
    for node in structured_nodes(html, url):
        if "ItemList" not in _types(node):
            continue
        for entry in _as_list(node.get("itemListElement")):
            if isinstance(entry, dict) and not is_product(entry):
                item = entry.get("item")
                inner = item if isinstance(item, dict) else {}
                link = _text(entry.get("url")) or _text(inner.get("url") if inner else item)
                if link:
                    absolute = urljoin(url, link)
                    found.setdefault(absolute, _value(entry.get("name")) or _value(inner.get("name")))
    return list(found.items())


def item_list_urls(html: str, url: str) -> list[str]:
    """URLs of an ``ItemList``'s entries that are links only (``ListItem.url`` without a Product)."""
    return [link for link, _name in item_list_entries(html, url)]


# --- sites without markup: selectors from YAML ------------------------------------------------------
def select_all(selector: Selector, query: str) -> list[str]:
    """Texts matched by a CSS (default) or ``xpath:`` query, whitespace collapsed, blanks dropped."""
    xpath = query.startswith("xpath:")
    found = selector.xpath(query.removeprefix("xpath:").strip()) if xpath else selector.css(query)
    texts = []
    for match in found:
        value = match.get() if isinstance(match.root, str) else " ".join(match.xpath(".//text()").getall())
        value = " ".join(str(value).split())
        if value:
            texts.append(value)
    return texts


def select_one(selector: Selector, query: str | None) -> str | None:
    """The first text a query matches (None when no query or no match)."""
    if not query:
        return None
    found = select_all(selector, query)
    return found[0] if found else None


SELECTED_FIELDS = ("description", "price", "original_price", "brand", "category", "origin", "images")
"""The Listing fields a YAML site's selectors may read besides ``title`` and ``seller``."""
_ORIGIN_LABEL = re.compile(r"^\s*(?:xuất xứ|xuat xu|made in|nơi sản xuất)\s*[:：-]?\s*", re.IGNORECASE)


def extract_with_selectors(
    html: str, url: str, fields: dict[str, str], platform: str, errors: FieldErrors | None = None,
    id_pattern: str | None = None,
) -> dict[str, Any]:
    """A product page of a markup-less site, read with its YAML ``fields`` → Listing fields.

    ``fields`` maps Listing fields (title, price, original_price, description, brand, origin, seller,
    sku, category, images) to CSS or ``xpath:`` queries; ``images`` takes every match. The listing id
    is the ``sku`` field, else ``id_pattern``'s first group on the URL, else the URL path. A label such
    as "Xuất xứ:" in front of the origin is dropped. Raises ``MissingField`` without a title.
    """
    page = Selector(text=html)
    one = {name: select_one(page, query) for name, query in fields.items() if name != "images"}
    one = {name: None if placeholder(value) else value for name, value in one.items()}
    listing_id = one.get("sku")
    path = urlsplit(url).path
    if not listing_id and id_pattern and (match := re.search(id_pattern, path)):
        listing_id = match.group(1) if match.groups() else match.group(0)
    origin = one.get("origin")
    if origin:
        origin = _ORIGIN_LABEL.sub("", origin).strip() or None
    seller = one.get("seller")
    return {
        "platform": platform,
        "listing_id": listing_id or listing_id_from({}, url),
        "url": url,
        "title": required_text(one.get("title"), "title"),
        "description": field(errors, "description", _description, one.get("description")),
        "price": field(errors, "price", parse_vnd, one.get("price")),
        "original_price": field(errors, "original_price", parse_vnd, one.get("original_price")),
        "currency": "VND",
        "brand": one.get("brand"),
        "category": one.get("category"),
        "origin": None if placeholder(origin) else origin,
        "seller": {"name": seller, "platform_id": seller} if seller else {},
        "images": [urljoin(url, src) for src in select_all(page, fields["images"])] if fields.get("images") else [],
        "fields_seen": carried("title", *(name for name in fields if name in (*SELECTED_FIELDS, "seller"))),
    }


def link_entries(html: str, url: str, query: str) -> list[tuple[str, str | None]]:
    """``(URL, link text)`` of the links a ``…::attr(href)`` (CSS) or ``…/@href`` (XPath) query matches,
    in page order, unique; the text is None for other queries or an empty link."""
    page = Selector(text=html)
    if query.startswith("xpath:") and query.rstrip().endswith("/@href"):
        elements = page.xpath(query.removeprefix("xpath:").strip().removesuffix("/@href"))
    elif not query.startswith("xpath:") and query.rstrip().endswith("::attr(href)"):
        elements = page.css(query.rstrip().removesuffix("::attr(href)"))
    else:
        return [(link, None) for link in links(html, url, query)]
    out: dict[str, str | None] = {}
    for element in elements:
        href = element.attrib.get("href")
        absolute = urljoin(url, href.strip()) if href else ""
        if absolute.startswith(("http://", "https://")) and absolute not in out:
            text = " ".join(" ".join(element.xpath(".//text()").getall()).split())
            out[absolute] = None if not text or placeholder(text) else text
    return list(out.items())


def links(html: str, url: str, query: str) -> list[str]:
    """Absolute URLs matched by a CSS/``xpath:`` query (``a::attr(href)`` style), in page order, unique."""
    out: list[str] = []
    for href in select_all(Selector(text=html), query):
        absolute = urljoin(url, href)
        if absolute.startswith(("http://", "https://")) and absolute not in out:
            out.append(absolute)
    return out
