"""The Store contract, run against every backend (SQLite; MongoDB via nx-27017; real MongoDB if set).

Expected values are derived from the data each test writes (a small Python oracle for the flag
queries), never hard-coded results.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from crawler.items import KINDS, Flag, Listing
from crawler.store import FlagQuery, InvalidQuery, Store, StoreError, UpsertResult

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
VN = timezone(timedelta(hours=7))


def make(listing_id: str = "1", platform: str = "tiki", **fields: Any) -> Listing:
    """A valid listing with overridable fields."""
    base: dict[str, Any] = {
        "platform": platform,
        "listing_id": listing_id,
        "url": f"https://{platform}.example/p/{listing_id}",
        "title": f"Sản phẩm {listing_id}",
        "price": 100_000,
    }
    base.update(fields)
    return Listing.model_validate(base)


def flag(kind: str, score: float, rule_id: str | None = None) -> Flag:
    """A flag of ``kind`` with ``score``."""
    return Flag(rule_id=rule_id or f"{kind}.rule", kind=kind, score=score, message=f"{kind} hit")


def content(listing: Listing) -> dict[str, Any]:
    """A listing's document without last_seen (what an idempotent re-upsert must not change)."""
    doc = listing.to_document()
    doc.pop("last_seen")
    return doc


# -- upsert -------------------------------------------------------------------------------------


def test_insert_sets_seen_times_history_and_risk(store: Store) -> None:
    listing = make(flags=[flag("banned", 0.4), flag("counterfeit", 0.8)])
    assert store.upsert_listings([listing], seen_at=T0) == UpsertResult(inserted=1)
    got = store.get_listing("tiki", "1")
    assert got is not None
    assert got.first_seen == got.last_seen == T0
    assert [(p.price, p.at) for p in got.price_history] == [(listing.price, T0)]
    assert got.risk == max(f.score for f in listing.flags)
    assert [f.rule_id for f in got.flags] == [f.rule_id for f in listing.flags]
    assert got.title == listing.title and got.url == listing.url
    assert store.count_listings() == 1


def test_insert_without_price_has_empty_history(store: Store) -> None:
    store.upsert_listings([make(price=None)], seen_at=T0)
    got = store.get_listing("tiki", "1")
    assert got is not None and got.price is None and got.price_history == []


def test_reupsert_of_same_content_changes_only_last_seen(store: Store) -> None:
    listing = make(flags=[flag("banned", 0.9)], description="Mô tả")
    store.upsert_listings([listing], seen_at=T0)
    before = store.get_listing("tiki", "1")
    later = T0 + timedelta(hours=5)
    result = store.upsert_listings([listing, make("2")], seen_at=later)
    assert (result.inserted, result.updated, result.unchanged) == (1, 0, 1)
    after = store.get_listing("tiki", "1")
    assert before is not None and after is not None
    assert after.last_seen == later and before.last_seen == T0
    assert content(after) == content(before)


def test_update_replaces_content_and_keeps_first_seen_and_review(store: Store) -> None:
    reviewed = make(review={"status": "confirmed", "by": "thanh", "at": T0, "note": "hàng cấm"})
    store.upsert_listings([reviewed], seen_at=T0)
    changed = make(title="Tiêu đề mới", flags=[flag("missing_origin", 0.3)])
    later = T0 + timedelta(days=1)
    assert store.upsert_listings([changed], seen_at=later) == UpsertResult(updated=1)
    got = store.get_listing("tiki", "1")
    assert got is not None
    assert got.title == "Tiêu đề mới"
    assert got.first_seen == T0 and got.last_seen == later
    assert got.review.status == "confirmed" and got.review.note == "hàng cấm" and got.review.at == T0
    assert [f.kind for f in got.flags] == ["missing_origin"] and got.risk == 0.3


def test_update_without_flags_clears_flags_and_risk(store: Store) -> None:
    store.upsert_listings([make(flags=[flag("banned", 0.9)])], seen_at=T0)
    store.upsert_listings([make()], seen_at=T0 + timedelta(1))
    got = store.get_listing("tiki", "1")
    assert got is not None and got.flags == [] and got.risk == 0
    assert store.query_flagged(FlagQuery()) == []


