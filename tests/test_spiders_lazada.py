"""``scrapy crawl lazada`` against the demo marketplace: pagination by mainInfo, store, category, one URL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from crawler.demo.formats import lazada as lazada_format
from crawler.items import Listing
from spiders.formats.lazada import extract_lazada_list_item
from spiders.lazada import LazadaSpider
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


def test_an_html_answer_is_read_from_window_page_data(server: str, tmp_path: Path) -> None:
    """The ajax URL answering the HTML page (window.pageData) gives the same listings as its JSON."""
    plain, _ = crawl("lazada", server, tmp_path / "json.jsonl", "-a", "keywords=giay")
    items, log = crawl("lazada", server, tmp_path / "html.jsonl", "-a", "keywords=__html__ giay")
    assert plain and [Listing.model_validate(i) for i in items] == [Listing.model_validate(i) for i in plain]
    assert "'spider/lazada/html_pages': " in log and "malformed" not in log


def _spider() -> LazadaSpider:
    crawler = get_crawler(LazadaSpider, {"PLATFORM_BASE_URLS": {"lazada": "http://127.0.0.1:9/lazada"}})
    crawler.stats.open_spider()
    return LazadaSpider.from_crawler(crawler)


def test_real_store_items_in_an_html_page(raw_samples: Path) -> None:
    raw = json.loads((raw_samples / "lazada" / "[lazada]__[zinus-official-store]__[2021-09-22].json").read_text(
        encoding="utf-8"))
    page = lazada_format.html_page(lazada_format.page(raw[:40], page=1, size=40, total=len(raw), query="All-Products"))
    url = "http://127.0.0.1:9/lazada/zinus-official-store/?ajax=true&from=wangpu&page=1"
    response = HtmlResponse(url, body=page.encode("utf-8"), headers={"Content-Type": "text/html; charset=utf-8"},
                            request=Request(url))
    spider = _spider()
    out = list(spider.parse_list(response, page=1, context={"path": "zinus-official-store", "params": {}}))
    items = [item for item in out if isinstance(item, dict)]
    assert len(items) == 40 and all(item["brand"] == "Zinus" and item["partial"] for item in items)
    assert any(isinstance(request, Request) and "page=2" in request.url for request in out)  # 56 items, 40 a page
    blocked = HtmlResponse(url, body=b"<html><body>Please slide to verify</body></html>", request=Request(url))
    assert list(spider.parse_list(blocked, page=1, context={"path": "x", "params": {}})) == []
    assert spider.crawler.stats.get_value("spider/lazada/malformed_responses") == 1


@pytest.mark.parametrize(("brand", "location", "want_brand", "want_province"), [
    ("No Brand", "Overseas", None, None),
    ("Not Specified", "Trung Quốc", None, None),
    ("OEM", "China", None, None),
    ("no brand", "Hàn Quốc", None, None),
    ("Đang cập nhật", "Hà Nội", None, "Hà Nội"),
    ("Zinus", "Hồ Chí Minh", "Zinus", "Hồ Chí Minh"),
])
def test_no_brand_words_and_countries_are_empty(
    brand: str, location: str, want_brand: str | None, want_province: str | None
) -> None:
    entry = {"name": "Nệm foam", "itemId": "1", "productUrl": "//www.lazada.vn/products/nem-i1-s2.html",
             "price": "100000", "brandName": brand, "location": location, "sellerName": "Shop", "sellerId": "9"}
    item = extract_lazada_list_item(entry, "http://127.0.0.1:9/lazada", [])
    assert (item["brand"], item["seller"]["province"]) == (want_brand, want_province)
