"""``scrapy crawl chotot`` against the demo marketplace: parameters from the detail, category, seller, URL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crawler.items import Listing
from tests.conftest import RAW_SAMPLES
from tests.mockserver import MockServer
from tests.test_spiders_e2e import crawl as _crawl
from tests.test_spiders_e2e import expected

pytestmark = pytest.mark.slow


def crawl(spider: str, base_url: str, out: Path, *args: str) -> tuple[list[dict[str, Any]], str]:
    """One crawl with DEBUG logging (the requested URLs are in the log)."""
    return _crawl(spider, base_url, out, *args, "-s", "LOG_LEVEL=DEBUG")


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    args = ["--raw-samples", str(RAW_SAMPLES)] if RAW_SAMPLES.is_dir() else []
    with MockServer(*args) as base_url:
        yield base_url


def test_category_brand_origin_from_parameters(server: str, tmp_path: Path) -> None:
    items, log = crawl("chotot", server, tmp_path / "out.jsonl", "-a", "category=5010")
    wanted = expected(server, "chotot")
    (item,) = items
    listing = Listing.model_validate(item)
    want = wanted[listing.listing_id]
    assert (listing.title, listing.price, listing.brand, listing.origin, listing.description, listing.url) == (
        want.title, 11_900_000, "Apple", "Mỹ", want.description, want.url)
    assert "cg=5010" in log and "/v2/public/ad-listing/" in log


def test_seller_and_one_url(server: str, tmp_path: Path) -> None:
    items, _ = crawl("chotot", server, tmp_path / "seller.jsonl", "-a", "seller=9000002")
    assert {item["seller"]["name"] for item in items} == {"Trần Thị Lan"} and len(items) == 3
    url = f"{server}/chotot/131000005.htm"
    (item,), _ = crawl("chotot", server, tmp_path / "url.jsonl", "-a", f"url={url}", "-a", "source=tip-off")
    assert (item["listing_id"], item["brand"], item["origin"], item["url"], item["source"]) == (
        "131000005", "Rolex", None, url, "tip-off")


def test_real_ads_page_by_offset(server: str, tmp_path: Path) -> None:
    if not RAW_SAMPLES.is_dir():
        pytest.skip(f"real samples not found at {RAW_SAMPLES}")
    items, log = crawl("chotot", server, tmp_path / "raw.jsonl", "-a", "category=2020", "-a", "max_pages=2")
    assert len(items) == 100 and "o=50" in log and "o=100" not in log
    listings = [Listing.model_validate(item) for item in items]
    assert sum(1 for listing in listings if listing.price) >= 99 and all(listing.description for listing in listings)
