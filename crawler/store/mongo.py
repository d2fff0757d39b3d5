"""The production backend: MongoDB through pymongo.

One document per listing in ``listings`` (unique index on (platform, listing_id)), crawl runs in
``crawl_runs``; every index a query needs is created at open. Upserts read the batch's stored
documents with one ``$in`` query per platform, merge them (``crawler.store.documents.merge``) and
write with one unordered ``bulk_write`` of whole-document replaces. Each write of an existing
document is guarded by the revision token it was read with (``_rev``), so a concurrent change
(say, an inspector's review) is never overwritten: the listing is re-read and merged again.
Transient network errors are retried with backoff; an unreachable server is a StoreError naming
the host after ``serverSelectionTimeoutMS`` (5 s unless the URI says otherwise).

Only operations that both MongoDB and the nx-27017 test server handle correctly are used:
nx-27017 stores a datetime given to ``$set`` as text and a ``$push``-ed document as JSON text,
and answers ``{"flags.kind": {"$exists": true}}`` wrongly, so writes replace whole documents and
flag filters use ``$elemMatch``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, MongoClient, ReplaceOne
from pymongo.errors import AutoReconnect, BulkWriteError, ConfigurationError, PyMongoError

from crawler.items import KINDS, Flag, Listing, utcnow
from crawler.store.base import FlagQuery, InvalidQuery, Store, StoreError, UpsertResult, check_key
from crawler.store.documents import (
    Prior,
    check_listing,
    content_json,
    convert_datetimes,
    crawl_run_document,
    merge,
    normalize_listing,
    risk_of,
    to_listing,
    to_utc_ms,
)
from crawler.store.uri import hosts_of, redact_uri, scrub

DEFAULT_DATABASE = "listing_monitor"
DEFAULT_SERVER_TIMEOUT_MS = 5000
_CHUNK = 1000
_CONFLICT_ROUNDS = 5
_DUPLICATE_KEY = 11000
T = TypeVar("T")

Key = tuple[str, str]


def bson_document(listing: Listing) -> dict[str, Any]:
    """The listing's fields as BSON-ready values, datetimes aware UTC (ms)."""
    return convert_datetimes(listing.model_dump(mode="python"), to_utc_ms)


def _key_filter(key: Key) -> dict[str, str]:
    return {"platform": key[0], "listing_id": key[1]}


class MongoStore(Store):
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

    # -- writes ----------------------------------------------------------------------------------

    def upsert_listings(self, listings: Sequence[Listing], *, seen_at: datetime | None = None) -> UpsertResult:
        """Upsert a batch: one read per platform, one unordered bulk write (see the module doc)."""
        result = UpsertResult()
        seen = to_utc_ms(seen_at or utcnow())
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
        for key, (listing, digest) in zip(keys, pending, strict=True):
            doc = bson_document(listing)
            before = state.get(key)
            merged = merge(
                self._prior(before),
                price=listing.price,
                history=doc["price_history"],
                has_evidence=listing.evidence is not None,
                digest=digest,
                seen=seen,
            )
            statuses.append(merged.status)
            doc.update(
                first_seen=merged.first_seen,
                last_seen=seen,
                price_history=merged.price_history,
                risk=risk_of(flag.score for flag in listing.flags),
                _digest=digest,
            )
            if merged.review is not None:
                doc["review"] = merged.review
            if merged.evidence is not None:
                doc["evidence"] = merged.evidence
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
        return again

    def replace_flags(self, platform: str, listing_id: str, flags: list[Flag]) -> None:
        """Set the listing's flags and risk; StoreError when no such listing is stored."""
        check_key(platform, listing_id)
        flag_docs = [Flag.model_validate(flag).model_dump(mode="python") for flag in flags]
        key = (platform, listing_id)
        for _round in range(_CONFLICT_ROUNDS):
            doc = self._read_docs([key]).get(key)
            if doc is None:
                raise StoreError(f"no listing {platform}:{listing_id} in MongoDB at {self.hosts}")
            rev = doc.get("_rev")
            doc.pop("_id", None)
            # _digest None: the next crawl of this listing rewrites it even if unchanged
            doc.update(flags=flag_docs, risk=risk_of(f["score"] for f in flag_docs), _rev=str(ObjectId()),
                       _digest=None)  # fmt: skip
            op = ReplaceOne({**_key_filter(key), "_rev": rev}, doc)
            written, failed = self._write(f"replace_flags {platform}:{listing_id}", [op])
            if failed:
                raise StoreError(f"MongoDB at {self.hosts}: replace_flags {platform}:{listing_id}: {failed}")
            if written:
                return
        raise StoreError(f"MongoDB at {self.hosts}: {platform}:{listing_id} kept changing; flags not written")

    def record_crawl_run(self, run: dict[str, Any]) -> None:
        """Append one crawl run."""
        doc = crawl_run_document(run)
        self._call(f"record_crawl_run {doc['spider']}", lambda: self.runs.insert_one(doc))

    # -- reads -----------------------------------------------------------------------------------

    def get_listing(self, platform: str, listing_id: str) -> Listing | None:
        """The stored listing, or None."""
        check_key(platform, listing_id)
        doc = self._call("get_listing", lambda: self.listings.find_one(_key_filter((platform, listing_id)), {"_id": 0}))
        return None if doc is None else to_listing(doc)

    def query_flagged(self, query: FlagQuery) -> list[Listing]:
        """Flagged listings matching ``query``, sorted and paged."""
        query.validate()
        if query.limit == 0:
            return []
        flag = {"kind": query.kind} if query.kind is not None else {"kind": {"$exists": True}}
        spec: dict[str, Any] = {"flags": {"$elemMatch": flag}}
        if query.platform is not None:
            spec["platform"] = query.platform
        if query.min_risk is not None:
            spec["risk"] = {"$gte": float(query.min_risk)}
        if query.status is not None:
            spec["review.status"] = query.status
        first, second = ("risk", "last_seen") if query.sort == "risk" else ("last_seen", "risk")
        sort = [(first, DESCENDING), (second, DESCENDING), ("platform", ASCENDING), ("listing_id", ASCENDING)]

        def run() -> list[dict[str, Any]]:
            cursor = self.listings.find(spec, {"_id": 0}).sort(sort).skip(query.offset).limit(query.limit)
            return list(cursor)

        return [to_listing(doc) for doc in self._call("query_flagged", run)]

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
                return list(self.listings.find(spec).sort("_id", ASCENDING).limit(batch_size))

            docs = self._call("iter_listings", read)
            for doc in docs:
                last_id = doc["_id"]
                yield to_listing(doc)
            if len(docs) < batch_size:
                return

    def recent_crawl_runs(self, spider: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
        """The latest runs, newest first."""
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
            raise InvalidQuery(f"limit must be a non-negative integer, got {limit!r}")
        if limit == 0:
            return []
        if spider is not None and not isinstance(spider, str):
            raise InvalidQuery(f"spider must be text, got {spider!r}")
        spec = {} if spider is None else {"spider": spider}
        sort = [("started_at", DESCENDING), ("_id", DESCENDING)]
        return self._call("recent_crawl_runs", lambda: list(self.runs.find(spec, {"_id": 0}).sort(sort).limit(limit)))

    def close(self) -> None:
        """Close the client (idempotent)."""
        self._client.close()

    def __repr__(self) -> str:
        return f"MongoStore({redact_uri(self._uri)!r}, database={self.database!r})"
