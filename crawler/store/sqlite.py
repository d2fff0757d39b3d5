"""The embedded default backend: one SQLite file (WAL), listings as JSON bodies plus columns.

Each listing is one row: the JSON of what the crawler sent (its *body*) plus real, indexed columns
for what queries filter, sort and group on, and the fields the store merges (seen times, price
history, review, evidence, risk) in their own columns (see ``crawler.store.sqlite_schema`` and
``crawler.store.sqlite_rows``). A ``digest`` of what the crawler last sent makes re-crawls cheap: a
listing whose digest is unchanged only gets its ``last_seen`` column set; a changed one gets its
body and columns rewritten by one upsert that keeps the stored review and first-seen time, and its
search text folded again only when its title or description changed. Review decisions and their
hash-chained audit entries are written in one transaction. Every statement is parameterised:
listing text never becomes SQL.

Peer summaries (:mod:`crawler.store.peers`, :mod:`crawler.store.sqlite_peers`): an inserted or
rewritten listing's membership in its peer group is written to its ``peer_key`` and ``peer`` columns
and compared with the stored one (read with the rest of what the upsert needs); only when it changed
are the cached summaries of the group it left and the group it joined deleted, one statement per
batch in the upsert's transaction. An unchanged re-crawl touches neither. ``peer_groups(keys)``
summarises the groups without a cached summary from their members and caches them.
"""

from __future__ import annotations

import json
import logging
import operator
import re
import sqlite3
import threading
from collections.abc import Collection, Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from crawler.items import KINDS, Flag, Listing, PeerGroup, utcnow
from crawler.store import sqlite_schema
from crawler.store.base import (
    FlagQuery,
    InvalidQuery,
    ReviewEntry,
    Store,
    StoreError,
    UpsertResult,
    check_key,
)
from crawler.store.derived import (
    KIND_BITS,
    REOPEN_NOTE,
    SYSTEM,
    content_digest,
    dismissal_record,
    fold_key,
    kinds_mask,
    screen_flags,
    search_needle,
)
from crawler.store.documents import append_evidence_json, crawl_run_document, fill_partials, iso_ms, risk_of
from crawler.store.peers import Member, check_keys, member_of
from crawler.store.reviews import check_review, entry_document, entry_from_document, new_entry
from crawler.store.runs import run_query
from crawler.store.sqlite_checkpoint import WRITER_AUTOCHECKPOINT, Checkpointer
from crawler.store.sqlite_counts import COUNTED, COUNTED_COLUMNS, Deltas
from crawler.store.sqlite_peers import fill_peers, invalidate, lookup, member_from_json, member_json
from crawler.store.sqlite_reports import SQLiteReports
from crawler.store.sqlite_rows import (
    DOC_COLUMNS,
    ROW_MARKS,
    Prepared,
    append_point,
    body_json,
    body_listing,
    document,
    history_json,
    listing_row,
    own_history,
)
from crawler.store.sqlite_schema import LISTING_COLUMNS

logger = logging.getLogger(__name__)

PAGE_SIZE = 16384
MMAP_SIZE = 1 << 30  # address space only: the pages are the OS's file cache, shared between processes
BUSY_TIMEOUT_MS = 30_000
_CHUNK = 500  # keys per IN (...) read; well under SQLite's variable limit
_KEPT_ON_UPDATE = ("platform", "listing_id", "first_seen", "review_status", "review_at", "dismissed", "review")
_INSERT = f"INSERT INTO listings ({', '.join(LISTING_COLUMNS)}) VALUES ({ROW_MARKS})"
"""A listing not stored yet (known inside the upsert's transaction): no conflict clause to evaluate."""


def _update_statement(columns: tuple[str, ...]) -> str:
    """``UPDATE listings SET`` these columns (merge rules in SQL, see :data:`_UPDATE`) ``WHERE`` the key."""
    return (
        "UPDATE listings SET "
        + ", ".join(
            "first_seen = COALESCE(first_seen, ?)" if name == "first_seen"
            else "search = COALESCE(?, search)" if name == "search"
            else "evidence = evidence_append(?, evidence)" if name == "evidence"
            else "doc = CAST(? AS TEXT)" if name == "doc"
            else f"{name} = ?"
            for name in columns
        )
        + " WHERE platform = ? AND listing_id = ?"
    )  # fmt: skip


