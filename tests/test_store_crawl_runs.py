"""The crawl-run filters of ``recent_crawl_runs`` (``crawler runs``), on every backend (SQLite, nx-27017)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from crawler.store import InvalidQuery, Store

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def _run(n: int, spider: str, job: str | None, status: str | None, **extra: Any) -> dict[str, Any]:
    run: dict[str, Any] = {"spider": spider, "started_at": T0 + timedelta(hours=n),
                           "finished_at": T0 + timedelta(hours=n, minutes=5), "stats": {}, **extra}  # fmt: skip
    if status is not None:
        run.update(run_id=f"run-{n}", job=job, status=status, exit_code=0 if status == "ok" else 5)
    return run


@pytest.fixture
def runs(store: Store) -> Store:
    store.record_crawl_run(_run(0, "tiki", None, None, stats={"exit/causes": ["NO_LISTINGS: none"]}))  # old, failed
    store.record_crawl_run(_run(1, "tiki", None, None, stats={"exit/causes": []}))  # old record, ok
    store.record_crawl_run(_run(2, "tiki", "tiki-daily", "ok"))
    store.record_crawl_run(_run(3, "tiki", "tiki-daily", "failed"))
    store.record_crawl_run(_run(4, "sendo", "sendo-hourly", "ok"))
    store.record_crawl_run(_run(5, "sendo", "sendo-hourly", "failed"))
    return store


def _hours(found: list[dict[str, Any]]) -> list[int]:
    return [int((run["started_at"] - T0).total_seconds() // 3600) for run in found]


def test_runs_filter_by_job_since_failed_and_id(runs: Store) -> None:
    assert _hours(runs.recent_crawl_runs()) == [5, 4, 3, 2, 1, 0]
    assert _hours(runs.recent_crawl_runs(job="tiki-daily")) == [3, 2]
    assert _hours(runs.recent_crawl_runs("tiki", job="sendo-hourly")) == []
    assert _hours(runs.recent_crawl_runs(since=T0 + timedelta(hours=3))) == [5, 4, 3]
    assert _hours(runs.recent_crawl_runs(failed=True)) == [5, 3, 0]  # the old record: by its causes
    assert _hours(runs.recent_crawl_runs(failed=False)) == [4, 2, 1]
    assert _hours(runs.recent_crawl_runs("tiki", failed=True, limit=1)) == [3]
    assert _hours(runs.recent_crawl_runs(failed=True, since=T0 + timedelta(hours=1), job="tiki-daily")) == [3]
    (one,) = runs.recent_crawl_runs(run_id="run-4")
    assert one["job"] == "sendo-hourly" and one["status"] == "ok"
    assert runs.recent_crawl_runs(run_id="run-404") == []
    naive = datetime(2025, 3, 1, 12, 0)  # naive means UTC
    assert _hours(runs.recent_crawl_runs(since=naive)) == [5, 4]


@pytest.mark.parametrize(
    "arguments",
    [{"limit": -1}, {"job": 3}, {"since": "yesterday"}, {"failed": "yes"}, {"run_id": 7}, {"spider": ["tiki"]}],
)
def test_runs_filters_refuse_wrong_types(runs: Store, arguments: dict[str, Any]) -> None:
    with pytest.raises(InvalidQuery):
        runs.recent_crawl_runs(**arguments)
