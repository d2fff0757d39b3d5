"""Placeholder and absurd prices: flagged low without peers, never counted in a peer group."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.detect import Detector, load_rules
from crawler.detect.placeholders import stated_prices
from crawler.items import Listing

RULES = Path(__file__).resolve().parent.parent / "rules"


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector(load_rules(RULES).ruleset)


def placeholder(detector: Detector, title: str, price: int, **fields: str) -> str | None:
    listing = Listing(platform="t", listing_id="1", url="u", title=title, price=price, **fields)
    flags = [f for f in detector.detect(listing) if f.rule_id == "price_anomaly.placeholder"]
    assert all(f.severity == "low" for f in flags)
    return flags[0].message if flags else None


@pytest.mark.parametrize(("title", "price", "why"), [
    ("Bánh quy bơ hộp thiếc", 1, "dưới 1.000₫"),
    ("Samsung Galaxy A55 5G 8/128GB", 1_000, "1.000₫"),
    ("Tai nghe Sony WH-1000XM5", 123_456, "dãy số"),
    ("Đồng hồ treo tường", 999_999_999, "dãy số"),
    ("Socola Ferrero Rocher 16 viên", 99_999_999, "dãy số"),
    ("Honda SH 150i 2019 chính chủ", 1_250, "1.250₫"),
    ("Xe máy Honda cũ", 150_000, "200.000₫"),
    ("Xiaomi Redmi Note 13 8GB/256GB", 9_999, "10.000₫"),  # one specific product
    ("Honda Vision 2020 đẹp keng", 23_000_000_000, "3.000.000.000₫"),
])
def test_placeholders_are_flagged(detector: Detector, title: str, price: int, why: str) -> None:
    message = placeholder(detector, title, price)
    assert message is not None and why in message, message


def test_only_the_category_names_the_goods_a_hundred_times_under_its_floor(detector: Detector) -> None:
    message = placeholder(detector, "Toyota Vios 1.5G 2019 số tự động", 10_000, category="Ô tô")
    assert message is not None and "8.000.000₫" in message
    assert placeholder(detector, "Gương chiếu hậu gập điện", 350_000, category="Ô tô") is None


@pytest.mark.parametrize(("title", "price"), [
    ("Kẹp tóc nhựa", 1_000),  # some goods do cost 1.000đ
    ("Áo lặn thời trang nữ", 999_999),  # a price just under a million
    ("Honda Click Play 2011", 11_111_111),  # eleven million: a real price
    ("[Gift] Khẩu trang", 0),  # a gift
    ("Bộ chống định vị GPS ô tô cắm tẩu", 690_000),  # "ô tô" is context here, not the goods
    ("Cần mua xe điện lướt", 123_456_789),  # a buyer's ad offers nothing
])
def test_real_prices_and_wanted_ads_are_not_placeholders(detector: Detector, title: str, price: int) -> None:
    assert placeholder(detector, title, price) is None


def test_a_price_the_text_contradicts(detector: Detector) -> None:
    message = placeholder(detector, "Exciter 155 2022 xe zin", 600_000_000, description="Giá bán 6tr, có fix")
    assert message is not None and "6.000.000₫" in message
    assert placeholder(detector, "Exciter 155 2022 xe zin", 38_000_000, description="Giá gốc 50tr, nay 38tr") is None
    assert stated_prices("gia ban 6tr, gia: 1.250.000d; gia 350k/hu; gia 350; 8/128") == [
        (6_000_000, True), (1_250_000, False), (350_000, True)]  # "đ" alone may mean thousands: no unit
    # Chợ Tốt sellers write millions as thousands without a unit: "giá 19.500" for 19,5 triệu
    assert placeholder(detector, "Super Dream 2016 (giá: 19.500)", 19_500_000) is None


def test_placeholders_never_count_as_peers(detector: Detector) -> None:
    peers = detector.new_peer_stats()
    for i, price in enumerate([28_000_000, 29_000_000, 30_000_000, 123_456_789, 999_999_999, 1]):
        peers.add(Listing(platform="t", listing_id=str(i), url="u", title="iPhone 15 Pro Max 256GB", price=price))
    summary = peers.summary("iphone 15 pro max|256gb")
    assert summary.sellers == 3 and summary.median == 29_000_000
