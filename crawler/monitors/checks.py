"""The monitors' threshold logic: plain functions from a crawl's stats (and its job's past runs) to a
:class:`Verdict`, so each threshold is tested without running a crawl.

Every function takes the stats as a mapping (Scrapy's stats dict, or a stored run's ``stats``) and
the :class:`Thresholds` (settings ``MONITOR_*``, documented in ``crawler/settings.py``). Messages are
built from numbers, field names and setting names only: never from listing text.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Self

from crawler.crawl_end import errors_by_cause, requests_made
from crawler.exit_codes import CAUSES_STAT
from crawler.request_outcomes import HTTP_ERRORS, PAGES
from pipelines.normalize import FIELDS_LISTINGS, FIELDS_PRESENT

Stats = Mapping[str, Any]


@dataclass(frozen=True)
class Verdict:
    """A check's outcome: ``ok`` or not, and what to say (the failure's reason, or a note; may be '')."""

    ok: bool
    message: str = ""


PASS = Verdict(True)


@dataclass(frozen=True)
class Thresholds:
    """The monitors' settings (defaults as in ``crawler/settings.py``)."""

    history_runs: int = 10
    min_history: int = 3
    min_listings_ratio: float = 0.5
    max_invalid_share: float = 0.1
    max_partial_share: float = 0.3
    max_error_rate: float = 0.1
    max_http_error_rate: float = 0.1
    max_coverage_drop: float = 0.2
    coverage_min_listings: int = 20

    @classmethod
    def from_settings(cls, settings: Any) -> Self:
        """The thresholds a Scrapy ``Settings`` object gives (``MONITOR_*``)."""
        default = cls()
        return cls(
            history_runs=settings.getint("MONITOR_HISTORY_RUNS", default.history_runs),
            min_history=settings.getint("MONITOR_MIN_HISTORY", default.min_history),
            min_listings_ratio=settings.getfloat("MONITOR_MIN_LISTINGS_RATIO", default.min_listings_ratio),
            max_invalid_share=settings.getfloat("MONITOR_MAX_INVALID_SHARE", default.max_invalid_share),
            max_partial_share=settings.getfloat("MONITOR_MAX_PARTIAL_SHARE", default.max_partial_share),
            max_error_rate=settings.getfloat("MONITOR_MAX_ERROR_RATE", default.max_error_rate),
            max_http_error_rate=settings.getfloat("MONITOR_MAX_HTTP_ERROR_RATE", default.max_http_error_rate),
            max_coverage_drop=settings.getfloat("MONITOR_MAX_COVERAGE_DROP", default.max_coverage_drop),
            coverage_min_listings=settings.getint("MONITOR_COVERAGE_MIN_LISTINGS", default.coverage_min_listings),
        )


def _int(stats: Stats, key: str) -> int:
    value = stats.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _spider_total(stats: Stats, suffix: str) -> int:
    """The sum of ``spider/<name>/<suffix>`` counters."""
    return sum(
        value for key, value in stats.items()
        if key.startswith("spider/") and key.count("/") == 2 and key.endswith(f"/{suffix}")
        and isinstance(value, int)
    )  # fmt: skip


def listings(stats: Stats) -> int:
    """Listings the crawl handed over (Scrapy's ``item_scraped_count``)."""
    return _int(stats, "item_scraped_count")


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole else "0%"


# -- this run alone --------------------------------------------------------------------------------


def no_listings(stats: Stats) -> Verdict:
    """Fails when no listing came out of the crawl."""
    if listings(stats):
        return PASS
    return Verdict(False, "no listing came out of the crawl")


def invalid_share(stats: Stats, limits: Thresholds) -> Verdict:
    """Fails when more than ``max_invalid_share`` of the listings the spider found were invalid: left
    out by the spider (a field every listing needs missing), dropped by validation, or kept with a
    field emptied because its value was unreadable."""
    skipped = _spider_total(stats, "dropped")
    dropped = _int(stats, "normalize/dropped")
    salvaged = _int(stats, "normalize/with_invalid_fields")
    # the items the spider emitted, counted by normalize when it ran (a crawl without pipelines: the spider's count)
    seen = skipped + max(dropped + _int(stats, "normalize/valid"), _spider_total(stats, "listings"))
    invalid = skipped + dropped + salvaged
    if not seen or invalid <= limits.max_invalid_share * seen:
        return PASS
    return Verdict(False, (
        f"{invalid} of {seen} listings invalid ({_share(invalid, seen)}: {skipped} skipped by the spider, "
        f"{dropped} dropped, {salvaged} with an unreadable field), over MONITOR_MAX_INVALID_SHARE "
        f"{limits.max_invalid_share:g}"
    ))


PARTIAL_CAUSES = "listings/partial/"


def partial_share(stats: Stats, limits: Thresholds) -> Verdict:
    """Fails when more than ``max_partial_share`` of the listings came from their list entry because
    their detail could not be had (``listings/partial/<cause>``: blocked, failing or unreadable detail
    pages). Listings partial by design (Lazada's list items, which have no detail request) do not count."""
    total = _spider_total(stats, "listings")
    causes = {key[len(PARTIAL_CAUSES):]: value for key, value in stats.items()
              if key.startswith(PARTIAL_CAUSES) and isinstance(value, int)}  # fmt: skip
    partial = sum(causes.values())
    if not total or partial <= limits.max_partial_share * total:
        return PASS
    named = ", ".join(f"{cause} {count}" for cause, count in sorted(causes.items(), key=lambda kv: -kv[1])[:3])
    return Verdict(False, (
        f"{partial} of {total} listings partial, their detail not had ({_share(partial, total)}: {named}), "
        f"over MONITOR_MAX_PARTIAL_SHARE {limits.max_partial_share:g}"
    ))


