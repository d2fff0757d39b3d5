"""The SQLite store's tables and indexes, and the upgrade of older files (versions 1 to 7).

``listings`` keeps each listing as its *body* (``doc``: the JSON of what the crawler sent, without
the fields the store merges and without null fields) beside real columns for every filter, sort
and group the CLI offers, and for the merged fields themselves: ``first_seen``, ``last_seen``,
``risk``, ``history`` (price history JSON, NULL for none), ``review`` (JSON, NULL for a new
listing's default review) and ``evidence`` (JSON or NULL). A read splices them into the body
(:func:`crawler.store.sqlite_rows.document`), so a re-crawl never reads or rewrites them as JSON.
``digest`` (128-bit) tells an unchanged re-crawl, ``text_key`` (128-bit) an unchanged title and
description, whose folded ``search`` text is then kept instead of folded again.

The indexes are partial (``WHERE flagged = 1``): ~70 % of listings are never flagged, and the CLI's
flag queries always say ``flagged = 1``; the two sort indexes carry the low-cardinality filter
columns (kinds bit mask, review status, platform, source) so that those filters and counts never
read the table. ``flags`` (one row per distinct flag, keyed by listing: no rowid, one B-tree less to write) backs
the rule filter; ``reviews`` is the hash-chained audit log.

``peer_key`` and ``peer`` are the listing's place in its peer group as it was last written (NULL
outside any group: see :mod:`crawler.store.peers`): the group's key (indexed by ``listings_peer``) and
the membership's fields (key, seller, seller label, price) packed into one text
(:mod:`crawler.store.sqlite_peers`), read with the rest of what an upsert needs. ``peer_groups``
caches group summaries (listings, sellers, median, MAD, sample as JSON, a small group's members): a write that changes a
group's members deletes its row, a read of a group without one summarises its members and stores it.

Version 4: the merged fields moved out of ``doc`` into their columns, ``doc`` drops null fields,
``digest`` is a 16-byte BLOB of a new digest, ``text_key`` is new, ``content`` (unused since
version 3) is gone and ``flags`` has no rowid. Version 5: the ``peer`` column and ``peer_groups``
holding every group's summary and members, rewritten by every write that changed the group.
Version 6: the ``peer_key`` column and its index; ``peer_groups`` a cache of summaries only.
Version 7: ``peer_groups`` keeps a small group's members with its summary (``members``, packed; NULL
above ``crawler.store.peers.MEMBERS_LIMIT`` listings); a version 5 or 6 cache is dropped (rebuilt when read).
Version 8 (issue 18): ``listings_fts`` (FTS5 trigram index of flagged listings' ``search`` text, kept by
triggers), ``listings_province_risk`` instead of ``listings_province``, and the maintained aggregates
``sellers``, ``seller_names``, ``seller_platforms``, ``report_hours``, ``report_both`` (kept by the store's
writes: :mod:`crawler.store.sqlite_counts`); an older file gets them filled from its listings.
Older files are upgraded when opened, in one transaction: version 1 row by row from its documents,
versions 2 and 3 in SQL (digests cleared: the next crawl rewrites each listing once), versions 4
and 5 by adding the columns they lack; the peer columns of a version-5 file are taken from its
``peer`` column, those of older ones from the stored listings that have a peer key, and
``peer_groups`` starts empty; listing ids (insertion order), flags, the audit log and crawl runs
are kept as they are.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import Any

from crawler.items import KINDS
from crawler.store import sqlite_report_counts as report_counts

SCHEMA_VERSION = 8
PEERS_VERSION = 5
"""The version that added the ``peer`` column and ``peer_groups``."""
PEER_CACHE_VERSION = 6
"""The version that added ``peer_key`` and made ``peer_groups`` a cache of summaries."""
MEMBERS_CACHE_VERSION = 7
"""The version whose ``peer_groups`` cache keeps a small group's members with its summary."""
INDEXED_VERSION = 8
"""The version that added the text index (``listings_fts``) and the maintained ``sellers`` aggregates."""

