"""Out-of-range pages and days are clear usage errors (exit 2, naming the range), never tracebacks."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crawler.cli import app
from crawler.items import Listing
from crawler.review.filters import FilterError, Filters
from crawler.review.periods import resolve_period
from crawler.store import open_store

runner = CliRunner(env={"COLUMNS": "240"})


@pytest.fixture
def store_uri(tmp_path: Path) -> str:
    uri = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    with open_store(uri) as store:
        store.upsert_listings(
            [Listing(platform="tiki", listing_id="1", url="https://tiki.vn/p/1", title="vape", price=1000)]
        )
    return uri


@pytest.mark.parametrize("page", ["999999999999999999", "1000000001"])
def test_a_page_past_the_range_is_a_usage_error(store_uri: str, page: str) -> None:
    result = runner.invoke(app, ["flags", "list", "--store", store_uri, "--page", page])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "1000000000" in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["flags", "list", "--since", "0001-01-01"],
        ["flags", "list", "--until", "9999-12-31"],
        ["export", "-f", "csv", "--since", "1999-12-31", "--out", "x.csv"],
        ["report", "--period", "custom", "--from", "0001-01-01", "--to", "9999-12-31", "-f", "md", "-o", "r.md"],
        ["report", "--period", "6m", "--to", "0001-01-01", "-f", "md", "-o", "r.md"],
        ["report", "--period", "1y", "--from", "9999-12-01", "-f", "md", "-o", "r.md"],
    ],
)
def test_an_out_of_range_day_is_a_usage_error(store_uri: str, args: list[str], tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, [*args, "--store", store_uri])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "out of range" in result.output and "2000-01-01" in result.output and "2099-12-31" in result.output


def test_filters_and_periods_name_the_range() -> None:
    with pytest.raises(FilterError, match="--until 2100-01-01: out of range"):
        Filters(until="2100-01-01").check()
    with pytest.raises(FilterError, match="out of range"):
        resolve_period("quick", None, "0001-01-01", date(2026, 7, 1))
    assert resolve_period("custom", "2000-01-01", "2099-12-31", date(2026, 7, 1)).last_day == date(2099, 12, 31)