def _update_order(columns: tuple[str, ...]) -> operator.itemgetter[Any]:
    """A row's values in the order of :func:`_update_statement` of ``columns``."""
    return operator.itemgetter(*(LISTING_COLUMNS.index(n) for n in (*columns, "platform", "listing_id")))


_UPDATED_COLUMNS = tuple(
    name for name in LISTING_COLUMNS if (name not in _KEPT_ON_UPDATE or name == "first_seen") and name != "peer_key"
)
_UPDATE = _update_statement(_UPDATED_COLUMNS)
"""Update what a re-crawl changes in a stored listing (known inside the upsert's transaction): the stored
review, dismissal and first-seen time are kept, the listing's captures appended to the stored evidence
(``evidence_append``: :func:`crawler.store.documents.append_evidence_json`), the
search text when ``search`` is NULL. Its parameters are a row put in order by :data:`_UPDATE_ORDER`.
``peer_key`` is left out: setting an indexed column, even to the value it has, rewrites its index
entry, a random page of ``listings_peer`` per listing (re-priced re-crawls of 20,000 of 100,000
listings: 21,700/s with it, 26,500/s without, medians of 6 paired runs)."""
_UPDATE_ORDER = _update_order(_UPDATED_COLUMNS)
_UPDATE_MOVED = _update_statement((*_UPDATED_COLUMNS, "peer_key"))
""":data:`_UPDATE` of a listing whose peer group changed (``peer_key`` set too); :data:`_UPDATE_MOVED_ORDER`."""
_UPDATE_MOVED_ORDER = _update_order((*_UPDATED_COLUMNS, "peer_key"))
_SELLER_INDEXED = ("seller_id", "seller_name")
"""Indexed seller columns an update leaves out when they are as stored (issue 18: at a million listings each
is a random page of ``listings_seller``/``listings_seller_name`` rewritten per flagged listing)."""
_UPDATES = {
    (moved, seller): (_update_statement(columns), _update_order(columns))
    for moved in (False, True)
    for seller in (False, True)
    for columns in [
        tuple(name for name in (*_UPDATED_COLUMNS, *(("peer_key",) if moved else ()))
              if seller or name not in _SELLER_INDEXED)
    ]
}  # fmt: skip
"""(peer key changed, seller changed) → (statement, parameter order) of a stored listing's rewrite."""
_IMPORT = (
    f"{_INSERT} ON CONFLICT (platform, listing_id) DO UPDATE SET "
    + ", ".join(f"{name} = excluded.{name}" for name in LISTING_COLUMNS[2:])
)
"""Write a row as it is (imports)."""
_DOC_WIDTH = len(DOC_COLUMNS.split(","))
_L_DOC_COLUMNS = ", ".join(f"l.{name.strip()}" for name in DOC_COLUMNS.split(","))
_REVIEW_COLUMNS = "seq, platform, listing_id, action, from_status, to_status, by, at, note, prev_hash, hash"

Key = tuple[str, str]
State = tuple[Any, ...]
"""A stored listing's (digest, flagged, text_key, history, dismissed, review_status, peer, peer_key, *COUNTED)."""
_STATE_COUNTED = 8
"""Where the :data:`crawler.store.sqlite_counts.COUNTED` values start in a :data:`State`."""
_ROW_COUNTED = operator.itemgetter(*(LISTING_COLUMNS.index(name) for name in COUNTED))
"""A listing row's :data:`crawler.store.sqlite_counts.COUNTED` values."""
_SEEN_AT = COUNTED.index("last_seen")
_SELLER_ID_AT, _SELLER_NAME_AT = COUNTED.index("seller_id"), COUNTED.index("seller_name")
_ROW_SELLER_ID, _ROW_SELLER_NAME = LISTING_COLUMNS.index("seller_id"), LISTING_COLUMNS.index("seller_name")
_STATUS_AT = COUNTED.index("review_status")
_REVIEWED_AT = COUNTED.index("review_at")

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


TRIGRAM = 3
"""The text index's token length: a shorter needle is searched by scanning (``LIKE``)."""


