"""The review desk: what the web UI asks of the store, through the same review code as the CLI.

Queue pages use :func:`crawler.review.filters.flag_query` (the ``flags list`` filters), decisions use
``Store.apply_review`` (the append-only audit log, as ``crawler review``), exports, reports and case
files use :mod:`crawler.review.exports`, :mod:`crawler.review.reports` and :mod:`crawler.review.cases`
(as ``crawler export``, ``crawler report`` and ``crawler case``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from crawler.evidence import EvidenceBlobs
from crawler.items import KINDS, EvidenceCapture, Listing, PeerGroup, split_key
from crawler.review.audit import current_head, head_text
from crawler.review.evidence_check import EvidenceCheck, check_one
from crawler.review.filters import FilterError, Filters, day_start, flag_query, iter_matching
from crawler.review.network import Network, SellerGraph, build_graph, network_of
from crawler.store.base import UNKNOWN, ReviewEntry, SellerSummary, Store, StoreError, seller_key

__all__ = ["ReviewStore", "StoreError"]  # what the web UI takes from here rather than from the store
ReviewStore = Store
"""The store as the review desk's callers name it (the web UI imports review code only)."""
MAX_PAGE = 1_000_000
DECISIONS: tuple[str, ...] = ("confirmed", "dismissed", "referred", "new")
_SHA = re.compile(r"[0-9a-f]{64}")


@dataclass
class QueuePage:
    """One page of the queue: its listings, how many match in all, and the page numbers."""

    listings: list[Listing]
    total: int
    page: int
    pages: int
    per_page: int


def queue_page(store: Store, filters: Filters, *, page: int = 1, per_page: int = 25, sort: str = "risk") -> QueuePage:
    """The listings of ``page`` (1 = first) matching ``filters``, riskiest first; FilterError on a bad value."""
    if not 1 <= page <= MAX_PAGE:
        raise FilterError(f"page {page}: must be between 1 and {MAX_PAGE}")
    query = flag_query(filters, limit=per_page, offset=(page - 1) * per_page, sort=sort)
    listings = store.query_flagged(query)
    total = store.count_flagged(query)
    return QueuePage(listings, total, page, max(1, math.ceil(total / per_page)), per_page)


def parse_key(key: str) -> tuple[str, str]:
    """``platform:listing_id`` → its parts; FilterError for anything else."""
    try:
        return split_key(key)
    except ValueError as exc:
        raise FilterError(str(exc)) from exc


def listing_with_history(store: Store, key: str) -> tuple[Listing, list[ReviewEntry]] | None:
    """The listing and its audit entries (oldest first), or None when the store has no such listing."""
    platform, listing_id = parse_key(key)
    listing = store.get_listing(platform, listing_id)
    if listing is None:
        return None
    return listing, store.review_history(platform, listing_id)


@dataclass
class Decision:
    """What one decision did: the audit entry, or the error that stopped it."""

    key: str
    entry: ReviewEntry | None = None
    error: str | None = None


def decide(store: Store, keys: list[str], status: str, *, by: str, note: str | None) -> list[Decision]:
    """Move each listing to ``status`` with an audit entry by ``by`` (as ``crawler review``)."""
    if status not in DECISIONS:
        raise FilterError(f"unknown decision {status!r}; use one of: {', '.join(DECISIONS)}")
    done: list[Decision] = []
    for key in keys:
        try:
            platform, listing_id = parse_key(key)
            entry = store.apply_review(platform, listing_id, status, by=by, note=note or None)
        except (FilterError, StoreError) as exc:
            done.append(Decision(key, error=str(exc)))
        else:
            done.append(Decision(key, entry=entry))
    return done


def seller_listings(store: Store, listing: Listing, *, limit: int = 20) -> list[Listing]:
    """The seller's other listings on the same platform (flagged or not), riskiest first."""
    seller = listing.seller.platform_id or listing.seller.name
    if not seller:
        return []
    filters = Filters(platform=listing.platform, seller=seller, flagged_only=False)
    rows = store.query_flagged(flag_query(filters, limit=limit + 1))
    return [row for row in rows if row.key != listing.key][:limit]


