"""StorePipeline durability: the write-ahead journal, timed flushes, a killed run's journal loaded by
the next run, and a full disk (spool writes failing) stopping the crawl with DATA_LOST.

Each test counts listings in = stored + spooled (+ journaled, for a run that could not finish).
"""

from __future__ import annotations

import errno
import json
import os
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from scrapy.crawler import Crawler
from scrapy.utils.test import get_crawler
from twisted.internet.task import Clock

import crawler.spool as spool_module
from crawler.exit_codes import CAUSES_STAT, ExitCode, exit_code_of
from crawler.items import Listing
from crawler.spool import JOURNAL_SUFFIX, Journal
from crawler.store import StoreError, UpsertResult, open_store
from pipelines.store import STOP_REASON, StorePipeline

UNREACHABLE = "mongodb://127.0.0.1:9/listing_monitor?serverSelectionTimeoutMS=300"


def _listing(listing_id: str) -> Listing:
    return Listing(platform="tiki", listing_id=listing_id, url=f"https://tiki.vn/p{listing_id}",
                   title=f"Nồi chiên không dầu {listing_id}", price=1_990_000)  # fmt: skip


def _crawler(tmp_path: Path, store_uri: str, **settings: Any) -> Crawler:
    crawler = get_crawler(settings_dict={
        "STORE_URI": store_uri, "STORE_BATCH_SIZE": 4, "SPOOL_DIR": str(tmp_path / "spool"), **settings,
    })  # fmt: skip
    crawler.stats.open_spider()
    return crawler


def _journals(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "spool").glob("*" + JOURNAL_SUFFIX))


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _spooled_ids(tmp_path: Path) -> list[str]:
    ids = []
    for path in sorted((tmp_path / "spool").glob("*.jsonl")):
        if not path.name.endswith(JOURNAL_SUFFIX):
            ids += [record["listing_id"] for record in _lines(path) if "_record" not in record]
    return ids


