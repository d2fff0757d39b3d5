"""``fields_seen`` and ``partial``: each format says which Listing fields it carries (a field with a place
in the format counts even when this listing left it empty), a detail laid over its list entry carries
both, and a listing yielded from its list entry alone is partial."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from scrapy.http import Request, TextResponse
from scrapy.utils.test import get_crawler

from crawler.items import Listing
from spiders.chotot import ChototSpider
from spiders.formats import chotot, lazada, sendo, shopee, shopsite, social, tiki
from spiders.formats.common import CARRIED_FIELDS, carried, extract_flat_row, merge
from spiders.lazada import LazadaSpider
from spiders.tiki import TikiSpider

DATA = Path(__file__).parent / "data" / "spiders"
BASE = "http://127.0.0.1:9"
NO_ORIGIN = ["title", "price", "original_price", "brand", "category", "seller", "images", "sold_count", "rating"]


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def _value(item: dict[str, Any], name: str) -> Any:
    if name == "seller":
        seller = item.get("seller") or {}
        return seller.get("name") or seller.get("platform_id")
    return item.get(name)


def consistent(item: dict[str, Any]) -> dict[str, Any]:
    """The item, after checking that every field with a value is among the fields it says it carried."""
    seen = item["fields_seen"]
    assert seen == carried(*seen), "fields_seen in canonical order, once each"
    unseen = [name for name in CARRIED_FIELDS if name not in seen and _value(item, name) not in (None, "", [])]
    assert unseen == [], f"{item['listing_id']}: values in fields not listed as carried: {unseen}"
    return item


def test_carried_fields_are_listing_fields_and_checked() -> None:
    assert set(CARRIED_FIELDS) <= set(Listing.model_fields)
    assert carried("origin", "title", "origin") == ["title", "origin"]
    with pytest.raises(ValueError, match="not a carried Listing field"):
        carried("titel")


def test_tiki_search_card_carries_no_origin_and_detail_does() -> None:
    cards = [consistent(tiki.extract_tiki_search_item(d, BASE, [])) for d in load("tiki_search.json")["data"][:2]]
    assert [card["fields_seen"] for card in cards] == [NO_ORIGIN, NO_ORIGIN]
    detail = consistent(tiki.extract_tiki_detail(load("tiki_detail.json"), BASE, []))
    assert detail["fields_seen"] == ["title", "description", "price", "original_price", "brand", "category",
                                     "origin", "seller", "images", "sold_count", "rating"]
    no_spec = load("tiki_detail.json")
    no_spec["specifications"] = []  # the place is there, empty: an origin not stated
    item = consistent(tiki.extract_tiki_detail(no_spec, BASE, []))
    assert item["origin"] is None and "origin" in item["fields_seen"]
    merged = Listing.model_validate(merge(cards[0], item))
    assert merged.fields_seen == item["fields_seen"] and merged.partial is False


def test_tiki_category_page_item_origin_and_seller_name() -> None:
    """The 2025 category pages' items (``__NEXT_DATA__`` catalog) have ``origin`` and ``seller_name``."""
    data = {"id": 7, "name": "Bình giữ nhiệt Elmich 500ml", "price": 250000, "brand_name": "Elmich",
            "origin": "Trung Quốc", "seller_id": 1, "seller_name": "Tiki Trading", "is_from_official_store": True}
    item = consistent(tiki.extract_tiki_search_item(data, BASE, []))
    assert (item["origin"], item["seller"]["name"], item["seller"]["official"]) == ("Trung Quốc", "Tiki Trading", True)
    assert item["fields_seen"] == ["title", "price", "brand", "origin", "seller"]
    del data["origin"]  # Tiki leaves the key out when none is set: nothing known
    assert "origin" not in tiki.extract_tiki_search_item(data, BASE, [])["fields_seen"]


def test_shopee_search_formats_and_item_get() -> None:
    _, legacy = shopee.search_entries(load("shopee_search_legacy.json"))
    basic = consistent(shopee.extract_shopee_item_basic(legacy[0], BASE, []))
    assert basic["fields_seen"] == ["title", "price", "original_price", "brand", "seller", "images", "sold_count",
                                    "rating", "posted_at"]
    _, cards = shopee.search_entries(load("shopee_search_cards.json"))
    for card in cards:
        seen = consistent(shopee.extract_shopee_item_card(card, BASE, []))["fields_seen"]
        assert not {"description", "origin", "category"} & set(seen)
    full = ["title", "description", "price", "original_price", "brand", "category", "origin", "seller", "images",
            "sold_count", "rating", "posted_at"]
    assert consistent(shopee.extract_shopee_item_get(load("shopee_item_get.json")["data"], BASE, []))[
        "fields_seen"] == full
    assert consistent(shopee.extract_shopee_pdp(load("shopee_pdp_get_pc.json")["data"], BASE, []))[
        "fields_seen"] == full
    # an item/get export without its attributes (the real vua_nem sample) says nothing of the origin
    subset = {"itemid": 1, "shopid": 2, "name": "Nệm foam", "price": 100_000_000_000}
    assert shopee.extract_shopee_item_get(subset, BASE, [])["fields_seen"] == ["title", "price", "seller"]


