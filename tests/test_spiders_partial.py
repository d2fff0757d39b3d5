"""Detail requests that fail (404, 500, garbage, deep nesting, a decompression bomb, a dropped
connection): every list entry still comes out, as a partial listing with its list entry's fields_seen,
counted per cause. The mock server answers list pages as usual and every detail with the fault
(``--detail-fault``); the real search pages are those of ../shared/eval/raw."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.test import get_crawler
from twisted.internet.error import ConnectionRefusedError, DNSLookupError, TCPTimedOutError, TimeoutError
from twisted.python.failure import Failure

from crawler import settings as project_settings
from crawler.items import Listing
from crawler.store import open_store
from spiders.base import failure_cause
from spiders.tiki import TikiSpider
from tests.conftest import RAW_SAMPLES
from tests.mockserver import REPO, MockServer
from tests.spider_runs import crawl, expected

pytestmark = pytest.mark.slow

REAL_SEARCHES = [
    # spider, arguments, entries on the real list pages
    ("tiki", ("-a", "category=1883"), 40),                      # tiki_products_preview_*.csv
    ("tiki", ("-a", "seller=vua-nem-official-store"), 94),       # tiki.json, 2 pages
    ("sendo", ("-a", "keywords=iphone", "-a", "max_pages=1"), 60),  # sendo_iphone_600.json, one page
    ("shopee", ("-a", "seller=203699428"), 35),                  # search_items.json (item_basic)
    ("shopee", ("-a", "seller=978489333"), 30),                  # shopee_data.json (item cards)
    ("chotot", ("-a", "category=2020", "-a", "max_pages=1"), 50),  # data2.csv's raw ad-listing fields
]


@pytest.fixture(scope="module")
def real_404() -> Iterator[str]:
    """The mock server with the real samples, every detail answering 404."""
    if not RAW_SAMPLES.is_dir():
        pytest.skip(f"real samples not found at {RAW_SAMPLES} (they live in ../shared/eval/raw)")
    with MockServer("--raw-samples", str(RAW_SAMPLES), "--detail-fault", "404") as base_url:
        yield base_url


def stat(log: str, key: str) -> int:
    """A counter of the crawl's final stats dump (0 when absent)."""
    marker = f"'{key}': "
    if marker not in log:
        return 0
    return int(log.split(marker, 1)[1].split(",", 1)[0].split("}", 1)[0])


def check_partial(items: list[dict], log: str, spider: str, cause: str, count: int) -> None:
    listings = [Listing.model_validate(item) for item in items]
    assert len({listing.listing_id for listing in listings}) == count
    assert all(listing.partial for listing in listings)
    for listing in listings:  # the list entries carry no origin: a missing one is never "none stated"
        assert listing.fields_seen and "origin" not in listing.fields_seen and listing.origin is None
        # Chợ Tốt's ad listing carries the ad's text; the other list entries carry no description
        assert ("description" in listing.fields_seen) == (spider == "chotot")
    assert stat(log, "listings/partial") == count and stat(log, f"listings/partial/{cause}") == count
    assert stat(log, f"spider/{spider}/partial/{cause}") == count


@pytest.mark.parametrize(("spider", "args", "entries"), REAL_SEARCHES, ids=lambda v: str(v).replace(" ", ""))
def test_real_list_pages_with_details_404_keep_every_entry(
    real_404: str, tmp_path: Path, spider: str, args: tuple[str, ...], entries: int
) -> None:
    items, log = crawl(spider, real_404, tmp_path / "out.jsonl", *args)
    check_partial(items, log, spider, "http_404", entries)
    assert sum(1 for item in items if item["price"]) >= 0.9 * entries  # the list entry's price is kept
    if spider != "chotot":  # the recorded ads kept no account id
        assert all(item["seller"]["platform_id"] for item in items)


DEMO = {"tiki": 95, "shopee": 104, "sendo": 8, "chotot": 7}
"""Listings of each platform in the demo data (a crawl with the default keyword ``*`` lists them all)."""


@pytest.mark.parametrize(("fault", "cause", "spiders"), [
    ("500", "http_500", ("tiki", "sendo", "chotot")),
    ("garbage", "unreadable", ("tiki", "shopee", "chotot")),
    ("deep", "unreadable", ("tiki", "sendo", "shopee")),
    ("bomb", "too_large", ("sendo", "chotot")),
    ("drop", "connection", ("shopee",)),
])
def test_demo_list_pages_with_failing_details(tmp_path: Path, fault: str, cause: str, spiders: tuple[str, ...]) -> None:
    with MockServer("--detail-fault", fault) as base_url:
        for spider in spiders:
            items, log = crawl(spider, base_url, tmp_path / f"{spider}.jsonl", "-s", "DOWNLOAD_MAXSIZE=1000000")
            assert Counter(item["platform"] for item in items) == {spider: DEMO[spider]}, log[-2000:]
            check_partial(items, log, spider, cause, DEMO[spider])
            wanted = expected(base_url, spider)
            for item in items:  # what the list entry said is kept as it said it
                listing = Listing.model_validate(item)
                want = wanted[listing.listing_id]
                assert (listing.title, listing.url) == (want.title, want.url)
            if fault == "bomb":
                assert "exceeded DOWNLOAD_MAXSIZE (1000000 B) during decompression" in log
            if fault in ("garbage", "deep"):
                assert "malformed JSON (" in log and "Traceback" not in log


