"""JSON bodies are read as UTF-8 by one bounded helper (spiders.formats.jsonbody), never by Scrapy's
encoding guess: invalid bytes are replaced and the URL logged; too deep, too big or too long numbers
are refused as unreadable (the listing then comes from its list entry, partial)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from scrapy.http import Request, TextResponse
from scrapy.utils.test import get_crawler

from crawler import settings as project_settings
from spiders.formats.jsonbody import MAX_DEPTH, UnreadableJson, decode_json
from spiders.sendo import SendoSpider
from spiders.tiki import TikiSpider

DATA = Path(__file__).parent / "data" / "spiders"
BASE = "http://127.0.0.1:9"


def test_invalid_utf8_is_replaced_and_counted() -> None:
    body = '{"name": "Kem chống nắng", "origin": "Hàn Quốc"}'.encode().replace(b"Kem", b"\xffKem")
    decoded = decode_json(body)
    assert decoded.value == {"name": "\ufffdKem chống nắng", "origin": "Hàn Quốc"} and decoded.replaced == 1
    assert decode_json(b"\xef\xbb\xbf" + '{"a": "\ufffd"}'.encode()).replaced == 0  # a BOM; a real U+FFFD


@pytest.mark.parametrize(("body", "reason"), [
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    (b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1), f"nested more than {MAX_DEPTH} levels"),
    (b'{"price": ' + b"9" * 5_000 + b"}", "digits"),
    (b"<html>Access denied</html>", "Expecting value"),
    (b'{"a": "' + b"x" * 2_000 + b'"}', "over the 1000-byte cap"),
])
def test_unreadable_bodies_are_refused_with_a_reason(body: bytes, reason: str) -> None:
    with pytest.raises(UnreadableJson, match=reason):
        decode_json(body, max_bytes=1_000 if len(body) < 3_000 else None)


def test_size_caps_are_set() -> None:
    """Scrapy refuses bodies over DOWNLOAD_MAXSIZE on the wire and while decompressing: the project sets it."""
    assert 0 < project_settings.DOWNLOAD_WARNSIZE < project_settings.DOWNLOAD_MAXSIZE <= 64 * 1024 * 1024


def make(spider_cls: type) -> Any:
    bases = {"tiki": f"{BASE}/tiki", "sendo": f"{BASE}/sendo", "sendo_search": f"{BASE}/sendo_search",
             "sendo_detail": f"{BASE}/sendo_detail"}
    crawler = get_crawler(spider_cls, {"PLATFORM_BASE_URLS": bases})
    crawler.stats.open_spider()
    return spider_cls.from_crawler(crawler)


def guessed(url: str, body: bytes) -> TextResponse:
    """A response as Scrapy builds it from a JSON answer without a charset: it guesses the encoding."""
    return TextResponse(url, body=body, headers={"Content-Type": "application/json"}, request=Request(url))


def test_one_invalid_byte_does_not_garble_a_tiki_listing(caplog: pytest.LogCaptureFixture) -> None:
    spider = make(TikiSpider)
    search = guessed(f"{BASE}/tiki/api/v2/products?q=x", (DATA / "tiki_search.json").read_bytes())
    request = next(iter(spider.parse_search(search, keyword="x", page=1)))
    detail = json.loads((DATA / "tiki_detail.json").read_text(encoding="utf-8"))
    body = json.dumps(detail, ensure_ascii=False).encode().replace(b'"sku": "', b'"sku": "\xff', 1)
    response = guessed(request.url, body)
    assert response.encoding != "utf-8" and detail["name"] not in response.text  # Scrapy's guess garbles it
    with caplog.at_level(logging.WARNING):
        (item,) = spider.parse_detail(response, **request.cb_kwargs)
    assert item["title"] == detail["name"] and item["partial"] is False
    assert item["seller"]["name"] == detail["current_seller"]["name"]
    assert item["origin"] and "\ufffd" not in item["origin"] + item["title"]
    assert f"{request.url}: 1 invalid UTF-8 byte sequence(s) replaced" in caplog.text
    assert spider.crawler.stats.get_value("spider/tiki/invalid_utf8") == 1


def test_a_deeply_nested_detail_leaves_the_listing_partial(caplog: pytest.LogCaptureFixture) -> None:
    spider = make(SendoSpider)
    search = guessed(f"{BASE}/sendo_search/web/products?q=x", (DATA / "sendo_search.json").read_bytes())
    request = next(r for r in spider.parse_search(search, params={"q": "x"}, page=1) if "/full/" in r.url)
    deep = guessed(request.url, b'{"data": ' + b"[" * 50_000 + b"]" * 50_000 + b"}")
    with caplog.at_level(logging.INFO):
        (item,) = spider.parse_detail(deep, **request.cb_kwargs)
    assert item["partial"] is True and item["listing_id"] == request.cb_kwargs["partial"]["listing_id"]
    assert f"{request.url}: malformed JSON (nested too deeply" in caplog.text
    assert spider.crawler.stats.get_value("listings/partial/unreadable") == 1
