"""The production backend: MongoDB through pymongo.

One document per listing in ``listings`` (unique index on (platform, listing_id)), the review log
in ``reviews`` (unique index on ``seq``), crawl runs in ``crawl_runs``; every index a query needs
is created at open. Upserts read the batch's stored documents with one ``$in`` query per platform,
merge them (``crawler.store.documents.merge``), screen dismissed listings
(``crawler.store.derived.screen_flags``) and write with one unordered ``bulk_write`` of
whole-document replaces. Each write of an existing document is guarded by the revision token it
was read with (``_rev``), so a concurrent change (say, an inspector's review) is never
overwritten: the listing is re-read and merged again. Transient network errors are retried with
backoff; an unreachable server is a StoreError naming the host after ``serverSelectionTimeoutMS``
(5 s unless the URI says otherwise).

Peer summaries (:mod:`crawler.store.peers`, :mod:`crawler.store.mongo_peers`): each listing document
carries its peer membership (``_pk``, ``_pm``), written with it; after a write, every group a written
listing left or joined, or whose price it changed, has its ``peer_groups`` document marked stale (one
bulk write per batch). An unchanged re-crawl changes no membership and marks nothing.
``peer_groups(keys)`` summarises stale groups from their members and caches them unless a write
marked them again meanwhile.

Reviews: the listing is rewritten first (guarded by ``_rev``), then the audit entry is appended
with the next ``seq`` (the unique index makes concurrent reviewers take turns). Without a replica
set there are no multi-document transactions, so a crash between the two writes would leave a
decision without its entry (the reverse, an entry without its decision, cannot happen).

Only operations that both MongoDB and the nx-27017 test server handle correctly are used:
nx-27017 stores a datetime given to ``$set`` as text and a ``$push``-ed document as JSON text,
answers ``{"flags.kind": {"$exists": true}}`` wrongly, and inside aggregation pipelines
mis-compares dates, ignores other keys beside a top-level ``$or``, cannot match array elements and
cannot group on compound keys: so writes replace whole documents, flag filters use ``$elemMatch``
and a numeric ``_f`` field, and pipelines work on derived single fields (``crawler.store.mongo_fields``).
"""

from __future__ import annotations

import copy
import logging
import re
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from bson import ObjectId
from pydantic import ValidationError
from pymongo import ASCENDING, DESCENDING, MongoClient, ReplaceOne
from pymongo.errors import AutoReconnect, BulkWriteError, ConfigurationError, DuplicateKeyError, PyMongoError

from crawler.items import KINDS, Flag, Listing, PeerGroup, utcnow
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
    REOPEN_NOTE,
    SYSTEM,
    dismissal_record,
    fold_key,
    screen_flags,
    search_needle,
)
from crawler.store.documents import (
    Prior,
    check_listing,
    content_json,
    convert_datetimes,
    crawl_run_document,
    fill_partials,
    iso_ms,
    merge,
    normalize_listing,
    risk_of,
    to_listing,
    to_utc_ms,
)
from crawler.store.mongo_aggregates import rebuild, write_deltas
from crawler.store.mongo_fields import (
    INTERNAL_FIELDS,
    TRIGRAM,
    content_fields,
    epoch_ms,
    needle_grams,
    peer_fields,
    state_fields,
    stored_member,
)
from crawler.store.mongo_peers import invalidate, lookup
from crawler.store.mongo_reports import MongoReports
from crawler.store.peers import check_keys, member_of, member_of_document
from crawler.store.reviews import check_review, entry_document, entry_from_document, new_entry
from crawler.store.runs import run_query
from crawler.store.uri import hosts_of, redact_uri, scrub

logger = logging.getLogger(__name__)

DEFAULT_DATABASE = "listing_monitor"
DEFAULT_SERVER_TIMEOUT_MS = 5000
_CHUNK = 1000
_CONFLICT_ROUNDS = 5
_DUPLICATE_KEY = 11000
_ENTRY_FIELDS = ("seq", "platform", "listing_id", "action", "from_status", "to_status", "by", "at", "note",
                 "prev_hash", "hash")  # fmt: skip
_INTERNAL = dict.fromkeys(INTERNAL_FIELDS, 0)  # a projection without the internal fields
_NO_INTERNAL = {"_id": 0, **_INTERNAL}
T = TypeVar("T")

