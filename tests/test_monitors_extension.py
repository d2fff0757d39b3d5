"""The monitors' Scrapy extension (crawler/monitors/extension.py) with the project's settings, without a
crawl: its spider_closed runs before CrawlEnd's, it records its results and exit cause, sends the
configured alerts (to local servers) and survives alerts that cannot be sent; the job's history."""

from __future__ import annotations

import importlib
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydispatch.dispatcher import getAllReceivers, liveReceivers
from scrapy import Spider, signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from crawler import crawl_end
from crawler.crawl_end import CrawlEnd
from crawler.exit_codes import CAUSES_STAT, ExitCode, exit_code_of
from crawler.monitors import checks
from crawler.monitors.extension import CrawlMonitors
from crawler.monitors.history import load_history
from crawler.store import open_store
from tests.alert_servers import NO_TLS_WARNING, SmtpServer, WebhookServer
from tests.mongo_server import free_port

pytestmark = pytest.mark.filterwarnings(NO_TLS_WARNING)


def project_settings(**overrides: Any) -> dict[str, Any]:
    """crawler/settings.py as a dict, with ``overrides``."""
    module = importlib.import_module("crawler.settings")
    values = {name: value for name, value in vars(module).items() if name.isupper() and name != "TWISTED_REACTOR"}
    values.update(overrides)
    return values


class Listings(Spider):
    """A project spider stand-in (Scrapy's DefaultSpider, what `scrapy fetch` runs, is not watched)."""

    name = "default"


def closed_crawl(tmp_path: Path, stats: dict[str, Any], **overrides: Any) -> Any:
    """A crawler with the project's extensions, the spider opened, ``stats`` set, ready to close."""
    overrides.setdefault("STORE_URI", f"sqlite:///{tmp_path / 'store.sqlite3'}")
    crawler = get_crawler(Listings, settings_dict=project_settings(**overrides))
    crawler.spider = crawler._create_spider()
    crawler.stats.open_spider()
    monitors, = (ext for ext in crawler.extensions.middlewares if isinstance(ext, CrawlMonitors))
    monitors.spider_opened(crawler.spider)
    for key, value in stats.items():
        crawler.stats.set_value(key, value)
    return crawler


def closing_handlers(crawler: Any) -> list[Any]:
    """The crawler's spider_closed handlers, in the order the signal calls them."""
    return list(liveReceivers(getAllReceivers(crawler.signals.sender, signals.spider_closed)))


def close(crawler: Any, reason: str = "finished") -> None:
    """Send spider_closed to the monitors' and CrawlEnd's handlers, in the signal's order (the built-in
    extensions' handlers need a running engine)."""
    for handler in closing_handlers(crawler):
        if isinstance(getattr(handler, "__self__", None), CrawlMonitors | CrawlEnd):
            handler(spider=crawler.spider, reason=reason)


GOOD = {"item_scraped_count": 50, "crawl/pages": 60, "normalize/valid": 50, "spider/default/listings": 50,
        "fields/listings": 50, "fields/present/title": 50, "fields/present/price": 50, "fields/present/seller": 50,
        "fields/present/origin": 40}  # fmt: skip


def test_monitors_close_before_crawl_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """CrawlEnd's spider_closed (and what writes the run's record there) sees the monitors' results."""
    crawler = closed_crawl(tmp_path, {})
    owners = [type(getattr(handler, "__self__", None)) for handler in closing_handlers(crawler)]
    assert owners.index(CrawlMonitors) < owners.index(CrawlEnd)
    seen: list[Any] = []
    derive = crawl_end.derive_causes

    def spy(stats: Any, reason: str, *, max_error_rate: float) -> None:
        seen.append((stats.get_value("monitors/failed"), stats.get_value("monitors/passed")))
        derive(stats, reason, max_error_rate=max_error_rate)

    monkeypatch.setattr(crawl_end, "derive_causes", spy)
    close(crawler)
    assert seen == [(["No listings: no listing came out of the crawl"], 10)]


