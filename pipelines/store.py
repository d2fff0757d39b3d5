"""Last pipeline: upsert listings into the store in batches, losing none, and record the crawl run.

The store is chosen by ``STORE_URI`` (SQLite by default, MongoDB in production). Nothing a crawl
scraped is lost to a full disk, a dead store or a killed process (:mod:`crawler.spool`):

* Each listing is first appended to the run's write-ahead journal and fsynced
  (``SPOOL_DIR/<spider>-<time>-<pid>.journal.jsonl``), then buffered. The journal is emptied once
  the store has committed the buffered batch, or once the batch is in the spool. A run killed with
  SIGKILL leaves its journal; the next run loads it into the store at its start (or moves it into
  the spool when the store is down), and ``crawler store import`` loads it by hand.
* Batches are written ``STORE_BATCH_SIZE`` listings at a time and at least every
  ``STORE_FLUSH_SECONDS`` (default 5), so a slow or quiet crawl still stores as it goes.
* When the store cannot be reached or a write fails, the batch goes to the spool,
  ``SPOOL_DIR/<spider>-<time>.jsonl`` (default ``data/spool``), fsynced; the log says how to load it
  (``crawler store import FILE``) and the run records ``STORE_UNREACHABLE`` (see
  :mod:`crawler.exit_codes`). The crawl-run record goes there too when the store cannot take it.
* When the journal or the spool cannot be written (a full disk), the crawl stops at once
  (finish reason ``spool_write_failed``), the run records ``DATA_LOST``, and what is still in memory
  is offered to the store at the close.

The fsync per listing costs 0.25-0.4 ms on the development VM's virtio disk (printed by
``tests/test_pipelines_store.py::test_journal_cost_per_listing``), and up to 6 ms when the machine is
busy; it is what makes a SIGKILL or a power cut lose nothing already handed over. In a crawl it is a
group commit (:mod:`crawler.group_sync`): the listing is written on the crawl's thread, and the
pipeline lets it go once an fsync begun after that write has ended, in a worker thread, one fsync
covering every listing written before it began; the event loop goes on fetching meanwhile.

When the spider has closed (``spider_closed``, after the extensions' handlers: the exit causes of
:mod:`crawler.crawl_end`, the monitors) one ``crawl_runs`` record (:mod:`crawler.run_record`) keeps
what the run did, its exit code and causes, its stats and its first 200 ERROR messages; the store is
closed after it. Stats: ``store/upserted``, ``store/inserted``, ``store/updated``,
``store/unchanged``, ``store/rejected``, ``store/spooled``, ``store/recovered`` (listings loaded
from a killed run's journal), ``store/lost`` (neither stored nor spooled), ``store/spool_path``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Awaitable
from pathlib import Path
from typing import Any, Self

from scrapy import signals
from scrapy.crawler import Crawler

from crawler.exit_codes import ExitCode, exit_code_of, note_failure
from crawler.group_sync import GroupSync
from crawler.items import Listing, utcnow
from crawler.run_record import build_run_record, ordered_causes
from crawler.spool import (
    JOURNAL_SUFFIX,
    SPOOL_PATH_STAT,
    Journal,
    SpoolError,
    append_durably,
    listing_record,
    orphan_journals,
    run_record,
)
from crawler.store import Store, StoreError, open_store

logger = logging.getLogger(__name__)

STOP_REASON = "spool_write_failed"
"""The finish reason of a crawl stopped because listings could not be written anywhere safe."""


class ErrorCollector(logging.Handler):
    """Keeps the first ``limit`` ERROR messages logged during a run, for its crawl-run record."""

    def __init__(self, limit: int = 200) -> None:
        super().__init__(logging.ERROR)
        self.limit = limit
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if len(self.messages) < self.limit:
            self.messages.append(f"{record.name}: {record.getMessage()}")


def run_spool_path(crawler: Crawler, spool_dir: Path) -> Path:
    """The run's spool file: named by the first part that spools, shared by every part (stat
    ``store/spool_path``), so that a run's spooled listings and its re-judged flags travel together."""
    named = crawler.stats.get_value(SPOOL_PATH_STAT)
    if named:
        return Path(named)
    spider = crawler.spider.name if crawler.spider else "crawl"
    stem = f"{spider}-{utcnow():%Y%m%dT%H%M%S}"
    path = spool_dir / f"{stem}.jsonl"
    if path.exists():  # an earlier run of the same second: never mix two runs in one file
        path = spool_dir / f"{stem}-{os.getpid()}.jsonl"
    crawler.stats.set_value(SPOOL_PATH_STAT, str(path))
    return path


