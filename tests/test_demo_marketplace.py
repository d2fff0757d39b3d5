"""The demo data (what it must contain) and the demo marketplace server (paths, formats, faults)."""

from __future__ import annotations

import json
import signal
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crawler.demo import build_data
from crawler.items import KINDS, Listing
from crawler.text import fold
from tests.mockserver import MockServer

DATA = build_data.DATA_FILE


def records() -> list[dict[str, Any]]:
    return [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines()]


def test_committed_data_matches_its_generator() -> None:
    assert build_data.main(["--check"]) == 0, "run: python -m crawler.demo.build_data"


def test_demo_data_mix() -> None:
    rows = records()
    platforms = Counter(row["platform"] for row in rows)
    kinds = Counter(kind for row in rows for kind in row["expected_kinds"])
    clean = [row for row in rows if not row["expected_kinds"]]
    print(f"{len(rows)} listings {dict(platforms)}; kinds {dict(kinds)}; clean {len(clean)}")
    assert 180 <= len(rows) <= 230
    assert min(platforms.values()) >= 0.4 * len(rows)
    assert all(kinds[kind] >= 10 for kind in KINDS)
    assert len(clean) >= 110
    assert len({(row["platform"], row["listing_id"]) for row in rows}) == len(rows)
    for row in rows:
        Listing.model_validate(row)
        assert set(row["expected_kinds"]) <= set(KINDS)
    assert sum(row["price"] is None for row in rows) >= 2  # "Liên hệ"
    assert any(row["seller"]["official"] and not row["expected_kinds"] for row in rows)
    text = " ".join(row["title"] + " " + (row["description"] or "") for row in rows)
    for tricky in ("<script>", "&quot;", "G u c c i", "lou1s vu1tton", "Сhanel", "🔥", '"siêu bén"'):
        assert tricky in text, tricky


def test_price_anomaly_peer_groups_have_normal_peers() -> None:
    rows = records()
    for key in ("iphone 15 pro max", "airpods pro 2", "galaxy s24 ultra", "philips hd9252", "ensure gold",
                "la roche posay anthelios"):
        named = [row for row in rows if all(word in fold(row["title"]).replace("-", " ") for word in key.split())]
        # the product's own categories (an AirPods case is a named accessory, not a peer)
        categories = {row["category"] for row in named if "price_anomaly" in row["expected_kinds"]}
        group = [row for row in named if row["category"] in categories]
        normal = [row for row in group if "price_anomaly" not in row["expected_kinds"]]
        odd = [row for row in group if "price_anomaly" in row["expected_kinds"]]
        assert 8 <= len(group) <= 15 and len(normal) >= 5 and odd, (key, len(group), len(normal))
        low, high = min(r["price"] for r in normal), max(r["price"] for r in normal)
        assert high < 1.6 * low, key
        assert all(r["price"] < low / 3 or r["price"] > high * 3 for r in odd), key


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with MockServer() as base_url:
        yield base_url


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def get_json(url: str) -> tuple[int, Any]:
    status, body = get(url)
    return status, json.loads(body)


