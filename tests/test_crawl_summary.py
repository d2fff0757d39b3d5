"""The end of a crawl: the causes its stats show (crawler/crawl_end.py) and the short summary for people,
and an identical re-crawl that reports its listings unchanged, not updated."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from crawler.crawl_end import derive_causes, errors_by_cause, summary_text
from crawler.exit_codes import CAUSES_STAT, ExitCode, exit_code_of
from crawler.items import Evidence, EvidenceCapture, Listing
from crawler.store import Store
from tests.mockserver import REPO
from tests.test_cli_exit_codes import last_summary, scrapy_crawl, tiki_on


class Stats:
    """The part of Scrapy's stats collector that derive_causes uses."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def get_value(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    def set_value(self, key: str, value: Any) -> None:
        self.values[key] = value

    def get_stats(self) -> dict[str, Any]:
        return self.values


def _stats(**values: Any) -> Stats:
    stats = Stats()
    stats.values.update(values)
    return stats


def test_errors_by_cause_counts_final_failures_only() -> None:
    stats = {
        "crawl/pages": 10, "crawl/errors/http/404": 3, "crawl/errors/http/503": 1,
        "crawl/errors/download/TimeoutError": 2, "spider/tiki/malformed_responses": 1,
        "spider_exceptions/count": 1, "spider_exceptions/KeyError": 1, "retry/count": 9,
        "downloader/response_status_count/404": 3,
    }
    assert errors_by_cause(stats) == {
        "HTTP 404": 3, "no response (TimeoutError)": 2, "HTTP 503": 1, "spider error (KeyError)": 1,
        "unreadable page": 1,
    }


def test_derived_causes() -> None:
    quiet = _stats(**{"item_scraped_count": 5, "crawl/pages": 100, "crawl/errors/http/404": 20})
    derive_causes(quiet, "finished", max_error_rate=0.2)
    assert exit_code_of(quiet.values.get(CAUSES_STAT) or []) == ExitCode.OK  # 20 of 100: not over 0.2
    noisy = _stats(**{"item_scraped_count": 5, "crawl/pages": 100, "crawl/errors/http/404": 21})
    derive_causes(noisy, "finished", max_error_rate=0.2)
    assert noisy.values[CAUSES_STAT] == [
        "TOO_MANY_ERRORS: 21 errors in 100 requests (21%), over CRAWL_MAX_ERROR_RATE 0.2"
    ]
    down = _stats(**{"crawl/errors/download/DNSLookupError": 4})
    derive_causes(down, "finished", max_error_rate=0.2)
    assert exit_code_of(down.values[CAUSES_STAT]) == ExitCode.TOO_MANY_ERRORS
    assert any(cause.startswith("NO_LISTINGS") for cause in down.values[CAUSES_STAT])
    stopped = _stats(**{"item_scraped_count": 3, "crawl/pages": 3})
    derive_causes(stopped, "shutdown", max_error_rate=0.2)
    assert exit_code_of(stopped.values[CAUSES_STAT]) == ExitCode.INTERRUPTED
    spooled = _stats(**{"item_scraped_count": 3, "crawl/pages": 3, "store/spooled": 3})
    derive_causes(spooled, "finished", max_error_rate=0.2)
    assert exit_code_of(spooled.values[CAUSES_STAT]) == ExitCode.STORE_UNREACHABLE
    recorded = _stats(**{"item_scraped_count": 3, "crawl/pages": 3, "store/spooled": 3,
                         CAUSES_STAT: ["DATA_LOST: spool write failed"]})
    derive_causes(recorded, "finished", max_error_rate=0.2)
    assert recorded.values[CAUSES_STAT] == ["DATA_LOST: spool write failed"]  # the store's own cause stands


