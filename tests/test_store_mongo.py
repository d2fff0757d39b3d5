"""MongoDB backend specifics (nx-27017 always, a real server when MONGODB_URI is set).

Indexes at open, BSON dates on disk, database name from the URI, the revision guard against
concurrent writers, and retries of transient network errors.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo import MongoClient
from pymongo.errors import AutoReconnect, OperationFailure

from crawler.items import Flag, Listing
from crawler.store import StoreError, open_store
from crawler.store.mongo import MongoStore
from tests.mongo_server import NxServer

T0 = datetime(2025, 3, 1, 8, tzinfo=UTC)


def listing(**fields: Any) -> Listing:
    """A valid shopee listing."""
    return Listing.model_validate(
        {"platform": "shopee", "listing_id": "42", "url": "https://shopee.vn/p/42", "title": "Son môi", **fields}
    )


def test_indexes_are_created_at_open(mongo_uri: str) -> None:
    with open_store(mongo_uri) as store:
        assert isinstance(store, MongoStore)
        indexes = list(store.listings.list_indexes())
    keys = {tuple(name for name, _ in index["key"].items()): index for index in indexes}
    assert keys[("platform", "listing_id")].get("unique") is True
    for wanted in [("risk", "last_seen"), ("last_seen", "risk"), ("flags.kind",), ("review.status",),
                   ("seller.platform_id",)]:  # fmt: skip
        assert wanted in keys, f"missing index on {wanted}: {sorted(keys)}"


def test_documents_keep_bson_dates_and_internal_keys_stay_internal(mongo_uri: str) -> None:
    with open_store(mongo_uri) as store:
        assert isinstance(store, MongoStore)
        store.upsert_listings([listing(price=99_000, posted_at="2025-02-01T10:00:00+07:00")], seen_at=T0)
        raw = store.listings.find_one({"platform": "shopee"})
        got = store.get_listing("shopee", "42")
    assert raw is not None and got is not None
    assert isinstance(raw["last_seen"], datetime) and isinstance(raw["price_history"][0]["at"], datetime)
    assert raw["posted_at"] == datetime(2025, 2, 1, 3, tzinfo=UTC)
    assert {"_id", "_rev", "_digest"} <= raw.keys()
    assert got.posted_at == datetime(2025, 2, 1, 3, tzinfo=UTC)


def test_database_name_comes_from_the_uri(nx_server: NxServer) -> None:
    with open_store(nx_server.uri("lm_named")) as named:
        assert isinstance(named, MongoStore) and named.database == "lm_named"
    with open_store(f"mongodb://127.0.0.1:{nx_server.port}/") as default:
        assert isinstance(default, MongoStore) and default.database == "listing_monitor"


def test_a_review_made_during_an_upsert_is_not_overwritten(
    mongo_uri: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with open_store(mongo_uri) as store:
        assert isinstance(store, MongoStore)
        store.upsert_listings([listing(price=100)], seen_at=T0)
        real_write = store._write
        raced: list[bool] = []

        def write_after_an_inspector(what: str, ops: list[Any]) -> tuple[int, dict[int, str]]:
            if not raced:  # between the upsert's read and its write, an inspector confirms the listing
                raced.append(True)
                doc = store.listings.find_one({"platform": "shopee", "listing_id": "42"})
                assert doc is not None
                doc["review"] = {"status": "confirmed", "by": "an", "at": T0, "note": "hàng giả"}
                doc["_rev"] = "inspector"
                store.listings.replace_one({"_id": doc["_id"]}, doc)
            return real_write(what, ops)

        monkeypatch.setattr(store, "_write", write_after_an_inspector)
        result = store.upsert_listings([listing(price=200)], seen_at=T0 + timedelta(days=1))
        got = store.get_listing("shopee", "42")
    assert raced and result.updated == 1
    assert got is not None and got.price == 200 and got.review.status == "confirmed"
    assert [p.price for p in got.price_history] == [100, 200]


def test_replace_flags_then_same_crawl_restores_crawled_flags(mongo_uri: str) -> None:
    crawled = [Flag(rule_id="cf.brand", kind="counterfeit", score=0.7, message="giả")]
    with open_store(mongo_uri) as store:
        store.upsert_listings([listing(flags=crawled)], seen_at=T0)
        store.replace_flags("shopee", "42", [])
        assert store.upsert_listings([listing(flags=crawled)], seen_at=T0 + timedelta(1)).updated == 1
        got = store.get_listing("shopee", "42")
    assert got is not None and got.risk == 0.7 and [f.rule_id for f in got.flags] == ["cf.brand"]


def bare_store(retries: int = 2) -> MongoStore:
    """A MongoStore with no connection, to test its retry policy alone."""
    store = MongoStore.__new__(MongoStore)
    store._uri, store.hosts, store.retries, store.backoff = "mongodb://u:pw@db1:27017/", "db1:27017", retries, 0
    return store


def test_transient_errors_are_retried() -> None:
    calls: list[int] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise AutoReconnect("connection reset")
        return "ok"

    assert bare_store(retries=2)._call("read", flaky) == "ok" and len(calls) == 3


def test_persistent_network_errors_become_a_store_error() -> None:
    calls: list[int] = []

    def down() -> None:
        calls.append(1)
        raise AutoReconnect("db1:27017: connection refused")

    with pytest.raises(StoreError, match=r"db1:27017.*after 3 attempts"):
        bare_store(retries=2)._call("read", down)
    assert len(calls) == 3


def test_other_errors_are_not_retried() -> None:
    calls: list[int] = []

    def refused() -> None:
        calls.append(1)
        raise OperationFailure("not authorized on lm to execute command")

    with pytest.raises(StoreError, match="not authorized"):
        bare_store()._call("read", refused)
    assert len(calls) == 1


def test_nx_server_stops_by_pid(tmp_path: Any) -> None:
    server = NxServer(tmp_path / "own").start()
    process = server.process
    assert process is not None
    with MongoClient(server.uri("x"), serverSelectionTimeoutMS=2000) as client:
        assert client.admin.command("ping")["ok"] == 1
    server.stop()
    assert process.poll() is not None and server.port is None
