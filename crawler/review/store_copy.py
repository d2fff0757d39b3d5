"""Copy a whole store into another (SQLite ↔ MongoDB) and prove the copy is complete.

Streams ``Store.export_documents()`` into ``Store.import_documents()`` in batches, reporting progress,
then verifies: the same number of listings, flagged listings per kind, audit entries and crawl runs on
both sides, and an intact audit hash chain on the target (``crawler.review.audit.verify_chain``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any


class MigrationError(Exception):
    """The copy failed part-way (the message says where); the source is never modified."""


@dataclass
class MigrationResult:
    """Documents copied per collection and the checks made afterwards."""

    exported: Counter[str] = field(default_factory=Counter)
    imported: Counter[str] = field(default_factory=Counter)
    checks: list[tuple[str, bool, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every check passed."""
        return all(passed for _, passed, _ in self.checks)

    def summary(self) -> list[str]:
        """Lines for the operator: counts, then each check."""
        lines = [f"copied {name}: {self.exported[name]} exported, {self.imported[name]} imported"
                 for name in sorted(self.exported)]
        lines += [f"{'OK  ' if passed else 'FAIL'} {name}: {detail}" for name, passed, detail in self.checks]
        return lines


def _batches(items: Iterator[tuple[str, dict[str, Any]]], size: int) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    while chunk := list(islice(items, size)):
        yield chunk


def _audit_count(store: Any) -> int:
    return sum(1 for _ in store.iter_audit())


def _runs_count(store: Any) -> int:
    return len(store.recent_crawl_runs(limit=10_000_000))


def migrate(
    source: Any, target: Any, *, batch: int = 1000, progress: Callable[[str], None] = print
) -> MigrationResult:
    """Copy every document of ``source`` into ``target`` and verify the result."""
    from crawler.review.audit import verify_chain
    from crawler.store import StoreError

    result = MigrationResult()
    try:
        for chunk in _batches(iter(source.export_documents()), batch):
            result.exported.update(collection for collection, _ in chunk)
            for collection, count in target.import_documents(chunk).items():
                result.imported[collection] += count
            done = ", ".join(f"{name} {count}" for name, count in sorted(result.exported.items()))
            progress(f"  … {done}")
    except StoreError as exc:
        done = sum(result.exported.values())
        raise MigrationError(f"copy stopped after {done} documents: {exc}") from exc

    def check(name: str, left: Any, right: Any) -> None:
        result.checks.append((name, left == right, f"source {left}, target {right}"))

    check("listings", source.count_listings(), target.count_listings())
    check("flagged by kind", source.count_flagged_by_kind(), target.count_flagged_by_kind())
    check("audit entries", _audit_count(source), _audit_count(target))
    check("crawl runs", _runs_count(source), _runs_count(target))
    report = verify_chain(target.iter_audit())
    detail = f"{report.checked} entries checked" + ("" if report.ok else ": " + "; ".join(report.problems[:5]))
    result.checks.append(("audit chain on target", report.ok, detail))
    return result