def spool_records(crawler: Crawler, spool_dir: Path, records: list[dict[str, Any]], what: str) -> bool:
    """Append records the store could not take to the run's spool (fsynced) and say so.

    Records ``STORE_UNREACHABLE`` with the spool's path; when the spool cannot be written either, logs
    it, records ``DATA_LOST``, stops the crawl and returns False.
    """
    path = run_spool_path(crawler, spool_dir)
    try:
        append_durably(path, records)
    except SpoolError as exc:
        lost(crawler, f"{what} neither stored nor spooled: {exc}")
        return False
    logger.error("%s spooled to %s; load them with: crawler store import %s", what, path, path)
    note_failure(crawler.stats, ExitCode.STORE_UNREACHABLE, f"the store did not take everything: spool {path}")
    return True


def lost(crawler: Crawler, reason: str) -> None:
    """Log an unsafe write, record ``DATA_LOST`` and stop the crawl (once)."""
    logger.error("%s; stopping the crawl", reason)
    note_failure(crawler.stats, ExitCode.DATA_LOST, reason)
    stop_crawl(crawler)


def stop_crawl(crawler: Crawler) -> None:
    """Ask the engine to close the spider with :data:`STOP_REASON` (no-op outside a running crawl)."""
    engine = getattr(crawler, "engine", None)
    if engine is None or getattr(engine, "spider", None) is None or crawler.stats.get_value("store/stopping"):
        return
    crawler.stats.set_value("store/stopping", True)
    from scrapy.utils.defer import deferred_from_coro

    deferred_from_coro(engine.close_spider_async(reason=STOP_REASON))