Key = tuple[str, str]


def bson_document(listing: Listing) -> dict[str, Any]:
    """The listing's fields as BSON-ready values, datetimes aware UTC (ms)."""
    return convert_datetimes(listing.model_dump(mode="python"), to_utc_ms)


def _key_filter(key: Key) -> dict[str, str]:
    return {"platform": key[0], "listing_id": key[1]}


class MongoStore(MongoReports, Store):
    """:class:`Store` on MongoDB (or any server speaking its wire protocol)."""

    def __init__(self, uri: str, *, retries: int = 3, backoff: float = 0.2) -> None:
        self._uri = uri
        self.hosts = hosts_of(uri)
        self.retries = retries
        self.backoff = backoff
        options: dict[str, Any] = {"tz_aware": True, "tzinfo": UTC, "appname": "listing-monitor"}
        if "serverselectiontimeoutms" not in uri.lower():
            options["serverSelectionTimeoutMS"] = DEFAULT_SERVER_TIMEOUT_MS
        try:
            self._client: MongoClient[dict[str, Any]] = MongoClient(uri, **options)
            self._db = self._client.get_default_database(default=DEFAULT_DATABASE)
        except (ConfigurationError, PyMongoError, ValueError, TypeError) as exc:
            raise StoreError(f"bad MongoDB URI {redact_uri(uri)}: {scrub(str(exc), uri)}") from exc
        self.database = self._db.name
        self.listings = self._db["listings"]
        self.runs = self._db["crawl_runs"]
        self.reviews = self._db["reviews"]
        self.peers = self._db["peer_groups"]
        try:
            self._client.admin.command("ping")
            self._create_indexes()
        except PyMongoError as exc:
            self._client.close()
            raise StoreError(f"cannot reach MongoDB at {self.hosts}: {scrub(str(exc), uri)}") from exc

    def _create_indexes(self) -> None:
        self.listings.create_index([("platform", ASCENDING), ("listing_id", ASCENDING)], unique=True)
        self.listings.create_index([("risk", DESCENDING), ("last_seen", DESCENDING)])
        self.listings.create_index([("last_seen", DESCENDING), ("risk", DESCENDING)])
        self.listings.create_index([("flags.kind", ASCENDING)])
        self.listings.create_index([("review.status", ASCENDING)])
        self.listings.create_index([("seller.platform_id", ASCENDING)])
        self.listings.create_index([("_f", ASCENDING), ("risk", DESCENDING), ("last_seen", DESCENDING)])
        self.listings.create_index([("_f", ASCENDING), ("last_seen", DESCENDING), ("risk", DESCENDING)])
        for field in ("flags.rule_id", "seller.name", "_province", "_seller", "_seller_fold", "_seen_ms",
                      "_review_ms", "source", "_pk", "_grams"):  # fmt: skip
            self.listings.create_index([(field, ASCENDING)])
        self._db["sellers"].create_index([("key", ASCENDING)])
        self._db["seller_platforms"].create_index([("fold", ASCENDING)])
        self._count_everything_once()
        self.reviews.create_index([("seq", ASCENDING)], unique=True)
        self.reviews.create_index([("platform", ASCENDING), ("listing_id", ASCENDING), ("seq", ASCENDING)])
        self.runs.create_index([("spider", ASCENDING), ("started_at", DESCENDING)])
        self.runs.create_index([("started_at", DESCENDING)])

    # -- helpers ---------------------------------------------------------------------------------

    def _call(self, what: str, operation: Callable[[], T]) -> T:
        """Run ``operation``, retrying transient network errors; any failure becomes StoreError."""
        for attempt in range(self.retries + 1):
            try:
                return operation()
            except AutoReconnect as exc:  # includes NetworkTimeout and server selection timeouts
                if attempt == self.retries:
                    raise StoreError(
                        f"MongoDB at {self.hosts}: {what} failed after {attempt + 1} attempts: "
                        f"{scrub(str(exc), self._uri)}"
                    ) from exc
                time.sleep(self.backoff * 2**attempt)
            except BulkWriteError:
                raise
            except PyMongoError as exc:
                raise StoreError(f"MongoDB at {self.hosts}: {what} failed: {scrub(str(exc), self._uri)}") from exc
        raise AssertionError("unreachable")

    def _read_docs(self, keys: Sequence[Key]) -> dict[Key, dict[str, Any]]:
        by_platform: dict[str, list[str]] = {}
        for platform, listing_id in keys:
            ids = by_platform.setdefault(platform, [])
            if listing_id not in ids:
                ids.append(listing_id)
        found: dict[Key, dict[str, Any]] = {}
        for platform, ids in by_platform.items():
            for start in range(0, len(ids), _CHUNK):
                spec = {"platform": platform, "listing_id": {"$in": ids[start : start + _CHUNK]}}
                docs = self._call("read listings", lambda spec=spec: list(self.listings.find(spec)))
                for doc in docs:
                    found[(doc["platform"], doc["listing_id"])] = doc
        return found

    def _write(self, what: str, ops: list[ReplaceOne[dict[str, Any]]]) -> tuple[int, dict[int, str]]:
        """Apply ``ops`` unordered; (matched + upserted, {op index: error} for failed ops)."""
        try:
            result = self._call(what, lambda: self.listings.bulk_write(ops, ordered=False))
            return result.matched_count + result.upserted_count, {}
        except BulkWriteError as exc:
            details = exc.details or {}
            failed = {
                int(error.get("index", -1)): (
                    "duplicate" if error.get("code") == _DUPLICATE_KEY else str(error.get("errmsg"))
                )
                for error in details.get("writeErrors", [])
            }
            return int(details.get("nMatched", 0)) + int(details.get("nUpserted", 0)), failed

    def _count(self, changes: list[tuple[dict[str, Any] | None, dict[str, Any] | None]]) -> None:
        """Apply written listings' changes to the maintained seller counts (:mod:`crawler.store.mongo_aggregates`)."""
        if changes:
            write_deltas(self._call, self._db, changes)

    def _count_everything_once(self) -> None:
        """Count every stored listing into the seller aggregates, once per database (a store written before them)."""
        meta = self._db["store_meta"]
        if self._call("read store meta", lambda: meta.find_one({"_id": "aggregates"})) is not None:
            return
        docs = self._call("read listings", lambda: list(self.listings.find({}, {"_id": 0})))
        rebuild(self._call, self._db, docs)
        self._call("write store meta", lambda: meta.replace_one({"_id": "aggregates"}, {"version": 1}, upsert=True))

    def _invalidate_groups(self, keys: Iterable[str]) -> None:
        """Mark the summaries of groups whose members changed stale (after the listings were written)."""
        invalidate(self._call, self.peers, keys)

    # -- writes ----------------------------------------------------------------------------------

    def upsert_listings(self, listings: Sequence[Listing], *, seen_at: datetime | None = None) -> UpsertResult:
        """Upsert a batch: one read per platform, one unordered bulk write (see the module doc)."""
        result = UpsertResult()
        seen = to_utc_ms(seen_at or utcnow())
        listings = fill_partials(listings, self._stored_listings)
        pending: list[tuple[Listing, str]] = []
        for index, listing in enumerate(listings):
            if not isinstance(listing, Listing):
                raise TypeError(f"upsert_listings: item {index} is a {type(listing).__name__}, not a Listing")
            try:
                check_listing(listing)
                normal = normalize_listing(listing)
                pending.append((normal, content_json(normal)[1]))
            except ValueError as exc:
                result.rejected += 1
                result.errors.append(f"{listing.key}: {exc}")
        for _round in range(_CONFLICT_ROUNDS):
            if not pending:
                return result
            pending = self._upsert_round(pending, seen, result)
        raise StoreError(
            f"MongoDB at {self.hosts}: {len(pending)} listings kept changing under concurrent writers "
            f"(e.g. {pending[0][0].key}); not written"
        )

    def _stored_listings(self, keys: list[Key]) -> dict[Key, Listing]:
        """The stored listings among ``keys`` (what partial listings merge over)."""
        return {key: to_listing(doc) for key, doc in self._read_docs(keys).items()}

    @staticmethod
    def _prior(doc: dict[str, Any] | None) -> Prior | None:
        if doc is None:
            return None
        history = doc.get("price_history")
        return Prior(
            doc.get("first_seen"),
            doc.get("review"),
            history if isinstance(history, list) else [],
            doc.get("evidence"),
            doc.get("_digest"),
        )

    def _upsert_round(
        self, pending: list[tuple[Listing, str]], seen: datetime, result: UpsertResult
    ) -> list[tuple[Listing, str]]:
        """Merge and write ``pending``; count what was written; return the listings to retry."""
        keys = [(listing.platform, listing.listing_id) for listing, _ in pending]
        stored = self._read_docs(keys)
        state = dict(stored)
        statuses: list[str] = []
        final: dict[Key, dict[str, Any]] = {}
        reopened: dict[Key, str] = {}
        moved: dict[Key, set[str]] = {}
        for key, (listing, digest) in zip(keys, pending, strict=True):
            doc = bson_document(listing)
            derived = content_fields(listing)
            before = state.get(key)
            screened = screen_flags(before.get("_dismissed") if before else None, derived["_content"], listing.flags)
            old_member = stored_member(before) if before is not None else None
            new_member = member_of(listing, screened.flags)
            if old_member != new_member:  # the groups it left and joined (a key twice in a batch: both times)
                moved.setdefault(key, set()).update(m.key for m in (old_member, new_member) if m is not None)
            if len(screened.flags) != len(listing.flags):
                doc["flags"] = [flag.model_dump(mode="python") for flag in screened.flags]
            merged = merge(
                self._prior(before),
                price=listing.price,
                history=doc["price_history"],
                evidence=doc.get("evidence"),
                digest=digest,
                seen=seen,
            )
            statuses.append(merged.status)
            doc.update(
                first_seen=merged.first_seen,
                last_seen=seen,
                price_history=merged.price_history,
                risk=risk_of(flag.score for flag in screened.flags),
                _digest=digest,
                **derived,
                **peer_fields(new_member),
            )
            if merged.review is not None:
                doc["review"] = merged.review
            if merged.evidence is not None:
                doc["evidence"] = merged.evidence
            if screened.dismissed is not None:
                doc["_dismissed"] = screened.dismissed
            if screened.reopen:
                reopened[key] = (doc.get("review") or {}).get("status") or "new"
                doc["review"] = {"status": "new", "by": SYSTEM, "at": seen, "note": REOPEN_NOTE}
            doc.update(state_fields(doc))
            state[key] = final[key] = doc
        order = list(final)
        ops = []
        for key in order:
            doc = final[key]
            doc["_rev"] = str(ObjectId())
            before = stored.get(key)
            if before is None:
                ops.append(ReplaceOne(_key_filter(key), doc, upsert=True))
            else:
                ops.append(ReplaceOne({**_key_filter(key), "_rev": before.get("_rev")}, doc))
        written, failed = self._write(f"upsert of {len(ops)} listings", ops)
        retry: set[Key] = set()
        for index, error in failed.items():
            key = order[index] if 0 <= index < len(order) else None
            if key is None:
                continue
            if error == "duplicate":
                retry.add(key)
            else:
                final.pop(key)
                result.errors.append(f"{key[0]}:{key[1]}: {error}")
        if written < len(ops) - len(failed):
            now = self._read_docs(order)
            retry.update(
                key
                for key in order
                if key in final and key not in retry and now.get(key, {}).get("_rev") != final[key]["_rev"]
            )
        again = []
        for key, item, status in zip(keys, pending, statuses, strict=True):
            if key in retry:
                again.append(item)
            elif key not in final:
                result.rejected += 1
            else:
                setattr(result, status, getattr(result, status) + 1)
        entries = [
            (*key, from_status, "new", SYSTEM, seen, REOPEN_NOTE)
            for key, from_status in reopened.items()
            if key in final and key not in retry
        ]
        if entries:
            self._append_entries(entries)
        self._count([(stored.get(key), final[key]) for key in order if key in final and key not in retry])
        affected = {group for key, groups in moved.items() if key in final and key not in retry for group in groups}
        if affected:
            self._invalidate_groups(affected)
        return again

    def _rewrite(self, what: str, key: Key, change: Callable[[dict[str, Any]], T]) -> T:
        """Read one listing, let ``change`` edit its document, write it back guarded by its revision."""
        for _round in range(_CONFLICT_ROUNDS):
            doc = self._read_docs([key]).get(key)
            if doc is None:
                raise StoreError(f"no listing {key[0]}:{key[1]} in MongoDB at {self.hosts}")
            rev = doc.get("_rev")
            doc.pop("_id", None)
            if doc.get("_content") is None:  # written before the store derived it
                doc.update(content_fields(to_listing(doc)))
            old_member = stored_member(doc)
            before = copy.deepcopy(doc)
            value = change(doc)
            new_member = member_of_document(doc)
            # _digest None: the next crawl of this listing rewrites it even if unchanged
            doc.update(_rev=str(ObjectId()), _digest=None, **state_fields(doc), **peer_fields(new_member))
            written, failed = self._write(what, [ReplaceOne({**_key_filter(key), "_rev": rev}, doc)])
            if failed:
                raise StoreError(f"MongoDB at {self.hosts}: {what}: {failed}")
            if written:
                self._count([(before, doc)])
                if old_member != new_member:
                    self._invalidate_groups(member.key for member in (old_member, new_member) if member is not None)
                return value
        raise StoreError(f"MongoDB at {self.hosts}: {key[0]}:{key[1]} kept changing; {what} not written")

    def replace_flags(self, platform: str, listing_id: str, flags: list[Flag]) -> None:
        """Set the listing's flags and risk (dismissed rules screened); StoreError when absent."""
        check_key(platform, listing_id)
        checked = [Flag.model_validate(flag) for flag in flags]

        def change(doc: dict[str, Any]) -> None:
            kept = screen_flags(doc.get("_dismissed"), doc["_content"], checked).flags
            doc.update(flags=[flag.model_dump(mode="python") for flag in kept], risk=risk_of(f.score for f in kept))

        self._rewrite(f"replace_flags {platform}:{listing_id}", (platform, listing_id), change)

    def apply_review(
        self, platform: str, listing_id: str, status: str, *, by: str, note: str | None = None,
        at: datetime | None = None,
    ) -> ReviewEntry:
        """Set the review status, then append its audit entry (see the module doc on atomicity)."""
        check_review(platform, listing_id, status, by, note)
        when = to_utc_ms(at or utcnow())

        def change(doc: dict[str, Any]) -> str:
            from_status = (doc.get("review") or {}).get("status") or "new"
            doc["review"] = {"status": status, "by": by, "at": when, "note": note}
            if status == "dismissed":
                doc["_dismissed"] = dismissal_record(doc["_content"], doc.get("flags") or [])
            else:
                doc.pop("_dismissed", None)
            return from_status

        from_status = self._rewrite(f"apply_review {platform}:{listing_id}", (platform, listing_id), change)
        return self._append_entries([(platform, listing_id, from_status, status, by, when, note)])[0]

    def _append_entries(self, specs: list[tuple[str, str, str, str, str, datetime, str | None]]) -> list[ReviewEntry]:
        """Append audit entries after the chain's head; a unique ``seq`` index serialises writers."""
        entries = []
        for platform, listing_id, from_status, to_status, by, at, note in specs:
            for _attempt in range(20):
                head = self._call(
                    "read the review log",
                    lambda: self.reviews.find_one({}, {"seq": 1, "hash": 1}, sort=[("seq", DESCENDING)]),
                )
                seq, prev = (int(head["seq"]), head["hash"]) if head else (0, None)
                entry = new_entry(seq + 1, prev, platform, listing_id, from_status, to_status, by, at, note)
                if self._insert_entry(entry):
                    entries.append(entry)
                    break
            else:
                raise StoreError(f"MongoDB at {self.hosts}: the review log kept changing; entry not written")
        return entries

    def _insert_entry(self, entry: ReviewEntry) -> bool:
        """Insert one entry; False when its ``seq`` is taken (another writer got there first)."""
        doc = {name: getattr(entry, name) for name in _ENTRY_FIELDS}

        def insert() -> bool:
            try:
                self.reviews.insert_one(doc)
            except DuplicateKeyError:
                return False
            return True

        return self._call("append to the review log", insert)

    def record_crawl_run(self, run: dict[str, Any]) -> None:
        """Append one crawl run."""
        doc = crawl_run_document(run)
        self._call(f"record_crawl_run {doc['spider']}", lambda: self.runs.insert_one(doc))

    # -- reads -----------------------------------------------------------------------------------

    def get_listing(self, platform: str, listing_id: str) -> Listing | None:
        """The stored listing, or None."""
        check_key(platform, listing_id)
        spec = _key_filter((platform, listing_id))
        doc = self._call("get_listing", lambda: self.listings.find_one(spec, _NO_INTERNAL))
        return None if doc is None else to_listing(doc)

    @staticmethod
    def _spec(query: FlagQuery) -> dict[str, Any]:
        """The find/count filter of a validated query (values only ever compared, never interpreted)."""
        spec: dict[str, Any] = {}
        if query.flagged_only or query.kind is not None or query.rule_id is not None:
            spec["_f"] = 1
        flag: dict[str, str] = {}
        if query.kind is not None:
            flag["kind"] = query.kind
        if query.rule_id is not None:
            flag["rule_id"] = query.rule_id
        if flag:
            spec["flags"] = {"$elemMatch": flag}
        for field, value in (("platform", query.platform), ("review.status", query.status),
                             ("source", query.source)):  # fmt: skip
            if value is not None:
                spec[field] = value
        if query.min_risk is not None:
            spec["risk"] = {"$gte": float(query.min_risk)}
        if query.province is not None:
            spec["_province"] = fold_key(query.province) or "\x00"
        seen: dict[str, int] = {}
        if query.since is not None:
            seen["$gte"] = epoch_ms(to_utc_ms(query.since))  # type: ignore[assignment]
        if query.until is not None:
            seen["$lt"] = epoch_ms(to_utc_ms(query.until))  # type: ignore[assignment]
        if seen:
            spec["_seen_ms"] = seen
        if query.text is not None and (needle := search_needle(query.text)):
            if spec.get("_f") == 1 and len(needle) >= TRIGRAM:  # flagged listings carry their text's trigrams
                spec["_grams"] = {"$all": needle_grams(needle)}
            spec["_search"] = {"$regex": re.escape(needle)}
        if query.seller is not None:
            either = {"$or": [{"seller.platform_id": query.seller}, {"seller.name": query.seller}]}
            spec = {"$and": [spec, either]} if spec else either
        return spec

    def query_flagged(self, query: FlagQuery) -> list[Listing]:
        """Listings matching ``query`` (flagged ones unless ``flagged_only`` is false), sorted and paged."""
        query.validate()
        if query.limit == 0:
            return []
        spec = self._spec(query)
        first, second = ("risk", "last_seen") if query.sort == "risk" else ("last_seen", "risk")
        sort = [(first, DESCENDING), (second, DESCENDING), ("platform", ASCENDING), ("listing_id", ASCENDING)]

        def run() -> list[dict[str, Any]]:
            cursor = self.listings.find(spec, _NO_INTERNAL).sort(sort).skip(query.offset).limit(query.limit)
            return list(cursor)

        return [to_listing(doc) for doc in self._call("query_flagged", run)]

    def count_flagged(self, query: FlagQuery) -> int:
        """How many listings match ``query``'s filters."""
        query.validate()
        spec = self._spec(query)
        return self._call("count_flagged", lambda: self.listings.count_documents(spec))

    def count_listings(self, platform: str | None = None) -> int:
        """How many listings are stored (on one platform when given)."""
        if platform is not None and not isinstance(platform, str):
            raise InvalidQuery(f"platform must be text, got {platform!r}")
        spec = {} if platform is None else {"platform": platform}
        return self._call("count_listings", lambda: self.listings.count_documents(spec))

    def count_flagged_by_kind(self) -> dict[str, int]:
        """kind → number of listings with a flag of that kind (every kind present)."""
        return {
            kind: self._call(
                "count_flagged_by_kind",
                lambda kind=kind: self.listings.count_documents({"flags": {"$elemMatch": {"kind": kind}}}),
            )
            for kind in KINDS
        }

    def peer_groups(self, keys: Collection[str]) -> dict[str, PeerGroup]:
        """The summaries of these peer keys (only groups with members): fresh ones as stored, stale ones
        summarised from their members and cached (:func:`crawler.store.mongo_peers.lookup`)."""
        return lookup(self._call, self.peers, self.listings, check_keys(keys))

    def iter_listings(self, platform: str | None = None, batch_size: int = 1000) -> Iterator[Listing]:
        """Every stored listing in ``_id`` order, read ``batch_size`` at a time (no long-lived cursor)."""
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise InvalidQuery(f"batch_size must be a positive integer, got {batch_size!r}")
        if platform is not None and not isinstance(platform, str):
            raise InvalidQuery(f"platform must be text, got {platform!r}")
        last_id = None
        while True:
            spec: dict[str, Any] = {} if platform is None else {"platform": platform}
            if last_id is not None:
                spec["_id"] = {"$gt": last_id}

            def read(spec: dict[str, Any] = spec) -> list[dict[str, Any]]:
                return list(self.listings.find(spec, _INTERNAL).sort("_id", ASCENDING).limit(batch_size))

            docs = self._call("iter_listings", read)
            for doc in docs:
                last_id = doc["_id"]
                yield to_listing(doc)
            if len(docs) < batch_size:
                return

    def recent_crawl_runs(
        self, spider: str | None = None, limit: int = 20, *, job: str | None = None,
        since: datetime | None = None, failed: bool | None = None, run_id: str | None = None,
    ) -> list[dict[str, Any]]:
        """The latest runs, newest first (filters: see :mod:`crawler.store.runs`)."""
        query = run_query(spider, limit, job=job, since=since, failed=failed, run_id=run_id)
        if query.limit == 0:
            return []
        spec: dict[str, Any] = {}
        for name in ("spider", "job", "run_id"):
            if getattr(query, name) is not None:
                spec[name] = getattr(query, name)
        if query.since is not None:
            spec["started_at"] = {"$gte": query.since}
        if query.failed is not None:  # records older than `status` are judged by their causes, here
            ok_or_old = [{"status": "ok"}, {"status": None}]
            either = {"$or": [{"status": "failed"}, {"status": None}] if query.failed else ok_or_old}
            spec = {"$and": [spec, either]} if spec else either
        sort = [("started_at", DESCENDING), ("_id", DESCENDING)]

        def read() -> list[dict[str, Any]]:
            found: list[dict[str, Any]] = []
            for run in self.runs.find(spec, {"_id": 0}).sort(sort):
                if query.failed_matches(run):
                    found.append(run)
                    if len(found) >= query.limit:
                        break
            return found

        return self._call("recent_crawl_runs", read)

    # -- the review log --------------------------------------------------------------------------

    def _entries(self, spec: dict[str, Any], limit: int = 0) -> list[ReviewEntry]:
        def read() -> list[dict[str, Any]]:
            cursor = self.reviews.find(spec, {"_id": 0}).sort("seq", ASCENDING)
            return list(cursor.limit(limit) if limit else cursor)

        return [entry_from_document(doc) for doc in self._call("read the review log", read)]

    def review_history(self, platform: str, listing_id: str) -> list[ReviewEntry]:
        """The listing's audit entries, oldest first."""
        check_key(platform, listing_id)
        return self._entries(_key_filter((platform, listing_id)))

    def iter_audit(self) -> Iterator[ReviewEntry]:
        """The whole audit log by ``seq``, read 1000 entries at a time."""
        spec: dict[str, Any] = {}
        while True:
            batch = self._entries(spec, 1000)
            yield from batch
            if len(batch) < 1000:
                return
            spec = {"seq": {"$gt": batch[-1].seq}}

    # -- migration -------------------------------------------------------------------------------

    def export_documents(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """Listings (by platform, id; with their dismissal as ``_dismissed``), reviews by seq, runs."""
        spec: dict[str, Any] = {}
        sort = [("platform", ASCENDING), ("listing_id", ASCENDING)]
        while True:
            docs = self._call("export listings", lambda s=spec: list(self.listings.find(s).sort(sort).limit(1000)))
            for doc in docs:
                document = to_listing(doc).to_document()
                if doc.get("_dismissed"):
                    document["_dismissed"] = doc["_dismissed"]
                yield "listings", document
            if len(docs) < 1000:
                break
            platform, listing_id = docs[-1]["platform"], docs[-1]["listing_id"]
            spec = {"$or": [{"platform": {"$gt": platform}}, {"platform": platform, "listing_id": {"$gt": listing_id}}]}
        for entry in self.iter_audit():
            yield "reviews", entry_document(entry)
        runs = self._call("export crawl runs", lambda: list(self.runs.find({}).sort([("started_at", ASCENDING),
                                                                                         ("_id", ASCENDING)])))
        for run in runs:
            run.pop("_id", None)
            yield "crawl_runs", _json_run(run)

    def import_documents(self, items: Iterable[tuple[str, dict[str, Any]]]) -> dict[str, int]:
        """Write exported documents as they are; re-importing changes nothing (see the base class)."""
        counts = {"listings": 0, "reviews": 0, "crawl_runs": 0, "skipped": 0, "rejected": 0}
        docs: list[dict[str, Any]] = []
        for number, item in enumerate(items, 1):
            try:
                collection, doc = item
                if collection == "listings":
                    docs.append(self._import_listing(doc))
                    if len(docs) >= 500:
                        self._import_flush(docs, counts)
                        docs = []
                    continue
                if collection == "reviews":
                    written = self._import_entry(entry_from_document(doc), number)
                elif collection == "crawl_runs":
                    written = self._import_run(crawl_run_document(doc))
                else:
                    raise InvalidQuery(f"unknown collection {collection!r}")
                counts[collection if written else "skipped"] += 1
            except (ValidationError, InvalidQuery, ValueError, TypeError) as exc:
                counts["rejected"] += 1
                logger.error("import item %d rejected: %s", number, str(exc).splitlines()[0])
        self._import_flush(docs, counts)
        return counts

    @staticmethod
    def _import_listing(doc: dict[str, Any]) -> dict[str, Any]:
        """An exported listing document as it is to be stored (with its internal fields)."""
        doc = dict(doc)
        dismissed = doc.pop("_dismissed", None)
        listing = normalize_listing(Listing.model_validate(doc))
        check_listing(listing)
        stored = bson_document(listing)
        stored.update(content_fields(listing), **peer_fields(member_of(listing)), _digest=None, _rev=str(ObjectId()))
        if dismissed:
            stored["_dismissed"] = dismissed
        stored.update(state_fields(stored))
        return stored

    def _import_flush(self, docs: list[dict[str, Any]], counts: dict[str, int]) -> None:
        """Write imported listing documents as they are; mark the peer groups they changed stale."""
        if not docs:
            return
        keys = [(doc["platform"], doc["listing_id"]) for doc in docs]
        stored = self._read_docs(keys)
        before = {key: stored_member(doc) for key, doc in stored.items()}
        ops = [ReplaceOne(_key_filter(key), doc, upsert=True) for key, doc in zip(keys, docs, strict=True)]
        written, failed = self._write(f"import of {len(ops)} listings", ops)
        latest = {key: doc for index, (key, doc) in enumerate(zip(keys, docs, strict=True)) if index not in failed}
        self._count([(stored.get(key), doc) for key, doc in latest.items()])
        counts["listings"] += written
        counts["rejected"] += len(failed)
        affected = {member.key for member in before.values() if member is not None}
        affected.update(doc["_pk"] for doc in docs if doc["_pk"])
        if affected:
            self._invalidate_groups(affected)

    def _import_entry(self, entry: ReviewEntry, number: int) -> bool:
        if self._insert_entry(entry):
            return True
        found = self._call("read the review log", lambda: self.reviews.find_one({"seq": entry.seq}))
        if found is None or found.get("hash") != entry.hash:
            raise StoreError(
                f"import item {number}: this store already has a different audit entry {entry.seq}; "
                "migrate into an empty store"
            )
        return False

    def _import_run(self, doc: dict[str, Any]) -> bool:
        same = self._call("read crawl runs", lambda: list(self.runs.find({"spider": doc["spider"]}, {"_id": 0})))
        if any(run == doc for run in same):
            return False
        self._call(f"import crawl run {doc['spider']}", lambda: self.runs.insert_one(dict(doc)))
        return True

    def close(self) -> None:
        """Close the client (idempotent)."""
        self._client.close()

    def __repr__(self) -> str:
        return f"MongoStore({redact_uri(self._uri)!r}, database={self.database!r})"


def _json_run(run: dict[str, Any]) -> dict[str, Any]:
    """A stored crawl run with its datetimes as ISO text (exports are JSON-safe)."""
    return {key: iso_ms(value) if isinstance(value, datetime) else value for key, value in run.items()}
