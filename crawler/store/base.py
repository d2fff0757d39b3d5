"""The Store interface every backend implements, its query/result types and its error.

The pipelines, the CLI and the review code talk to the database only through :class:`Store`;
backends (``crawler.store.sqlite``, ``crawler.store.mongo``) are chosen by URI in
``crawler.store.factory.open_store``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any, Literal, get_args

from crawler.items import KINDS, Flag, Listing, ReviewStatus

REVIEW_STATUSES: tuple[str, ...] = get_args(ReviewStatus)
SORTS: tuple[str, ...] = ("risk", "newest")


class StoreError(Exception):
    """A storage failure with a message fit for an operator (never contains a password)."""


class InvalidQuery(StoreError, ValueError):
    """A query or argument the store refuses (wrong type, unknown kind/status/sort, negative paging)."""


@dataclass
class UpsertResult:
    """What one ``upsert_listings`` batch did; ``errors`` names each rejected listing and why."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[str] = field(default_factory=list)

    def __add__(self, other: UpsertResult) -> UpsertResult:
        return UpsertResult(
            self.inserted + other.inserted,
            self.updated + other.updated,
            self.unchanged + other.unchanged,
            self.rejected + other.rejected,
            [*self.errors, *other.errors],
        )


@dataclass
class FlagQuery:
    """Filters, sort and paging for :meth:`Store.query_flagged`."""

    kind: str | None = None
    platform: str | None = None
    min_risk: float | None = None
    status: str | None = None
    limit: int = 50
    offset: int = 0
    sort: Literal["risk", "newest"] = "risk"

    def validate(self) -> FlagQuery:
        """Return self after checking every field's type and range; raises :class:`InvalidQuery`."""
        if self.kind is not None and self.kind not in KINDS:
            raise InvalidQuery(f"unknown flag kind {self.kind!r} (one of {', '.join(KINDS)})")
        if self.platform is not None and not isinstance(self.platform, str):
            raise InvalidQuery(f"platform must be text, got {type(self.platform).__name__}")
        if self.status is not None and self.status not in REVIEW_STATUSES:
            raise InvalidQuery(f"unknown review status {self.status!r} (one of {', '.join(REVIEW_STATUSES)})")
        if self.min_risk is not None and (
            isinstance(self.min_risk, bool) or not isinstance(self.min_risk, int | float)
        ):
            raise InvalidQuery(f"min_risk must be a number, got {self.min_risk!r}")
        for name in ("limit", "offset"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InvalidQuery(f"{name} must be a non-negative integer, got {value!r}")
        if self.sort not in SORTS:
            raise InvalidQuery(f"unknown sort {self.sort!r} (one of {', '.join(SORTS)})")
        return self


def check_key(platform: Any, listing_id: Any) -> None:
    """Refuse a listing key that is not two non-empty strings (keeps operators out of queries)."""
    for name, value in (("platform", platform), ("listing_id", listing_id)):
        if not isinstance(value, str) or not value:
            raise InvalidQuery(f"{name} must be non-empty text, got {value!r}")


class Store(ABC):
    """Listings, their flags and crawl runs; one implementation per database. A context manager."""

    @abstractmethod
    def upsert_listings(self, listings: Sequence[Listing], *, seen_at: datetime | None = None) -> UpsertResult:
        """Insert or update a batch keyed by (platform, listing_id), keeping history (see DESIGN.md)."""

    @abstractmethod
    def replace_flags(self, platform: str, listing_id: str, flags: list[Flag]) -> None:
        """Set a stored listing's flags and its risk (max score, 0 if none); StoreError if absent."""

    @abstractmethod
    def get_listing(self, platform: str, listing_id: str) -> Listing | None:
        """The stored listing, or None."""

    @abstractmethod
    def query_flagged(self, query: FlagQuery) -> list[Listing]:
        """Listings with at least one flag, filtered, sorted and paged by ``query``."""

    @abstractmethod
    def count_listings(self, platform: str | None = None) -> int:
        """How many listings are stored (on one platform when given)."""

    @abstractmethod
    def count_flagged_by_kind(self) -> dict[str, int]:
        """kind → number of listings with at least one flag of that kind; every kind present."""

    @abstractmethod
    def iter_listings(self, platform: str | None = None, batch_size: int = 1000) -> Iterator[Listing]:
        """Every stored listing (of one platform when given), read ``batch_size`` at a time."""

    @abstractmethod
    def record_crawl_run(self, run: dict[str, Any]) -> None:
        """Keep one spider run: {spider, started_at, finished_at, stats, errors, rules_version}."""

    @abstractmethod
    def recent_crawl_runs(self, spider: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
        """The latest recorded runs, newest ``started_at`` first (datetimes aware UTC)."""

    @abstractmethod
    def close(self) -> None:
        """Release the connection; the store is unusable afterwards."""

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
