"""The filters of :meth:`Store.recent_crawl_runs` (``crawler runs``), checked once for every backend.

A run *failed* when its ``status`` is not ``ok``; a record written before runs had a status failed
when its stats hold exit causes (:func:`run_failed`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from crawler.store.base import InvalidQuery
from crawler.store.documents import to_utc_ms

CAUSES_STAT = "exit/causes"
"""Where a crawl's stats keep its exit causes (``crawler.exit_codes.CAUSES_STAT``; the store imports no
crawl code)."""


def run_failed(run: Mapping[str, Any]) -> bool:
    """Whether a stored run failed: its status, or for a record older than ``status`` its causes."""
    status = run.get("status")
    if status is not None:
        return status != "ok"
    stats = run.get("stats") or {}
    return bool(stats.get(CAUSES_STAT))


@dataclass(frozen=True)
class RunQuery:
    """Which crawl runs to list, newest ``started_at`` first."""

    spider: str | None = None
    limit: int = 20
    job: str | None = None
    since: datetime | None = None
    """Runs started at or after this time (aware, or naive meaning UTC)."""
    failed: bool | None = None
    """True: failed runs only; False: successful runs only; None: both."""
    run_id: str | None = None

    def failed_matches(self, run: dict[str, Any]) -> bool:
        """Whether ``run`` passes the ``failed`` filter (for backends that check it after reading)."""
        return self.failed is None or run_failed(run) == self.failed


def run_query(
    spider: Any = None, limit: Any = 20, *, job: Any = None, since: Any = None, failed: Any = None,
    run_id: Any = None,
) -> RunQuery:
    """A checked :class:`RunQuery`; :class:`InvalidQuery` names the wrong argument."""
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise InvalidQuery(f"limit must be a non-negative integer, got {limit!r}")
    for name, value in (("spider", spider), ("job", job), ("run_id", run_id)):
        if value is not None and not isinstance(value, str):
            raise InvalidQuery(f"{name} must be text, got {value!r}")
    if since is not None:
        if not isinstance(since, datetime):
            raise InvalidQuery(f"since must be a datetime, got {since!r}")
        since = to_utc_ms(since)
    if failed is not None and not isinstance(failed, bool):
        raise InvalidQuery(f"failed must be True, False or None, got {failed!r}")
    return RunQuery(spider=spider, limit=limit, job=job, since=since, failed=failed, run_id=run_id)
