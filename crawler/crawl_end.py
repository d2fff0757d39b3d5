"""The end of a crawl: the exit causes its stats show, and a short summary for people.

:class:`CrawlEnd` is a Scrapy extension. When the spider closes (after the pipelines have flushed) it
records, with :func:`crawler.exit_codes.note_failure`, the causes a crawl's parts cannot see
themselves (:func:`derive_causes`):

- ``INTERRUPTED``: the crawl was stopped by Ctrl-C or SIGTERM (finish reason ``shutdown``);
- ``NO_LISTINGS``: no listing came out;
- ``TOO_MANY_ERRORS``: more than ``CRAWL_MAX_ERROR_RATE`` (a fraction, default 0.2) of the requests
  ended in an error: an HTTP status of 400 or more after the retries, no response at all (host
  unreachable, timeout), or an unreadable page (malformed response, spider exception);
- ``STORE_UNREACHABLE``: listings were spooled and no store cause was recorded by the store pipeline.

When the engine has stopped (after Scrapy's stats dump, so it is the log's last word) it logs
:func:`summary_text`: pages, listings new / updated / unchanged / partial, flags per kind, errors by
cause, the end-of-crawl monitors' results (:mod:`crawler.monitors`) when they ran, the spool file if any,
and the exit code with its causes. ``scrapy crawl`` (the project's
``crawler.scrapy_commands.crawl``) exits with that code.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Self

from scrapy import signals
from scrapy.crawler import Crawler

from crawler.exit_codes import CAUSES_STAT, SERIOUSNESS, ExitCode, exit_code_of, note_failure, recorded_codes
from crawler.items import KINDS
from crawler.request_outcomes import DOWNLOAD_ERRORS, HTTP_ERRORS, PAGES
from crawler.spool import SPOOL_PATH_STAT

logger = logging.getLogger(__name__)

DEFAULT_MAX_ERROR_RATE = 0.2


def errors_by_cause(stats: Mapping[str, Any]) -> dict[str, int]:
    """The requests that ended in an error, by cause (``HTTP 404``, ``no response (TimeoutError)``,
    ``unreadable page``, ``spider error (KeyError)``), most frequent first."""
    counts: dict[str, int] = {}
    for key, value in stats.items():
        if not isinstance(value, int) or value <= 0:
            continue
        if key.startswith(HTTP_ERRORS):
            label = f"HTTP {key[len(HTTP_ERRORS):]}"
        elif key.startswith(DOWNLOAD_ERRORS):
            label = f"no response ({key[len(DOWNLOAD_ERRORS):]})"
        elif key.startswith("spider/") and key.endswith("/malformed_responses"):
            label = "unreadable page"
        elif key.startswith("spider_exceptions/") and key != "spider_exceptions/count":
            label = f"spider error ({key[len('spider_exceptions/'):]})"
        else:
            continue
        counts[label] = counts.get(label, 0) + value
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def _spider_total(stats: Mapping[str, Any], suffix: str) -> int:
    """The sum of ``spider/<name>/<suffix>`` counters."""
    return sum(
        value for key, value in stats.items()
        if key.startswith("spider/") and key.endswith(f"/{suffix}") and isinstance(value, int)
    )  # fmt: skip


def requests_made(stats: Mapping[str, Any]) -> int:
    """Requests that came to an end: final responses plus those that got none."""
    failed = sum(v for k, v in stats.items() if k.startswith(DOWNLOAD_ERRORS) and isinstance(v, int))
    return int(stats.get(PAGES, 0)) + failed


def derive_causes(stats: Any, reason: str, *, max_error_rate: float) -> None:
    """Record in ``stats`` (a Scrapy stats collector) the exit causes the crawl's stats show."""
    values = stats.get_stats()
    if reason == "shutdown":
        note_failure(stats, ExitCode.INTERRUPTED, "stopped by a signal (Ctrl-C or SIGTERM) before its end")
    if not values.get("item_scraped_count"):
        note_failure(stats, ExitCode.NO_LISTINGS, "no listing came out of the crawl")
    errors = sum(errors_by_cause(values).values())
    made = requests_made(values)
    if errors and errors > max_error_rate * max(made, 1):
        note_failure(
            stats, ExitCode.TOO_MANY_ERRORS,
            f"{errors} errors in {made} requests ({errors / max(made, 1):.0%}), "
            f"over CRAWL_MAX_ERROR_RATE {max_error_rate:g}",
        )
    spooled = values.get("store/spooled", 0)
    recorded = set(recorded_codes(values.get(CAUSES_STAT) or []))
    if spooled and not recorded & {ExitCode.STORE_UNREACHABLE, ExitCode.DATA_LOST}:
        note_failure(stats, ExitCode.STORE_UNREACHABLE, f"{spooled} listings spooled: the store did not take them")


