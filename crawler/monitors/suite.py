"""The end-of-crawl monitors as a spidermon suite: small test-like classes over the crawl's stats.

Each monitor method asks one :mod:`crawler.monitors.checks` function; a failing verdict fails it
with the verdict's reason, a passing one with something to say (too little history to compare) logs
it at INFO. The suite's data (given by :class:`crawler.monitors.extension.CrawlMonitors`): ``stats``,
``crawler``, ``spider``, ``job``, ``history`` (the job's past runs' stats, newest first), ``reason``
(the spider's finish reason), ``limits`` (:class:`crawler.monitors.checks.Thresholds`) and
``alert_factory``.

When every monitor has run, :class:`RecordResults` puts the results in the stats (``monitors/failed``:
``"Monitor name: reason"`` strings; ``monitors/passed``: how many passed), logs each failure at ERROR
and records ``MONITOR_FAILED`` for each (:func:`crawler.exit_codes.note_failure`). Then, when one
failed, the configured alerts are sent (:mod:`crawler.monitors.alerts`).
"""

from __future__ import annotations

import logging
from typing import Any

from spidermon import Monitor, MonitorSuite, monitors
from spidermon.core.actions import Action

from crawler.exit_codes import ExitCode, note_failure
from crawler.monitors import checks
from crawler.monitors.alerts import Alert, crawl_counts

logger = logging.getLogger(__name__)

FAILED_STAT = "monitors/failed"
PASSED_STAT = "monitors/passed"


class CrawlMonitor(Monitor):
    """A monitor that turns a :class:`crawler.monitors.checks.Verdict` into a pass or a failure."""

    reason = ""
    """Why it failed (set before failing), for ``monitors/failed``."""

    @property
    def stats(self) -> Any:
        return self.data.stats

    @property
    def limits(self) -> checks.Thresholds:
        return self.data.limits

    def judge(self, verdict: checks.Verdict) -> None:
        if verdict.ok:
            if verdict.message:
                logger.info("monitor %s: %s", self.method_name, verdict.message)
            return
        self.reason = verdict.message
        self.fail(verdict.message)

    def finished(self) -> bool:
        """Whether the crawl ran to its end (history comparisons say nothing about a stopped crawl)."""
        reason = self.data.get("reason") or "finished"
        if reason != "finished":
            logger.info("monitor %s: the crawl did not finish (%s): not compared", self.method_name, reason)
            return False
        return True


@monitors.name("Listings")
class ListingsMonitor(CrawlMonitor):
    """How many listings came out, and how many were invalid or partial."""

    @monitors.name("No listings")
    def test_some_listings(self) -> None:
        self.judge(checks.no_listings(self.stats))

    @monitors.name("Listing count against history")
    def test_count_against_history(self) -> None:
        if self.finished():
            self.judge(checks.listing_drop(self.stats, self.data.history, self.data.job, self.limits))

    @monitors.name("Invalid listings")
    def test_invalid_share(self) -> None:
        self.judge(checks.invalid_share(self.stats, self.limits))

    @monitors.name("Partial listings")
    def test_partial_share(self) -> None:
        self.judge(checks.partial_share(self.stats, self.limits))


@monitors.name("Errors")
class ErrorsMonitor(CrawlMonitor):
    """Requests that ended in an error, and pages that answered 4xx/5xx."""

    @monitors.name("Error rate")
    def test_error_rate(self) -> None:
        self.judge(checks.error_rate(self.stats, self.limits))

    @monitors.name("HTTP error rate")
    def test_http_error_rate(self) -> None:
        self.judge(checks.http_error_rate(self.stats, self.limits))

    @monitors.name("Crawl causes")
    def test_recorded_causes(self) -> None:
        self.judge(checks.recorded_causes(self.stats))


@monitors.name("Field coverage")
class FieldCoverageMonitor(CrawlMonitor):
    """The share of listings with each compared field (``pipelines.normalize.COVERAGE_FIELDS``), against
    the job's history: a field a platform stopped sending (a changed format)."""

    def coverage(self, field: str) -> None:
        if self.finished():
            self.judge(checks.coverage_drop(self.stats, self.data.history, field, self.data.job, self.limits))

    @monitors.name("Field coverage: title")
    def test_title(self) -> None:
        self.coverage("title")

    @monitors.name("Field coverage: price")
    def test_price(self) -> None:
        self.coverage("price")

    @monitors.name("Field coverage: seller")
    def test_seller(self) -> None:
        self.coverage("seller")

    @monitors.name("Field coverage: origin")
    def test_origin(self) -> None:
        self.coverage("origin")


def label(result: Any) -> str:
    """``"Monitor name: reason"`` for a failed monitor's spidermon result (an error's last line when a
    monitor itself broke)."""
    monitor = result.item
    reason = getattr(monitor, "reason", "")
    if not reason:
        lines = [line for line in str(result.error or "").strip().splitlines() if line.strip()]
        reason = f"monitor error: {lines[-1].strip()}" if lines else str(result.status)
    return f"{monitor.method_name}: {reason}"


def failures(result: Any) -> list[str]:
    """The failed monitors of a spidermon result, as ``"Monitor name: reason"``."""
    return [label(item) for item in result.monitors_failed_results]


class RecordResults(Action):
    """Put the monitors' results in the crawl's stats, log each failure at ERROR and record it as
    ``MONITOR_FAILED``."""

    def run_action(self) -> None:
        stats = self.data["crawler"].stats
        failed = failures(self.result)
        stats.set_value(FAILED_STAT, failed)
        stats.set_value(PASSED_STAT, len(self.result.monitors_passed_results))
        for reason in failed:
            logger.error("monitor failed: %s", reason)
            note_failure(stats, ExitCode.MONITOR_FAILED, reason)


class CrawlMonitorSuite(MonitorSuite):
    """Every end-of-crawl monitor; records its results, then alerts when one failed."""

    monitors = [ListingsMonitor, ErrorsMonitor, FieldCoverageMonitor]  # noqa: RUF012 - spidermon's API
    monitors_finished_actions = [RecordResults]  # noqa: RUF012


def alert_factory(crawler: Any, job: str, spider: str) -> Any:
    """A function from a spidermon result to the :class:`Alert` it sends (the stats as they are then)."""

    def build(result: Any) -> Alert:
        stats = crawler.stats.get_stats()
        return Alert(job=job, spider=spider, failed=failures(result), passed=len(result.monitors_passed_results),
                     counts=crawl_counts(stats))  # fmt: skip

    return build
