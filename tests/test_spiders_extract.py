"""The per-format extraction functions on small responses we wrote in the platforms' real formats."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from crawler.items import Listing
from spiders.formats.common import MissingField, html_to_text, merge, sold_from_text
from spiders.formats.shopee import (
    extract_shopee_item_basic,
    extract_shopee_item_card,
    extract_shopee_item_get,
    search_entries,
    shopee_price,
)
from spiders.formats.tiki import extract_tiki_detail, extract_tiki_search_item

DATA = Path(__file__).parent / "data" / "spiders"
TIKI = "https://tiki.vn"
SHOPEE = "https://shopee.vn"


def load(name: str) -> dict[str, Any]:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def test_tiki_search_item_fields() -> None:
    errors: list[tuple[str, str]] = []
    item = extract_tiki_search_item(load("tiki_search.json")["data"][0], TIKI, errors)
    assert errors == []
    assert item["listing_id"] == "310000001-310000003"  # the product id and its seller product id
    assert item["url"] == f"{TIKI}/kem-chong-nang-nivea-sun-protect-spf50-50ml-p310000001.html?spid=310000003"
    assert (item["price"], item["original_price"]) == (185_000, 219_000)
    assert item["brand"] == "Nivea"
    assert item["category"] == "Làm Đẹp - Sức Khỏe > Chăm sóc da mặt > Kem chống nắng"
    assert item["seller"] == {"platform_id": "1", "name": None, "official": True}
    assert (item["rating"], item["sold_count"], item["spid"]) == (4.6, 57, 310000003)


def test_tiki_search_item_bad_price_is_a_field_error_not_a_lost_listing() -> None:
    errors: list[tuple[str, str]] = []
    item = extract_tiki_search_item(load("tiki_search.json")["data"][1], TIKI, errors)
    assert item["price"] is None and item["title"].startswith("Bình xịt khoáng \"mini\" 50ml &amp;")
    assert [name for name, _ in errors] == ["price"]
    assert "giá sốc!!" in errors[0][1]
    assert item["rating"] is None and item["sold_count"] is None and item["images"] == []
    assert item["seller"]["official"] is False


def test_tiki_search_item_without_id_raises_missing_field() -> None:
    with pytest.raises(MissingField, match="id"):
        extract_tiki_search_item(load("tiki_search.json")["data"][2], TIKI, [])


def test_tiki_detail_fields() -> None:
    errors: list[tuple[str, str]] = []
    item = extract_tiki_detail(load("tiki_detail.json"), "http://127.0.0.1:9/tiki", errors)
    assert errors == []
    assert item["url"].startswith("http://127.0.0.1:9/tiki/kem-chong-nang-nivea")
    assert item["origin"] == "Đức" and item["brand"] == "Nivea"
    assert item["category"] == "Làm Đẹp - Sức Khỏe > Chăm sóc da mặt > Kem chống nắng"
    assert item["description"] == (
        "Chống nắng phổ rộng & dưỡng ẩm.\nDung tích: 50ml\nXuất xứ: Đức\n"
        "Giá sản phẩm trên Tiki đã bao gồm thuế theo luật hiện hành."
    )
    assert item["seller"] == {"platform_id": "1", "name": "Tiki Trading", "url": "https://tiki.vn/cua-hang/tiki-trading"}
    assert len(item["images"]) == 2 and item["images"][0].startswith("https://salt.tikicdn.com/ts/product/")
    listing = Listing.model_validate(merge(extract_tiki_search_item(load("tiki_search.json")["data"][0], TIKI), item))
    assert listing.seller.official is True and listing.seller.name == "Tiki Trading"


def test_tiki_detail_without_origin_or_seller() -> None:
    data = load("tiki_detail.json")
    data["specifications"] = [{"name": "Content", "attributes": [{"code": "brand", "value": "Nivea"}]}]
    data["current_seller"] = None
    data["description"] = 42  # not text: a field error, the listing stays
    errors: list[tuple[str, str]] = []
    item = extract_tiki_detail(data, TIKI, errors)
    assert item["origin"] is None and item["seller"] == {} and item["description"] is None
    assert [name for name, _ in errors] == ["description"]


def test_shopee_legacy_search() -> None:
    kind, entries = search_entries(load("shopee_search_legacy.json"))
    assert kind == "legacy" and len(entries) == 3
    errors: list[tuple[str, str]] = []
    first = extract_shopee_item_basic(entries[0], SHOPEE, errors)
    assert errors == []
    assert (first["price"], first["original_price"]) == (159_000, 250_000)
    assert first["url"] == f"{SHOPEE}/product/500100200/23100000001"
    assert first["images"] == [
        "https://down-vn.img.susercontent.com/file/vn-11134207-7r98o-aaaaaaaaaaaaaa",
        "https://down-vn.img.susercontent.com/file/vn-11134207-7r98o-bbbbbbbbbbbbbb",
    ]
    assert first["seller"] == {"platform_id": "500100200", "url": f"{SHOPEE}/shop/500100200",
                               "province": "Hà Nội", "official": False}
    assert (first["sold_count"], first["rating"], first["brand"]) == (1240, 4.75, None)
    assert first["posted_at"] == "2023-11-14T22:13:20Z"
    second = extract_shopee_item_basic(entries[1], SHOPEE, errors)
    assert second["price"] is None and errors == []  # "Liên hệ" is no price, not an error
    assert second["brand"] is None and second["rating"] is None and second["seller"]["official"] is True
    assert second["images"] == ["https://down-vn.img.susercontent.com/file/vn-11134207-7r98o-cccccccccccccc"]
    with pytest.raises(MissingField, match="name"):
        extract_shopee_item_basic(entries[2], SHOPEE, errors)


def test_shopee_card_search() -> None:
    kind, entries = search_entries(load("shopee_search_cards.json"))
    assert kind == "cards" and len(entries) == 2
    first = extract_shopee_item_card(entries[0], SHOPEE, [])
    assert (first["price"], first["original_price"], first["sold_count"]) == (169_000, 280_000, 30_000)
    assert first["seller"]["name"] == "whose.demo" and "official" not in first["seller"]
    assert first["brand"] == "Whose.demo" and first["rating"] == 4.9
    second = extract_shopee_item_card(entries[1], SHOPEE, [])
    assert (second["original_price"], second["sold_count"], second["rating"]) == (None, 1_200, None)
    assert second["images"] == ["https://down-vn.img.susercontent.com/file/vn-11134207-7r98o-eeeeeeeeeeeeee"]


def test_shopee_item_get_and_merge() -> None:
    detail = extract_shopee_item_get(load("shopee_item_get.json")["data"], SHOPEE, [])
    assert detail["origin"] == "Trung Quốc" and detail["brand"] == "Soundmax"
    assert detail["category"] == "Thiết Bị Điện Tử > Tai nghe nhét tai"
    assert "<script>alert(1)</script>" in detail["description"]  # kept verbatim: text, escaped on display
    partial = extract_shopee_item_basic(search_entries(load("shopee_search_legacy.json"))[1][0], SHOPEE, [])
    listing = Listing.model_validate(merge(partial, detail))
    assert listing.origin == "Trung Quốc" and listing.price == 159_000 and listing.sold_count == 1240


def test_search_entries_rejects_other_payloads() -> None:
    with pytest.raises(ValueError, match="neither"):
        search_entries({"error": 0, "data": []})
    assert search_entries({"items": None, "nomore": True}) == ("legacy", [])


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(63_000_000_000, 630_000), ("63000000000", 630_000), (-1, None), ("Liên hệ", None), (None, None)],
)
def test_shopee_price(raw: object, expected: int | None) -> None:
    assert shopee_price(raw) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Đã bán 30k+", 30_000), ("Đã bán 548", 548), ("Đã bán 1,2k", 1_200), ("", None), (None, None)],
)
def test_sold_from_text(text: str | None, expected: int | None) -> None:
    assert sold_from_text(text) == expected


def test_html_to_text_drops_scripts_and_decodes_entities() -> None:
    html = "<div>Mô tả&nbsp;ngắn<br>dòng 2</div><script>evil()</script><style>p{}</style><p>&lt;b&gt; &amp; </p>"
    assert html_to_text(html) == "Mô tả ngắn\ndòng 2\n<b> &"
    assert html_to_text("") is None and html_to_text(None) is None


# --- Lazada, Sendo, Chợ Tốt, Tiki page fallback ------------------------------------------------------
def test_lazada_store_page_items() -> None:
    from spiders.formats.lazada import extract_lazada_list_item, has_more, list_items

    payload = json.loads((DATA / "lazada_store.json").read_text(encoding="utf-8"))
    entries = list_items(payload)
    errors: list[tuple[str, str]] = []
    first = extract_lazada_list_item(entries[0], "http://mock/lazada", errors)
    assert first["url"] == "http://mock/lazada/products/nem-foam-zinus-green-tea-20cm-i2100000001-s9100000001.html"
    assert (first["listing_id"], first["price"], first["original_price"], first["brand"]) == (
        "2100000001", 3_290_000, 4_700_000, "Zinus")
    assert first["seller"] == {"platform_id": "200160000001", "name": "Zinus Official Store",
                               "province": "Hồ Chí Minh", "official": True}
    second = extract_lazada_list_item(entries[1], "http://mock/lazada", errors)
    assert second["price"] is None and [name for name, _ in errors] == ["price"]
    with pytest.raises(MissingField):
        extract_lazada_list_item(entries[3], "http://mock/lazada", errors)
    assert has_more(payload, 1, len(entries)) and has_more(payload, 2, 40) and not has_more(payload, 3, 40)


def test_sendo_search_item_and_detail() -> None:
    from spiders.formats.sendo import extract_sendo_detail, extract_sendo_search_item, search_products

    products = search_products(json.loads((DATA / "sendo_search.json").read_text(encoding="utf-8")))
    item = extract_sendo_search_item(products[0], "https://www.sendo.vn")
    assert (item["url"], item["price"], item["original_price"], item["rating"], item["sold_count"]) == (
        "https://www.sendo.vn/kinh-cuong-luc-iphone-15-37800001.html", 70_000, 90_000, 5.0, 3)
    assert item["seller"]["province"] == "Đà Nẵng" and "brand" not in item  # the search API has no brand
    detail = extract_sendo_detail(json.loads((DATA / "sendo_detail.json").read_text(encoding="utf-8"))["data"],
                                  "https://www.sendo.vn")
    assert (detail["brand"], detail["origin"], detail["price"]) == ("OEM", "Trung Quốc", 70_000)
    assert detail["description"] == "Kính cường lực 9H, viền mỏng.\nXuất xứ: Trung Quốc."
    assert detail["category"].startswith("Điện thoại - Máy tính bảng > Phụ kiện")


def test_chotot_listing_and_detail() -> None:
    from spiders.formats.chotot import extract_chotot_ad, extract_chotot_detail, listing_ads

    ads = listing_ads(json.loads((DATA / "chotot_listing.json").read_text(encoding="utf-8")))
    ad = extract_chotot_ad(ads[0], "https://www.chotot.com")
    assert (ad["url"], ad["price"], ad["brand"], ad["origin"], ad["posted_at"]) == (
        "https://www.chotot.com/131000001.htm", 26_500_000, "Honda", None, "2024-05-10T02:15:00Z")
    assert ad["description"].startswith("Xe đi ít") and ad["seller"]["province"] == "Hà Nội"
    detail = extract_chotot_detail(json.loads((DATA / "chotot_detail.json").read_text(encoding="utf-8")),
                                   "https://www.chotot.com")
    assert (detail["listing_id"], detail["brand"], detail["origin"]) == ("131000004", "Apple", "Mỹ")
    numeric = {"list_id": 1, "subject": "Xe", "params": [{"id": "motorbikeorigin", "value": "5", "label": ""}]}
    assert extract_chotot_ad(numeric, "https://www.chotot.com")["origin"] is None  # a code, not a name


def test_tiki_next_data_from_a_beautified_page() -> None:
    from spiders.formats.tiki import next_data, next_data_product

    page = (DATA / "tiki_product_page.html").read_text(encoding="utf-8")
    product = next_data_product(next_data(page))
    item = extract_tiki_detail(product, "https://tiki.vn")
    assert (item["listing_id"], item["origin"], item["brand"]) == ("310000001-310000003", "Đức", "Nivea")
    with pytest.raises(ValueError, match="no __NEXT_DATA__"):
        next_data("<html>captcha</html>")
