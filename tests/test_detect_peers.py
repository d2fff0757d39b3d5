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


def _store_of(listings: list[Listing]):
    """What ``Store.peer_groups`` hands out for these stored listings (the store's own member and summary code)."""
    from crawler.store.peers import member_of, summarise

    members: dict[str, dict[str, tuple[str, str, int]]] = {}
    for listing in listings:
        member = member_of(listing)
        if member is not None:
            members.setdefault(member.key, {})[listing.key] = (member.seller, member.label, member.price)

    def stored(keys: list[str]) -> dict[str, PeerGroup]:
        found = {key: summarise(key, members[key]) for key in keys if key in members}
        return {key: group for key, group in found.items() if group is not None}

    return stored


def _airfryers(detector: Detector) -> list[Listing]:
    sellers = ["Shop A", "shop  a", None, "Điện Máy B", {"platform_id": "77"}, {"platform_id": "88", "name": "C"},
               "Shop D", None, "Shop E"]  # fmt: skip
    prices = [2_100_000, 2_150_000, 2_300_000, 2_250_000, 2_400_000, 2_200_000, 2_350_000, 2_500_000, 2_050_000]
    listings = []
    for n, (seller, price) in enumerate(zip(sellers, prices, strict=True)):
        listing = Listing(platform="shopee", listing_id=str(n), url=f"https://s.invalid/{n}",
                          title="Nồi chiên Philips HD9252", price=price,
                          seller=seller if isinstance(seller, dict) else {"name": seller})  # fmt: skip
        listing.peer_key = detector.new_peer_stats().key_for(listing)
        listings.append(listing)
    cheap = Listing(platform="shopee", listing_id="cheap", url="https://s.invalid/c", title="Nồi chiên Philips HD9252",
                    price=600_000, seller={"name": "Shop X"}, peer_key=listings[0].peer_key)  # fmt: skip
    return [*listings, cheap]


def test_a_stored_groups_members_leave_the_judged_listing_out_exactly(detector: Detector) -> None:
    """The store hands a small group out with its members, the judged listing's own stored price among
    them: the summary without it is the one a batch holding every listing computes (the end of a run)."""
    listings = _airfryers(detector)
    key, cheap = listings[0].peer_key, listings[-1]
    assert key is not None
    complete = detector.new_peer_stats()
    for listing in sorted(listings, key=lambda x: x.key):
        complete.add(listing)
    exact = complete.summary(key, exclude=cheap)
    assert exact.sellers == 8 and exact.median == 2_275_000  # "Shop A" and "shop  a" are one seller
    for met in (0, 3, 9):  # an identical re-crawl that has met the first few listings so far
        peers = detector.new_peer_stats(stored=_store_of(listings))
        for listing in listings[:met]:
            peers.add(listing)
        assert peers.summary(key, exclude=cheap) == exact, met
        assert peers.summary(key, exclude=cheap.key) == exact
    peers.add(cheap)
    assert peers.summary(key, exclude=cheap) == exact  # the end of the run


def test_a_batch_listing_overrides_its_stored_membership(detector: Detector) -> None:
    listings = _airfryers(detector)
    key = listings[0].peer_key
    assert key is not None
    peers = detector.new_peer_stats(stored=_store_of(listings))
    assert peers.summary(key).listings == 10
    peers.add(listings[4].model_copy(update={"price": 9_000_000}))  # re-priced: counts at its new price
    moved = listings[5].model_copy(update={"title": "Samsung Galaxy S24 Ultra 256GB"})
    peers.add(moved)  # now in another group: not in its old one
    gone = listings[6].model_copy(update={"price": None})
    peers.add(gone)  # no price now: counts nowhere
    summary = peers.summary(key)
    assert summary.listings == 8 and all(peer[0] not in {moved.key, gone.key} for peer in summary.sample)
    expected = detector.new_peer_stats()
    for listing in sorted([*listings[:4], listings[4].model_copy(update={"price": 9_000_000}), *listings[7:]],
                          key=lambda x: x.key):  # fmt: skip
        expected.add(listing)
    assert summary == expected.summary(key)


def test_a_stored_members_seller_is_the_batchs_seller() -> None:
    from crawler.detect.peers import member_seller, seller_id
    from crawler.store.peers import member_of

    for seller in ({"platform_id": "42", "name": "A"}, {"platform_id": "x:name:y"}, {"name": "Shop  ÀBC"},
                   {"name": "name:z"}, {"name": "   "}, {}, {"platform_id": "", "name": "B"}):  # fmt: skip
        listing = Listing(platform="tiki", listing_id="9:1", url="u", title="x", price=2_000_000, seller=seller,
                          peer_key="k")  # fmt: skip
        member = member_of(listing)
        assert member is not None
        assert member_seller(listing.key, member.seller, member.label) == seller_id(listing), seller
