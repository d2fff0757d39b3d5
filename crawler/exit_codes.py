"""Exit codes of ``scrapy crawl`` and every ``crawler`` command: one per cause, documented in the README.

A crawl's parts do not exit themselves: they record why the run went wrong with :func:`note_failure`
(a stat, ``exit/causes``), and the crawl command turns the most serious recorded cause into the
process's exit code (:func:`exit_code_of`). CLI commands raise ``typer.Exit(ExitCode.X)``.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum
from typing import Any


class ExitCode(IntEnum):
    """Why a command ended; 0 is success. Higher in :data:`SERIOUSNESS` wins when several apply."""

    OK = 0
    ERROR = 1
    """An unexpected error (a bug: the log has the traceback)."""
    USAGE = 2
    """Wrong arguments or options (also Click's own code for them)."""
    RULES = 3
    """A rule or catalog file has an error (unless ``RULES_ALLOW_ERRORS=1``)."""
    STORE_UNREACHABLE = 4
    """The store could not be reached or refused writes: the crawl's listings went to the spool."""
    NO_LISTINGS = 5
    """The crawl produced no listing."""
    TOO_MANY_ERRORS = 6
    """Errors (failed requests, unreadable pages) passed the run's threshold."""
    DATA_LOST = 7
    """Listings could be neither stored nor spooled (disk full): the crawl stopped."""
    NOT_FOUND = 8
    """What the command was asked to read does not exist (a store file, a listing, a job)."""
    INPUT_SKIPPED = 9
    """Some lines of an input file (``crawler store import``) could not be read or the store refused them;
    each is reported with its line number, the rest was loaded."""
    AUDIT_MISMATCH = 10
    """``crawler audit verify``: the review log's chain is broken, shorter than or different from the
    expected head, or a listing's review status disagrees with the log."""
    MONITOR_FAILED = 11
    """A crawl's end-of-run monitor failed (:mod:`crawler.monitors`): too few listings against the job's
    history, a field's coverage dropped, too many invalid or partial listings, too many errors."""
    ALREADY_RUNNING = 12
    """``crawler crawl JOB``: the job's crawl is already running (the schedule holds its lock)."""
    EVIDENCE_INCOMPLETE = 13
    """``crawler evidence capture``: some queued screenshots could not be taken (they stay queued, and
    after 3 attempts are listed as failed by ``crawler evidence queue``)."""
    INTERRUPTED = 130
    """Stopped by Ctrl-C or SIGTERM before its end (what was scraped is stored or spooled)."""


SERIOUSNESS = (
    ExitCode.DATA_LOST,
    ExitCode.RULES,
    ExitCode.STORE_UNREACHABLE,
    ExitCode.INTERRUPTED,
    ExitCode.TOO_MANY_ERRORS,
    ExitCode.NO_LISTINGS,
    ExitCode.MONITOR_FAILED,
    ExitCode.INPUT_SKIPPED,
    ExitCode.EVIDENCE_INCOMPLETE,
    ExitCode.ERROR,
)
"""Causes, most serious first. ``MONITOR_FAILED`` comes after the causes a crawl's own parts record: a
monitor that fails on a crawl with no listings or too many errors says less than NO_LISTINGS or
TOO_MANY_ERRORS (which name the fault); alone it says the run looks wrong against its history."""

CAUSES_STAT = "exit/causes"


def note_failure(stats: Any, code: ExitCode, reason: str) -> None:
    """Record in a crawl's stats collector that the run failed for ``code`` (``reason``: one line for
    the end-of-crawl summary). Idempotent per (code, reason)."""
    causes = list(stats.get_value(CAUSES_STAT) or [])
    entry = f"{code.name}: {reason}"
    if entry not in causes:
        causes.append(entry)
        stats.set_value(CAUSES_STAT, causes)


def recorded_codes(causes: Iterable[str]) -> list[ExitCode]:
    """The codes of ``exit/causes`` entries (unknown names are ERROR)."""
    return [ExitCode.__members__.get(entry.split(":", 1)[0], ExitCode.ERROR) for entry in causes]


def exit_code_of(causes: Iterable[str]) -> ExitCode:
    """The exit code of a run that recorded ``causes``: the most serious, OK when none."""
    codes = set(recorded_codes(causes))
    for code in SERIOUSNESS:
        if code in codes:
            return code
    return ExitCode.OK
