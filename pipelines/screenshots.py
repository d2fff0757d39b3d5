"""The ``screenshots`` spider's only pipeline: keep each PNG as evidence and append it to its listing.

For an item ``{"entry", "png", "url", "status"}`` the PNG is stored content-addressed under
``EVIDENCE_DIR`` (``….png.gz``, like every evidence file), a ``screenshot`` capture is appended to the
stored listing's evidence (an upsert of the stored listing with that one capture: the store's merge
appends it to the history; ``seen_at`` is the listing's own ``last_seen``, so being rendered does not
count as being seen by a crawl), and the entry leaves the queue. An item ``{"entry", "error"}``, a
listing no longer in the store or a store that refuses the write counts as a failed attempt (a store
that cannot be opened at all exits STORE_UNREACHABLE and counts no attempt): the entry
stays queued (``crawler.screenshot_queue.MAX_ATTEMPTS`` times, then ``failed/``) and the run exits
``EVIDENCE_INCOMPLETE``. Progress is logged per entry (``screenshot N/M key: …``).
Stats: ``screenshots/taken``, ``screenshots/failed``, ``screenshots/given_up``.
"""

from __future__ import annotations

import logging
from typing import Any, Self

from scrapy.crawler import Crawler

from crawler.evidence import EvidenceBlobs
from crawler.exit_codes import ExitCode, note_failure
from crawler.items import Evidence
from crawler.screenshot_queue import QueueEntry, ScreenshotQueue
from crawler.store import StoreError, open_store
from pipelines.evidence import capture_record

logger = logging.getLogger(__name__)


class ScreenshotPipeline:
    """Store screenshots, append them to their listings, and update the queue."""

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats
        evidence_dir = crawler.settings.get("EVIDENCE_DIR", "data/evidence")
        self.blobs = EvidenceBlobs(evidence_dir)
        self.queue = ScreenshotQueue(evidence_dir)
        self.store_uri = crawler.settings.get("STORE_URI")
        self.store: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def open_spider(self) -> None:
        try:
            self.store = open_store(self.store_uri)
        except StoreError as exc:
            logger.error("screenshots: cannot open the store: %s", exc)
            note_failure(self.stats, ExitCode.STORE_UNREACHABLE, f"store not reachable: {exc}")

    def close_spider(self) -> None:
        if self.store is not None:
            self.store.close()

    def _failed(self, entry: QueueEntry, number: int, error: str) -> None:
        given_up = self.queue.failed(entry, error)
        self.stats.inc_value("screenshots/failed")
        total = self.stats.get_value("screenshots/queued") or "?"
        if given_up:
            self.stats.inc_value("screenshots/given_up")
        state = f"given up after {entry.attempts} attempts" if given_up else f"stays queued (attempt {entry.attempts})"
        logger.error("screenshot %s/%s %s: FAILED, %s: %s", number, total, entry.key, state, error)
        note_failure(self.stats, ExitCode.EVIDENCE_INCOMPLETE, "some queued screenshots could not be taken")

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        entry: QueueEntry = item["entry"]
        number = item.get("number", "?")
        if item.get("png") is None:
            self._failed(entry, number, str(item.get("error") or "no screenshot"))
            return {"key": entry.key, "ok": False}
        if self.store is None:  # not the page's fault: no attempt counted, the entry stays as it was
            self.stats.inc_value("screenshots/failed")
            logger.error("screenshot %s %s: not kept, the store is not reachable; stays queued", number, entry.key)
            return {"key": entry.key, "ok": False}
        try:
            capture = capture_record(self.blobs, item["png"], kind="screenshot", url=item["url"],
                                     status=item.get("status"))
            listing = self.store.get_listing(entry.platform, entry.listing_id)
            if listing is None:
                self._failed(entry, number, "the listing is not in the store")
                return {"key": entry.key, "ok": False}
            updated = listing.model_copy(update={"evidence": Evidence([capture])})
            result = self.store.upsert_listings([updated], seen_at=listing.last_seen)
            if result.rejected:
                raise StoreError("; ".join(result.errors) or "the store rejected the listing")
        except (OSError, StoreError) as exc:
            self._failed(entry, number, str(exc))
            return {"key": entry.key, "ok": False}
        self.queue.done(entry)
        self.stats.inc_value("screenshots/taken")
        total = self.stats.get_value("screenshots/queued") or "?"
        logger.info("screenshot %s/%s %s: ok, sha256 %s (%d bytes) appended to its evidence", number, total,
                    entry.key, capture.sha256, capture.size)
        return {"key": entry.key, "ok": True, "sha256": capture.sha256}