def fts_phrase(needle: str) -> str:
    """The FTS5 query of one literal phrase (double quotes doubled): never an operator or a column filter."""
    return '"' + needle.replace('"', '""') + '"'


def _like_pattern(needle: str) -> str:
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


_LAST_PRICE = re.compile(r'\{"price":(-?\d+),"at":"[^"]*"\}\]\Z')
"""The last point of a history the store wrote (other spellings are parsed as JSON)."""


def _last_price(history: str | None) -> Any:
    """The price of the stored history's last point (None without points).

    Only the last point is parsed: points are flat objects of a price and an ISO time (no braces inside).
    """
    if not history or history == "[]":
        return None
    start = history.rfind("{")
    found = _LAST_PRICE.match(history, start)
    if found is not None:
        return int(found[1])
    return json.loads(history[start:-1]).get("price")


def _unique_rounds(keys: list[Key], prepared: list[Prepared]) -> list[tuple[list[Key], list[Prepared]]]:
    """The batch in rounds without a repeated key, in order (a listing twice in a batch: two rounds)."""
    if len(set(keys)) == len(keys):
        return [(keys, prepared)]
    counts: dict[Key, int] = {}
    rounds: list[tuple[list[Key], list[Prepared]]] = []
    for key, p in zip(keys, prepared, strict=True):
        index = counts.get(key, 0)
        counts[key] = index + 1
        if index == len(rounds):
            rounds.append(([], []))
        rounds[index][0].append(key)
        rounds[index][1].append(p)
    return rounds


def _moved_groups(old: str | None, new: Member | None) -> list[str]:
    """The keys of the groups a listing left and joined when its ``peer`` column ``old`` becomes ``new``."""
    before = member_from_json(old)
    return [member.key for member in (before, new) if member is not None]


