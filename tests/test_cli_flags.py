"""`crawler flags list / show` and `crawler store import` on a store filled through the Store API."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crawler.cli import app
from crawler.items import Flag, Listing, Match
from crawler.store import open_store

runner = CliRunner(env={"COLUMNS": "240"})


def _listing(listing_id: str, platform: str, title: str, flags: list[Flag], price: int = 100_000) -> Listing:
    return Listing(
        platform=platform,
        listing_id=listing_id,
        url=f"https://{platform}.vn/p/{listing_id}",
        title=title,
        price=price,
        seller={"name": "Shop [red]X[/red]", "platform_id": "s1"},
        flags=flags,
    )


@pytest.fixture
def store_uri(tmp_path: Path) -> str:
    uri = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    vape = Flag(
        rule_id="banned.e_cigarette",
        kind="banned",
        severity="high",
        score=0.95,
        message="Thuốc lá điện tử bị cấm",
        matched=[Match(field="title", text="vape", start=0, end=4)],
        legal_basis="Nghị quyết 173/2024/QH15",
    )
    fake = Flag(rule_id="counterfeit.brand", kind="counterfeit", score=0.7, message="Gucci + rep 1:1")
    with open_store(uri) as store:
        store.upsert_listings(
            [
                _listing("1", "tiki", "vape pod chính hãng", [vape]),
                _listing("2", "shopee", "=cmd|' /C calc'!A0 Túi Gucci rep 1:1", [fake], price=450_000),
                _listing("3", "shopee", "Áo thun cotton", []),
            ]
        )
    return uri


def test_list_table_riskiest_first(store_uri: str) -> None:
    result = runner.invoke(app, ["flags", "list", "--store", store_uri])
    assert result.exit_code == 0, result.output
    assert result.output.index("tiki:1") < result.output.index("shopee:2")
    assert "Thuốc lá điện tử bị cấm" in result.output
    assert "shopee:3" not in result.output


def test_list_filters_and_json(store_uri: str) -> None:
    result = runner.invoke(app, ["flags", "list", "--store", store_uri, "--kind", "counterfeit", "-f", "json"])
    assert result.exit_code == 0, result.output
    documents = [json.loads(line) for line in result.output.splitlines()]
    assert [(d["platform"], d["listing_id"]) for d in documents] == [("shopee", "2")]
    assert documents[0]["flags"][0]["message"] == "Gucci + rep 1:1"
    result = runner.invoke(app, ["flags", "list", "--store", store_uri, "--min-risk", "0.9", "-f", "json"])
    assert [json.loads(line)["listing_id"] for line in result.output.splitlines()] == ["1"]


def test_list_csv_is_spreadsheet_safe(store_uri: str) -> None:
    result = runner.invoke(app, ["flags", "list", "--store", store_uri, "--platform", "shopee", "-f", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert len(rows) == 1
    assert rows[0]["title"].startswith("'=cmd")


def test_list_rejects_unknown_kind(store_uri: str) -> None:
    result = runner.invoke(app, ["flags", "list", "--store", store_uri, "--kind", "fake"])
    assert result.exit_code == 2
    assert "unknown kind" in result.output


def test_show_names_flags_matches_and_legal_basis(store_uri: str) -> None:
    result = runner.invoke(app, ["flags", "show", "tiki:1", "--store", store_uri])
    assert result.exit_code == 0, result.output
    for expected in ("banned.e_cigarette", "Nghị quyết 173/2024/QH15", "«vape»", "Shop [red]X[/red]"):
        assert expected in result.output
    assert "Peer group: — (the title names no one product)" in " ".join(result.output.split())
    missing = runner.invoke(app, ["flags", "show", "tiki:999", "--store", store_uri])
    assert missing.exit_code == 1 and "no listing" in missing.output


def test_show_names_the_peer_group_of_a_price_flag(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    message = ("Giá thấp bất thường: giá 3.900.000₫ = 13% trung vị; nhóm “iphone 15 pro max|256gb”: 8 người bán khác "
               "(9 tin), trung vị 29.750.000₫, MAD 1.000.000₫; ví dụ: tiki:1 (Shop A) 28.000.000₫")
    flag = Flag(rule_id="price_anomaly.far_below_peers", kind="price_anomaly", severity="medium", score=0.8,
                message=message)
    cheap = _listing("9", "tiki", "iPhone 15 Pro Max 256GB", [flag], price=3_900_000)
    cheap.peer_key = "iphone 15 pro max|256gb"
    with open_store(uri) as store:
        store.upsert_listings([cheap])
    result = runner.invoke(app, ["flags", "show", "tiki:9", "--store", uri])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "Peer group: iphone 15 pro max|256gb" in text
    assert "8 người bán khác (9 tin), trung vị 29.750.000₫, MAD 1.000.000₫; ví dụ: tiki:1 (Shop A)" in text
    bad = runner.invoke(app, ["flags", "show", "999", "--store", store_uri])
    assert bad.exit_code == 2


def test_store_import_loads_good_lines_and_names_bad_ones(store_uri: str, tmp_path: Path) -> None:
    spool = tmp_path / "spool.jsonl"
    good = _listing("4", "tiki", "Bình xịt hơi cay", []).to_document()
    spool.write_text(json.dumps(good, ensure_ascii=False) + "\n{not json\n", encoding="utf-8")
    result = runner.invoke(app, ["store", "import", str(spool), "--store", store_uri])
    assert result.exit_code == 9, result.output  # ExitCode.INPUT_SKIPPED: a line was not loaded
    assert f"{spool}:2:" in result.output
    assert "2 lines read: 1 loaded" in result.output and "1 skipped" in result.output
    with open_store(store_uri) as store:
        assert store.get_listing("tiki", "4") is not None


def test_help_teaches() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("demo", "flags", "detect", "rules", "store"):
        assert command in result.output
    result = runner.invoke(app, ["flags", "list", "--help"])
    assert "--min-risk" in result.output and "Examples" in result.output
