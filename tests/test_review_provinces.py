"""Province names as inspectors type them ("HCM", "TP.HCM", "Ha Noi", "HN" …) find the listings stored
under the platform's name ("TP. Hồ Chí Minh", "Hà Nội"), through the shared filters."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crawler.cli import app
from crawler.items import Flag, Listing
from crawler.review.filters import Filters
from crawler.review.provinces import MERGED_2025, NAMES, canonical_province
from crawler.store import open_store

runner = CliRunner(env={"COLUMNS": "240"})
FLAG = Flag(rule_id="banned.vape", kind="banned", score=0.9, message="vape")


def _listing(listing_id: str, province: str) -> Listing:
    return Listing(platform="tiki", listing_id=listing_id, url=f"https://tiki.vn/p/{listing_id}", title="vape",
                   price=1000, seller={"name": f"Shop {listing_id}", "province": province}, flags=[FLAG])


@pytest.fixture
def store_uri(tmp_path: Path) -> str:
    uri = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    with open_store(uri) as store:
        store.upsert_listings([_listing("1", "TP. Hồ Chí Minh"), _listing("2", "TP. Hồ Chí Minh"),
                               _listing("3", "Hà Nội"), _listing("4", "Thừa Thiên Huế")])
    return uri


@pytest.mark.parametrize(
    ("typed", "ids"),
    [("Hồ Chí Minh", {"tiki:1", "tiki:2"}), ("HCM", {"tiki:1", "tiki:2"}), ("TP.HCM", {"tiki:1", "tiki:2"}),
     ("tp hcm", {"tiki:1", "tiki:2"}), ("Sài Gòn", {"tiki:1", "tiki:2"}), ("Ha Noi", {"tiki:3"}),
     ("HN", {"tiki:3"}), ("Thành phố Hà Nội", {"tiki:3"}), ("Huế", {"tiki:4"}), ("Lào Cai", set())],
)
def test_flags_list_finds_the_province_however_typed(store_uri: str, typed: str, ids: set[str]) -> None:
    result = runner.invoke(app, ["flags", "list", "--store", store_uri, "-f", "csv", "--province", typed])
    assert result.exit_code == 0, result.output
    assert {row["id"] for row in csv.DictReader(io.StringIO(result.stdout))} == ids


def test_every_name_maps_to_itself_and_unknown_text_passes_on() -> None:
    assert len(set(NAMES)) == 63 and len(set(MERGED_2025)) == 34
    assert all(canonical_province(name) == name for name in NAMES)
    assert all(canonical_province(name) in NAMES for name in MERGED_2025)
    assert canonical_province("tỉnh  bà rịa vũng tàu") == "Bà Rịa - Vũng Tàu"
    assert canonical_province("Nước ngoài") == "Nước ngoài"
    assert Filters(province="HCM").check()["province"] == "TP. Hồ Chí Minh"
    assert Filters(province="  ").check()["province"] is None
