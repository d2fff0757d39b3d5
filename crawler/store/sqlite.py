"""The embedded default backend: one SQLite file (WAL), listings as JSON documents.

Each listing is one row: its document as JSON text plus real, indexed columns for what queries
filter, sort and group on (see ``crawler.store.sqlite_schema``). A ``digest`` column of what the
crawler last sent makes re-crawls cheap: a listing whose digest is unchanged only gets its
``last_seen`` column set, without its document being read or rewritten. Review decisions and
their hash-chained audit entries are written in one transaction. Every statement is
parameterised: listing text never becomes SQL.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from crawler.items import KINDS, Flag, Listing, utcnow
from crawler.store import sqlite_schema
from crawler.store.base import (
    FlagQuery,
    InvalidQuery,
    ReviewEntry,
    Store,
    StoreError,
    UpsertResult,
    check_key,
    seller_key,
)
from crawler.store.derived import (
    KIND_BITS,
    REOPEN_NOTE,
    SYSTEM,
    Screened,
    content_digest,
    dismissal_record,
    fold_key,
    kinds_mask,
    screen_flags,
    search_needle,
    search_text,
)
from crawler.store.documents import (
    Prior,
    check_listing,
    content_json,
    content_parts,
    crawl_run_document,
    iso_ms,
    merge,
    normalize_listing,
    risk_of,
)
from crawler.store.reviews import check_review, entry_document, entry_from_document, new_entry
from crawler.store.sqlite_reports import SQLiteReports
from crawler.store.sqlite_schema import LISTING_COLUMNS

logger = logging.getLogger(__name__)

_CHUNK = 500  # keys per IN (...) read; well under SQLite's variable limit
_UPSERT = (
    f"INSERT INTO listings ({', '.join(LISTING_COLUMNS)}) VALUES ({','.join('?' * len(LISTING_COLUMNS))}) "
    "ON CONFLICT (platform, listing_id) DO UPDATE SET "
    + ", ".join(f"{name} = excluded.{name}" for name in LISTING_COLUMNS[2:])
)
_REVIEW_COLUMNS = "seq, platform, listing_id, action, from_status, to_status, by, at, note, prev_hash, hash"

Key = tuple[str, str]

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def with_last_seen(doc: str, last_seen: str | None) -> str:
    """A stored document (kept without ``last_seen``) with its ``last_seen`` column spliced in."""
    value = "null" if last_seen is None else f'"{last_seen}"'
    return f'{doc[:-1]},"last_seen":{value}}}'


def _like_pattern(needle: str) -> str:
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class _Prepared:
    """A listing ready to write: normalised, its JSON parts (serialised once) and its digest.

    The content digest is computed on first use: only a dismissed listing needs it.
    """

    __slots__ = ("_content", "body", "digest", "evidence", "listing", "review")

    def __init__(self, listing: Listing) -> None:
        self.listing = listing
        parts = content_parts(listing)
        self.body, self.review, self.evidence, self.digest = parts.body, parts.review, parts.evidence, parts.digest
        self._content: str | None = None

    @property
    def content(self) -> str:
        """:func:`crawler.store.derived.content_digest` of the listing."""
        if self._content is None:
            self._content = content_digest(self.listing)
        return self._content


@dataclass(slots=True)
class _Row:
    """A stored listing's merge inputs (review/evidence as JSON text), review state and dismissal."""

    prior: Prior
    status: str
    review_at: str | None
    dismissed: dict[str, Any] | None
    history: str
    """The stored price history as JSON text (a re-crawl appends to it)."""


def _history_json(row: _Row | None, points: list[dict[str, Any]]) -> str:
    """The merged price history as JSON: the stored text plus the appended point, if any.

    Every point written here is the store's own (an int price, an iso_ms time): no escaping needed.
    """
    if row is None:
        return "[" + ",".join([f'{{"price":{int(x["price"])},"at":"{x["at"]}"}}' for x in points]) + "]"
    if len(points) == len(row.prior.price_history):
        return row.history
    point = points[-1]
    head = row.history[:-1]
    return f'{head}{"," if head != "[" else ""}{{"price":{int(point["price"])},"at":"{point["at"]}"}}]'


def _prepare(listing: Listing) -> _Prepared:
    return _Prepared(normalize_listing(listing))


def stored_content(doc: str) -> str:
    """The content digest of a stored document (the ``content`` column is no longer written)."""
    return content_digest(Listing.model_validate_json(doc))


