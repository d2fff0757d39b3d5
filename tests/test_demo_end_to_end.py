"""`crawler demo` end to end, twice: all four kinds flagged, nothing duplicated, evidence kept.

This is what `make demo` runs; it starts the demo marketplace and two `scrapy crawl` processes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from crawler.evidence import EvidenceBlobs
from crawler.items import KINDS
from crawler.store import FlagQuery, open_store

REPO = Path(__file__).resolve().parent.parent
DEMO_DATA = REPO / "crawler" / "demo" / "data" / "listings.jsonl"

pytestmark = pytest.mark.slow


def _run_demo(workdir: Path, store_uri: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, STORE_URI=store_uri, COLUMNS="160")
    return subprocess.run(
        [sys.executable, "-m", "crawler.cli", "demo", "--evidence-dir", str(workdir / "evidence")],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


@pytest.fixture(scope="module")
def demo_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    workdir = tmp_path_factory.mktemp("demo")
    store_uri = f"sqlite:///{workdir / 'demo.sqlite3'}"
    first = _run_demo(workdir, store_uri)
    assert first.returncode == 0, first.stdout + first.stderr
    with open_store(store_uri) as store:
        after_first = {listing.key: listing for listing in store.iter_listings()}
    second = _run_demo(workdir, store_uri)
    assert second.returncode == 0, second.stdout + second.stderr
    return {"workdir": workdir, "uri": store_uri, "first": first, "second": second, "after_first": after_first}


def test_summary_shows_every_kind_and_next_commands(demo_runs: dict[str, object]) -> None:
    output = demo_runs["first"].stdout
    assert "Demo marketplace stopped" in output
    assert "Flagged listings per kind" in output
    for kind in KINDS:
        assert kind in output
    assert "nothing flagged as" not in output
    assert "crawler flags show" in output
    with open_store(demo_runs["uri"]) as store:
        per_kind = store.count_flagged_by_kind()
    assert all(per_kind[kind] > 0 for kind in KINDS), per_kind


def test_second_run_duplicates_nothing(demo_runs: dict[str, object]) -> None:
    before: dict = demo_runs["after_first"]
    with open_store(demo_runs["uri"]) as store:
        after = {listing.key: listing for listing in store.iter_listings()}
        assert store.count_listings() == len(after)
    assert set(after) == set(before)
    assert len(after) >= 180
    for key, listing in after.items():
        assert listing.first_seen == before[key].first_seen
        assert listing.last_seen >= before[key].last_seen
        assert listing.price_history == before[key].price_history


def test_every_listing_in_the_demo_data_was_crawled(demo_runs: dict[str, object]) -> None:
    records = [json.loads(line) for line in DEMO_DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    with open_store(demo_runs["uri"]) as store:
        stored = {listing.key for listing in store.iter_listings()}
    expected = {f"{record['platform']}:{record['listing_id']}" for record in records}
    assert expected <= stored


@pytest.mark.figures
def test_flags_match_the_demo_labels(demo_runs: dict[str, object]) -> None:
    """Precision and recall per kind on the demo's own labels (printed; both must be ≥ 0.9)."""
    records = [json.loads(line) for line in DEMO_DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    labels = {f"{r['platform']}:{r['listing_id']}": set(r.get("expected_kinds", [])) for r in records}
    with open_store(demo_runs["uri"]) as store:
        got = {listing.key: {flag.kind for flag in listing.flags} for listing in store.iter_listings()}
    for kind in KINDS:
        truth = {key for key, kinds in labels.items() if kind in kinds}
        flagged = {key for key, kinds in got.items() if kind in kinds and key in labels}
        hits = len(truth & flagged)
        precision = hits / len(flagged) if flagged else 0.0
        recall = hits / len(truth) if truth else 0.0
        print(f"demo {kind}: precision {precision:.2f} recall {recall:.2f} ({hits}/{len(truth)} labelled)")
        assert truth, f"the demo data labels no {kind} listing"
        assert precision >= 0.9, (kind, sorted(flagged - truth))
        assert recall >= 0.9, (kind, sorted(truth - flagged))


def test_flagged_listings_keep_verifiable_evidence(demo_runs: dict[str, object]) -> None:
    blobs = EvidenceBlobs(demo_runs["workdir"] / "evidence")
    with open_store(demo_runs["uri"]) as store:
        flagged = store.query_flagged(FlagQuery(limit=1000))
    assert flagged
    for listing in flagged:
        assert listing.evidence is not None, listing.key
        for capture in listing.evidence:
            assert capture.ref and capture.sha256 and blobs.verify(capture.ref, capture.sha256), listing.key
            assert isinstance(capture.captured_at, datetime)
        # the listing's own response (its detail, or the list page with its entry), never only seller data
        own = [c for c in listing.evidence.of_kind("response", "list_page") if "get_shop_info" not in (c.url or "")]
        assert own, (listing.key, [c.url for c in listing.evidence])
        assert listing.listing_id.split("-")[0] in blobs.read(own[-1].ref).decode("utf-8", "replace"), listing.key


def test_flags_list_reads_what_the_demo_stored(demo_runs: dict[str, object]) -> None:
    env = dict(os.environ, STORE_URI=demo_runs["uri"])
    result = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "flags", "list", "--format", "json", "--limit", "5"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    documents = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(documents) == 5
    risks = [document["risk"] for document in documents]
    assert risks == sorted(risks, reverse=True)
    assert all(document["flags"] for document in documents)
