"""Days: every CLI date option reads DD/MM/YYYY as well as YYYY-MM-DD; tables and reports show dd/mm/yyyy."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crawler.cli import app
from crawler.commands.runs import parse_since
from crawler.days import read_day, show_day
from crawler.items import Flag, Listing
from crawler.review.filters import FilterError, Filters, parse_day
from crawler.review.periods import resolve_period
from crawler.store import open_store

runner = CliRunner(env={"COLUMNS": "240"})
FLAG = Flag(rule_id="banned.vape", kind="banned", score=0.9, message="vape")


@pytest.fixture
def store_uri(tmp_path: Path) -> str:
    uri = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    with open_store(uri) as store:
        store.upsert_listings(
            [Listing(platform="tiki", listing_id="1", url="https://tiki.vn/p/1", title="vape", price=1000,
                     seller={"name": "Shop A", "platform_id": "a1"}, flags=[FLAG])],
            seen_at=datetime(2026, 4, 30, 3, 0, tzinfo=UTC),
        )
        store.upsert_listings(
            [Listing(platform="tiki", listing_id="2", url="https://tiki.vn/p/2", title="vape", price=1000,
                     seller={"name": "Shop A", "platform_id": "a1"}, flags=[FLAG])],
            seen_at=datetime(2026, 5, 20, 3, 0, tzinfo=UTC),
        )
    return uri


def test_both_forms_read_the_same_day() -> None:
    assert read_day("30/04/2026") == read_day("2026-04-30") == read_day("30.04.2026") == read_day("30-04-2026")
    assert read_day("2026-04-30") == date(2026, 4, 30)
    assert read_day("1/5/2026") == date(2026, 5, 1)
    assert parse_day(" 30/04/2026 ", "--since") == date(2026, 4, 30)
    assert show_day(date(2026, 5, 1)) == "01/05/2026"
    for bad in ("31/02/2026", "2026/04/30", "04/30/2026", "30/04/26", "hôm qua"):
        with pytest.raises(FilterError, match="DD/MM/YYYY or YYYY-MM-DD"):
            parse_day(bad, "--since")
    assert Filters(since="01/05/2026").check()["since"] == Filters(since="2026-05-01").check()["since"]
    assert resolve_period("custom", "01/01/2026", "30/06/2026", date(2026, 7, 1)).last_day == date(2026, 6, 30)
    assert parse_since("1/3/2026") == parse_since("01/03/2026") == parse_since("2026-03-01")


@pytest.mark.parametrize("since", ["01/05/2026", "2026-05-01", "1/5/2026"])
def test_flags_list_takes_either_form(store_uri: str, since: str) -> None:
    result = runner.invoke(app, ["flags", "list", "--store", store_uri, "-f", "csv", "--since", since,
                                 "--until", "31/05/2026"])
    assert result.exit_code == 0, result.output
    assert [row["id"] for row in csv.DictReader(io.StringIO(result.stdout))] == ["tiki:2"]


def test_report_takes_dd_mm_yyyy_and_shows_it(store_uri: str, tmp_path: Path) -> None:
    out = tmp_path / "r.md"
    result = runner.invoke(app, ["report", "--store", store_uri, "--period", "custom", "--from", "01/04/2026",
                                 "--to", "31/05/2026", "-f", "md", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "từ ngày 01/04/2026 đến ngày 31/05/2026" in out.read_text(encoding="utf-8")


def test_tables_show_dd_mm_yyyy(store_uri: str) -> None:
    shown = runner.invoke(app, ["flags", "show", "tiki:1", "--store", store_uri])
    assert shown.exit_code == 0, shown.output
    assert "30/04/2026 10:00" in shown.output and "2026-04-30" not in shown.output
    top = runner.invoke(app, ["sellers", "top", "--store", store_uri])
    assert "20/05/2026 10:00" in top.output
