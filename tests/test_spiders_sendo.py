"""``scrapy crawl sendo`` against the demo marketplace: detail follow-up, seller, one URL, real pages."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.items import Listing
from tests.conftest import RAW_SAMPLES
from tests.spider_runs import crawl_debug as crawl
from tests.spider_runs import expected

pytestmark = pytest.mark.slow




SERVE_RAW_SAMPLES = True


def test_detail_gives_brand_origin_description(server: str, tmp_path: Path) -> None:
    items, log = crawl("sendo", server, tmp_path / "out.jsonl", "-a", "keywords=iphone 15")
    wanted = expected(server, "sendo")
    got = {item["listing_id"]: Listing.model_validate(item) for item in items}
    assert len(got) == 3
    for listing_id, listing in got.items():
        want = wanted[listing_id]
        assert (listing.price, listing.brand, listing.origin, listing.seller, listing.url, listing.description) == (
            want.price, want.brand, want.origin, want.seller, want.url, want.description)
    assert "/sendo_detail/full/" in log


def test_seller_and_one_url(server: str, tmp_path: Path) -> None:
    items, _ = crawl("sendo", server, tmp_path / "shop.jsonl", "-a", "seller=76003")
    assert {item["seller"]["name"] for item in items} == {"Samsung Chính Hãng"} and len(items) == 2
    assert all(item["seller"]["official"] for item in items)
    url = f"{server}/sendo/ao-polo-lacoste-vnxk-37800005.html"
    (item,), _ = crawl("sendo", server, tmp_path / "url.jsonl", "-a", f"url={url}", "-a", "source=tip-off")
    assert (item["listing_id"], item["brand"], item["url"], item["source"]) == ("37800005", "Lacoste", url, "tip-off")


def test_real_search_pages_until_a_short_page(server: str, tmp_path: Path) -> None:
    if not RAW_SAMPLES.is_dir():
        pytest.skip(f"real samples not found at {RAW_SAMPLES}")
    items, log = crawl("sendo", server, tmp_path / "raw.jsonl", "-a", "keywords=iphone", "-a", "max_pages=2")
    assert len(items) == 120 and "page=2" in log and "page=3" not in log
    listings = [Listing.model_validate(item) for item in items]
    assert all(listing.price and listing.seller.name and listing.url.endswith(".html") for listing in listings)