def test_a_failed_monitor_records_its_cause_and_alerts(tmp_path: Path) -> None:
    with WebhookServer() as hook, SmtpServer(user="ops", password="s3cret") as smtp:
        crawler = closed_crawl(
            tmp_path, {**GOOD, "crawl/errors/http/503": 10},
            ALERT_WEBHOOK_URL=hook.url, ALERT_SMTP_HOST="127.0.0.1", ALERT_SMTP_PORT=smtp.port,
            ALERT_SMTP_FROM="crawler@example.org", ALERT_SMTP_TO="ops@example.org, oncall@example.org",
            ALERT_SMTP_USER="ops", ALERT_SMTP_PASSWORD="s3cret", CRAWL_JOB="tiki-daily",
        )  # fmt: skip
        close(crawler)
        stats = crawler.stats.get_stats()
    failed = stats["monitors/failed"]
    assert [reason.split(":")[0] for reason in failed] == ["Error rate", "HTTP error rate"]
    assert stats["monitors/passed"] == 9 and stats["crawl/job"] == "tiki-daily"
    assert exit_code_of(stats[CAUSES_STAT]) == ExitCode.MONITOR_FAILED == 11
    assert stats["alerts/sent"] == ["webhook", "email"] and "alerts/failed" not in stats
    (path, headers, body), = hook.posts
    assert path == "/hooks/T0KEN" and headers["Content-Type"].startswith("application/json")
    assert body["job"] == "tiki-daily" and body["failed"] == failed and body["passed"] == 9
    assert body["counts"] == {"pages": 60, "listings": 50, "flags": 0, "errors": 10}
    assert body["text"].splitlines()[0] == "[listing-monitor] tiki-daily: 2 monitors failed"
    message, = smtp.messages
    assert smtp.logins == ["ops"]
    assert smtp.envelopes == [("crawler@example.org", ["ops@example.org", "oncall@example.org"])]
    assert message["Subject"] == "[listing-monitor] tiki-daily: 2 monitors failed"
    assert f"FAILED {failed[1]}" in message.get_payload(decode=True).decode()


def test_an_alert_that_cannot_be_sent_is_logged_and_the_crawl_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    closed = free_port()
    crawler = closed_crawl(tmp_path, {}, ALERT_WEBHOOK_URL=f"http://127.0.0.1:{closed}/hooks/T0KEN",
                           ALERT_SMTP_HOST="127.0.0.1", ALERT_SMTP_PORT=closed, ALERT_SMTP_FROM="a@example.org",
                           ALERT_SMTP_TO="b@example.org", ALERT_TIMEOUT=2)  # fmt: skip
    with caplog.at_level(logging.INFO):
        close(crawler)
    stats = crawler.stats.get_stats()
    assert stats["monitors/failed"] == ["No listings: no listing came out of the crawl"]
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert "monitor failed: No listings: no listing came out of the crawl" in errors
    assert any(m.startswith(f"alert by webhook not sent: http://127.0.0.1:{closed} unreachable") for m in errors)
    assert any(m.startswith(f"alert by email not sent: SMTP 127.0.0.1:{closed}: ConnectionRefusedError")
               for m in errors)  # fmt: skip
    assert not any("T0KEN" in m for m in errors)  # the webhook's path may hold a token: never logged
    assert [entry.split(":")[0] for entry in stats["alerts/failed"]] == ["webhook", "email"]
    assert exit_code_of(stats[CAUSES_STAT]) == ExitCode.NO_LISTINGS  # CrawlEnd still ran: the more serious


def test_everything_fine_passes_without_alerts(tmp_path: Path) -> None:
    with WebhookServer() as hook:
        crawler = closed_crawl(tmp_path, GOOD, ALERT_WEBHOOK_URL=hook.url)
        close(crawler)
    stats = crawler.stats.get_stats()
    assert (stats["monitors/failed"], stats["monitors/passed"]) == ([], 11)
    assert not stats.get(CAUSES_STAT) and not hook.posts


def test_monitors_can_be_switched_off(tmp_path: Path) -> None:
    with pytest.raises(NotConfigured):
        CrawlMonitors.from_crawler(get_crawler(settings_dict={"MONITORS_ENABLED": False}))


