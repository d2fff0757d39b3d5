"""The real platform responses in ``../shared/eval/raw`` read with the spiders' own format parsers.

Each file is read as its source repository wrote it; where an export flattened or renamed the platform's
fields (CSV, another scraper's schema) a small adapter here maps them back to the platform's own field
names first, and the platform's extractor does the rest. The files are never copied into this
repository: tests and benchmarks read them from the shared folder when it is there.

- :data:`SOURCES`: per platform folder, a generator of ``(file, records)``, each record a callable that
  extracts one listing's fields (raises ``MissingField`` / ``ValueError`` when it cannot);
- :func:`real_listings`: every valid, distinct listing of every file, with the file it came from.
"""

from __future__ import annotations

import ast
import csv
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from crawler.items import Listing
from spiders.formats.chotot import extract_chotot_ad
from spiders.formats.common import MissingField, extract_flat_row
from spiders.formats.lazada import extract_lazada_list_item
from spiders.formats.sendo import extract_sendo_search_item
from spiders.formats.shopee import (
    extract_shopee_item_basic,
    extract_shopee_item_card,
    extract_shopee_item_get,
    search_entries,
)
from spiders.formats.tiki import (
    extract_tiki_detail,
    extract_tiki_search_item,
    next_data,
    next_data_listing_items,
    next_data_product,
)

RAW_SAMPLES = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "raw"
"""Where the real samples live (beside the repository, never inside it)."""
RECORD_ERRORS = (MissingField, ValidationError, ValueError, KeyError, TypeError)
"""What a record that holds no valid listing raises."""

TIKI, SHOPEE, LAZADA, SENDO, CHOTOT = ("https://tiki.vn", "https://shopee.vn", "https://www.lazada.vn",
                                       "https://www.sendo.vn", "https://www.chotot.com")
Record = Callable[[], dict[str, Any]]
"""One record: calling it extracts Listing fields (raises MissingField/ValueError when it cannot)."""


def _typed(value: str) -> Any:
    """A CSV cell back to the JSON value it was flattened from (numbers, Python-repr lists/dicts)."""
    if value == "":
        return None
    if value[0] in "[{":
        try:
            return ast.literal_eval(value)
        except (ValueError, SyntaxError):
            return value
    if re.fullmatch(r"-?\d+", value):
        return int(value)
    if re.fullmatch(r"-?\d+\.\d+", value):
        return float(value)
    return {"True": True, "False": False}.get(value, value)


def _csv(path: Path, delimiter: str = ",") -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=delimiter))


def _tiki_url_path(link: str) -> str:
    return link.split("tiki.vn/", 1)[-1]


def tiki_records(root: Path) -> Iterator[tuple[str, list[Record]]]:
    """The Tiki samples: details, listing CSVs, store items, HTML pages."""
    details = json.loads((root / "success_002.json").read_text(encoding="utf-8"))
    yield "tiki/success_002.json", [lambda d=d: extract_tiki_detail(d, TIKI, []) for d in details]
    for path in sorted(root.glob("tiki_products_preview_*.csv")):
        rows = [{k: _typed(v) for k, v in row.items()} for row in _csv(path)]
        yield f"tiki/{path.name}", [lambda r=r: extract_tiki_search_item(r, TIKI, []) for r in rows]

    def renamed(row: dict[str, str]) -> dict[str, Any]:
        match = re.search(r"-p(\d+)\.html", row["Link"])
        return {"id": match[1] if match else None, "name": row["Tên sản phẩm"], "price": _typed(row["Giá"]),
                "brand_name": row["Thương hiệu"], "rating_average": _typed(row["Điểm đánh giá trung bình"]),
                "review_count": _typed(row["Lượt đánh giá"]), "all_time_quantity_sold": _typed(row["Số lượng đã bán"]),
                "url_path": _tiki_url_path(row["Link"]), "sp_seller_name": row["Tên cửa hàng"]}

    rows = _csv(root / "tiki_products.csv", "\t")
    yield "tiki/tiki_products.csv", [lambda r=r: extract_tiki_search_item(renamed(r), TIKI, []) for r in rows]
    store = json.loads((root / "tiki.json").read_text(encoding="utf-8"))
    yield "tiki/tiki.json", [lambda r=r: extract_tiki_search_item(r, TIKI, []) for r in store]
    items = next_data_listing_items(next_data((root / "full_page.html").read_text(encoding="utf-8")))
    yield "tiki/full_page.html", [lambda r=r: extract_tiki_search_item(r, TIKI, []) for r in items]
    page = (root / "tiki.html").read_text(encoding="utf-8")
    yield "tiki/tiki.html", [lambda: extract_tiki_detail(next_data_product(next_data(page)), TIKI, [])]


def shopee_records(root: Path) -> Iterator[tuple[str, list[Record]]]:
    """The Shopee samples: both search formats and the item/get subset."""
    for name in ("search_items.json", "shopee_data.json"):
        kind, entries = search_entries(json.loads((root / name).read_text(encoding="utf-8")))
        extract = extract_shopee_item_card if kind == "cards" else extract_shopee_item_basic
        yield f"shopee/{name}", [lambda e=e, x=extract: x(e, SHOPEE, []) for e in entries]
    for path in sorted(root.glob("[[]shopee[]]__*.json")):
        items = json.loads(path.read_text(encoding="utf-8"))
        yield f"shopee/{path.name}", [lambda i=i: extract_shopee_item_get(i, SHOPEE, []) for i in items]


