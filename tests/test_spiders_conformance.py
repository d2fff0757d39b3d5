"""Conformance: every real sample file in ../shared/eval/raw through the extraction function for its format.

The readers live in ``bench/realdata.py`` (shared with ``python -m bench realworld``). The test prints
one table (file, records, valid Listings, %) and requires ≥ 99% of the records that hold a listing to
become valid Listings.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.realdata import RECORD_ERRORS, SOURCES, TIKI, Record
from crawler.items import Listing
from spiders.formats.tiki import extract_tiki_detail, next_data, next_data_product

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
        except RECORD_ERRORS as exc:
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
