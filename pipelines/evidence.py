"""Third pipeline: keep the response a flagged listing came from, as evidence.

For a listing with flags (or one the detect pipeline marked ``capture.keep``) the raw response body
is stored gzip-compressed and content-addressed under ``EVIDENCE_DIR`` (``ab/cd/<sha256>.html.gz``, or
``.json.gz`` for an API's JSON: the bytes' real content type decides the extension),
a Playwright screenshot likewise (``….png.gz``), and the listing's ``evidence`` gets one capture per
file (kind ``response``/``list_page``/``screenshot``, URL, HTTP status, sha256, size, content type,
when): the store appends them to the captures it already holds, so earlier evidence stays referenced.
The raw capture is dropped from every listing afterwards so it never reaches the store. In a crawl the files
are written in worker threads (the event loop goes on fetching) and the listing goes on to the store
once they are. Switch off with ``EVIDENCE_ENABLED=0``. Stats: ``evidence/kept``, ``evidence/errors``.

A listing of an API-crawled platform flagged ``banned`` or ``counterfeit`` whose capture holds no
screenshot is queued for one (``crawler.screenshot_queue``; ``SCREENSHOT_QUEUE=0`` turns it off; stats
``evidence/screenshots_queued``, ``evidence/screenshots_refused``). With ``SCREENSHOTS_AFTER_CRAWL=1``
the queue is drained by ``crawler evidence capture`` started in its own process when the spider closes.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
from collections.abc import Awaitable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Self

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from crawler.crawl_process import PROJECT_ROOT
from crawler.evidence import EvidenceBlobs, content_suffix
from crawler.items import CONTENT_TYPES, Capture, Evidence, EvidenceCapture, Listing, utcnow
from crawler.screenshot_queue import QUEUE_DIR, ScreenshotQueue, page_url_problem, wants_screenshot

logger = logging.getLogger(__name__)


class EvidencePipeline:
    """Store the source response of flagged listings; strip captures from all listings; queue API
    listings flagged banned or counterfeit for a browser screenshot."""

    def __init__(self, crawler: Crawler, evidence_dir: str) -> None:
        self.stats = crawler.stats
        self.settings = crawler.settings
        self.evidence_dir = evidence_dir
        self.blobs = EvidenceBlobs(evidence_dir)
        self.queue = ScreenshotQueue(evidence_dir) if crawler.settings.getbool("SCREENSHOT_QUEUE", True) else None
        self.queued = 0
        self._executor: ThreadPoolExecutor | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("EVIDENCE_ENABLED", True):
            raise NotConfigured("EVIDENCE_ENABLED is off")
        return cls(crawler, crawler.settings.get("EVIDENCE_DIR", "data/evidence"))

    def queue_screenshot(self, listing: Listing) -> None:
        """Queue ``listing`` for a rendered-page screenshot (``crawler.screenshot_queue``); a URL off the
        platform's hosts is logged and not queued, a queue that cannot be written is an evidence error."""
        if self.queue is None:
            return
        problem = page_url_problem(listing.platform, listing.url, self.settings.getdict("PLATFORM_BASE_URLS"))
        if problem:
            self.stats.inc_value("evidence/screenshots_refused")
            logger.warning("%s: no screenshot queued for %s: %s", listing.url, listing.key, problem)
            return
        try:
            self.queue.add(listing)
        except OSError as exc:
            self.stats.inc_value("evidence/errors")
            logger.error("%s: screenshot not queued for %s: %s", self.queue.root, listing.key, exc)
            return
        self.queued += 1
        self.stats.inc_value("evidence/screenshots_queued")

    def close_spider(self) -> None:
        """Stop the worker threads (every listing handed over has had its files written by then). With
        ``SCREENSHOTS_AFTER_CRAWL`` on, start ``crawler evidence capture`` in its own process for
        what this crawl queued (the crawl does not wait for it; its output goes to
        ``<EVIDENCE_DIR>/screenshot-queue/capture.log``)."""
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        if not self.queued or self.queue is None or not self.settings.getbool("SCREENSHOTS_AFTER_CRAWL"):
            return
        try:
            pid = start_capture(self.evidence_dir, self.settings.get("STORE_URI"),
                                self.settings.getdict("PLATFORM_BASE_URLS"))
        except OSError as exc:
            logger.error("could not start the screenshot capture (crawler evidence capture): %s", exc)
            self.stats.inc_value("evidence/errors")
            return
        logger.info("%d listings queued for screenshots; crawler evidence capture started (pid %d, log %s)",
                    self.queued, pid, self.queue.root / "capture.log")

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

    def _written(self, capture: Capture) -> list[EvidenceCapture] | OSError:
        """Write the capture's files (the page's, the screenshot's) and describe them as captures, or
        return the error that stopped it."""
        try:
            captures = [self.keep(capture.body, kind=capture.kind, url=capture.url, status=capture.status)]
            if capture.screenshot:
                captures.append(self.keep(capture.screenshot, kind="screenshot", url=capture.url, status=None))
        except OSError as exc:
            return exc
        return captures

    def _record(self, listing: Listing, capture: Capture,
                written: list[EvidenceCapture] | OSError) -> Listing:
        if isinstance(written, OSError):
            self.stats.inc_value("evidence/errors")
            logger.error("%s: evidence not kept for %s: %s", capture.url, listing.key, written)
            return listing
        listing.evidence = Evidence(written)
        self.stats.inc_value("evidence/kept")
        if wants_screenshot(listing, has_screenshot=bool(capture.screenshot)):
            self.queue_screenshot(listing)
        return listing

    def keep(self, data: bytes, *, kind: str, url: str, status: int | None) -> EvidenceCapture:
        """Store ``data`` (content-addressed) and describe it as one capture; raises OSError."""
        return capture_record(self.blobs, data, kind=kind, url=url, status=status)


def start_capture(evidence_dir: str, store_uri: str | None, bases: dict[str, Any] | None = None) -> int:
    """Start ``crawler evidence capture`` detached (its own session; the store URI in its environment,
    never on its command line); returns its pid. Raises OSError."""
    queue = Path(evidence_dir) / QUEUE_DIR
    queue.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, EVIDENCE_DIR=str(evidence_dir))
    if store_uri:
        env["STORE_URI"] = str(store_uri)
    if bases:
        env["PLATFORM_BASE_URLS"] = json.dumps(bases)
    with (queue / "capture.log").open("ab") as log:
        process = subprocess.Popen([sys.executable, "-m", "crawler.cli", "evidence", "capture"], cwd=PROJECT_ROOT,
                                   env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    return process.pid


def capture_record(blobs: EvidenceBlobs, data: bytes, *, kind: str, url: str | None,
                   status: int | None) -> EvidenceCapture:
    """Keep ``data`` under ``blobs`` (gzip, content-addressed, the extension of its real content type)
    and return the capture to append to a listing's evidence; raises OSError when it cannot be written."""
    suffix = content_suffix(data)
    blob = blobs.put(data, suffix)
    return EvidenceCapture(kind=kind, url=url, http_status=status, sha256=blob.sha256, size=blob.size,
                           captured_at=utcnow(), content_type=CONTENT_TYPES.get(suffix), ref=blob.ref)