def test_price_history_appends_only_on_change(store: Store) -> None:
    prices = [100, 100, 250, 250, None, 250, 100]
    for day, price in enumerate(prices):
        store.upsert_listings([make(price=price)], seen_at=T0 + timedelta(days=day))
    got = store.get_listing("tiki", "1")
    assert got is not None
    expected: list[tuple[int, datetime]] = []
    for day, price in enumerate(prices):
        if price is not None and (not expected or expected[-1][0] != price):
            expected.append((price, T0 + timedelta(days=day)))
    assert [(p.price, p.at) for p in got.price_history] == expected
    assert got.first_seen == T0 and got.last_seen == T0 + timedelta(days=len(prices) - 1)


def _capture(sha: str, at: datetime, kind: str = "response") -> dict[str, Any]:
    return {"kind": kind, "url": "https://tiki.example/p/1", "http_status": 200 if kind != "screenshot" else None,
            "sha256": sha, "size": 10, "captured_at": at, "content_type": "application/json",
            "ref": f"{sha[:2]}/{sha[2:4]}/{sha}.json.gz"}  # fmt: skip


def test_evidence_is_a_history_new_captures_append(store: Store) -> None:
    first = _capture("ab" * 32, T0)
    store.upsert_listings([make(evidence=[first])], seen_at=T0)
    store.upsert_listings([make(title="khác")], seen_at=T0 + timedelta(1))  # no evidence: the stored one stays
    got = store.get_listing("tiki", "1")
    assert got is not None and got.evidence is not None
    assert [(c.sha256, c.captured_at) for c in got.evidence] == [(first["sha256"], T0)]
    newer = _capture("cd" * 32, T0 + timedelta(2))
    shot = _capture("ef" * 32, T0 + timedelta(2), kind="screenshot")
    store.upsert_listings([make(title="khác nữa", evidence=[newer, shot])], seen_at=T0 + timedelta(2))
    got = store.get_listing("tiki", "1")
    assert got is not None and got.evidence is not None
    assert [(c.kind, c.sha256) for c in got.evidence] == [
        ("response", "ab" * 32), ("response", "cd" * 32), ("screenshot", "ef" * 32)
    ]
    assert got.evidence[0].captured_at == T0 and got.evidence[1].captured_at == T0 + timedelta(2)
    # identical bytes captured again (same sha256), with other content changed: no duplicate capture
    again = _capture("cd" * 32, T0 + timedelta(3))
    store.upsert_listings([make(title="lần ba", evidence=[again])], seen_at=T0 + timedelta(3))
    got = store.get_listing("tiki", "1")
    assert got is not None and got.evidence is not None and got.title == "lần ba"
    assert [c.sha256 for c in got.evidence] == ["ab" * 32, "cd" * 32, "ef" * 32]
    assert got.evidence[1].captured_at == T0 + timedelta(2)


def _store_raw_evidence(store: Store, value: dict[str, Any]) -> None:
    """Write ``value`` as the stored evidence of tiki:1 directly (data written by an older version)."""
    if hasattr(store, "listings"):  # MongoDB
        store.listings.update_one({"platform": "tiki", "listing_id": "1"}, {"$set": {"evidence": value}})
    else:
        import json

        doc = {**value, "captured_at": value["captured_at"].isoformat().replace("+00:00", "Z")}
        store._db.execute("UPDATE listings SET evidence = ? WHERE platform = 'tiki' AND listing_id = '1'",
                          (json.dumps(doc),))


def test_evidence_of_the_old_single_object_shape_reads_and_grows(store: Store) -> None:
    store.upsert_listings([make()], seen_at=T0)
    old = {"url": "https://tiki.example/p/1", "http_status": 200, "html_sha256": "ab" * 32,
           "html_ref": "ab/ab/x.html.gz", "screenshot_ref": f"cd/cd/{'cd' * 32}.png.gz", "captured_at": T0}
    _store_raw_evidence(store, old)
    got = store.get_listing("tiki", "1")
    assert got is not None and got.evidence is not None
    assert [(c.kind, c.sha256, c.ref) for c in got.evidence] == [
        ("response", "ab" * 32, "ab/ab/x.html.gz"), ("screenshot", "cd" * 32, old["screenshot_ref"])
    ]
    assert got.evidence[0].captured_at == T0 and got.evidence[0].content_type == "text/html"
    newer = _capture("ef" * 32, T0 + timedelta(1))
    store.upsert_listings([make(title="khác", evidence=[newer])], seen_at=T0 + timedelta(1))
    got = store.get_listing("tiki", "1")
    assert got is not None and got.evidence is not None
    assert [c.sha256 for c in got.evidence] == ["ab" * 32, "cd" * 32, "ef" * 32]


