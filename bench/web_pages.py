"""The inspectors' web UI: how long its main pages take on a store of N listings (SQLite).

Each page is requested through FastAPI's TestClient (the whole app: session check, the review code,
the store, Jinja2 rendering), and beside it the store calls the page makes are timed alone, so the
ratio shows what the web layer adds. Median of ``--runs`` requests after one warm-up.

    python -m bench web_pages --n 20000 --runs 7
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.crawl_startup import listings
from crawler.items import Flag, Listing

TARGET_MS = 500.0
"""What an inspector clicking through should wait at most for a page, at this store size."""


def flagged(n: int) -> Iterator[Listing]:
    """The benchmark's listings with one in ten flagged counterfeit (in two provinces), as a crawl gives."""
    for listing in listings(0, n, n):
        index = int(listing.listing_id) - 1_000_000
        if index % 10 == 0:
            listing.flags = [*listing.flags, Flag(rule_id="counterfeit.bench", kind="counterfeit",
                                                  score=0.5 + (index % 50) / 100, message="hàng giả")]
            listing.seller.province = ("Hà Nội", "TP. Hồ Chí Minh")[index % 20 // 10]
        yield listing


def _median_ms(call: Callable[[], Any], runs: int) -> float:
    call()
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        call()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def measure(n: int, runs: int) -> list[tuple[str, float, float | None]]:
    """(page, median ms of the page, median ms of its store calls alone or None)."""
    from fastapi.testclient import TestClient

    from crawler.review.accounts import open_accounts_for
    from crawler.review.desk import dashboard, queue_page
    from crawler.review.filters import VN_TZ, Filters
    from crawler.store import open_store
    from crawler.web.app import WebConfig, create_app

    folder = Path(tempfile.mkdtemp(prefix="bench-web-"))
    uri = f"sqlite:///{folder / 'store.sqlite3'}"
    with open_store(uri) as store:
        batch: list[Listing] = []
        for listing in flagged(n):
            batch.append(listing)
            if len(batch) == 2000:
                store.upsert_listings(batch, seen_at=datetime.now(UTC))
                batch = []
        if batch:
            store.upsert_listings(batch, seen_at=datetime.now(UTC))
    with open_accounts_for(uri) as accounts:
        user = accounts.add_user("bench", "inspector", "bench-password")
        token = accounts.start_session(user)
    app = create_app(WebConfig(store_uri=uri, evidence_dir=folder / "evidence"))
    rows: list[tuple[str, float, float | None]] = []
    with TestClient(app) as client:
        client.cookies.set("lm_session", token)
        store = app.state.web.store
        pages: list[tuple[str, str, Callable[[], Any] | None]] = [
            ("queue, page 1", "/queue", lambda: queue_page(store, Filters(), per_page=25)),
            ("queue, page 60", "/queue?page=60", lambda: queue_page(store, Filters(), page=60, per_page=25)),
            ("queue, province + text", "/queue?province=ha+noi&text=model",
             lambda: queue_page(store, Filters(province="ha noi", text="model"), per_page=25)),
            ("listing page", "/listings/tiki:1000000", None),
            ("seller network page (graph cached)", "/network?listing=tiki:1000000", None),
            ("dashboard", "/dashboard", lambda: dashboard(store, datetime.now(VN_TZ).date())),
        ]
        for name, path, alone in pages:
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            page_ms = _median_ms(lambda path=path: client.get(path), runs)
            rows.append((name, page_ms, _median_ms(alone, runs) if alone else None))
    return rows


def main(argv: list[str]) -> int:
    """Measure and print a Markdown table (what, median, ratio, target)."""
    parser = argparse.ArgumentParser(prog="python -m bench web_pages", description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="listings in the store (one in ten flagged)")
    parser.add_argument("--runs", type=int, default=7, help="requests per page (median)")
    args = parser.parse_args(argv)
    rows = measure(args.n, args.runs)
    print(f"web UI pages, {args.n:,} listings ({args.n // 10:,} flagged), median of {args.runs}\n")
    print("| what | median | ratio | target |\n| --- | ---: | ---: | --- |")
    for name, page_ms, alone_ms in rows:
        ratio = f"{page_ms / alone_ms:.2f}× its store calls alone ({alone_ms:.1f} ms)" if alone_ms else ""
        verdict = "met" if page_ms <= TARGET_MS else "NOT met"
        print(f"| {name} | {page_ms:.1f} ms | {ratio} | ≤ {TARGET_MS:.0f} ms — {verdict} |")
    return 0
