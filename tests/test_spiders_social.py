"""Social sale posts: free-text prices and phones, post extraction, and a real-Chromium crawl."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from crawler.items import Listing
from crawler.store import open_store
from crawler.text import find_phones
from spiders.browser import chromium_path
from spiders.formats.social import extract_posts, find_price, post_to_listing, profile_id
from tests.mockserver import REPO

DATA = Path(__file__).parent / "data" / "spiders"


@pytest.mark.parametrize(("text", "price"), [
    ("Bán iphone 12 pro max 128gb giá 3tr8 bao test", 3_800_000),
    ("Pod vape 850k/hộp", 850_000),
    ("giá 1.250.000đ/dàn", 1_250_000),
    ("Chỉ 2 củ 5 thôi", 2_500_000),
    ("Giá: 3 triệu 8, lh 0912345678", 3_800_000),
    ("size 42, năm 2023, zalo 0987654321", None),  # bare numbers are never a price
    ("Inbox để có giá tốt", None),
    ("", None),
])
def test_find_price_in_free_text(text: str, price: int | None) -> None:
    assert find_price(text) == price


def test_find_phones_normalises_to_e164() -> None:
    text = "zalo 0912.345.678, gọi +84 987 654 321 hoặc 0912 345 678; bàn 028 3823 4567; mã 12345678901"
    assert find_phones(text) == ["+84912345678", "+84987654321", "+842838234567"]
    assert find_phones("năm 2023 size 0 42") == []


def test_extract_posts_and_listing_fields() -> None:
    errors: list[tuple[str, str]] = []
    page = "https://www.facebook.com/groups/chodocu"
    posts = extract_posts((DATA / "social_page.html").read_text(encoding="utf-8"), page, errors)
    assert errors == [] and [p["index"] for p in posts] == [0, 1, 2]
    first, second, third = posts
    assert first["id"] == "pfbid02abc" and first["author"] == "Vape Sài Gòn"
    assert first["posted_at"] == "2024-11-19T07:06:40Z"
    assert second["id"] == "7101" and second["author"] == "Tuấn Airsoft"
    assert second["posted_at"] == "2024-11-24T01:00:00Z"
    assert third["permalink"] is None and third["id"] is None

    listing = post_to_listing(first)
    assert listing["platform"] == "facebook" and listing["listing_id"] == "pfbid02abc"
    assert listing["url"] == "https://www.facebook.com/vape.sg/posts/pfbid02abc"
    assert listing["title"] == "Pod Xlim Pro mới 100% giá chỉ 850k" and listing["price"] == 850_000
    assert listing["description"].endswith("zalo 0912.345.678 hoặc +84 987 654 321")
    assert listing["seller"]["phones"] == ["+84912345678", "+84987654321"]
    assert listing["seller"] == {"platform_id": "vape.sg", "name": "Vape Sài Gòn",
                                 "url": "https://www.facebook.com/vape.sg",
                                 "phones": ["+84912345678", "+84987654321"]}
    group = post_to_listing(second)
    assert group["seller"]["platform_id"] == "100071234567" and group["price"] == 3_800_000
    assert Listing.model_validate(listing).seller.phones == ["+84912345678", "+84987654321"]
    with pytest.raises(ValueError, match="post id"):
        post_to_listing(third)


def test_profile_ids() -> None:
    assert profile_id("https://www.facebook.com/profile.php?id=1000") == "1000"
    assert profile_id("http://127.0.0.1:9/facebook/shop.x", "http://127.0.0.1:9/facebook") == "shop.x"
    assert profile_id("https://www.facebook.com/groups/1/user/77/") == "77"
    assert profile_id("https://www.facebook.com/groups/1") is None and profile_id(None) is None


# --- real Chromium against the demo marketplace, real pipelines ----------------------------------------


def run_crawl(spider: str, base_url: str, tmp: Path, *args: str, key: str) -> tuple[list[dict[str, Any]], str, str]:
    """``scrapy crawl`` with the real pipelines, a temporary store and evidence directory."""
    store_uri = f"sqlite:///{tmp / 'store.sqlite3'}"
    out = tmp / "out.jsonl"
    command = [
        sys.executable, "-m", "scrapy", "crawl", spider, *args,
        "-s", f"PLATFORM_BASE_URLS={json.dumps({key: f'{base_url}/{key}'})}",
        "-s", f"STORE_URI={store_uri}", "-s", f"EVIDENCE_DIR={tmp / 'evidence'}",
        "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "DOWNLOAD_DELAY=0", "-s", "ROBOTSTXT_OBEY=0", "-O", str(out),
    ]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=150, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()], result.stderr, store_uri


def assert_screenshot_kept(store_uri: str, evidence: Path, platform: str, listing_id: str) -> None:
    """The flagged listing's evidence names a screenshot whose stored blob is a PNG."""
    store = open_store(store_uri)
    try:
        listing = store.get_listing(platform, listing_id)
    finally:
        store.close()
    assert listing is not None and listing.flags, f"{platform}:{listing_id} should be flagged"
    shot = listing.evidence.latest("screenshot") if listing.evidence else None
    assert shot is not None and shot.ref and shot.content_type == "image/png", listing.evidence
    png = gzip.decompress((evidence / shot.ref).read_bytes())
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 1000
    page = listing.evidence.latest("response", "list_page")
    assert page is not None and page.sha256 and (evidence / page.ref).is_file()


@pytest.mark.slow
def test_social_crawl_with_real_chromium(server: str, tmp_path: Path) -> None:
    assert Path(chromium_path()).is_file(), f"Chromium missing at {chromium_path()}: apt-get install chromium"
    started = time.monotonic()
    items, log, store_uri = run_crawl("social", server, tmp_path, "-a", "page=hang.xach.tay.gia.re",
                                      "-a", "group=buonban", "-a", "max_posts=4", key="facebook")
    got = {item["listing_id"]: item for item in items}
    # 4 of the page's 5 posts (its second batch loads only on scroll) and the group's 3
    assert sorted(got) == ["7101", "7102", "7103", "pfbid0001", "pfbid0002", "pfbid0003", "pfbid0004"], log[-2000:]
    vape = got["pfbid0001"]
    assert vape["url"] == f"{server}/facebook/hang.xach.tay.gia.re/posts/pfbid0001"
    assert vape["title"] == "Pod vape Xlim Pro 30W mới về 🔥 giá chỉ 850k" and vape["price"] == 850_000
    assert vape["seller"]["platform_id"] == "hang.xach.tay.gia.re"
    assert vape["seller"]["name"] == "Hàng Xách Tay Giá Rẻ" and vape["posted_at"] == "2024-11-19T07:06:40Z"
    assert "zalo 0912.345.678" in vape["description"]
    assert "+84912345678" in vape["seller"]["phones"]  # phones reach the store, for seller networks
    assert (got["pfbid0002"]["price"], got["pfbid0004"]["price"], got["7103"]["price"]) == (3_800_000, None, 4_500_000)
    assert got["7101"]["seller"] == {"platform_id": "100071234567", "name": "Tuấn Airsoft",
                                     "url": f"{server}/facebook/groups/buonban/user/100071234567/",
                                     "province": None, "official": False, "phones": ["+84977888999"]}
    assert "ERROR" not in log
    assert_screenshot_kept(store_uri, tmp_path / "evidence", "facebook", "pfbid0001")  # a vape: banned
    assert_screenshot_kept(store_uri, tmp_path / "evidence", "facebook", "7101")  # an airgun: banned
    print(f"social crawl: {len(items)} posts in {time.monotonic() - started:.1f}s")