class SQLiteStore(SQLiteReports, Store):
    """:class:`Store` on one SQLite file (``":memory:"`` for a private in-memory database)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._checkpointer: Checkpointer | None = None
        try:
            if path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
            self._db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self._db.create_function("evidence_append", 2, append_evidence_json, deterministic=True)
            # a new file gets 16 KiB pages (an existing one keeps its own): a batch commit writes fewer, fuller
            # WAL frames; reads go through a memory map (no copy per page), so scans and row fetches stay fast
            self._db.execute(f"PRAGMA page_size = {PAGE_SIZE}")
            self._db.execute(f"PRAGMA mmap_size = {MMAP_SIZE}")
            if path != ":memory:":
                self._db.execute("PRAGMA journal_mode = WAL")
                # checkpoints run in a background thread; the writer's own is the backstop
                self._db.execute(f"PRAGMA wal_autocheckpoint = {WRITER_AUTOCHECKPOINT}")
                self._checkpointer = Checkpointer(path)
            self._db.execute("PRAGMA synchronous = NORMAL")
            self._db.execute("PRAGMA cache_size = -65536")  # 64 MiB
            self._db.execute("PRAGMA temp_store = MEMORY")
            sqlite_schema.create(self._db, self._v1_row, fill_peers)
        except ValueError as exc:
            self._db.close()
            raise StoreError(f"SQLite store {path}: {exc}") from exc
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open SQLite store {path}: {exc}") from exc

    @staticmethod
    def _v1_row(doc: dict[str, Any], last_seen: str | None) -> tuple[Any, ...]:
        """A version-1 document as a current row (digest NULL: the next crawl rewrites it)."""
        return SQLiteStore._document_row(doc, last_seen, None)

    @staticmethod
    def _document_row(doc: dict[str, Any], last_seen: Any, dismissed: dict[str, Any] | None) -> tuple[Any, ...]:
        """A full listing document (every field as stored) as a row, digest NULL."""
        p = Prepared(Listing.model_validate(doc))
        normal = p.listing
        review = normal.review
        member = member_of(normal)
        return listing_row(
            p, flags=normal.flags, body=p.body, first_seen=iso_ms(normal.first_seen) if normal.first_seen else None,
            last_seen=iso_ms(last_seen) if last_seen else None, history=history_json(own_history(normal)),
            review=p.review, status=review.status, review_at=iso_ms(review.at) if review.at else None,
            evidence=p.evidence, digest=None, search=p.search,
            dismissed=None if dismissed is None else _dumps(dismissed), peer=member_json(member),
            peer_key=None if member is None else member.key,
        )  # fmt: skip

    # -- helpers ---------------------------------------------------------------------------------

    def _fail(self, what: str, exc: Exception) -> StoreError:
        return StoreError(f"SQLite store {self.path}: {what} failed: {exc}")

    def _transaction(self, what: str, work: Any) -> Any:
        """Run ``work()`` in one write transaction; sqlite errors become StoreError.

        The error that failed the work is the one reported: SQLite rolls some failures back itself
        (a full disk, ``SQLITE_FULL``), so the ROLLBACK that follows may fail too ("no transaction
        is active"); that second error is logged at DEBUG, never raised in place of the first.
        """
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    value = work()
                    self._db.execute("COMMIT")
                except BaseException:
                    self._rollback(what)
                    raise
            except sqlite3.Error as exc:
                raise self._fail(what, exc) from exc
            if self._checkpointer is not None:
                self._checkpointer.poke()
            return value

    def _rollback(self, what: str) -> None:
        """Roll back the open transaction, if SQLite has not already done so itself."""
        if not self._db.in_transaction:
            return
        try:
            self._db.execute("ROLLBACK")
        except sqlite3.Error as exc:  # the caller re-raises the error that caused it
            logger.debug("SQLite store %s: rollback after a failed %s failed too: %s", self.path, what, exc)

    def _select_keys(self, columns: str, keys: Iterable[Key]) -> list[tuple[Any, ...]]:
        """(platform, listing_id, *columns) of the stored listings among ``keys``; one IN query per platform chunk."""
        by_platform: dict[str, list[str]] = {}
        for platform, listing_id in keys:
            ids = by_platform.get(platform)
            if ids is None:
                by_platform[platform] = [listing_id]
            else:
                ids.append(listing_id)
        found: list[tuple[Any, ...]] = []
        for platform, ids in by_platform.items():
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start : start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                sql = (
                    f"SELECT platform, listing_id, {columns} FROM listings"
                    f" WHERE platform = ? AND listing_id IN ({marks})"
                )
                found.extend(self._db.execute(sql, (platform, *chunk)).fetchall())
        return found

    def _read_states(self, keys: Iterable[Key]) -> dict[Key, State]:
        """What an upsert needs of each stored listing among ``keys`` (see :data:`State`)."""
        rows = self._select_keys(
            f"digest, flagged, text_key, history, dismissed, review_status, peer, peer_key, {COUNTED_COLUMNS}", keys
        )
        return {(row[0], row[1]): row[2:] for row in rows}

    def _write_flags(self, keys: list[Key], rows: list[tuple[Any, ...]]) -> None:
        if keys:
            self._db.executemany("DELETE FROM flags WHERE platform = ? AND listing_id = ?", keys)
        if rows:
            self._db.executemany(
                "INSERT OR IGNORE INTO flags (platform, listing_id, kind, rule_id, score) VALUES (?, ?, ?, ?, ?)", rows
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
        """Upsert a batch in one transaction, with the rule of :func:`crawler.store.documents.merge`.

        Unchanged listings (same digest as stored) only get ``last_seen`` set. Dismissed
        listings are screened (:func:`crawler.store.derived.screen_flags`).
        """
        result = UpsertResult()
        seen = iso_ms(seen_at or utcnow())
        listings = fill_partials(listings, self._stored_listings)
        prepared: list[Prepared] = []
        for index, listing in enumerate(listings):
            if not isinstance(listing, Listing):
                raise TypeError(f"upsert_listings: item {index} is a {type(listing).__name__}, not a Listing")
            try:
                prepared.append(Prepared(listing))
            except ValueError as exc:
                result.rejected += 1
                result.errors.append(f"{listing.key}: {exc}")
        if prepared:
            self._transaction(f"upsert of {len(prepared)} listings", lambda: self._upsert(prepared, seen, result))
        return result

    def _stored_listings(self, keys: list[Key]) -> dict[Key, Listing]:
        """The stored listings among ``keys`` (what partial listings merge over)."""
        with self._lock:
            try:
                rows = self._select_keys(DOC_COLUMNS, keys)
            except sqlite3.Error as exc:
                raise self._fail("read of the stored versions of partial listings", exc) from exc
        return {(row[0], row[1]): Listing.model_validate_json(document(*row[2:])) for row in rows}

    def _upsert(self, prepared: list[Prepared], seen: str, result: UpsertResult) -> None:
        keys = [(p.listing.platform, p.listing.listing_id) for p in prepared]
        for part_keys, part in _unique_rounds(keys, prepared):
            self._upsert_unique(part_keys, part, seen, result)

    @staticmethod
    def _peer_of(listing: Listing, flags: list[Flag]) -> Member | None:
        """The peer membership of a listing stored with ``flags`` (:func:`crawler.store.peers.member_of`)."""
        return None if listing.peer_key is None else member_of(listing, flags)

    def _invalidate_groups(self, keys: Collection[str]) -> None:
        """Forget the cached summaries of groups whose members changed (in the caller's transaction)."""
        invalidate(self._db, keys)

    def _upsert_unique(self, keys: list[Key], prepared: list[Prepared], seen: str, result: UpsertResult) -> None:
        """Upsert listings of distinct keys: the merge rule of :func:`crawler.store.documents.merge` on columns.

        Insert: first_seen = seen, the listing's own history plus its price, its review and evidence.
        Update: first_seen and review kept (in SQL), the stored evidence kept when the listing has
        none, the price appended to the stored history when it differs from the last point.
        """
        states = self._read_states(keys)
        point_end = f',"at":"{seen}"}}]'  # a new listing's history: its price, now
        inserts: list[tuple[Any, ...]] = []
        rewrites: dict[tuple[bool, bool], list[tuple[Any, ...]]] = {}  # by (peer key changed, seller changed)
        touched: list[tuple[str, str, str]] = []
        flag_keys: list[Key] = []
        flag_rows: list[tuple[Any, ...]] = []
        reopened: list[tuple[str, str, str, str, str, str, str | None]] = []
        moved: list[str] = []  # the groups listings left or joined
        counts = Deltas()
        inserted = updated = 0
        for key, p in zip(keys, prepared, strict=True):
            listing = p.listing
            price = listing.price
            state = states.get(key)
            if state is None:
                if listing.price_history:
                    points = own_history(listing)
                    if price is not None and points[-1][0] != price:
                        points.append((price, seen))
                    history = history_json(points)
                else:
                    history = None if price is None else f'[{{"price":{int(price)}{point_end}'
                review = listing.review
                flags = listing.flags
                member = self._peer_of(listing, flags)
                peer_key = None
                if member is not None:
                    peer_key = member.key
                    moved.append(peer_key)
                inserts.append(listing_row(
                    p, flags=flags, body=p.body, first_seen=seen, last_seen=seen, history=history,
                    review=p.review, status=review.status, review_at=iso_ms(review.at) if review.at else None,
                    evidence=p.evidence, digest=p.digest, search=p.search, dismissed=None, peer=member_json(member),
                    peer_key=peer_key,
                ))  # fmt: skip
                counts.add(_ROW_COUNTED(inserts[-1]), 1)
                inserted += 1
            else:
                digest, flagged, text_key, history, dismissed, status, peer, stored_key = state[:_STATE_COUNTED]
                before = state[_STATE_COUNTED:]
                if digest == p.digest:  # what the crawler sent is what is stored: only seen again
                    touched.append((seen, *key))
                    if before[_SEEN_AT] != seen:
                        counts.add(before, -1)
                        counts.add((*before[:_SEEN_AT], seen, *before[_SEEN_AT + 1 :]), 1)
                    result.unchanged += 1
                    continue
                flags, body = listing.flags, p.body
                reopen = False
                if dismissed:  # screened against the dismissal (rare): the content digest is needed
                    screened = screen_flags(json.loads(dismissed), p.content, flags)
                    if len(screened.flags) != len(flags):
                        flags = screened.flags
                        body = body_json(listing.model_copy(update={"flags": flags}))
                    if screened.reopen:
                        reopen = True
                        reopened.append((*key, status, "new", SYSTEM, seen, REOPEN_NOTE))
                if price is not None and _last_price(history) != price:
                    history = append_point(history, price, seen)
                member = self._peer_of(listing, flags)
                new_peer = member_json(member)
                if new_peer != peer:  # it joined, left or moved between groups, or its price or seller changed
                    moved.extend(_moved_groups(peer, member))
                peer_key = None if member is None else member.key
                row = listing_row(
                    p, flags=flags, body=body, first_seen=seen, last_seen=seen, history=history, review=None,
                    status="new", review_at=None, evidence=p.evidence, digest=p.digest,
                    search=None if text_key == p.text_key else p.search, dismissed=None, peer=new_peer,
                    peer_key=peer_key,
                )  # fmt: skip
                seller_changed = (row[_ROW_SELLER_ID], row[_ROW_SELLER_NAME]) != (
                    before[_SELLER_ID_AT], before[_SELLER_NAME_AT])  # fmt: skip
                rewrites.setdefault((peer_key != stored_key, seller_changed), []).append(row)
                after = list(_ROW_COUNTED(row))  # the stored review is kept (or reopened below)
                after[_STATUS_AT] = "new" if reopen else before[_STATUS_AT]
                after[_REVIEWED_AT] = seen if reopen else before[_REVIEWED_AT]
                counts.add(before, -1)
                counts.add(after, 1)
                if flagged:
                    flag_keys.append(key)
                updated += 1
            for flag in flags:
                flag_rows.append((*key, flag.kind, flag.rule_id, flag.score))
        result.inserted += inserted
        result.updated += updated
        db = self._db
        if inserts:
            db.executemany(_INSERT, inserts)
        for kind, rows in rewrites.items():
            statement, order = _UPDATES[kind]
            db.executemany(statement, map(order, rows))
        if touched:
            db.executemany("UPDATE listings SET last_seen = ? WHERE platform = ? AND listing_id = ?", touched)
        if moved:
            self._invalidate_groups(moved)
        counts.write(db)
        # flag rows exist only for listings stored flagged (the flags table follows the document)
        self._write_flags(flag_keys, flag_rows)
        if reopened:
            review = _dumps({"status": "new", "by": SYSTEM, "at": seen, "note": REOPEN_NOTE})
            db.executemany(
                "UPDATE listings SET review = ?, review_status = 'new', review_at = ?, dismissed = NULL"
                " WHERE platform = ? AND listing_id = ?",
                [(review, seen, platform, listing_id) for platform, listing_id, *_ in reopened],
            )
            self._append_entries(reopened)

    def replace_flags(self, platform: str, listing_id: str, flags: list[Flag]) -> None:
        """Set the listing's flags and risk (dismissed rules screened); StoreError when absent."""
        check_key(platform, listing_id)
        checked = [Flag.model_validate(flag) for flag in flags]

        def work() -> None:
            found = self._db.execute(
                f"SELECT doc, dismissed, peer, {COUNTED_COLUMNS} FROM listings WHERE platform = ? AND listing_id = ?",
                (platform, listing_id),
            ).fetchone()
            if found is None:
                raise StoreError(f"no listing {platform}:{listing_id} in {self.path}")
            text, dismissed, peer, *before = found
            stored = body_listing(text)
            # the content digest is only needed against a dismissal
            kept = screen_flags(json.loads(dismissed), content_digest(stored), checked).flags if dismissed else checked
            body = body_json(stored.model_copy(update={"flags": kept})).decode()
            member = self._peer_of(stored, kept)  # a placeholder flag set or cleared moves it
            new_peer = member_json(member)
            # digest NULL: the next crawl of this listing rewrites it even if unchanged
            self._db.execute(
                "UPDATE listings SET doc = ?, risk = ?, flagged = ?, kinds = ?, digest = NULL, peer = ?, peer_key = ?"
                " WHERE platform = ? AND listing_id = ?",
                (body, risk_of(flag.score for flag in kept), int(bool(kept)), kinds_mask(kept), new_peer,
                 None if member is None else member.key, platform, listing_id),
            )  # fmt: skip
            key = (platform, listing_id)
            self._write_flags([key], [(*key, f.kind, f.rule_id, f.score) for f in kept])
            after = list(before)
            after[COUNTED.index("flagged")], after[COUNTED.index("kinds")] = int(bool(kept)), kinds_mask(kept)
            counts = Deltas()
            counts.add(before, -1)
            counts.add(after, 1)
            counts.write(self._db)
            if new_peer != peer:
                self._invalidate_groups(_moved_groups(peer, member))

        self._transaction(f"replace_flags {platform}:{listing_id}", work)

    def apply_review(
        self,
        platform: str,
        listing_id: str,
        status: str,
        *,
        by: str,
        note: str | None = None,
        at: datetime | None = None,
    ) -> ReviewEntry:
        """Set the review status and append its audit entry, in one transaction."""
        check_review(platform, listing_id, status, by, note)
        when = iso_ms(at or utcnow())

        def work() -> ReviewEntry:
            found = self._db.execute(
                f"SELECT review_status, doc, {COUNTED_COLUMNS} FROM listings WHERE platform = ? AND listing_id = ?",
                (platform, listing_id),
            ).fetchone()
            if found is None:
                raise StoreError(f"no listing {platform}:{listing_id} in {self.path}")
            from_status, doc, *before = found
            dismissed = None
            if status == "dismissed":
                stored = body_listing(doc)
                dismissed = dismissal_record(content_digest(stored), stored.flags)
            review = _dumps({"status": status, "by": by, "at": when, "note": note})
            # digest NULL: the next crawl re-screens the listing against its (new) dismissal
            self._db.execute(
                "UPDATE listings SET review_status = ?, review_at = ?, dismissed = ?, digest = NULL, review = ?"
                " WHERE platform = ? AND listing_id = ?",
                (status, when, None if dismissed is None else _dumps(dismissed), review, platform, listing_id),
            )
            after = list(before)
            after[_STATUS_AT], after[_REVIEWED_AT] = status, when
            counts = Deltas()
            counts.add(before, -1)
            counts.add(after, 1)
            counts.write(self._db)
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
        if (
            unless_present
            and self._db.execute(
                "SELECT 1 FROM crawl_runs WHERE spider = ? AND started_at IS ? AND doc = ?",
                (doc["spider"], stored["started_at"], text),
            ).fetchone()
        ):
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
            f"SELECT {DOC_COLUMNS} FROM listings WHERE platform = ? AND listing_id = ?",
            (platform, listing_id),
        )
        return Listing.model_validate_json(document(*rows[0])) if rows else None

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
        indexed_text = False
        if query.text is not None and (needle := search_needle(query.text)):
            if flagged and len(needle) >= TRIGRAM:
                # the text index holds every flagged listing's search text as trigrams: the needle as one
                # phrase of its trigrams matches exactly the texts that contain it
                where.append("l.id IN (SELECT rowid FROM listings_fts WHERE listings_fts MATCH ?)")
                params.append(fts_phrase(needle))
                indexed_text = True
            else:
                where.append("l.search LIKE ? ESCAPE '\\'")
                params.append(_like_pattern(needle))
        source = "listings l"
        if flagged and query.seller is None and query.province is None and query.rule_id is None and not indexed_text:
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
        order += ", l.platform, l.listing_id"
        # the page's ids first (sorted and skipped on index entries and row keys), then their documents: the
        # sorter and OFFSET never carry the documents of rows that are not shown
        sql = (
            f"SELECT {_L_DOC_COLUMNS} FROM listings l WHERE l.id IN (SELECT l.id FROM {source} WHERE {where}"
            f" ORDER BY {order} LIMIT ? OFFSET ?) ORDER BY {order}"
        )
        rows = self._select("query_flagged", sql, (*params, query.limit, query.offset))
        return [Listing.model_validate_json(document(*row)) for row in rows]

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

    def peer_groups(self, keys: Collection[str]) -> dict[str, PeerGroup]:
        """The summaries of these peer keys (only groups with members): cached ones as stored, the
        others summarised from their members and cached (:func:`crawler.store.sqlite_peers.lookup`)."""
        wanted = check_keys(keys)
        with self._lock:
            try:
                return lookup(self._db, wanted, BUSY_TIMEOUT_MS)
            except sqlite3.Error as exc:
                raise self._fail("peer_groups", exc) from exc

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
            head = f"SELECT id, {DOC_COLUMNS}{extra} FROM listings WHERE id > ?"
            if platform is None:
                sql, params = f"{head} ORDER BY id LIMIT ?", (last_id,)
            else:
                sql, params = f"{head} AND platform = ? ORDER BY id LIMIT ?", (last_id, platform)
            rows = self._select("iter_listings", sql, (*params, batch_size))
            width = 1 + _DOC_WIDTH
            for row in rows:
                last_id = row[0]
                yield (last_id, document(*row[1:width]), *row[width:])
            if len(rows) < batch_size:
                return

    def recent_crawl_runs(
        self, spider: str | None = None, limit: int = 20, *, job: str | None = None,
        since: datetime | None = None, failed: bool | None = None, run_id: str | None = None,
    ) -> list[dict[str, Any]]:
        """The latest runs, newest first (filters: see :mod:`crawler.store.runs`; job, failed and run_id
        are read from the record's JSON)."""
        query = run_query(spider, limit, job=job, since=since, failed=failed, run_id=run_id)
        where: list[str] = []
        params: list[Any] = []
        if query.spider is not None:
            where.append("spider = ?")
            params.append(query.spider)
        if query.since is not None:
            where.append("started_at >= ?")
            params.append(iso_ms(query.since))
        for name in ("job", "run_id"):
            if getattr(query, name) is not None:
                where.append(f"json_extract(doc, '$.{name}') = ?")
                params.append(getattr(query, name))
        if query.failed is not None:
            failing = (
                "(COALESCE(json_extract(doc, '$.status'), '') = 'failed' OR (json_extract(doc, '$.status') IS NULL"
                " AND COALESCE(json_array_length(doc, '$.stats.\"exit/causes\"'), 0) > 0))"
            )
            where.append(failing if query.failed else f"NOT {failing}")
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        sql = f"SELECT doc FROM crawl_runs{clause} ORDER BY started_at DESC, id DESC LIMIT ?"
        rows = self._select("recent_crawl_runs", sql, (*params, query.limit))
        return [self._run_from_text(text) for (text,) in rows]

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
                f"SELECT platform, listing_id, dismissed, {DOC_COLUMNS} FROM listings"
                " WHERE (platform, listing_id) > (?, ?) ORDER BY platform, listing_id LIMIT 1000",
                last,
            )
            for platform, listing_id, dismissed, *columns in rows:
                exported = Listing.model_validate_json(document(*columns)).to_document()
                if dismissed:
                    exported["_dismissed"] = json.loads(dismissed)
                yield "listings", exported
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
        moved: list[str] = []
        current: dict[str, str | None] = {}  # the peer column of listings this batch wrote
        for number, item in enumerate(batch, first):
            try:
                collection, doc = item
                if collection == "listings":
                    doc = dict(doc)
                    dismissed = doc.pop("_dismissed", None)
                    row = self._document_row(doc, doc.get("last_seen"), dismissed)
                    listing_key = f"{row[0]}:{row[1]}"
                    found = self._db.execute(f"SELECT peer, {COUNTED_COLUMNS} FROM listings WHERE platform = ?"
                                             " AND listing_id = ?", row[:2]).fetchone()  # fmt: skip
                    old = current[listing_key] if listing_key in current else (found[0] if found else None)
                    self._db.execute(_IMPORT, row)
                    deltas = Deltas()
                    deltas.add(None if found is None else found[1:], -1)
                    deltas.add(_ROW_COUNTED(row), 1)
                    deltas.write(self._db)
                    new = current[listing_key] = row[LISTING_COLUMNS.index("peer")]
                    if new != old:
                        moved.extend(_moved_groups(old, member_from_json(new)))
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
        if moved:
            self._invalidate_groups(moved)

    def close(self) -> None:
        """Stop the background checkpoints and close the connection (idempotent)."""
        with self._lock:
            if self._checkpointer is not None:
                self._checkpointer.close()
            self._db.close()

    def __repr__(self) -> str:
        return f"SQLiteStore({self.path!r})"