def seller_graph(store: Store) -> SellerGraph:
    """The graph of every seller's phones, shop names, images and URLs (reads the whole store)."""
    return build_graph(store.iter_seller_links())


def seller_network(
    store: Store, listing: Listing, *, depth: int = 2, graph: SellerGraph | None = None
) -> Network | None:
    """Sellers linked to the listing's seller by a shared phone, shop name, image or URL (as
    ``crawler sellers network``); None when the seller shows none. ``graph``: one built earlier."""
    graph = graph if graph is not None else seller_graph(store)
    start = seller_key(listing.platform, listing.seller.platform_id, listing.seller.name)
    if start not in graph.links_of:
        return None
    return network_of(graph, start, depth=depth)


def peer_group(store: Store, listing: Listing) -> PeerGroup | None:
    """The price summary of the listing's peer group, or None (no peer key, or no stored group)."""
    if not listing.peer_key:
        return None
    return store.peer_groups([listing.peer_key]).get(listing.peer_key)


# -- evidence ----------------------------------------------------------------------------------------


@dataclass
class EvidenceFile:
    """One evidence file of one capture: ``id`` is its sha256 (what the UI links by)."""

    id: str
    label: str
    ref: str
    suffix: str


@dataclass
class CaptureView:
    """One capture of a listing's page (newest evidence first in :func:`captures`)."""

    url: str | None
    http_status: int | None
    captured_at: datetime | None
    files: list[EvidenceFile] = field(default_factory=list)


def _capture_file(capture: EvidenceCapture) -> EvidenceFile | None:
    """The file of one capture, or None when it names none (or a sha256 that is not one)."""
    if not capture.ref or not capture.sha256 or not _SHA.fullmatch(capture.sha256):
        return None
    label = "screenshot" if capture.kind == "screenshot" else "response"
    suffix = Path(capture.ref.removesuffix(".gz")).suffix or (".png" if label == "screenshot" else ".html")
    return EvidenceFile(capture.sha256, label, capture.ref, suffix)


def captures(listing: Listing) -> list[CaptureView]:
    """Every capture kept for the listing (its evidence history), newest first."""
    views = []
    for capture in listing.evidence or ():
        found = _capture_file(capture)
        if found is not None:
            views.append(CaptureView(capture.url, capture.http_status, capture.captured_at, [found]))
    return sorted(views, key=lambda view: view.captured_at.timestamp() if view.captured_at else 0.0, reverse=True)


def evidence_file(listing: Listing, evidence_id: str, root: Path) -> tuple[EvidenceFile, EvidenceCheck] | None:
    """The listing's evidence file with this id (sha256), read and checked; None when the listing has
    no such file (an id is never a path: it is looked up among the listing's own files)."""
    if not isinstance(evidence_id, str) or not _SHA.fullmatch(evidence_id):
        return None
    for view in captures(listing):
        for item in view.files:
            if item.id == evidence_id:
                return item, check_one(EvidenceBlobs(root), item.label, item.ref, item.id, item.suffix)
    return None


# -- dashboard ---------------------------------------------------------------------------------------


@dataclass
class Dashboard:
    """What the dashboard shows."""

    weeks: list[str]
    kinds_by_week: list[dict[str, int]]
    platforms_by_week: list[dict[str, int]]
    platforms: list[str]
    by_status: dict[str, int]
    backlog_new: int
    backlog_old: int
    top_sellers: list[SellerSummary]
    runs: list[dict[str, Any]]


