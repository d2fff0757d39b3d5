"""The detector on positive and hard-negative listings of every kind, evidence spans, peers, explain."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from crawler.detect import Detector, PeerStats, load_rules
from crawler.detect.conditions import ListingText
from crawler.items import Listing, PeerGroup

RULES = Path(__file__).resolve().parent.parent / "rules"


@pytest.fixture(scope="module")
def detector() -> Detector:
    loaded = load_rules(RULES)
    assert loaded.errors == [], [str(e) for e in loaded.errors]
    return Detector(loaded.ruleset)


def make(title: str, n: int = 0, **fields: Any) -> Listing:
    return Listing(platform="test", listing_id=f"l{n}-{abs(hash(title)) % 10**8}", url="https://x.invalid",
                   title=title, **fields)


def ids(flags: list) -> set[str]:
    return {f.rule_id for f in flags}


def kinds(flags: list) -> set[str]:
    return {f.kind for f in flags}


def test_banned_match_quotes_the_original_evasive_text(detector: Detector) -> None:
    title = "Bán S.Ú.N.G   H.Ơ.I PCP giá rẻ"
    flags = detector.detect(make(title))
    (flag,) = [f for f in flags if f.rule_id == "banned.weapons"]
    (match,) = flag.matched
    assert match.field == "title"
    assert match.text == "S.Ú.N.G   H.Ơ.I"
    assert title[match.start:match.end] == match.text
    assert flag.legal_basis and "42/2024" in flag.legal_basis
    assert flag.rules_version == detector.version
    assert flag.severity == "critical" and 0 < flag.score <= 1


@pytest.mark.parametrize(
    "title",
    ["Súng bắn keo nến 60W", "Súng phun sơn điện", "Súng bắn đinh bê tông", "Súng nước đồ chơi",
     "Pháo giấy bắn kim tuyến", "Pháo hoa giấy cầm tay (không nổ)", "Dao gọt hoa quả",
     "Máy xông tinh dầu", "Camera an ninh gia đình", "Đèn pin siêu sáng", "Áo sơ mi dài tay trắng",
     "Giày da gân bò da thật"],
)
def test_banned_hard_negatives(detector: Detector, title: str) -> None:
    assert "banned" not in kinds(detector.detect(make(title)))


def test_exception_masks_only_its_own_words(detector: Detector) -> None:
    flags = detector.detect(make("Súng bắn keo", description="Shop còn có súng hơi"))
    (flag,) = [f for f in flags if f.rule_id == "banned.weapons"]
    assert [m.field for m in flag.matched] == ["description"]


def test_description_offsets(detector: Detector) -> None:
    description = "Mô tả: hàng có sẵn.\nThuốc lá điện tử pod 1 lần vị nho"
    flags = detector.detect(make("Đồ chơi", description=description))
    (flag,) = [f for f in flags if f.rule_id == "banned.e_cigarette"]
    for match in flag.matched:
        assert description[match.start:match.end] == match.text


def test_counterfeit_needs_more_than_a_brand(detector: Detector) -> None:
    plain = detector.detect(make("Túi Gucci Marmont chính hãng", price=35_000_000))
    assert "counterfeit" not in kinds(plain)
    rep = detector.detect(make("Túi Gucci Marmont rep 1:1", price=1_200_000))
    (flag,) = [f for f in rep if f.kind == "counterfeit"]
    assert "Gucci" in flag.message and "cụm từ hàng giả" in flag.message and "giá dưới mức sàn" in flag.message
    assert {m.text for m in flag.matched} >= {"Gucci", "rep 1:1"}


def test_counterfeit_evasive_spelling_is_a_signal(detector: Detector) -> None:
    flags = detector.detect(make("Túi xách G u c c i nữ", price=890_000))
    (flag,) = [f for f in flags if f.kind == "counterfeit"]
    assert "viết lách né bộ lọc" in flag.message
    assert any(m.text == "G u c c i" for m in flag.matched)


def test_official_seller_vetoes_counterfeit(detector: Detector) -> None:
    listing = make("Giày Nike Air Force 1 like auth", price=350_000,
                   seller={"name": "Nike Official Store", "official": False})
    assert "counterfeit" not in kinds(detector.detect(listing))
    marked = make("Giày Nike Air Force 1 like auth", price=350_000, seller={"name": "Shop A", "official": True})
    assert "counterfeit" not in kinds(detector.detect(marked))
    unofficial = make("Giày Nike Air Force 1 like auth", price=350_000, seller={"name": "Shop A"})
    assert "counterfeit" in kinds(detector.detect(unofficial))


@pytest.mark.parametrize(
    "title",
    ["Túi xách nữ da PU thời trang", "Thanh lý đồng hồ Casio chính hãng", "Viên dầu cá Omega 3 siêu cấp"],
)
def test_counterfeit_hard_negatives(detector: Detector, title: str) -> None:
    assert "counterfeit" not in kinds(detector.detect(make(title, price=900_000)))


def test_explain_gives_signal_shares(detector: Detector) -> None:
    explained = detector.explain(make("Túi Gucci rep 1:1", price=1_000_000))
    signals = {e.signal: e for e in explained if e.kind == "counterfeit"}
    present = [e for e in signals.values() if e.present and e.signal != "total"]
    assert {e.signal for e in present} == {"brand", "phrase", "price_floor", "unofficial_seller"}
    assert sum(e.share for e in present) == pytest.approx(1.0)
    assert signals["total"].present


def test_missing_origin(detector: Detector) -> None:
    assert "missing_origin.cosmetics" in ids(detector.detect(make("Kem chống nắng SPF50", category="Mỹ phẩm")))
    stated = make("Kem chống nắng SPF50", category="Mỹ phẩm", origin="Hàn Quốc")
    assert "missing_origin" not in kinds(detector.detect(stated))
    in_text = make("Kem chống nắng SPF50", description="Xuất xứ: Hàn Quốc")
    assert "missing_origin" not in kinds(detector.detect(in_text))
    assert "missing_origin" not in kinds(detector.detect(make("Áo thun nam cotton")))
    assert "missing_origin" not in kinds(detector.detect(make("Ốp lưng điện thoại Samsung")))
    admitted = detector.detect(make("Nước hoa", description="hàng ko rõ nguồn gốc", origin="Pháp"))
    assert ids(admitted) == {"missing_origin.unknown_origin_admitted"}


def peers_for(detector: Detector, title: str, prices: list[int]) -> PeerStats:
    peers = detector.new_peer_stats()
    for i, price in enumerate(prices):
        peers.add(make(title, n=i, price=price))
    return peers


PRICES = [26_500_000, 27_000_000, 28_000_000, 29_000_000, 29_500_000, 30_000_000, 31_000_000, 33_000_000]


def test_price_anomaly_below_and_above(detector: Detector) -> None:
    title = "iPhone 15 Pro Max 256GB VN/A"
    peers = peers_for(detector, title, PRICES)
    cheap = make(title, n=99, price=3_900_000)
    peers.add(cheap)
    (flag,) = detector.price_flags(cheap, peers)
    assert flag.rule_id == "price_anomaly.far_below_peers"
    # the group named: key, other sellers, listings, median (the listing excluded), MAD, a few peers
    assert "\u201ciphone 15 pro max|256gb\u201d" in flag.message
    assert "8 người bán khác (8 tin)" in flag.message and "29.250.000₫" in flag.message
    assert "MAD 1.500.000₫" in flag.message and "test:l1-" in flag.message
    assert flag.matched[0].text == "iPhone 15 Pro Max"
    dear = make(title, n=98, price=89_000_000)
    assert ids(detector.price_flags(dear, peers)) == {"price_anomaly.far_above_peers"}
    assert detector.price_flags(make(title, n=95, price=45_000_000), peers) == []  # 1.5 times: a dear shop
    normal = make(title, n=97, price=28_500_000)
    assert detector.price_flags(normal, peers) == []
    assert detector.price_flags(make(title, n=96), peers) == []  # no price, no judgement


def test_price_anomaly_needs_four_other_sellers(detector: Detector) -> None:
    title = "Samsung Galaxy S24 Ultra 256GB"
    peers = peers_for(detector, title, [25_000_000, 26_000_000, 27_000_000])
    assert detector.price_flags(make(title, n=50, price=2_000_000), peers) == []
    peers.add(make(title, n=4, price=29_000_000))
    assert ids(detector.price_flags(make(title, n=50, price=2_000_000), peers)) == {"price_anomaly.far_below_peers"}


def test_peer_stats(detector: Detector) -> None:
    peers = detector.new_peer_stats()
    assert peers.key_for(make("Ốp lưng iPhone 15 Pro Max")) is None
    assert peers.key_for(make("Áo thun nam")) is None
    assert peers.key_for(make("Điện thoại iPhone 15 Pro Max 256GB")) == "iphone 15 pro max|256gb"
    key = peers.key_for(make("iPhone 15 Pro Max"))
    assert key == "iphone 15 pro max"
    listing = make("iPhone 15 Pro Max", price=30_000_000)
    peers.add(listing)
    peers.add(listing.model_copy(update={"price": 31_000_000}))  # same listing again: replaced
    peers.add(make("iPhone 15 Pro Max", n=2, price=33_000_000))
    summary = peers.summary(key)
    assert (summary.sellers, summary.median, summary.mad) == (2, 32_000_000, 1_000_000)
    assert peers.summary(key, exclude=listing).sellers == 1
    assert peers.summary("unknown").sellers == 0
    assert isinstance(PeerStats(detector.ruleset), PeerStats)


def test_detect_without_peers_gives_only_placeholder_price_flags(detector: Detector) -> None:
    assert "price_anomaly" not in kinds(detector.detect(make("iPhone 15 Pro Max", price=3_000_000)))
    assert ids(detector.detect(make("iPhone 15 Pro Max", price=1_000))) >= {"price_anomaly.placeholder"}


def test_quiet_price_band_never_hides_a_flag(detector: Detector) -> None:
    """Prices inside the band skip the price rules: none of them would have fired there, and just
    outside it (on both sides, for spread-out and tight groups) the rules are asked."""
    rng = random.Random(3)
    text = ListingText(make("iPhone 15 Pro Max 256GB VN/A", price=1_000))
    checked = 0
    for n in range(300):
        median = rng.choice([50_000, 1_000_000, 28_000_000]) * rng.uniform(0.5, 2)
        mad = rng.choice([0.0, median * rng.uniform(0.001, 0.6)])
        sellers = rng.randint(3, 80)
        summary = PeerGroup(key=f"k{n}", listings=sellers, sellers=sellers, median=median, mad=mad)
        low, high = detector._quiet_band(f"k{n}", summary)
        for price in (low, high, low * 1.01, high * 0.99, low * 0.999, high * 1.001, median):
            if not low < price < high:
                continue
            checked += 1
            listing = text.listing.model_copy(update={"price": int(price)})
            probe = ListingText(listing)
            assert all(
                detector._price_flag(rule, probe, summary, None) is None for rule in detector._price_rules
            ), (summary, price)
        # just outside a finite edge, the rule does fire
        if low > 1 and summary.sellers >= 5:
            listing = text.listing.model_copy(update={"price": int(low * 0.98)})
            flags = [detector._price_flag(r, ListingText(listing), summary, None)
                     for r in detector._price_rules]
            assert any(flags), (summary, low)
    assert checked > 500


def test_detect_many_gives_each_listing_what_detect_gives(detector: Detector) -> None:
    """Stage by stage over a batch, the same flags in the same order as one detect() per listing."""
    path = RULES.parent / "tests" / "data" / "eval" / "listings.jsonl"
    listings = [Listing.model_validate(json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines()]
    peers = detector.new_peer_stats()
    for listing in listings:
        peers.add(listing)
    one_by_one = [detector.detect(listing, peers) for listing in listings]
    batched = detector.detect_many([ListingText(listing) for listing in listings], peers)
    assert batched == one_by_one
    assert sum(map(len, batched)) > 100
