"""A job's past runs, from the store's ``crawl_runs`` records, for the monitors that compare a crawl
with its history.

A job is what ``CRAWL_JOB`` names (a scheduled job of ``crawls.yaml``), else the spider's name. The
crawl records its job in its stats (``crawl/job``), which the run's record keeps; a record without one
belongs to the job named after its spider. Only runs that finished normally count (an interrupted or
stopped run's counts say nothing about the platform).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from crawler.store import StoreError, StoreNotFound, open_store

logger = logging.getLogger(__name__)

JOB_STAT = "crawl/job"
FETCH_FACTOR = 5
"""Records read per run wanted: other jobs of the same spider are filtered out after the read."""


def job_name(settings: Any, spider: str) -> str:
    """The crawl's job: setting ``CRAWL_JOB`` when set, else the spider's name."""
    return str(settings.get("CRAWL_JOB") or "").strip() or spider


def run_job(run: Mapping[str, Any]) -> str:
    """The job a stored crawl-run record belongs to."""
    stats = run.get("stats") or {}
    return str(run.get("job") or stats.get(JOB_STAT) or run.get("spider") or "")


def finished_normally(run: Mapping[str, Any]) -> bool:
    """Whether a stored run ended on its own (no finish reason recorded counts as finished)."""
    reason = (run.get("stats") or {}).get("finish_reason") or run.get("finish_reason")
    return reason in (None, "finished")


def past_runs(store: Any, spider: str, job: str, limit: int) -> list[Mapping[str, Any]]:
    """The stats of the job's last ``limit`` runs that finished normally, newest first."""
    if limit <= 0:
        return []
    runs = store.recent_crawl_runs(spider=spider, limit=limit * FETCH_FACTOR)
    chosen = [run.get("stats") or {} for run in runs if run_job(run) == job and finished_normally(run)]
    return chosen[:limit]


def load_history(uri: str, spider: str, job: str, limit: int) -> tuple[list[Mapping[str, Any]], str]:
    """The job's past runs from the store at ``uri``, and '' or why they could not be read (no store
    file yet is no history, not a problem; the monitor never creates one)."""
    try:
        with open_store(uri, create=False) as store:
            return past_runs(store, spider, job, limit), ""
    except StoreNotFound:
        return [], ""
    except (StoreError, OSError) as exc:
        return [], f"{type(exc).__name__}: {exc}"