def test_tiki_search_paging_and_detail(server: str) -> None:
    tiki_rows = [row for row in records() if row["platform"] == "tiki"]
    status, page = get_json(f"{server}/tiki/api/v2/products?q=*&page=2&limit=40")
    assert status == 200
    assert page["paging"] == {"total": len(tiki_rows), "per_page": 40, "current_page": 2,
                              "last_page": -(-len(tiki_rows) // 40), "from": 41, "to": 80}
    first = page["data"][0]
    assert isinstance(first["price"], int)
    assert first["quantity_sold"] is None or "value" in first["quantity_sold"]
    assert "expected_kinds" not in json.dumps(page)
    status, detail = get_json(f"{server}/tiki/api/v2/products/{first['id']}")
    assert status == 200 and detail["id"] == first["id"]
    assert detail["short_url"].startswith(f"{server}/tiki/product-p")
    assert detail["breadcrumbs"][-1]["category_id"] == 0 and detail["brand"]["name"]


def test_keyword_search_folds_diacritics(server: str) -> None:
    _, accented = get_json(f"{server}/tiki/api/v2/products?q=N%E1%BB%93i%20chi%C3%AAn&limit=100")
    _, plain = get_json(f"{server}/tiki/api/v2/products?q=noi%20chien&limit=100")
    assert accented["paging"]["total"] == plain["paging"]["total"] >= 5
    assert all("noi chien" in fold(item["name"]) for item in plain["data"])


def test_shopee_search_alternates_formats_and_item_get(server: str) -> None:
    _, legacy = get_json(f"{server}/shopee/api/v4/search/search_items?keyword=&newest=0&limit=20")
    _, cards = get_json(f"{server}/shopee/api/v4/search/search_items?keyword=&newest=20&limit=20")
    assert set(legacy) == {"error", "error_msg", "items", "nomore", "total_count"} and legacy["nomore"] is False
    assert "centralize_item_card" in cards and len(cards["centralize_item_card"]["item_cards"]) == 20
    basic = legacy["items"][0]["item_basic"]
    assert basic["price"] == "Liên hệ" or (isinstance(basic["price"], int) and basic["price"] % 100_000 == 0)
    _, item = get_json(f"{server}/shopee/api/v4/item/get?itemid={basic['itemid']}&shopid={basic['shopid']}")
    assert item["error"] == 0 and item["data"]["itemid"] == basic["itemid"]
    assert isinstance(item["data"]["attributes"], list) and item["data"]["categories"]
    _, last = get_json(f"{server}/shopee/api/v4/search/search_items?keyword=&newest=100&limit=60&format=legacy")
    assert last["nomore"] is True
    _, missing = get_json(f"{server}/shopee/api/v4/item/get?itemid=1&shopid=2")
    assert missing["error"] and missing["data"] is None


def test_unknown_paths_bad_params_and_robots(server: str) -> None:
    status, body = get_json(f"{server}/lazada/api")
    assert status == 404 and body["error"]["code"] == 404
    status, body = get_json(f"{server}/tiki/api/v2/products?page=abc")
    assert status == 400 and "page" in body["error"]["message"]
    status, body = get_json(f"{server}/tiki/api/v2/products/1")
    assert status == 404
    status, robots = get(f"{server}/robots.txt")
    assert status == 200 and b"Allow: /" in robots
    status, page = get(f"{server}/shopee/product/1/2")
    assert status == 404 and b"<h1>" in page


def test_faults(server: str) -> None:
    status, body = get(f"{server}/tiki/api/v2/products?q=__malformed__%20iphone")
    assert status == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(body)
    url = f"{server}/shopee/api/v4/search/search_items?keyword=__error500__%20airpods&newest=0&limit=60"
    assert get(url)[0] == 500
    status, page = get_json(url)
    assert status == 200 and page["items"]
    _, page = get_json(f"{server}/shopee/api/v4/search/search_items?keyword=__lienhe__%20philips&limit=60")
    basic = page["items"][0]["item_basic"]
    assert basic["price"] == "Liên hệ"
    _, item = get_json(f"{server}/shopee/api/v4/item/get?itemid={basic['itemid']}&shopid={basic['shopid']}")
    assert item["data"]["price"] == "Liên hệ"
    _, item = get_json(f"{server}/shopee/api/v4/item/get?itemid={basic['itemid']}&shopid={basic['shopid']}")
    assert isinstance(item["data"]["price"], int)  # one-shot
    _, page = get_json(f"{server}/tiki/api/v2/products?q=__malformed_detail__%20ensure")
    status, body = get(f"{server}/tiki/api/v2/products/{page['data'][0]['id']}")
    with pytest.raises(json.JSONDecodeError):
        json.loads(body)


def test_bad_data_lines_are_reported_and_skipped(tmp_path: Path) -> None:
    data = tmp_path / "listings.jsonl"
    good = records()[0]
    data.write_text("{not json\n" + json.dumps(good, ensure_ascii=False) + "\n[1, 2]\n", encoding="utf-8")
    server = MockServer(data=data)
    with server as base_url:
        _, page = get_json(f"{base_url}/{good['platform']}/api/v2/products?q=" if good["platform"] == "tiki"
                           else f"{base_url}/shopee/api/v4/search/search_items?keyword=")
        assert (page.get("paging") or {}).get("total", page.get("total_count")) == 1
    errors = server.stderr_text
    assert f"{data}:1: not JSON" in errors and f"{data}:3:" in errors


def test_stops_cleanly_on_sigterm_and_rejects_public_hosts() -> None:
    server = MockServer()
    with server:
        assert server.process is not None
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(5) == 0
    with pytest.raises(RuntimeError, match="loopback"), MockServer("--host", "0.0.0.0"):
        pass
