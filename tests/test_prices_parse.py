"""VND price parsing: the formats platforms and sellers really write."""

from __future__ import annotations

import pytest

from crawler.prices import PriceError, format_vnd, from_shopee, parse_vnd


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1.250.000₫", 1_250_000),
        ("₫167,000", 167_000),
        ("2.460.000.000 đ", 2_460_000_000),
        ("99.000 VNĐ", 99_000),
        ("VND 99000", 99_000),
        ("167.000", 167_000),
        ("1.200", 1_200),
        ("Giá: 1.990.000 đ", 1_990_000),
        ("250k", 250_000),
        ("850K", 850_000),
        ("1tr2", 1_200_000),
        ("3tr8", 3_800_000),
        ("1tr250", 1_250_000),
        ("3.5 triệu", 3_500_000),
        ("1 triệu 200", 1_200_000),
        ("1 triệu 200 nghìn", 1_200_000),
        ("2 tỷ", 2_000_000_000),
        ("1ty2", 1_200_000_000),
        ("15 củ", 15_000_000),
        ("500 nghìn", 500_000),
        ("iphone 15 giá 3tr5 fullbox", 3_500_000),
        (4_799_000, 4_799_000),
        (12.0, 12),
    ],
)
def test_parses_vietnamese_prices(raw: object, expected: int) -> None:
    assert parse_vnd(raw) == expected


@pytest.mark.parametrize("raw", ["Liên hệ", "liên hệ để biết giá", "Thỏa thuận", "Inbox", "", "  ", None])
def test_price_on_request_is_no_price(raw: object) -> None:
    assert parse_vnd(raw) is None


@pytest.mark.parametrize("raw", ["abc", "-5", True, [1], "10000000000000000"])
def test_unreadable_price_raises_with_the_value(raw: object) -> None:
    with pytest.raises(PriceError) as info:
        parse_vnd(raw)
    assert repr(raw)[:10].strip("'[") in str(info.value)


def test_shopee_prices_are_hundred_thousandths() -> None:
    assert from_shopee(63_000_000_000) == 630_000
    assert from_shopee("17900000000") == 179_000
    assert from_shopee(-1) is None
    assert from_shopee(None) is None
    with pytest.raises(PriceError):
        from_shopee("abc")


def test_format_vnd() -> None:
    assert format_vnd(1_250_000) == "1.250.000₫"
    assert format_vnd(None) == "—"
