"""``scrapy crawl chotot`` against the demo marketplace: parameters from the detail, category, seller, URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.items import Listing
from tests.conftest import RAW_SAMPLES
from tests.spider_runs import crawl_debug as crawl
from tests.spider_runs import expected

pytestmark = pytest.mark.slow




SERVE_RAW_SAMPLES = True


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
