"""Product identity (peer keys): model + variant, + model year for vehicles; none for generic titles."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.detect import Detector, load_rules
from crawler.detect.identity import model_year
from crawler.items import Listing

RULES = Path(__file__).resolve().parent.parent / "rules"


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector(load_rules(RULES).ruleset)


def key(detector: Detector, title: str, **fields: str) -> str | None:
    return detector.peer_key(Listing(platform="t", listing_id="1", url="u", title=title, **fields))


@pytest.mark.parametrize("titles", [
    # one product written many ways: one key
    ["iPhone 15 Pro Max 256GB VN/A", "Điện thoại Apple iPhone 15 Pro Max 256GB", "iPhone 15 Pro Max 8/256GB titan",
     "iPhone 15 Pro Max 256GB cũ pin 90%"],
    ["Nồi chiên không dầu Philips HD9252", "Philips HD9252/90 4.1L", "Nồi chiên HD9252 chính hãng"],
    ["Tai nghe Sony WH-1000XM5", "Sony WH1000XM5 chống ồn", "WH-1000XM5 fullbox"],
    ["Honda Vision 2022 trắng", "Vision đời 2022 biển HN", "Xe Vision 110 dk 2022", "Honda Vision 2022 smartkey"],
    ["Samsung Galaxy A55 5G 8/128GB", "Samsung A55 128GB", "Galaxy A55 5G 128GB xanh"],
    ["Xiaomi Redmi Note 13 Pro 8GB/256GB", "Redmi Note 13 Pro 256GB"],
])
def test_one_product_one_key(detector: Detector, titles: list[str]) -> None:
    keys = {key(detector, title) for title in titles}
    assert len(keys) == 1 and None not in keys, keys


@pytest.mark.parametrize("pair", [
    ("iPhone 15 Pro Max 256GB", "iPhone 15 Pro Max 512GB"),  # storage
    ("Honda Vision 2022", "Honda Vision 2015"),  # model year
    ("Wave Alpha 2019", "Wave RSX 2019"),  # model variant
    ("Sữa Glico Icreo số 0 800g", "Sữa Glico Icreo số 1 820g"),  # milk stage and weight
    ("Cetaphil Gentle Skin Cleanser 500ml", "Cetaphil Gentle Skin Cleanser 125ml"),  # size
])
def test_variants_are_other_products(detector: Detector, pair: tuple[str, str]) -> None:
    first, second = (key(detector, title) for title in pair)
    assert first is not None and second is not None and first != second


@pytest.mark.parametrize("title", [
    "Áo sơ mi nam dài tay", "Tai nghe bluetooth không dây", "Nồi cơm điện 1.8L", "Kem dưỡng ẩm Cetaphil",
    "Ốp lưng iPhone 15 Pro Max", "Lọc gió thay thế cho Honda Vision 2021", "Baga sau Honda Vision 2022",
    "Honda Wave 2008 đỏ",  # "Wave" alone: an Alpha, an RSX…
    "Honda Vision chính chủ",  # a vehicle without its year
    "Nhận sửa điện thoại iPhone 15",
])
def test_no_one_product_no_key(detector: Detector, title: str) -> None:
    assert key(detector, title) is None


def test_model_year() -> None:
    assert model_year("vision doi 2019 dk 2020") == "2019"  # "đời" (the model year) first
    assert model_year("exciter 155 2022 xe zin") == "2022"
    assert model_year("cub 81 bien 29") is None
