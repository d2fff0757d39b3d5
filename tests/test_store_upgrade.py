"""A version-3 SQLite file (written here with the version-3 layout) is upgraded to the current schema when opened.

Every listing, flag, dismissal, audit entry (the hash chain still verifies) and crawl run survives,
with the same values through the Store API; the upgraded store then takes re-crawls as usual.
"""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from crawler.cli import app
from crawler.items import Evidence, Flag, Listing, Match, Review
from crawler.review.audit import verify_chain
from crawler.store import FlagQuery, StoreError, open_store
from crawler.store.base import seller_key
from crawler.store.derived import KIND_BITS, content_digest, dismissal_record, fold_key, search_text
from crawler.store.documents import MERGED_FIELDS, iso_ms
from crawler.store.reviews import entry_document, new_entry
from crawler.store.sqlite_schema import SCHEMA_VERSION

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)

# The version-3 layout, as crawler/store/sqlite_schema.py created it (schema version 3).
V3_SCHEMA = """
CREATE TABLE listings (
    id INTEGER PRIMARY KEY, platform TEXT NOT NULL, listing_id TEXT NOT NULL, risk REAL NOT NULL DEFAULT 0,
    first_seen TEXT, last_seen TEXT, review_status TEXT NOT NULL DEFAULT 'new', review_at TEXT,
    flagged INTEGER NOT NULL DEFAULT 0, kinds INTEGER NOT NULL DEFAULT 0, source TEXT, seller_key TEXT,
    seller_id TEXT, seller_name TEXT, seller_fold TEXT, province TEXT, province_fold TEXT, category TEXT,
    search TEXT, digest TEXT, content TEXT, dismissed TEXT, doc TEXT NOT NULL, UNIQUE (platform, listing_id)
);
CREATE INDEX listings_risk
    ON listings (risk DESC, last_seen DESC, kinds, review_status, platform, source, flagged) WHERE flagged = 1;
CREATE INDEX listings_newest
    ON listings (last_seen DESC, risk DESC, kinds, review_status, platform, source, flagged) WHERE flagged = 1;
CREATE INDEX listings_reviewed ON listings (review_status, review_at) WHERE review_status != 'new';
CREATE INDEX listings_seller ON listings (seller_id) WHERE flagged = 1;
CREATE INDEX listings_seller_name ON listings (seller_name) WHERE flagged = 1;
CREATE INDEX listings_province ON listings (province_fold) WHERE flagged = 1;
CREATE TABLE flags (platform TEXT NOT NULL, listing_id TEXT NOT NULL, kind TEXT NOT NULL, rule_id TEXT NOT NULL,
    score REAL NOT NULL);
CREATE INDEX flags_listing ON flags (platform, listing_id);
CREATE INDEX flags_rule ON flags (rule_id);
CREATE TABLE reviews (seq INTEGER PRIMARY KEY, platform TEXT NOT NULL, listing_id TEXT NOT NULL, action TEXT NOT NULL,
    from_status TEXT NOT NULL, to_status TEXT NOT NULL, by TEXT NOT NULL, at TEXT NOT NULL, note TEXT,
    prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
CREATE INDEX reviews_listing ON reviews (platform, listing_id, seq);
CREATE TABLE crawl_runs (id INTEGER PRIMARY KEY, spider TEXT NOT NULL, started_at TEXT, finished_at TEXT,
    doc TEXT NOT NULL);
CREATE INDEX crawl_runs_spider ON crawl_runs (spider, started_at DESC);
CREATE INDEX crawl_runs_started ON crawl_runs (started_at DESC);
PRAGMA user_version = 3;
"""


def _stored(listing_id: str, **fields: Any) -> Listing:
    """A listing as a version-3 store held it (first_seen, history, risk, review set by the store)."""
    base: dict[str, Any] = {
        "platform": "tiki", "listing_id": listing_id, "url": f"https://tiki.vn/p/{listing_id}",
        "title": f"Đồng hồ {listing_id} chính hãng", "description": "Mô tả\n\"có\" ký tự \\ lạ", "price": 150_000,
        "seller": {"platform_id": "s1", "name": "Shop Hà", "province": "Hà Nội"}, "images": ["https://a/1.jpg"],
        "first_seen": T0, "last_seen": T0 + timedelta(days=2), "price_history": [{"price": 150_000, "at": T0}],
    }  # fmt: skip
    base.update(fields)
    return Listing.model_validate(base)


