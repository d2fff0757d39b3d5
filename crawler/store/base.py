"""The Store interface every backend implements, its query/result types and its error.

The pipelines, the CLI and the review code talk to the database only through :class:`Store`;
backends (``crawler.store.sqlite``, ``crawler.store.mongo``) are chosen by URI in
``crawler.store.factory.open_store``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any, Literal, get_args

from crawler.items import KINDS, Flag, Listing, PeerGroup, ReviewStatus

REVIEW_STATUSES: tuple[str, ...] = get_args(ReviewStatus)
SORTS: tuple[str, ...] = ("risk", "newest")
SOURCES: tuple[str, ...] = ("crawl", "tip-off")
UNKNOWN = "(không rõ)"
"""The report key for a listing without a province or category."""
GENESIS_HASH = "0" * 64
"""The ``prev_hash`` of the first audit entry."""


class StoreError(Exception):
    """A storage failure with a message fit for an operator (never contains a password)."""


class StoreNotFound(StoreError):
    """The store a read-only command was given does not exist (it is never created for reading)."""


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
    """Filters, sort and paging for :meth:`Store.query_flagged` and :meth:`Store.count_flagged`.

    Every filter is optional and they combine with AND. ``seller`` matches the seller's platform
    id or exact name; ``province`` matches case- and diacritics-insensitively ("ha noi" finds
    "Hà Nội"); ``since``/``until`` bound ``last_seen`` (``since`` inclusive, ``until`` exclusive;
    naive means UTC); ``text`` is a literal (never a pattern) searched, folded, in the title and
    description. ``flagged_only=False`` returns unflagged listings too (exports, reports).
    """

    kind: str | None = None
    platform: str | None = None
    min_risk: float | None = None
    status: str | None = None
    limit: int = 50
    offset: int = 0
    sort: Literal["risk", "newest"] = "risk"
    rule_id: str | None = None
    seller: str | None = None
    province: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    text: str | None = None
    source: str | None = None
    flagged_only: bool = True

    def validate(self) -> FlagQuery:
        """Return self after checking every field's type and range; raises :class:`InvalidQuery`."""
        if self.kind is not None and self.kind not in KINDS:
            raise InvalidQuery(f"unknown flag kind {self.kind!r} (one of {', '.join(KINDS)})")
        for name in ("platform", "rule_id", "seller", "province", "text"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise InvalidQuery(f"{name} must be text, got {type(value).__name__}")
        if self.status is not None and self.status not in REVIEW_STATUSES:
            raise InvalidQuery(f"unknown review status {self.status!r} (one of {', '.join(REVIEW_STATUSES)})")
        if self.source is not None and self.source not in SOURCES:
            raise InvalidQuery(f"unknown source {self.source!r} (one of {', '.join(SOURCES)})")
        if self.min_risk is not None and (
            isinstance(self.min_risk, bool) or not isinstance(self.min_risk, int | float)
        ):
            raise InvalidQuery(f"min_risk must be a number, got {self.min_risk!r}")
        for name in ("since", "until"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, datetime):
                raise InvalidQuery(f"{name} must be a datetime, got {value!r}")
        for name in ("limit", "offset"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InvalidQuery(f"{name} must be a non-negative integer, got {value!r}")
        if self.sort not in SORTS:
            raise InvalidQuery(f"unknown sort {self.sort!r} (one of {', '.join(SORTS)})")
        if not isinstance(self.flagged_only, bool):
            raise InvalidQuery(f"flagged_only must be true or false, got {self.flagged_only!r}")
        return self


@dataclass
class ReviewEntry:
    """One entry of the append-only review log; ``hash`` chains it to the entry before it.

    ``hash`` is the sha256 of the canonical JSON of every other field plus ``prev_hash``
    (:func:`crawler.store.audit_hash.entry_hash`); the first entry's ``prev_hash`` is
    :data:`GENESIS_HASH`. ``action`` is the status the listing was moved to.
    """

    seq: int
    platform: str
    listing_id: str
    action: Literal["confirmed", "dismissed", "referred", "new"]
    from_status: str
    to_status: str
    by: str
    at: datetime
    note: str | None
    prev_hash: str
    hash: str

    @property
    def key(self) -> str:
        """The listing's ``platform:listing_id``."""
        return f"{self.platform}:{self.listing_id}"


@dataclass
class SellerSummary:
    """One seller's aggregates; ``platforms`` lists every platform where a seller of the same
    (folded) shop name sells, ``kinds`` counts the seller's flagged listings per kind."""

    platform: str
    seller_id: str | None
    name: str | None
    province: str | None
    listings: int
    flagged: int
    confirmed: int
    kinds: dict[str, int]
    platforms: list[str]
    last_seen: datetime | None

    @property
    def key(self) -> str:
        """The seller key used by :meth:`Store.iter_seller_links`."""
        return seller_key(self.platform, self.seller_id, self.name)


@dataclass
class ReportData:
    """Aggregates for one reporting period [start, end) (see :meth:`Store.report_data`)."""

    start: datetime
    end: datetime
    by_kind: dict[str, int]
    by_platform: dict[str, int]
    by_province: dict[str, int]
    by_category: dict[str, int]
    by_status: dict[str, int]
    by_week: list[tuple[str, dict[str, int]]]
    top_sellers: list[SellerSummary]
    listings_seen: int
    flagged: int


def seller_key(platform: str, seller_id: str | None, name: str | None) -> str:
    """``platform:seller_id``, or ``platform:name:<name>`` for a seller known only by name."""
    if seller_id:
        return f"{platform}:{seller_id}"
    return f"{platform}:name:{name or ''}"


def check_key(platform: Any, listing_id: Any) -> None:
    """Refuse a listing key that is not two non-empty strings (keeps operators out of queries)."""
    for name, value in (("platform", platform), ("listing_id", listing_id)):
        if not isinstance(value, str) or not value:
            raise InvalidQuery(f"{name} must be non-empty text, got {value!r}")


class Store(ABC):
    """Listings, their flags and crawl runs; one implementation per database. A context manager."""

    @abstractmethod
    def upsert_listings(self, listings: Sequence[Listing], *, seen_at: datetime | None = None) -> UpsertResult:
        """Insert or update a batch keyed by (platform, listing_id), keeping history (see DESIGN.md).

        Every listing is stored with its ``fields_seen``, ``partial`` and ``peer_key``; the stored peer
        summaries of the groups a listing joins or leaves, or whose price it changes, are dropped in the
        same call, so the next :meth:`peer_groups` computes them afresh (an unchanged re-crawl drops none)."""

    @abstractmethod
    def replace_flags(self, platform: str, listing_id: str, flags: list[Flag]) -> None:
        """Set a stored listing's flags and its risk (max score, 0 if none); StoreError if absent.

        A ``price_anomaly.placeholder`` flag set or cleared here moves the listing out of or into its
        peer group, as an upsert would."""

    @abstractmethod
    def peer_groups(self, keys: Collection[str]) -> dict[str, PeerGroup]:
        """The stored price summaries of these peer keys (``Listing.peer_key``); only keys that exist.

        Every stored listing with a peer key, a usable price (VND, at least 1,000) and no
        ``price_anomaly.placeholder`` flag is counted in its group, each seller once, as of the latest
        writes (from any store handle). A summary is stored once computed and kept until a write
        changes the group's members (see :mod:`crawler.store.peers`); a group without one is computed
        from its members by its key, never by reading every listing. A group of at most
        ``crawler.store.peers.MEMBERS_LIMIT`` listings comes with its members (``PeerGroup.members``, read
        by its key; never cached), so that a crawl can leave out the listing it judges exactly. InvalidQuery
        when ``keys`` is not a collection of text.
        """

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
    def recent_crawl_runs(
        self, spider: str | None = None, limit: int = 20, *, job: str | None = None,
        since: datetime | None = None, failed: bool | None = None, run_id: str | None = None,
    ) -> list[dict[str, Any]]:
        """The latest recorded runs, newest ``started_at`` first (datetimes aware UTC), of one spider,
        one job (``CRAWL_JOB``), started at or after ``since``, failed (True) or not (False), or the run
        ``run_id``: see :mod:`crawler.store.runs`."""

    @abstractmethod
    def count_flagged(self, query: FlagQuery) -> int:
        """How many listings match ``query``'s filters (paging ignored)."""

    @abstractmethod
    def apply_review(
        self, platform: str, listing_id: str, status: str, *, by: str, note: str | None = None,
        at: datetime | None = None,
    ) -> ReviewEntry:
        """Set the listing's review status and append the hash-chained audit entry (same transaction).

        ``status`` is one of new/confirmed/dismissed/referred; StoreError for an unknown listing,
        InvalidQuery for an unknown status or an empty ``by``. Dismissing records the listing's
        content digest and flagged rule ids: later upserts of the same content drop flags of
        those rules and keep the status; changed content brings the flags back and reopens the
        listing (status new, an audit entry by "system", note "content changed").
        """

    @abstractmethod
    def review_history(self, platform: str, listing_id: str) -> list[ReviewEntry]:
        """The listing's audit entries, oldest first."""

    @abstractmethod
    def iter_audit(self) -> Iterator[ReviewEntry]:
        """The whole audit log in ``seq`` order."""

    @abstractmethod
    def seller_summaries(
        self, *, min_confirmed: int = 0, min_flagged: int = 0, limit: int = 50, offset: int = 0
    ) -> list[SellerSummary]:
        """Per-seller aggregates, most confirmed then most flagged first."""

    @abstractmethod
    def iter_seller_links(self) -> Iterator[tuple[str, str, str]]:
        """(seller_key, link_type, value) for every phone/shop_name/image/url a seller shows; unique."""

    @abstractmethod
    def report_data(self, start: datetime, end: datetime) -> ReportData:
        """Aggregates over the flagged or reviewed listings last seen (or reviewed) in [start, end)."""

    @abstractmethod
    def export_documents(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """("listings"|"reviews"|"crawl_runs", JSON-safe document): everything, in a stable order."""

    @abstractmethod
    def import_documents(self, items: Iterable[tuple[str, dict[str, Any]]]) -> dict[str, int]:
        """Write exported documents as they are (idempotent); {collection: documents written}."""

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
