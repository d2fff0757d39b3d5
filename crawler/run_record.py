"""The crawl-run record: what one crawl did, kept in the store's ``crawl_runs`` for ``crawler runs``.

The store pipeline writes it when the spider has closed, after every ``spider_closed`` handler of the
extensions (the end-of-crawl causes of :mod:`crawler.crawl_end`, the monitors), so it holds the run's
final exit code. :func:`build_run_record` makes it from the crawl's stats; its fields:

- ``run_id`` (``YYYYmmddHHMMSS-xxxxxx``), ``spider``, ``job`` (the ``CRAWL_JOB`` setting, None for a
  crawl started by hand), ``started_at``, ``finished_at``, ``elapsed_seconds``, ``finish_reason``;
- ``status`` (``ok`` or ``failed``), ``exit_code``, ``exit_name``, ``causes`` (every ``exit/causes``
  entry: those the crawl's parts recorded and those derived at its end, most serious first);
- ``pages``, ``requests``, ``listings`` (scraped, new, updated, unchanged, partial, rejected, spooled,
  dropped), ``flags`` (listings flagged per kind), ``errors_by_cause``, ``http_status`` (responses per
  HTTP status, retries included);
- ``rules_version``, ``audit_head`` (the review log's ``COUNT:HASH`` at the end of the run);
- ``monitors`` (``passed``: a count, ``failed``: ``"monitor: reason"`` lines) when monitors ran;
- ``jobdir``, ``log_file``, ``host``, ``pid``; ``stats`` (every stat) and ``errors`` (the first 200
  ERROR messages), as before.

Stats read: ``exit/causes``, ``finish_reason``, ``elapsed_time_seconds``, ``crawl/pages``,
``crawl/errors/…``, ``item_scraped_count``, ``item_dropped_count``, ``store/inserted|updated|unchanged|
rejected|spooled``, ``spider/<name>/partial|dropped``, ``detect/flagged/<kind>``,
``downloader/response_status_count/<status>``, ``detect/rules_version``, ``monitors/passed``,
``monitors/failed``.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from crawler.crawl_end import errors_by_cause, requests_made
from crawler.exit_codes import CAUSES_STAT, SERIOUSNESS, ExitCode, exit_code_of, recorded_codes
from crawler.items import KINDS
from crawler.request_outcomes import PAGES
from crawler.store.runs import run_failed

__all__ = ["build_run_record", "http_status_counts", "new_run_id", "ordered_causes", "run_failed", "spider_total"]

STATUS_PREFIX = "downloader/response_status_count/"
MONITORS_FAILED = "monitors/failed"
MONITORS_PASSED = "monitors/passed"


def new_run_id(started_at: datetime) -> str:
    """A short id, unique enough and sorted by time: ``20250301T061500-3fa2c1``."""
    return f"{started_at:%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"


def spider_total(stats: Mapping[str, Any], suffix: str) -> int:
    """The sum of the ``spider/<name>/<suffix>`` counters."""
    return sum(
        value for key, value in stats.items()
        if key.startswith("spider/") and key.endswith(f"/{suffix}") and isinstance(value, int)
    )  # fmt: skip


def http_status_counts(stats: Mapping[str, Any]) -> dict[str, int]:
    """Responses per HTTP status (``downloader/response_status_count/<status>``, retries included)."""
    return {
        key[len(STATUS_PREFIX) :]: value
        for key, value in sorted(stats.items())
        if key.startswith(STATUS_PREFIX) and isinstance(value, int)
    }


def ordered_causes(causes: list[str]) -> list[str]:
    """``exit/causes`` entries, most serious first (the first names the exit code)."""
    rank = {code: index for index, code in enumerate(SERIOUSNESS)}
    pairs = zip(causes, recorded_codes(causes), strict=True)
    return [cause for cause, _ in sorted(pairs, key=lambda pair: rank.get(pair[1], len(rank)))]


def _monitors(stats: Mapping[str, Any]) -> dict[str, Any] | None:
    if MONITORS_FAILED not in stats and MONITORS_PASSED not in stats:
        return None
    failed = stats.get(MONITORS_FAILED) or []
    if isinstance(failed, str):
        failed = [failed]
    passed = stats.get(MONITORS_PASSED)
    return {"passed": passed if isinstance(passed, int) else 0, "failed": [str(line) for line in failed]}


def build_run_record(
    stats: Mapping[str, Any],
    *,
    spider: str,
    started_at: datetime,
    finished_at: datetime,
    job: str | None = None,
    errors: list[str] | None = None,
    audit_head: str | None = None,
    run_id: str | None = None,
    jobdir: str | None = None,
    log_file: str | None = None,
) -> dict[str, Any]:
    """The crawl-run record of a crawl whose stats are ``stats`` (see the module's docstring)."""
    causes = ordered_causes(list(stats.get(CAUSES_STAT) or []))
    code = exit_code_of(causes)
    if stats.get("finish_reason") is None:  # what `scrapy crawl` exits with then
        code = ExitCode.INTERRUPTED
    get = stats.get
    record: dict[str, Any] = {
        "run_id": run_id or new_run_id(started_at),
        "spider": spider,
        "job": job,
        "started_at": started_at,
        "finished_at": finished_at,
        "elapsed_seconds": get("elapsed_time_seconds"),
        "finish_reason": get("finish_reason"),
        "status": "ok" if code is ExitCode.OK else "failed",
        "exit_code": int(code),
        "exit_name": code.name,
        "causes": causes,
        "pages": int(get(PAGES, 0)),
        "requests": requests_made(stats),
        "listings": {
            "scraped": int(get("item_scraped_count", 0)),
            "new": int(get("store/inserted", 0)),
            "updated": int(get("store/updated", 0)),
            "unchanged": int(get("store/unchanged", 0)),
            "partial": spider_total(stats, "partial"),
            "rejected": int(get("store/rejected", 0)),
            "spooled": int(get("store/spooled", 0)),
            "dropped": int(get("item_dropped_count", 0)) + spider_total(stats, "dropped"),
        },
        "flags": {kind: int(get(f"detect/flagged/{kind}", 0)) for kind in KINDS},
        "errors_by_cause": errors_by_cause(stats),
        "http_status": http_status_counts(stats),
        "rules_version": get("detect/rules_version"),
        "audit_head": audit_head,
        "jobdir": jobdir,
        "log_file": log_file,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "stats": dict(stats),
        "errors": list(errors or []),
    }
    monitors = _monitors(stats)
    if monitors is not None:
        record["monitors"] = monitors
    return record