def listing_row(
    p: _Prepared,
    *,
    flags: list[Flag],
    body: str,
    first_seen: str | None,
    last_seen: str | None,
    history: str,
    review: str,
    status: str,
    review_at: str | None,
    evidence: str,
    digest: str | None,
    dismissed: dict[str, Any] | None,
) -> tuple[Any, ...]:
    """One row of :data:`LISTING_COLUMNS` (datetimes are iso_ms text: no character needs escaping).

    ``content`` is written NULL: the digest is computed from the document when a dismissal needs it.
    """
    listing = p.listing
    risk = float(max([flag.score for flag in flags])) if flags else 0.0  # documents.risk_of, inlined
    first = "null" if first_seen is None else f'"{first_seen}"'
    doc = (
        f'{body[:-1]},"first_seen":{first},"risk":{risk!r},"price_history":{history},'
        f'"review":{review},"evidence":{evidence}}}'
    )
    seller = listing.seller
    name, platform_id = seller.name, seller.platform_id
    key = seller_key(listing.platform, platform_id, name) if platform_id or name else None
    mask = 0
    for flag in flags:
        mask |= KIND_BITS[flag.kind]
    return (
        listing.platform, listing.listing_id, risk, first_seen, last_seen, status, review_at, int(bool(flags)),
        mask, listing.source, key, platform_id, name, fold_key(name), seller.province,
        fold_key(seller.province), listing.category, search_text(listing), digest, None,
        None if dismissed is None else _dumps(dismissed), doc,
    )  # fmt: skip


