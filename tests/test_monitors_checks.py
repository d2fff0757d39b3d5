"""The monitors' threshold logic (crawler/monitors/checks.py): each check on both sides of its threshold,
and the history checks with too little history (they say so and pass)."""

from __future__ import annotations

from typing import Any

from scrapy.settings import Settings

from crawler.monitors import checks
from crawler.monitors.checks import Thresholds

LIMITS = Thresholds()


def run(listings: int, **coverage: int) -> dict[str, Any]:
    """A past run's stats: ``listings`` listings, ``coverage`` fields present (the rest absent)."""
    stats: dict[str, Any] = {"item_scraped_count": listings, "fields/listings": listings}
    stats.update({f"fields/present/{name}": count for name, count in coverage.items()})
    return stats


def test_thresholds_come_from_the_settings() -> None:
    limits = Thresholds.from_settings(Settings({"MONITOR_MIN_HISTORY": "5", "MONITOR_MAX_COVERAGE_DROP": "0.05"}))
    assert (limits.min_history, limits.max_coverage_drop, limits.history_runs) == (5, 0.05, 10)


def test_no_listings() -> None:
    assert checks.no_listings({"item_scraped_count": 1}).ok
    verdict = checks.no_listings({})
    assert not verdict.ok and verdict.message == "no listing came out of the crawl"


def test_invalid_share() -> None:
    stats = {"normalize/valid": 90, "normalize/dropped": 5, "spider/tiki/dropped": 5,
             "normalize/with_invalid_fields": 0}
    assert checks.invalid_share(stats, LIMITS).ok  # 10 of 100: not over 0.1
    stats["normalize/with_invalid_fields"] = 1
    verdict = checks.invalid_share(stats, LIMITS)
    assert not verdict.ok
    assert verdict.message == ("11 of 100 listings invalid (11%: 5 skipped by the spider, 5 dropped, 1 with an "
                               "unreadable field), over MONITOR_MAX_INVALID_SHARE 0.1")  # fmt: skip
    assert checks.invalid_share({}, LIMITS).ok  # nothing seen: the no-listings monitor speaks
    no_pipelines = {"spider/tiki/listings": 95, "spider/tiki/dropped": 1}  # ITEM_PIPELINES={}: the spider's count
    assert checks.invalid_share(no_pipelines, LIMITS).ok


def test_partial_share() -> None:
    stats = {"spider/tiki/listings": 100, "listings/partial": 30, "listings/partial/http_404": 30}
    assert checks.partial_share(stats, LIMITS).ok
    stats |= {"listings/partial": 31, "listings/partial/timeout": 1}
    verdict = checks.partial_share(stats, LIMITS)
    assert not verdict.ok
    assert verdict.message == ("31 of 100 listings partial, their detail not had (31%: http_404 30, timeout 1), "
                               "over MONITOR_MAX_PARTIAL_SHARE 0.3")  # fmt: skip
    lazada = {"spider/lazada/listings": 10, "listings/partial": 10, "spider/lazada/partial": 10}
    assert checks.partial_share(lazada, LIMITS).ok  # list items without a detail request: partial by design


def test_error_rate() -> None:
    stats = {"crawl/pages": 95, "crawl/errors/http/404": 5, "crawl/errors/download/TimeoutError": 5}
    assert checks.error_rate(stats, LIMITS).ok  # 10 of 100 requests
    stats["crawl/errors/download/TimeoutError"] = 6
    verdict = checks.error_rate(stats, LIMITS)
    assert not verdict.ok
    assert verdict.message == ("11 errors in 101 requests (11%: no response (TimeoutError) 6, HTTP 404 5), "
                               "over MONITOR_MAX_ERROR_RATE 0.1")  # fmt: skip


