"""The embedded default backend: one SQLite file (WAL), listings as JSON documents.

Each listing is one row: its document as JSON text plus real, indexed columns for what queries
filter and sort on (platform, listing_id, risk, first/last_seen, review status, seller id).
A side table ``flags`` (platform, listing_id, kind, rule_id, score) backs the flag filters.
A ``digest`` column of what the crawler last sent makes re-crawls cheap: a listing whose digest
is unchanged only gets ``last_seen`` set, in SQL, without its document being read or rewritten
by Python. Every statement is parameterised: listing text never becomes SQL.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from crawler.items import KINDS, Flag, Listing, utcnow
from crawler.store.base import FlagQuery, InvalidQuery, Store, StoreError, UpsertResult, check_key
from crawler.store.documents import (
    Prior,
    check_listing,
    content_json,
    crawl_run_document,
    iso_ms,
    merge,
    normalize_listing,
    risk_of,
)

SCHEMA_VERSION = 1
_CHUNK = 500  # keys per IN (...) read; well under SQLite's variable limit

_SCHEMA = """
CREATE TABLE IF NOT EXISTS listings (
    id INTEGER PRIMARY KEY,
    platform TEXT NOT NULL,
    listing_id TEXT NOT NULL,
    risk REAL NOT NULL DEFAULT 0,
    first_seen TEXT,
    last_seen TEXT,
    review_status TEXT NOT NULL DEFAULT 'new',
    seller_id TEXT,
    digest TEXT,
    doc TEXT NOT NULL,
    UNIQUE (platform, listing_id)
);
CREATE INDEX IF NOT EXISTS listings_risk ON listings (risk DESC, last_seen DESC);
CREATE INDEX IF NOT EXISTS listings_last_seen ON listings (last_seen DESC, risk DESC);
CREATE INDEX IF NOT EXISTS listings_review_status ON listings (review_status);
CREATE INDEX IF NOT EXISTS listings_seller ON listings (seller_id, platform);
CREATE TABLE IF NOT EXISTS flags (
    platform TEXT NOT NULL,
    listing_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    score REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS flags_listing ON flags (platform, listing_id);
CREATE INDEX IF NOT EXISTS flags_kind ON flags (kind, platform, listing_id);
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

_UPSERT = """
INSERT INTO listings
    (platform, listing_id, risk, first_seen, last_seen, review_status, seller_id, digest, doc)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (platform, listing_id) DO UPDATE SET
    risk = excluded.risk, first_seen = excluded.first_seen, last_seen = excluded.last_seen,
    review_status = excluded.review_status, seller_id = excluded.seller_id, digest = excluded.digest,
    doc = excluded.doc
"""


Key = tuple[str, str]


_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


@dataclass(slots=True)
class _Row:
    """A stored listing's merge inputs (review/evidence as JSON text) and its review status."""

    prior: Prior
    status: str


class SQLiteStore(Store):
    """:class:`Store` on one SQLite file (``":memory:"`` for a private in-memory database)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.RLock()
        try:
            if path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
            self._db.execute("PRAGMA busy_timeout = 30000")
            if path != ":memory:":
                self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                self._db.close()
                raise StoreError(
                    f"SQLite store {path} has schema version {version}; this code knows {SCHEMA_VERSION}: upgrade it"
                )
            self._db.executescript(_SCHEMA)
            self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open SQLite store {path}: {exc}") from exc

    # -- helpers ---------------------------------------------------------------------------------

    def _fail(self, what: str, exc: Exception) -> StoreError:
        return StoreError(f"SQLite store {self.path}: {what} failed: {exc}")

    def _select_keys(self, columns: str, keys: Iterable[Key]) -> Iterator[tuple[str, tuple[Any, ...]]]:
        """(platform, row) for the stored listings among ``keys``; one IN query per platform chunk."""
        by_platform: dict[str, set[str]] = {}
        for platform, listing_id in keys:
            by_platform.setdefault(platform, set()).add(listing_id)
        for platform, id_set in by_platform.items():
            ids = sorted(id_set)
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start : start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                sql = f"SELECT listing_id, {columns} FROM listings WHERE platform = ? AND listing_id IN ({marks})"
                for row in self._db.execute(sql, (platform, *chunk)):
                    yield platform, row

    def _read_digests(self, keys: Iterable[Key]) -> dict[Key, str | None]:
        """The content digest of each stored listing among ``keys``."""
        return {(platform, row[0]): row[1] for platform, row in self._select_keys("digest", keys)}

    def _read_priors(self, keys: Iterable[Key]) -> dict[Key, _Row]:
        """The merge inputs of the stored listings among ``keys``."""
        columns = (
            "first_seen, review_status, json_extract(doc, '$.review'), json_extract(doc, '$.price_history'),"
            " json_extract(doc, '$.evidence'), digest"
        )
        found: dict[Key, _Row] = {}
        for platform, (listing_id, first_seen, status, review, history, evidence, digest) in self._select_keys(
            columns, keys
        ):
            prior = Prior(first_seen, review, json.loads(history or "[]"), evidence, digest)
            found[(platform, listing_id)] = _Row(prior, status or "new")
        return found

    def _write_flags(self, keys: list[Key], rows: list[tuple[Any, ...]]) -> None:
        self._db.executemany("DELETE FROM flags WHERE platform = ? AND listing_id = ?", keys)
        self._db.executemany(
            "INSERT INTO flags (platform, listing_id, kind, rule_id, score) VALUES (?, ?, ?, ?, ?)", rows
        )

    # -- writes ----------------------------------------------------------------------------------

    def upsert_listings(self, listings: Sequence[Listing], *, seen_at: datetime | None = None) -> UpsertResult:
        """Upsert a batch in one transaction; the rule is :func:`crawler.store.documents.merge`.

        Unchanged listings (same digest as stored) only get ``last_seen`` set, in SQL.
        """
        result = UpsertResult()
        seen = iso_ms(seen_at or utcnow())
        seen_json = json.dumps(seen)
        prepared: list[tuple[Listing, str, str]] = []
        for index, listing in enumerate(listings):
            if not isinstance(listing, Listing):
                raise TypeError(f"upsert_listings: item {index} is a {type(listing).__name__}, not a Listing")
            try:
                check_listing(listing)
                normal = normalize_listing(listing)
                prepared.append((normal, *content_json(normal)))
            except ValueError as exc:
                result.rejected += 1
                result.errors.append(f"{listing.key}: {exc}")
        if not prepared:
            return result
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    self._upsert(prepared, seen, seen_json, result)
                    self._db.execute("COMMIT")
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
            except sqlite3.Error as exc:
                raise self._fail(f"upsert of {len(prepared)} listings", exc) from exc
        return result

    def _upsert(
        self, prepared: list[tuple[Listing, str, str]], seen: str, seen_json: str, result: UpsertResult
    ) -> None:
        keys = [(listing.platform, listing.listing_id) for listing, _, _ in prepared]
        digests = self._read_digests(keys)
        once: set[Key] = set()
        twice: set[Key] = set()
        for key in keys:
            (twice if key in once else once).add(key)
        # only listings that changed (or appear twice) need their stored state read and merged
        rows = self._read_priors(
            key for key, (_, _, digest) in zip(keys, prepared, strict=True)
            if key in digests and (digests[key] != digest or key in twice)
        )  # fmt: skip
        writes: dict[Key, tuple[Any, ...]] = {}
        flag_rows: dict[Key, list[tuple[Any, ...]]] = {}
        touched: set[Key] = set()
        for key, (listing, body, digest) in zip(keys, prepared, strict=True):
            row = rows.get(key)
            if row is None and key in digests:  # stored with this very digest: only seen again
                result.unchanged += 1
                touched.add(key)
                continue
            history = [{"price": p.price, "at": iso_ms(p.at)} for p in listing.price_history] if row is None else []
            merged = merge(
                row.prior if row else None,
                price=listing.price,
                history=history,
                has_evidence=listing.evidence is not None,
                digest=digest,
                seen=seen,
            )
            setattr(result, merged.status, getattr(result, merged.status) + 1)
            if merged.status == "unchanged":
                touched.add(key)
                continue
            review = merged.review if merged.review is not None else listing.review.model_dump_json()
            if merged.evidence is not None:
                evidence = merged.evidence
            else:
                evidence = "null" if listing.evidence is None else listing.evidence.model_dump_json()
            risk = risk_of(flag.score for flag in listing.flags)
            doc = (  # datetimes are iso_ms text: no character needs escaping
                f'{body[:-1]},"first_seen":"{merged.first_seen}","last_seen":{seen_json},'
                f'"risk":{risk!r},"price_history":{_dumps(merged.price_history)},'
                f'"review":{review},"evidence":{evidence}}}'
            )
            status = row.status if row is not None else listing.review.status
            writes[key] = (
                *key, risk, merged.first_seen, seen, status, listing.seller.platform_id, digest, doc,
            )  # fmt: skip
            flag_rows[key] = [(*key, flag.kind, flag.rule_id, flag.score) for flag in listing.flags]
            stored_evidence = None if evidence == "null" else evidence
            rows[key] = _Row(Prior(merged.first_seen, review, merged.price_history, stored_evidence, digest), status)
        self._db.executemany(_UPSERT, list(writes.values()))
        self._db.executemany(
            "UPDATE listings SET last_seen = ?, doc = json_set(doc, '$.last_seen', ?)"
            " WHERE platform = ? AND listing_id = ?",
            [(seen, seen, *key) for key in touched - writes.keys()],
        )
        self._write_flags(
            [key for key in flag_rows if key in digests], [row for rows in flag_rows.values() for row in rows]
        )

    def replace_flags(self, platform: str, listing_id: str, flags: list[Flag]) -> None:
        """Set the listing's flags and risk; StoreError when no such listing is stored."""
        check_key(platform, listing_id)
        checked = [Flag.model_validate(flag) for flag in flags]
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    found = self._db.execute(
                        "SELECT doc FROM listings WHERE platform = ? AND listing_id = ?", (platform, listing_id)
                    ).fetchone()
                    if found is None:
                        raise StoreError(f"no listing {platform}:{listing_id} in {self.path}")
                    doc = json.loads(found[0])
                    doc["flags"] = [flag.model_dump(mode="json") for flag in checked]
                    doc["risk"] = risk = risk_of(flag.score for flag in checked)
                    # digest NULL: the next crawl of this listing rewrites it even if unchanged
                    self._db.execute(
                        "UPDATE listings SET doc = ?, risk = ?, digest = NULL WHERE platform = ? AND listing_id = ?",
                        (_dumps(doc), risk, platform, listing_id),
                    )
                    key = (platform, listing_id)
                    self._write_flags([key], [(*key, f.kind, f.rule_id, f.score) for f in checked])
                    self._db.execute("COMMIT")
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
            except sqlite3.Error as exc:
                raise self._fail(f"replace_flags {platform}:{listing_id}", exc) from exc

    def record_crawl_run(self, run: dict[str, Any]) -> None:
        """Append one crawl run."""
        doc = crawl_run_document(run)
        stored = dict(doc)
        for name in ("started_at", "finished_at"):
            stored[name] = None if doc[name] is None else iso_ms(doc[name])
        with self._lock:
            try:
                self._db.execute(
                    "INSERT INTO crawl_runs (spider, started_at, finished_at, doc) VALUES (?, ?, ?, ?)",
                    (doc["spider"], stored["started_at"], stored["finished_at"], _dumps(stored)),
                )
            except sqlite3.Error as exc:
                raise self._fail(f"record_crawl_run {doc['spider']}", exc) from exc

    # -- reads -----------------------------------------------------------------------------------

    def _select(self, what: str, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._db.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise self._fail(what, exc) from exc

    def get_listing(self, platform: str, listing_id: str) -> Listing | None:
        """The stored listing, or None."""
        check_key(platform, listing_id)
        rows = self._select(
            "get_listing",
            "SELECT doc FROM listings WHERE platform = ? AND listing_id = ?",
            (platform, listing_id),
        )
        return Listing.model_validate_json(rows[0][0]) if rows else None

    def query_flagged(self, query: FlagQuery) -> list[Listing]:
        """Flagged listings matching ``query``, sorted and paged."""
        query.validate()
        if query.limit == 0:
            return []
        where = ["EXISTS (SELECT 1 FROM flags f WHERE f.platform = l.platform AND f.listing_id = l.listing_id"]
        params: list[Any] = []
        if query.kind is not None:
            where[0] += " AND f.kind = ?"
            params.append(query.kind)
        where[0] += ")"
        for column, op, value in (
            ("l.platform", "=", query.platform),
            ("l.risk", ">=", query.min_risk),
            ("l.review_status", "=", query.status),
        ):
            if value is not None:
                where.append(f"{column} {op} ?")
                params.append(value)
        order = "l.risk DESC, l.last_seen DESC" if query.sort == "risk" else "l.last_seen DESC, l.risk DESC"
        sql = (
            f"SELECT l.doc FROM listings l WHERE {' AND '.join(where)} "
            f"ORDER BY {order}, l.platform, l.listing_id LIMIT ? OFFSET ?"
        )
        rows = self._select("query_flagged", sql, (*params, query.limit, query.offset))
        return [Listing.model_validate_json(text) for (text,) in rows]

    def count_listings(self, platform: str | None = None) -> int:
        """How many listings are stored (on one platform when given)."""
        if platform is None:
            return self._select("count_listings", "SELECT COUNT(*) FROM listings", ())[0][0]
        if not isinstance(platform, str):
            raise InvalidQuery(f"platform must be text, got {platform!r}")
        sql = "SELECT COUNT(*) FROM listings WHERE platform = ?"
        return self._select("count_listings", sql, (platform,))[0][0]

    def count_flagged_by_kind(self) -> dict[str, int]:
        """kind → number of listings with a flag of that kind (every kind present)."""
        rows = self._select(
            "count_flagged_by_kind",
            "SELECT kind, COUNT(*) FROM (SELECT DISTINCT kind, platform, listing_id FROM flags) GROUP BY kind",
            (),
        )
        counts = dict.fromkeys(KINDS, 0)
        counts.update({kind: count for kind, count in rows})
        return counts

    def iter_listings(self, platform: str | None = None, batch_size: int = 1000) -> Iterator[Listing]:
        """Every stored listing in insertion order, ``batch_size`` rows per read."""
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise InvalidQuery(f"batch_size must be a positive integer, got {batch_size!r}")
        if platform is not None and not isinstance(platform, str):
            raise InvalidQuery(f"platform must be text, got {platform!r}")
        last_id = 0
        while True:
            if platform is None:
                sql, params = "SELECT id, doc FROM listings WHERE id > ? ORDER BY id LIMIT ?", (last_id,)
            else:
                sql = "SELECT id, doc FROM listings WHERE id > ? AND platform = ? ORDER BY id LIMIT ?"
                params = (last_id, platform)
            rows = self._select("iter_listings", sql, (*params, batch_size))
            for row_id, text in rows:
                last_id = row_id
                yield Listing.model_validate_json(text)
            if len(rows) < batch_size:
                return

    def recent_crawl_runs(self, spider: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
        """The latest runs, newest first."""
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
            raise InvalidQuery(f"limit must be a non-negative integer, got {limit!r}")
        if spider is not None and not isinstance(spider, str):
            raise InvalidQuery(f"spider must be text, got {spider!r}")
        if spider is None:
            sql, params = "SELECT doc FROM crawl_runs ORDER BY started_at DESC, id DESC LIMIT ?", (limit,)
        else:
            sql = "SELECT doc FROM crawl_runs WHERE spider = ? ORDER BY started_at DESC, id DESC LIMIT ?"
            params = (spider, limit)
        runs = []
        for (text,) in self._select("recent_crawl_runs", sql, params):
            run = json.loads(text)
            for name in ("started_at", "finished_at"):
                if run.get(name) is not None:
                    run[name] = datetime.fromisoformat(run[name])
            runs.append(run)
        return runs

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with self._lock:
            self._db.close()

    def __repr__(self) -> str:
        return f"SQLiteStore({self.path!r})"
