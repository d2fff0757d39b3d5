"""Identity: the same product from two sellers is two listings (Tiki: product id + seller product id)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from scrapy.http import Request, TextResponse
from scrapy.utils.test import get_crawler

from spiders.formats.tiki import extract_tiki_detail, extract_tiki_search_item, tiki_listing_id
from spiders.tiki import TikiSpider

DATA = Path(__file__).parent / "data" / "spiders"
BASE = "http://127.0.0.1:9/tiki"


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def test_two_sellers_of_one_tiki_product_are_two_listings() -> None:
    entry = load("tiki_search.json")["data"][0]
    other = {**entry, "seller_product_id": 999_000_111, "seller_id": 42}
    ids = {extract_tiki_search_item(e, BASE, [])["listing_id"] for e in (entry, other)}
    assert ids == {f"{entry['id']}-{entry['seller_product_id']}", f"{entry['id']}-999000111"}
    # no seller product id: the product id alone, as every Tiki id was before
    assert extract_tiki_search_item({**entry, "seller_product_id": None}, BASE, [])["listing_id"] == str(entry["id"])
    assert tiki_listing_id(5, 5) == "5" and tiki_listing_id("5", "") == "5"


def test_the_detail_keeps_the_offer_it_was_asked_for() -> None:
    detail = load("tiki_detail.json")
    spid = detail["current_seller"]["product_id"]
    assert extract_tiki_detail(detail, BASE, [])["listing_id"] == f"{detail['id']}-{spid}"
    crawler = get_crawler(TikiSpider, {"PLATFORM_BASE_URLS": {"tiki": BASE}})
    crawler.stats.open_spider()
    url = f"{BASE}/x-p{detail['id']}.html?spid=777"
    spider = TikiSpider.from_crawler(crawler, url=url)
    (request,) = spider.url_requests(url)
    assert request.url.endswith(f"/api/v2/products/{detail['id']}?spid=777")
    no_seller = {**detail, "current_seller": None}  # most real details name no current seller
    body = json.dumps(no_seller, ensure_ascii=False).encode()
    (item,) = spider.parse_detail(TextResponse(request.url, body=body, request=Request(request.url)),
                                  **request.cb_kwargs)
    assert (item["listing_id"], item["url"]) == (f"{detail['id']}-777", url)
