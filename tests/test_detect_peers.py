"""PeerStats: re-added listings replace themselves, title clusters, unit/currency sanity, messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.detect import Detector, load_rules
from crawler.items import Listing

RULES = Path(__file__).resolve().parent.parent / "rules"


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector(load_rules(RULES).ruleset)


def _listing(n: int, title: str, price: int | None, **extra) -> Listing:
    return Listing(platform="shopee", listing_id=str(n), url=f"https://s.invalid/{n}", title=title, price=price,
                   **extra)


def test_adding_the_same_listing_again_replaces_it(detector: Detector) -> None:
    peers = detector.new_peer_stats()
    first = _listing(1, "iPhone 15 Pro Max 256GB", 29_000_000)
    key = peers.add(first)
    assert key == "iphone 15 pro max"
    peers.add(first.model_copy(update={"price": 27_000_000}))  # the re-crawl after the store's copy
    summary = peers.summary(key)
    assert summary.count == 1 and summary.median == 27_000_000
    assert len(peers) == 1


def test_a_re_added_listing_leaves_its_old_group(detector: Detector) -> None:
    peers = detector.new_peer_stats()
    listing = _listing(1, "iPhone 15 Pro Max 256GB", 29_000_000)
    peers.add(listing)
    moved = listing.model_copy(update={"title": "Samsung Galaxy S24 Ultra 256GB", "price": 26_000_000})
    assert peers.add(moved) == "samsung galaxy s24 ultra"
    assert peers.summary("iphone 15 pro max").count == 0
    assert peers.keys() == ["samsung galaxy s24 ultra"]
    peers.add(moved.model_copy(update={"price": None}))  # a price that disappeared stops counting
    assert len(peers) == 0


def test_placeholder_and_foreign_prices_are_not_peers(detector: Detector) -> None:
    peers = detector.new_peer_stats()
    assert peers.add(_listing(1, "iPhone 15 Pro Max 256GB", 1)) is None
    assert peers.add(_listing(2, "iPhone 15 Pro Max 256GB", 1200, currency="USD")) is None
    assert peers.add(_listing(3, "iPhone 15 Pro Max 256GB", 29_000_000)) == "iphone 15 pro max"


def test_title_clusters_give_peers_to_products_outside_the_catalog(detector: Detector) -> None:
    peers = detector.new_peer_stats()
    titles = ["Nồi cơm điện Cuckoo CR-0675F 1.08L", "Nồi cơm điện Cuckoo CR-0675F chính hãng",
              "Nồi cơm điện Cuckoo CR-0675F 1.08 lít đỏ", "Nồi cơm điện Cuckoo CR-0675F nắp gài",
              "Nồi cơm điện Cuckoo CR-0675F bảo hành 2 năm", "Nồi cơm điện Cuckoo CR-0675F"]
    listings = [_listing(i, title, 1_300_000 + 20_000 * i) for i, title in enumerate(titles)]
    cheap = _listing(99, "Nồi cơm điện Cuckoo CR-0675F giá sốc", 150_000)
    for listing in [*listings, cheap]:
        peers.add(listing)
    keys = {peers.key_for(listing) for listing in [*listings, cheap]}
    assert len(keys) == 1 and next(iter(keys)).startswith("title:")
    flags = detector.price_flags(cheap, peers)
    assert [f.rule_id for f in flags] == ["price_anomaly.far_below_peers"]
    message = flags[0].message
    assert "150.000" in message and "trung vị" in message and "6 tin tương tự" in message
    assert not detector.price_flags(listings[0], peers)


def test_a_spread_out_title_cluster_is_not_trusted(detector: Detector) -> None:
    peers = detector.new_peer_stats()
    prices = [100_000, 300_000, 900_000, 2_000_000, 4_000_000, 6_000_000]
    listings = [_listing(i, "Tai nghe bluetooth không dây chống ồn pin trâu", p) for i, p in enumerate(prices)]
    cheap = _listing(99, "Tai nghe bluetooth không dây chống ồn pin trâu", 20_000)
    for listing in [*listings, cheap]:
        peers.add(listing)
    assert not detector.price_flags(cheap, peers)


def test_official_sellers_per_platform(detector: Detector) -> None:
    title = "Sữa bột Nestlé NAN Optipro số 4 hàng fake"
    on_tiki = Listing(platform="tiki", listing_id="1", url="https://t.invalid/1", title=title, price=300_000,
                      seller={"name": "Tiki Trading"})
    on_chotot = on_tiki.model_copy(update={"platform": "chotot"})
    assert not [f for f in detector.detect(on_tiki) if f.kind == "counterfeit"]
    assert [f for f in detector.detect(on_chotot) if f.kind == "counterfeit"]
