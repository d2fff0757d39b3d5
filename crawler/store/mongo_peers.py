"""The MongoDB store's peer summaries: memberships on the listing documents, summaries in a cache.

Each listing document carries its membership (:class:`crawler.store.peers.Member`) as it was last
written: ``_pk`` (the group's key, indexed) and ``_pm`` (``[seller, label, price]``; see
:mod:`crawler.store.mongo_fields`). ``peer_groups`` holds one document per group (``_id`` = the key):
a summary (``key``, ``listings``, ``sellers``, ``median``, ``mad``, ``sample``), or a summary gone
stale (its ``stale`` field set to a token). A write that changes memberships marks the groups they
left or joined stale *after* writing the listings (:func:`invalidate`: one unordered bulk of upserts
per batch, ``{"$set": {"stale": token}}``, a fresh token each call); nothing is summarised on the
write path.

:func:`lookup` answers ``peer_groups(keys)``: fresh summaries as stored; a stale group is summarised
from its members (one ``_pk $in`` query for all of them) and written back only if its document
still holds the token it was read with (a replace filtered on ``stale``; a group left without
members is deleted the same way). A write that lands after the members were read has marked the
group with its own token, so the replace matches nothing and the group stays stale: a summary is
never cached past a write. A group of at most ``MEMBERS_LIMIT`` listings is cached and answered with
its members (:mod:`crawler.store.peers`: ``members``, ``[[listing key, seller, label, price], …]``,
null for a larger group; a summary cached without the field is given them by one ``_pk $in`` query). A key
without a document has never had a member (or its first member's write has not marked it yet): no
group. Documents written by the version of the store that recomputed every group on each write have
no ``stale`` field and are read as fresh (they were).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from bson import ObjectId
from pymongo import DeleteOne, ReplaceOne, UpdateOne
from pymongo.collection import Collection
from pymongo.errors import BulkWriteError

from crawler.items import PeerGroup
from crawler.store.base import StoreError
from crawler.store.peers import MEMBERS_LIMIT, member_list, summarise

CHUNK = 1000
"""Keys per ``$in``."""
_DUPLICATE_KEY = 11000
T = TypeVar("T")
Call = Callable[[str, Callable[[], T]], T]
"""The store's ``_call(what, operation)``: retries transient errors, raises StoreError."""
Docs = Collection[dict[str, Any]]


def _bulk(call: Call[Any], peers: Docs, what: str, ops: list[Any], *, retry_duplicates: bool = False) -> None:
    """One unordered bulk write on ``peers``; a failed operation is a StoreError. ``retry_duplicates``: a
    duplicate key (two writers upserting one new group: the loser matches it the second time) is tried again."""

    def run() -> None:
        for attempt in range(2):
            try:
                peers.bulk_write(ops, ordered=False)
                return
            except BulkWriteError as exc:
                errors = (exc.details or {}).get("writeErrors", [])
                if retry_duplicates and not attempt and all(e.get("code") == _DUPLICATE_KEY for e in errors):
                    continue
                first = errors[0].get("errmsg") if errors else exc
                raise StoreError(f"MongoDB: {what} failed: {first}") from exc

    call(what, run)


def invalidate(call: Call[Any], peers: Docs, keys: Iterable[str]) -> None:
    """Mark these groups' summaries stale (after their members were written)."""
    wanted = sorted(set(keys))
    if not wanted:
        return
    token = str(ObjectId())
    ops = [UpdateOne({"_id": key}, {"$set": {"stale": token}}, upsert=True) for key in wanted]
    _bulk(call, peers, "mark peer groups stale", ops, retry_duplicates=True)


def _group(doc: dict[str, Any]) -> PeerGroup:
    group = PeerGroup(key=doc["key"], listings=doc["listings"], sellers=doc["sellers"], median=doc.get("median"),
                      mad=doc.get("mad"), sample=[tuple(peer) for peer in doc.get("sample") or []])  # fmt: skip
    members = doc.get("members")
    if members is None:
        return group
    return group.model_copy(update={"members": [(key, seller, label, int(price))
                                                for key, seller, label, price in members]})  # fmt: skip


def _read_members(call: Call[Any], listings: Docs, keys: list[str]) -> dict[str, dict[str, Any]]:
    """Each group's members (listing key → ``[seller, label, price]``), one ``_pk $in`` query per 1000 keys."""
    members: dict[str, dict[str, Any]] = {key: {} for key in keys}
    projection = {"_id": 0, "platform": 1, "listing_id": 1, "_pk": 1, "_pm": 1}
    for start in range(0, len(keys), CHUNK):
        spec = {"_pk": {"$in": keys[start : start + CHUNK]}}
        for doc in call("read peer members", lambda spec=spec: list(listings.find(spec, projection))):
            pm = doc.get("_pm")
            group = members.get(doc.get("_pk"))  # type: ignore[arg-type]
            if group is not None and isinstance(pm, list) and len(pm) == 3:
                group[f"{doc['platform']}:{doc['listing_id']}"] = pm
    return members


def summarise_members(call: Call[Any], listings: Docs, keys: list[str]) -> dict[str, PeerGroup | None]:
    """Each group's summary from its members (None: it has none), one ``_pk $in`` query per 1000 keys."""
    return {key: summarise(key, found) for key, found in _read_members(call, listings, keys).items()}


def _add_members(call: Call[Any], listings: Docs, found: dict[str, PeerGroup], small: list[str]) -> None:
    """Give these stored summaries (cached without members by an older version) their members."""
    if small:
        members = _read_members(call, listings, small)
        for key in small:
            found[key] = found[key].model_copy(update={"members": member_list(members[key])})


def lookup(call: Call[Any], peers: Docs, listings: Docs, keys: list[str]) -> dict[str, PeerGroup]:
    """The summaries of ``keys`` (distinct; only groups with members), in their order (see the module doc)."""
    found: dict[str, PeerGroup] = {}
    stale: dict[str, str] = {}  # key -> the token its document held
    without: list[str] = []  # small groups cached without their members (by an older version)
    for start in range(0, len(keys), CHUNK):
        spec = {"_id": {"$in": keys[start : start + CHUNK]}}
        for doc in call("peer_groups", lambda spec=spec: list(peers.find(spec))):
            if doc.get("stale"):
                stale[doc["_id"]] = doc["stale"]
            elif doc.get("listings"):
                found[doc["_id"]] = _group(doc)
                if "members" not in doc and doc["listings"] <= MEMBERS_LIMIT:
                    without.append(doc["_id"])
    _add_members(call, listings, found, without)
    if stale:
        ops: list[Any] = []
        for key, group in summarise_members(call, listings, list(stale)).items():
            held = {"_id": key, "stale": stale[key]}
            if group is None:
                ops.append(DeleteOne(held))
            else:
                found[key] = group
                stored = group.model_dump(mode="python")
                stored["sample"] = [list(peer) for peer in group.sample]
                stored["members"] = None if group.members is None else [list(member) for member in group.members]
                ops.append(ReplaceOne(held, {"_id": key, **stored}))
        _bulk(call, peers, "cache peer groups", ops)
    return {key: found[key] for key in keys if key in found}
