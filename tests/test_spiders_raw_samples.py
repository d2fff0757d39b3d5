"""The extraction functions on every record of the real platform responses in ../shared/eval/raw."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from crawler.items import Listing
from spiders.formats.common import MissingField
from spiders.formats.shopee import extract_shopee_item_basic, extract_shopee_item_card, search_entries
from spiders.formats.tiki import extract_tiki_detail

Extractor = Callable[[dict[str, Any], str, list[tuple[str, str]]], dict[str, Any]]


def _valid_share(records: list[dict[str, Any]], extract: Extractor, base: str, label: str) -> list[Listing]:
    listings: list[Listing] = []
    problems: list[str] = []
    field_errors = 0
    for index, record in enumerate(records):
        errors: list[tuple[str, str]] = []
        try:
            listings.append(Listing.model_validate(extract(record, base, errors)))
        except (MissingField, ValidationError) as exc:
            problems.append(f"{label}[{index}]: {str(exc).splitlines()[0]}")
        field_errors += len(errors)
    print(f"{label}: {len(listings)}/{len(records)} valid Listings, {field_errors} field errors; {problems[:3]}")
    assert records, f"{label}: no records"
    assert len(listings) >= 0.99 * len(records), problems[:5]
    return listings


def test_tiki_product_details(raw_samples: Path) -> None:
    records = json.loads((raw_samples / "tiki" / "success_002.json").read_text(encoding="utf-8"))
    listings = _valid_share(records, extract_tiki_detail, "https://tiki.vn", "tiki/success_002.json")
    assert all(listing.url.startswith("https://tiki.vn/") for listing in listings)
    assert all(listing.category for listing in listings)  # every record has breadcrumbs
    with_origin = [listing for listing in listings if listing.origin]
    with_seller = [listing for listing in listings if listing.seller.name]
    print(f"origin stated: {len(with_origin)}, seller named: {len(with_seller)}")
    assert with_origin and with_seller


def test_shopee_legacy_search(raw_samples: Path) -> None:
    payload = json.loads((raw_samples / "shopee" / "search_items.json").read_text(encoding="utf-8"))
    kind, entries = search_entries(payload)
    assert kind == "legacy"
    listings = _valid_share(entries, extract_shopee_item_basic, "https://shopee.vn", "shopee/search_items.json")
    by_id = {listing.listing_id: listing for listing in listings}
    # cross-checked against the repo's shopeeitems.json: 63000000000 == 630,000 VND
    assert by_id["22202989673"].price == 630_000
    assert all(listing.seller.province == "TP. Hồ Chí Minh" for listing in listings)


def test_shopee_card_search(raw_samples: Path) -> None:
    payload = json.loads((raw_samples / "shopee" / "shopee_data.json").read_text(encoding="utf-8"))
    kind, entries = search_entries(payload)
    assert kind == "cards"
    listings = _valid_share(entries, extract_shopee_item_card, "https://shopee.vn", "shopee/shopee_data.json")
    assert all(listing.seller.name == "whose.studio" for listing in listings)
    assert all(listing.price and listing.price < 10_000_000 for listing in listings)
    assert any(listing.sold_count and listing.sold_count >= 30_000 for listing in listings)


@pytest.mark.parametrize("name", ["success_002.json"])
def test_tiki_details_keep_every_listing_with_a_bad_price(raw_samples: Path, name: str) -> None:
    records = json.loads((raw_samples / "tiki" / name).read_text(encoding="utf-8"))[:20]
    for record in records:
        record["price"] = "giá tốt nhất"
    errors: list[tuple[str, str]] = []
    items = [extract_tiki_detail(record, "https://tiki.vn", errors) for record in records]
    assert all(item["price"] is None for item in items)
    assert [name for name, _ in errors].count("price") == len(records)
