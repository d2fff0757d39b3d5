"""The SQLite store's tables and indexes, and the upgrade of a version-1 file.

``listings`` keeps each listing's document as JSON text (``doc``, without ``last_seen``, which
lives in its column and is spliced in on read, so a re-crawl rewrites one short column) beside
real columns for every filter, sort and group the CLI offers. The indexes are partial (``WHERE
flagged = 1``): ~70 % of listings are never flagged, and the CLI's flag queries always say
``flagged = 1``; the two sort indexes carry the low-cardinality filter columns (kinds bit mask,
review status, platform, source) so that those filters and counts never read the table.
``flags`` (one row per flag) backs the rule filter; ``reviews`` is the hash-chained audit log.

Version 3 (same tables as 2): the ``content`` column is no longer written (NULL); the content
digest a dismissal needs is computed from the document then, which keeps it off the bulk-upsert
path. Version-2 code would take the NULL for a digest, hence the version bump (a version-2 file
opens as it is: its ``content`` values are simply not read any more).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import Any

SCHEMA_VERSION = 3

LISTING_COLUMNS: tuple[str, ...] = (
    "platform", "listing_id", "risk", "first_seen", "last_seen", "review_status", "review_at", "flagged",
    "kinds", "source", "seller_key", "seller_id", "seller_name", "seller_fold", "province", "province_fold",
    "category", "search", "digest", "content", "dismissed", "doc",
)  # fmt: skip

SCHEMA = """
CREATE TABLE IF NOT EXISTS listings (
    id INTEGER PRIMARY KEY,
    platform TEXT NOT NULL,
    listing_id TEXT NOT NULL,
    risk REAL NOT NULL DEFAULT 0,
    first_seen TEXT,
    last_seen TEXT,
    review_status TEXT NOT NULL DEFAULT 'new',
    review_at TEXT,
    flagged INTEGER NOT NULL DEFAULT 0,
    kinds INTEGER NOT NULL DEFAULT 0,
    source TEXT,
    seller_key TEXT,
    seller_id TEXT,
    seller_name TEXT,
    seller_fold TEXT,
    province TEXT,
    province_fold TEXT,
    category TEXT,
    search TEXT,
    digest TEXT,
    content TEXT,
    dismissed TEXT,
    doc TEXT NOT NULL,
    UNIQUE (platform, listing_id)
);
CREATE INDEX IF NOT EXISTS listings_risk
    ON listings (risk DESC, last_seen DESC, kinds, review_status, platform, source, flagged) WHERE flagged = 1;
CREATE INDEX IF NOT EXISTS listings_newest
    ON listings (last_seen DESC, risk DESC, kinds, review_status, platform, source, flagged) WHERE flagged = 1;
CREATE INDEX IF NOT EXISTS listings_reviewed ON listings (review_status, review_at) WHERE review_status != 'new';
CREATE INDEX IF NOT EXISTS listings_seller ON listings (seller_id) WHERE flagged = 1;
CREATE INDEX IF NOT EXISTS listings_seller_name ON listings (seller_name) WHERE flagged = 1;
CREATE INDEX IF NOT EXISTS listings_province ON listings (province_fold) WHERE flagged = 1;
CREATE TABLE IF NOT EXISTS flags (
    platform TEXT NOT NULL,
    listing_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    score REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS flags_listing ON flags (platform, listing_id);
CREATE INDEX IF NOT EXISTS flags_rule ON flags (rule_id);
CREATE TABLE IF NOT EXISTS reviews (
    seq INTEGER PRIMARY KEY,
    platform TEXT NOT NULL,
    listing_id TEXT NOT NULL,
    action TEXT NOT NULL,
    from_status TEXT NOT NULL,
    to_status TEXT NOT NULL,
    by TEXT NOT NULL,
    at TEXT NOT NULL,
    note TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS reviews_listing ON reviews (platform, listing_id, seq);
CREATE TABLE IF NOT EXISTS crawl_runs (
    id INTEGER PRIMARY KEY,
    spider TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS crawl_runs_spider ON crawl_runs (spider, started_at DESC);
CREATE INDEX IF NOT EXISTS crawl_runs_started ON crawl_runs (started_at DESC);
"""

_V1_DROPPED_INDEXES = ("listings_risk", "listings_last_seen", "listings_review_status", "listings_seller", "flags_kind")
"""Version-1 indexes, dropped before the version-2 ones (some by the same name) are created."""


def create(db: sqlite3.Connection, row_of: Callable[[dict[str, Any], str | None], tuple[Any, ...]]) -> None:
    """Create the tables and indexes, upgrading a version-1 file first (``row_of`` rebuilds a row).

    ``row_of(doc, last_seen)`` turns a stored version-1 document into a row of
    :data:`LISTING_COLUMNS`. Raises ``sqlite3.Error`` on failure, ValueError for a newer file.
    """
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise ValueError(f"schema version {version}; this code knows {SCHEMA_VERSION}: upgrade it")
    has_listings = db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'listings'").fetchone()
    db.execute("BEGIN IMMEDIATE")
    try:
        if has_listings and version < 2:
            _upgrade_v1(db, row_of)
        _run_schema(db)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def _run_schema(db: sqlite3.Connection) -> None:
    """Run :data:`SCHEMA` statement by statement (inside the caller's transaction)."""
    for statement in SCHEMA.split(";"):
        if statement.strip():
            db.execute(statement)


def _upgrade_v1(db: sqlite3.Connection, row_of: Callable[[dict[str, Any], str | None], tuple[Any, ...]]) -> None:
    """Version 1 → 2: rebuild ``listings`` with the new columns from each stored document."""
    db.execute("ALTER TABLE listings RENAME TO listings_v1")
    for name in _V1_DROPPED_INDEXES:
        db.execute(f"DROP INDEX IF EXISTS {name}")
    _run_schema(db)
    marks = ",".join("?" * len(LISTING_COLUMNS))
    insert = f"INSERT INTO listings ({', '.join(LISTING_COLUMNS)}) VALUES ({marks})"
    rows = db.execute("SELECT doc FROM listings_v1 ORDER BY id").fetchall()
    for (text,) in rows:
        doc = json.loads(text)
        last_seen = doc.pop("last_seen", None)
        db.execute(insert, row_of(doc, last_seen))
    db.execute("DROP TABLE listings_v1")
