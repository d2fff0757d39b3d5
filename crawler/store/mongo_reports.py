"""Seller aggregates, seller links and report figures for the MongoDB store, as aggregation pipelines.

A mixin of :class:`crawler.store.mongo.MongoStore` (it uses its ``listings`` collection and
``_call``). The pipelines group on single fields the store derives on every write
(``crawler.store.mongo_fields``) and use only stages both MongoDB and the nx-27017 test server
run correctly: ``$match`` (``$or`` only inside ``$and``, numbers rather than dates), ``$unwind``,
``$project`` with ``$concat``, ``$group`` on one field with ``$sum``/``$max``, ``$sort``,
``$skip``, ``$limit``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any, TypeVar

from pymongo import ASCENDING
from pymongo.collection import Collection

from crawler.items import KINDS
from crawler.store.base import UNKNOWN, ReportData, SellerSummary
from crawler.store.derived import fold_weeks
from crawler.store.links import seller_links
from crawler.store.mongo_fields import epoch_ms
from crawler.store.sqlite_reports import check_paging, check_period

T = TypeVar("T")
_LINK_FIELDS = {"_id": 1, "_seller": 1, "title": 1, "description": 1, "seller": 1, "images": 1, "url": 1}


def _and(*parts: dict[str, Any]) -> dict[str, Any]:
    kept = [part for part in parts if part]
    if not kept:
        return {}
    return kept[0] if len(kept) == 1 else {"$and": kept}


def _from_ms(value: Any) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(int(value) / 1000, tz=UTC)


class MongoReports:
    """Sellers and reports over the ``listings`` collection."""

    listings: Collection[dict[str, Any]]
    _db: Any

    def _call(self, what: str, operation: Callable[[], T]) -> T:
        raise NotImplementedError

    def _aggregate(self, what: str, pipeline: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return self._call(what, lambda: list(self.listings.aggregate(pipeline)))

    def seller_summaries(
        self, *, min_confirmed: int = 0, min_flagged: int = 0, limit: int = 50, offset: int = 0
    ) -> list[SellerSummary]:
        """Per-seller aggregates, most confirmed then most flagged (then most listings) first: one ``$group``
        over the maintained ``sellers`` collection (:mod:`crawler.store.mongo_aggregates`), about one
        document per seller, never the listings."""
        check_paging(min_confirmed=min_confirmed, min_flagged=min_flagged, limit=limit, offset=offset)
        if limit == 0:
            return []
        kinds = {f"k{index}": {"$sum": f"$k{index}"} for index in range(len(KINDS))}
        groups = self._call("seller_summaries", lambda: list(self._db["sellers"].aggregate([
            {"$group": {
                "_id": "$key", "platform": {"$max": "$platform"}, "seller_id": {"$max": "$seller_id"},
                "name": {"$max": "$name"}, "province": {"$max": "$province"}, "fold": {"$max": "$fold"},
                "n": {"$sum": "$listings"}, "f": {"$sum": "$flagged"}, "c": {"$sum": "$confirmed"},
                "last": {"$max": "$last"}, **kinds,
            }},
            {"$match": {"c": {"$gte": min_confirmed}, "f": {"$gte": min_flagged}}},
            {"$sort": {"c": -1, "f": -1, "n": -1, "_id": 1}},
            {"$skip": offset},
            {"$limit": limit},
        ])))  # fmt: skip
        folds = sorted({group["fold"] for group in groups if group.get("fold")})
        platforms: dict[str, set[str]] = {}
        if folds:
            spec = {"fold": {"$in": folds}, "listings": {"$gte": 1}}
            for row in self._call("seller platforms", lambda: list(self._db["seller_platforms"].find(spec))):
                platforms.setdefault(row["fold"], set()).add(row["platform"])
        return [
            SellerSummary(
                platform=group["platform"], seller_id=group.get("seller_id"), name=group.get("name"),
                province=group.get("province"), listings=int(group["n"]), flagged=int(group["f"]),
                confirmed=int(group["c"]), kinds={kind: int(group[f"k{i}"]) for i, kind in enumerate(KINDS)},
                platforms=sorted(platforms.get(group.get("fold") or "", {group["platform"]})),
                last_seen=_from_ms(group.get("last")),
            )
            for group in groups
        ]

    def seller_summaries_from_rows(
        self, *, min_confirmed: int = 0, min_flagged: int = 0, limit: int = 50, offset: int = 0
    ) -> list[SellerSummary]:
        """:meth:`seller_summaries` recomputed from every listing (aggregation over ``listings``): what the
        maintained ``sellers`` collection must give."""
        check_paging(min_confirmed=min_confirmed, min_flagged=min_flagged, limit=limit, offset=offset)
        return self._sellers({}, min_confirmed, min_flagged, limit, offset)

    def _sellers(
        self, match: dict[str, Any], min_confirmed: int, min_flagged: int, limit: int, offset: int
    ) -> list[SellerSummary]:
        if limit == 0:
            return []
        groups = self._aggregate("seller_summaries", [
            {"$match": _and({"_seller": {"$ne": None}}, match)},
            {"$group": {
                "_id": "$_seller", "platform": {"$max": "$platform"}, "seller_id": {"$max": "$seller.platform_id"},
                "name": {"$max": "$seller.name"}, "province": {"$max": "$seller.province"},
                "fold": {"$max": "$_seller_fold"}, "n": {"$sum": 1}, "f": {"$sum": "$_f"}, "c": {"$sum": "$_c"},
                "last": {"$max": "$_seen_ms"},
            }},
            {"$match": {"c": {"$gte": min_confirmed}, "f": {"$gte": min_flagged}}},
            {"$sort": {"c": -1, "f": -1, "n": -1, "_id": 1}},
            {"$skip": offset},
            {"$limit": limit},
        ])  # fmt: skip
        keys = [group["_id"] for group in groups]
        kinds: dict[str, dict[str, int]] = {key: dict.fromkeys(KINDS, 0) for key in keys}
        if keys:
            for row in self._aggregate("seller kinds", [
                {"$match": _and({"_seller": {"$in": keys}}, {"_f": 1}, match)},
                {"$unwind": "$_kinds"},
                {"$project": {"k": {"$concat": ["$_seller", "|", "$_kinds"]}}},
                {"$group": {"_id": "$k", "n": {"$sum": 1}}},
            ]):  # fmt: skip
                key, _, kind = str(row["_id"]).rpartition("|")
                if key in kinds:
                    kinds[key][kind] = int(row["n"])
        folds = sorted({group["fold"] for group in groups if group.get("fold")})
        platforms: dict[str, set[str]] = {}
        if folds:
            for row in self._aggregate("seller platforms", [
                {"$match": {"_seller_fold": {"$in": folds}}},
                {"$project": {"k": {"$concat": ["$_seller_fold", "\t", "$platform"]}}},
                {"$group": {"_id": "$k"}},
            ]):  # fmt: skip
                fold, _, platform = str(row["_id"]).partition("\t")
                platforms.setdefault(fold, set()).add(platform)
        summaries = []
        for group in groups:
            summary = SellerSummary(
                platform=group["platform"], seller_id=group.get("seller_id"), name=group.get("name"),
                province=group.get("province"), listings=int(group["n"]), flagged=int(group["f"]),
                confirmed=int(group["c"]), kinds=kinds[group["_id"]],
                platforms=sorted(platforms.get(group.get("fold") or "", {group["platform"]})),
                last_seen=_from_ms(group.get("last")),
            )  # fmt: skip
            summaries.append(summary)
        return summaries

    def iter_seller_links(self) -> Iterator[tuple[str, str, str]]:
        """(seller_key, link_type, value), each once, sellers in insertion order."""
        seen: set[tuple[str, str, str]] = set()
        spec: dict[str, Any] = {"_seller": {"$ne": None}}
        while True:
            docs = self._call(
                "iter_seller_links",
                lambda s=spec: list(self.listings.find(s, _LINK_FIELDS).sort("_id", ASCENDING).limit(1000)),
            )
            for doc in docs:
                for link_type, value in sorted(seller_links(doc)):
                    link = (doc["_seller"], link_type, value)
                    if link not in seen:
                        seen.add(link)
                        yield link
            if len(docs) < 1000:
                return
            spec = {"_seller": {"$ne": None}, "_id": {"$gt": docs[-1]["_id"]}}

    def report_data(self, start: datetime, end: datetime) -> ReportData:
        """Figures for [start, end) by aggregation pipelines over the period's report set."""
        check_period(start, end)
        lo, hi = epoch_ms(start), epoch_ms(end)
        in_period = {"$or": [{"_seen_ms": {"$gte": lo, "$lt": hi}}, {"_review_ms": {"$gte": lo, "$lt": hi}}]}
        report_set = _and({"_p": 1}, in_period)
        flagged_set = _and({"_f": 1}, {"_p": 1}, in_period)

        def grouped(field: str) -> dict[str, int]:
            group = {"$group": {"_id": f"${field}", "n": {"$sum": 1}}}
            rows = self._aggregate("report", [{"$match": report_set}, group])
            counts = {UNKNOWN if row["_id"] is None else str(row["_id"]): int(row["n"]) for row in rows}
            return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))

        by_kind = dict.fromkeys(KINDS, 0)
        for row in self._aggregate("report", [
            {"$match": flagged_set}, {"$unwind": "$_kinds"}, {"$group": {"_id": "$_kinds", "n": {"$sum": 1}}},
        ]):  # fmt: skip
            by_kind[row["_id"]] = int(row["n"])
        by_status = dict.fromkeys(("new", "confirmed", "dismissed", "referred"), 0)
        by_status.update(grouped("review.status"))
        days = self._aggregate("report", [
            {"$match": {"_f": 1, "_seen_ms": {"$gte": lo, "$lt": hi}}},
            {"$unwind": "$_kinds"},
            {"$project": {"k": {"$concat": ["$_day", "|", "$_kinds"]}}},
            {"$group": {"_id": "$k", "n": {"$sum": 1}}},
        ])  # fmt: skip
        day_counts = [(*str(row["_id"]).split("|", 1), int(row["n"])) for row in days]
        flagged = self._call("report", lambda: self.listings.count_documents(flagged_set))
        seen = self._call("report", lambda: self.listings.count_documents({"_seen_ms": {"$gte": lo, "$lt": hi}}))
        return ReportData(
            start=start, end=end, by_kind=by_kind, by_platform=grouped("platform"),
            by_province=grouped("seller.province"), by_category=grouped("category"), by_status=by_status,
            by_week=fold_weeks(start, end, day_counts),  # type: ignore[arg-type]
            top_sellers=self._sellers(report_set, 0, 1, 10, 0), listings_seen=seen, flagged=flagged,
        )  # fmt: skip