def test_same_listing_twice_in_one_batch(store: Store) -> None:
    result = store.upsert_listings([make(price=100), make(price=200)], seen_at=T0)
    assert (result.inserted, result.updated) == (1, 1)
    assert store.count_listings() == 1
    got = store.get_listing("tiki", "1")
    assert got is not None and [p.price for p in got.price_history] == [100, 200]


CARD_FIELDS = ["url", "title", "price", "seller", "images"]
"""What a search card carries (no origin, no description)."""


def _full(listing_id: str = "1", **fields: Any) -> Listing:
    detail = {"description": "Hàng xách tay, xuất xứ Nhật Bản", "origin": "Nhật Bản", "brand": "Sony",
              "seller": {"name": "Shop A", "platform_id": "77"},
              "fields_seen": [*CARD_FIELDS, "origin", "description", "brand"]}  # fmt: skip
    return make(listing_id, **(detail | fields))


def test_a_partial_listing_updates_only_the_fields_it_carries(store: Store) -> None:
    """A list-page-only (partial) re-crawl keeps the stored detail: origin, description, brand and the
    flags it could not judge (a description match); it updates what its card carried and stays partial."""
    phrase = Flag(rule_id="banned.phrase", kind="banned", score=0.7, message="m",
                  matched=[{"field": "description", "text": "xách tay", "start": 4, "end": 12}])  # fmt: skip
    store.upsert_listings([_full(flags=[phrase])], seen_at=T0)
    card = make("1", title="Sản phẩm 1 (giảm giá)", price=90_000, seller={"name": "Shop A", "platform_id": "77"},
                fields_seen=CARD_FIELDS, partial=True)  # fmt: skip
    assert card.origin is None and card.description is None
    assert store.upsert_listings([card], seen_at=T0 + timedelta(hours=1)).updated == 1
    got = store.get_listing("tiki", "1")
    assert got is not None
    assert (got.origin, got.description, got.brand) == ("Nhật Bản", "Hàng xách tay, xuất xứ Nhật Bản", "Sony")
    assert (got.title, got.price) == ("Sản phẩm 1 (giảm giá)", 90_000)  # what the card carried
    assert got.partial is True  # its detail is still to be fetched
    assert [f.rule_id for f in got.flags] == ["banned.phrase"] and got.risk == 0.7
    assert [p.price for p in got.price_history] == [100_000, 90_000]
    # the same card again: nothing changed
    assert store.upsert_listings([card], seen_at=T0 + timedelta(hours=2)).unchanged == 1
    # the detail fetched at last: a full listing replaces it as before, and is no longer partial
    store.upsert_listings([_full(title="Sản phẩm 1 mới", origin=None)], seen_at=T0 + timedelta(hours=3))
    got = store.get_listing("tiki", "1")
    assert got is not None and got.partial is False and got.origin is None and got.flags == []


def test_a_partial_listing_never_stored_before_is_stored_as_it_is(store: Store) -> None:
    card = make("2", fields_seen=CARD_FIELDS, partial=True)
    assert store.upsert_listings([_full("1"), card], seen_at=T0).inserted == 2
    got = store.get_listing("tiki", "2")
    assert got is not None and got.partial is True and got.origin is None and got.fields_seen == CARD_FIELDS


def test_default_seen_at_is_now_utc(store: Store) -> None:
    before = datetime.now(UTC) - timedelta(seconds=1)
    store.upsert_listings([make()])
    got = store.get_listing("tiki", "1")
    assert got is not None and got.last_seen is not None
    assert before <= got.last_seen <= datetime.now(UTC)


def test_datetimes_round_trip_as_aware_utc(store: Store) -> None:
    posted = datetime(2025, 1, 2, 9, 30, 15, 123456, tzinfo=VN)
    seen_naive = datetime(2025, 2, 3, 4, 5, 6)
    store.upsert_listings([make(posted_at=posted)], seen_at=seen_naive)
    got = store.get_listing("tiki", "1")
    assert got is not None and got.posted_at is not None and got.last_seen is not None
    assert got.posted_at.utcoffset() == timedelta(0) and got.last_seen.utcoffset() == timedelta(0)
    assert got.posted_at == posted.replace(microsecond=123000)  # BSON keeps milliseconds
    assert got.last_seen == seen_naive.replace(tzinfo=UTC)  # naive means UTC
    # the normalised value compares equal on the next crawl: still idempotent
    assert store.upsert_listings([make(posted_at=posted)], seen_at=seen_naive).unchanged == 1


