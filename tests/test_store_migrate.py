"""export_documents / import_documents: everything moves between backends, twice changes nothing, the
audit chain stays verifiable, and a dismissal keeps working after the move."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crawler.items import Flag, Listing
from crawler.review.audit import verify_chain
from crawler.store import FlagQuery, Store, StoreError, open_store
from tests.mongo_server import NxServer

T0 = datetime(2025, 3, 1, 8, tzinfo=UTC)


def fill(store: Store) -> None:
    """A little of everything: price history, evidence, reviews, a dismissal, crawl runs."""
    flags = [Flag(rule_id="banned.gun", kind="banned", score=0.9, message="súng")]
    for day, price in enumerate([100, 120]):
        store.upsert_listings([
            Listing(platform="tiki", listing_id="1", url="https://tiki.vn/1", title="Súng hơi", price=price,
                    flags=flags,
                    seller={"platform_id": "s1", "name": "Shop", "province": "Hà Nội"},
                    evidence={"html_sha256": "ab" * 32, "captured_at": T0}),
            Listing(platform="shopee", listing_id="2", url="https://shopee.vn/2", title="Dao", flags=flags),
            Listing(platform="shopee", listing_id="3", url="https://shopee.vn/3", title="Sách"),
        ], seen_at=T0 + timedelta(days=day))  # fmt: skip
    store.apply_review("tiki", "1", "confirmed", by="thanh", note="hàng cấm", at=T0 + timedelta(days=2))
    store.apply_review("shopee", "2", "dismissed", by="an", at=T0 + timedelta(days=3))
    store.record_crawl_run({"spider": "tiki", "started_at": T0, "finished_at": T0 + timedelta(minutes=3),
                            "stats": {"item_scraped_count": 3}})  # fmt: skip


@pytest.mark.parametrize("target", ["sqlite", "nx-27017"])
def test_migrate_everything_idempotently(store: Store, target: str, tmp_path: Path, nx_server: NxServer) -> None:
    fill(store)
    exported = list(store.export_documents())
    assert [c for c, _ in exported] == ["listings"] * 3 + ["reviews"] * 2 + ["crawl_runs"]
    uri = f"sqlite:///{tmp_path / 'target.sqlite3'}" if target == "sqlite" else nx_server.uri()
    with open_store(uri) as copy:
        counts = copy.import_documents(iter(exported))
        assert (counts["listings"], counts["reviews"], counts["crawl_runs"], counts["rejected"]) == (3, 2, 1, 0)
        again = copy.import_documents(iter(exported))
        assert (again["reviews"], again["crawl_runs"], again["skipped"]) == (0, 0, 3)
        assert list(copy.export_documents()) == exported
        for listing in store.iter_listings():
            assert copy.get_listing(listing.platform, listing.listing_id) == listing
        assert list(copy.iter_audit()) == list(store.iter_audit())
        assert verify_chain(copy.iter_audit()).ok
        assert copy.recent_crawl_runs() == store.recent_crawl_runs()
        assert copy.count_flagged(FlagQuery(status="confirmed")) == 1
        # the chain continues on the target, and the dismissal still holds there
        entry = copy.apply_review("tiki", "1", "referred", by="an", at=T0 + timedelta(days=4))
        assert entry.seq == 3 and verify_chain(copy.iter_audit()).ok
        copy.upsert_listings([Listing(platform="shopee", listing_id="2", url="https://shopee.vn/2", title="Dao",
                                      flags=[Flag(rule_id="banned.gun", kind="banned", score=0.9, message="súng")])],
                             seen_at=T0 + timedelta(days=5))  # fmt: skip
        got = copy.get_listing("shopee", "2")
        assert got is not None and got.review.status == "dismissed" and got.flags == []


def test_import_refuses_a_conflicting_log_and_rejects_bad_items(store: Store) -> None:
    fill(store)
    exported = list(store.export_documents())
    reviews = [(c, dict(d)) for c, d in exported if c == "reviews"]
    reviews[0][1]["note"] = "khác"
    reviews[0][1]["hash"] = "0" * 64
    with pytest.raises(StoreError, match="different audit entry 1"):
        store.import_documents(reviews)
    counts = store.import_documents([("listings", {"platform": "tiki"}), ("nonsense", {}), ("reviews", {"seq": 9})])
    assert counts["rejected"] == 3 and store.count_listings() == 3
