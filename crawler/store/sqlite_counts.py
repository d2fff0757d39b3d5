"""The SQLite store's maintained aggregates, kept by every write as net changes per transaction (issue 18).

Two sets of counts stand beside ``listings`` (tables in :mod:`crawler.store.sqlite_schema` and
:mod:`crawler.store.sqlite_report_counts`):

- ``sellers``: one row per seller key: how many listings, flagged, confirmed, per kind (ranked by a
  scan: an index on the counts would be rewritten at a random place by most writes);
  ``seller_names``: one row per seller key and the seller fields its listings show (platform id, name,
  folded name, province; NULL kept as '', a text as 'v' + the text, so that MAX of the parts is 'v' +
  MAX), how many listings show them and their latest ``last_seen`` (it only moves forward: a listing
  re-written with an older time, or moved to another seller, does not lower it);
  ``seller_platforms`` the listings per folded shop name and platform;
- ``report_hours``/``report_both``: per UTC hour, the figures a report counts (see
  :mod:`crawler.store.sqlite_report_counts`).

A write describes each listing it changes by its :data:`COUNTED` columns before and after
(:meth:`Deltas.add`); :meth:`Deltas.write` applies the sums in the same transaction, one upsert per
distinct row touched: a batch of listings seen at the same time moves their figures with a few hundred
statements, not a trigger per listing (triggers cost 2–3× the whole upsert of a re-crawl).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from crawler.store.derived import KIND_BITS

COUNTED: tuple[str, ...] = (
    "platform", "province", "category", "review_status", "flagged", "kinds", "last_seen", "review_at",
    "seller_key", "seller_id", "seller_name", "seller_fold",
)  # fmt: skip
"""The listing columns the aggregates depend on, in the order :meth:`Deltas.add` takes them."""
COUNTED_COLUMNS = ", ".join(COUNTED)
_BITS = tuple(KIND_BITS.values())
_KIND_SET = ", ".join(f"kind{i} = kind{i} + excluded.kind{i}" for i in range(len(_BITS)))
_KINDS = ", ".join(f"kind{i}" for i in range(len(_BITS)))
_SELLER_UPSERT = (
    f"INSERT INTO sellers (key, platform, listings, flagged, confirmed, {_KINDS})"
    f" VALUES ({', '.join('?' * (5 + len(_BITS)))})"
    " ON CONFLICT (key) DO UPDATE SET listings = listings + excluded.listings,"
    f" flagged = flagged + excluded.flagged, confirmed = confirmed + excluded.confirmed, {_KIND_SET}"
)
_NAME_UPSERT = (
    "INSERT INTO seller_names (key, seller_id, name, fold, province, listings, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (key, seller_id, name, fold, province) DO UPDATE SET listings = listings + excluded.listings,"
    " last_seen = CASE WHEN excluded.last_seen > last_seen OR last_seen IS NULL THEN excluded.last_seen"
    " ELSE last_seen END"
)
_NAME_PRUNE = (
    "DELETE FROM seller_names WHERE key = ? AND seller_id = ? AND name = ? AND fold = ? AND province = ?"
    " AND listings <= 0"
)


def enc(value: str | None) -> str:
    """A nullable text as a ``sellers`` key part: '' for None, 'v' + the text otherwise."""
    return "" if value is None else "v" + value


def _nullable(value: str | None) -> str:
    return "" if value is None else "=" + value


def figures(row: Sequence[Any]) -> list[str]:
    """The report figures (``what``) a listing of :data:`COUNTED` values counts in (it must be flagged or reviewed)."""
    platform, province, category, status, flagged, kinds = row[:6]
    found = [f"p\t{platform}", f"v\t{_nullable(province)}", f"c\t{_nullable(category)}", f"s\t{status}"]
    if flagged:
        found.append("f")
        found.extend(f"k\t{bit}" for bit in _BITS if kinds & bit)
    return found


class Deltas:
    """Net changes of the aggregates within one transaction (see the module doc)."""

    __slots__ = ("both", "hours", "last", "names", "platforms", "sellers")

    def __init__(self) -> None:
        self.hours: dict[tuple[str, str, str], int] = {}
        self.both: dict[tuple[str, str, str], int] = {}
        self.sellers: dict[str, list[Any]] = {}
        self.names: dict[tuple[str, str, str, str, str], int] = {}
        self.last: dict[tuple[str, str, str, str, str], str] = {}
        self.platforms: dict[tuple[str, str], int] = {}

    def add(self, row: Sequence[Any] | None, sign: int) -> None:
        """Count a listing's :data:`COUNTED` values in (``sign`` 1) or out (-1); None does nothing."""
        if row is None:
            return
        platform, province, _category, status, flagged, kinds, last_seen, review_at, key, seller_id, name, fold = row
        hours = self.hours
        if last_seen is not None:
            slot = ("a", last_seen[:13], "")
            hours[slot] = hours.get(slot, 0) + sign
        if flagged or status != "new":
            seen_hour = None if last_seen is None else last_seen[:13]
            review_hour = None if review_at is None else review_at[:13]
            for what in figures(row):
                if seen_hour is not None:
                    slot = ("s", seen_hour, what)
                    hours[slot] = hours.get(slot, 0) + sign
                if review_hour is not None:
                    slot = ("r", review_hour, what)
                    hours[slot] = hours.get(slot, 0) + sign
                    if seen_hour is not None:
                        pair = (seen_hour, review_hour, what)
                        self.both[pair] = self.both.get(pair, 0) + sign
        if key is not None:
            group = (key, enc(seller_id), enc(name), enc(fold), enc(province))
            self.names[group] = self.names.get(group, 0) + sign
            counts = self.sellers.get(key)
            if counts is None:
                counts = self.sellers[key] = [platform, 0, 0, 0, *(0 for _ in _BITS)]
            counts[1] += sign
            counts[2] += sign * flagged
            counts[3] += sign * (status == "confirmed")
            for index, bit in enumerate(_BITS):
                if kinds & bit:
                    counts[4 + index] += sign
            if sign > 0 and last_seen is not None and last_seen > self.last.get(group, ""):
                self.last[group] = last_seen
        if fold is not None:
            pair2 = (fold, platform)
            self.platforms[pair2] = self.platforms.get(pair2, 0) + sign

    def write(self, db: sqlite3.Connection) -> None:
        """Apply the net changes (inside the caller's transaction), one upsert per distinct row."""
        hours = [(*slot, n) for slot, n in sorted(self.hours.items()) if n]
        if hours:
            db.executemany(
                "INSERT INTO report_hours (part, hour, what, n) VALUES (?, ?, ?, ?)"
                " ON CONFLICT DO UPDATE SET n = n + excluded.n",
                hours,
            )
            db.executemany(
                "DELETE FROM report_hours WHERE part = ? AND hour = ? AND what = ? AND n = 0",
                [slot[:3] for slot in hours if slot[3] < 0],
            )
        both = [(*pair, n) for pair, n in sorted(self.both.items()) if n]
        if both:
            db.executemany(
                "INSERT INTO report_both (seen_hour, review_hour, what, n) VALUES (?, ?, ?, ?)"
                " ON CONFLICT DO UPDATE SET n = n + excluded.n",
                both,
            )
            db.executemany(
                "DELETE FROM report_both WHERE seen_hour = ? AND review_hour = ? AND what = ? AND n = 0",
                [pair[:3] for pair in both if pair[3] < 0],
            )
        sellers = [(key, *counts) for key, counts in sorted(self.sellers.items()) if any(counts[1:])]
        if sellers:
            db.executemany(_SELLER_UPSERT, sellers)
            db.executemany("DELETE FROM sellers WHERE key = ? AND listings <= 0",
                           [row[:1] for row in sellers if row[2] < 0])  # fmt: skip
        names = [
            (*group, n, self.last.get(group)) for group, n in sorted(self.names.items()) if n or group in self.last
        ]
        if names:
            db.executemany(_NAME_UPSERT, names)
            db.executemany(_NAME_PRUNE, [row[:5] for row in names if row[5] < 0])
        platforms = [(*pair, n) for pair, n in sorted(self.platforms.items()) if n]
        if platforms:
            db.executemany(
                "INSERT INTO seller_platforms (fold, platform, listings) VALUES (?, ?, ?)"
                " ON CONFLICT (fold, platform) DO UPDATE SET listings = listings + excluded.listings",
                platforms,
            )
            db.executemany(
                "DELETE FROM seller_platforms WHERE fold = ? AND platform = ? AND listings <= 0",
                [pair[:2] for pair in platforms if pair[2] < 0],
            )
