"""`sellers network NAME` finds a seller by shop name (case, diacritics, spacing ignored), by
platform:id or id, and otherwise says which names come close."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from crawler.cli import app
from crawler.items import Listing
from crawler.review.network import build_graph, resolve_seller, suggest_sellers
from crawler.store import open_store

runner = CliRunner(env={"COLUMNS": "240"})


def _listing(listing_id: str, seller_id: str, name: str, phone: str) -> Listing:
    return Listing(
        platform="shopee", listing_id=listing_id, url=f"https://shopee.vn/p/{listing_id}", title="túi xách",
        description=f"Liên hệ {phone}", price=100_000, seller={"name": name, "platform_id": seller_id},
    )


@pytest.fixture
def store_uri(tmp_path: Path) -> str:
    uri = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    with open_store(uri) as store:
        store.upsert_listings(
            [
                _listing("1", "310045512", "Thế Giới Hàng Hiệu Sài Gòn", "0912 345 678"),
                _listing("2", "777", "Kho Sỉ Đồ Hiệu", "0912.345.678"),
            ]
        )
    return uri


@pytest.mark.parametrize(
    "typed", ["Thế Giới Hàng Hiệu Sài Gòn", "the gioi hang hieu sai gon", "THẾ GIỚI  hàng HIỆU sài gòn",
              "shopee:310045512", "SHOPEE:310045512", "310045512"]
)
def test_network_finds_the_seller_by_name_or_id(store_uri: str, typed: str) -> None:
    result = runner.invoke(app, ["sellers", "network", typed, "--store", store_uri])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].strip() == "shopee:310045512"
    assert "shopee:777" in result.output  # linked by the shared phone number


def test_an_unknown_name_suggests_close_ones(store_uri: str) -> None:
    result = runner.invoke(app, ["sellers", "network", "hang hieu sai gon", "--store", store_uri])
    assert result.exit_code == 1
    assert "no seller named 'hang hieu sai gon'" in result.output
    assert "did you mean" in result.output and "shopee:310045512" in result.output


def test_resolve_and_suggest_on_a_graph() -> None:
    graph = build_graph([("tiki:1", "shop_name", "do gia dung ha noi"), ("tiki:2", "shop_name", "do gia dung")])
    assert resolve_seller(graph, "Đồ Gia Dụng") == ["tiki:2"]
    assert resolve_seller(graph, "đồ gia dụng hà nội") == ["tiki:1"]
    assert resolve_seller(graph, "nothing") == []
    assert ("do gia dung ha noi", "tiki:1") in suggest_sellers(graph, "gia dung ha noi")