def test_every_listing_not_yet_stored_is_in_the_fsynced_journal(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    pipeline = StorePipeline.from_crawler(_crawler(tmp_path, uri))
    pipeline.open_spider()
    for n in range(6):
        pipeline.process_item(_listing(str(n)))
        with open_store(uri) as store:
            stored = {listing.listing_id for listing in store.iter_listings()}
        (journal,) = _journals(tmp_path)
        journaled = {record["listing_id"] for record in _lines(journal)}
        # at every point: each listing handed over is stored or journaled, and the journal holds no more
        assert stored | journaled == {str(i) for i in range(n + 1)}
        assert journaled == {str(i) for i in range(n + 1) if i >= (n + 1) // 4 * 4}  # batches of 4
    pipeline.close_spider()
    assert _journals(tmp_path) == []  # all stored: the journal is gone
    with open_store(uri) as store:
        assert store.count_listings() == 6


def test_a_quiet_crawl_still_flushes_on_time(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    pipeline = StorePipeline.from_crawler(_crawler(tmp_path, uri, STORE_BATCH_SIZE=500, STORE_FLUSH_SECONDS=5))
    pipeline.clock = clock = Clock()
    pipeline.open_spider()
    for n in range(3):
        pipeline.process_item(_listing(str(n)))
    clock.advance(4.9)
    with open_store(uri) as store:
        assert store.count_listings() == 0
    clock.advance(0.2)
    with open_store(uri) as store:
        assert store.count_listings() == 3  # not 500 listings, but 5 seconds
    pipeline.close_spider()
    assert not clock.getDelayedCalls()  # the timer stops with the run


def test_a_killed_runs_journal_is_loaded_by_the_next_run(tmp_path: Path) -> None:
    """A run killed with SIGKILL leaves its journal unlocked; the next run loads it into the store."""
    uri = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    dead = tmp_path / "spool" / f"tiki-20250101T000000-999{JOURNAL_SUFFIX}"
    dead.parent.mkdir(parents=True)
    dead.write_text("".join(json.dumps(_listing(str(n)).to_document()) + "\n" for n in range(3)) + '{"platform": "ti',
                    encoding="utf-8")  # fmt: skip  # a torn last line
    live = Journal(tmp_path / "spool" / f"tiki-20250101T000001-998{JOURNAL_SUFFIX}")  # a run still running
    live.append(_listing("live").to_document())
    crawler = _crawler(tmp_path, uri)
    pipeline = StorePipeline.from_crawler(crawler)
    pipeline.open_spider()
    pipeline.close_spider()
    assert crawler.stats.get_value("store/recovered") == 3
    assert not dead.exists() and live.path.exists()  # the live run's journal is left alone
    with open_store(uri) as store:
        assert sorted(listing.listing_id for listing in store.iter_listings()) == ["0", "1", "2"]
    live.close()


def test_a_killed_runs_journal_goes_to_the_spool_when_the_store_is_down(tmp_path: Path) -> None:
    dead = tmp_path / "spool" / f"tiki-20250101T000000-999{JOURNAL_SUFFIX}"
    dead.parent.mkdir(parents=True)
    dead.write_text(json.dumps(_listing("1").to_document()) + "\n", encoding="utf-8")
    crawler = _crawler(tmp_path, UNREACHABLE)
    pipeline = StorePipeline.from_crawler(crawler)
    pipeline.open_spider()
    pipeline.close_spider()
    kept = dead.with_name("tiki-20250101T000000-999.recovered.jsonl")
    assert not dead.exists() and [record["listing_id"] for record in _lines(kept)] == ["1"]
    assert exit_code_of(crawler.stats.get_value(CAUSES_STAT)) == ExitCode.STORE_UNREACHABLE


class _FullDiskStore:
    """A store whose writes fail as SQLite's do on a full disk."""

    def upsert_listings(self, listings: Sequence[Listing], *, seen_at: datetime | None = None) -> UpsertResult:
        raise StoreError("SQLite store x.sqlite3: upsert failed: database or disk is full")

    def record_crawl_run(self, run: dict[str, Any]) -> None:
        raise StoreError("SQLite store x.sqlite3: record_crawl_run failed: database or disk is full")

    def close(self) -> None:
        pass


class _Engine:
    """What stop_crawl needs of Scrapy's engine: a spider, and close_spider_async (recorded)."""

    spider = object()

    def __init__(self) -> None:
        self.reasons: list[str] = []

    async def close_spider_async(self, *, reason: str = "cancelled") -> None:
        self.reasons.append(reason)


def _enospc_after(monkeypatch: pytest.MonkeyPatch, good_writes: int) -> None:
    """Every spool/journal write after the first ``good_writes`` fails with ENOSPC."""
    real = os.write
    calls = {"n": 0}

    def write(fd: int, data: Any) -> int:
        calls["n"] += 1
        if calls["n"] > good_writes:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(fd, data)

    monkeypatch.setattr(spool_module.os, "write", write)


def test_a_full_disk_stops_the_crawl_with_data_lost_and_counts_every_listing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Store writes fail (disk full) and, after 3 journal lines, so does every spool write: the crawl
    is stopped, DATA_LOST recorded, and the count of listings adds up (journaled + lost)."""
    crawler = _crawler(tmp_path, f"sqlite:///{tmp_path / 'replaced.sqlite3'}")
    crawler.engine = engine = _Engine()  # type: ignore[assignment]
    pipeline = StorePipeline.from_crawler(crawler)
    pipeline.open_spider()
    pipeline.store.close()  # type: ignore[union-attr]
    pipeline.store = _FullDiskStore()  # type: ignore[assignment]
    _enospc_after(monkeypatch, 3)
    for n in range(6):
        pipeline.process_item(_listing(str(n)))
    pipeline.close_spider()
    assert engine.reasons == [STOP_REASON]
    causes = crawler.stats.get_value(CAUSES_STAT)
    assert exit_code_of(causes) == ExitCode.DATA_LOST
    assert any("No space left on device" in cause for cause in causes)
    (journal,) = _journals(tmp_path)  # left for the next run: it holds what it could
    journaled = [record["listing_id"] for record in _lines(journal)]
    assert journaled == ["0", "1", "2"]
    assert crawler.stats.get_value("store/lost") == 3  # 6 in = 0 stored + 0 spooled + 3 journaled + 3 lost
    assert _spooled_ids(tmp_path) == []


def test_a_failed_store_write_spools_the_batch_and_empties_the_journal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    crawler = _crawler(tmp_path, f"sqlite:///{tmp_path / 'replaced.sqlite3'}")
    pipeline = StorePipeline.from_crawler(crawler)
    pipeline.open_spider()
    pipeline.store.close()  # type: ignore[union-attr]
    pipeline.store = _FullDiskStore()  # type: ignore[assignment]
    for n in range(6):
        pipeline.process_item(_listing(str(n)))
    pipeline.close_spider()
    assert sorted(_spooled_ids(tmp_path)) == [str(n) for n in range(6)]  # 6 in = 0 stored + 6 spooled
    assert crawler.stats.get_value("store/spooled") == 6
    assert _journals(tmp_path) == []
    assert exit_code_of(crawler.stats.get_value(CAUSES_STAT)) == ExitCode.STORE_UNREACHABLE


@pytest.mark.figures
def test_journal_cost_per_listing(tmp_path: Path) -> None:
    """What the fsync per listing costs (printed): the journal's price for losing nothing to SIGKILL."""
    journal = Journal(tmp_path / f"cost{JOURNAL_SUFFIX}")
    record = _listing("1").to_document() | {"description": "mô tả " * 300}
    count = 300
    started = time.perf_counter()
    for _ in range(count):
        journal.append(record)
    per = (time.perf_counter() - started) / count
    journal.close()
    print(f"journal append + fsync: {per * 1e3:.2f} ms per listing ({count} listings of ~2 KiB)")
    assert per < 0.05  # far under the cost of fetching a listing