def spool_files(stats: Mapping[str, Any]) -> list[Path]:
    """The run's own spool file (``store/spool_path``, set by whichever part spooled first), if any:
    never another run's, even one of the same spider writing to the same folder at the same time."""
    named = stats.get(SPOOL_PATH_STAT)
    return [Path(named)] if named else []


def _counts(pairs: Mapping[str, int]) -> str:
    return ", ".join(f"{name} {count}" for name, count in pairs.items()) or "none"


def summary_text(stats: Mapping[str, Any], spider: str, spools: list[Path] | None = None) -> str:
    """A few lines for people: what the crawl fetched, stored and flagged, what went wrong, its exit."""
    get = stats.get
    errors = errors_by_cause(stats)
    causes = list(get(CAUSES_STAT) or [])
    code = exit_code_of(causes)
    seconds = get("elapsed_time_seconds")
    took = f" in {seconds:.1f}s" if isinstance(seconds, int | float) else ""
    lines = [f"Crawl summary: {spider}, {get('finish_reason', 'not finished')}{took}"]
    lines.append(f"  pages: {get(PAGES, 0)} fetched, {requests_made(stats)} requests, {sum(errors.values())} errors")
    store = {name: int(get(f"store/{name}", 0)) for name in ("inserted", "updated", "unchanged", "rejected", "spooled")}
    lines.append(
        f"  listings: {get('item_scraped_count', 0)} "
        f"(new {store['inserted']}, updated {store['updated']}, unchanged {store['unchanged']}; "
        f"partial {_spider_total(stats, 'partial')}, rejected {store['rejected']}, spooled {store['spooled']}; "
        f"dropped {int(get('item_dropped_count', 0)) + _spider_total(stats, 'dropped')})"
    )
    lines.append("  flags: " + _counts({kind: int(get(f"detect/flagged/{kind}", 0)) for kind in KINDS}))
    fields = _spider_total(stats, "field_errors")
    lines.append(f"  errors: {_counts(errors)}" + (f"; {fields} unreadable fields" if fields else ""))
    if "monitors/passed" in stats or stats.get("monitors/failed"):
        failed = list(get("monitors/failed") or [])
        lines.append(f"  monitors: {int(get('monitors/passed', 0) or 0)} passed, {len(failed)} failed")
    for path in spools or []:
        lines.append(f"  spool: {path} (load it with: crawler store import {path})")
    if code is ExitCode.OK:
        lines.append("  exit: 0 OK")
    else:  # most serious first: the first names the code
        rank = {cause: SERIOUSNESS.index(c) if c in SERIOUSNESS else len(SERIOUSNESS)
                for cause, c in zip(causes, recorded_codes(causes), strict=True)}
        lines.append(f"  exit: {int(code)} " + "; ".join(sorted(causes, key=rank.__getitem__)))
    return "\n".join(lines)


class CrawlEnd:
    """Scrapy extension: record the causes the stats show when the spider closes, log the summary last."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.max_error_rate = settings.getfloat("CRAWL_MAX_ERROR_RATE", DEFAULT_MAX_ERROR_RATE)
        self.spider_name = ""
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def spider_closed(self, spider: Any, reason: str) -> None:
        self.spider_name = spider.name
        derive_causes(self.crawler.stats, reason, max_error_rate=self.max_error_rate)

    def engine_stopped(self) -> None:
        stats = self.crawler.stats.get_stats()
        name = self.spider_name or getattr(self.crawler.spider, "name", "crawl")
        logger.info("%s", summary_text(stats, name, spool_files(stats)))
