"""Conformance: every real sample file in ../shared/eval/raw through the extraction function for its format.

Each file is read as its source repository wrote it; where an export flattened or renamed the platform's
fields (CSV, another scraper's schema) a small adapter here maps them back to the platform's own field
names first, and the platform's extractor does the rest. The test prints one table (file, records,
valid Listings, %) and requires ≥ 99% of the records that hold a listing to become valid Listings.
"""

from __future__ import annotations

import ast
import csv
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
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


COVERED = ("price", "brand", "origin", "seller")


def _has(listing: Listing, name: str) -> bool:
    return bool(listing.seller.name) if name == "seller" else getattr(listing, name) not in (None, "")


def _score(records: list[Record], covered: dict[str, int]) -> tuple[int, list[str]]:
    valid, problems = 0, []
    for index, record in enumerate(records):
        try:
            listing = Listing.model_validate(record())
            valid += 1
            for name in COVERED:
                covered[name] += _has(listing, name)
        except (MissingField, ValidationError, ValueError, KeyError, TypeError) as exc:
            problems.append(f"[{index}] {type(exc).__name__}: {str(exc).splitlines()[0][:120]}")
    return valid, problems


@pytest.mark.figures
def test_every_real_sample_becomes_listings(raw_samples: Path) -> None:
    rows: list[tuple[str, int, int, list[str]]] = []
    coverage: dict[str, dict[str, int]] = {}
    for folder, source in SOURCES.items():
        for name, records in source(raw_samples / folder):
            coverage[name] = dict.fromkeys(COVERED, 0)
            valid, problems = _score(records, coverage[name])
            rows.append((name, len(records), valid, problems))
    seen = {name for name, *_ in rows}
    on_disk = {f"{p.parent.name}/{p.name}" for p in raw_samples.glob("*/*") if p.is_file()}
    assert on_disk - seen == set(), "a sample file has no extractor in this test"
    print("\n| file | records | valid Listings | % | with price | brand | origin | seller name |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, total, valid, _ in rows:
        have = " | ".join(str(coverage[name][key]) for key in COVERED)
        print(f"| {name} | {total} | {valid} | {100 * valid / max(total, 1):.1f} | {have} |")
    below = [(name, total, valid, problems[:3]) for name, total, valid, problems in rows
             if not total or valid < 0.99 * total]
    assert below == []


@pytest.mark.parametrize("name", ["tiki/tiki.html"])
def test_next_data_fallback_reads_the_real_product_page(raw_samples: Path, name: str) -> None:
    listing = Listing.model_validate(extract_tiki_detail(
        next_data_product(next_data((raw_samples / name).read_text(encoding="utf-8"))), TIKI, []))
    assert (listing.listing_id, listing.price, listing.brand) == ("58673652", 89_000, "Enchanteur")
    assert listing.seller.name == "Enchanteur Official Store" and listing.category.startswith("Làm Đẹp")