def _v3_row(listing: Listing, dismissed: dict[str, Any] | None = None) -> tuple[Any, ...]:
    """The version-3 row of ``listing``: document without last_seen, merged fields at its end."""
    body = listing.model_dump_json(exclude=set(MERGED_FIELDS))
    evidence = "null" if listing.evidence is None else listing.evidence.model_dump_json()
    doc = (
        f'{body[:-1]},"first_seen":"{iso_ms(listing.first_seen)}","risk":{listing.risk!r},'
        f'"price_history":{json.dumps([p.model_dump(mode="json") for p in listing.price_history])},'
        f'"review":{listing.review.model_dump_json()},"evidence":{evidence}}}'
    )
    seller = listing.seller
    mask = 0
    for flag in listing.flags:
        mask |= KIND_BITS[flag.kind]
    return (
        listing.platform, listing.listing_id, listing.risk, iso_ms(listing.first_seen), iso_ms(listing.last_seen),
        listing.review.status, iso_ms(listing.review.at) if listing.review.at else None, int(bool(listing.flags)),
        mask, listing.source,
        seller_key(listing.platform, seller.platform_id, seller.name) if seller.platform_id or seller.name else None,
        seller.platform_id,
        seller.name, fold_key(seller.name), seller.province, fold_key(seller.province), listing.category,
        search_text(listing), "0" * 32, None, None if dismissed is None else json.dumps(dismissed), doc,
    )  # fmt: skip


def _write_v3(path: Path) -> tuple[list[Listing], list[Any], dict[str, Any]]:
    flag = Flag(rule_id="counterfeit.watch", kind="counterfeit", score=0.8, message="giả",
                matched=[Match(field="title", text="Đồng hồ", start=0, end=7)])  # fmt: skip
    other = Flag(rule_id="origin.none", kind="missing_origin", score=0.3, message="không rõ")
    confirmed = _stored(
        "1", flags=[flag, other], risk=0.8,
        review=Review(status="confirmed", by="an", at=T0 + timedelta(hours=3), note="đã xác minh"),
        evidence=Evidence(url="https://tiki.vn/p/1", http_status=200, html_sha256="ab" * 32,
                          html_ref="ab/cd/x.html.gz", captured_at=T0 + timedelta(minutes=5)),
        price_history=[{"price": 150_000, "at": T0}, {"price": 120_000, "at": T0 + timedelta(days=1)}],
        price=120_000,
    )  # fmt: skip
    dismissed = _stored("2", flags=[other], risk=0.3, title="Túi xách",
                        review=Review(status="dismissed", by="bình", at=T0 + timedelta(hours=4)))  # fmt: skip
    plain = _stored("3", price=None, price_history=[], description=None, seller={}, images=[])
    listings = [confirmed, dismissed, plain]
    record = dismissal_record(content_digest(dismissed), dismissed.flags)
    run = {"spider": "tiki", "started_at": iso_ms(T0), "finished_at": iso_ms(T0 + timedelta(hours=1)),
           "stats": {"item_scraped_count": 3}, "errors": [], "rules_version": "abc"}  # fmt: skip
    entries = []
    prev = None
    for seq, (item, from_status) in enumerate(((confirmed, "new"), (dismissed, "new")), 1):
        entry = new_entry(seq, prev, item.platform, item.listing_id, from_status, item.review.status,
                          item.review.by or "", item.review.at or T0, item.review.note)  # fmt: skip
        entries.append(entry)
        prev = entry.hash
    with sqlite3.connect(path) as raw:
        raw.executescript(V3_SCHEMA)
        marks = ",".join("?" * 22)
        for item in listings:
            row = _v3_row(item, record if item is dismissed else None)
            raw.execute(
                "INSERT INTO listings (platform, listing_id, risk, first_seen, last_seen, review_status, review_at,"
                " flagged, kinds, source, seller_key, seller_id, seller_name, seller_fold, province, province_fold,"
                f" category, search, digest, content, dismissed, doc) VALUES ({marks})",
                row,
            )
            raw.executemany(
                "INSERT INTO flags VALUES (?, ?, ?, ?, ?)",
                [(item.platform, item.listing_id, f.kind, f.rule_id, f.score) for f in item.flags],
            )
        raw.executemany(
            "INSERT INTO reviews VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [tuple(entry_document(entry).values()) for entry in entries],
        )
        raw.execute(
            "INSERT INTO crawl_runs (spider, started_at, finished_at, doc) VALUES (?, ?, ?, ?)",
            (run["spider"], run["started_at"], run["finished_at"], json.dumps(run)),
        )
    return listings, entries, record


