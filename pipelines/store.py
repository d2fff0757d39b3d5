"""Last pipeline: upsert listings into the store in batches and record the crawl run.

The store is chosen by ``STORE_URI`` (SQLite by default, MongoDB in production). Listings are
buffered and written ``STORE_BATCH_SIZE`` at a time. When the store cannot be reached or a write
fails, the batch is not lost: it is appended to ``SPOOL_DIR/<spider>-<time>.jsonl`` (default
``data/spool``) and the log says how to load it later (``crawler store import FILE``). At the end of
the run one ``crawl_runs`` record keeps the run's stats, its first 200 ERROR messages and the rules
version. Stats: ``store/upserted``, ``store/inserted``, ``store/updated``, ``store/unchanged``,
``store/rejected``, ``store/spooled``.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Self

from scrapy.crawler import Crawler

from crawler.items import Listing, utcnow
from crawler.store import Store, StoreError, open_store

logger = logging.getLogger(__name__)


class ErrorCollector(logging.Handler):
    """Keeps the first ``limit`` ERROR messages logged during a run, for its crawl-run record."""

    def __init__(self, limit: int = 200) -> None:
        super().__init__(logging.ERROR)
        self.limit = limit
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if len(self.messages) < self.limit:
            self.messages.append(f"{record.name}: {record.getMessage()}")


class StorePipeline:
    """Write listings to the store in batches; spool them to a file when the store fails."""

    def __init__(self, crawler: Crawler, uri: str, batch_size: int, spool_dir: Path) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.uri = uri
        self.batch_size = max(1, batch_size)
        self.spool_dir = spool_dir
        self.store: Store | None = None
        self.buffer: list[Listing] = []
        self.started_at = utcnow()
        self.errors = ErrorCollector()
        logging.getLogger().addHandler(self.errors)  # from the start: other pipelines report as they open

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        spool = Path(settings.get("SPOOL_DIR", "data/spool"))
        return cls(crawler, settings.get("STORE_URI"), settings.getint("STORE_BATCH_SIZE", 500), spool)

    @property
    def spider_name(self) -> str:
        return self.crawler.spider.name if self.crawler.spider else "crawl"

    def open_spider(self) -> None:
        try:
            self.store = open_store(self.uri)
        except StoreError as exc:
            logger.error("store unavailable, listings will be spooled to %s: %s", self.spool_dir, exc)

    def process_item(self, listing: Listing) -> dict[str, Any]:
        self.buffer.append(listing)
        if len(self.buffer) >= self.batch_size:
            self.flush()
        return listing.to_document()

    def flush(self) -> None:
        """Write the buffered listings (or spool them when the store fails)."""
        batch, self.buffer = self.buffer, []
        if not batch:
            return
        if self.store is not None:
            try:
                result = self.store.upsert_listings(batch)
            except StoreError as exc:
                logger.error("store write of %d listings failed: %s", len(batch), exc)
            else:
                self.stats.inc_value("store/upserted", len(batch))
                self.stats.inc_value("store/inserted", result.inserted)
                self.stats.inc_value("store/updated", result.updated)
                self.stats.inc_value("store/unchanged", result.unchanged)
                if result.rejected:
                    self.stats.inc_value("store/rejected", result.rejected)
                    for error in result.errors:
                        logger.error("listing not stored: %s", error)
                return
        self._spool(batch)

    def _spool(self, batch: list[Listing]) -> None:
        self.spool_dir.mkdir(parents=True, exist_ok=True)
        path = self.spool_dir / f"{self.spider_name}-{self.started_at:%Y%m%dT%H%M%S}.jsonl"
        with path.open("a", encoding="utf-8") as handle:
            for listing in batch:
                handle.write(json.dumps(listing.to_document(), ensure_ascii=False) + "\n")
        self.stats.inc_value("store/spooled", len(batch))
        logger.error(
            "%d listings spooled to %s; load them with: crawler store import %s", len(batch), path, path
        )

    def close_spider(self) -> None:
        self.flush()
        logging.getLogger().removeHandler(self.errors)
        if self.store is None:
            return
        stats = self.crawler.stats.get_stats()
        run = {
            "spider": self.spider_name,
            "started_at": self.started_at,
            "finished_at": utcnow(),
            "stats": stats,
            "errors": self.errors.messages,
            "rules_version": stats.get("detect/rules_version"),
        }
        try:
            self.store.record_crawl_run(run)
        except StoreError as exc:
            logger.error("crawl run not recorded: %s", exc)
        finally:
            self.store.close()
            self.store = None
