"""Seller aggregates, seller links and report figures for the SQLite store, in SQL ``GROUP BY``.

A mixin of :class:`crawler.store.sqlite.SQLiteStore` (it uses its ``_select`` and ``_iter_docs``).
The "report set" of a period is the listings flagged or reviewed (status other than new) whose
``last_seen`` or review time falls in [start, end).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from crawler.items import KINDS
from crawler.store.base import UNKNOWN, InvalidQuery, ReportData, SellerSummary
from crawler.store.derived import KIND_BITS, fold_weeks
from crawler.store.documents import iso_ms
from crawler.store.links import seller_links
from crawler.store.sqlite_schema import KIND_COLUMNS

_KIND_SUMS = ", ".join(f"COALESCE(SUM(kinds & {bit} != 0), 0)" for bit in KIND_BITS.values())
_REPORT_SET = (
    "(flagged = 1 OR review_status != 'new')"
    " AND ((last_seen >= ? AND last_seen < ?) OR (review_at >= ? AND review_at < ?))"
)


def check_paging(**values: Any) -> None:
    """Refuse a paging/threshold argument that is not a non-negative integer (InvalidQuery)."""
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InvalidQuery(f"{name} must be a non-negative integer, got {value!r}")


def check_period(start: Any, end: Any) -> tuple[str, str]:
    """The period's bounds as stored text; InvalidQuery unless both are datetimes."""
    for name, value in (("start", start), ("end", end)):
        if not isinstance(value, datetime):
            raise InvalidQuery(f"report {name} must be a datetime, got {value!r}")
    return iso_ms(start), iso_ms(end)


_CHUNK = 100
"""Sellers read at a time by :meth:`SQLiteReports._top_sellers`."""


def _summary_row(key: str, rows: list[tuple[Any, ...]]) -> tuple[Any, ...] | None:
    """A seller's (key, platform, seller_id, name, province, listings, flagged, confirmed, last_seen, fold, *kinds)
    over its report-set ``rows`` (None without a flagged one), as ``MAX``/``SUM`` in SQL would give them."""
    flagged = sum(row[7] for row in rows)
    if not flagged:
        return None

    def most(index: int) -> Any:
        return max((row[index] for row in rows if row[index] is not None), default=None)

    kinds = [sum(1 for row in rows if row[9] & bit) for bit in KIND_BITS.values()]
    confirmed = sum(1 for row in rows if row[8] == "confirmed")
    return (key, most(1), most(2), most(3), most(4), len(rows), flagged, confirmed, most(5), most(6), *kinds)


def _whole_hour(stored: str) -> bool:
    """Whether a stored time (``2026-01-05T17:00:00.000Z``) is a whole UTC hour."""
    return stored[13:] == ":00:00.000Z"


