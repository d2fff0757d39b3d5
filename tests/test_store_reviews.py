"""The review workflow on every backend: apply_review, the hash-chained log, dismissals that stick until
the content changes, and tampering with the log directly in the database being detected."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from crawler.items import Flag, Listing
from crawler.review.audit import verify_chain
from crawler.store import FlagQuery, InvalidQuery, Store, StoreError
from crawler.store.base import GENESIS_HASH
from crawler.store.mongo import MongoStore
from crawler.store.reviews import entry_hash
from crawler.store.sqlite import SQLiteStore

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def make(listing_id: str = "1", rules: tuple[str, ...] = ("banned.gun",), **fields: Any) -> Listing:
    """A tiki listing flagged by ``rules`` (kind = the rule id's prefix)."""
    flags = [Flag(rule_id=rule, kind=rule.split(".")[0], score=0.8, message="m") for rule in rules]
    base = {"platform": "tiki", "listing_id": listing_id, "url": f"https://tiki.example/{listing_id}",
            "title": "Súng hơi", "price": 500_000, "flags": flags, "seller": {"platform_id": "s1", "name": "Shop"}}
    return Listing.model_validate({**base, **fields})  # fmt: skip


def test_apply_review_sets_status_and_appends_a_chained_entry(store: Store) -> None:
    store.upsert_listings([make("1"), make("2")], seen_at=T0)
    first = store.apply_review("tiki", "1", "confirmed", by="thanh", note="hàng cấm", at=T0 + timedelta(hours=1))
    second = store.apply_review("tiki", "2", "referred", by="an", at=T0 + timedelta(hours=2))
    third = store.apply_review("tiki", "1", "dismissed", by="an", note=None, at=T0 + timedelta(hours=3))
    assert (first.seq, second.seq, third.seq) == (1, 2, 3)
    assert first.prev_hash == GENESIS_HASH and second.prev_hash == first.hash and third.prev_hash == second.hash
    assert (first.from_status, first.to_status, first.action, first.by) == ("new", "confirmed", "confirmed", "thanh")
    assert (third.from_status, third.to_status) == ("confirmed", "dismissed")
    assert all(entry.hash == entry_hash(entry) for entry in (first, second, third))
    got = store.get_listing("tiki", "1")
    assert got is not None and got.review.status == "dismissed" and got.review.by == "an"
    assert got.review.at == T0 + timedelta(hours=3)
    history = store.review_history("tiki", "1")
    assert [(e.seq, e.to_status, e.note) for e in history] == [(1, "confirmed", "hàng cấm"), (3, "dismissed", None)]
    assert history[0].at == T0 + timedelta(hours=1) and history[0].at.utcoffset() == timedelta(0)
    audit = list(store.iter_audit())
    assert audit == [first, second, third]
    report = verify_chain(audit)
    assert report.ok and report.checked == 3 and report.problems == []
    assert [x.key for x in store.query_flagged(FlagQuery(status="referred"))] == ["tiki:2"]


def test_apply_review_refuses_unknown_listing_status_and_reviewer(store: Store) -> None:
    store.upsert_listings([make("1")], seen_at=T0)
    with pytest.raises(StoreError, match="tiki:404"):
        store.apply_review("tiki", "404", "confirmed", by="an")
    with pytest.raises(InvalidQuery, match="approved"):
        store.apply_review("tiki", "1", "approved", by="an")
    with pytest.raises(InvalidQuery, match="by"):
        store.apply_review("tiki", "1", "confirmed", by=" ")
    with pytest.raises(InvalidQuery):
        store.apply_review("tiki", {"$ne": None}, "confirmed", by="an")  # type: ignore[arg-type]
    assert list(store.iter_audit()) == []
    got = store.get_listing("tiki", "1")
    assert got is not None and got.review.status == "new"


def test_a_review_survives_recrawls(store: Store) -> None:
    store.upsert_listings([make("1")], seen_at=T0)
    store.apply_review("tiki", "1", "confirmed", by="an", at=T0)
    store.upsert_listings([make("1")], seen_at=T0 + timedelta(days=1))
    store.upsert_listings([make("1", price=400_000)], seen_at=T0 + timedelta(days=2))
    got = store.get_listing("tiki", "1")
    assert got is not None and got.review.status == "confirmed" and [f.rule_id for f in got.flags] == ["banned.gun"]


def test_dismissed_listing_is_not_reflagged_for_the_same_rules(store: Store) -> None:
    store.upsert_listings([make("1", rules=("banned.gun", "counterfeit.x"))], seen_at=T0)
    store.apply_review("tiki", "1", "dismissed", by="an", note="súng đồ chơi", at=T0)
    for day in (1, 2):  # same content crawled again (twice: the second one takes the unchanged path)
        store.upsert_listings([make("1", rules=("banned.gun", "counterfeit.x"))], seen_at=T0 + timedelta(days=day))
        got = store.get_listing("tiki", "1")
        assert got is not None and got.review.status == "dismissed" and got.flags == [] and got.risk == 0
        assert got.last_seen == T0 + timedelta(days=day)
    # a rule that was not dismissed still flags, the status stays dismissed
    store.upsert_listings([make("1", rules=("banned.gun", "missing_origin.y"))], seen_at=T0 + timedelta(days=3))
    got = store.get_listing("tiki", "1")
    assert got is not None and [f.rule_id for f in got.flags] == ["missing_origin.y"]
    assert got.review.status == "dismissed"
    # replace_flags (the end-of-run re-judging) screens the same way
    store.replace_flags("tiki", "1", [Flag(rule_id="banned.gun", kind="banned", score=0.9, message="m")])
    got = store.get_listing("tiki", "1")
    assert got is not None and got.flags == []
    assert [e.by for e in store.review_history("tiki", "1")] == ["an"]


def test_changed_content_brings_the_flags_back_and_reopens(store: Store) -> None:
    store.upsert_listings([make("1")], seen_at=T0)
    store.apply_review("tiki", "1", "dismissed", by="an", at=T0)
    store.upsert_listings([make("1")], seen_at=T0 + timedelta(days=1))
    later = T0 + timedelta(days=2)
    store.upsert_listings([make("1", title="Súng hơi bắn đạn chì")], seen_at=later)
    got = store.get_listing("tiki", "1")
    assert got is not None and [f.rule_id for f in got.flags] == ["banned.gun"] and got.risk == 0.8
    assert got.review.status == "new" and got.review.by == "system" and got.review.at == later
    history = store.review_history("tiki", "1")
    assert [(e.from_status, e.to_status, e.by, e.note) for e in history] == [
        ("new", "dismissed", "an", None),
        ("dismissed", "new", "system", "content changed"),
    ]
    assert history[1].at == later and verify_chain(store.iter_audit()).ok
    assert [x.key for x in store.query_flagged(FlagQuery(status="new"))] == ["tiki:1"]
    # the reopened listing is crawled again unchanged: no new entry
    store.upsert_listings([make("1", title="Súng hơi bắn đạn chì")], seen_at=later + timedelta(days=1))
    assert len(store.review_history("tiki", "1")) == 2


@pytest.mark.parametrize(
    "change",
    [
        {"price": 450_000},
        {"description": "mới"},
        {"images": ["https://img.example/1.jpg"]},
        {"seller": {"platform_id": "s1", "name": "Shop mới"}},
        {"origin": "Trung Quốc"},
    ],
    ids=lambda change: next(iter(change)),
)
def test_each_content_field_counts_as_a_change(store: Store, change: dict[str, Any]) -> None:
    store.upsert_listings([make("1")], seen_at=T0)
    store.apply_review("tiki", "1", "dismissed", by="an", at=T0)
    store.upsert_listings([make("1", **change)], seen_at=T0 + timedelta(days=1))
    got = store.get_listing("tiki", "1")
    assert got is not None and got.review.status == "new" and got.flags


def test_non_content_changes_do_not_reopen(store: Store) -> None:
    store.upsert_listings([make("1")], seen_at=T0)
    store.apply_review("tiki", "1", "dismissed", by="an", at=T0)
    store.upsert_listings([make("1", sold_count=99, rating=4.5)], seen_at=T0 + timedelta(days=1))
    got = store.get_listing("tiki", "1")
    assert got is not None and got.review.status == "dismissed" and got.flags == []


def test_confirming_after_dismissal_clears_the_dismissal(store: Store) -> None:
    store.upsert_listings([make("1")], seen_at=T0)
    store.apply_review("tiki", "1", "dismissed", by="an", at=T0)
    store.apply_review("tiki", "1", "confirmed", by="thanh", at=T0 + timedelta(hours=1))
    store.upsert_listings([make("1")], seen_at=T0 + timedelta(days=1))
    got = store.get_listing("tiki", "1")
    assert got is not None and got.review.status == "confirmed" and [f.rule_id for f in got.flags] == ["banned.gun"]


# -- tampering with the log directly in the database ---------------------------------------------


def _reviews_write(store: Store, action: str, seq: int, other: int | None = None) -> None:
    """Change (note), delete or swap (seq) audit entries behind the store's back."""
    if isinstance(store, SQLiteStore):
        with sqlite3.connect(store.path) as db:
            if action == "change":
                db.execute("UPDATE reviews SET note = 'đã sửa' WHERE seq = ?", (seq,))
            elif action == "change_status":
                db.execute("UPDATE reviews SET to_status = 'dismissed', action = 'dismissed' WHERE seq = ?", (seq,))
            elif action == "delete":
                db.execute("DELETE FROM reviews WHERE seq = ?", (seq,))
            elif action == "swap":
                db.execute("UPDATE reviews SET seq = -1 WHERE seq = ?", (seq,))
                db.execute("UPDATE reviews SET seq = ? WHERE seq = ?", (seq, other))
                db.execute("UPDATE reviews SET seq = ? WHERE seq = -1", (other,))
            elif action == "insert":
                row = db.execute("SELECT * FROM reviews WHERE seq = ?", (seq,)).fetchone()
                later = [n for (n,) in db.execute("SELECT seq FROM reviews WHERE seq > ? ORDER BY seq DESC", (seq,))]
                for n in later:  # make room, last first
                    db.execute("UPDATE reviews SET seq = ? WHERE seq = ?", (n + 1, n))
                db.execute("INSERT INTO reviews VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", (seq + 1, *row[1:]))
        return
    assert isinstance(store, MongoStore)
    reviews = store.reviews
    if action == "change":
        reviews.update_one({"seq": seq}, {"$set": {"note": "đã sửa"}})
    elif action == "change_status":
        reviews.update_one({"seq": seq}, {"$set": {"to_status": "dismissed", "action": "dismissed"}})
    elif action == "delete":
        reviews.delete_one({"seq": seq})
    elif action == "swap":
        reviews.update_one({"seq": seq}, {"$set": {"seq": -1}})
        reviews.update_one({"seq": other}, {"$set": {"seq": seq}})
        reviews.update_one({"seq": -1}, {"$set": {"seq": other}})
    elif action == "insert":
        copy = reviews.find_one({"seq": seq}, {"_id": 0})
        assert copy is not None
        for later in sorted((d["seq"] for d in reviews.find({"seq": {"$gt": seq}})), reverse=True):
            reviews.update_one({"seq": later}, {"$set": {"seq": later + 1}})
        reviews.insert_one({**copy, "seq": seq + 1})


@pytest.mark.parametrize(
    ("action", "seq", "other", "expect"),
    [
        ("change", 2, None, "entry changed"),
        ("change_status", 3, None, "entry changed"),
        ("delete", 2, None, "missing"),
        ("delete", 1, None, "missing"),
        ("swap", 2, 3, "entry changed"),
        ("insert", 2, None, "prev_hash"),
    ],
)
def test_tampering_with_the_log_is_detected(
    store: Store, action: str, seq: int, other: int | None, expect: str
) -> None:
    store.upsert_listings([make("1"), make("2")], seen_at=T0)
    for n, (lid, status) in enumerate([("1", "confirmed"), ("2", "referred"), ("1", "new"), ("2", "confirmed")]):
        store.apply_review("tiki", lid, status, by="an", note=f"lần {n}", at=T0 + timedelta(hours=n))
    assert verify_chain(store.iter_audit()).ok
    _reviews_write(store, action, seq, other)
    report = verify_chain(store.iter_audit())
    assert not report.ok, f"{action} of seq {seq} not detected"
    assert any(expect in problem for problem in report.problems), report.problems
