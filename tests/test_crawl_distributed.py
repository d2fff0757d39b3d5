"""Crawling on several machines (crawler/distributed.py): two ``scrapy crawl`` workers share one job
through a real ``redis-server``; without ``REDIS_URL`` nothing changes.

The two-worker test checks, from the marketplace's own request log, that every listing was fetched
exactly once by the two workers together, that both did work, and that the one SQLite store both wrote
holds every listing once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
from scrapy.addons import AddonManager
from scrapy.settings import Settings
from scrapy.utils.project import get_project_settings
from scrapy.utils.test import get_crawler

from crawler.demo.process import MarketplaceProcess
from crawler.distributed import SharedCrawl, shown_url
from crawler.exit_codes import ExitCode
from crawler.store import open_store
from spiders.tiki import TikiSpider
from tests.mockserver import REPO
from tests.redis_server import RedisServer, free_port
from tests.request_log import detail_targets, repeated, requested
from tests.spider_runs import logged_stat, store_crawl_command

TIKI_LISTINGS = 95


def _command(base_url: str, workdir: Path, redis_url: str, *settings: str) -> list[str]:
    return store_crawl_command("tiki", base_url, workdir, {
        "REDIS_URL": redis_url, "CRAWL_JOB": "tiki-all", "REDIS_IDLE_SECONDS": "2", "STORE_BATCH_SIZE": "10",
    }, *settings)


@contextmanager
def _workers(command: list[str], logs: list[Path]) -> Iterator[list[subprocess.Popen[bytes]]]:
    """One worker process per log file, all running ``command``; any still running at the end (the
    test failed half-way) is stopped by its PID."""
    workers: list[subprocess.Popen[bytes]] = []
    try:
        for log in logs:
            with log.open("w") as out:
                workers.append(subprocess.Popen(command, cwd=REPO, stdout=out, stderr=subprocess.STDOUT))
        yield workers
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait(10)


@pytest.mark.slow
def test_two_workers_fetch_every_listing_once_and_store_it_once(tmp_path: Path) -> None:
    with RedisServer(tmp_path / "redis") as url, MarketplaceProcess("--verbose") as market:
        # each worker 2 requests at a time, 0.2 s apart: the crawl lasts (~10 s) long enough for both to work
        command = _command(market.base_url, tmp_path, url, "CONCURRENT_REQUESTS=2", "DOWNLOAD_DELAY=0.2")
        logs = [tmp_path / f"worker{n}.log" for n in (1, 2)]
        with _workers(command, logs) as workers:
            for worker in workers:
                worker.wait(timeout=300)
        texts = [log.read_text(errors="replace") for log in logs]
        targets = requested(market.stderr())
        left = sorted(key.decode() for key in redis.Redis.from_url(url).keys("listing-monitor:*"))
    for worker, text in zip(workers, texts, strict=True):
        assert worker.returncode == ExitCode.OK, text[-3000:]
    fetched = [logged_stat(text, "downloader/response_count") for text in texts]
    scraped = [logged_stat(text, "item_scraped_count") for text in texts]
    print(f"two workers: fetched {fetched}, scraped {scraped}, {len(targets)} requests at the server")
    assert all(fetched), f"a worker fetched nothing: {fetched}"
    assert not repeated(targets), f"fetched more than once: {repeated(targets)}"
    assert len(detail_targets(targets)) == TIKI_LISTINGS
    assert sum(fetched) == len(targets)  # robots.txt is off: every response a worker had is in the log
    with open_store(f"sqlite:///{tmp_path / 'store.sqlite3'}") as store:
        stored = [listing.listing_id for listing in store.iter_listings()]
        runs = store.recent_crawl_runs()
    assert len(stored) == len(set(stored)) == TIKI_LISTINGS
    assert sum(scraped) == sum(logged_stat(text, "store/inserted") for text in texts) == TIKI_LISTINGS
    assert not any(logged_stat(text, "store/updated") for text in texts)
    assert len(runs) == 2  # each worker records its own run
    assert left == [], f"the finished job left keys in Redis: {left}"  # its next run starts afresh


@pytest.mark.slow
def test_workers_stopped_with_sigterm_go_on_where_they_stopped(tmp_path: Path) -> None:
    """Both workers stopped part-way: the queue and dupefilter stay in Redis; one worker started again
    fetches only what was left, and the store ends with every listing once."""
    with RedisServer(tmp_path / "redis") as url, MarketplaceProcess("--verbose") as market:
        slow = _command(market.base_url, tmp_path, url, "CONCURRENT_REQUESTS=1", "DOWNLOAD_DELAY=0.2")
        logs = [tmp_path / f"worker{n}.log" for n in (1, 2)]
        with _workers(slow, logs) as workers:
            deadline = time.monotonic() + 120
            while len(detail_targets(requested(market.stderr()))) < 20:
                assert time.monotonic() < deadline and all(w.poll() is None for w in workers), "too slow"
                time.sleep(0.05)
            for worker in workers:
                os.kill(worker.pid, signal.SIGTERM)
            for worker in workers:
                worker.wait(timeout=60)
        texts = [log.read_text(errors="replace") for log in logs]
        assert [w.returncode for w in workers] == [ExitCode.INTERRUPTED] * 2, texts[0][-2000:] + texts[1][-2000:]
        before = requested(market.stderr())
        client = redis.Redis.from_url(url)
        assert client.zcard("listing-monitor:tiki-all:requests") > 0  # the rest of the crawl waits in Redis
        again = subprocess.run(_command(market.base_url, tmp_path, url), cwd=REPO, capture_output=True,
                               text=True, timeout=300, check=False)  # fmt: skip
        assert again.returncode == ExitCode.OK, again.stderr[-3000:]
        everything = requested(market.stderr())
        left = [key.decode() for key in client.keys("listing-monitor:*")]
    after = everything[len(before):]
    print(f"shared resume: {len(before)} requests before the stop, {len(after)} after")
    assert after and not set(after) & set(before)
    assert not repeated(everything) and len(detail_targets(everything)) == TIKI_LISTINGS
    with open_store(f"sqlite:///{tmp_path / 'store.sqlite3'}") as store:
        stored = [listing.listing_id for listing in store.iter_listings()]
    assert len(stored) == len(set(stored)) == TIKI_LISTINGS
    inserted = sum(logged_stat(text, "store/inserted") for text in texts) + logged_stat(again.stderr, "store/inserted")
    assert inserted == TIKI_LISTINGS
    assert left == []


def _applied(**extra: str) -> Settings:
    """The project's settings (plus ``extra``) after its add-ons updated them, as a crawl sees them."""
    settings = get_project_settings()
    settings.setdict(extra, priority="cmdline")
    AddonManager(get_crawler(TikiSpider)).load_settings(settings)
    return settings


