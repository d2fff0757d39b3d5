"""DetectPipeline + StorePipeline together: flags stored, prices re-judged at the end of a first
crawl, a re-crawl judged at once against the store's peer summaries (never by reading every stored
listing), and a store outage spools listings to a file instead of losing them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection
from pathlib import Path
from typing import Any

import pytest
from scrapy.crawler import Crawler
from scrapy.utils.test import get_crawler

from crawler.items import Listing, PeerGroup
from crawler.store import StoreError, open_store
from crawler.store.sqlite import SQLiteStore
from pipelines.detect import DetectPipeline, StoredPeers
from pipelines.store import StorePipeline

REPO = Path(__file__).resolve().parent.parent


def _iphone(listing_id: str, price: int) -> Listing:
    return Listing(
        platform="tiki",
        listing_id=listing_id,
        url=f"https://tiki.vn/p{listing_id}",
        title="Điện thoại iPhone 15 Pro Max 256GB chính hãng VN/A",
        price=price,
        brand="Apple",
        category="Điện thoại",
        origin="Trung Quốc",
    )


def _crawler(tmp_path: Path, store_uri: str) -> Crawler:
    crawler = get_crawler(
        settings_dict={
            "RULES_DIR": str(REPO / "rules"),
            "STORE_URI": store_uri,
            "STORE_BATCH_SIZE": 2,
            "EVIDENCE_DIR": str(tmp_path / "evidence"),
            "SPOOL_DIR": str(tmp_path / "spool"),
        }
    )
    crawler.stats.open_spider()
    return crawler


def _run(crawler: Crawler, listings: list[Listing]) -> None:
    detect = DetectPipeline.from_crawler(crawler)
    store = StorePipeline.from_crawler(crawler)
    detect.open_spider()
    store.open_spider()
    for listing in listings:
        store.process_item(detect.process_item(listing))
    # Scrapy closes pipelines in reverse order: the store flushes first, then detect re-judges; the
    # crawl-run record is written at spider_closed, after both
    store.close_spider()
    detect.close_spider()
    store.spider_closed()


def test_first_crawl_outlier_is_rejudged_at_the_end(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    crawler = _crawler(tmp_path, uri)
    # The outlier comes first, when no peer has been seen yet: it cannot be judged then.
    listings = [_iphone("0", 3_900_000)] + [_iphone(str(i), 28_000_000 + i * 500_000) for i in range(1, 9)]
    _run(crawler, listings)
    with open_store(uri) as store:
        outlier = store.get_listing("tiki", "0")
        normal = store.get_listing("tiki", "4")
        runs = store.recent_crawl_runs()
    assert outlier is not None and normal is not None
    # judged at once: an iPhone under the catalog's price floor (counterfeit); at the end: the price
    kinds = [flag.kind for flag in outlier.flags]
    assert sorted(kinds) == ["counterfeit", "price_anomaly"]
    price_flag = outlier.flags[kinds.index("price_anomaly")]
    assert "3.900.000₫" in price_flag.message
    assert outlier.risk == max(flag.score for flag in outlier.flags)
    assert normal.flags == []
    assert crawler.stats.get_value("detect/price_rejudged") == 1
    assert crawler.stats.get_value("store/upserted") == 9
    assert runs and runs[0]["rules_version"] == crawler.stats.get_value("detect/rules_version")


def test_recrawl_is_judged_at_once_from_store_peers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    uri = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    _run(_crawler(tmp_path, uri), [_iphone(str(i), 28_000_000 + i * 500_000) for i in range(1, 9)])
    with open_store(uri) as store:
        stored = store.get_listing("tiki", "1")
        assert stored is not None and stored.peer_key is not None  # set by detection, written by the store
        (group,) = store.peer_groups([stored.peer_key]).values()
    assert (group.listings, group.sellers) == (8, 8)

    def never(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the crawl read every stored listing")

    monkeypatch.setattr(SQLiteStore, "iter_listings", never)
    crawler = _crawler(tmp_path, uri)
    detect = DetectPipeline.from_crawler(crawler)
    detect.open_spider()
    flags = detect.process_item(_iphone("99", 350_000_000)).flags
    assert [flag.rule_id for flag in flags if flag.kind == "price_anomaly"]
    detect.close_spider()
    assert crawler.stats.get_value("detect/peers/stored_groups") == 1
    assert crawler.stats.get_value("detect/peers/store_reads") == 1 <= crawler.stats.get_value("detect/peers/lookups")


class _SpyStore:
    """What StoredPeers needs of a store: peer_groups, counted."""

    def __init__(self, groups: dict[str, PeerGroup], fail: bool = False) -> None:
        self.groups = groups
        self.fail = fail
        self.asked: list[list[str]] = []

    def peer_groups(self, keys: Collection[str]) -> dict[str, PeerGroup]:
        self.asked.append(list(keys))
        if self.fail:
            raise StoreError("SQLite store x: peer_groups failed: disk I/O error")
        return {key: self.groups[key] for key in keys if key in self.groups}


def _group(key: str) -> PeerGroup:
    return PeerGroup(key=key, listings=3, sellers=2, median=1_000_000.0, mad=50_000.0,
                     sample=[("tiki:1", "Shop", 1_000_000)])


def test_stored_peers_reads_each_key_once_and_keeps_absent_ones(caplog: pytest.LogCaptureFixture) -> None:
    store = _SpyStore({f"k{i}": _group(f"k{i}") for i in range(0, 10, 2)})
    lookup = StoredPeers(store)  # type: ignore[arg-type]
    for turn in range(1_000):
        key = f"k{turn % 10}"
        assert lookup([key]) == ({key: store.groups[key]} if key in store.groups else {})
    assert sorted(key for asked in store.asked for key in asked) == [f"k{i}" for i in range(10)]
    assert (lookup.lookups, lookup.store_reads, lookup.found) == (1_000, 10, 5)
    assert list(lookup(["k0", "k2", "k0", "x"])) == ["k0", "k2"] and store.asked[-1] == ["x"]
    small = StoredPeers(store, capacity=2)  # type: ignore[arg-type]
    for key in ("k0", "k2", "k4", "k0"):
        small([key])
    assert store.asked[-4:] == [["k0"], ["k2"], ["k4"], ["k0"]]  # k0 was forgotten for k4
    assert StoredPeers()(["k0"]) == {}  # no store (yet): no stored summaries
    broken = StoredPeers(_SpyStore({}, fail=True))  # type: ignore[arg-type]
    with caplog.at_level(logging.ERROR):
        assert broken(["k0"]) == {} and broken(["k1"]) == {}
    assert caplog.text.count("stored price peers unavailable") == 1 and "disk I/O error" in caplog.text


def test_the_store_pipeline_writes_the_peer_key_detection_set(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    crawler = _crawler(tmp_path, uri)
    store = StorePipeline.from_crawler(crawler)
    store.open_spider()
    for i in range(3):
        listing = _iphone(str(i), 29_000_000 + i)
        listing.peer_key = "apple|iphone 15 pro max|256gb"  # what detection sets before the store pipeline
        listing.fields_seen = ["title", "price", "brand", "category", "origin"]
        document = store.process_item(listing)
        assert document["peer_key"] == "apple|iphone 15 pro max|256gb"
    store.close_spider()
    with open_store(uri) as opened:
        got = opened.get_listing("tiki", "1")
        groups = opened.peer_groups(["apple|iphone 15 pro max|256gb"])
    assert got is not None and got.peer_key == "apple|iphone 15 pro max|256gb" and got.fields_seen
    assert groups["apple|iphone 15 pro max|256gb"].listings == 3


def test_broken_rule_file_is_located_and_the_rest_still_flags(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "banned.yaml").write_text((REPO / "rules" / "banned.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    (rules / "broken.yaml").write_text("kind: banned\nrules:\n  - id: x\n    severty: high\n  [\n", encoding="utf-8")
    # allowed to go on with the rules that loaded (without it the crawl stops: test_rules_file_errors.py)
    crawler = get_crawler(settings_dict={"RULES_DIR": str(rules), "STORE_URI": f"sqlite:///{tmp_path / 's.db'}",
                                         "RULES_ALLOW_ERRORS": True})
    crawler.stats.open_spider()
    caplog.set_level(logging.ERROR)
    detect = DetectPipeline.from_crawler(crawler)
    assert crawler.stats.get_value("detect/rule_errors") >= 1
    detect.open_spider()
    assert any("broken.yaml:" in record.getMessage() for record in caplog.records)
    vape = Listing(platform="shopee", listing_id="1", url="u", title="Pod vape thuốc lá điện tử chính hãng")
    assert [flag.kind for flag in detect.process_item(vape).flags] == ["banned"]


def test_store_outage_spools_listings_and_import_recovers_them(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from typer.testing import CliRunner

    from crawler.cli import app

    unreachable = "mongodb://127.0.0.1:9/listing_monitor?serverSelectionTimeoutMS=300"
    crawler = _crawler(tmp_path, unreachable)
    caplog.set_level(logging.ERROR)
    store = StorePipeline.from_crawler(crawler)
    store.open_spider()
    for i in range(3):
        store.process_item(_iphone(str(i), 29_000_000))
    store.close_spider()
    store.spider_closed()
    spooled = list((tmp_path / "spool").glob("*.jsonl"))
    assert len(spooled) == 1
    records = [json.loads(line) for line in spooled[0].read_text(encoding="utf-8").splitlines()]
    assert [record.get("listing_id") for record in records[:3]] == ["0", "1", "2"]
    assert records[3]["_record"] == "crawl_run" and records[3]["run"]["stats"]["store/spooled"] == 3
    assert crawler.stats.get_value("store/spooled") == 3
    assert crawler.stats.get_value("store/spool_path") == str(spooled[0])
    (cause,) = crawler.stats.get_value("exit/causes")
    assert cause == f"STORE_UNREACHABLE: the store did not take everything: spool {spooled[0]}"
    assert any("crawler store import" in record.getMessage() for record in caplog.records)
    target = f"sqlite:///{tmp_path / 'recovered.sqlite3'}"
    result = CliRunner().invoke(app, ["store", "import", str(spooled[0]), "--store", target])
    assert result.exit_code == 0, result.output
    with open_store(target) as recovered:
        assert recovered.count_listings() == 3
        assert [run["stats"]["store/spooled"] for run in recovered.recent_crawl_runs()] == [3]


def test_a_run_that_logged_errors_is_recorded_with_them(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    crawler = _crawler(tmp_path, uri)
    store = StorePipeline.from_crawler(crawler)
    store.open_spider()
    logging.getLogger("spiders.tiki").error("%s: malformed JSON (%s)", "https://tiki.vn/api/v2/products?q=x", "cut")
    store.process_item(_iphone("1", 29_000_000))
    store.close_spider()
    store.spider_closed()
    logging.getLogger("spiders.tiki").error("after the run: not this run's error")
    with open_store(uri) as opened:
        (run,) = opened.recent_crawl_runs()
    assert run["errors"] == ["spiders.tiki: https://tiki.vn/api/v2/products?q=x: malformed JSON (cut)"]
    assert run["stats"]["store/upserted"] == 1


def _flags_by_key(uri: str) -> dict[str, list[str]]:
    with open_store(uri) as store:
        return {listing.key: sorted(flag.rule_id for flag in listing.flags) for listing in store.iter_listings()}


def test_store_down_spools_the_rejudged_price_flags_and_import_restores_them(tmp_path: Path) -> None:
    """The end-of-run price re-judgement goes to the spool with the listings: imported, the store holds
    the same flags as after a run with the store up (the issue measured the demo's 13 → 1)."""
    from typer.testing import CliRunner

    from crawler.cli import app

    listings = [_iphone("0", 3_900_000)] + [_iphone(str(i), 28_000_000 + i * 500_000) for i in range(1, 9)]
    up = f"sqlite:///{tmp_path / 'up.sqlite3'}"
    _run(_crawler(tmp_path / "up", up), [listing.model_copy(deep=True) for listing in listings])
    expected = _flags_by_key(up)
    assert "price_anomaly.far_below_peers" in " ".join(expected["tiki:0"])  # what the re-judgement added

    unreachable = "mongodb://127.0.0.1:9/listing_monitor?serverSelectionTimeoutMS=300"
    crawler = _crawler(tmp_path / "down", unreachable)
    _run(crawler, [listing.model_copy(deep=True) for listing in listings])
    assert crawler.stats.get_value("detect/price_rejudged_spooled") == 1
    (spool,) = (tmp_path / "down" / "spool").glob("*.jsonl")
    kinds = [json.loads(line).get("_record", "listing") for line in spool.read_text(encoding="utf-8").splitlines()]
    assert kinds == ["listing"] * 9 + ["flags", "crawl_run"]  # the record is the run's last word
    imported = f"sqlite:///{tmp_path / 'imported.sqlite3'}"
    result = CliRunner().invoke(app, ["store", "import", str(spool), "--store", imported])
    assert result.exit_code == 0, result.output
    assert "11 lines read: 11 loaded" in result.output
    assert _flags_by_key(imported) == expected