def error_rate(stats: Stats, limits: Thresholds) -> Verdict:
    """Fails when more than ``max_error_rate`` of the requests ended in an error after their retries
    (an HTTP status of 400 or more, no response, an unreadable page)."""
    errors = errors_by_cause(stats)
    failed = sum(errors.values())
    made = requests_made(stats)
    if not failed or failed <= limits.max_error_rate * max(made, 1):
        return PASS
    causes = ", ".join(f"{cause} {count}" for cause, count in list(errors.items())[:3])
    return Verdict(False, (
        f"{failed} errors in {made} requests ({_share(failed, max(made, 1))}: {causes}), "
        f"over MONITOR_MAX_ERROR_RATE {limits.max_error_rate:g}"
    ))


def http_error_rate(stats: Stats, limits: Thresholds) -> Verdict:
    """Fails when more than ``max_http_error_rate`` of the pages fetched finally answered 4xx or 5xx."""
    by_class = {"4xx": 0, "5xx": 0}
    for key, value in stats.items():
        if key.startswith(HTTP_ERRORS) and isinstance(value, int):
            status = key[len(HTTP_ERRORS):]
            if status[:1] in ("4", "5"):
                by_class[f"{status[0]}xx"] += value
    pages = _int(stats, PAGES)
    bad = sum(by_class.values())
    if not bad or bad <= limits.max_http_error_rate * max(pages, 1):
        return PASS
    return Verdict(False, (
        f"HTTP 4xx/5xx on {bad} of {pages} pages ({_share(bad, max(pages, 1))}: 4xx {by_class['4xx']}, "
        f"5xx {by_class['5xx']}), over MONITOR_MAX_HTTP_ERROR_RATE {limits.max_http_error_rate:g}"
    ))


def recorded_causes(stats: Stats) -> Verdict:
    """Fails when a part of the crawl already recorded why it went wrong (the store unreachable, data
    lost, a rule file error): so that it alerts too."""
    causes = [cause for cause in stats.get(CAUSES_STAT) or [] if not str(cause).startswith("MONITOR_FAILED")]
    if not causes:
        return PASS
    return Verdict(False, "; ".join(str(cause) for cause in causes))


# -- against the job's history ---------------------------------------------------------------------


def _history_note(job: str, count: int, limits: Thresholds, what: str) -> Verdict:
    runs = "run" if count == 1 else "runs"
    return Verdict(True, (
        f"only {count} earlier {runs} of job {job!r} with {what} (MONITOR_MIN_HISTORY {limits.min_history}): "
        "not compared"
    ))


def listing_drop(stats: Stats, history: Sequence[Stats], job: str, limits: Thresholds) -> Verdict:
    """Fails when the crawl produced fewer than ``min_listings_ratio`` × the median listing count of the
    job's past runs (the most recent ``history_runs`` with at least one listing); with fewer than
    ``min_history`` of them it says so and passes."""
    counts = [listings(run) for run in history[: limits.history_runs]]
    counts = [count for count in counts if count > 0]
    if len(counts) < max(limits.min_history, 1):
        return _history_note(job, len(counts), limits, "listings")
    median = statistics.median(counts)
    got = listings(stats)
    if got >= limits.min_listings_ratio * median:
        return PASS
    return Verdict(False, (
        f"{got} listings, against a median of {median:g} over the job's last {len(counts)} runs "
        f"(under MONITOR_MIN_LISTINGS_RATIO {limits.min_listings_ratio:g} of it)"
    ))


def coverage(stats: Stats, field: str) -> tuple[int, int]:
    """(listings with ``field``, listings seen) from the normalize pipeline's counters."""
    return _int(stats, FIELDS_PRESENT + field), _int(stats, FIELDS_LISTINGS)


def coverage_drop(stats: Stats, history: Sequence[Stats], field: str, job: str, limits: Thresholds) -> Verdict:
    """Fails when the share of listings with ``field`` fell more than ``max_coverage_drop`` (a fraction:
    0.2 is 20 points) below its median over the job's past runs, as when a platform changes its format.
    Runs (this one included) with fewer than ``coverage_min_listings`` listings are not compared."""
    present, seen = coverage(stats, field)
    if seen < limits.coverage_min_listings:
        return Verdict(True, (
            f"{field}: {seen} listings, fewer than MONITOR_COVERAGE_MIN_LISTINGS {limits.coverage_min_listings}: "
            "not compared"
        ))
    shares = []
    for run in history[: limits.history_runs]:
        had, out_of = coverage(run, field)
        if out_of >= limits.coverage_min_listings:
            shares.append(had / out_of)
    if len(shares) < max(limits.min_history, 1):
        return _history_note(job, len(shares), limits, f"{field} coverage")
    median = statistics.median(shares)
    share = present / seen
    if share >= median - limits.max_coverage_drop:
        return PASS
    return Verdict(False, (
        f"{field} on {share:.0%} of {seen} listings, against {median:.0%} (median of the job's last "
        f"{len(shares)} runs); a drop over MONITOR_MAX_COVERAGE_DROP {limits.max_coverage_drop:g}"
    ))
