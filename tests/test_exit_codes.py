"""The exit-code contract: causes recorded in a crawl's stats become one exit code, the most serious."""

from __future__ import annotations

from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from crawler.exit_codes import CAUSES_STAT, ExitCode, exit_code_of, note_failure


def test_no_cause_is_success() -> None:
    assert exit_code_of([]) == ExitCode.OK == 0


def test_the_most_serious_cause_wins_and_each_is_recorded_once() -> None:
    stats = MemoryStatsCollector(get_crawler())
    note_failure(stats, ExitCode.NO_LISTINGS, "0 listings")
    note_failure(stats, ExitCode.STORE_UNREACHABLE, "store down: 12 listings spooled")
    note_failure(stats, ExitCode.NO_LISTINGS, "0 listings")
    causes = stats.get_value(CAUSES_STAT)
    assert len(causes) == 2 and exit_code_of(causes) == ExitCode.STORE_UNREACHABLE
    note_failure(stats, ExitCode.DATA_LOST, "spool write failed: disk full")
    assert exit_code_of(stats.get_value(CAUSES_STAT)) == ExitCode.DATA_LOST


def test_an_unknown_cause_is_an_error() -> None:
    assert exit_code_of(["SOMETHING: else"]) == ExitCode.ERROR


def test_a_failed_monitor_exits_11_unless_a_cause_that_names_the_fault_applies() -> None:
    monitor = "MONITOR_FAILED: Listing count against history: 3 listings, against a median of 95"
    assert ExitCode.MONITOR_FAILED == 11 and exit_code_of([monitor]) == ExitCode.MONITOR_FAILED
    assert exit_code_of([monitor, "NO_LISTINGS: no listing came out of the crawl"]) == ExitCode.NO_LISTINGS
    assert exit_code_of([monitor, "TOO_MANY_ERRORS: 9 errors in 10 requests"]) == ExitCode.TOO_MANY_ERRORS
    assert exit_code_of([monitor, "SOMETHING: unknown"]) == ExitCode.MONITOR_FAILED  # an unknown cause is ERROR (1)