def test_shopee_pdp_without_attributes_carries_no_origin() -> None:
    data = load("shopee_pdp_get_pc.json")["data"]
    data["item"].pop("attributes", None)
    data.pop("product_attributes", None)
    item = consistent(shopee.extract_shopee_pdp(data, BASE, []))
    assert "origin" not in item["fields_seen"] and item["origin"] is None


def test_lazada_list_item_and_product_page() -> None:
    entries = lazada.list_items(load("lazada_store.json"))
    item = consistent(lazada.extract_lazada_list_item(entries[0], BASE, []))
    assert item["fields_seen"] == ["title", "price", "original_price", "brand", "seller", "images", "rating"]
    csv_row = {"name": "Giày thể thao", "price": "₫167,000", "location": "Overseas", "sellerName": "Shop A",
               "itemUrl": "//www.lazada.vn/products/giay-i123.html"}
    assert lazada.extract_lazada_list_item(csv_row, BASE, [])["fields_seen"] == ["title", "price", "seller"]
    html = ('<script type="application/ld+json">{"@type": "Product", "name": "Giày Nike", "sku": "9",'
            ' "brand": {"name": "Nike"}, "offers": {"price": "990000"}}</script>')
    page = consistent(lazada.extract_lazada_product_page(html, f"{BASE}/products/giay-nike-i123.html", []))
    assert page["fields_seen"] == ["title", "price", "brand"]


def test_sendo_search_and_detail() -> None:
    card = consistent(sendo.extract_sendo_search_item(sendo.search_products(load("sendo_search.json"))[0], BASE, []))
    assert card["fields_seen"] == ["title", "price", "original_price", "seller", "images", "sold_count", "rating"]
    detail = consistent(sendo.extract_sendo_detail(load("sendo_detail.json")["data"], BASE, []))
    assert {"description", "brand", "origin", "category"} <= set(detail["fields_seen"])


def test_chotot_origin_where_the_parameters_have_it() -> None:
    ads = chotot.listing_ads(load("chotot_listing.json"))
    listed = [consistent(chotot.extract_chotot_ad(ad, BASE, [])) for ad in ads]
    assert all("origin" not in item["fields_seen"] and "description" in item["fields_seen"] for item in listed)
    assert "brand" in listed[0]["fields_seen"]  # its key params hold the brand
    detail = consistent(chotot.extract_chotot_detail(load("chotot_detail.json"), BASE, []))
    assert detail["origin"] == "Mỹ" and "origin" in detail["fields_seen"]

    def seen(params: list[dict[str, Any]]) -> list[str]:
        return chotot.extract_chotot_ad({"list_id": 1, "subject": "Xe", "params": params}, BASE, [])["fields_seen"]

    assert seen([{"id": "motorbikeorigin", "value": "5", "label": ""}]) == ["title"]  # a code: stated, unreadable
    assert seen([{"id": "x", "value": "", "label": "Xuất xứ"}]) == ["title", "origin"]  # the place, left empty
    assert seen([{"label": "Hãng", "value": "Honda"}, {"label": "Xuất xứ", "value": "Nhật Bản"}]) == [
        "title", "brand", "origin"]


@pytest.mark.parametrize(
    ("page", "origin"),
    [("shopsite_jsonld.html", True), ("shopsite_jsonld_graph.html", True), ("shopsite_microdata.html", True),
     ("shopsite_rdfa.html", False)],
)
def test_shop_site_markup(page: str, origin: bool) -> None:
    html = (DATA / page).read_text(encoding="utf-8")
    (item,) = shopsite.extract_products(html, "https://shop.example/sp/1")
    consistent(item)
    assert ("origin" in item["fields_seen"]) is origin
    assert {"title", "price"} <= set(item["fields_seen"])
    # the seller is the offer's: a page whose offer names none says nothing about it (never the domain)
    assert ("seller" in item["fields_seen"]) is bool(item["seller"].get("name"))