def test_shop_site_product_pages_failing_keep_their_list_entries(tmp_path: Path) -> None:
    """The product pages of an ItemList (named entries) and of a YAML site (link texts) answer 404."""
    with MockServer("--detail-fault", "404") as base_url:
        items, log = crawl("shopsite", base_url, tmp_path / "ld.jsonl", "-a", f"url={base_url}/shopsite/jsonld/")
        assert len(items) == 3 and all(item["partial"] and item["fields_seen"] == ["title"] for item in items)
        assert {item["title"] for item in items} == {
            "Tinh dầu vape 30ml vị xoài lạnh Salt Nic 35mg", "Đồng hồ Omega Seamaster Diver 300M replica 1:1",
            "Nồi chiên không dầu 5L chống dính"}
        assert {item["listing_id"] for item in items} == {"/shopsite/jsonld/san-pham/tinh-dau-vape-xoai",
                                                          "/shopsite/jsonld/san-pham/dong-ho-omega-seamaster",
                                                          "/shopsite/jsonld/san-pham/noi-chien-khong-dau"}
        assert stat(log, "listings/partial/http_404") == 3
        items, log = crawl("shopsite", base_url, tmp_path / "yaml.jsonl", "-a", "site=demo_shop", "-s",
                           f'PLATFORM_BASE_URLS={{"demo_shop": "{base_url}/shopsite/plain"}}')
        got = {item["listing_id"]: item for item in items}
        assert sorted(got) == ["1001", "1002", "1003", "1004"] and all(item["partial"] for item in items)
        assert got["1003"]["title"] == "Kem chống nắng La Roche Posay 50ml" and got["1003"]["platform"] == "demo_shop"


@pytest.mark.parametrize(("exc", "cause"), [
    (HttpError(Response("http://127.0.0.1:9/x", status=429, request=Request("http://127.0.0.1:9/x")), "429"),
     "http_429"),
    (TimeoutError(), "timeout"),
    (TCPTimedOutError(), "timeout"),
    (ConnectionRefusedError(), "connection"),
    (DNSLookupError(), "connection"),
    (IgnoreRequest("Ignored response <200 http://x> because its body exceeded DOWNLOAD_MAXSIZE (1 B)"), "too_large"),
    (ValueError("odd"), "ValueError"),
])
def test_failure_causes(exc: Exception, cause: str) -> None:
    assert failure_cause(Failure(exc)) == cause


def test_a_partial_listing_keeps_its_list_page_as_evidence() -> None:
    """With evidence capture on, a partial listing's capture is the list page with its entry (not the
    detail's 404 body, which crawler.capture would otherwise attach)."""
    settings = {"SPIDER_MIDDLEWARES": project_settings.SPIDER_MIDDLEWARES,  # crawler.capture is on
                "PLATFORM_BASE_URLS": {"tiki": "http://127.0.0.1:9/tiki"}}
    crawler = get_crawler(TikiSpider, settings)
    crawler.stats.open_spider()
    spider = TikiSpider.from_crawler(crawler)
    search_url = "http://127.0.0.1:9/tiki/api/v2/products?q=x"
    body = (Path(__file__).parent / "data" / "spiders" / "tiki_search.json").read_bytes()
    search = TextResponse(search_url, body=body, request=Request(search_url))
    request = next(iter(spider.parse_search(search, keyword="x", page=1)))
    page = request.cb_kwargs["partial"]["url"]
    failed = Failure(HttpError(Response(page, status=404, body=b"gone", request=Request(page)), "404"))
    failed.request = request.replace(url=page, cb_kwargs={"partial": request.cb_kwargs["partial"], "cause": "http_404"})
    (item,) = spider.page_failed(failed)
    assert item["partial"] and (item["capture"]["url"], item["capture"]["body"]) == (search_url, body)
    assert crawler.stats.get_value("listings/partial/http_404") == 1


def test_partial_listings_go_through_the_pipelines_into_the_store(tmp_path: Path) -> None:
    """Details down: every Tiki search item is stored, partial; none is flagged for a missing origin
    (its source carried none); a flagged one keeps the search page as its evidence."""
    store_uri = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    with MockServer("--detail-fault", "404") as base_url:
        command = [
            sys.executable, "-m", "scrapy", "crawl", "tiki",
            "-s", f"PLATFORM_BASE_URLS={json.dumps({'tiki': f'{base_url}/tiki'})}", "-s", f"STORE_URI={store_uri}",
            "-s", f"EVIDENCE_DIR={tmp_path / 'evidence'}", "-s", f"SPOOL_DIR={tmp_path / 'spool'}",
            "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "DOWNLOAD_DELAY=0", "-s", "RETRY_TIMES=1", "-s", "LOG_LEVEL=INFO",
        ]  # fmt: skip
        result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=180, check=False)
    with open_store(store_uri) as store:
        listings = list(store.iter_listings())
    assert len(listings) == DEMO["tiki"] and all(listing.partial for listing in listings), result.stderr[-3000:]
    assert not any(flag.kind == "missing_origin" for listing in listings for flag in listing.flags)
    flagged = [listing for listing in listings if listing.flags]
    assert flagged and all(listing.evidence and "/tiki/api/v2/products?" in str(listing.evidence[0].url)
                           and listing.evidence[0].kind == "list_page"
                           for listing in flagged)
