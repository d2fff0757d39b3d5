"""StorePipeline in a crawl's event loop: the journal's fsync is a group commit in a worker thread.

Each listing is still on disk before the pipeline lets it go (its awaitable completes only after an
fsync that began after its write), but many listings share one fsync and the event loop is never
blocked by one; a failed fsync is a failed journal write (DATA_LOST, the crawl stopped).
"""

from __future__ import annotations

import asyncio
import errno
import inspect
import os
import time
from pathlib import Path
from typing import Any

import pytest
from scrapy.utils.test import get_crawler

import crawler.spool as spool_module
from crawler.exit_codes import CAUSES_STAT, ExitCode, exit_code_of
from crawler.items import Listing
from crawler.spool import JOURNAL_SUFFIX
from crawler.store import open_store
from pipelines.store import STOP_REASON, StorePipeline
from tests.loop_ticks import ticks_while


def _listing(listing_id: str) -> Listing:
    return Listing(platform="tiki", listing_id=listing_id, url=f"https://tiki.vn/p{listing_id}",
                   title=f"Nồi chiên không dầu {listing_id}", price=1_990_000)  # fmt: skip


def _pipeline(tmp_path: Path, batch: int = 500) -> StorePipeline:
    crawler = get_crawler(settings_dict={
        "STORE_URI": f"sqlite:///{tmp_path / 'store.sqlite3'}", "STORE_BATCH_SIZE": batch,
        "SPOOL_DIR": str(tmp_path / "spool"), "STORE_FLUSH_SECONDS": 0,
    })  # fmt: skip
    crawler.stats.open_spider()
    return StorePipeline.from_crawler(crawler)


def _journal(tmp_path: Path) -> Path:
    (journal,) = (tmp_path / "spool").glob("*" + JOURNAL_SUFFIX)
    return journal


class _Fsyncs:
    """os.fsync as the spool module calls it, slowed down, recording the journal's size at each call."""

    def __init__(self, seconds: float = 0.02, fail: bool = False) -> None:
        self.sizes: list[int] = []
        self.seconds = seconds
        self.fail = fail
        self.real = os.fsync

    def __call__(self, fd: int) -> None:
        size = os.fstat(fd).st_size
        time.sleep(self.seconds)
        if self.fail:
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        self.real(fd)
        self.sizes.append(size)


def test_listings_share_fsyncs_and_each_is_let_go_only_once_synced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fsyncs = _Fsyncs()
    monkeypatch.setattr(spool_module.os, "fsync", fsyncs)
    pipeline = _pipeline(tmp_path)

    async def crawl() -> list[dict[str, Any]]:
        pipeline.open_spider()

        async def hand_over(n: int) -> dict[str, Any]:
            result = pipeline.process_item(_listing(str(n)))
            assert inspect.isawaitable(result)  # let go later, not here
            written = _journal(tmp_path).stat().st_size  # its line is in the journal (not yet fsynced)
            document = await result
            assert max(fsyncs.sizes) >= written  # an fsync covering its line has ended
            return document

        return await asyncio.gather(*(hand_over(n) for n in range(30)))

    documents = asyncio.run(crawl())
    assert [document["listing_id"] for document in documents] == [str(n) for n in range(30)]
    assert 1 <= len(fsyncs.sizes) <= 5  # 30 listings, a few fsyncs (one each before)
    pipeline.close_spider()
    with open_store(f"sqlite:///{tmp_path / 'store.sqlite3'}") as store:
        assert store.count_listings() == 30


def test_the_event_loop_is_not_blocked_by_the_journals_fsync(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spool_module.os, "fsync", _Fsyncs(seconds=0.3))
    pipeline = _pipeline(tmp_path)

    async def crawl() -> int:
        pipeline.open_spider()
        _, ticks = await ticks_while(pipeline.process_item(_listing("1")))  # type: ignore[arg-type]
        return ticks

    assert asyncio.run(crawl()) >= 10  # the loop ticked through the 0.3 s fsync
    pipeline.close_spider()


def test_a_failed_fsync_is_a_failed_journal_write(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pipeline = _pipeline(tmp_path)
    reasons: list[str] = []

    class _Engine:
        spider = object()

        async def close_spider_async(self, *, reason: str = "cancelled") -> None:
            reasons.append(reason)

    pipeline.crawler.engine = _Engine()  # type: ignore[assignment]

    async def crawl() -> list[Any]:
        pipeline.open_spider()
        monkeypatch.setattr(spool_module.os, "fsync", _Fsyncs(fail=True))
        results = [pipeline.process_item(_listing(str(n))) for n in range(3)]
        got = await asyncio.gather(*results)
        monkeypatch.undo()
        return got

    documents = asyncio.run(crawl())
    assert [document["listing_id"] for document in documents] == ["0", "1", "2"]  # they go on to the store
    assert pipeline.buffer and not any(journaled for _, journaled in pipeline.buffer)
    assert reasons == [STOP_REASON]
    assert exit_code_of(pipeline.crawler.stats.get_value(CAUSES_STAT)) == ExitCode.DATA_LOST
    pipeline.close_spider()
    with open_store(f"sqlite:///{tmp_path / 'store.sqlite3'}") as store:
        assert store.count_listings() == 3  # the store took them at the close: nothing lost
    assert not pipeline.crawler.stats.get_value("store/lost")


def test_outside_an_event_loop_each_listing_is_fsynced_before_process_item_returns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fsyncs = _Fsyncs(seconds=0)
    monkeypatch.setattr(spool_module.os, "fsync", fsyncs)
    pipeline = _pipeline(tmp_path)
    pipeline.open_spider()
    for n in range(3):
        document = pipeline.process_item(_listing(str(n)))
        assert isinstance(document, dict)
        assert fsyncs.sizes[-1] == _journal(tmp_path).stat().st_size
    pipeline.close_spider()
