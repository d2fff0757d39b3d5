"""The extended flag query (rule, seller, province, dates, text, source, flagged_only) and count_flagged,
on every backend, checked against a small Python oracle over the data each test writes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from crawler.items import Flag, Listing
from crawler.store import FlagQuery, InvalidQuery, Store
from crawler.text import fold

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)

# (id, platform, flags [(kind, rule, score)], day, status, seller (id, name, province), title, desc, source)
ROWS: list[tuple[Any, ...]] = [
    ("a", "tiki", [("banned", "banned.gun", 0.9)], 1, "new", ("s1", "Shop Ánh Dương", "Hà Nội"),
     "Súng hơi giá rẻ", "Liên hệ 0912 345 678", "crawl"),
    ("b", "tiki", [("counterfeit", "cf.gucci", 0.6), ("price_anomaly", "price.low", 0.4)], 3, "confirmed",
     ("s1", "Shop Ánh Dương", "Hà Nội"), "Túi Gucci 100% (rep 1:1)", None, "crawl"),
    ("c", "tiki", [], 5, "new", ("s2", "Nhà sách", "Đà Nẵng"), "Sách giáo khoa", "Mới 100%", "crawl"),
    ("d", "shopee", [("banned", "banned.gun", 0.5), ("banned", "banned.knife", 0.7)], 2, "new",
     (None, "Shop Ánh Dương", "ha noi"), "Dao găm_sắc%", "giao nhanh", "tip-off"),
    ("e", "shopee", [("missing_origin", "origin.none", 0.2)], 4, "dismissed", ("s9", "Mỹ phẩm Hàn", None),
     "Kem trộn", "không rõ nguồn gốc", "crawl"),
    ("f", "lazada", [("counterfeit", "cf.rolex", 0.9)], 6, "new", ("s3", "Đồng hồ", "Hồ Chí Minh"),
     "Rolex Submariner", "Fake 1:1, www.dongho-re.vn", "tip-off"),
]  # fmt: skip


def load(store: Store) -> None:
    """Write ROWS, each seen on its own day."""
    for lid, platform, flags, day, status, (sid, name, province), title, desc, source in ROWS:
        listing = Listing.model_validate({
            "platform": platform, "listing_id": lid, "url": f"https://{platform}.example/{lid}", "title": title,
            "description": desc, "price": 100_000, "source": source, "review": {"status": status},
            "seller": {"platform_id": sid, "name": name, "province": province},
            "flags": [Flag(rule_id=rule, kind=kind, score=score, message="m") for kind, rule, score in flags],
        })  # fmt: skip
        store.upsert_listings([listing], seen_at=T0 + timedelta(days=day))


def oracle(query: FlagQuery) -> list[str]:
    """What the store must return for ROWS."""
    rows = []
    for lid, platform, flags, day, status, (sid, name, province), title, desc, source in ROWS:
        risk = max((score for *_, score in flags), default=0.0)
        seen = T0 + timedelta(days=day)
        checks = [
            not (query.flagged_only or query.kind or query.rule_id) or bool(flags),
            query.kind is None or query.kind in {kind for kind, *_ in flags},
            query.rule_id is None or query.rule_id in {rule for _, rule, _ in flags},
            query.platform is None or platform == query.platform,
            query.min_risk is None or risk >= query.min_risk,
            query.status is None or status == query.status,
            query.seller is None or query.seller in (sid, name),
            query.province is None or (province is not None and fold(province) == fold(query.province)),
            query.since is None or seen >= query.since,
            query.until is None or seen < query.until,
            query.text is None or fold(query.text) in fold(f"{title}\n{desc}" if desc else title),
            query.source is None or source == query.source,
        ]
        if all(checks):
            rank = (-risk, -day) if query.sort == "risk" else (-day, -risk)
            rows.append((rank, platform, lid))
    rows.sort()
    return [f"{p}:{i}" for _, p, i in rows]


QUERIES = [
    FlagQuery(rule_id="banned.gun"),
    FlagQuery(rule_id="banned.knife", kind="banned"),
    FlagQuery(rule_id="cf.gucci", kind="banned"),
    FlagQuery(rule_id="không-có"),
    FlagQuery(seller="s1"),
    FlagQuery(seller="Shop Ánh Dương"),
    FlagQuery(seller="shop ánh dương"),  # exact name only
    FlagQuery(province="Hà Nội"),
    FlagQuery(province="HA NOI", kind="banned"),
    FlagQuery(province="   "),
    FlagQuery(since=T0 + timedelta(days=3)),
    FlagQuery(until=T0 + timedelta(days=3)),
    FlagQuery(since=T0 + timedelta(days=2), until=T0 + timedelta(days=5), sort="newest"),
    FlagQuery(text="súng"),
    FlagQuery(text="SUNG HOI"),
    FlagQuery(text="0912 345"),
    FlagQuery(text="(rep 1:1)"),
    FlagQuery(text="_sắc%"),
    FlagQuery(text="%"),
    FlagQuery(text=".*"),
    FlagQuery(text="1:1", platform="lazada"),
    FlagQuery(source="tip-off"),
    FlagQuery(source="crawl", min_risk=0.5),
    FlagQuery(flagged_only=False),
    FlagQuery(flagged_only=False, text="100%"),
    FlagQuery(flagged_only=False, province="Đà Nẵng", sort="newest"),
    FlagQuery(flagged_only=False, status="new", source="crawl"),
    FlagQuery(kind="counterfeit", seller="s3", province="ho chi minh", since=T0, text="rolex", source="tip-off"),
]


@pytest.mark.parametrize("query", QUERIES, ids=repr)
def test_filters_match_the_oracle(store: Store, query: FlagQuery) -> None:
    load(store)
    expected = oracle(query)
    assert [x.key for x in store.query_flagged(query)] == expected
    assert store.count_flagged(query) == len(expected)


def test_count_ignores_paging_and_pages_cover_everything(store: Store) -> None:
    load(store)
    query = FlagQuery(flagged_only=False, limit=2)
    total = store.count_flagged(query)
    assert total == len(ROWS)
    pages = [store.query_flagged(replace(query, offset=offset)) for offset in range(0, total, 2)]
    assert [x.key for page in pages for x in page] == oracle(query)
    assert store.count_flagged(replace(query, limit=0, offset=99)) == total


def test_unflagged_listings_keep_their_last_seen(store: Store) -> None:
    load(store)
    got = {x.key: x for x in store.query_flagged(FlagQuery(flagged_only=False))}
    assert got["tiki:c"].flags == [] and got["tiki:c"].last_seen == T0 + timedelta(days=5)


@pytest.mark.parametrize(
    "query",
    [
        FlagQuery(rule_id=3),  # type: ignore[arg-type]
        FlagQuery(seller={"$ne": None}),  # type: ignore[arg-type]
        FlagQuery(province=["Hà Nội"]),  # type: ignore[arg-type]
        FlagQuery(since="2025-01-01"),  # type: ignore[arg-type]
        FlagQuery(until=1700000000),  # type: ignore[arg-type]
        FlagQuery(text={"$regex": ".*"}),  # type: ignore[arg-type]
        FlagQuery(source="rumour"),
        FlagQuery(flagged_only="no"),  # type: ignore[arg-type]
    ],
    ids=repr,
)
def test_bad_filters_are_refused(store: Store, query: FlagQuery) -> None:
    with pytest.raises(InvalidQuery):
        store.query_flagged(query)
    with pytest.raises(InvalidQuery):
        store.count_flagged(query)
