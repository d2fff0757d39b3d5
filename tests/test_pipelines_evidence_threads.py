"""EvidencePipeline in a crawl's event loop: evidence files are written in worker threads, the loop runs on.

The listing reaches the next pipeline only once its files are written (the awaitable it returns), with
the same evidence record as when written inline; a write that fails is logged and counted as before.
"""

from __future__ import annotations

import asyncio
import errno
import gzip
import hashlib
import inspect
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from scrapy.utils.test import get_crawler

from crawler.evidence import EvidenceBlobs, StoredBlob
from crawler.items import Flag, Listing
from pipelines.evidence import EvidencePipeline
from tests.loop_ticks import ticks_while

BODY = '{"id": 7, "name": "Pháo hoa nổ"}'.encode()


def _listing(n: int = 7) -> Listing:
    return Listing(
        platform="tiki", listing_id=str(n), url=f"https://tiki.vn/p{n}", title="Pháo hoa nổ",
        flags=[Flag(rule_id="banned.fireworks", kind="banned", score=0.9, message="pháo")],
        capture={"url": f"https://tiki.vn/api/v2/products/{n}", "status": 200, "body": BODY},
    )  # fmt: skip


def _pipeline(tmp_path: Path) -> EvidencePipeline:
    crawler = get_crawler(settings_dict={"EVIDENCE_DIR": str(tmp_path / "evidence")})
    crawler.stats.open_spider()
    return EvidencePipeline.from_crawler(crawler)


def test_files_are_written_off_the_event_loop_and_the_listing_waits_for_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pipeline = _pipeline(tmp_path)
    writers: list[str] = []
    real_put = EvidenceBlobs.put

    def slow_put(self: EvidenceBlobs, data: bytes, suffix: str) -> StoredBlob:
        writers.append(threading.current_thread().name)
        time.sleep(0.3)
        return real_put(self, data, suffix)

    monkeypatch.setattr(EvidenceBlobs, "put", slow_put)

    async def crawl() -> tuple[Listing, int]:
        result: Any = pipeline.process_item(_listing())
        assert inspect.isawaitable(result)
        return await ticks_while(result)

    listing, ticks = asyncio.run(crawl())
    pipeline.close_spider()
    assert ticks >= 10  # the loop ran through the 0.3 s write
    assert writers and all(name.startswith("evidence") for name in writers)
    digest = hashlib.sha256(BODY).hexdigest()
    assert listing.capture is None and listing.evidence is not None and listing.evidence[0].sha256 == digest
    stored = tmp_path / "evidence" / str(listing.evidence[0].ref)
    assert gzip.decompress(stored.read_bytes()) == BODY
    assert pipeline.stats.get_value("evidence/kept") == 1


def test_the_same_evidence_record_as_written_inline(tmp_path: Path) -> None:
    inline = _pipeline(tmp_path / "inline").process_item(_listing())
    threaded = _pipeline(tmp_path / "threads")

    async def crawl() -> list[Listing]:
        return await asyncio.gather(*(threaded.process_item(_listing(n)) for n in (7, 8)))  # type: ignore[arg-type]

    first, second = asyncio.run(crawl())
    threaded.close_spider()
    assert isinstance(inline, Listing) and inline.evidence is not None
    for got in (first, second):
        assert got.evidence is not None
        assert [capture.model_dump(exclude={"captured_at", "url"}) for capture in got.evidence] == [
            capture.model_dump(exclude={"captured_at", "url"}) for capture in inline.evidence]


def test_a_failed_write_is_logged_and_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    pipeline = _pipeline(tmp_path)

    def full_disk(self: EvidenceBlobs, data: bytes, suffix: str) -> StoredBlob:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(EvidenceBlobs, "put", full_disk)

    async def crawl() -> Listing:
        return await pipeline.process_item(_listing())  # type: ignore[misc]

    listing = asyncio.run(crawl())
    pipeline.close_spider()
    assert listing.evidence is None and listing.capture is None  # the listing goes on without it
    assert pipeline.stats.get_value("evidence/errors") == 1
    assert "https://tiki.vn/api/v2/products/7: evidence not kept for tiki:7" in caplog.text