def lazada_records(root: Path) -> Iterator[tuple[str, list[Record]]]:
    """The Lazada samples: store list items and the catalog CSV (name, price, location, sellerName, itemUrl)."""
    for path in sorted(root.glob("[[]lazada[]]__*.json")):
        items = json.loads(path.read_text(encoding="utf-8"))
        yield f"lazada/{path.name}", [lambda i=i: extract_lazada_list_item(i, LAZADA, []) for i in items]
    rows = _csv(root / "lazada.csv")
    yield "lazada/lazada.csv", [lambda r=r: extract_lazada_list_item(r, LAZADA, []) for r in rows]


def sendo_records(root: Path) -> Iterator[tuple[str, list[Record]]]:
    """The Sendo search samples (600 untransformed products each)."""
    for path in sorted(root.glob("sendo_*.json")):
        products = json.loads(path.read_text(encoding="utf-8"))["products"]
        yield f"sendo/{path.name}", [lambda p=p: extract_sendo_search_item(p, SENDO, []) for p in products]


def chotot_records(root: Path) -> Iterator[tuple[str, list[Record]]]:
    """The Chợ Tốt samples: raw ad-listing fields, a renamed export, and HTML-scraped car ads."""

    def raw(row: dict[str, str]) -> dict[str, Any]:
        ad: dict[str, Any] = {k: row[k] for k in ("ad_id", "subject", "body", "region_name", "price", "webp_image")}
        ad["params"] = _typed(row["params"]) or []
        return ad

    yield "chotot/data2.csv", [lambda r=r: extract_chotot_ad(raw(r), CHOTOT, []) for r in _csv(root / "data2.csv")]

    def renamed(row: dict[str, str]) -> dict[str, Any]:
        return {"list_id": row["list_id"], "ad_id": row["ad_id"], "subject": row["tieu_de"], "price": row["gia_vnd"],
                "region_name": row["khu_vuc"], "area_name": row["quan_huyen"], "account_name": row["nguoi_ban"],
                "params": [{"id": "motorbikebrand", "value": row["hang_xe"], "label": "Hãng"},
                           {"id": "condition_ad", "value": row["tinh_trang"], "label": "Tình trạng"}]}

    rows = _csv(root / "chotot_xe_may.csv")
    yield "chotot/chotot_xe_may.csv", [lambda r=r: extract_chotot_ad(renamed(r), CHOTOT, []) for r in rows]

    def scraped(card: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, str]]]:
        match = re.search(r"/(\d+)\.htm", card.get("link") or "")
        params = [dict(zip(("label", "value"), (p.strip() for p in a.split(":", 1)), strict=False))
                  for a in card.get("attributes") or [] if ":" in a]
        ad = {"list_id": match[1] if match else None, "subject": card.get("name"), "price_string": card.get("price"),
              "image": card.get("image"), "region_name": (card.get("address") or "").rsplit(",", 1)[-1].strip()}
        return ad, params

    cards = json.loads((root / "chotot.json").read_text(encoding="utf-8"))
    yield "chotot/chotot.json", [lambda c=c: extract_chotot_ad(*_with(scraped(c))) for c in cards]


def _with(pair: tuple[dict[str, Any], list[dict[str, str]]]) -> tuple[Any, ...]:
    ad, params = pair
    return ad, CHOTOT, [], params


def multi_records(root: Path) -> Iterator[tuple[str, list[Record]]]:
    """Another project's normalised rows: Tiki, Chợ Tốt and Lazada rows through those platforms'
    extractors (their fields renamed back), the sites we have no spider for through the flat-row one."""

    def one(row: dict[str, Any]) -> dict[str, Any]:
        platform = str(row.get("platform") or "").lower()
        if platform == "tiki":
            return extract_tiki_search_item({
                "id": row["product_id"], "name": row["product_name"], "price": row["price"],
                "list_price": row.get("original_price"), "url_path": _tiki_url_path(row["product_url"]),
                "thumbnail_url": row.get("image_url"), "rating_average": row.get("rating"),
                "review_count": row.get("review_count")}, TIKI, [])
        if platform == "chotot":
            return extract_chotot_ad({"list_id": row["product_id"], "subject": row["product_name"],
                                      "price": row["price"], "image": row.get("image_url")}, CHOTOT, [])
        if platform == "lazada":
            return extract_lazada_list_item({
                "itemId": row["product_id"], "name": row["product_name"], "price": row["price"],
                "originalPrice": row.get("original_price"), "productUrl": row["product_url"],
                "image": row.get("image_url"), "ratingScore": row.get("rating"),
                "review": row.get("review_count")}, LAZADA, [])
        return extract_flat_row(row, [])

    lines = (root / "sampledata.jsonl").read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines if line.strip()]
    yield "multi/sampledata.jsonl", [lambda r=r: one(r) for r in rows]


SOURCES = {"tiki": tiki_records, "shopee": shopee_records, "lazada": lazada_records, "sendo": sendo_records,
           "chotot": chotot_records, "multi": multi_records}


def real_listings(root: Path = RAW_SAMPLES) -> Iterator[tuple[str, Listing]]:
    """Every valid listing of every real sample file, once per ``platform:listing_id`` (the first
    file that holds it wins), with the file's name (``tiki/success_002.json``). Records that hold no
    valid listing are skipped (the conformance test counts them)."""
    seen: set[str] = set()
    for folder, source in SOURCES.items():
        for name, records in source(root / folder):
            for record in records:
                try:
                    listing = Listing.model_validate(record())
                except RECORD_ERRORS:
                    continue
                if listing.key in seen:
                    continue
                seen.add(listing.key)
                yield name, listing
