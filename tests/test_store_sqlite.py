"""SQLite backend specifics: URIs and paths, WAL, the flags side table, unchanged fast path, speed."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crawler.items import Flag, Listing
from crawler.store import FlagQuery, StoreError, open_store
from crawler.store.documents import MERGED_FIELDS
from crawler.store.factory import sqlite_path
from crawler.store.sqlite import SQLiteStore
from crawler.store.sqlite_rows import DIGEST_VERSION, EXCLUDE_NONE, Prepared
from crawler.store.sqlite_schema import DEFAULT_REVIEW, SCHEMA_VERSION
from crawler.text import fold

T0 = datetime(2025, 3, 1, tzinfo=UTC)


def listing(listing_id: str, **fields: object) -> Listing:
    """A valid tiki listing."""
    return Listing.model_validate(
        {"platform": "tiki", "listing_id": listing_id, "url": f"https://tiki.vn/p/{listing_id}",
         "title": f"Sản phẩm {listing_id}", "price": 150_000, **fields}
    )  # fmt: skip


@pytest.mark.parametrize(
    ("uri", "path"),
    [
        ("sqlite:///data/crawler.sqlite3", "data/crawler.sqlite3"),
        ("sqlite:////var/lib/lm/x.sqlite3", "/var/lib/lm/x.sqlite3"),
        ("sqlite://:memory:", ":memory:"),
        ("sqlite:///:memory:", ":memory:"),
    ],
)
def test_sqlite_uri_paths(uri: str, path: str) -> None:
    assert sqlite_path(uri) == path


@pytest.mark.parametrize("uri", ["sqlite://", "sqlite:///", "sqlite://relative.db", "sqlite:/x.db"])
def test_bad_sqlite_uris(uri: str) -> None:
    with pytest.raises(StoreError, match="store URI"):
        open_store(uri)


def test_default_uri_creates_directories_and_uses_wal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("STORE_URI", raising=False)
    with open_store() as store:
        assert isinstance(store, SQLiteStore)
        store.upsert_listings([listing("1")], seen_at=T0)
    db = tmp_path / "data" / "crawler.sqlite3"
    assert db.is_file()
    with sqlite3.connect(db) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        indexes = {row[1] for row in raw.execute("SELECT type, name FROM sqlite_master WHERE type = 'index'")}
    assert {
        "listings_risk",
        "listings_newest",
        "listings_reviewed",
        "listings_seller",
        "listings_seller_name",
        "listings_province_risk",
        "flags_rule",
    } <= indexes


def test_env_store_uri_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "nested" / "env.sqlite3"
    monkeypatch.setenv("STORE_URI", f"sqlite:///{target}")
    with open_store() as store:
        assert store.count_listings() == 0
    assert target.is_file()


def test_memory_store() -> None:
    with open_store("sqlite://:memory:") as store:
        store.upsert_listings([listing("1")], seen_at=T0)
        assert store.count_listings() == 1


def test_unopenable_file_is_a_store_error(tmp_path: Path) -> None:
    not_a_db = tmp_path / "garbage.sqlite3"
    not_a_db.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match=r"garbage\.sqlite3"):
        open_store(f"sqlite:///{not_a_db}")


def test_flags_side_table_follows_the_document(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite3"
    flags = [Flag(rule_id="banned.gun", kind="banned", score=0.9, message="súng"),
             Flag(rule_id="origin.none", kind="missing_origin", score=0.2, message="không rõ")]  # fmt: skip
    with open_store(f"sqlite:///{db}") as store:
        store.upsert_listings([listing("1", flags=flags), listing("2")], seen_at=T0)
        rows = lambda: sorted(sqlite3.connect(db).execute("SELECT listing_id, kind, rule_id, score FROM flags"))  # noqa: E731
        assert rows() == sorted(("1", f.kind, f.rule_id, f.score) for f in flags)
        store.upsert_listings([listing("1", flags=flags[:1])], seen_at=T0 + timedelta(1))
        assert rows() == [("1", "banned", "banned.gun", 0.9)]
        store.replace_flags("tiki", "2", flags[1:])
        assert rows() == [("1", "banned", "banned.gun", 0.9), ("2", "missing_origin", "origin.none", 0.2)]
        # after replace_flags the next crawl of the same content restores the crawled flags
        result = store.upsert_listings([listing("2")], seen_at=T0 + timedelta(2))
        assert result.updated == 1
        assert rows() == [("1", "banned", "banned.gun", 0.9)]


def test_unchanged_listing_only_touches_last_seen(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite3"
    with open_store(f"sqlite:///{db}") as store:
        store.upsert_listings([listing("1")], seen_at=T0)
        before = sqlite3.connect(db).execute("SELECT doc, digest, last_seen FROM listings").fetchone()
        store.upsert_listings([listing("1")], seen_at=T0 + timedelta(hours=1))
        doc, digest, last_seen = sqlite3.connect(db).execute("SELECT doc, digest, last_seen FROM listings").fetchone()
        got = store.get_listing("tiki", "1")
    assert digest == before[1] and doc == before[0]  # the document is not rewritten
    assert before[2] == "2025-03-01T00:00:00.000Z" and last_seen == "2025-03-01T01:00:00.000Z"
    assert got is not None and got.last_seen == T0 + timedelta(hours=1)


def test_a_failed_batch_is_rolled_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with open_store(f"sqlite:///{tmp_path / 's.sqlite3'}") as store:
        assert isinstance(store, SQLiteStore)
        store.upsert_listings([listing("1")], seen_at=T0)

        def boom(*_: object) -> None:
            raise sqlite3.OperationalError("disk I/O error (simulated)")

        monkeypatch.setattr(store, "_write_flags", boom)
        with pytest.raises(StoreError, match="simulated"):
            store.upsert_listings([listing("1", title="đổi"), listing("2")], seen_at=T0 + timedelta(1))
        monkeypatch.undo()
        got = store.get_listing("tiki", "1")
        assert store.count_listings() == 1 and got is not None and got.title == "Sản phẩm 1"


@pytest.mark.figures
def test_batched_upserts_of_thousands(tmp_path: Path) -> None:
    """Batches of 1000 insert, then re-crawl unchanged (rates printed; bench/store_scale.py measures them)."""
    batch = [listing(str(i), flags=[Flag(rule_id="r", kind="banned", score=0.5, message="m")] if i % 4 else [])
             for i in range(3000)]  # fmt: skip
    with open_store(f"sqlite:///{tmp_path / 's.sqlite3'}") as store:
        started = time.perf_counter()
        for start in range(0, len(batch), 1000):
            store.upsert_listings(batch[start : start + 1000], seen_at=T0)
        insert_rate = len(batch) / (time.perf_counter() - started)
        started = time.perf_counter()
        result = store.upsert_listings(batch, seen_at=T0 + timedelta(1))
        unchanged_rate = len(batch) / (time.perf_counter() - started)
        assert result.unchanged == len(batch)
        assert len(store.query_flagged(FlagQuery(limit=5000))) == sum(bool(x.flags) for x in batch)
    print(f"sqlite upserts/s: insert {insert_rate:,.0f}, unchanged {unchanged_rate:,.0f}")


def test_a_version_1_file_is_upgraded(tmp_path: Path) -> None:
    """A store written by the first schema (document with last_seen, no filter columns) opens and answers."""
    db = tmp_path / "v1.sqlite3"
    flagged = listing("1", seller={"platform_id": "s1", "province": "Hà Nội"},
                      flags=[Flag(rule_id="banned.gun", kind="banned", score=0.9, message="súng")])  # fmt: skip
    doc = flagged.model_copy(update={"first_seen": T0, "last_seen": T0, "risk": 0.9}).model_dump_json()
    with sqlite3.connect(db) as raw:
        raw.executescript(
            "CREATE TABLE listings (id INTEGER PRIMARY KEY, platform TEXT NOT NULL, listing_id TEXT NOT NULL,"
            " risk REAL NOT NULL DEFAULT 0, first_seen TEXT, last_seen TEXT, review_status TEXT NOT NULL DEFAULT 'new',"
            " seller_id TEXT, digest TEXT, doc TEXT NOT NULL, UNIQUE (platform, listing_id));"
            "CREATE INDEX listings_risk ON listings (risk DESC, last_seen DESC);"
            "CREATE TABLE flags (platform TEXT NOT NULL, listing_id TEXT NOT NULL, kind TEXT NOT NULL,"
            " rule_id TEXT NOT NULL, score REAL NOT NULL);"
            "CREATE INDEX flags_kind ON flags (kind, platform, listing_id);"
            "CREATE TABLE crawl_runs (id INTEGER PRIMARY KEY, spider TEXT NOT NULL, started_at TEXT,"
            " finished_at TEXT, doc TEXT NOT NULL); PRAGMA user_version = 1;"
        )
        raw.execute("INSERT INTO listings (platform, listing_id, risk, doc) VALUES ('tiki', '1', 0.9, ?)", (doc,))
        raw.execute("INSERT INTO flags VALUES ('tiki', '1', 'banned', 'banned.gun', 0.9)")
    with open_store(f"sqlite:///{db}") as store:
        got = store.get_listing("tiki", "1")
        assert got is not None and got.last_seen == T0 and got.first_seen == T0
        assert [x.key for x in store.query_flagged(FlagQuery(province="ha noi", rule_id="banned.gun"))] == ["tiki:1"]
        store.apply_review("tiki", "1", "confirmed", by="an", at=T0)
    with sqlite3.connect(db) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


VIETNAMESE = (
    "Đồng hồ Rolex CHÍNH HÃNG giá rẻ — Túi xách Gucci, Nước hoa Chanel; Áo khoác NỮ, Giày thể thao.\n"
    "Ắ Ằ Ẳ Ẵ Ặ ắ ằ ẳ ẵ ặ Ấ Ầ Ẩ Ẫ Ậ ấ ầ ẩ ẫ ậ É È Ẻ Ẽ Ẹ Ế Ề Ể Ễ Ệ ế ề ể ễ ệ Í Ì Ỉ Ĩ Ị í ì ỉ ĩ ị\t"
    "Ó Ò Ỏ Õ Ọ Ố Ồ Ổ Ỗ Ộ Ớ Ờ Ở Ỡ Ợ ớ ờ ở ỡ ợ Ú Ù Ủ Ũ Ụ Ứ Ừ Ử Ữ Ự ứ ừ ử ữ ự Ý Ỳ Ỷ Ỹ Ỵ ý ỳ ỷ ỹ ỵ đĐ  "
)


def test_search_column_is_the_folded_title_and_description(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite3"
    items = [listing("1", title="Đồng HỒ  Rolex", description="Chính   hãng\nGIÁ rẻ"), listing("2", title="Ví Gucci"),
             listing("3", title="\u200b", description="Chỉ mô tả")]  # fmt: skip
    with open_store(f"sqlite:///{db}") as store:
        store.upsert_listings(items, seen_at=T0)
        assert [x.key for x in store.query_flagged(FlagQuery(flagged_only=False, text="ho rolex chinh"))] == ["tiki:1"]
    stored = dict(sqlite3.connect(db).execute("SELECT listing_id, search FROM listings"))
    for item in items:
        text = f"{item.title}\n{item.description}" if item.description else item.title
        assert stored[item.listing_id] == fold(text)


def test_price_history_grows_across_re_crawls_and_duplicates(tmp_path: Path) -> None:
    """The history JSON is appended to as text: it must read back as the full, valid history."""
    with open_store(f"sqlite:///{tmp_path / 's.sqlite3'}") as store:
        store.upsert_listings([listing("1", price=100_000)], seen_at=T0)
        store.upsert_listings([listing("1", price=100_000, title="đổi tên")], seen_at=T0 + timedelta(1))
        result = store.upsert_listings(
            [listing("1", price=120_000), listing("1", price=90_000)], seen_at=T0 + timedelta(2)
        )
        got = store.get_listing("tiki", "1")
    assert result.updated == 2
    assert got is not None
    assert [(p.price, p.at) for p in got.price_history] == [
        (100_000, T0), (120_000, T0 + timedelta(2)), (90_000, T0 + timedelta(2))
    ]  # fmt: skip


def test_dismissal_uses_the_content_of_the_stored_document(tmp_path: Path) -> None:
    """The content column is not written any more; dismissing and screening compute it from the document."""
    db = tmp_path / "s.sqlite3"
    flag = Flag(rule_id="banned.gun", kind="banned", score=0.9, message="súng")
    with open_store(f"sqlite:///{db}") as store:
        store.upsert_listings([listing("1", flags=[flag])], seen_at=T0)
        store.apply_review("tiki", "1", "dismissed", by="an", at=T0)
        store.upsert_listings([listing("1", flags=[flag])], seen_at=T0 + timedelta(1))
        kept = store.get_listing("tiki", "1")
        store.replace_flags("tiki", "1", [flag])
        replaced = store.get_listing("tiki", "1")
        store.upsert_listings([listing("1", flags=[flag], title="Súng hơi mới")], seen_at=T0 + timedelta(2))
        reopened = store.get_listing("tiki", "1")
    assert kept is not None and kept.flags == [] and kept.review.status == "dismissed"
    assert replaced is not None and replaced.flags == []
    assert (
        reopened is not None
        and reopened.review.status == "new"
        and [f.rule_id for f in reopened.flags] == ["banned.gun"]
    )


def test_search_text_is_kept_on_a_price_change_and_refolded_on_a_text_change(tmp_path: Path) -> None:
    """A re-crawl folds title and description again only when they changed (text_key), else keeps ``search``."""
    db = tmp_path / "s.sqlite3"
    read = lambda: sqlite3.connect(db).execute("SELECT search, text_key FROM listings").fetchone()  # noqa: E731
    with open_store(f"sqlite:///{db}") as store:
        store.upsert_listings([listing("1", title="Đồng hồ Rolex", description="Chính hãng")], seen_at=T0)
        first = read()
        store.upsert_listings([listing("1", title="Đồng hồ Rolex", description="Chính hãng", price=99_000)],
                              seen_at=T0 + timedelta(1))  # fmt: skip
        assert read() == first == (fold("Đồng hồ Rolex\nChính hãng"), first[1])
        store.upsert_listings([listing("1", title="Túi Gucci", description="Chính hãng", price=99_000)],
                              seen_at=T0 + timedelta(2))  # fmt: skip
        search, text_key = read()
        assert search == fold("Túi Gucci\nChính hãng") and text_key != first[1]
        assert [x.key for x in store.query_flagged(FlagQuery(flagged_only=False, text="tui gucci"))] == ["tiki:1"]
        assert store.query_flagged(FlagQuery(flagged_only=False, text="rolex")) == []
        store.upsert_listings([listing("1", title="Túi Gucci", description=None)], seen_at=T0 + timedelta(3))
        assert read()[0] == fold("Túi Gucci")
    with sqlite3.connect(db) as raw:
        assert raw.execute("PRAGMA page_size").fetchone()[0] == 16384


def test_stored_body_drops_nulls_and_merged_fields_and_reads_back_the_same(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite3"
    item = listing("1", description=None, seller={"name": "Shop"}, evidence={"url": "https://tiki.vn/p/1"},
                   review={"status": "confirmed", "by": "an", "at": T0})  # fmt: skip
    assert EXCLUDE_NONE
    with open_store(f"sqlite:///{db}") as store:
        store.upsert_listings([item], seen_at=T0)
        got = store.get_listing("tiki", "1")
    doc, review, evidence, history = (
        sqlite3.connect(db).execute("SELECT doc, review, evidence, history FROM listings").fetchone()
    )
    body = json.loads(doc)
    assert "description" not in body and "url" not in body["seller"] and not MERGED_FIELDS & body.keys()
    assert json.loads(review)["by"] == "an" and json.loads(evidence)[0]["url"] == "https://tiki.vn/p/1"
    assert json.loads(history) == [{"price": 150_000, "at": "2025-03-01T00:00:00.000Z"}]
    assert got is not None
    assert got.model_dump(exclude={"first_seen", "last_seen", "price_history"}) == item.model_dump(
        exclude={"first_seen", "last_seen", "price_history"}
    )


def test_the_digest_shortcut_for_plain_listings_equals_the_general_digest() -> None:
    plain = Prepared(listing("1"))
    tail = f"\n{DEFAULT_REVIEW}\nnull\n{[]!r}".encode()  # review, evidence, the history it brought
    assert plain.digest == hashlib.blake2b(f"{DIGEST_VERSION}\n".encode() + plain.body + tail, digest_size=16).digest()
    assert Prepared(listing("1", price=1)).digest != plain.digest
    assert Prepared(listing("1", review={"status": "new", "note": "x"})).digest != plain.digest


def test_a_full_database_reports_its_own_error_not_the_rollbacks(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """SQLite rolls a SQLITE_FULL transaction back itself: the StoreError names "database or disk is
    full", never the failed ROLLBACK's "cannot rollback - no transaction is active"."""
    with open_store(f"sqlite:///{tmp_path / 's.sqlite3'}") as store:
        assert isinstance(store, SQLiteStore)
        store.upsert_listings([listing("0")], seen_at=T0)
        pages = store._db.execute("PRAGMA page_count").fetchone()[0]
        store._db.execute(f"PRAGMA max_page_count = {pages + 2}")  # a full disk, as SQLite sees one
        big = [listing(str(n), description="mô tả " * 2000) for n in range(1, 60)]
        with pytest.raises(StoreError, match="database or disk is full") as failed:
            store.upsert_listings(big, seen_at=T0)
        assert "cannot rollback" not in str(failed.value)
        assert "cannot rollback" not in caplog.text
        store._db.execute("PRAGMA max_page_count = 1073741823")
        assert store.count_listings() == 1  # nothing of the failed batch is half-written
        store.upsert_listings([listing("1")], seen_at=T0)  # and the store takes writes again
        assert store.count_listings() == 2