def _record(store: Any, spider: str, listings: int, *, job: str | None = None, age: int = 0,
            finish_reason: str = "finished") -> None:  # fmt: skip
    at = datetime(2026, 12, 1, tzinfo=UTC) - timedelta(days=age)
    stats: dict[str, Any] = {"item_scraped_count": listings, "finish_reason": finish_reason}
    if job:
        stats["crawl/job"] = job
    store.record_crawl_run({"spider": spider, "started_at": at, "finished_at": at, "stats": stats})


def test_history_is_the_jobs_finished_runs_newest_first(store_uri: str) -> None:
    """On every backend: the job's runs (a record without a job is its spider's), finished ones only."""
    with open_store(store_uri) as store:
        _record(store, "tiki", 100, age=3)  # before jobs: the spider's own job
        _record(store, "tiki", 200, job="tiki-daily", age=2)
        _record(store, "tiki", 300, age=1)
        _record(store, "tiki", 5, age=0, finish_reason="shutdown")  # interrupted: says nothing
        _record(store, "shopee", 400, age=0)
    history, problem = load_history(store_uri, "tiki", "tiki", 10)
    assert problem == "" and [run["item_scraped_count"] for run in history] == [300, 100]
    assert [run["item_scraped_count"] for run in load_history(store_uri, "tiki", "tiki-daily", 10)[0]] == [200]
    assert [run["item_scraped_count"] for run in load_history(store_uri, "tiki", "tiki", 1)[0]] == [300]


def test_no_store_is_no_history_and_an_unreadable_one_says_why(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    assert load_history(uri, "tiki", "tiki", 10) == ([], "")  # no store yet: no history, none created
    assert not (tmp_path / "store.sqlite3").exists()
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"not a database" * 1000)
    history, problem = load_history(f"sqlite:///{garbage}", "tiki", "tiki", 10)
    assert history == [] and "StoreError" in problem


def test_the_job_history_makes_the_count_monitor_compare(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    with open_store(uri) as store:
        for age in range(3):
            _record(store, "default", 500, job="nightly", age=age + 1)
    crawler = closed_crawl(tmp_path, GOOD, CRAWL_JOB="nightly", STORE_URI=uri)
    close(crawler)
    assert crawler.stats.get_value("monitors/failed") == [
        "Listing count against history: 50 listings, against a median of 500 over the job's last 3 runs "
        "(under MONITOR_MIN_LISTINGS_RATIO 0.5 of it)"
    ]
    stopped = closed_crawl(tmp_path, GOOD, CRAWL_JOB="nightly", STORE_URI=uri)
    close(stopped, reason="shutdown")  # an interrupted crawl is not compared with its history
    assert stopped.stats.get_value("monitors/failed") == []


def test_a_crawl_without_the_store_pipeline_reads_no_history(tmp_path: Path) -> None:
    """An export or a spider test (``ITEM_PIPELINES={}``) is not a run of its job: it never reads the
    store's history (a developer's data/crawler.sqlite3 cannot fail it)."""
    uri = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    with open_store(uri) as store:
        for age in range(3):
            _record(store, "default", 500, age=age + 1)
    crawler = closed_crawl(tmp_path, GOOD, STORE_URI=uri, ITEM_PIPELINES={})
    close(crawler)
    assert crawler.stats.get_value("monitors/failed") == []


def test_a_monitor_that_breaks_fails_with_its_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(stats: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(checks, "no_listings", broken)
    crawler = closed_crawl(tmp_path, GOOD)
    with caplog.at_level(logging.ERROR):
        close(crawler)
    assert crawler.stats.get_value("monitors/failed") == ["No listings: monitor error: RuntimeError: boom"]
    assert any("Traceback" in record.getMessage() and "boom" in record.getMessage() for record in caplog.records)
    assert exit_code_of(crawler.stats.get_value(CAUSES_STAT)) == ExitCode.MONITOR_FAILED


def test_scrapy_fetch_is_not_watched(tmp_path: Path) -> None:
    """`scrapy fetch URL` runs Scrapy's DefaultSpider: no listings is what it should give, no alert."""
    crawler = get_crawler(settings_dict=project_settings(STORE_URI=f"sqlite:///{tmp_path / 's.sqlite3'}"))
    crawler.spider = crawler._create_spider()
    crawler.stats.open_spider()
    close(crawler)
    assert crawler.stats.get_value("monitors/failed") is None