class StorePipeline:
    """Journal each listing, write listings to the store in batches; spool what the store refuses."""

    def __init__(
        self, crawler: Crawler, uri: str, batch_size: int, spool_dir: Path, flush_seconds: float = 5.0
    ) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.uri = uri
        self.batch_size = max(1, batch_size)
        self.flush_seconds = flush_seconds
        self.spool_dir = spool_dir
        self.store: Store | None = None
        self.buffer: list[tuple[Listing, bool]] = []
        """Listings not yet written, each with whether its journal line is on disk."""
        self.journal: Journal | None = None
        self._journal_broken = False
        self._journal_keeps = False
        """A batch in the journal was neither stored nor spooled: the journal is left for the next run."""
        self.started_at = utcnow()
        self.errors = ErrorCollector()
        self._loop: Any = None
        self._group: GroupSync | None = None
        """The journal's group commit (:mod:`crawler.group_sync`), made in the crawl's event loop."""
        self.clock: Any = None
        """The reactor the timed flushes run on (a test gives a ``twisted.internet.task.Clock``)."""
        logging.getLogger().addHandler(self.errors)  # from the start: other pipelines report as they open

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        spool = Path(settings.get("SPOOL_DIR", "data/spool"))
        pipeline = cls(
            crawler,
            settings.get("STORE_URI"),
            settings.getint("STORE_BATCH_SIZE", 500),
            spool,
            settings.getfloat("STORE_FLUSH_SECONDS", 5.0),
        )
        # pipelines are made after the extensions: this handler runs after theirs (crawl_end, monitors)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    @property
    def spider_name(self) -> str:
        return self.crawler.spider.name if self.crawler.spider else "crawl"

    def open_spider(self) -> None:
        try:
            self.store = open_store(self.uri)
        except StoreError as exc:
            logger.error("store unavailable, listings will be spooled to %s: %s", self.spool_dir, exc)
        self._recover_journals()
        self._start_timer()

    # -- the timer ---------------------------------------------------------------------------------

    def _start_timer(self) -> None:
        """Flush every ``flush_seconds`` on the running crawl's reactor (none in a bare unit test)."""
        if self.flush_seconds <= 0 or (self.clock is None and "twisted.internet.reactor" not in sys.modules):
            return
        from twisted.internet.task import LoopingCall

        self._loop = LoopingCall(self.flush)
        if self.clock is not None:
            self._loop.clock = self.clock
        self._loop.start(self.flush_seconds, now=False).addErrback(
            lambda failure: logger.error("timed store flush failed: %s", failure.getTraceback())
        )

    def _stop_timer(self) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        self._loop = None

    # -- items -------------------------------------------------------------------------------------

    def process_item(self, listing: Listing) -> dict[str, Any] | Awaitable[dict[str, Any]]:
        """Journal the listing and buffer it (writing the batch when full). In a crawl (a running
        asyncio loop) the journal's fsync is a group commit: the listing is let go, through the
        awaitable returned, once an fsync begun after its write has ended; elsewhere it is fsynced here."""
        document = listing_record(listing)
        group = self._group_sync()
        journaled = self._journal_append(listing, document, sync=group is None)
        self.buffer.append((listing, journaled))
        if len(self.buffer) >= self.batch_size:
            self.flush()
        if journaled and group is not None:
            return self._synced(group, listing, document)
        return document

    def _group_sync(self) -> GroupSync | None:
        """The journal's group commit, in a running asyncio loop with a journal to write; else None."""
        if self._journal_broken:
            return None
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return None
        if self._group is None:
            self._group = GroupSync(self._journal_sync, loop)
        return self._group

    def _journal_sync(self) -> None:
        journal = self.journal
        if journal is not None:
            journal.sync()

    async def _synced(self, group: GroupSync, listing: Listing, document: dict[str, Any]) -> dict[str, Any]:
        """``document`` once the journal's fsync covers it; a failed fsync is a failed journal write."""
        try:
            await group.wait()
        except SpoolError as exc:
            self._journal_broken_by(listing, exc)
            for index, (buffered, _) in enumerate(self.buffer):
                if buffered is listing:  # still waiting for the store: not safe anywhere now
                    self.buffer[index] = (listing, False)
        return document

    def _journal_append(self, listing: Listing, document: dict[str, Any], sync: bool = True) -> bool:
        """Write the listing to the journal (fsynced unless ``sync`` is False: then the group commit
        syncs it); False (the crawl stopping) when it cannot."""
        if self._journal_broken:
            return False
        try:
            if self.journal is None:
                self.journal = Journal(self._journal_path())
            if sync:
                self.journal.append(document)
            else:
                self.journal.write(document)
        except SpoolError as exc:
            self._journal_broken_by(listing, exc)
            return False
        return True

    def _journal_broken_by(self, listing: Listing, exc: SpoolError) -> None:
        if not self._journal_broken:
            self._journal_broken = True
            lost(self.crawler, f"listing {listing.key} could not be journaled: {exc}")

    def _journal_path(self) -> Path:
        return self.spool_dir / f"{self.spider_name}-{self.started_at:%Y%m%dT%H%M%S}-{os.getpid()}{JOURNAL_SUFFIX}"

    def flush(self) -> None:
        """Write the buffered listings (or spool them when the store fails); then empty the journal."""
        batch, self.buffer = self.buffer, []
        if not batch:
            return
        listings = [listing for listing, _ in batch]
        saved = self._store_batch(listings)
        if not saved:
            records = [listing_record(listing) for listing in listings]
            saved = spool_records(self.crawler, self.spool_dir, records, f"{len(listings)} listings")
            if saved:
                self.stats.inc_value("store/spooled", len(listings))
        if not saved:
            unjournaled = sum(1 for _, journaled in batch if not journaled)
            self.stats.inc_value("store/lost", unjournaled)
            if len(batch) > unjournaled:
                self._journal_keeps = True
            return
        if self.journal is not None and self.journal.pending and not self._journal_keeps:
            try:
                self.journal.clear()
            except SpoolError as exc:  # the listings are safe; the next run loads them again (idempotent)
                logger.error("%s", exc)

    def _store_batch(self, listings: list[Listing]) -> bool:
        if self.store is None:
            return False
        try:
            result = self.store.upsert_listings(listings)
        except StoreError as exc:
            logger.error("store write of %d listings failed: %s", len(listings), exc)
            return False
        self.stats.inc_value("store/upserted", len(listings))
        self.stats.inc_value("store/inserted", result.inserted)
        self.stats.inc_value("store/updated", result.updated)
        self.stats.inc_value("store/unchanged", result.unchanged)
        if result.rejected:
            self.stats.inc_value("store/rejected", result.rejected)
            for error in result.errors:
                logger.error("listing not stored: %s", error)
        return True

    # -- a killed run's journal --------------------------------------------------------------------

    def _recover_journals(self) -> None:
        """Load the journals killed runs left (into the store, else into the spool); say so."""
        from crawler.spool_import import import_file

        for path, fd in orphan_journals(self.spool_dir):
            with os.fdopen(fd, "rb") as handle:  # closing it releases the lock
                if self.store is not None:
                    try:
                        report = import_file(handle, self.store)
                    except StoreError as exc:
                        logger.error("journal %s of an interrupted run not loaded: %s", path, exc)
                    else:
                        for problem in (*report.skipped, *report.rejected):
                            logger.error("%s:%d: not recovered: %s", path, problem.number, problem.reason)
                        self.stats.inc_value("store/recovered", report.loaded)
                        logger.warning(
                            "an interrupted run left %s: %d listings recovered into the store (%s)",
                            path, report.loaded, report.summary(),
                        )  # fmt: skip
                        path.unlink(missing_ok=True)
                        continue
                kept = path.with_name(path.name.removesuffix(JOURNAL_SUFFIX) + ".recovered.jsonl")
                path.rename(kept)
                logger.error(
                    "an interrupted run left listings in %s; the store cannot take them now, load them with:"
                    " crawler store import %s", kept, kept,
                )  # fmt: skip
                note_failure(self.stats, ExitCode.STORE_UNREACHABLE, f"an interrupted run's listings wait in {kept}")

    # -- the end -----------------------------------------------------------------------------------

    def close_spider(self) -> None:
        """Write what is buffered; the store stays open for the crawl-run record (:meth:`spider_closed`)."""
        self._stop_timer()
        if self._group is not None:
            self._group.close()  # no fsync left running on the journal it closes
        try:
            self.flush()
        finally:
            self._close_journal()

    def spider_closed(self, reason: str = "finished") -> None:
        """After every extension's ``spider_closed`` (the exit causes derived at the end, the monitors):
        record the run, then close the store."""
        try:
            self._record_run()
        finally:
            logging.getLogger().removeHandler(self.errors)
            if self.store is not None:
                self.store.close()
                self.store = None

    def _audit_head(self) -> str | None:
        if self.store is None:
            return None
        from crawler.review.audit import current_head, head_text

        try:
            return head_text(current_head(self.store.iter_audit()))
        except StoreError as exc:
            logger.error("crawl run: the review log's head could not be read: %s", exc)
            return None

    def _record_run(self) -> None:
        settings = self.crawler.settings
        run = build_run_record(
            self.crawler.stats.get_stats(),
            spider=self.spider_name,
            job=settings.get("CRAWL_JOB") or None,
            started_at=self.started_at,
            finished_at=utcnow(),
            errors=self.errors.messages,
            audit_head=self._audit_head(),
            jobdir=settings.get("JOBDIR") or None,
            log_file=settings.get("LOG_FILE") or None,
        )
        if self.store is not None:
            try:
                self.store.record_crawl_run(run)
                logger.info("crawl run %s recorded (%s, exit %d)", run["run_id"], run["status"], run["exit_code"])
                return
            except StoreError as exc:
                logger.error("crawl run not recorded: %s", exc)
        # the record says what the run will exit with: the store did not take everything
        cause = "STORE_UNREACHABLE: the crawl-run record went to the spool"
        if cause not in run["causes"]:
            run["causes"] = ordered_causes([*run["causes"], cause])
            code = exit_code_of(run["causes"])
            run.update(status="failed", exit_code=int(code), exit_name=code.name)
        spool_records(self.crawler, self.spool_dir, [run_record(run)], "the crawl-run record")

    def _close_journal(self) -> None:
        if self.journal is None:
            return
        if self._journal_keeps:
            logger.error(
                "listings neither stored nor spooled remain in the journal %s: the next crawl loads them, or"
                " crawler store import %s", self.journal.path, self.journal.path,
            )  # fmt: skip
        self.journal.close()
        self.journal = None
