"""report_data on every backend: counts by kind, platform, province, category, status, week; top sellers."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from crawler.items import KINDS, Flag, Listing
from crawler.store import InvalidQuery, Store
from crawler.store.base import UNKNOWN
from crawler.store.derived import iso_week

START = datetime(2025, 3, 3, tzinfo=UTC)  # a Monday
END = START + timedelta(days=14)

# (id, platform, kinds, day seen (from START), status, reviewed day, province, category)
ROWS: list[tuple[Any, ...]] = [
    ("a", "tiki", ["banned"], 0, "confirmed", 1, "Hà Nội", "Đồ chơi"),
    ("b", "tiki", ["counterfeit", "price_anomaly"], 3, "new", None, "Hà Nội", "Túi xách"),
    ("c", "shopee", ["banned", "banned"], 8, "dismissed", 9, None, "Đồ chơi"),
    ("d", "shopee", [], 9, "new", None, "Đà Nẵng", None),                 # seen, not flagged: not in the set
    ("e", "lazada", ["missing_origin"], 13, "referred", 13, "HCM", "Mỹ phẩm"),
    ("f", "tiki", ["counterfeit"], -3, "new", None, "Hà Nội", "Túi xách"),  # before the period
    ("g", "tiki", ["counterfeit"], -2, "confirmed", 2, "Hà Nội", "Túi xách"),  # seen before, reviewed inside
    ("h", "tiki", ["banned"], 14, "new", None, "Hà Nội", "Đồ chơi"),       # at END: outside
]


def load(store: Store) -> None:
    for lid, platform, kinds, day, status, reviewed, province, category in ROWS:
        listing = Listing.model_validate({
            "platform": platform, "listing_id": lid, "url": f"https://x/{lid}", "title": f"Hàng {lid}",
            "category": category, "seller": {"platform_id": f"s-{platform}", "name": f"Shop {platform}",
                                             "province": province},
            "flags": [Flag(rule_id=f"{k}.{n}", kind=k, score=0.5, message="m") for n, k in enumerate(kinds)],
        })  # fmt: skip
        store.upsert_listings([listing], seen_at=START + timedelta(days=day))
        if reviewed is not None:
            store.apply_review(platform, lid, status, by="an", at=START + timedelta(days=reviewed))


def in_set(row: tuple[Any, ...]) -> bool:
    _, _, kinds, day, status, reviewed, _, _ = row
    inside = lambda d: d is not None and 0 <= d < 14  # noqa: E731
    return (bool(kinds) or status != "new") and (inside(day) or inside(reviewed))


def test_report_data(store: Store) -> None:
    load(store)
    report = store.report_data(START, END)
    rows = [row for row in ROWS if in_set(row)]
    assert report.start == START and report.end == END
    assert report.by_platform == dict(Counter(row[1] for row in rows))
    assert report.by_province == dict(Counter(row[6] or UNKNOWN for row in rows))
    assert report.by_category == dict(Counter(row[7] or UNKNOWN for row in rows))
    statuses = ("new", "confirmed", "dismissed", "referred")
    assert report.by_status == {s: sum(row[4] == s for row in rows) for s in statuses}
    assert report.by_kind == {k: sum(k in row[2] for row in rows) for k in KINDS}
    assert report.flagged == sum(bool(row[2]) for row in rows)
    assert report.listings_seen == sum(0 <= row[3] < 14 for row in ROWS)
    weeks = {iso_week((START + timedelta(days=d)).date()) for d in (0, 7)}
    assert [label for label, _ in report.by_week] == sorted(weeks)
    for label, counts in report.by_week:
        expected = Counter(k for row in ROWS if row[2] and 0 <= row[3] < 14
                           and iso_week((START + timedelta(days=row[3])).date()) == label for k in set(row[2]))
        assert counts == {k: expected[k] for k in KINDS}
    top = report.top_sellers
    assert top[0].key == "tiki:s-tiki"
    assert top[0].flagged == sum(row[1] == "tiki" and bool(row[2]) for row in rows)
    assert top[0].confirmed == sum(row[1] == "tiki" and row[4] == "confirmed" for row in rows)


def test_empty_period(store: Store) -> None:
    load(store)
    report = store.report_data(END + timedelta(days=30), END + timedelta(days=31))
    assert report.flagged == 0 and report.listings_seen == 0 and report.by_platform == {}
    assert set(report.by_kind.values()) == {0} and report.top_sellers == []
    assert len(report.by_week) == 1 and set(report.by_week[0][1].values()) == {0}


def test_bad_period(store: Store) -> None:
    with pytest.raises(InvalidQuery):
        store.report_data("2025-01-01", END)  # type: ignore[arg-type]