def test_without_redis_url_nothing_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    settings = _applied()
    assert "crawler.distributed.Distributed" in settings.getdict("ADDONS")
    assert settings["SCHEDULER"] == "scrapy.core.scheduler.Scheduler"
    assert settings["DUPEFILTER_CLASS"] == "scrapy.dupefilters.RFPDupeFilter"
    assert SharedCrawl not in settings.getwithbase("EXTENSIONS")


def test_redis_url_makes_the_crawl_a_worker_of_its_job(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6390/2")
    settings = _applied(CRAWL_JOB="tiki-daily")
    assert settings["SCHEDULER"] == "crawler.distributed.SharedScheduler"
    assert settings["DUPEFILTER_CLASS"] == "scrapy_redis.dupefilter.RFPDupeFilter"
    assert settings.getbool("SCHEDULER_PERSIST")
    assert settings["SCHEDULER_QUEUE_KEY"] == "listing-monitor:tiki-daily:requests"
    assert settings["SCHEDULER_DUPEFILTER_KEY"] == "listing-monitor:tiki-daily:dupefilter"
    assert SharedCrawl in settings.getwithbase("EXTENSIONS")
    # given on the command line, REDIS_URL does it too; a job-less crawl's keys are its spider's
    monkeypatch.delenv("REDIS_URL")
    settings = _applied(REDIS_URL="redis://127.0.0.1:6390/2")
    assert settings["SCHEDULER_QUEUE_KEY"] == "listing-monitor:%(spider)s:requests"


def test_an_unreachable_redis_stops_the_crawl_with_one_line_naming_it(tmp_path: Path) -> None:
    url = f"redis://:s3cret@127.0.0.1:{free_port()}/0"  # nothing listens there
    result = subprocess.run(_command("http://127.0.0.1:9", tmp_path, url), cwd=REPO, capture_output=True,
                            text=True, timeout=120, check=False)  # fmt: skip
    assert result.returncode == ExitCode.ERROR, result.stderr[-3000:]
    assert "cannot use Redis" in result.stderr and shown_url(url) in result.stderr
    assert "s3cret" not in result.stderr
    assert "Traceback" not in result.stderr
