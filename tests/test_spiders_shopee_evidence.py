"""Shopee over its API: a listing completed by the seller's shop info keeps its OWN response as evidence.

``item/get`` does not name the shop, so the spider asks ``get_shop_info`` and yields the listing from
that callback; the listing's capture must still be its ``item/get`` response (the issue's example: a
flagged listing whose only evidence was 287 bytes of shop name and location).
"""

from __future__ import annotations

import json
from typing import Any

from scrapy import Request
from scrapy.http import TextResponse
from scrapy.utils.test import get_crawler

from crawler import settings as project_settings
from spiders.shopee import ShopeeSpider

BASE = "https://shopee.vn"


def _spider() -> ShopeeSpider:
    settings = {"SPIDER_MIDDLEWARES": project_settings.SPIDER_MIDDLEWARES,  # crawler.capture is on
                "PLATFORM_BASE_URLS": {"shopee": BASE}}
    crawler = get_crawler(ShopeeSpider, settings)
    crawler.stats.open_spider()
    return ShopeeSpider.from_crawler(crawler, url=f"{BASE}/product/7/42")


def _response(url: str, payload: dict[str, Any]) -> TextResponse:
    return TextResponse(url, body=json.dumps(payload).encode(), encoding="utf-8", request=Request(url))


def test_listing_yielded_after_shop_info_keeps_its_item_get_response() -> None:
    spider = _spider()
    item_url = f"{BASE}/api/v4/item/get?itemid=42&shopid=7"
    detail = _response(item_url, {"error": None, "data": {"itemid": 42, "shopid": 7, "name": "Bằng đại học giả",
                                                           "price": 150000000000, "description": "làm bằng"}})
    (shop_request,) = list(spider.parse_item(detail, partial={}))
    assert "get_shop_info" in shop_request.url
    shop = _response(shop_request.url, {"data": {"name": "Shop Bằng Cấp", "shop_location": "Hà Nội"}})
    (listing,) = list(spider.parse_shop(shop, **shop_request.cb_kwargs))
    assert listing["seller"]["name"] == "Shop Bằng Cấp"
    capture = listing["capture"]
    assert capture["url"] == item_url and capture["body"] == detail.body and capture["kind"] == "response"
    # the shop lookup failing for good changes nothing: the listing's own response is still its evidence
    failed = list(spider.shop_failed(type("F", (), {"request": shop_request,
                                                    "getErrorMessage": staticmethod(lambda: "503")})()))
    assert failed[0]["capture"]["url"] == item_url