def test_http_error_rate_splits_4xx_and_5xx() -> None:
    stats = {"crawl/pages": 100, "crawl/errors/http/404": 6, "crawl/errors/http/503": 4}
    assert checks.http_error_rate(stats, LIMITS).ok
    stats["crawl/errors/http/500"] = 1
    verdict = checks.http_error_rate(stats, LIMITS)
    assert not verdict.ok
    assert verdict.message == ("HTTP 4xx/5xx on 11 of 100 pages (11%: 4xx 6, 5xx 5), "
                               "over MONITOR_MAX_HTTP_ERROR_RATE 0.1")  # fmt: skip
    strict = Thresholds(max_http_error_rate=0.0)
    assert not checks.http_error_rate({"crawl/pages": 100, "crawl/errors/http/404": 1}, strict).ok


def test_recorded_causes_other_than_monitors() -> None:
    assert checks.recorded_causes({"exit/causes": ["MONITOR_FAILED: No listings: none"]}).ok
    verdict = checks.recorded_causes({"exit/causes": ["STORE_UNREACHABLE: spool data/spool/x.jsonl"]})
    assert not verdict.ok and verdict.message == "STORE_UNREACHABLE: spool data/spool/x.jsonl"


def test_listing_drop_against_the_median() -> None:
    history = [run(100), run(90), run(10), run(0)]  # the run without listings is left out: median of 100, 90, 10
    assert checks.listing_drop(run(45), history, "tiki", LIMITS).ok  # 45 >= 0.5 x 90
    verdict = checks.listing_drop(run(44), history, "tiki", LIMITS)
    assert not verdict.ok
    assert verdict.message == ("44 listings, against a median of 90 over the job's last 3 runs "
                               "(under MONITOR_MIN_LISTINGS_RATIO 0.5 of it)")  # fmt: skip


def test_listing_drop_only_reads_the_last_runs() -> None:
    history = [run(10)] * 3 + [run(1000)] * 10
    assert checks.listing_drop(run(6), history, "tiki", Thresholds(history_runs=3)).ok
    assert not checks.listing_drop(run(6), history, "tiki", Thresholds(history_runs=13)).ok


def test_too_little_history_says_so_and_passes() -> None:
    verdict = checks.listing_drop(run(1), [run(100), run(100)], "tiki-daily", LIMITS)
    assert verdict.ok
    assert verdict.message == ("only 2 earlier runs of job 'tiki-daily' with listings (MONITOR_MIN_HISTORY 3): "
                               "not compared")  # fmt: skip
    covered = checks.coverage_drop(run(100, origin=0), [run(100, origin=100)], "origin", "tiki", LIMITS)
    assert covered.ok and "only 1 earlier run of job 'tiki' with origin coverage" in covered.message


def test_coverage_drop_against_the_median_share() -> None:
    history = [run(100, origin=90), run(200, origin=160), run(50, origin=50)]  # 90%, 80%, 100%: median 90%
    assert checks.coverage_drop(run(100, origin=70), history, "origin", "tiki", LIMITS).ok  # 20 points down
    verdict = checks.coverage_drop(run(100, origin=69), history, "origin", "tiki", LIMITS)
    assert not verdict.ok
    assert verdict.message == ("origin on 69% of 100 listings, against 90% (median of the job's last 3 runs); "
                               "a drop over MONITOR_MAX_COVERAGE_DROP 0.2")  # fmt: skip
    assert checks.coverage_drop(run(100, origin=0), history, "title", "tiki", LIMITS).ok  # never had titles here
    titled = [run(100, title=100)] * 3
    assert not checks.coverage_drop(run(100, title=79), titled, "title", "tiki", LIMITS).ok


def test_coverage_leaves_small_runs_out() -> None:
    history = [run(100, price=100)] * 3
    small = checks.coverage_drop(run(19), history, "price", "tiki", LIMITS)
    assert small.ok and "fewer than MONITOR_COVERAGE_MIN_LISTINGS 20" in small.message
    small_history = [run(10, price=10)] * 3  # too small to compare with
    assert checks.coverage_drop(run(100), small_history, "price", "tiki", LIMITS).ok
