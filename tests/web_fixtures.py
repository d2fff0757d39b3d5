"""A small store for the web UI's tests: listings (one hostile), evidence files, one account per role."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from crawler.evidence import EvidenceBlobs
from crawler.items import Evidence, Flag, Listing, Match
from crawler.review.accounts import open_accounts_for
from crawler.store import open_store

PASSWORD = "mật khẩu đủ dài 123"
ROLES = ("inspector", "lead", "analyst", "admin")
USERS = {"inspector": "lan", "lead": "minh", "analyst": "an", "admin": "root"}
HOSTILE_TITLE = "<script>window.__pwned = 1; alert('x')</script> Túi Gucci \u202egnp.exe rẻ"
_PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
        b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")


@dataclass
class WebData:
    """Where the test store is and what is in it."""

    uri: str
    evidence_dir: Path
    html_id: str
    shot_id: str
    other_html_id: str


def _listing(platform: str, listing_id: str, title: str, **extra: object) -> Listing:
    return Listing(platform=platform, listing_id=listing_id, url=f"https://{platform}.vn/p/{listing_id}", title=title,
                   **extra)  # type: ignore[arg-type]


def build(tmp_path: Path) -> WebData:
    """The store, evidence and accounts the web tests share (a fresh copy per call)."""
    uri = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    blobs = EvidenceBlobs(tmp_path / "evidence")
    html = blobs.put(b"<html><script>alert('evidence')</script><h1>Gucci</h1></html>", ".html")
    shot = blobs.put(_PNG, ".png")
    other = blobs.put(b"<html>another listing</html>", ".html")
    now = datetime.now(UTC)
    counterfeit = Flag(rule_id="counterfeit.gucci", kind="counterfeit", score=0.92, severity="high",
                       message="Tên thương hiệu Gucci với giá rẻ bất thường",
                       matched=[Match(field="title", text="Gucci", start=HOSTILE_TITLE.index("Gucci"),
                                      end=HOSTILE_TITLE.index("Gucci") + 5)])
    listings = [
        _listing("shopee", "1", HOSTILE_TITLE, price=1_250_000,
                 seller={"name": "Shop <b>Hàng Hiệu</b>", "platform_id": "77", "province": "TP. Hồ Chí Minh",
                         "phones": ["+84912345678"]},
                 flags=[counterfeit], last_seen=now,
                 evidence=Evidence(url="https://shopee.vn/p/1", http_status=200, html_sha256=html.sha256,
                                   html_ref=html.ref, screenshot_ref=shot.ref, captured_at=now)),
        _listing("tiki", "2", "Súng bắn điện cầm tay", price=450_000,
                 seller={"name": "Cửa hàng B", "platform_id": "88", "province": "Hà Nội"}, last_seen=now,
                 flags=[Flag(rule_id="banned.weapons", kind="banned", score=0.75, message="Vũ khí thô sơ")],
                 evidence=Evidence(url="https://tiki.vn/p/2", http_status=200, html_sha256=other.sha256,
                                   html_ref=other.ref, captured_at=now)),
        _listing("tiki", "3", "Mỹ phẩm không rõ nguồn gốc", price=99_000, last_seen=now - timedelta(days=20),
                 seller={"name": "Cửa hàng B", "platform_id": "88", "province": "Hà Nội"},
                 flags=[Flag(rule_id="origin.missing", kind="missing_origin", score=0.4, message="Không ghi xuất xứ")]),
        _listing("shopee", "4", "Áo thun trơn", price=120_000, seller={"name": "Shop C", "platform_id": "99"}),
        Listing(platform="shopee", listing_id="5", url="javascript:alert(document.cookie)", title='" onmouseover="x',
                price=1000, seller={"name": "Shop C", "platform_id": "99"}),
    ]
    with open_store(uri) as store:
        store.upsert_listings([listing for listing in listings if listing.key != "tiki:3"], seen_at=now)
        store.upsert_listings([listing for listing in listings if listing.key == "tiki:3"],
                              seen_at=now - timedelta(days=20))
    with open_accounts_for(uri) as accounts:
        for role in ROLES:
            accounts.add_user(USERS[role], role, PASSWORD)
        accounts.add_user("old", "inspector", PASSWORD)
        accounts.set_active("old", False)
    return WebData(uri, tmp_path / "evidence", html.sha256, shot.sha256, other.sha256)


def copy(data: WebData, tmp_path: Path) -> WebData:
    """A fresh copy of a built store (argon2 hashing six accounts per test would be slow)."""
    import shutil

    source = data.evidence_dir.parent
    target = tmp_path / "web"
    shutil.copytree(source, target)
    return WebData(f"sqlite:///{target / 'store.sqlite3'}", target / "evidence", data.html_id, data.shot_id,
                   data.other_html_id)


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)