LISTING_COLUMNS: tuple[str, ...] = (
    "platform", "listing_id", "risk", "first_seen", "last_seen", "review_status", "review_at", "flagged",
    "kinds", "source", "seller_key", "seller_id", "seller_name", "seller_fold", "province", "province_fold",
    "category", "search", "digest", "text_key", "dismissed", "history", "review", "evidence", "peer", "peer_key",
    "doc",
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
    digest BLOB,
    text_key BLOB,
    dismissed TEXT,
    history TEXT,
    review TEXT,
    evidence TEXT,
    peer TEXT,
    peer_key TEXT,
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
CREATE INDEX IF NOT EXISTS listings_province_risk
    ON listings (province_fold, risk DESC, last_seen DESC) WHERE flagged = 1;
CREATE INDEX IF NOT EXISTS listings_peer ON listings (peer_key) WHERE peer_key IS NOT NULL;
CREATE TABLE IF NOT EXISTS flags (
    platform TEXT NOT NULL,
    listing_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    score REAL NOT NULL,
    PRIMARY KEY (platform, listing_id, rule_id, kind, score)
) WITHOUT ROWID;
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
CREATE TABLE IF NOT EXISTS peer_groups (
    key TEXT PRIMARY KEY,
    listings INTEGER NOT NULL,
    sellers INTEGER NOT NULL,
    median REAL,
    mad REAL,
    sample TEXT NOT NULL,
    members TEXT
) WITHOUT ROWID;
CREATE VIRTUAL TABLE IF NOT EXISTS listings_fts USING fts5(
    search, content='listings', content_rowid='id', tokenize='trigram case_sensitive 1', columnsize=0
);
CREATE TABLE IF NOT EXISTS sellers (
    key TEXT PRIMARY KEY,
    platform TEXT NOT NULL,
    listings INTEGER NOT NULL,
    flagged INTEGER NOT NULL,
    confirmed INTEGER NOT NULL,
    kind0 INTEGER NOT NULL,
    kind1 INTEGER NOT NULL,
    kind2 INTEGER NOT NULL,
    kind3 INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS seller_names (
    key TEXT NOT NULL,
    seller_id TEXT NOT NULL,
    name TEXT NOT NULL,
    fold TEXT NOT NULL,
    province TEXT NOT NULL,
    listings INTEGER NOT NULL,
    last_seen TEXT,
    PRIMARY KEY (key, seller_id, name, fold, province)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS seller_platforms (
    fold TEXT NOT NULL,
    platform TEXT NOT NULL,
    listings INTEGER NOT NULL,
    PRIMARY KEY (fold, platform)
) WITHOUT ROWID;
"""

_KIND_COUNT = 4
"""How many flag kinds ``sellers`` counts (``kind0`` … in ``crawler.items.KINDS`` order)."""
if len(KINDS) != _KIND_COUNT:  # a new kind needs a schema version that adds its column
    raise ImportError(f"sellers counts {_KIND_COUNT} flag kinds, crawler.items.KINDS has {len(KINDS)}")
KIND_COLUMNS = ", ".join(f"kind{i}" for i in range(_KIND_COUNT))


def _enc(value: str) -> str:
    """SQL of :func:`crawler.store.sqlite_counts.enc`: '' for NULL, 'v' + the text otherwise."""
    return f"CASE WHEN {value} IS NULL THEN '' ELSE 'v' || {value} END"


_GROUP = ("seller_key", "seller_id", "seller_name", "seller_fold", "province")
"""The listing columns a ``seller_names`` row is keyed by (the seller key and the seller fields shown with it)."""


def _trigger(name: str, event: str, when: str, statements: list[str]) -> str:
    body = "".join(f"    {statement};\n" for statement in statements)
    return f"CREATE TRIGGER IF NOT EXISTS {name} {event} ON listings WHEN {when}\nBEGIN\n{body}END"


FTS_AUTOMERGE = 16
"""FTS5's ``automerge`` for ``listings_fts`` (see :func:`_run_schema`)."""
_FTS_OLD = "old.flagged = 1 AND old.search IS NOT NULL"
_FTS_NEW = "new.flagged = 1 AND new.search IS NOT NULL"
TRIGGERS: tuple[str, ...] = (
    _trigger("listings_fts_insert", "AFTER INSERT", _FTS_NEW,
             ["INSERT INTO listings_fts (rowid, search) VALUES (new.id, new.search)"]),
    _trigger("listings_fts_update", "AFTER UPDATE OF search, flagged", f"(({_FTS_OLD}) OR ({_FTS_NEW}))"
             " AND (old.search IS NOT new.search OR old.flagged != new.flagged OR old.id != new.id)", [
                 "INSERT INTO listings_fts (listings_fts, rowid, search) SELECT 'delete', old.id, old.search"
                 f" WHERE {_FTS_OLD}",
                 f"INSERT INTO listings_fts (rowid, search) SELECT new.id, new.search WHERE {_FTS_NEW}",
             ]),
    _trigger("listings_fts_delete", "AFTER DELETE", _FTS_OLD,
             ["INSERT INTO listings_fts (listings_fts, rowid, search) VALUES ('delete', old.id, old.search)"]),
)  # fmt: skip
"""What keeps the text index (flagged listings' folded ``search`` text, as trigrams) in step with ``listings``,
whichever statement writes it. The other aggregates (``sellers``, ``seller_platforms``, ``report_hours``,
``report_both``) are kept by the store's writes as net changes per transaction
(:mod:`crawler.store.sqlite_counts`): per-listing triggers cost more than the rest of a re-crawl."""

DEFAULT_REVIEW = '{"status":"new","by":null,"at":null,"note":null}'
"""A new listing's review as JSON (a NULL ``review`` column reads as this)."""
MERGED_PATHS = ("$.first_seen", "$.risk", "$.price_history", "$.review", "$.evidence")
"""What version 4 moved out of the stored document into columns."""


def create(
    db: sqlite3.Connection,
    row_of: Callable[[dict[str, Any], str | None], tuple[Any, ...]],
    fill_peers: Callable[[sqlite3.Connection, int], None],
) -> None:
    """Create the tables and indexes, upgrading an older file first (``row_of`` rebuilds a version-1 row).

    ``row_of(doc, last_seen)`` turns a stored version-1 document into a row of
    :data:`LISTING_COLUMNS`; ``fill_peers(db, version)`` fills the ``peer`` and ``peer_key`` columns
    of a file of an older ``version`` than :data:`PEER_CACHE_VERSION`. Raises
    ``sqlite3.Error`` on failure, ValueError for a newer file.
    """
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise ValueError(f"schema version {version}; this code knows {SCHEMA_VERSION}: upgrade it")
    has_listings = db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'listings'").fetchone()
    db.execute("BEGIN IMMEDIATE")
    try:
        if has_listings and version < 2:
            _rebuild(db, lambda: _copy_v1(db, row_of))
        elif has_listings and version < 4:
            _rebuild(db, lambda: _copy_v3(db))
        elif has_listings and version < PEER_CACHE_VERSION:
            if version < PEERS_VERSION:
                db.execute("ALTER TABLE listings ADD COLUMN peer TEXT")
            db.execute("ALTER TABLE listings ADD COLUMN peer_key TEXT")
        if has_listings and version < 4:
            _rebuild_flags(db)
        if PEERS_VERSION <= version < MEMBERS_CACHE_VERSION:
            db.execute("DROP TABLE IF EXISTS peer_groups")  # a cache in another layout: rebuilt when read
        _run_schema(db)
        if has_listings and version < PEER_CACHE_VERSION:
            fill_peers(db, version)
        if has_listings and version < INDEXED_VERSION:
            fill_indexed(db)
        if version < INDEXED_VERSION:
            db.execute("DROP INDEX IF EXISTS listings_province")  # now listings_province_risk
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def _run_schema(db: sqlite3.Connection) -> None:
    """Run :data:`SCHEMA` statement by statement, then :data:`TRIGGERS` (inside the caller's transaction)."""
    for statement in (*SCHEMA.split(";"), *report_counts.SCHEMA.split(";")):
        if statement.strip():
            db.execute(statement)
    for trigger in TRIGGERS:
        db.execute(trigger)
    # merge the index's segments 16 at a time instead of 4: about 30 % less work per indexed listing
    # (isolated: 25 -> 18 µs CPU), a few more segments for a search to read
    db.execute(f"INSERT INTO listings_fts (listings_fts, rank) VALUES ('automerge', {FTS_AUTOMERGE})")


def fill_indexed(db: sqlite3.Connection) -> None:
    """Fill the text index and the seller aggregates of a version 4 to 7 file from its listings (upgrade);
    whatever they held (a file written by a newer version, then marked older) is replaced."""
    db.execute("INSERT INTO listings_fts (listings_fts) VALUES ('delete-all')")
    db.execute("DELETE FROM sellers")
    db.execute("DELETE FROM seller_platforms")
    indexed = _FTS_NEW.replace("new.", "")
    db.execute(f"INSERT INTO listings_fts (rowid, search) SELECT id, search FROM listings WHERE {indexed}")
    kinds = ", ".join(f"SUM(kinds & {1 << i} != 0)" for i in range(_KIND_COUNT))
    parts = ", ".join(_enc(column) for column in _GROUP[1:])
    db.execute("DELETE FROM seller_names")
    db.execute(
        f"INSERT INTO sellers (key, platform, listings, flagged, confirmed, {KIND_COLUMNS})"
        f" SELECT seller_key, MAX(platform), COUNT(*), SUM(flagged), SUM(review_status = 'confirmed'), {kinds}"
        " FROM listings WHERE seller_key IS NOT NULL GROUP BY seller_key"
    )
    db.execute(
        "INSERT INTO seller_names (key, seller_id, name, fold, province, listings, last_seen)"
        f" SELECT seller_key, {parts}, COUNT(*), MAX(last_seen) FROM listings WHERE seller_key IS NOT NULL"
        f" GROUP BY seller_key, {parts}"
    )
    for statement in report_counts.fill_statements():
        db.execute(statement)
    db.execute(
        "INSERT INTO seller_platforms (fold, platform, listings) SELECT seller_fold, platform, COUNT(*)"
        " FROM listings WHERE seller_fold IS NOT NULL GROUP BY seller_fold, platform"
    )


def _rebuild(db: sqlite3.Connection, copy: Callable[[], None]) -> None:
    """Rename ``listings`` to ``listings_old``, drop its indexes, create the current tables, ``copy()``, drop it."""
    db.execute("ALTER TABLE listings RENAME TO listings_old")
    names = db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'listings_old' AND sql IS NOT NULL"
    ).fetchall()
    for (name,) in names:
        db.execute(f'DROP INDEX "{name}"')
    for name in ("listings_last_seen", "listings_review_status", "flags_kind"):  # version 1's, on other tables too
        db.execute(f"DROP INDEX IF EXISTS {name}")
    _run_schema(db)
    copy()
    db.execute("DROP TABLE listings_old")


def _rebuild_flags(db: sqlite3.Connection) -> None:
    """Flags into the version-4 table (keyed by listing, without rowid); a repeated flag row is kept once."""
    if not db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'flags'").fetchone():
        return
    db.execute("ALTER TABLE flags RENAME TO flags_old")
    for name in ("flags_listing", "flags_rule", "flags_kind"):
        db.execute(f"DROP INDEX IF EXISTS {name}")
    _run_schema(db)
    db.execute(
        "INSERT OR IGNORE INTO flags (platform, listing_id, kind, rule_id, score)"
        " SELECT platform, listing_id, kind, rule_id, score FROM flags_old"
    )
    db.execute("DROP TABLE flags_old")


def _copy_v1(db: sqlite3.Connection, row_of: Callable[[dict[str, Any], str | None], tuple[Any, ...]]) -> None:
    """Version 1 (the document with every field, few columns): each row rebuilt from its document."""
    marks = ", ".join(["?", *("CAST(? AS TEXT)" if name == "doc" else "?" for name in LISTING_COLUMNS)])
    insert = f"INSERT INTO listings (id, {', '.join(LISTING_COLUMNS)}) VALUES ({marks})"
    rows = db.execute("SELECT id, doc FROM listings_old ORDER BY id").fetchall()
    for row_id, text in rows:
        doc = json.loads(text)
        last_seen = doc.pop("last_seen", None)
        db.execute(insert, (row_id, *row_of(doc, last_seen)))


def _copy_v3(db: sqlite3.Connection) -> None:
    """Versions 2 and 3 (same columns): merged fields split out of the document in SQL, digests cleared."""
    new = ("digest", "text_key", "history", "review", "evidence", "peer", "peer_key", "doc")
    kept = [name for name in LISTING_COLUMNS if name not in new]
    paths = ", ".join(f"'{path}'" for path in MERGED_PATHS)
    db.execute(
        f"INSERT INTO listings (id, {', '.join(kept)}, digest, text_key, history, review, evidence, doc)"
        f" SELECT id, {', '.join(kept)}, NULL, NULL, NULLIF(json_extract(doc, '$.price_history'), '[]'),"
        " NULLIF(json_extract(doc, '$.review'), ?), json_extract(doc, '$.evidence'),"
        f" json_remove(doc, {paths}) FROM listings_old ORDER BY id",
        (DEFAULT_REVIEW,),
    )
