"""MarketplaceSpider: arguments, base URL from settings, malformed JSON and bad fields handled, not raised."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse, Request, TextResponse
from scrapy.utils.test import get_crawler

from spiders.base import SpiderArgumentError, parse_keywords, parse_max_pages
from spiders.shopee import ShopeeSpider
from spiders.tiki import TikiSpider

DATA = Path(__file__).parent / "data" / "spiders"


def make(spider_cls: type, settings: dict | None = None, **kwargs: str) -> TikiSpider:
    crawler = get_crawler(spider_cls, settings or {})
    crawler.stats.open_spider()
    return spider_cls.from_crawler(crawler, **kwargs)


def test_keywords_from_argument_and_file(tmp_path: Path) -> None:
    words = tmp_path / "words.txt"
    words.write_text("# tìm hàng cấm\nbóng cười\nvape  # e-cigarettes\n\nkem chống nắng\n", encoding="utf-8")
    assert parse_keywords("iphone, kem chống nắng ,", str(words)) == ["iphone", "kem chống nắng", "bóng cười", "vape"]
    assert parse_keywords(None, None) == []
    with pytest.raises(SpiderArgumentError, match=r"keywords_file=.*cannot read"):
        parse_keywords(None, str(tmp_path / "missing.txt"))


@pytest.mark.parametrize("raw", ["0", "-3", "abc", "1.5"])
def test_max_pages_is_validated(raw: str) -> None:
    with pytest.raises(SpiderArgumentError, match="max_pages must be a positive integer"):
        parse_max_pages(raw)
    assert parse_max_pages(" 3 ") == 3 and parse_max_pages(None) is None


def test_spider_reads_its_base_url_and_defaults() -> None:
    spider = make(TikiSpider, {"PLATFORM_BASE_URLS": json.dumps({"tiki": "http://127.0.0.1:9/tiki/"})})
    assert spider.base_url == "http://127.0.0.1:9/tiki" and spider.keywords == ["*"]
    other = make(ShopeeSpider, {"PLATFORM_BASE_URLS": {"tiki": "http://x"}}, keywords="a,b", max_pages="2")
    assert other.base_url == "https://shopee.vn" and other.keywords == ["a", "b"] and other.max_pages == 2
    assert other.more_pages(1) and not other.more_pages(2)


def test_malformed_json_is_logged_and_counted(caplog: pytest.LogCaptureFixture) -> None:
    spider = make(TikiSpider)
    response = TextResponse("http://127.0.0.1:9/tiki/api/v2/products?q=x", body=b'{"data": [', encoding="utf-8")
    with caplog.at_level(logging.ERROR):
        assert list(spider.parse_search(response, keyword="x", page=1)) == []
    assert "http://127.0.0.1:9/tiki/api/v2/products?q=x: malformed JSON (" in caplog.text
    assert spider.crawler.stats.get_value("spider/tiki/malformed_responses") == 1
    html = HtmlResponse("http://127.0.0.1:9/x", body=b"<html>captcha</html>", encoding="utf-8")
    assert spider.parse_json(html) is None
    assert spider.crawler.stats.get_value("spider/tiki/malformed_responses") == 2


def test_bad_field_is_logged_and_listing_kept(caplog: pytest.LogCaptureFixture) -> None:
    spider = make(TikiSpider, {"PLATFORM_BASE_URLS": {"tiki": "http://127.0.0.1:9/tiki"}})
    search = TextResponse("http://127.0.0.1:9/tiki/api/v2/products?q=x", encoding="utf-8",
                          body=(DATA / "tiki_search.json").read_bytes())
    with caplog.at_level(logging.WARNING):
        requests = list(spider.parse_search(search, keyword="x", page=1))
    assert [r.url for r in requests] == [
        "http://127.0.0.1:9/tiki/api/v2/products/310000001?spid=310000003",
        "http://127.0.0.1:9/tiki/api/v2/products/310000002?spid=310000009",
    ]  # the third item has no id: skipped and logged
    assert "field=price: PriceError" in caplog.text and "search item skipped (id is missing)" in caplog.text
    detail = json.loads((DATA / "tiki_detail.json").read_text(encoding="utf-8"))
    detail["price"] = "xyz"
    response = TextResponse(requests[0].url, body=json.dumps(detail).encode(), encoding="utf-8",
                            request=Request(requests[0].url))
    (item,) = spider.parse_detail(response, **requests[0].cb_kwargs)
    # the detail's unreadable price is logged; the search page's price stands
    assert item["price"] == 185_000 and item["origin"] == "Đức" and item["seller"]["official"] is True
    assert f"{requests[0].url} field=price:" in caplog.text
    assert spider.crawler.stats.get_value("spider/tiki/field_errors") == 2
