"""Seller aggregates and seller links on every backend, and the link extraction itself."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from crawler.items import KINDS, Flag, Listing
from crawler.store import InvalidQuery, Store
from crawler.store.links import seller_links
from crawler.text import find_phones, normalize_phone

T0 = datetime(2025, 3, 1, tzinfo=UTC)

# (platform, id, seller (id, name, province), kinds, status, description, images)
ROWS: list[tuple[Any, ...]] = [
    ("tiki", "1", ("s1", "Shop Ánh Dương", "Hà Nội"), ["banned"], "confirmed", "Zalo 0912.345.678",
     ["https://i.tiki.example/a.jpg?w=200"]),
    ("tiki", "2", ("s1", "Shop Ánh Dương", "Hà Nội"), ["counterfeit", "banned"], "confirmed", None, []),
    ("tiki", "3", ("s1", "Shop Ánh Dương", "Hà Nội"), ["counterfeit"], "confirmed", None, []),
    ("tiki", "4", ("s1", "Shop Ánh Dương", "Hà Nội"), [], "new", None, []),
    ("shopee", "5", ("99", "shop anh duong", None), ["counterfeit"], "confirmed",
     "gọi +84 912 345 678 hoặc xem https://www.anhduong-shop.vn/sale", ["https://cf.shopee.example/a.jpg"]),
    ("shopee", "6", (None, "Bán lẻ", None), ["missing_origin"], "new", "fb.com/banle.hn", []),
    ("shopee", "7", (None, None, None), ["banned"], "new", None, []),
    ("lazada", "8", ("L7", "Đồng hồ", "HCM"), ["price_anomaly"], "dismissed", None, ["https://cf.shopee.example/a.jpg?x=1"]),
]  # fmt: skip


def load(store: Store) -> None:
    """Write ROWS and their review statuses."""
    listings = []
    for p, i, (sid, name, province), kinds, _, desc, images in ROWS:
        listing = Listing.model_validate({
            "platform": p, "listing_id": i, "url": f"https://{p}.vn/{i}", "title": f"Hàng {i}", "description": desc,
            "images": images, "seller": {"platform_id": sid, "name": name, "province": province},
            "flags": [Flag(rule_id=f"{k}.r", kind=k, score=0.5, message="m") for k in kinds],
        })  # fmt: skip
        listings.append(listing)
    store.upsert_listings(listings, seen_at=T0)
    for p, i, *_, status, _desc, _images in ROWS:
        if status != "new":
            store.apply_review(p, i, status, by="an", at=T0)


def expected_summaries() -> dict[str, dict[str, Any]]:
    """Seller key → expected aggregates, computed from ROWS."""
    found: dict[str, dict[str, Any]] = {}
    for p, _, (sid, name, _province), kinds, status, *_ in ROWS:
        if not sid and not name:
            continue
        key = f"{p}:{sid}" if sid else f"{p}:name:{name}"
        entry = found.setdefault(key, {"listings": 0, "flagged": 0, "confirmed": 0, "kinds": Counter()})
        entry["listings"] += 1
        entry["flagged"] += bool(kinds)
        entry["confirmed"] += status == "confirmed"
        entry["kinds"].update(set(kinds))
    return found


def test_seller_summaries(store: Store) -> None:
    load(store)
    expected = expected_summaries()
    got = store.seller_summaries()
    assert len(got) == len(expected)
    ranks = [(-s.confirmed, -s.flagged, -s.listings, s.key) for s in got]
    assert ranks == sorted(ranks)
    for summary in got:
        want = expected[summary.key]
        assert (summary.listings, summary.flagged, summary.confirmed) == (
            want["listings"], want["flagged"], want["confirmed"]
        )
        assert summary.kinds == {kind: want["kinds"][kind] for kind in KINDS}
        assert summary.last_seen == T0
    top = got[0]
    assert (top.platform, top.seller_id, top.name, top.province) == ("tiki", "s1", "Shop Ánh Dương", "Hà Nội")
    # the same folded shop name sells on shopee too
    assert top.platforms == ["shopee", "tiki"]
    repeat = store.seller_summaries(min_confirmed=3)
    assert [s.key for s in repeat] == [k for k, v in expected.items() if v["confirmed"] >= 3] == ["tiki:s1"]
    assert [s.key for s in store.seller_summaries(limit=2, offset=1)] == [s.key for s in got[1:3]]
    assert {s.key for s in store.seller_summaries(min_flagged=1)} == {k for k, v in expected.items() if v["flagged"]}


@pytest.mark.parametrize("bad", [{"limit": -1}, {"offset": "2"}, {"min_confirmed": None}])
def test_seller_summaries_refuse_bad_paging(store: Store, bad: dict[str, Any]) -> None:
    with pytest.raises(InvalidQuery):
        store.seller_summaries(**bad)


def test_iter_seller_links(store: Store) -> None:
    load(store)
    links = list(store.iter_seller_links())
    assert len(links) == len(set(links))
    got = set(links)
    assert ("tiki:s1", "phone", "+84912345678") in got and ("shopee:99", "phone", "+84912345678") in got
    assert ("tiki:s1", "shop_name", "shop anh duong") in got and ("shopee:99", "shop_name", "shop anh duong") in got
    assert ("shopee:99", "url", "anhduong-shop.vn") in got
    assert ("shopee:name:Bán lẻ", "url", "fb.com/banle.hn") in got
    assert ("shopee:99", "image", "cf.shopee.example/a.jpg") in got
    assert ("lazada:L7", "image", "cf.shopee.example/a.jpg") in got
    assert ("tiki:s1", "image", "i.tiki.example/a.jpg") in got
    assert not any(key.startswith("shopee:name:") and value == "" for key, _, value in got)
    # every link comes from the stored listings, computed independently
    expected = set()
    for listing in store.iter_listings():
        seller = listing.seller
        if seller.platform_id or seller.name:
            key = f"{listing.platform}:" + (seller.platform_id or f"name:{seller.name}")
            expected |= {(key, t, v) for t, v in seller_links(listing.to_document())}
    assert got == expected


@pytest.mark.parametrize(
    ("raw", "phone"),
    [("0912 345 678", "+84912345678"), ("+84 912.345.678", "+84912345678"), ("84-912-345-678", "+84912345678"),
     ("028 3823 4567", "+842838234567"), ("0123", None), ("1900 1234", None)],
)  # fmt: skip
def test_phone_normalisation(raw: str, phone: str | None) -> None:
    assert (normalize_phone(raw) if phone is None else find_phones(f"gọi {raw} nhé")[0]) == phone
    assert normalize_phone("(028) 3823 4567") == "+842838234567"
    assert find_phones("bàn (028) 3823 4567") == ["+842838234567"]


def test_links_ignore_the_platforms_own_urls() -> None:
    doc = {"url": "https://shopee.vn/p/1", "seller": {"url": "https://shopee.vn/shop/9", "name": "X"},
           "description": "xem https://shopee.vn/p/2 và www.ngoai.com.vn/abc, giá 1.5tr"}  # fmt: skip
    links = seller_links(doc)
    assert ("url", "ngoai.com.vn") in links and not any(v.startswith("shopee.vn") for t, v in links if t == "url")
    assert seller_links({"seller": {}, "description": None}) == set()


def test_links_of_many_days_are_reported_once(store: Store) -> None:
    load(store)
    first = list(store.iter_seller_links())
    store.upsert_listings([], seen_at=T0 + timedelta(days=1))
    assert list(store.iter_seller_links()) == first
