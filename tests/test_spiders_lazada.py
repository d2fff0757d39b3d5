"""``scrapy crawl lazada`` against the demo marketplace: pagination by mainInfo, store, category, one URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.items import Listing
from tests.spider_runs import crawl_debug as crawl
from tests.spider_runs import differences, expected

pytestmark = pytest.mark.slow


LISTED = ("url", "title", "price", "original_price", "brand", "seller", "images", "rating")




def test_pages_follow_main_info_and_max_pages(server: str, tmp_path: Path) -> None:
    items, log = crawl("lazada", server, tmp_path / "all.jsonl", "-a", "keywords=*")
    assert len(items) == 10 and "page=3" in log and "page=4" not in log  # 10 listings, 4 a page
    first, _ = crawl("lazada", server, tmp_path / "one.jsonl", "-a", "max_pages=1")
    assert len(first) == 4


def test_store_and_category_pages(server: str, tmp_path: Path) -> None:
    wanted = expected(server, "lazada")
    store, log = crawl("lazada", server, tmp_path / "store.jsonl", "-a", "seller=zinus-official-store")
    assert "/lazada/zinus-official-store/?ajax=true&from=wangpu&page=1" in log
    got = {item["listing_id"]: Listing.model_validate(item) for item in store}
    assert {listing.seller.name for listing in got.values()} == {"Zinus Official Store"} and len(got) == 2
    assert all(listing.seller.official and listing.seller.province == "Hồ Chí Minh" for listing in got.values())
    assert differences(got, wanted, LISTED) == []
    shoes, _ = crawl("lazada", server, tmp_path / "cat.jsonl", "-a", "category=giay")
    assert shoes and all("Giày" in item["title"] for item in shoes)


def test_one_url_reads_the_product_page(server: str, tmp_path: Path) -> None:
    wanted = expected(server, "lazada")
    target = next(w for w in wanted.values() if w.brand == "Nike")
    items, _ = crawl("lazada", server, tmp_path / "url.jsonl", "-a", f"url={target.url}", "-a", "source=tip-off")
    (item,) = items
    assert (item["listing_id"], item["price"], item["brand"], item["url"], item["source"]) == (
        target.listing_id, target.price, "Nike", target.url, "tip-off")


def test_malformed_page_is_logged(server: str, tmp_path: Path) -> None:
    items, log = crawl("lazada", server, tmp_path / "bad.jsonl", "-a", "keywords=__malformed__ giay")
    assert items == [] and "malformed JSON (" in log and "'spider/lazada/malformed_responses': 1" in log
