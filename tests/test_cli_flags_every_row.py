"""`flags list -f csv|json` without --page writes every matching row (across store batches); tables page."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crawler.cli import app
from crawler.items import Flag, Listing
from crawler.store import open_store

runner = CliRunner(env={"COLUMNS": "240"})
COUNT = 523  # more than one iter_matching batch (500) and many pages of 50


@pytest.fixture(scope="module")
def store_uri(tmp_path_factory: pytest.TempPathFactory) -> str:
    path: Path = tmp_path_factory.mktemp("every") / "store.sqlite3"
    uri = f"sqlite:///{path}"
    flag = Flag(rule_id="banned.vape", kind="banned", score=0.9, message="vape")
    with open_store(uri) as store:
        store.upsert_listings(
            [
                Listing(platform="tiki", listing_id=str(number), url=f"https://tiki.vn/p/{number}",
                        title=f"vape {number}", price=1000 + number, flags=[flag])
                for number in range(COUNT)
            ]
        )
    return uri


def test_csv_without_page_writes_every_row(store_uri: str) -> None:
    result = runner.invoke(app, ["flags", "list", "--store", store_uri, "-f", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == COUNT
    assert len({row["id"] for row in rows}) == COUNT


def test_json_without_page_writes_every_row(store_uri: str) -> None:
    result = runner.invoke(app, ["flags", "list", "--store", store_uri, "-f", "json"])
    assert result.exit_code == 0, result.output
    keys = {json.loads(line)["listing_id"] for line in result.stdout.splitlines()}
    assert len(keys) == COUNT


def test_a_page_still_gives_one_page(store_uri: str) -> None:
    result = runner.invoke(app, ["flags", "list", "--store", store_uri, "-f", "json", "--page", "2", "--limit", "10"])
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 10
    table = runner.invoke(app, ["flags", "list", "--store", store_uri])
    assert f"page 1 of {-(-COUNT // 50)}" in table.output and "--page 2" in table.output


def test_limit_without_page_caps_the_rows_written(store_uri: str) -> None:
    """``--limit N`` with csv/json and no --page writes the N riskiest rows (beyond one 500-row batch too)."""
    for limit in (5, 510):
        result = runner.invoke(app, ["flags", "list", "--store", store_uri, "-f", "json", "--limit", str(limit)])
        assert result.exit_code == 0, result.output
        risks = [json.loads(line)["risk"] for line in result.stdout.splitlines()]
        assert len(risks) == min(limit, COUNT) and risks == sorted(risks, reverse=True)
