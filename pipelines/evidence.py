"""Third pipeline: keep the response a flagged listing came from, as evidence.

For a listing with flags (or one the detect pipeline marked ``capture.keep``) the raw response body
is stored gzip-compressed and content-addressed under ``EVIDENCE_DIR`` (``ab/cd/<sha256>.html.gz``, or
``.json.gz`` for an API's JSON: the bytes' real content type decides the extension),
a Playwright screenshot likewise (``….png.gz``), and the listing records URL, HTTP status, sha256
and when it was captured. The capture is dropped from every listing afterwards so it never reaches
the store. In a crawl the files are written in worker threads (the event loop goes on fetching) and
the listing goes on to the store once they are. Switch off with ``EVIDENCE_ENABLED=0``. Stats:
``evidence/kept``, ``evidence/errors``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from concurrent.futures import ThreadPoolExecutor
from typing import Self

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from crawler.evidence import EvidenceBlobs, StoredBlob, content_suffix
from crawler.items import Capture, Evidence, Listing, utcnow

logger = logging.getLogger(__name__)


class EvidencePipeline:
    """Store the source response of flagged listings; strip captures from all listings."""

    def __init__(self, crawler: Crawler, evidence_dir: str) -> None:
        self.stats = crawler.stats
        self.blobs = EvidenceBlobs(evidence_dir)
        self._executor: ThreadPoolExecutor | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("EVIDENCE_ENABLED", True):
            raise NotConfigured("EVIDENCE_ENABLED is off")
        return cls(crawler, crawler.settings.get("EVIDENCE_DIR", "data/evidence"))

    def process_item(self, listing: Listing) -> Listing | Awaitable[Listing]:
        """Keep the evidence of a flagged (or kept) listing, drop every capture. In a crawl (a running
        asyncio loop) the files are written in a worker thread and the listing goes on once they are."""
        capture, listing.capture = listing.capture, None
        if capture is None or not (listing.flags or capture.keep):
            return listing
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return self._record(listing, capture, self._written(capture))
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="evidence")
        return self._record_async(loop, self._executor, listing, capture)

    async def _record_async(self, loop: asyncio.AbstractEventLoop, executor: ThreadPoolExecutor, listing: Listing,
                            capture: Capture) -> Listing:
        return self._record(listing, capture, await loop.run_in_executor(executor, self._written, capture))

    def _written(self, capture: Capture) -> tuple[StoredBlob, StoredBlob | None] | OSError:
        """Write the capture's files: the page's and the screenshot's blobs, or the error that stopped it."""
        try:
            page = self.blobs.put(capture.body, content_suffix(capture.body))
            shot = self.blobs.put(capture.screenshot, ".png") if capture.screenshot else None
        except OSError as exc:
            return exc
        return page, shot

    def _record(self, listing: Listing, capture: Capture,
                written: tuple[StoredBlob, StoredBlob | None] | OSError) -> Listing:
        if isinstance(written, OSError):
            self.stats.inc_value("evidence/errors")
            logger.error("%s: evidence not kept for %s: %s", capture.url, listing.key, written)
            return listing
        page, shot = written
        listing.evidence = Evidence(
            url=capture.url,
            http_status=capture.status,
            html_sha256=page.sha256,
            html_ref=page.ref,
            screenshot_ref=shot.ref if shot else None,
            captured_at=utcnow(),
        )
        self.stats.inc_value("evidence/kept")
        return listing

    def close_spider(self) -> None:
        """Stop the worker threads (every listing handed over has had its files written by then)."""
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
