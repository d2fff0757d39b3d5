"""Conformance: every real sample file in ../shared/eval/raw through the extraction function for its format.

The readers live in ``bench/realdata.py`` (shared with ``python -m bench realworld``). The test prints
one table (file, records, valid Listings, %, fields stated, listings whose source format carries an
origin) and requires ≥ 99% of the records that hold a listing to become valid Listings, every one of
them saying which fields its source carried (``fields_seen``), an origin among them exactly where the
file's format has a place for one.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.realdata import RECORD_ERRORS, SOURCES, TIKI, Record, real_listings
from crawler.items import Listing
from spiders.formats.common import CARRIED_FIELDS
from spiders.formats.tiki import extract_tiki_detail, next_data, next_data_product

COVERED = ("price", "brand", "origin", "seller")
ORIGIN_PLACES = {
    "tiki/success_002.json": "all",  # product details: the origin is a specification
    "tiki/full_page.html": "stated",  # the 2025 category page's items: an origin field where one is set
    "tiki/tiki.html": "all",  # a product page's detail object
    "chotot/chotot.json": "stated",  # ad parameters: "Xuất xứ" where the ad has that parameter
}
"""Which files' formats have a place for the origin; every other file's (search cards, list items,
exports without it) has none, so none of its listings may say the origin was carried."""


def _has(listing: Listing, name: str) -> bool:
    return bool(listing.seller.name) if name == "seller" else getattr(listing, name) not in (None, "", [])


def _unseen(listing: Listing) -> list[str]:
    """Fields with a value that ``fields_seen`` does not list (a value proves its field was carried)."""
    seen = listing.fields_seen or []
    return [name for name in CARRIED_FIELDS
            if name not in seen and (_has(listing, name) or (name == "seller" and listing.seller.platform_id))]


def _origin_expected(name: str, listing: Listing) -> bool:
    places = ORIGIN_PLACES.get(name, "none")
    return places == "all" or (places == "stated" and listing.origin is not None)


def _score(name: str, records: list[Record], covered: dict[str, int]) -> tuple[int, list[str]]:
    valid, problems = 0, []
    for index, record in enumerate(records):
        try:
            listing = Listing.model_validate(record())
        except RECORD_ERRORS as exc:
            problems.append(f"[{index}] {type(exc).__name__}: {str(exc).splitlines()[0][:120]}")
            continue
        valid += 1
        for field in COVERED:
            covered[field] += _has(listing, field)
        if listing.fields_seen is None or "title" not in listing.fields_seen or _unseen(listing):
            problems.append(f"[{index}] fields_seen {listing.fields_seen} misses {_unseen(listing)}")
        elif ("origin" in listing.fields_seen) != _origin_expected(name, listing):
            problems.append(f"[{index}] fields_seen {listing.fields_seen}: origin carried? {ORIGIN_PLACES.get(name)}")
        else:
            covered["carried"] += 1
            covered["origin carried"] += "origin" in listing.fields_seen
    return valid, problems


@pytest.mark.figures
def test_every_real_sample_becomes_listings(raw_samples: Path) -> None:
    rows: list[tuple[str, int, int, list[str]]] = []
    coverage: dict[str, dict[str, int]] = {}
    for folder, source in SOURCES.items():
        for name, records in source(raw_samples / folder):
            coverage[name] = dict.fromkeys((*COVERED, "carried", "origin carried"), 0)
            valid, problems = _score(name, records, coverage[name])
            rows.append((name, len(records), valid, problems))
    seen = {name for name, *_ in rows}
    on_disk = {f"{p.parent.name}/{p.name}" for p in raw_samples.glob("*/*") if p.is_file()}
    assert on_disk - seen == set(), "a sample file has no extractor in this test"
    assert set(ORIGIN_PLACES) <= seen
    print("\n| file | records | valid Listings | % | with price | brand | origin | seller name "
          "| fields_seen right | origin carried |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, total, valid, _ in rows:
        have = " | ".join(str(coverage[name][key]) for key in (*COVERED, "carried", "origin carried"))
        print(f"| {name} | {total} | {valid} | {100 * valid / max(total, 1):.1f} | {have} |")
    below = [(name, total, valid, problems[:3]) for name, total, valid, problems in rows
             if not total or valid < 0.99 * total]
    assert below == []
    wrong = [(name, problems[:3]) for name, _, valid, problems in rows if coverage[name]["carried"] != valid]
    assert wrong == []


def test_real_listings_keep_what_their_source_carried(raw_samples: Path) -> None:
    """What ``python -m bench realworld`` detects on: every real listing knows its source's fields."""
    by_file: dict[str, int] = {}
    for name, listing in real_listings(raw_samples):
        assert listing.fields_seen, f"{name}: {listing.key} has no fields_seen"
        assert not listing.partial
        if "origin" in listing.fields_seen:
            by_file[name] = by_file.get(name, 0) + 1
    assert set(by_file) == set(ORIGIN_PLACES), by_file


@pytest.mark.parametrize("name", ["tiki/tiki.html"])
def test_next_data_fallback_reads_the_real_product_page(raw_samples: Path, name: str) -> None:
    listing = Listing.model_validate(extract_tiki_detail(
        next_data_product(next_data((raw_samples / name).read_text(encoding="utf-8"))), TIKI, []))
    assert (listing.listing_id, listing.price, listing.brand) == ("58673652-58673653", 89_000, "Enchanteur")
    assert listing.seller.name == "Enchanteur Official Store" and listing.category.startswith("Làm Đẹp")
