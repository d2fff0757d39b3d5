"""PeerStats: groups by product identity, each seller once, placeholders and re-adds, stored summaries."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.detect import Detector, load_rules
from crawler.items import Listing, PeerGroup

RULES = Path(__file__).resolve().parent.parent / "rules"


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector(load_rules(RULES).ruleset)


def _listing(n: int, title: str, price: int | None, seller: str | None = None, **extra) -> Listing:
    return Listing(platform="shopee", listing_id=str(n), url=f"https://s.invalid/{n}", title=title, price=price,
                   seller={"name": seller}, **extra)


def test_adding_the_same_listing_again_replaces_it(detector: Detector) -> None:
    peers = detector.new_peer_stats()
    first = _listing(1, "iPhone 15 Pro Max 256GB", 29_000_000)
    key = peers.add(first)
    assert key == "iphone 15 pro max|256gb"
    assert first.peer_key == key  # the listing carries its identity (the store keeps summaries by it)
    peers.add(first.model_copy(update={"price": 27_000_000}))  # the re-crawl after the store's copy
    summary = peers.summary(key)
    assert summary.sellers == 1 and summary.median == 27_000_000
    assert len(peers) == 1


def test_a_re_added_listing_leaves_its_old_group(detector: Detector) -> None:
    peers = detector.new_peer_stats()
    listing = _listing(1, "iPhone 15 Pro Max 256GB", 29_000_000)
    peers.add(listing)
    moved = listing.model_copy(update={"title": "Samsung Galaxy S24 Ultra 256GB", "price": 26_000_000})
    assert peers.add(moved) == "samsung galaxy s24 ultra|256gb"
    assert peers.summary("iphone 15 pro max|256gb").sellers == 0
    assert peers.keys() == ["samsung galaxy s24 ultra|256gb"]
    gone = moved.model_copy(update={"price": None})
    assert peers.add(gone) is None  # a price that disappeared stops counting
    assert gone.peer_key == "samsung galaxy s24 ultra|256gb"  # its identity stays
    assert len(peers) == 0


def test_placeholder_and_foreign_prices_are_not_peers(detector: Detector) -> None:
    peers = detector.new_peer_stats()
    assert peers.add(_listing(1, "iPhone 15 Pro Max 256GB", 1)) is None
    assert peers.add(_listing(2, "iPhone 15 Pro Max 256GB", 1200, currency="USD")) is None
    assert peers.add(_listing(3, "iPhone 15 Pro Max 256GB", 123_456_789)) is None
    assert peers.add(_listing(4, "iPhone 15 Pro Max 256GB", 29_000_000)) == "iphone 15 pro max|256gb"
    assert peers.summary("iphone 15 pro max|256gb").sellers == 1


def test_each_seller_counts_once(detector: Detector) -> None:
    """Thirty copies of one seller's cheap template ad do not drag the median down."""
    peers = detector.new_peer_stats()
    market = [2_100_000, 2_300_000, 2_250_000, 2_400_000, 2_500_000]
    for i, price in enumerate(market):
        peers.add(_listing(i, "Nồi chiên không dầu Philips HD9252", price, seller=f"Shop {i}"))
    for i in range(30):
        peers.add(_listing(100 + i, "Philips HD9252/90 giá sỉ", 700_000, seller="Kho Sỉ"))
    summary = peers.summary("hd9252")
    assert summary.sellers == 6 and summary.listings == 35
    assert summary.median == 2_275_000
    bait = _listing(999, "HD9252 Philips", 650_000, seller="Kho Sỉ")
    peers.add(bait)
    assert peers.summary("hd9252", exclude=bait).sellers == 6  # its seller still counts (other listings)
    assert [f.rule_id for f in detector.price_flags(bait, peers)] == ["price_anomaly.far_below_peers"]
    fresh = _listing(1000, "HD9252 Philips", 2_200_000, seller="Điện Máy Mới")
    assert detector.price_flags(fresh, peers) == []


def test_seller_ids_prefer_the_platforms_id_then_the_name() -> None:
    from crawler.detect.peers import seller_id

    assert seller_id(_listing(1, "x", 1, seller="Shop  ABC")) == seller_id(_listing(2, "x", 1, seller="shop abc"))
    with_id = Listing(platform="tiki", listing_id="1", url="u", title="x", seller={"platform_id": 42, "name": "A"})
    assert seller_id(with_id) == "tiki:id:42"
    assert seller_id(_listing(5, "x", 1)) != seller_id(_listing(6, "x", 1))  # unnamed: one seller each


def test_generic_titles_and_accessories_have_no_group(detector: Detector) -> None:
    peers = detector.new_peer_stats()
    for title in ("Áo sơ mi nam dài tay", "Tai nghe bluetooth không dây", "Ốp lưng iPhone 15 Pro Max",
                  "Baga sau Honda Vision 2022 inox", "Lọc gió thay thế cho Honda Vision 2021"):
        assert peers.key_for(_listing(1, title, 100_000)) is None, title


def test_stored_summaries_stand_in_for_the_store_listings(detector: Detector) -> None:
    asked: list[list[str]] = []

    def stored(keys: list[str]) -> dict[str, PeerGroup]:
        asked.append(keys)
        return {"hd9252": PeerGroup(key="hd9252", listings=40, sellers=12, median=2_200_000, mad=100_000,
                                    sample=[("tiki:1", "Điện Máy A", 2_190_000)])}

    peers = detector.new_peer_stats(stored=stored)
    cheap = _listing(1, "Nồi chiên Philips HD9252", 600_000, seller="Shop X")
    peers.add(cheap)
    summary = peers.summary("hd9252", exclude=cheap)
    assert summary.sellers == 11 and summary.median == 2_200_000  # one fewer: the listing may be stored
    (flag,) = detector.price_flags(cheap, peers)
    assert "11 người bán khác" in flag.message and "tiki:1 (Điện Máy A) 2.190.000₫" in flag.message
    peers.summary("hd9252")
    assert asked == [["hd9252"]]  # fetched once per group
    peers.prefetch(["a|1", "b|2"])
    assert asked[-1] == ["a|1", "b|2"]


def test_the_batch_wins_when_it_knows_more_sellers_than_the_store(detector: Detector) -> None:
    peers = detector.new_peer_stats(stored=lambda keys: {
        k: PeerGroup(key=k, listings=2, sellers=2, median=9_000_000, mad=0) for k in keys})
    for i, price in enumerate([2_100_000, 2_300_000, 2_250_000, 2_400_000, 2_500_000]):
        peers.add(_listing(i, "Philips HD9252", price, seller=f"Shop {i}"))
    assert peers.summary("hd9252").median == 2_300_000


def test_official_sellers_per_platform(detector: Detector) -> None:
    title = "Sữa bột Nestlé NAN Optipro số 4 hàng fake"
    on_tiki = Listing(platform="tiki", listing_id="1", url="https://t.invalid/1", title=title, price=300_000,
                      seller={"name": "Tiki Trading"})
    on_chotot = on_tiki.model_copy(update={"platform": "chotot"})
    assert not [f for f in detector.detect(on_tiki) if f.kind == "counterfeit"]
    assert [f for f in detector.detect(on_chotot) if f.kind == "counterfeit"]