class SQLiteStore(SQLiteReports, Store):
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
            self._db.execute("PRAGMA cache_size = -65536")  # 64 MiB
            self._db.execute("PRAGMA temp_store = MEMORY")
            sqlite_schema.create(self._db, self._v1_row)
        except ValueError as exc:
            self._db.close()
            raise StoreError(f"SQLite store {path}: {exc}") from exc
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open SQLite store {path}: {exc}") from exc

    @staticmethod
    def _v1_row(doc: dict[str, Any], last_seen: str | None) -> tuple[Any, ...]:
        """A version-1 document as a version-2 row (digest NULL: the next crawl rewrites it)."""
        return SQLiteStore._document_row(doc, last_seen, None)

    @staticmethod
    def _document_row(doc: dict[str, Any], last_seen: Any, dismissed: dict[str, Any] | None) -> tuple[Any, ...]:
        listing = Listing.model_validate(doc)
        p = _prepare(listing)
        normal = p.listing
        history = _dumps([{"price": point.price, "at": iso_ms(point.at)} for point in normal.price_history])
        review, evidence = p.review, p.evidence
        return listing_row(
            p, flags=normal.flags, body=p.body, first_seen=iso_ms(normal.first_seen) if normal.first_seen else None,
            last_seen=iso_ms(last_seen) if last_seen else None, history=history, review=review,
            status=normal.review.status, review_at=iso_ms(normal.review.at) if normal.review.at else None,
            evidence=evidence, digest=None, dismissed=dismissed,
        )  # fmt: skip

    # -- helpers ---------------------------------------------------------------------------------

    def _fail(self, what: str, exc: Exception) -> StoreError:
        return StoreError(f"SQLite store {self.path}: {what} failed: {exc}")

    def _transaction(self, what: str, work: Any) -> Any:
        """Run ``work()`` in one write transaction; sqlite errors become StoreError."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    value = work()
                    self._db.execute("COMMIT")
                    return value
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
            except sqlite3.Error as exc:
                raise self._fail(what, exc) from exc

    def _select_keys(self, columns: str, keys: Iterable[Key]) -> list[tuple[Any, ...]]:
        """(platform, listing_id, *columns) of the stored listings among ``keys``; one IN query per platform chunk."""
        by_platform: dict[str, set[str]] = {}
        for platform, listing_id in keys:
            by_platform.setdefault(platform, set()).add(listing_id)
        found: list[tuple[Any, ...]] = []
        for platform, id_set in by_platform.items():
            ids = sorted(id_set)
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start : start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                sql = (
                    f"SELECT platform, listing_id, {columns} FROM listings"
                    f" WHERE platform = ? AND listing_id IN ({marks})"
                )
                found.extend(self._db.execute(sql, (platform, *chunk)).fetchall())
        return found

    def _read_digests(self, keys: Iterable[Key]) -> dict[Key, tuple[str | None, int]]:
        """(digest, flagged) of each stored listing among ``keys``."""
        return {(row[0], row[1]): (row[2], row[3]) for row in self._select_keys("digest, flagged", keys)}

    def _read_priors(self, keys: Iterable[Key]) -> dict[Key, _Row]:
        """The merge inputs of the stored listings among ``keys``."""
        columns = (
            "first_seen, review_status, json_extract(doc, '$.review'), json_extract(doc, '$.price_history'),"
            " json_extract(doc, '$.evidence'), digest, review_at, dismissed"
        )
        found: dict[Key, _Row] = {}
        loads = json.loads
        for row in self._select_keys(columns, keys):
            platform, listing_id, first_seen, status, review, history, evidence, digest, review_at, dismissed = row
            prior = Prior(first_seen, review, loads(history) if history else [], evidence, digest)
            found[(platform, listing_id)] = _Row(
                prior, status or "new", review_at, loads(dismissed) if dismissed else None, history or "[]"
            )
        return found

    def _write_flags(self, keys: list[Key], rows: list[tuple[Any, ...]]) -> None:
        self._db.executemany("DELETE FROM flags WHERE platform = ? AND listing_id = ?", keys)
        self._db.executemany(
            "INSERT INTO flags (platform, listing_id, kind, rule_id, score) VALUES (?, ?, ?, ?, ?)", rows
        )

    def _append_entries(self, specs: list[tuple[str, str, str, str, str, str, str | None]]) -> list[ReviewEntry]:
        """Append audit entries (platform, id, from, to, by, at, note) after the chain's head (in a transaction)."""
        head = self._db.execute("SELECT seq, hash FROM reviews ORDER BY seq DESC LIMIT 1").fetchone()
        seq, prev = head if head else (0, None)
        entries = []
        for platform, listing_id, from_status, to_status, by, at, note in specs:
            seq += 1
            entry = new_entry(seq, prev, platform, listing_id, from_status, to_status, by, datetime.fromisoformat(at),
                              note)  # fmt: skip
            prev = entry.hash
            entries.append(entry)
        self._db.executemany(
            f"INSERT INTO reviews ({_REVIEW_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [tuple(entry_document(entry).values()) for entry in entries],
        )
        return entries

    # -- writes ----------------------------------------------------------------------------------

    def upsert_listings(self, listings: Sequence[Listing], *, seen_at: datetime | None = None) -> UpsertResult:
        """Upsert a batch in one transaction; the rule is :func:`crawler.store.documents.merge`.

        Unchanged listings (same digest as stored) only get ``last_seen`` set. Dismissed
        listings are screened (:func:`crawler.store.derived.screen_flags`).
        """
        result = UpsertResult()
        seen = iso_ms(seen_at or utcnow())
        prepared: list[_Prepared] = []
        for index, listing in enumerate(listings):
            if not isinstance(listing, Listing):
                raise TypeError(f"upsert_listings: item {index} is a {type(listing).__name__}, not a Listing")
            try:
                check_listing(listing)
                prepared.append(_prepare(listing))
            except ValueError as exc:
                result.rejected += 1
                result.errors.append(f"{listing.key}: {exc}")
        if prepared:
            self._transaction(f"upsert of {len(prepared)} listings", lambda: self._upsert(prepared, seen, result))
        return result

    def _upsert(self, prepared: list[_Prepared], seen: str, result: UpsertResult) -> None:
        keys = [(p.listing.platform, p.listing.listing_id) for p in prepared]
        stored = self._read_digests(keys)
        once: set[Key] = set()
        twice: set[Key] = set()
        for key in keys:
            (twice if key in once else once).add(key)
        # only listings that changed (or appear twice) need their stored state read and merged
        rows = self._read_priors(
            key for key, p in zip(keys, prepared, strict=True)
            if key in stored and (stored[key][0] != p.digest or key in twice)
        )  # fmt: skip
        writes: dict[Key, tuple[Any, ...]] = {}
        flag_rows: dict[Key, list[tuple[Any, ...]]] = {}
        touched: set[Key] = set()
        reopened: list[tuple[str, str, str, str, str, str, str | None]] = []
        for key, p in zip(keys, prepared, strict=True):
            row = rows.get(key)
            if row is None and key in stored:  # stored with this very digest: only seen again
                result.unchanged += 1
                touched.add(key)
                continue
            listing, body, flags = p.listing, p.body, p.listing.flags
            dismissed = row.dismissed if row is not None else None
            # no dismissal (nearly always): the flags stay and the content digest is never needed
            screened = screen_flags(dismissed, p.content, flags) if dismissed else Screened(flags, False, None)
            if len(screened.flags) != len(flags):
                flags = screened.flags
                body = content_json(listing.model_copy(update={"flags": flags}))[0]
            history = (
                [{"price": x.price, "at": iso_ms(x.at)} for x in listing.price_history]
                if row is None and listing.price_history else []
            )  # fmt: skip
            merged = merge(
                row.prior if row else None,
                price=listing.price,
                history=history,
                has_evidence=listing.evidence is not None,
                digest=p.digest,
                seen=seen,
            )
            setattr(result, merged.status, getattr(result, merged.status) + 1)
            if merged.status == "unchanged":
                touched.add(key)
                continue
            if row is None:
                review, status = p.review, listing.review.status
                review_at = iso_ms(listing.review.at) if listing.review.at else None
            else:
                review, status, review_at = merged.review, row.status, row.review_at
            if screened.reopen:
                reopened.append((*key, status, "new", SYSTEM, seen, REOPEN_NOTE))
                review = _dumps({"status": "new", "by": SYSTEM, "at": seen, "note": REOPEN_NOTE})
                status, review_at = "new", seen
            evidence = merged.evidence if merged.evidence is not None else p.evidence
            history_json = _history_json(row, merged.price_history)
            writes[key] = listing_row(
                p, flags=flags, body=body, first_seen=merged.first_seen, last_seen=seen, history=history_json,
                review=review, status=status, review_at=review_at, evidence=evidence, digest=p.digest,
                dismissed=screened.dismissed,
            )  # fmt: skip
            flag_rows[key] = [(*key, flag.kind, flag.rule_id, flag.score) for flag in flags]
            stored_evidence = None if evidence == "null" else evidence
            prior = Prior(merged.first_seen, review, merged.price_history, stored_evidence, p.digest)
            rows[key] = _Row(prior, status, review_at, screened.dismissed, history_json)
        self._db.executemany(_UPSERT, list(writes.values()))
        self._db.executemany(
            "UPDATE listings SET last_seen = ? WHERE platform = ? AND listing_id = ?",
            [(seen, *key) for key in touched - writes.keys()],
        )
        # flag rows exist only for listings stored flagged (the flags table follows the document)
        self._write_flags(
            [key for key in flag_rows if key in stored and stored[key][1]],
            [row for rows in flag_rows.values() for row in rows],
        )
        if reopened:
            self._append_entries(reopened)

    def replace_flags(self, platform: str, listing_id: str, flags: list[Flag]) -> None:
        """Set the listing's flags and risk (dismissed rules screened); StoreError when absent."""
        check_key(platform, listing_id)
        checked = [Flag.model_validate(flag) for flag in flags]

        def work() -> None:
            found = self._db.execute(
                "SELECT doc, dismissed FROM listings WHERE platform = ? AND listing_id = ?",
                (platform, listing_id),
            ).fetchone()
            if found is None:
                raise StoreError(f"no listing {platform}:{listing_id} in {self.path}")
            text, dismissed = found
            # the content digest is only needed against a dismissal
            kept = screen_flags(json.loads(dismissed), stored_content(text), checked).flags if dismissed else checked
            doc = json.loads(text)
            doc["flags"] = [flag.model_dump(mode="json") for flag in kept]
            doc["risk"] = risk = risk_of(flag.score for flag in kept)
            # digest NULL: the next crawl of this listing rewrites it even if unchanged
            self._db.execute(
                "UPDATE listings SET doc = ?, risk = ?, flagged = ?, kinds = ?, digest = NULL"
                " WHERE platform = ? AND listing_id = ?",
                (_dumps(doc), risk, int(bool(kept)), kinds_mask(kept), platform, listing_id),
            )
            key = (platform, listing_id)
            self._write_flags([key], [(*key, f.kind, f.rule_id, f.score) for f in kept])

        self._transaction(f"replace_flags {platform}:{listing_id}", work)

    def apply_review(
        self, platform: str, listing_id: str, status: str, *, by: str, note: str | None = None,
        at: datetime | None = None,
    ) -> ReviewEntry:
        """Set the review status and append its audit entry, in one transaction."""
        check_review(platform, listing_id, status, by, note)
        when = iso_ms(at or utcnow())

        def work() -> ReviewEntry:
            found = self._db.execute(
                "SELECT review_status, doc FROM listings WHERE platform = ? AND listing_id = ?",
                (platform, listing_id),
            ).fetchone()
            if found is None:
                raise StoreError(f"no listing {platform}:{listing_id} in {self.path}")
            from_status, doc = found
            dismissed = None
            if status == "dismissed":
                stored = Listing.model_validate_json(doc)
                dismissed = dismissal_record(content_digest(stored), stored.flags)
            review = _dumps({"status": status, "by": by, "at": when, "note": note})
            # digest NULL: the next crawl re-screens the listing against its (new) dismissal
            self._db.execute(
                "UPDATE listings SET review_status = ?, review_at = ?, dismissed = ?, digest = NULL,"
                " doc = json_set(doc, '$.review', json(?)) WHERE platform = ? AND listing_id = ?",
                (status, when, None if dismissed is None else _dumps(dismissed), review, platform, listing_id),
            )
            spec = (platform, listing_id, from_status or "new", status, by, when, note)
            return self._append_entries([spec])[0]

        return self._transaction(f"apply_review {platform}:{listing_id}", work)

    def record_crawl_run(self, run: dict[str, Any]) -> None:
        """Append one crawl run."""
        doc = crawl_run_document(run)
        with self._lock:
            try:
                self._insert_run(doc)
            except sqlite3.Error as exc:
                raise self._fail(f"record_crawl_run {doc['spider']}", exc) from exc

    def _insert_run(self, doc: dict[str, Any], *, unless_present: bool = False) -> bool:
        stored = dict(doc)
        for name in ("started_at", "finished_at"):
            stored[name] = None if doc[name] is None else iso_ms(doc[name])
        text = _dumps(stored)
        if unless_present and self._db.execute(
            "SELECT 1 FROM crawl_runs WHERE spider = ? AND started_at IS ? AND doc = ?",
            (doc["spider"], stored["started_at"], text),
        ).fetchone():
            return False
        self._db.execute(
            "INSERT INTO crawl_runs (spider, started_at, finished_at, doc) VALUES (?, ?, ?, ?)",
            (doc["spider"], stored["started_at"], stored["finished_at"], text),
        )
        return True

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
            "SELECT doc, last_seen FROM listings WHERE platform = ? AND listing_id = ?",
            (platform, listing_id),
        )
        return Listing.model_validate_json(with_last_seen(*rows[0])) if rows else None

    @staticmethod
    def _where(query: FlagQuery) -> tuple[str, str, list[Any]]:
        """(FROM clause with an index hint, WHERE clause, parameters) of a validated query over ``listings l``.

        Flag queries scan the partial sort index that carries the cheap filter columns unless a
        selective index (seller, province, rule) applies; ``+column`` keeps SQLite from preferring
        the unique (platform, listing_id) index for a platform filter.
        """
        where: list[str] = []
        params: list[Any] = []
        flagged = query.flagged_only or query.kind is not None or query.rule_id is not None
        if flagged:
            where.append("l.flagged = 1")
        if query.kind is not None:
            where.append(f"l.kinds & {KIND_BITS[query.kind]} != 0")
        if query.rule_id is not None:
            where.append("l.id IN (SELECT l2.id FROM flags f JOIN listings l2 ON l2.platform = f.platform"
                         " AND l2.listing_id = f.listing_id WHERE f.rule_id = ?)")  # fmt: skip
            params.append(query.rule_id)
        for column, op, value in (
            ("+l.platform", "=", query.platform),
            ("l.risk", ">=", query.min_risk),
            ("+l.review_status", "=", query.status),
            ("+l.source", "=", query.source),
            ("l.province_fold", "=", fold_key(query.province) if query.province is not None else None),
            ("l.last_seen", ">=", iso_ms(query.since) if query.since is not None else None),
            ("l.last_seen", "<", iso_ms(query.until) if query.until is not None else None),
        ):
            if value is not None:
                where.append(f"{column} {op} ?")
                params.append(value)
        if query.province is not None and fold_key(query.province) is None:
            where.append("0")
        if query.seller is not None:
            if flagged:
                where.append("l.id IN (SELECT id FROM listings WHERE flagged = 1 AND seller_id = ?"
                             " UNION ALL SELECT id FROM listings WHERE flagged = 1 AND seller_name = ?)")  # fmt: skip
            else:
                where.append("(l.seller_id = ? OR l.seller_name = ?)")
            params.extend((query.seller, query.seller))
        if query.text is not None and (needle := search_needle(query.text)):
            where.append("l.search LIKE ? ESCAPE '\\'")
            params.append(_like_pattern(needle))
        source = "listings l"
        if flagged and query.seller is None and query.province is None and query.rule_id is None:
            dated = query.since is not None or query.until is not None
            source += " INDEXED BY " + ("listings_newest" if dated or query.sort == "newest" else "listings_risk")
        return source, (" AND ".join(where) or "1"), params

    def query_flagged(self, query: FlagQuery) -> list[Listing]:
        """Listings matching ``query`` (flagged ones unless ``flagged_only`` is false), sorted and paged."""
        query.validate()
        if query.limit == 0:
            return []
        source, where, params = self._where(query)
        order = "l.risk DESC, l.last_seen DESC" if query.sort == "risk" else "l.last_seen DESC, l.risk DESC"
        sql = (
            f"SELECT l.doc, l.last_seen FROM {source} WHERE {where} "
            f"ORDER BY {order}, l.platform, l.listing_id LIMIT ? OFFSET ?"
        )
        rows = self._select("query_flagged", sql, (*params, query.limit, query.offset))
        return [Listing.model_validate_json(with_last_seen(doc, seen)) for doc, seen in rows]

    def count_flagged(self, query: FlagQuery) -> int:
        """How many listings match ``query``'s filters."""
        query.validate()
        source, where, params = self._where(query)
        return self._select("count_flagged", f"SELECT COUNT(*) FROM {source} WHERE {where}", params)[0][0]

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
        sums = ", ".join(f"COALESCE(SUM(kinds & {bit} != 0), 0)" for bit in KIND_BITS.values())
        row = self._select(
            "count_flagged_by_kind", f"SELECT {sums} FROM listings INDEXED BY listings_risk WHERE flagged = 1", ()
        )[0]
        return dict(zip(KINDS, row, strict=True))

    def iter_listings(self, platform: str | None = None, batch_size: int = 1000) -> Iterator[Listing]:
        """Every stored listing in insertion order, ``batch_size`` rows per read."""
        for _row_id, doc in self._iter_docs(platform, batch_size):
            yield Listing.model_validate_json(doc)

    def _iter_docs(self, platform: str | None, batch_size: int, columns: str = "") -> Iterator[tuple[Any, ...]]:
        """(id, document text, *columns) of every listing in id order, in batches."""
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise InvalidQuery(f"batch_size must be a positive integer, got {batch_size!r}")
        if platform is not None and not isinstance(platform, str):
            raise InvalidQuery(f"platform must be text, got {platform!r}")
        last_id = 0
        extra = f", {columns}" if columns else ""
        while True:
            head = f"SELECT id, doc, last_seen{extra} FROM listings WHERE id > ?"
            if platform is None:
                sql, params = f"{head} ORDER BY id LIMIT ?", (last_id,)
            else:
                sql, params = f"{head} AND platform = ? ORDER BY id LIMIT ?", (last_id, platform)
            rows = self._select("iter_listings", sql, (*params, batch_size))
            for row_id, text, last_seen, *rest in rows:
                last_id = row_id
                yield (row_id, with_last_seen(text, last_seen), *rest)
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
        return [self._run_from_text(text) for (text,) in self._select("recent_crawl_runs", sql, params)]

    @staticmethod
    def _run_from_text(text: str) -> dict[str, Any]:
        run = json.loads(text)
        for name in ("started_at", "finished_at"):
            if run.get(name) is not None:
                run[name] = datetime.fromisoformat(run[name])
        return run

    # -- the review log --------------------------------------------------------------------------

    def _entries(self, sql: str, params: Sequence[Any]) -> list[ReviewEntry]:
        names = [name.strip() for name in _REVIEW_COLUMNS.split(",")]
        rows = self._select("read the review log", sql, params)
        return [entry_from_document(dict(zip(names, row, strict=True))) for row in rows]

    def review_history(self, platform: str, listing_id: str) -> list[ReviewEntry]:
        """The listing's audit entries, oldest first."""
        check_key(platform, listing_id)
        sql = f"SELECT {_REVIEW_COLUMNS} FROM reviews WHERE platform = ? AND listing_id = ? ORDER BY seq"
        return self._entries(sql, (platform, listing_id))

    def iter_audit(self) -> Iterator[ReviewEntry]:
        """The whole audit log by ``seq``, read 1000 entries at a time."""
        last = None
        while True:
            if last is None:
                batch = self._entries(f"SELECT {_REVIEW_COLUMNS} FROM reviews ORDER BY seq LIMIT 1000", ())
            else:
                sql = f"SELECT {_REVIEW_COLUMNS} FROM reviews WHERE seq > ? ORDER BY seq LIMIT 1000"
                batch = self._entries(sql, (last,))
            yield from batch
            if len(batch) < 1000:
                return
            last = batch[-1].seq

    # -- migration -------------------------------------------------------------------------------

    def export_documents(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """Listings (by platform, id; with their dismissal as ``_dismissed``), reviews by seq, runs."""
        last: tuple[str, str] = ("", "")
        while True:
            rows = self._select(
                "export listings",
                "SELECT platform, listing_id, doc, last_seen, dismissed FROM listings"
                " WHERE (platform, listing_id) > (?, ?) ORDER BY platform, listing_id LIMIT 1000",
                last,
            )
            for platform, listing_id, doc, last_seen, dismissed in rows:
                document = Listing.model_validate_json(with_last_seen(doc, last_seen)).to_document()
                if dismissed:
                    document["_dismissed"] = json.loads(dismissed)
                yield "listings", document
                last = (platform, listing_id)
            if len(rows) < 1000:
                break
        for entry in self.iter_audit():
            yield "reviews", entry_document(entry)
        for (text,) in self._select("export crawl runs", "SELECT doc FROM crawl_runs ORDER BY started_at, id", ()):
            yield "crawl_runs", json.loads(text)

    def import_documents(self, items: Iterable[tuple[str, dict[str, Any]]]) -> dict[str, int]:
        """Write exported documents as they are; re-importing changes nothing (see the base class)."""
        counts = {"listings": 0, "reviews": 0, "crawl_runs": 0, "skipped": 0, "rejected": 0}
        batch: list[tuple[str, dict[str, Any]]] = []
        first = 1
        for number, item in enumerate(items, 1):
            if not batch:
                first = number
            batch.append(item)
            if len(batch) >= 500:
                self._transaction("import", lambda b=batch, f=first: self._import(b, f, counts))
                batch = []
        if batch:
            self._transaction("import", lambda: self._import(batch, first, counts))
        return counts

    def _import(self, batch: list[tuple[str, dict[str, Any]]], first: int, counts: dict[str, int]) -> None:
        names = [name.strip() for name in _REVIEW_COLUMNS.split(",")]
        for number, item in enumerate(batch, first):
            try:
                collection, doc = item
                if collection == "listings":
                    doc = dict(doc)
                    dismissed = doc.pop("_dismissed", None)
                    row = self._document_row(doc, doc.get("last_seen"), dismissed)
                    self._db.execute(_UPSERT, row)
                    listing = Listing.model_validate(doc)
                    key = (listing.platform, listing.listing_id)
                    self._write_flags([key], [(*key, f.kind, f.rule_id, f.score) for f in listing.flags])
                elif collection == "reviews":
                    entry = entry_from_document(doc)
                    found = self._db.execute("SELECT hash FROM reviews WHERE seq = ?", (entry.seq,)).fetchone()
                    if found is not None:
                        if found[0] != entry.hash:
                            raise StoreError(
                                f"import item {number}: this store already has a different audit entry {entry.seq}; "
                                "migrate into an empty store"
                            )
                        counts["skipped"] += 1
                        continue
                    values = entry_document(entry)
                    self._db.execute(
                        f"INSERT INTO reviews ({_REVIEW_COLUMNS}) VALUES ({','.join('?' * len(names))})",
                        [values[name] for name in names],
                    )
                elif collection == "crawl_runs":
                    if not self._insert_run(crawl_run_document(doc), unless_present=True):
                        counts["skipped"] += 1
                        continue
                else:
                    raise InvalidQuery(f"unknown collection {collection!r}")
                counts[collection] += 1
            except (ValidationError, InvalidQuery, ValueError, TypeError) as exc:
                counts["rejected"] += 1
                logger.error("import item %d rejected: %s", number, str(exc).splitlines()[0])

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with self._lock:
            self._db.close()

    def __repr__(self) -> str:
        return f"SQLiteStore({self.path!r})"
