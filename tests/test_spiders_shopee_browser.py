"""Shopee's browser mode: pdp/get_pc extraction, product URLs, and real-Chromium crawls of the demo."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.demo.build_data import DATA_FILE, PUBLIC_BASE
from crawler.items import Listing
from spiders.formats.shopee import extract_shopee_pdp, product_ids
from tests.mockserver import REPO
from tests.test_spiders_social import assert_screenshot_kept, run_crawl

DATA = Path(__file__).parent / "data" / "spiders"
COMPARED = ("url", "title", "description", "price", "original_price", "currency", "brand", "category", "origin",
            "seller", "images", "sold_count", "rating", "posted_at")


def test_pdp_get_pc_field_by_field() -> None:
    data = json.loads((DATA / "shopee_pdp_get_pc.json").read_text(encoding="utf-8"))["data"]
    errors: list[tuple[str, str]] = []
    item = extract_shopee_pdp(data, "https://shopee.vn", errors)
    assert errors == []
    assert (item["listing_id"], item["title"]) == ("22107919350", "Pháo bi nổ to đón Tết - hộp 50 viên")
    assert item["url"] == "https://shopee.vn/product/330067425/22107919350"
    assert item["price"] == 85_000 and item["original_price"] == 99_000  # product_price's range_min when not single
    assert item["origin"] == "Trung Quốc" and item["category"] == "Nhà Cửa & Đời Sống > Đồ dùng tiệc"
    assert item["description"] == "Pháo bi ném nổ giòn.\nShip kín đáo." and item["brand"] is None
    assert item["seller"] == {"platform_id": "330067425", "url": "https://shopee.vn/shop/330067425",
                              "province": "Hà Nội", "official": False, "name": "dochoi_tet_hn"}
    assert item["images"] == ["https://down-vn.img.susercontent.com/file/vn-11134207-7r98o-aaaa",
                              "https://down-vn.img.susercontent.com/file/vn-11134207-7r98o-bbbb"]
    assert item["rating"] == 4.4 and item["sold_count"] == 12 and item["posted_at"] == "2023-10-04T23:00:39Z"
    with pytest.raises(ValueError, match="itemid"):
        extract_shopee_pdp({"item": {"shop_id": 1, "title": "x"}}, "https://shopee.vn", [])


@pytest.mark.parametrize(("url", "ids"), [
    ("https://shopee.vn/product/330067425/22107919350", ("330067425", "22107919350")),
    ("https://shopee.vn/Ph%C3%A1o-bi-i.330067425.22107919350?sp_atk=x", ("330067425", "22107919350")),
    ("http://127.0.0.1:9/shopee/product-i.1.2/", ("1", "2")),
])
def test_product_ids(url: str, ids: tuple[str, str]) -> None:
    assert product_ids(url) == ids


def test_product_ids_rejects_other_urls() -> None:
    with pytest.raises(ValueError, match="not a Shopee product URL"):
        product_ids("https://shopee.vn/search?keyword=x")


# --- real Chromium against the demo marketplace --------------------------------------------------------


def demo_listings(base_url: str) -> dict[str, Listing]:
    """The demo's Shopee records as the crawl should see them (links rebased on the server)."""
    out = {}
    for line in DATA_FILE.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record["platform"] == "shopee":
            served = f"{base_url}/shopee"
            record["url"] = record["url"].replace(PUBLIC_BASE["shopee"], served, 1)
            record["seller"]["url"] = record["seller"]["url"].replace(PUBLIC_BASE["shopee"], served, 1)
            out[record["listing_id"]] = Listing.model_validate(record)
    return out


def differences(items: list[dict], wanted: dict[str, Listing]) -> list[str]:
    got = {item["listing_id"]: Listing.model_validate(item) for item in items}
    return [f"{lid} {name}: {getattr(listing, name)!r} != {getattr(wanted[lid], name)!r}"
            for lid, listing in got.items() for name in COMPARED
            if getattr(listing, name) != getattr(wanted[lid], name)]


@pytest.mark.slow
def test_browser_search_equals_demo_data_and_keeps_a_screenshot(server: str, tmp_path: Path) -> None:
    items, log, store_uri = run_crawl("shopee", server, tmp_path, "-a", "browser=1", "-a", "keywords=pháo",
                                      key="shopee")
    wanted = demo_listings(server)
    expected_ids = sorted(lid for lid, listing in wanted.items() if "pháo" in listing.title.lower())
    assert sorted(item["listing_id"] for item in items) == expected_ids and len(expected_ids) >= 2
    assert differences(items, wanted) == []
    assert "ERROR" not in log and "'playwright/page_count'" in log
    assert_screenshot_kept(store_uri, tmp_path / "evidence", "shopee", "22107919350")  # fireworks: banned


@pytest.mark.slow
def test_browser_shop_and_product_url_modes(server: str, tmp_path: Path) -> None:
    wanted = demo_listings(server)
    shop = sorted(lid for lid, listing in wanted.items() if listing.seller.platform_id == "330188312")
    items, log, _ = run_crawl("shopee", server, tmp_path / "shop", "-a", "browser=1", "-a", "seller=330188312",
                              "-a", "screenshots=0", key="shopee")
    assert sorted(item["listing_id"] for item in items) == shop and differences(items, wanted) == []
    assert "'spider/shopee/search_format/legacy'" in log
    items, log, _ = run_crawl("shopee", server, tmp_path / "url", "-a", "browser=1", "-a", "screenshots=0",
                              "-a", f"url={server}/shopee/product/330067425/22107919350", "-a", "source=tip-off",
                              key="shopee")
    assert [item["listing_id"] for item in items] == ["22107919350"] and differences(items, wanted) == []
    assert items[0]["source"] == "tip-off" and items[0]["seller"]["name"] == "dochoi_tet_hn"


@pytest.mark.slow
def test_browser_mode_without_chromium_fails_clearly(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "scrapy", "crawl", "shopee", "-a", "browser=1",
               "-s", f"CHROMIUM_PATH={tmp_path / 'no-chromium'}"]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode != 0
    assert f"Chromium not found at {tmp_path / 'no-chromium'}" in result.stderr
    assert "apt-get install chromium" in result.stderr
