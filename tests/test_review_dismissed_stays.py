"""A dismissed listing stays in `flags list --status dismissed` after a re-crawl drops its dismissed flags."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from typer.testing import CliRunner

from crawler.cli import app
from crawler.items import Flag, Listing
from crawler.review.filters import Filters
from crawler.store import open_store

runner = CliRunner(env={"COLUMNS": "240"})


def _listing(listing_id: str) -> Listing:
    flag = Flag(rule_id="counterfeit.brand", kind="counterfeit", score=0.8, message="Gucci rep 1:1")
    return Listing(platform="shopee", listing_id=listing_id, url=f"https://shopee.vn/p/{listing_id}",
                   title="Túi Gucci rep 1:1", price=450_000, flags=[flag])


def _ids(result_stdout: str) -> set[str]:
    return {row["id"] for row in csv.DictReader(io.StringIO(result_stdout))}


def test_dismissed_listing_stays_listed_after_a_recrawl(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    with open_store(uri) as store:
        store.upsert_listings([_listing("1"), _listing("2")])
    reviewed = runner.invoke(app, ["review", "shopee:1", "--dismiss", "--note", "chính hãng", "--by", "t",
                                   "--store", uri])
    assert reviewed.exit_code == 0, reviewed.output
    listed = runner.invoke(app, ["flags", "list", "--status", "dismissed", "-f", "csv", "--store", uri])
    assert _ids(listed.stdout) == {"shopee:1"}
    with open_store(uri) as store:  # the next crawl sees the same listing again
        store.upsert_listings([_listing("1"), _listing("2")])
        assert store.get_listing("shopee", "1").review.status == "dismissed"
    listed = runner.invoke(app, ["flags", "list", "--status", "dismissed", "-f", "csv", "--store", uri])
    assert listed.exit_code == 0, listed.output
    assert _ids(listed.stdout) == {"shopee:1"}
    table = runner.invoke(app, ["flags", "list", "--status", "dismissed", "--store", uri])
    assert "shopee:1" in table.output and "(1 match)" in table.output
    queue = runner.invoke(app, ["flags", "list", "-f", "csv", "--store", uri])
    assert _ids(queue.stdout) == {"shopee:2"}  # the review queue still shows only flagged listings


def test_a_status_filter_asks_for_reviewed_listings_flagged_or_not() -> None:
    assert Filters(status="dismissed").check()["flagged_only"] is False
    assert Filters(status="new").check()["flagged_only"] is True
    assert Filters().check()["flagged_only"] is True
