"""The MongoDB store's maintained seller aggregates (DESIGN's ``sellers`` collection; issue 18).

``sellers`` holds one document per seller key and the seller fields its listings show (platform id,
name, folded name, province), ``_id`` the JSON of those five: the counts of its listings (``listings``,
``flagged``, ``confirmed``, ``k0`` … one per kind of ``crawler.items.KINDS``) and ``last`` (epoch ms),
the latest ``last_seen`` written, which only moves forward, as SQLite's. ``seller_platforms`` counts
the listings per folded shop name and platform (``_id`` fold TAB platform). After every listing write
that succeeded, :func:`write_deltas` applies what it changed (the stored document before, the written
one after) as ``$inc``/``$max`` upserts, one unordered bulk per collection, and deletes rows counted
down to zero. Without multi-document transactions a crash between the two writes leaves the counts
behind by that batch (as the review log's entry, see :mod:`crawler.store.mongo`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from pymongo import DeleteMany, UpdateOne
from pymongo.collection import Collection

from crawler.items import KINDS

T = TypeVar("T")
Doc = dict[str, Any]
Call = Callable[[str, Callable[[], T]], T]


def _part(doc: Doc | None) -> tuple[str, Doc, Doc, Any] | None:
    """(group id, group fields, counts, last seen ms) of a stored listing document; None without a seller key."""
    if doc is None or not doc.get("_seller"):
        return None
    seller = doc.get("seller") or {}
    fields = {
        "key": doc["_seller"], "seller_id": seller.get("platform_id"), "name": seller.get("name"),
        "fold": doc.get("_seller_fold"), "province": seller.get("province"), "platform": doc.get("platform"),
    }  # fmt: skip
    group = json.dumps([fields[name] for name in ("key", "seller_id", "name", "fold", "province")], ensure_ascii=False)
    kinds = set(doc.get("_kinds") or ())
    counts = {"listings": 1, "flagged": int(doc.get("_f") or 0), "confirmed": int(doc.get("_c") or 0)}
    counts.update({f"k{index}": int(kind in kinds) for index, kind in enumerate(KINDS)})
    return group, fields, counts, doc.get("_seen_ms")


def write_deltas(call: Call[Any], db: Any, changes: Iterable[tuple[Doc | None, Doc | None]]) -> None:
    """Apply (before, after) listing documents to ``sellers`` and ``seller_platforms`` (see the module doc)."""
    incs: dict[str, Doc] = {}
    sets: dict[str, Doc] = {}
    lasts: dict[str, Any] = {}
    folds: dict[str, int] = {}
    fold_fields: dict[str, Doc] = {}
    for before, after in changes:
        for doc, sign in ((before, -1), (after, 1)):
            part = _part(doc)
            if part is not None:
                group, fields, counts, last = part
                inc = incs.setdefault(group, {})
                for name, value in counts.items():
                    inc[name] = inc.get(name, 0) + sign * value
                if sign == 1:
                    sets[group] = fields
                    if last is not None and (lasts.get(group) is None or last > lasts[group]):
                        lasts[group] = last
            if doc is not None and doc.get("_seller_fold"):
                fold_id = f"{doc['_seller_fold']}\t{doc.get('platform')}"
                folds[fold_id] = folds.get(fold_id, 0) + sign
                fold_fields[fold_id] = {"fold": doc["_seller_fold"], "platform": doc.get("platform")}
    ops: list[Any] = []
    for group, inc in incs.items():
        update: Doc = {"$inc": inc}
        if group in sets:
            update["$set"] = sets[group]
        if group in lasts:
            update["$max"] = {"last": lasts[group]}
        if any(inc.values()) or len(update) > 1:
            ops.append(UpdateOne({"_id": group}, update, upsert=True))
    if ops:
        ops.append(DeleteMany({"_id": {"$in": list(incs)}, "listings": {"$lte": 0}}))
        sellers: Collection[Doc] = db["sellers"]
        call("update seller counts", lambda: sellers.bulk_write(ops, ordered=True))
    fold_ops: list[Any] = [
        UpdateOne({"_id": fold_id}, {"$inc": {"listings": n}, "$set": fold_fields[fold_id]}, upsert=True)
        for fold_id, n in folds.items()
        if n
    ]
    if fold_ops:
        fold_ops.append(DeleteMany({"_id": {"$in": list(folds)}, "listings": {"$lte": 0}}))
        platforms: Collection[Doc] = db["seller_platforms"]
        call("update seller platforms", lambda: platforms.bulk_write(fold_ops, ordered=True))


def rebuild(call: Call[Any], db: Any, docs: Iterable[Doc]) -> None:
    """Empty both collections and count ``docs`` (every stored listing) afresh."""
    call("clear seller counts", lambda: db["sellers"].delete_many({}))
    call("clear seller platforms", lambda: db["seller_platforms"].delete_many({}))
    batch: list[tuple[Doc | None, Doc | None]] = []
    for doc in docs:
        batch.append((None, doc))
        if len(batch) >= 1000:
            write_deltas(call, db, batch)
            batch = []
    write_deltas(call, db, batch)