def test_shop_site_origin_property_and_selectors() -> None:
    product = {"@type": "Product", "name": "Nước hoa", "additionalProperty": [{"name": "Xuất xứ", "value": ""}]}
    item = consistent(shopsite.product_to_listing(product, "https://shop.example/sp/2"))
    assert item["origin"] is None and item["fields_seen"] == ["title", "origin"]
    html = "<h1 class=t>Ví da</h1><span class=p>350.000đ</span>"
    fields = {"title": "h1.t::text", "price": "span.p::text", "origin": "td.origin::text"}
    item = consistent(shopsite.extract_with_selectors(html, "https://shop.example/sp/3", fields, "shop"))
    assert item["origin"] is None and item["fields_seen"] == ["title", "price", "origin"]
    fields["seller"] = "div.shop::text"
    item = consistent(shopsite.extract_with_selectors(html + "<div class=shop>Da Thật</div>",
                                                      "https://shop.example/sp/3", fields, "shop"))
    assert item["seller"]["name"] == "Da Thật" and item["fields_seen"] == ["title", "price", "origin", "seller"]


def test_social_posts_and_flat_rows() -> None:
    posts = social.extract_posts((DATA / "social_page.html").read_text(encoding="utf-8"), "https://www.facebook.com/x")
    item = consistent(social.post_to_listing(posts[0], []))
    assert item["fields_seen"] == ["title", "description", "price", "seller", "posted_at"]
    row = {"platform": "ebay", "product_id": "1", "product_name": "Watch", "product_url": "https://e.example/1",
           "price": "100000", "category": None}
    assert consistent(extract_flat_row(row, []))["fields_seen"] == ["title", "price", "category"]


# --- the spiders: merged details, partial list entries ------------------------------------------------
def make(spider_cls: type, **kwargs: str) -> Any:
    bases = {"tiki": f"{BASE}/tiki", "chotot": f"{BASE}/chotot", "chotot_api": f"{BASE}/chotot_api",
             "lazada": f"{BASE}/lazada"}
    crawler = get_crawler(spider_cls, {"PLATFORM_BASE_URLS": bases})
    crawler.stats.open_spider()
    return spider_cls.from_crawler(crawler, **kwargs)


def _response(url: str, body: bytes) -> TextResponse:
    return TextResponse(url, body=body, encoding="utf-8", request=Request(url))


def test_tiki_detail_over_its_card_carries_both_and_is_not_partial() -> None:
    spider = make(TikiSpider)
    search = _response(f"{BASE}/tiki/api/v2/products?q=x", (DATA / "tiki_search.json").read_bytes())
    request = next(iter(spider.parse_search(search, keyword="x", page=1)))
    detail = _response(request.url, (DATA / "tiki_detail.json").read_bytes())
    (item,) = spider.parse_detail(detail, **request.cb_kwargs)
    assert item["partial"] is False and "origin" in item["fields_seen"] and "description" in item["fields_seen"]
    assert Listing.model_validate(item).fields_seen == item["fields_seen"]
    assert spider.crawler.stats.get_value("spider/tiki/partial") is None


def test_chotot_ad_without_its_detail_is_partial_with_the_list_fields() -> None:
    spider = make(ChototSpider)
    page = _response(f"{BASE}/chotot_api/v1/public/ad-listing?o=0", (DATA / "chotot_listing.json").read_bytes())
    requests = [r for r in spider.parse_listing(page, params={}, page=1) if "/v2/" in r.url]
    broken = _response(requests[0].url, b'{"ad": ')
    (item,) = spider.parse_detail(broken, **requests[0].cb_kwargs)
    listing = Listing.model_validate(item)
    assert listing.partial is True and listing.description and "origin" not in listing.fields_seen
    assert listing.fields_seen == ["title", "description", "price", "brand", "category", "seller", "images",
                                   "posted_at"]
    assert spider.crawler.stats.get_value("spider/chotot/partial") == 1
    good = _response(requests[1].url, (DATA / "chotot_detail.json").read_bytes())
    (full,) = spider.parse_detail(good, **requests[1].cb_kwargs)
    assert full["partial"] is False and "origin" in full["fields_seen"]


def test_lazada_list_items_are_partial() -> None:
    spider = make(LazadaSpider)
    page = _response(f"{BASE}/lazada/catalog/?ajax=true&q=x&page=1", (DATA / "lazada_store.json").read_bytes())
    items = [item for item in spider.parse_list(page, page=1, context={"path": "catalog", "params": {}})
             if isinstance(item, dict)]
    assert items and all(item["partial"] is True and "origin" not in item["fields_seen"] for item in items)
    assert spider.crawler.stats.get_value("spider/lazada/partial") == len(items)
    assert spider.crawler.stats.get_value("listings/partial") == len(items)  # the crawl's total counts them too