def test_out_of_range_number_is_rejected_and_batch_continues(store: Store) -> None:
    result = store.upsert_listings([make("big", sold_count=10**20), make("ok")], seen_at=T0)
    assert (result.inserted, result.rejected) == (1, 1)
    assert len(result.errors) == 1 and "tiki:big" in result.errors[0] and "sold_count" in result.errors[0]
    assert store.get_listing("tiki", "big") is None and store.get_listing("tiki", "ok") is not None


def test_upsert_refuses_non_listing(store: Store) -> None:
    with pytest.raises(TypeError, match="item 1"):
        store.upsert_listings([make(), {"platform": "tiki"}])  # type: ignore[list-item]


def test_empty_batch(store: Store) -> None:
    assert store.upsert_listings([]) == UpsertResult()


# -- flags and queries --------------------------------------------------------------------------


def test_replace_flags_sets_flags_and_risk(store: Store) -> None:
    store.upsert_listings([make()], seen_at=T0)
    store.replace_flags("tiki", "1", [flag("price_anomaly", 0.35), flag("counterfeit", 0.75)])
    got = store.get_listing("tiki", "1")
    assert got is not None and got.risk == 0.75
    assert sorted(f.kind for f in got.flags) == ["counterfeit", "price_anomaly"]
    assert [x.key for x in store.query_flagged(FlagQuery(kind="price_anomaly"))] == ["tiki:1"]
    assert store.count_flagged_by_kind()["counterfeit"] == 1
    store.replace_flags("tiki", "1", [])
    got = store.get_listing("tiki", "1")
    assert got is not None and got.flags == [] and got.risk == 0
    assert store.query_flagged(FlagQuery()) == []
    assert set(store.count_flagged_by_kind().values()) == {0}
    assert got.last_seen == T0  # flags are not a sighting


def test_replace_flags_on_missing_listing_is_an_error(store: Store) -> None:
    with pytest.raises(StoreError, match="tiki:nope"):
        store.replace_flags("tiki", "nope", [flag("banned", 1.0)])


# Each spec: (platform, id, flags, days after T0 last seen, review status)
DATASET: list[tuple[str, str, list[tuple[str, float]], int, str]] = [
    ("tiki", "a", [("banned", 0.9)], 1, "new"),
    ("tiki", "b", [("counterfeit", 0.6), ("price_anomaly", 0.4)], 3, "confirmed"),
    ("tiki", "c", [], 5, "new"),
    ("shopee", "d", [("banned", 0.5), ("banned", 0.7)], 2, "new"),
    ("shopee", "e", [("missing_origin", 0.2)], 4, "dismissed"),
    ("shopee", "f", [("counterfeit", 0.9)], 6, "new"),
    ("lazada", "g", [("price_anomaly", 0.6)], 3, "referred"),
]


def load_dataset(store: Store) -> None:
    """Write DATASET, each listing seen on its own day."""
    for platform, listing_id, flags, day, status in DATASET:
        listing = make(
            listing_id,
            platform,
            flags=[flag(kind, score, f"{kind}.{n}") for n, (kind, score) in enumerate(flags)],
            review={"status": status},
        )
        store.upsert_listings([listing], seen_at=T0 + timedelta(days=day))


def oracle(query: FlagQuery) -> list[str]:
    """What query_flagged must return for DATASET, computed independently."""
    rows = []
    for platform, listing_id, flags, day, status in DATASET:
        risk = max((score for _, score in flags), default=0.0)
        if not flags or (query.kind and query.kind not in {kind for kind, _ in flags}):
            continue
        if query.platform and platform != query.platform:
            continue
        if query.min_risk is not None and risk < query.min_risk:
            continue
        if query.status and status != query.status:
            continue
        rank = (-risk, -day) if query.sort == "risk" else (-day, -risk)
        rows.append((rank, platform, listing_id))
    rows.sort()
    return [f"{p}:{i}" for _, p, i in rows][query.offset : query.offset + query.limit]


QUERIES = [
    FlagQuery(),
    FlagQuery(sort="newest"),
    FlagQuery(kind="banned"),
    FlagQuery(kind="counterfeit", sort="newest"),
    FlagQuery(kind="missing_origin"),
    FlagQuery(platform="shopee"),
    FlagQuery(platform="tiki", kind="price_anomaly"),
    FlagQuery(min_risk=0.6),
    FlagQuery(min_risk=0.95),
    FlagQuery(status="new"),
    FlagQuery(status="confirmed", kind="counterfeit"),
    FlagQuery(kind="banned", platform="shopee", min_risk=0.7, status="new"),
    FlagQuery(platform="không-có"),
]


