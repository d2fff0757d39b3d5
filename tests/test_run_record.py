"""The crawl-run record: written at ``spider_closed`` after the extensions' handlers (the causes
crawl_end derives, the monitors' results), with the run's exit code, counts, audit head; spooled when
the store does not take it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.utils.test import get_crawler

from crawler.crawl_end import CrawlEnd
from crawler.exit_codes import ExitCode, note_failure
from crawler.items import Listing
from crawler.run_record import build_run_record, run_failed
from crawler.store import open_store
from pipelines.store import StorePipeline

UNREACHABLE = "mongodb://127.0.0.1:9/listing_monitor?serverSelectionTimeoutMS=300"


def _crawler(tmp_path: Path, uri: str, **settings: Any) -> Crawler:
    crawler = get_crawler(settings_dict={"STORE_URI": uri, "SPOOL_DIR": str(tmp_path / "spool"), **settings})
    crawler.spider = scrapy.Spider(name="tiki")
    crawler.stats.open_spider()
    return crawler


class _Monitors:
    """What a monitors extension (spidermon's, issue 16) leaves in the stats at spider_closed."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    def spider_closed(self) -> None:
        stats = self.crawler.stats
        stats.set_value("monitors/failed", ["ListingCount: 0 listings, the job's median is 120"])
        stats.set_value("monitors/passed", 5)
        note_failure(stats, ExitCode.NO_LISTINGS, "monitor ListingCount failed")


def _close(crawler: Crawler, reason: str = "finished") -> None:
    crawler.stats.set_value("finish_reason", reason)  # Scrapy's CoreStats does it at spider_closed
    crawler.signals.send_catch_log(signals.spider_closed, spider=crawler.spider, reason=reason)


def test_the_record_is_written_after_the_causes_derived_at_the_end_and_the_monitors(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    crawler = _crawler(tmp_path, uri, CRAWL_JOB="tiki-daily", JOBDIR=str(tmp_path / "jobs" / "tiki-daily"))
    # the extensions are made before the pipelines, so their handlers run first (kept: signals hold weak refs)
    extensions = [CrawlEnd(crawler), _Monitors(crawler)]
    pipeline = StorePipeline.from_crawler(crawler)
    pipeline.open_spider()
    crawler.stats.set_value("downloader/response_status_count/200", 3)
    crawler.stats.set_value("downloader/response_status_count/404", 1)
    crawler.stats.set_value("crawl/pages", 4)
    pipeline.close_spider()
    with open_store(uri) as store:
        assert store.recent_crawl_runs() == []  # not yet: the run is not over before spider_closed
    _close(crawler)
    with open_store(uri) as store:
        (run,) = store.recent_crawl_runs(job="tiki-daily")
    assert run["causes"] == ["NO_LISTINGS: no listing came out of the crawl",
                             "NO_LISTINGS: monitor ListingCount failed"]  # fmt: skip
    assert (run["status"], run["exit_code"], run["exit_name"], run["finish_reason"]) == ("failed", 5, "NO_LISTINGS",
                                                                                         "finished")  # fmt: skip
    assert run["monitors"] == {"passed": 5, "failed": ["ListingCount: 0 listings, the job's median is 120"]}
    assert run["http_status"] == {"200": 3, "404": 1} and run["pages"] == 4
    assert run["audit_head"] == "0:" + "0" * 64
    assert run["job"] == "tiki-daily" and run["jobdir"] == str(tmp_path / "jobs" / "tiki-daily")
    assert run["spider"] == "tiki" and run["flags"] == {"banned": 0, "counterfeit": 0, "missing_origin": 0,
                                                        "price_anomaly": 0}  # fmt: skip
    assert run["errors_by_cause"] == {} and extensions


def test_the_audit_head_is_the_review_logs(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    with open_store(uri) as store:
        listing = Listing(platform="tiki", listing_id="1", url="https://tiki.vn/p1", title="Súng hơi", price=1_000)
        store.upsert_listings([listing])
        entry = store.apply_review("tiki", "1", "confirmed", by="inspector-7")
    crawler = _crawler(tmp_path, uri)
    pipeline = StorePipeline.from_crawler(crawler)
    pipeline.open_spider()
    pipeline.close_spider()
    _close(crawler)
    with open_store(uri) as store:
        (run,) = store.recent_crawl_runs()
    assert run["audit_head"] == f"1:{entry.hash}" and run["job"] is None and "monitors" not in run


def test_a_record_the_store_cannot_take_goes_to_the_spool_saying_so(tmp_path: Path) -> None:
    crawler = _crawler(tmp_path, UNREACHABLE)
    end = CrawlEnd(crawler)
    pipeline = StorePipeline.from_crawler(crawler)
    pipeline.open_spider()
    crawler.stats.set_value("item_scraped_count", 2)
    pipeline.close_spider()
    _close(crawler)
    (spool,) = (tmp_path / "spool").glob("*.jsonl")
    (line,) = [json.loads(text) for text in spool.read_text(encoding="utf-8").splitlines()]
    run = line["run"]
    assert line["_record"] == "crawl_run" and run["audit_head"] is None
    assert (run["status"], run["exit_code"]) == ("failed", ExitCode.STORE_UNREACHABLE)
    assert run["causes"] == ["STORE_UNREACHABLE: the crawl-run record went to the spool"] and end


def test_build_run_record_counts_and_a_stopped_crawl() -> None:
    now = datetime(2026, 3, 1, tzinfo=UTC)
    stats = {"item_scraped_count": 10, "store/inserted": 4, "store/updated": 3, "store/unchanged": 2,
             "store/rejected": 1, "spider/tiki/partial": 2, "spider/tiki/dropped": 1, "item_dropped_count": 1,
             "detect/flagged/banned": 2, "crawl/errors/http/503": 2, "crawl/pages": 9,
             "exit/causes": ["NO_LISTINGS: x", "STORE_UNREACHABLE: y"]}  # fmt: skip
    record = build_run_record(stats, spider="tiki", started_at=now, finished_at=now)
    assert record["listings"] == {"scraped": 10, "new": 4, "updated": 3, "unchanged": 2, "partial": 2,
                                  "rejected": 1, "spooled": 0, "dropped": 2}  # fmt: skip
    assert record["causes"] == ["STORE_UNREACHABLE: y", "NO_LISTINGS: x"]  # most serious first
    assert record["exit_code"] == ExitCode.INTERRUPTED  # no finish reason: the crawl was cut short
    assert record["errors_by_cause"] == {"HTTP 503": 2} and record["requests"] == 9
    assert run_failed(record) and not run_failed({"stats": {"exit/causes": []}})
    assert run_failed({"stats": {"exit/causes": ["ERROR: x"]}})  # a record older than "status"
