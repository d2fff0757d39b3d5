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