def test_summary_says_what_happened(tmp_path: Path) -> None:
    spool = tmp_path / "tiki-20260101T000000.jsonl"
    stats = {
        "finish_reason": "finished", "elapsed_time_seconds": 12.34, "crawl/pages": 48, "item_scraped_count": 40,
        "store/inserted": 10, "store/updated": 25, "store/unchanged": 3, "store/spooled": 2,
        "spider/tiki/partial": 3, "spider/tiki/dropped": 1, "detect/flagged/banned": 2,
        "detect/flagged/counterfeit": 1, "crawl/errors/http/404": 3, "spider/tiki/field_errors": 4,
        CAUSES_STAT: ["STORE_UNREACHABLE: 2 listings spooled: the store did not take them"],
    }
    text = summary_text(stats, "tiki", [spool])
    assert text.splitlines() == [
        "Crawl summary: tiki, finished in 12.3s",
        "  pages: 48 fetched, 48 requests, 3 errors",
        "  listings: 40 (new 10, updated 25, unchanged 3; partial 3, rejected 0, spooled 2; dropped 1)",
        "  flags: banned 2, counterfeit 1, missing_origin 0, price_anomaly 0",
        "  errors: HTTP 404 3; 4 unreadable fields",
        f"  spool: {spool} (load it with: crawler store import {spool})",
        "  exit: 4 STORE_UNREACHABLE: 2 listings spooled: the store did not take them",
    ]


def test_a_recapture_of_the_same_page_is_unchanged(store: Store) -> None:
    """The evidence's capture time changes on every crawl: the store's digest leaves it out (both backends)."""
    capture = EvidenceCapture(url="https://tiki.vn/p1", http_status=200, sha256="a" * 64, ref="aa/a.html.gz",
                              captured_at=datetime(2026, 1, 1, tzinfo=UTC))
    listing = Listing(platform="tiki", listing_id="1", url="https://tiki.vn/p1", title="Pháo bi", price=85_000,
                      evidence=Evidence([capture]))
    assert store.upsert_listings([listing]).inserted == 1
    recaptured = capture.model_copy(update={"captured_at": datetime(2026, 1, 2, tzinfo=UTC)})
    again = store.upsert_listings([listing.model_copy(update={"evidence": Evidence([recaptured])})])
    assert (again.updated, again.unchanged) == (0, 1)
    changed = capture.model_copy(update={"sha256": "b" * 64, "captured_at": datetime(2026, 1, 3, tzinfo=UTC)})
    assert store.upsert_listings([listing.model_copy(update={"evidence": Evidence([changed])})]).updated == 1


def _store_counts(summary: str) -> dict[str, int]:
    match = re.search(r"listings: (\d+) \(new (\d+), updated (\d+), unchanged (\d+)", summary)
    assert match, summary
    return dict(zip(("listings", "new", "updated", "unchanged"), map(int, match.groups()), strict=True))


@pytest.mark.slow
def test_an_identical_recrawl_is_unchanged(server: str, tmp_path: Path) -> None:
    # the price rules are left out: their end-of-run re-judgement rewrites verdicts (see the report)
    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules)
    (rules / "price_anomaly.yaml").unlink()
    runs = [
        scrapy_crawl("tiki", tmp_path, "-a", "keywords=*", bases=tiki_on(server), RULES_DIR=str(rules))
        for _ in range(2)
    ]
    for run in runs:
        assert run.returncode == 0, run.stderr[-3000:]
    first, second = (_store_counts(last_summary(run.stderr)) for run in runs)
    assert first["listings"] == first["new"] > 50
    assert "evidence/kept" in runs[0].stderr  # flagged listings carry evidence, captured again each crawl
    assert second == {"listings": first["listings"], "new": 0, "updated": 0, "unchanged": first["listings"]}


def _price_rejudged(log: str) -> int:
    match = re.search(r"'detect/price_rejudged': (\d+)", log)
    return int(match.group(1)) if match else 0


@pytest.mark.slow
def test_an_identical_recrawl_with_the_price_rules_is_unchanged(server: str, tmp_path: Path) -> None:
    """The crawl-time price verdicts equal the end-of-run ones (the store hands small groups' members to the
    peer statistics): once the first crawl's early verdicts have settled, identical crawls change nothing."""
    runs = [scrapy_crawl("tiki", tmp_path, "-a", "keywords=*", bases=tiki_on(server)) for _ in range(3)]
    for run in runs:
        assert run.returncode == 0, run.stderr[-3000:]
    counts = [_store_counts(last_summary(run.stderr)) for run in runs]
    assert counts[0]["listings"] == counts[0]["new"] > 50
    assert "price_anomaly 0" not in last_summary(runs[2].stderr)  # the price rules flag some
    # the second crawl judges at crawl time as the first judged at its end; it rewrites only the
    # listings whose flags the first re-judged (their digest was cleared)
    assert [_price_rejudged(run.stderr) for run in runs[1:]] == [0, 0]
    total = counts[0]["listings"]
    assert counts[2] == {"listings": total, "new": 0, "updated": 0, "unchanged": total}
