"""Maintained aggregates (issue 18): the seller counts a store keeps as listings and reviews change equal
the ones recomputed from every listing, after random upserts, re-crawls, seller changes, flag changes,
reviews and dismissals; and the SQLite text filter is answered from its text index."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crawler.items import KINDS, Flag, Listing
from crawler.store import FlagQuery, Store, open_store
from crawler.store.sqlite import SQLiteStore

T0 = datetime(2026, 1, 5, tzinfo=UTC)
SELLERS = [("s1", "Shop Ánh Dương", "Hà Nội"), ("s1", "Shop Anh Duong", "Hà Nội"), ("s2", "Đồng hồ", None),
           (None, "Bán lẻ", "Đà Nẵng"), ("", "Bán lẻ", None), (None, None, None), ("s3", None, "Cần Thơ")]  # fmt: skip


def _listing(rng: random.Random, number: int) -> Listing:
    sid, name, province = rng.choice(SELLERS)
    flags = [
        Flag(rule_id=f"{kind}.r{rng.randrange(3)}", kind=kind, score=round(rng.random(), 2), message="m")
        for kind in rng.sample(KINDS, rng.choice((0, 0, 1, 2)))
    ]
    return Listing(
        platform=rng.choice(("tiki", "shopee")), listing_id=str(number), url=f"https://x.example/{number}",
        title=f"Súng hơi {rng.choice(('giá rẻ', 'chính hãng', 'Gucci'))}", price=rng.randrange(1, 9) * 100_000,
        seller={"platform_id": sid, "name": name, "province": province}, flags=flags,
    )  # fmt: skip


def _random_history(store: Store, seed: int, steps: int = 12) -> None:
    """Random batches of new listings, unchanged and changed re-crawls (price, seller, flags), reviews."""
    rng = random.Random(seed)
    written: dict[tuple[str, str], Listing] = {}
    for step in range(steps):
        seen = T0 + timedelta(hours=step)
        batch = [_listing(rng, rng.randrange(60)) for _ in range(25)]
        batch += [x for x in rng.sample(list(written.values()), min(10, len(written)))]  # unchanged re-crawls
        store.upsert_listings(batch, seen_at=seen)
        written.update({(x.platform, x.listing_id): x for x in batch})
        for platform, listing_id in rng.sample(list(written), 5):
            status = rng.choice(("confirmed", "dismissed", "referred", "new"))
            store.apply_review(platform, listing_id, status, by="an", at=seen)
        platform, listing_id = rng.choice(list(written))
        store.replace_flags(platform, listing_id, [Flag(rule_id="banned.x", kind="banned", score=0.5, message="m")])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_maintained_seller_summaries_equal_the_recomputed_ones(tmp_path: Path, seed: int) -> None:
    with open_store(f"sqlite:///{tmp_path / 's.sqlite3'}") as store:
        assert isinstance(store, SQLiteStore)
        _random_history(store, seed)
        for kwargs in ({"limit": 1000}, {"min_confirmed": 1, "limit": 1000}, {"min_flagged": 2, "limit": 1000},
                       {"limit": 3, "offset": 2}):  # fmt: skip
            assert store.seller_summaries(**kwargs) == store.seller_summaries_from_rows(**kwargs)
        assert sum(s.listings for s in store.seller_summaries(limit=1000)) == store._select(
            "t", "SELECT COUNT(*) FROM listings WHERE seller_key IS NOT NULL", ()
        )[0][0]
        # the maintained table is what is read: a seller is one small row, not a GROUP BY over listings
        rows = store._select("t", "SELECT COUNT(DISTINCT key), SUM(listings) FROM sellers", ())[0]
        assert rows[0] == len(store.seller_summaries(limit=1000))


@pytest.mark.parametrize("seed", [1, 2])
def test_reports_from_the_hourly_counts_equal_the_recomputed_ones(tmp_path: Path, seed: int) -> None:
    with open_store(f"sqlite:///{tmp_path / 's.sqlite3'}") as store:
        assert isinstance(store, SQLiteStore)
        _random_history(store, seed)
        vietnam = timedelta(hours=7)
        periods = [(T0, T0 + timedelta(days=1)), (T0 + timedelta(hours=3), T0 + timedelta(hours=7)),
                   (T0 - vietnam, T0 + timedelta(days=7) - vietnam), (T0 - timedelta(days=365), T0 + timedelta(days=1)),
                   (T0 + timedelta(hours=5), T0 + timedelta(hours=5))]  # fmt: skip
        for start, end in periods:
            assert store.report_data(start, end) == store.report_data_from_rows(start, end), (start, end)
        assert store.report_data(*periods[3]).flagged > 0
        # the figures come from the counts: zeroing them changes the report (not a recomputation)
        store._db.executescript("UPDATE report_hours SET n = 0 WHERE what = 'f';"
                                " UPDATE report_both SET n = 0 WHERE what = 'f';")
        assert store.report_data(*periods[3]).flagged == 0 < store.report_data_from_rows(*periods[3]).flagged


def test_a_recrawl_that_changes_the_seller_moves_the_listing(tmp_path: Path) -> None:
    flags = [Flag(rule_id="banned.x", kind="banned", score=0.5, message="m")]
    with open_store(f"sqlite:///{tmp_path / 's.sqlite3'}") as store:
        for price, (sid, name) in ((1000, ("s1", "A")), (2000, ("s1", "A")), (3000, ("s2", "B"))):
            store.upsert_listings([Listing(platform="t", listing_id="1", url="https://x.example/1", title="a",
                                           price=price, seller={"platform_id": sid, "name": name}, flags=flags)])
            assert [x.key for x in store.query_flagged(FlagQuery(seller=sid))] == ["t:1"]
            assert [x.key for x in store.query_flagged(FlagQuery(seller=name))] == ["t:1"]
        assert store.query_flagged(FlagQuery(seller="s1")) == store.query_flagged(FlagQuery(seller="A")) == []


def test_an_imported_store_keeps_the_same_aggregates(tmp_path: Path) -> None:
    with open_store(f"sqlite:///{tmp_path / 'a.sqlite3'}") as source, \
            open_store(f"sqlite:///{tmp_path / 'b.sqlite3'}") as target:  # fmt: skip
        assert isinstance(target, SQLiteStore)
        _random_history(source, 8, steps=6)
        exported = list(source.export_documents())
        target.import_documents(iter(exported))
        target.import_documents(iter(exported))  # twice changes nothing
        assert target.seller_summaries(limit=1000) == target.seller_summaries_from_rows(limit=1000)
        assert target.seller_summaries(limit=1000) == source.seller_summaries(limit=1000)
        day = (T0, T0 + timedelta(days=1))
        assert target.report_data(*day) == target.report_data_from_rows(*day)


def test_mongodb_maintained_seller_summaries_equal_the_recomputed_ones(mongo_uri: str) -> None:
    with open_store(mongo_uri) as store:
        _random_history(store, 6, steps=5)
        for kwargs in ({"limit": 1000}, {"min_confirmed": 1, "limit": 1000}, {"limit": 3, "offset": 2}):
            assert store.seller_summaries(**kwargs) == store.seller_summaries_from_rows(**kwargs)  # type: ignore[attr-defined]
        assert store.seller_summaries(limit=1000)
    with open_store(mongo_uri) as again:  # opening again counts nothing twice
        assert again.seller_summaries(limit=1000) == again.seller_summaries_from_rows(limit=1000)  # type: ignore[attr-defined]


def test_mongodb_flagged_text_filter_asks_for_the_trigrams(mongo_uri: str) -> None:
    from crawler.store.mongo import MongoStore

    with open_store(mongo_uri) as store:
        assert isinstance(store, MongoStore)
        _random_history(store, 7, steps=2)
        spec = store._spec(FlagQuery(text="sung hoi"))
        assert spec["_grams"] == {"$all": ["sun", "ung", "ng ", "g h", " ho", "hoi"]}
        found = store.query_flagged(FlagQuery(text="SÚNG HƠI", limit=1000))
        assert found and all("súng hơi" in x.title.lower() for x in found)
        doc = store.listings.find_one({"_f": 1})
        assert doc is not None and "sun" in doc["_grams"]
        assert "_grams" in str(store.listings.index_information())


def test_a_version_7_file_gets_its_aggregates_and_text_index_on_upgrade(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "v7.sqlite3"
    with open_store(f"sqlite:///{path}") as store:
        assert isinstance(store, SQLiteStore)
        _random_history(store, 4)
        expected = store.seller_summaries(limit=1000)
        report = store.report_data(T0, T0 + timedelta(days=1))
        found = [x.key for x in store.query_flagged(FlagQuery(text="sung hoi", limit=1000))]
    with sqlite3.connect(path) as raw:  # the version-7 layout: no text index, no aggregates
        raw.executescript(
            "DROP TABLE listings_fts; DROP TABLE sellers; DROP TABLE seller_platforms;"
            " DROP TRIGGER listings_fts_insert; DROP TRIGGER listings_fts_update; DROP TRIGGER listings_fts_delete;"
            " DROP TABLE report_hours; DROP TABLE report_both; PRAGMA user_version = 7;"
        )
    with open_store(f"sqlite:///{path}") as store:
        assert isinstance(store, SQLiteStore)
        assert store.seller_summaries(limit=1000) == expected == store.seller_summaries_from_rows(limit=1000)
        assert [x.key for x in store.query_flagged(FlagQuery(text="sung hoi", limit=1000))] == found
        assert found  # "sung hoi" finds "Súng hơi"
        assert store.report_data(T0, T0 + timedelta(days=1)) == report
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == 8


@pytest.mark.parametrize("text", ["sung hoi", "SÚNG HƠI", "gucci", 'a"b', "hơi g"])
def test_the_flagged_text_filter_reads_the_text_index(tmp_path: Path, text: str) -> None:
    with open_store(f"sqlite:///{tmp_path / 's.sqlite3'}") as store:
        assert isinstance(store, SQLiteStore)
        _random_history(store, 5)
        query = FlagQuery(text=text, limit=1000)
        source, where, params = store._where(query)
        plan = " ".join(row[3] for row in store._select("plan", f"EXPLAIN QUERY PLAN SELECT l.id FROM {source}"
                                                                 f" WHERE {where}", params))  # fmt: skip
        assert "listings_fts" in plan
        scanned = [x.key for x in store.query_flagged(FlagQuery(text=text, limit=1000, kind=None)) if x.flags]
        assert scanned == [x.key for x in store.query_flagged(query)]
        # the index answer equals a scan of the folded text (the export's unindexed path, flagged ones only)
        every = store.query_flagged(FlagQuery(text=text, limit=1000, flagged_only=False))
        assert [x.key for x in every if x.flags] == [x.key for x in store.query_flagged(query)]