def test_a_version_3_file_is_upgraded_with_everything_kept(tmp_path: Path) -> None:
    db = tmp_path / "v3.sqlite3"
    listings, entries, record = _write_v3(db)
    uri = f"sqlite:///{db}"
    with open_store(uri) as store:
        for item in listings:
            got = store.get_listing(item.platform, item.listing_id)
            assert got is not None and got.model_dump() == item.model_dump()
        assert [x.model_dump() for x in store.iter_listings()] == [x.model_dump() for x in listings]
        exported = [doc for kind, doc in store.export_documents() if kind == "listings"]
        assert [{k: v for k, v in doc.items() if k != "_dismissed"} for doc in exported] == [
            x.to_document() for x in listings
        ]
        assert [doc.get("_dismissed") for doc in exported] == [None, record, None]
        assert [x.key for x in store.query_flagged(FlagQuery(rule_id="counterfeit.watch"))] == ["tiki:1"]
        assert [x.key for x in store.query_flagged(FlagQuery(province="ha noi", kind="missing_origin"))] == [
            "tiki:1", "tiki:2"
        ]  # fmt: skip
        assert [x.key for x in store.query_flagged(FlagQuery(flagged_only=False, text="ky tu"))] == ["tiki:1", "tiki:2"]
        assert store.review_history("tiki", "1") == entries[:1]
        assert list(store.iter_audit()) == entries
        with sqlite3.connect(db) as raw:
            flag_rows = sorted(raw.execute("SELECT platform, listing_id, kind, rule_id, score FROM flags"))
        expected = [(x.platform, x.listing_id, f.kind, f.rule_id, f.score) for x in listings for f in x.flags]
        assert flag_rows == sorted(expected)
        report = verify_chain(store.iter_audit())
        assert report.ok and report.checked == 2
        runs = store.recent_crawl_runs()
        assert [(r["spider"], r["stats"], r["started_at"]) for r in runs] == [("tiki", {"item_scraped_count": 3}, T0)]
        # the dismissal still screens: a re-crawl of the same content keeps the dismissed rule's flag off
        again = listings[1].model_copy(update={"review": Review(), "first_seen": None, "price_history": []})
        store.upsert_listings([again], seen_at=T0 + timedelta(days=3))
        kept = store.get_listing("tiki", "2")
        assert kept is not None and kept.flags == [] and kept.review.status == "dismissed"
        # the first re-crawl after the upgrade rewrites (digests were cleared), the next one is unchanged
        crawled = listings[0].model_copy(update={"review": Review(), "first_seen": None, "price_history": []})
        assert store.upsert_listings([crawled], seen_at=T0 + timedelta(days=3)).updated == 1
        assert store.upsert_listings([crawled], seen_at=T0 + timedelta(days=4)).unchanged == 1
        after = store.get_listing("tiki", "1")
        assert after is not None
        assert after.model_dump(exclude={"last_seen"}) == listings[0].model_dump(exclude={"last_seen"})
    verified = CliRunner().invoke(app, ["audit", "verify", "--store", uri])
    assert verified.exit_code == 0, verified.output
    with sqlite3.connect(db) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        tables = {name for (name,) in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert "listings_old" not in tables
        # listing 2's re-crawl dropped its dismissed rule's flag; listing 1 keeps both
        assert sorted(raw.execute("SELECT listing_id, rule_id FROM flags")) == [
            ("1", "counterfeit.watch"), ("1", "origin.none")
        ]  # fmt: skip


def test_a_failed_upgrade_leaves_the_version_3_file_as_it_was(tmp_path: Path) -> None:
    db = tmp_path / "v3.sqlite3"
    _write_v3(db)
    with sqlite3.connect(db) as raw:
        raw.execute("UPDATE listings SET doc = 'not json' WHERE listing_id = '3'")
        before = raw.execute("SELECT * FROM listings ORDER BY id").fetchall()
    with pytest.raises(StoreError, match=re.escape(str(db))):
        open_store(f"sqlite:///{db}")
    with sqlite3.connect(db) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == 3
        assert raw.execute("SELECT * FROM listings ORDER BY id").fetchall() == before


def test_a_version_3_file_gets_peer_groups_from_its_listings_peer_keys(tmp_path: Path) -> None:
    db = tmp_path / "v3.sqlite3"
    listings, _, _ = _write_v3(db)
    with sqlite3.connect(db) as raw:  # listings written with a peer key (listing 3 has no price: no peer)
        raw.execute("UPDATE listings SET doc = json_set(doc, '$.peer_key', 'casio|mtp-1374') WHERE listing_id != '2'")
    with open_store(f"sqlite:///{db}") as store:
        (group,) = store.peer_groups(["casio|mtp-1374", "other"]).values()
        assert (group.key, group.listings, group.sellers, group.median) == ("casio|mtp-1374", 1, 1, 120_000)
        assert group.sample == [("tiki:1", "Shop Hà", 120_000)]
        got = store.get_listing("tiki", "1")
        assert got is not None and got.peer_key == "casio|mtp-1374"
        assert got.model_dump(exclude={"peer_key"}) == listings[0].model_dump(exclude={"peer_key"})


def test_a_version_4_file_gets_its_peer_tables_and_keeps_its_digests(tmp_path: Path) -> None:
    db = tmp_path / "v4.sqlite3"
    uri = f"sqlite:///{db}"
    crawled = [
        _stored(str(i), price=100_000 + i * 1_000, peer_key="casio|mtp-1374", first_seen=None, last_seen=None,
                price_history=[], seller={"platform_id": f"s{i % 3}", "name": f"Shop {i % 3}"},
                fields_seen=["title", "price", "seller"], partial=bool(i % 2))
        for i in range(7)
    ]  # fmt: skip
    crawled.append(_stored("9", price=1, peer_key="casio|mtp-1374", first_seen=None, last_seen=None,
                           price_history=[]))  # fmt: skip
    with open_store(uri) as store:
        store.upsert_listings(crawled, seen_at=T0)
        before = store.peer_groups(["casio|mtp-1374"])
        stored = [x.model_dump() for x in store.iter_listings()]
    assert before["casio|mtp-1374"].listings == 7 and before["casio|mtp-1374"].sellers == 3
    with sqlite3.connect(db) as raw:  # the version-4 layout: the same without the peer columns and table
        raw.executescript("DROP INDEX listings_peer; ALTER TABLE listings DROP COLUMN peer_key;"
                          " ALTER TABLE listings DROP COLUMN peer; DROP TABLE peer_groups; PRAGMA user_version = 4;")
    with sqlite3.connect(db) as raw:
        raw.execute("UPDATE listings SET doc = 'not json' WHERE listing_id = '3'")
    with pytest.raises(StoreError, match=re.escape(str(db))):
        open_store(uri)
    with sqlite3.connect(db) as raw:  # the failed upgrade left the file as it was
        assert raw.execute("PRAGMA user_version").fetchone()[0] == 4
        assert not raw.execute("SELECT 1 FROM sqlite_master WHERE name = 'peer_groups'").fetchone()
        assert "peer" not in [column[1] for column in raw.execute("PRAGMA table_info(listings)")]
        raw.execute("UPDATE listings SET doc = ? WHERE listing_id = '3'", (crawled[3].model_dump_json(
            exclude=set(MERGED_FIELDS), exclude_none=True),))
    with open_store(uri) as store:
        assert store.peer_groups(["casio|mtp-1374"]) == before
        assert [x.model_dump() for x in store.iter_listings()] == stored
        assert store.upsert_listings(crawled, seen_at=T0 + timedelta(days=1)).unchanged == len(crawled)
    with sqlite3.connect(db) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 8


# The version-5 peer tables: each group's summary and members, rewritten by every write that changed it.
V5_PEER_GROUPS = """
CREATE TABLE peer_groups (key TEXT PRIMARY KEY, listings INTEGER NOT NULL, sellers INTEGER NOT NULL, median REAL,
    mad REAL, sample TEXT NOT NULL, members TEXT NOT NULL) WITHOUT ROWID;
INSERT INTO peer_groups VALUES ('casio|mtp-1374', 1, 1, 1.0, 0.0, '[]', 'p');
PRAGMA user_version = 5;
"""


def test_a_version_5_file_gets_peer_keys_from_its_peer_column_and_an_empty_summary_cache(tmp_path: Path) -> None:
    db = tmp_path / "v5.sqlite3"
    uri = f"sqlite:///{db}"
    crawled = [
        _stored(str(i), price=100_000 + i * 1_000, peer_key="casio|mtp-1374" if i % 4 else "casio|f-91w",
                first_seen=None, last_seen=None, price_history=[],
                seller={"platform_id": f"s{i % 3}", "name": f"Shop {i % 3}"})
        for i in range(9)
    ]  # fmt: skip
    with open_store(uri) as store:
        store.upsert_listings(crawled, seen_at=T0)
        keys = ["casio|mtp-1374", "casio|f-91w"]
        before = store.peer_groups(keys)
        stored = [x.model_dump() for x in store.iter_listings()]
    assert [before[key].listings for key in keys] == [6, 3]
    with sqlite3.connect(db) as raw:  # the version-5 layout: no peer_key, summaries and members in peer_groups
        columns = raw.execute("SELECT id, peer_key, peer FROM listings ORDER BY id").fetchall()
        raw.executescript("DROP INDEX listings_peer; ALTER TABLE listings DROP COLUMN peer_key; DROP TABLE peer_groups;"
                          + V5_PEER_GROUPS)  # fmt: skip
        raw.execute("UPDATE listings SET peer = 'not a membership' WHERE listing_id = '3'")
    with pytest.raises(StoreError, match=re.escape(str(db))):
        open_store(uri)
    with sqlite3.connect(db) as raw:  # the failed upgrade left the file as it was
        assert raw.execute("PRAGMA user_version").fetchone()[0] == 5
        assert "members" in [column[1] for column in raw.execute("PRAGMA table_info(peer_groups)")]
        raw.execute("UPDATE listings SET peer = ? WHERE listing_id = '3'", (columns[3][2],))
    with open_store(uri) as store:
        with sqlite3.connect(db) as raw:
            assert raw.execute("SELECT id, peer_key, peer FROM listings ORDER BY id").fetchall() == columns
            assert raw.execute("SELECT COUNT(*) FROM peer_groups").fetchone() == (0,)  # the stale row is gone
            assert [column[1:4] for column in raw.execute("PRAGMA table_info(peer_groups)")][-1] == (
                "members", "TEXT", 0)  # the version-7 cache's: NULL for a group above MEMBERS_LIMIT
        assert store.peer_groups(keys) == before
        assert [x.model_dump() for x in store.iter_listings()] == stored
        assert store.upsert_listings(crawled, seen_at=T0 + timedelta(days=1)).unchanged == len(crawled)


# The version-6 summary cache: summaries only.
V6_PEER_GROUPS = """
DROP TABLE peer_groups;
CREATE TABLE peer_groups (key TEXT PRIMARY KEY, listings INTEGER NOT NULL, sellers INTEGER NOT NULL, median REAL,
    mad REAL, sample TEXT NOT NULL) WITHOUT ROWID;
INSERT INTO peer_groups VALUES ('casio|mtp-1374', 2, 2, 150000.0, 0.0, '[]');
PRAGMA user_version = 6;
"""


def test_a_version_6_summary_cache_is_dropped_and_rebuilt_with_members(tmp_path: Path) -> None:
    db = tmp_path / "v6.sqlite3"
    uri = f"sqlite:///{db}"
    crawled = [_stored(str(i), price=100_000 + i * 1_000, peer_key="casio|mtp-1374", first_seen=None,
                       last_seen=None, price_history=[], seller={"platform_id": f"s{i}"})
               for i in range(3)]  # fmt: skip
    with open_store(uri) as store:
        store.upsert_listings(crawled, seen_at=T0)
        before = store.peer_groups(["casio|mtp-1374"])
    assert before["casio|mtp-1374"].members is not None and len(before["casio|mtp-1374"].members or []) == 3
    with sqlite3.connect(db) as raw:
        raw.executescript(V6_PEER_GROUPS)
    with open_store(uri) as store:
        with sqlite3.connect(db) as raw:
            assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 8
            assert raw.execute("SELECT COUNT(*) FROM peer_groups").fetchone() == (0,)  # the old rows are gone
        assert store.peer_groups(["casio|mtp-1374"]) == before
