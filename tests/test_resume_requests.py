"""Resume needs every request a spider makes to survive ``JOBDIR``'s disk queue (and scrapy-redis's
queue, which pickles the same way): callbacks that are spider methods, picklable ``cb_kwargs`` and
``meta`` (the list entry a detail request carries, with its list page as evidence). And a crawl stopped
before its end says at ERROR how many requests could not be saved (crawler/resume.py)."""

from __future__ import annotations

import logging
import pickle
from typing import Any

import pytest
import scrapy
from scrapy.exceptions import NotConfigured
from scrapy.utils.request import request_from_dict
from scrapy.utils.test import get_crawler

from crawler.resume import ResumeCheck
from spiders.shopee import ShopeeSpider
from spiders.tiki import TikiSpider
from tests.spider_runs import mock_bases

BASES = mock_bases("http://127.0.0.1:9")
ENTRY = {"listing_id": "123-456", "title": "Nồi chiên", "url": "http://127.0.0.1:9/tiki/noi-p123.html",
         "spid": "456", "price": 10, "seller": {"platform_id": "7", "name": None},
         "capture": {"url": "http://127.0.0.1:9/tiki/api/v2/products?page=1", "status": 200,
                     "body": b'{"data": []}', "screenshot": None}}


def _spider(cls: type[Any], **kwargs: Any) -> Any:
    spider = cls(keywords="nồi chiên", **kwargs)
    spider._set_crawler(get_crawler(cls, {"PLATFORM_BASE_URLS": BASES}))
    return spider


def _saved_and_loaded(request: scrapy.Request, spider: Any) -> scrapy.Request:
    """What Scrapy's disk queue does to a request and back (request_to_dict, pickle)."""
    return request_from_dict(pickle.loads(pickle.dumps(request.to_dict(spider=spider), protocol=4)), spider=spider)


def _requests() -> list[tuple[scrapy.Request, Any]]:
    tiki = _spider(TikiSpider)
    shopee = _spider(ShopeeSpider)
    browser = _spider(ShopeeSpider, browser=True)
    return [
        (tiki.search_request("nồi chiên", 2), tiki),
        (tiki.detail_request("123", "456", dict(ENTRY)), tiki),
        (*tiki.fallback("http://127.0.0.1:9/tiki/api/v2/products/123", dict(ENTRY), "http_503"), tiki),
        (shopee.listing_request("keyword", "nồi chiên", 3), shopee),
        (shopee.detail_request(dict(ENTRY), "7", "123"), shopee),
        (browser.listing_request("keyword", "nồi chiên", 1), browser),
        (browser.detail_request(dict(ENTRY), "7", "123"), browser),
    ]


@pytest.mark.parametrize("index", range(7))
def test_a_spiders_request_survives_the_disk_queue(index: int) -> None:
    request, spider = _requests()[index]
    loaded = _saved_and_loaded(request, spider)
    assert loaded.url == request.url
    assert loaded.callback == request.callback and loaded.errback == request.errback
    assert loaded.cb_kwargs == request.cb_kwargs
    assert loaded.meta == request.meta
    assert loaded.dont_filter == request.dont_filter


def test_shopee_remembers_shops_in_the_state_jobdir_keeps() -> None:
    spider = _spider(ShopeeSpider)
    spider.shop_names["7"] = "Shop Bảy"
    spider.shop_waiting["8"] = [dict(ENTRY)]
    state = pickle.loads(pickle.dumps(spider.state, protocol=4))  # what SpiderState writes and reads
    resumed = _spider(ShopeeSpider)
    resumed.state = state  # as SpiderState sets it when the spider opens
    assert resumed.shop_names == {"7": "Shop Bảy"}
    assert resumed.shop_waiting["8"][0]["capture"]["body"] == b'{"data": []}'


def _check(settings: dict[str, Any], unserializable: int) -> ResumeCheck:
    crawler = get_crawler(TikiSpider, settings)
    crawler.stats.set_value("scheduler/unserializable", unserializable)
    return ResumeCheck.from_crawler(crawler)


def test_a_stop_before_the_end_names_the_requests_jobdir_could_not_keep(caplog: pytest.LogCaptureFixture,
                                                                          tmp_path: Any) -> None:  # fmt: skip
    check = _check({"JOBDIR": str(tmp_path / "job")}, 3)
    with caplog.at_level(logging.ERROR, logger="crawler.resume"):
        check.spider_closed(None, "finished")  # fetched anyway: nothing to say
        assert not caplog.records
        check.spider_closed(None, "shutdown")
    assert len(caplog.records) == 1
    assert "3 requests could not be saved in JOBDIR" in caplog.text and str(tmp_path / "job") in caplog.text
    with caplog.at_level(logging.ERROR, logger="crawler.resume"):
        _check({"JOBDIR": str(tmp_path / "job")}, 0).spider_closed(None, "shutdown")
    assert len(caplog.records) == 1
    with pytest.raises(NotConfigured):
        _check({}, 3)
