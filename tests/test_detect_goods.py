"""Goods types: the title's head noun, then the brand, then the category; the loader's checks."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from crawler.detect import Detector, load_rules
from crawler.detect.conditions import ListingText
from crawler.items import Listing

RULES = Path(__file__).resolve().parent.parent / "rules"


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector(load_rules(RULES).ruleset)


def goods(detector: Detector, title: str, **fields: str) -> tuple[str | None, str | None, str | None]:
    text = ListingText(Listing(platform="t", listing_id="1", url="u", title=title, **fields))
    found = detector.ruleset.catalog.goods.goods_of(text)
    if found is None:
        return None, None, None
    return found.goods, found.source, text.to_match(found.hit).text if found.hit else None


@pytest.mark.parametrize(("title", "expected"), [
    ("Túi chống sốc laptop 15.6 inch", ("fashion", "title", "Túi chống sốc")),  # a bag, not a laptop
    ("Ốp lưng iPhone 15 Pro Max", ("accessories", "title", "Ốp lưng")),
    ("Sữa rửa mặt Cetaphil 500ml", ("cosmetics", "title", "Sữa rửa mặt")),  # the longest of those starting together
    ("Sữa bột Meiji 800g", ("food", "title", "Sữa bột")),
    ("Thanh lý lô mỹ phẩm không rõ nguồn gốc", ("cosmetics", "title", "mỹ phẩm")),
    ("[Mã ELHA giảm 10%] Nồi chiên không dầu Philips", ("electronics", "title", "Nồi chiên không dầu")),
    ("Lọc gió thay thế cho Honda Vision 2021", ("vehicle_parts", "title", "Lọc gió")),
    ("Đầu lọc NGK cho xe số Wave", ("vehicle_parts", "brand", "NGK")),  # words after "cho" name the fitted
    ("Nutella 750g hàng F1", ("food", "brand", "Nutella")),
    ("Amoxicillin 500mg hộp 10 vỉ", ("medicine", "title", "500mg")),
    ("Xe máy điện trẻ em 3 bánh có nhạc", ("toys", "title", "Xe máy điện trẻ em")),
])
def test_the_head_noun_names_the_goods(detector: Detector, title: str, expected: tuple[str, str, str]) -> None:
    assert goods(detector, title) == expected


def test_words_inside_other_words_and_the_category(detector: Detector) -> None:
    assert goods(detector, "Bóng cười giá sinh viên")[0] is None  # "sinh viên" holds no pill ("viên")
    assert goods(detector, "Sách Tai nghe và âm thanh", category="Tai nghe")[0] == "books"
    assert goods(detector, "Combo 2 hộp 90 miếng", category="Mẹ & Bé > Tã, Bỉm") == ("baby_products", "category", "Bỉm")
    assert goods(detector, "Ly thủy tinh") == ("household", "title", "Ly thủy tinh")
    assert goods(detector, "Thanh lý bàn ghế")[0] is None  # "lý" is no cup ("ly"), "bàn ghế" no listed word


def test_a_condition_names_only_declared_goods_and_brands_only_declared_goods(tmp_path: Path) -> None:
    (tmp_path / "catalog.yaml").write_text(textwrap.dedent("""\
        kind: catalog
        goods:
          cosmetics: [son môi, kem dưỡng]
          food: {words: [bánh], patterns: ['\\\\bbanh\\\\b']}
          toys: [son môi]
        brands:
          - {name: Acme, goods: gadgets}
        cases: []
        """), encoding="utf-8")
    (tmp_path / "mo.yaml").write_text(textwrap.dedent("""\
        kind: missing_origin
        rules:
          - id: missing_origin.x
            kind: missing_origin
            severity: low
            message: x
            legal_basis: y
            match: {all: [{goods: [cosmetics, drinks]}, {seen: [origin]}, {platform: [shopee]}]}
        cases: []
        """), encoding="utf-8")
    errors = [str(e) for e in load_rules(tmp_path).errors]
    assert any("catalog.yaml:5: goods.toys: word 'son môi' already names another goods type" in e for e in errors)
    assert any("catalog.yaml:7: brand 'Acme': unknown goods type 'gadgets'" in e for e in errors), errors
    assert any("mo.yaml:8: " in e and "unknown goods type 'drinks'" in e for e in errors), errors
