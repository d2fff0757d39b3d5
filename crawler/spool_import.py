"""Load a spool or journal file (JSON Lines, see :mod:`crawler.spool`) into a store, line by line.

A line that cannot be read (invalid UTF-8, not JSON, nested too deeply, a number Python will not
parse, not an object, not a listing) is *skipped*; a record the store refuses is *rejected*; each is
reported with its line number and reason, and the rest of the file goes on. Every non-blank line
read is counted exactly once: ``loaded + skipped + rejected == lines``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from pydantic import ValidationError

from crawler.items import Flag, Listing, Review
from crawler.spool import FLAGS_RECORD, RECORD_KEY, RUN_RECORD
from crawler.store import InvalidQuery, Store, StoreError

MAX_LINE_BYTES = 16 * 1024 * 1024
"""A longer line is skipped (a spooled listing is a few KiB)."""
BATCH = 1000


@dataclass
class LineProblem:
    """A line not loaded: its number and why."""

    number: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.number}: {self.reason}"


@dataclass
class ImportReport:
    """What loading a file did; ``loaded + skipped + rejected == lines``."""

    lines: int = 0
    """Non-blank lines read."""
    blank: int = 0
    loaded: int = 0
    """Records the store took: listings, flag replacements and crawl runs."""
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    flags: int = 0
    runs: int = 0
    reviews_ignored: int = 0
    """Listings whose line carried a review decision: the store manages those (``crawler review``,
    with its audit entry), so an import never sets one."""
    skipped: list[LineProblem] = field(default_factory=list)
    """Lines that could not be read as a record."""
    rejected: list[LineProblem] = field(default_factory=list)
    """Records the store refused."""

    @property
    def ok(self) -> bool:
        """Every line was loaded."""
        return not self.skipped and not self.rejected

    def summary(self) -> str:
        """One line: the counts, which add up."""
        parts = [f"{self.inserted} new", f"{self.updated} updated", f"{self.unchanged} unchanged"]
        if self.flags:
            parts.append(f"{self.flags} re-judged flag sets")
        if self.runs:
            parts.append(f"{self.runs} crawl runs")
        text = (
            f"{self.lines} lines read: {self.loaded} loaded ({', '.join(parts)}), "
            f"{len(self.skipped)} skipped, {len(self.rejected)} rejected"
        )
        if self.reviews_ignored:
            text += f"; review decisions ignored on {self.reviews_ignored} listings (only `crawler review` makes them)"
        return text + (f"; {self.blank} blank lines ignored" if self.blank else "")


_UNREVIEWED = Review()
Record = Listing | tuple[str, Any]
"""A listing, or (``"flags"``, (platform, listing_id, flags)) or (``"crawl_run"``, run)."""


def _read_lines(handle: IO[bytes]) -> Iterator[tuple[int, bytes | None]]:
    """(line number, bytes) per line; bytes None for a line over :data:`MAX_LINE_BYTES` (skipped whole)."""
    number = 0
    while True:
        raw = handle.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        number += 1
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):  # the rest of the long line
                raw = handle.readline(MAX_LINE_BYTES)
            yield number, None
            continue
        yield number, raw


def _validation_reason(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first.get("loc", ())) or "record"
    more = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{where}: {first.get('msg', 'invalid')}{more}"


def parse_line(raw: bytes) -> Record:
    """One line as a record; ValueError with the reason when it is not one."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"invalid UTF-8 at byte {exc.start}") from None
    try:
        value = json.loads(text)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc.msg} at column {exc.colno}") from None
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        raise ValueError(f"not JSON Python can read: {str(exc).splitlines()[0][:120]}") from None
    if not isinstance(value, dict):
        raise ValueError(f"not a JSON object but {type(value).__name__}")
    kind = value.get(RECORD_KEY)
    try:
        if kind is None:
            return Listing.model_validate(value)
        if kind == FLAGS_RECORD:
            platform, listing_id, flags = value.get("platform"), value.get("listing_id"), value.get("flags")
            if not isinstance(platform, str) or not isinstance(listing_id, str) or not isinstance(flags, list):
                raise ValueError("a flags record needs platform, listing_id (text) and flags (a list)")
            return (FLAGS_RECORD, (platform, listing_id, [Flag.model_validate(flag) for flag in flags]))
        if kind == RUN_RECORD:
            run = value.get("run")
            if not isinstance(run, dict):
                raise ValueError("a crawl_run record needs a run object")
            return (RUN_RECORD, run)
    except ValidationError as exc:
        raise ValueError(_validation_reason(exc)) from None
    except RecursionError:
        raise ValueError("nested too deeply") from None
    raise ValueError(f"unknown record kind {str(kind)[:40]!r}")


def import_file(
    handle: IO[bytes],
    store: Store,
    *,
    on_problem: Callable[[LineProblem, bool], None] | None = None,
    batch: int = BATCH,
) -> ImportReport:
    """Load every record of ``handle`` into ``store``; bad lines are skipped and reported.

    ``on_problem(problem, rejected)`` is called for each line not loaded as it is met. A StoreError
    that fails a whole batch (the store went away) propagates; ``ImportReport`` of what was done so
    far is attached to it as ``exc.report``.
    """
    report = ImportReport()
    pending: list[tuple[int, Listing]] = []

    def problem(number: int, reason: str, rejected: bool) -> None:
        item = LineProblem(number, reason)
        (report.rejected if rejected else report.skipped).append(item)
        if on_problem is not None:
            on_problem(item, rejected)

    def flush() -> None:
        if not pending:
            return
        listings = [listing for _, listing in pending]
        result = store.upsert_listings(listings)
        report.inserted += result.inserted
        report.updated += result.updated
        report.unchanged += result.unchanged
        report.loaded += result.inserted + result.updated + result.unchanged
        unmatched = list(result.errors)
        for number, listing in pending:
            prefix = listing.key + ": "
            for error in unmatched:
                if error.startswith(prefix):
                    unmatched.remove(error)
                    problem(number, f"refused by the store: {error}", True)
                    break
        # a rejection the store did not name (never expected): counted against the batch's last line
        for _ in range(result.rejected - (len(result.errors) - len(unmatched))):
            problem(pending[-1][0], f"refused by the store: {unmatched.pop(0) if unmatched else '?'}", True)
        pending.clear()

    try:
        for number, raw in _read_lines(handle):
            if raw is None:
                report.lines += 1
                problem(number, f"longer than {MAX_LINE_BYTES} bytes", False)
                continue
            if not raw.strip():
                report.blank += 1
                continue
            report.lines += 1
            try:
                record = parse_line(raw)
            except ValueError as exc:
                problem(number, str(exc), False)
                continue
            if isinstance(record, Listing):
                if record.review != _UNREVIEWED:  # a decision without its audit entry: never imported
                    report.reviews_ignored += 1
                    record = record.model_copy(update={"review": _UNREVIEWED})
                pending.append((number, record))
                if len(pending) >= batch:
                    flush()
                continue
            flush()  # flags and runs apply to the listings before them
            kind, value = record
            if kind == FLAGS_RECORD:
                platform, listing_id, flags = value
                try:
                    store.replace_flags(platform, listing_id, flags)
                except (InvalidQuery, StoreError) as exc:
                    problem(number, f"refused by the store: {exc}", True)
                    continue
                report.flags += 1
            else:
                try:
                    store.record_crawl_run(value)
                except StoreError as exc:
                    problem(number, f"refused by the store: {exc}", True)
                    continue
                report.runs += 1
            report.loaded += 1
        flush()
    except StoreError as exc:
        exc.report = report  # type: ignore[attr-defined]
        raise
    return report