@pytest.mark.parametrize("query", QUERIES, ids=repr)
def test_query_flagged_filters_and_sorts(store: Store, query: FlagQuery) -> None:
    load_dataset(store)
    got = store.query_flagged(query)
    assert [listing.key for listing in got] == oracle(query)
    assert all(listing.flags for listing in got)


@pytest.mark.parametrize("sort", ["risk", "newest"])
def test_query_flagged_paging(store: Store, sort: str) -> None:
    load_dataset(store)
    full = [x.key for x in store.query_flagged(FlagQuery(sort=sort, limit=100))]  # type: ignore[arg-type]
    assert full == oracle(FlagQuery(sort=sort, limit=100))  # type: ignore[arg-type]
    pages = [
        [x.key for x in store.query_flagged(FlagQuery(sort=sort, limit=2, offset=o))]  # type: ignore[arg-type]
        for o in range(0, len(full) + 2, 2)
    ]
    assert [key for page in pages for key in page] == full
    assert all(len(page) <= 2 for page in pages) and pages[-1] == []
    assert store.query_flagged(FlagQuery(limit=0)) == []


@pytest.mark.parametrize(
    "query",
    [
        FlagQuery(kind="weapons"),
        FlagQuery(status="approved"),
        FlagQuery(sort="oldest"),  # type: ignore[arg-type]
        FlagQuery(limit=-1),
        FlagQuery(offset=-5),
        FlagQuery(min_risk="0.5"),  # type: ignore[arg-type]
        FlagQuery(platform={"$ne": None}),  # type: ignore[arg-type]
    ],
    ids=repr,
)
def test_query_flagged_refuses_bad_queries(store: Store, query: FlagQuery) -> None:
    with pytest.raises(InvalidQuery):
        store.query_flagged(query)


def test_count_flagged_by_kind(store: Store) -> None:
    assert store.count_flagged_by_kind() == dict.fromkeys(KINDS, 0)
    load_dataset(store)
    expected = {kind: sum(any(k == kind for k, _ in flags) for *_, flags, _, _ in DATASET) for kind in KINDS}
    assert store.count_flagged_by_kind() == expected
    assert expected["banned"] == 2  # "d" has two banned flags and counts once


def test_count_listings(store: Store) -> None:
    load_dataset(store)
    assert store.count_listings() == len(DATASET)
    for platform in {spec[0] for spec in DATASET}:
        assert store.count_listings(platform) == sum(spec[0] == platform for spec in DATASET)
    assert store.count_listings("không-có") == 0


@pytest.mark.parametrize("batch_size", [1, 2, 1000])
def test_iter_listings(store: Store, batch_size: int) -> None:
    load_dataset(store)
    everything = [x.key for x in store.iter_listings(batch_size=batch_size)]
    assert sorted(everything) == sorted(f"{p}:{i}" for p, i, *_ in DATASET)
    shopee = [x.key for x in store.iter_listings("shopee", batch_size=batch_size)]
    assert sorted(shopee) == sorted(f"shopee:{i}" for p, i, *_ in DATASET if p == "shopee")
    assert list(store.iter_listings("không-có")) == []


def test_get_listing_missing_is_none(store: Store) -> None:
    assert store.get_listing("tiki", "404") is None
    store.upsert_listings([make("1")], seen_at=T0)
    assert store.get_listing("tiki", "404") is None
    assert store.get_listing("shopee", "1") is None


# -- crawl runs ---------------------------------------------------------------------------------


def test_record_crawl_run(store: Store) -> None:
    first = {
        "spider": "tiki",
        "started_at": T0,
        "finished_at": T0 + timedelta(minutes=7),
        "stats": {"item_scraped_count": 120, "store/upserted": 118, "start_time": T0,
                  "detect/banned.weapons/hits": 3},
        "errors": ["https://tiki.vn/x: HTTP 503"],
        "rules_version": "2025.03.1",
    }  # fmt: skip
    store.record_crawl_run(first)
    store.record_crawl_run({"spider": "shopee", "started_at": (T0 + timedelta(hours=1)).isoformat()})
    runs = store.recent_crawl_runs()
    assert [run["spider"] for run in runs] == ["shopee", "tiki"]
    tiki = store.recent_crawl_runs("tiki")[0]
    assert tiki["started_at"] == T0 and tiki["started_at"].utcoffset() == timedelta(0)
    assert tiki["finished_at"] == first["finished_at"]
    assert tiki["stats"]["item_scraped_count"] == 120
    assert tiki["stats"]["detect/banned.weapons/hits"] == 3
    assert datetime.fromisoformat(tiki["stats"]["start_time"]) == T0
    assert tiki["errors"] == first["errors"] and tiki["rules_version"] == "2025.03.1"
    assert runs[0]["started_at"] == T0 + timedelta(hours=1)


