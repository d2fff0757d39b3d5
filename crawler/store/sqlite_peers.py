"""The SQLite store's peer summaries: memberships on the listing rows, summaries in a cache table.

Each listing row carries its membership (:class:`crawler.store.peers.Member`) as it was last
written: ``peer_key`` (indexed: ``listings_peer``) and ``peer``, the membership's four fields packed
(:func:`member_json`; the key repeats ``peer_key`` so that a row's membership reads back from one
column). A write that changes memberships deletes the ``peer_groups`` rows of the groups they left
or joined (:func:`invalidate`, one statement per 500 keys in the write's transaction); nothing is
summarised on the write path. :func:`lookup` answers ``peer_groups(keys)``: the cached rows of the
keys that have one, the others summarised from their members found by ``peer_key`` (one indexed
query for all of them) and cached. A group of at most ``MEMBERS_LIMIT`` listings is cached and answered
with its members (:mod:`crawler.store.peers`; the ``members`` column, packed as the ``peer`` column is:
reading them from the listing rows made a cached look-up five times slower).

A summary is cached only when no other connection committed since its members were read: the
members and the cache rows are read in one (deferred) transaction, which is then upgraded to a write
without waiting (``busy_timeout`` 0). SQLite refuses that upgrade when another connection wrote in
between (``SQLITE_BUSY_SNAPSHOT``) or holds the write lock; the answer then stands (it is that
snapshot's) and is not cached, so a cached row never misses a write whose invalidation it outlived.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from typing import Any

from crawler.items import PeerGroup
from crawler.store.peers import Member, member_of_document, summarise

CHUNK = 500
"""Keys per ``IN (...)``: well under SQLite's variable limit."""
_FIELD = "\x1f"
_PACKED = "p"
"""The first character of a packed ``peer`` value (else it is JSON, see :func:`_pack`)."""
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _chunks(items: list[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _pack(fields: list[Any]) -> str:
    """Fields (text and prices) as one string: ``p`` and the fields, each after a unit separator (U+001F);
    JSON (``[…]``) when a text holds the separator itself. Splitting is many times cheaper than JSON."""
    packed = _FIELD.join([_PACKED, *map(str, fields)])
    return packed if packed.count(_FIELD) == len(fields) else _dumps(fields)


def _unpack(text: str) -> list[Any]:
    """:func:`_pack`'s fields (prices as text when packed, as numbers when JSON)."""
    return text.split(_FIELD)[1:] if text[0] == _PACKED else json.loads(text)


def member_json(member: Member | None) -> str | None:
    """The ``peer`` column of a listing whose membership is ``member`` (NULL: in no group)."""
    return None if member is None else _pack(list(member))


def member_from_json(text: str | None) -> Member | None:
    """The membership a ``peer`` column holds (None for NULL)."""
    if text is None:
        return None
    key, seller, label, price = _unpack(text)
    return Member(key, seller, label, int(price))


def invalidate(db: sqlite3.Connection, keys: Iterable[str]) -> None:
    """Forget the cached summaries of these groups (in the caller's write transaction)."""
    for chunk in _chunks(sorted(set(keys))):
        db.execute(f"DELETE FROM peer_groups WHERE key IN ({','.join('?' * len(chunk))})", chunk)


def members_text(members: list[tuple[str, str, str, int]] | None) -> str | None:
    """The ``members`` column of a cached group (NULL: a group above ``MEMBERS_LIMIT`` listings)."""
    return None if members is None else _pack([field for member in members for field in member])


def members_from_text(text: str | None) -> list[tuple[str, str, str, int]] | None:
    """The members a ``members`` column holds (:func:`members_text`)."""
    if text is None:
        return None
    fields = _unpack(text)
    return [(fields[i], fields[i + 1], fields[i + 2], int(fields[i + 3])) for i in range(0, len(fields), 4)]


def _cached(db: sqlite3.Connection, keys: list[str]) -> dict[str, PeerGroup]:
    found: dict[str, PeerGroup] = {}
    for chunk in _chunks(keys):
        marks = ",".join("?" * len(chunk))
        sql = f"SELECT key, listings, sellers, median, mad, sample, members FROM peer_groups WHERE key IN ({marks})"
        for key, listings, sellers, median, mad, sample, members in db.execute(sql, chunk).fetchall():
            group = PeerGroup(key=key, listings=listings, sellers=sellers, median=median, mad=mad,
                              sample=[tuple(peer) for peer in json.loads(sample)])  # fmt: skip
            found[key] = group.model_copy(update={"members": members_from_text(members)}) if members else group
    return found


def _read_members(db: sqlite3.Connection, keys: list[str]) -> dict[str, dict[str, list[Any]]]:
    """These groups' members (listing key → ``[seller, label, price]``) by ``peer_key``, one indexed
    query per :data:`CHUNK` keys; groups without members left out."""
    members: dict[str, dict[str, list[Any]]] = {}
    for chunk in _chunks(keys):
        sql = f"SELECT platform, listing_id, peer FROM listings WHERE peer_key IN ({','.join('?' * len(chunk))})"
        for platform, listing_id, peer in db.execute(sql, chunk).fetchall():
            key, seller, label, price = _unpack(peer)
            group = members.get(key)
            if group is None:
                group = members[key] = {}
            group[f"{platform}:{listing_id}"] = [seller, label, int(price)]
    return members


def summarise_members(db: sqlite3.Connection, keys: list[str]) -> dict[str, PeerGroup]:
    """The summaries of these groups from their members (keys without members left out)."""
    groups = {key: summarise(key, found) for key, found in _read_members(db, keys).items()}
    return {key: group for key, group in groups.items() if group is not None}


def _store(db: sqlite3.Connection, groups: dict[str, PeerGroup]) -> None:
    db.executemany(
        "INSERT OR REPLACE INTO peer_groups (key, listings, sellers, median, mad, sample, members)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(g.key, g.listings, g.sellers, g.median, g.mad, _dumps(g.sample), members_text(g.members))
         for g in groups.values()],
    )


def lookup(db: sqlite3.Connection, keys: list[str], busy_timeout_ms: int) -> dict[str, PeerGroup]:
    """The summaries of ``keys`` (distinct; only groups with members), in their order: cached or
    summarised from their members and cached (see the module doc). ``db`` is in autocommit mode, not
    in a transaction; ``busy_timeout_ms`` is its busy timeout, restored after the cache write.
    Raises ``sqlite3.Error`` from the reads."""
    if not keys:
        return {}
    db.execute("BEGIN")
    try:
        found = _cached(db, keys)
        missing = [key for key in keys if key not in found]
        computed = summarise_members(db, missing) if missing else {}
    except BaseException:
        db.execute("ROLLBACK")
        raise
    if computed:
        db.execute("PRAGMA busy_timeout = 0")
        try:
            _store(db, computed)
            db.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            db.execute("ROLLBACK")
            if exc.sqlite_errorcode & 0xFF not in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                raise
            # another connection wrote since the read, or is writing: the answer stands, not cached
        finally:
            db.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    else:
        db.execute("COMMIT")
    found.update(computed)
    return {key: found[key] for key in keys if key in found}


def fill_peers(db: sqlite3.Connection, version: int) -> None:
    """The ``peer`` and ``peer_key`` columns of a file of an older ``version`` (in the upgrade's
    transaction): from the stored peer column (version 5), else from the documents that have a peer key."""
    rows: list[tuple[str | None, str | None, int]] = []
    if version == 5:
        for row_id, peer in db.execute("SELECT id, peer FROM listings WHERE peer IS NOT NULL").fetchall():
            member = member_from_json(peer)
            rows.append((member_json(member), None if member is None else member.key, row_id))
    else:
        found = db.execute(
            "SELECT id, doc FROM listings WHERE json_extract(doc, '$.peer_key') IS NOT NULL ORDER BY id"
        ).fetchall()
        for row_id, doc in found:
            member = member_of_document(json.loads(doc))
            rows.append((member_json(member), None if member is None else member.key, row_id))
    db.executemany("UPDATE listings SET peer = ?, peer_key = ? WHERE id = ?", rows)