class SQLiteReports:
    """Sellers and reports over the ``listings`` table."""

    def _select(self, what: str, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def _iter_docs(self, platform: str | None, batch_size: int, columns: str = "") -> Iterator[tuple[Any, ...]]:
        raise NotImplementedError

    def seller_summaries(
        self, *, min_confirmed: int = 0, min_flagged: int = 0, limit: int = 50, offset: int = 0
    ) -> list[SellerSummary]:
        """Per-seller aggregates, most confirmed then most flagged (then most listings) first.

        Everything comes from the maintained ``sellers`` table (kept by triggers on ``listings``, see
        :data:`crawler.store.sqlite_schema.TRIGGERS`: one row per seller and shown name/province, so
        the ``GROUP BY`` reads about one row per seller, never the listings).
        """
        check_paging(min_confirmed=min_confirmed, min_flagged=min_flagged, limit=limit, offset=offset)
        counts = self._select(
            "seller_summaries",
            f"SELECT key, platform, listings, flagged, confirmed, {KIND_COLUMNS} FROM sellers"
            " WHERE confirmed >= ? AND flagged >= ? ORDER BY confirmed DESC, flagged DESC, listings DESC, key"
            " LIMIT ? OFFSET ?",
            (min_confirmed, min_flagged, limit, offset),
        )
        names = self._seller_names([row[0] for row in counts])
        decoded = [(key, platform, *names[key][:3], listings, flagged, confirmed, *names[key][3:], *kinds)
                   for key, platform, listings, flagged, confirmed, *kinds in counts]  # fmt: skip
        return self._summaries(decoded, maintained=True)

    def _seller_names(self, keys: list[str]) -> dict[str, tuple[Any, ...]]:
        """key → (seller_id, name, province, last_seen, fold) of these sellers (``MAX`` of each, None for none)."""
        found: dict[str, tuple[Any, ...]] = {}
        for start in range(0, len(keys), 500):
            part = keys[start : start + 500]
            marks = ",".join("?" * len(part))
            for key, *values in self._select(
                "seller names",
                "SELECT key, MAX(seller_id), MAX(name), MAX(province), MAX(last_seen), MAX(fold) FROM seller_names"
                f" WHERE key IN ({marks}) GROUP BY key",
                part,
            ):
                seller_id, name, province, last_seen, fold = values
                found[key] = (*(value[1:] if value else None for value in (seller_id, name, province)), last_seen,
                              fold[1:] if fold else None)  # fmt: skip
        return found

    def seller_summaries_from_rows(
        self, *, min_confirmed: int = 0, min_flagged: int = 0, limit: int = 50, offset: int = 0
    ) -> list[SellerSummary]:
        """:meth:`seller_summaries` recomputed from every listing (``GROUP BY``): what the maintained counts
        must equal (tests, ``crawler store check``)."""
        check_paging(min_confirmed=min_confirmed, min_flagged=min_flagged, limit=limit, offset=offset)
        return self._sellers("1", [], min_confirmed, min_flagged, limit, offset)

    def _sellers(
        self, where: str, params: list[Any], min_confirmed: int, min_flagged: int, limit: int, offset: int
    ) -> list[SellerSummary]:
        sql = (
            "SELECT seller_key, MAX(platform), MAX(seller_id), MAX(seller_name), MAX(province), COUNT(*),"
            " SUM(flagged), SUM(review_status = 'confirmed'), MAX(last_seen), MAX(seller_fold), "
            f"{_KIND_SUMS} FROM listings WHERE seller_key IS NOT NULL AND {where} GROUP BY seller_key"
            " HAVING SUM(review_status = 'confirmed') >= ? AND SUM(flagged) >= ?"
            " ORDER BY 8 DESC, 7 DESC, 6 DESC, seller_key LIMIT ? OFFSET ?"
        )
        rows = self._select("seller_summaries", sql, (*params, min_confirmed, min_flagged, limit, offset))
        return self._summaries(rows, maintained=False)

    def _summaries(self, rows: list[tuple[Any, ...]], *, maintained: bool) -> list[SellerSummary]:
        """Summaries of (key, platform, seller_id, name, province, listings, flagged, confirmed, last_seen,
        fold, *kind counts) rows; the platforms of each folded shop name from ``seller_platforms``
        (``maintained``) or from the listings."""
        folds = sorted({row[9] for row in rows if row[9]})
        platforms: dict[str, set[str]] = {}
        if folds:
            marks = ",".join("?" * len(folds))
            sql = (
                f"SELECT fold, platform FROM seller_platforms WHERE fold IN ({marks})"
                if maintained
                else f"SELECT DISTINCT seller_fold, platform FROM listings WHERE seller_fold IN ({marks})"
            )
            for fold, platform in self._select("seller platforms", sql, folds):
                platforms.setdefault(fold, set()).add(platform)
        summaries = []
        for key, platform, seller_id, name, province, listings, flagged, confirmed, last_seen, fold, *kinds in rows:
            del key
            summary = SellerSummary(
                platform=platform, seller_id=seller_id, name=name, province=province, listings=listings,
                flagged=flagged, confirmed=confirmed, kinds=dict(zip(KINDS, kinds, strict=True)),
                platforms=sorted(platforms.get(fold, {platform})),
                last_seen=datetime.fromisoformat(last_seen) if last_seen else None,
            )  # fmt: skip
            summaries.append(summary)
        return summaries

    def iter_seller_links(self) -> Iterator[tuple[str, str, str]]:
        """(seller_key, link_type, value), each once, sellers in first-seen order."""
        seen: set[tuple[str, str, str]] = set()
        for _row_id, text, key in self._iter_docs(None, 1000, "seller_key"):
            if key is None:
                continue
            for link_type, value in sorted(seller_links(json.loads(text))):
                link = (key, link_type, value)
                if link not in seen:
                    seen.add(link)
                    yield link

    def report_data(self, start: datetime, end: datetime) -> ReportData:
        """Figures for [start, end): from the hourly counts (:mod:`crawler.store.sqlite_report_counts`) when
        both ends are whole hours (a report's days always are), else :meth:`report_data_from_rows`."""
        lo, hi = check_period(start, end)
        if not (_whole_hour(lo) and _whole_hour(hi)):
            return self.report_data_from_rows(start, end)
        hours = (lo[:13], hi[:13])
        counts: dict[str, int] = {}
        for part in ("s", "r"):  # by the hour last seen, by the hour reviewed: each listing once in each
            sql = "SELECT what, SUM(n) FROM report_hours WHERE part = ? AND hour >= ? AND hour < ? GROUP BY what"
            for what, n in self._select("report", sql, (part, *hours)):
                counts[what] = counts.get(what, 0) + n
        for what, n in self._select(  # … minus those counted both ways
            "report",
            "SELECT what, SUM(n) FROM report_both WHERE seen_hour >= ? AND seen_hour < ? AND review_hour >= ?"
            " AND review_hour < ? GROUP BY what",
            (*hours, *hours),
        ):
            counts[what] = counts.get(what, 0) - n
        seen = self._select("report", "SELECT COALESCE(SUM(n), 0) FROM report_hours WHERE part = 'a' AND hour >= ?"
                            " AND hour < ?", hours)[0][0]  # fmt: skip
        days = self._select(
            "report",
            "SELECT substr(hour, 1, 10), what, SUM(n) FROM report_hours WHERE part = 's' AND hour >= ? AND hour < ?"
            " AND what >= 'k' AND what < 'l' GROUP BY 1, 2",
            hours,
        )
        kind_of = {f"k\t{bit}": kind for kind, bit in KIND_BITS.items()}
        day_counts = [(day, kind_of[what], n) for day, what, n in days if n and what in kind_of]

        def grouped(letter: str, nullable: bool = False) -> dict[str, int]:
            found: list[tuple[str | None, int]] = []
            for what, n in counts.items():
                if what.startswith(letter + "\t") and n:
                    value: str | None = what[2:]
                    if nullable:
                        value = None if value == "" else value[1:]  # type: ignore[index]
                    found.append((value, n))
            found.sort(key=lambda item: (-item[1], item[0] is not None, item[0] or ""))
            return {UNKNOWN if value is None else value: n for value, n in found}

        by_status = dict.fromkeys(("new", "confirmed", "dismissed", "referred"), 0)
        by_status.update(grouped("s"))
        return ReportData(
            start=start, end=end, by_kind={kind: counts.get(f"k\t{bit}", 0) for kind, bit in KIND_BITS.items()},
            by_platform=grouped("p"), by_province=grouped("v", True), by_category=grouped("c", True),
            by_status=by_status, by_week=fold_weeks(start, end, day_counts),
            top_sellers=self._top_sellers(lo, hi, 10), listings_seen=seen, flagged=counts.get("f", 0),
        )  # fmt: skip

    def _top_sellers(self, lo: str, hi: str, limit: int) -> list[SellerSummary]:
        """The ``limit`` sellers with the most confirmed, flagged, then listings in the period's report set.

        A seller's figures in a period are at most its figures overall (the maintained ``sellers``), so the
        sellers are taken in their overall order, ``_CHUNK`` at a time, their period figures read from their
        listings (flagged ones by the seller indexes, reviewed unflagged ones once for all), until the
        ``limit``-th best period figures beat the overall figures of every seller not yet read.
        """
        if limit == 0:
            return []
        def ranked(offset: int) -> list[tuple[Any, ...]]:
            rows = self._select(
                "report sellers",
                "SELECT key, confirmed, flagged, listings FROM sellers WHERE flagged >= 1"
                " ORDER BY confirmed DESC, flagged DESC, listings DESC, key LIMIT ? OFFSET ?",
                (_CHUNK, offset),
            )
            names = self._seller_names([row[0] for row in rows])
            return [(*row, *names[row[0]][:2]) for row in rows]

        period = (lo, hi, lo, hi)
        columns = "seller_key, platform, seller_id, seller_name, province, last_seen, seller_fold, flagged," \
                  " review_status, kinds"  # fmt: skip
        extra: dict[str, list[tuple[Any, ...]]] = {}
        for row in self._select(
            "report sellers",
            f"SELECT {columns} FROM listings INDEXED BY listings_reviewed WHERE review_status != 'new'"
            f" AND flagged = 0 AND seller_key IS NOT NULL AND {_REPORT_SET}",
            period,
        ):
            extra.setdefault(row[0], []).append(row)
        best: list[tuple[tuple[int, int, int], str, tuple[Any, ...]]] = []
        start = 0
        while True:
            chunk = ranked(start)
            start += _CHUNK
            if not chunk or (len(best) >= limit and best[limit - 1][0] > tuple(chunk[0][1:4])):
                break
            rows: dict[str, list[tuple[Any, ...]]] = {key: list(extra.get(key, ())) for key, *_ in chunk}
            # a seller key names the seller's platform id, or (none given) its name: ``crawler.store.base.seller_key``
            ids = sorted({seller_id for _, _, _, _, seller_id, _ in chunk if seller_id})
            names = sorted({name for _, _, _, _, seller_id, name in chunk if not seller_id and name})
            for index, values in (("listings_seller", ids), ("listings_seller_name", names)):
                column = "seller_id" if index == "listings_seller" else "seller_name"
                for part in range(0, len(values), 500):
                    marks = ",".join("?" * len(values[part : part + 500]))
                    for row in self._select(
                        "report sellers",
                        f"SELECT {columns} FROM listings INDEXED BY {index} WHERE flagged = 1 AND {column} IN ({marks})"
                        f" AND {_REPORT_SET}",
                        (*values[part : part + 500], *period),
                    ):
                        if row[0] in rows:
                            rows[row[0]].append(row)
            for key, found in rows.items():
                summary = _summary_row(key, found)
                if summary is not None:
                    best.append(((summary[7], summary[6], summary[5]), key, summary))
            best.sort(key=lambda item: (-item[0][0], -item[0][1], -item[0][2], item[1]))
            del best[limit:]
        return self._summaries([summary for *_, summary in best], maintained=True)

    def report_data_from_rows(self, start: datetime, end: datetime) -> ReportData:
        """Figures for [start, end) by SQL GROUP BY over the period's report set (every listing read)."""
        lo, hi = check_period(start, end)
        period = [lo, hi, lo, hi]

        def grouped(column: str) -> dict[str, int]:
            sql = f"SELECT {column}, COUNT(*) FROM listings WHERE {_REPORT_SET} GROUP BY 1 ORDER BY 2 DESC, 1"
            return {UNKNOWN if value is None else str(value): n for value, n in self._select("report", sql, period)}

        kinds = self._select("report", f"SELECT {_KIND_SUMS} FROM listings WHERE flagged = 1 AND {_REPORT_SET}",
                             period)[0]  # fmt: skip
        by_status = dict.fromkeys(("new", "confirmed", "dismissed", "referred"), 0)
        by_status.update(grouped("review_status"))
        days = self._select(
            "report",
            f"SELECT substr(last_seen, 1, 10), {_KIND_SUMS} FROM listings"
            " WHERE flagged = 1 AND last_seen >= ? AND last_seen < ? GROUP BY 1",
            (lo, hi),
        )
        day_counts = [(day, kind, n) for day, *counts in days for kind, n in zip(KINDS, counts, strict=True) if n]
        flagged = self._select("report", f"SELECT COUNT(*) FROM listings WHERE flagged = 1 AND {_REPORT_SET}",
                               period)[0][0]  # fmt: skip
        seen = self._select("report", "SELECT COUNT(*) FROM listings WHERE last_seen >= ? AND last_seen < ?",
                            (lo, hi))[0][0]  # fmt: skip
        return ReportData(
            start=start, end=end, by_kind=dict(zip(KINDS, kinds, strict=True)), by_platform=grouped("platform"),
            by_province=grouped("province"), by_category=grouped("category"), by_status=by_status,
            by_week=fold_weeks(start, end, day_counts),
            top_sellers=self._sellers(_REPORT_SET, period, 0, 1, 10, 0),
            listings_seen=seen, flagged=flagged,
        )  # fmt: skip