@pytest.mark.parametrize(
    "run", [{}, {"spider": ""}, {"spider": "x", "started_at": "yesterday"}, {"spider": "x", "stats": [1]}, []]
)
def test_record_crawl_run_refuses_bad_runs(store: Store, run: Any) -> None:
    with pytest.raises(StoreError):
        store.record_crawl_run(run)


# -- text that must stay text -------------------------------------------------------------------


def test_vietnamese_text_round_trips(store: Store) -> None:
    listing = make(
        "sp-1",
        title="Súng bắn đạn thạch – hàng “xịn” chính hãng 🔫",
        description="Xuất xứ: Trung Quốc. Giá rẻ nhất thị trường!\nLiên hệ: 0912 345 678",
        brand="Gucci Việt",
        category="Đồ chơi > Súng đồ chơi",
        origin="Việt Nam",
        seller={"platform_id": "shop-ĐăkLăk", "name": "Cửa hàng Ánh Dương", "province": "Đắk Lắk"},
        flags=[Flag(rule_id="banned.gun", kind="banned", score=1.0, message="Hàng cấm: súng",
                    matched=[{"field": "title", "text": "Súng", "start": 0, "end": 4}])],
    )  # fmt: skip
    store.upsert_listings([listing], seen_at=T0)
    got = store.get_listing("tiki", "sp-1")
    assert got is not None
    for field in ("title", "description", "brand", "category", "origin"):
        assert getattr(got, field) == getattr(listing, field)
    assert got.seller == listing.seller
    assert got.flags[0].matched[0].text == "Súng"
    assert [x.key for x in store.query_flagged(FlagQuery(kind="banned"))] == ["tiki:sp-1"]


HOSTILE = [
    "'; DROP TABLE listings; --",
    '" OR 1=1 --',
    '{"$where": "sleep(10000) || true"}',
    "$where",
    "$gt",
    'x"); db.listings.drop(); ("',
    "Robert'); DELETE FROM flags WHERE ('1'='1",
]


def test_hostile_text_is_stored_verbatim_and_never_interpreted(store: Store) -> None:
    listings = [
        make(
            f"{n}-{text}",
            title=text,
            description=text,
            brand=text,
            seller={"platform_id": text, "name": text},
            flags=[Flag(rule_id=text, kind="banned", score=0.5, message=text)],
        )
        for n, text in enumerate(HOSTILE)
    ]
    listings.append(make("$where", platform="$ne", title="{'$gt': ''}"))
    assert store.upsert_listings(listings, seen_at=T0).inserted == len(listings)
    assert store.count_listings() == len(listings)
    for listing in listings:
        got = store.get_listing(listing.platform, listing.listing_id)
        assert got is not None and content(got) == content(listing.model_copy(update=_stored(got)))
        assert got.title == listing.title and got.seller == listing.seller
    assert store.count_flagged_by_kind()["banned"] == len(HOSTILE)
    for text in HOSTILE:
        assert store.query_flagged(FlagQuery(platform=text)) == []
        assert store.count_listings(text) == 0
        assert store.get_listing("tiki", text) is None
    assert store.count_listings("$ne") == 1
    # the tables/collections are intact and still answer
    assert len(store.query_flagged(FlagQuery(limit=100))) == len(HOSTILE)
    assert store.upsert_listings(listings, seen_at=T0 + timedelta(1)).unchanged == len(listings)


def _stored(got: Listing) -> dict[str, Any]:
    """The fields the store sets itself, to compare the rest with the listing written."""
    return {name: getattr(got, name) for name in ("first_seen", "last_seen", "price_history", "risk")}


@pytest.mark.parametrize("key", [("", "1"), ("tiki", ""), ("tiki", {"$ne": None}), (None, "1")])
def test_bad_listing_keys_are_refused(store: Store, key: tuple[Any, Any]) -> None:
    with pytest.raises(InvalidQuery):
        store.get_listing(*key)


def test_context_manager_closes(store_uri: str) -> None:
    from crawler.store import open_store

    with open_store(store_uri) as opened:
        opened.upsert_listings([make()], seen_at=T0)
    with open_store(store_uri) as reopened:
        got = reopened.get_listing("tiki", "1")
        assert got is not None and got.first_seen == T0