def dashboard(store: Store, today: date, *, weeks: int = 8, backlog_days: int = 7) -> Dashboard:
    """Flags per kind and platform over the last ``weeks`` weeks (Monday to Sunday), the review backlog
    (new flags; those not seen in ``backlog_days`` days), the period's top sellers, the last crawl runs.

    One ``report_data`` over the whole window (kinds by ISO week, platforms, top sellers) and one count
    per platform and week, with the ``flags list`` filters (flagged listings last seen that week)."""
    monday = today - timedelta(days=today.weekday())
    starts = [monday - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]
    window = store.report_data(day_start(starts[0]), day_start(monday + timedelta(days=7)))
    by_label = dict(window.by_week)
    kinds_by_week = []
    for start in starts:
        year, week, _ = start.isocalendar()
        counts = by_label.get(f"{year}-W{week:02d}", {})
        kinds_by_week.append({kind: int(counts.get(kind, 0)) for kind in KINDS})
    platforms = sorted(name for name in window.by_platform if name and name != UNKNOWN)
    platforms_by_week = [
        {name: store.count_flagged(flag_query(Filters(platform=name, since=start.isoformat(),
                                                      until=(start + timedelta(days=6)).isoformat())))
         for name in platforms}
        for start in starts
    ]
    by_status = {status: store.count_flagged(flag_query(Filters(status=status))) for status in DECISIONS}
    old_until = (today - timedelta(days=backlog_days)).isoformat()
    backlog_old = store.count_flagged(flag_query(Filters(status="new", until=old_until)))
    return Dashboard(
        weeks=[f"{start:%d/%m}" for start in starts], kinds_by_week=kinds_by_week,
        platforms_by_week=platforms_by_week, platforms=platforms, by_status=by_status,
        backlog_new=by_status["new"], backlog_old=backlog_old, top_sellers=window.top_sellers,
        runs=store.recent_crawl_runs(limit=10),
    )


# -- downloads: the CLI's export, report and case code ----------------------------------------------


def audit_head(store: Store) -> str:
    """The review log's head as ``COUNT:HASH`` (written into exports and case files)."""
    return head_text(current_head(store.iter_audit()))


def export_to(store: Store, filters: Filters, path: Path, output_format: str, *, sort: str = "risk") -> int:
    """Write the export ``crawler export`` writes for ``filters``; how many listings."""
    from crawler.review.exports import write_export

    flag_query(filters, sort=sort)
    return write_export(iter_matching(store, filters, sort=sort), path, output_format,
                        filters=filters.describe(), audit_head=audit_head(store))


def report_to(store: Store, period: str, from_day: str | None, to_day: str | None, today: date, path: Path,
              output_format: str) -> None:
    """Write the report ``crawler report`` writes; FilterError on a bad period."""
    from crawler.review.periods import resolve_period
    from crawler.review.reports import build_report, write_report

    chosen = resolve_period(period, from_day, to_day, today)
    data = store.report_data(chosen.start, chosen.end)
    write_report(build_report(data, chosen, with_charts=output_format != "md"), path, output_format)


def case_to(store: Store, keys: list[str], out_dir: Path, evidence_root: Path, *, generated_at: datetime,
            store_name: str) -> list[str]:
    """Write the case file ``crawler case`` writes for ``keys``; the evidence problems it lists.
    FilterError for a bad or unknown key."""
    from crawler.review.cases import build_case, collect

    parsed = [parse_key(key) for key in keys]
    if len(set(parsed)) != len(parsed):
        raise FilterError("a listing is given twice")
    cases, missing = collect(store, parsed, evidence_root)
    if missing:
        raise FilterError(f"not in the store: {', '.join(missing)}")
    return build_case(cases, out_dir, generated_at=generated_at, store_name=store_name,
                      audit_head=audit_head(store)).problems


def open_review_store(uri: str) -> Store:
    """The store the UI reads (never created: a missing SQLite file is StoreNotFound)."""
    from crawler.store import open_store

    return open_store(uri, create=False)


def shown_uri(uri: str) -> str:
    """The store URI without its password (for case manifests and messages)."""
    from crawler.store import redact_uri

    return redact_uri(uri)
