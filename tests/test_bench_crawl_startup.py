"""``python -m bench crawl_startup`` on a tiny store: it builds, measures and prints its table."""

from __future__ import annotations

import re

import pytest

from bench.crawl_startup import NoPeerSQLiteStore, listings, lookup_keys, main
from crawler.store import open_store


def test_the_benchmark_prints_its_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--n", "400", "--sample", "100", "--lookups", "40", "--runs", "1", "--batch", "50"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"SQLite store: 400 listings .* 20 peer groups", out)
    rows = [line for line in out.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert [row.split(" | ")[0].strip("| ") for row in rows] == [
        "detect start-up: open_spider (peer summaries)",
        "before issue 13: every stored listing into the peers (1 run)",
        "first 40 peer look-ups, one key at a time, no summary cached",
        "first 40 peer look-ups, summaries cached in the store",
        "the same 40 again (the pipeline's own cache)",
        "upsert 100 new listings: summaries kept",
        "the same without summaries",
        "re-crawl of those 100, unchanged: summaries kept",
        "the same without summaries",
        "re-crawl of those 100, prices changed: summaries kept",
        "the same without summaries",
        "upsert 100 new listings in search order: summaries kept",
        "the same without summaries",
        "re-crawl of those, prices changed: summaries kept",
        "the same without summaries",
    ]
    assert "slower" in rows[1] and "×" in rows[5]


def test_its_listings_are_stable_and_its_baseline_keeps_no_summaries() -> None:
    first = list(listings(0, 50, 1_000))
    assert [x.model_dump() for x in first] == [x.model_dump() for x in listings(0, 50, 1_000)]
    assert all(x.peer_key and x.price for x in first)
    ordered = [x.peer_key for x in listings(0, 60, 1_000, search_order=True)]
    assert len(set(ordered)) == 3 and ordered[:20] == [ordered[0]] * 20
    keys = lookup_keys(1_000, 30)
    assert len(set(keys)) == 30 and any(key.startswith("title:") for key in keys)
    with NoPeerSQLiteStore(":memory:") as bare, open_store("sqlite://:memory:") as kept:
        bare.upsert_listings(first)
        kept.upsert_listings(first)
        wanted = {x.peer_key for x in first if x.peer_key}
        assert bare.peer_groups(wanted) == {} and kept.peer_groups(wanted)
