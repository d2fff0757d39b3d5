"""Crawl start-up against a big store: the detect pipeline's open_spider, peer look-ups, upserts with summaries.

``python -m bench crawl_startup [--n 100000] [--runs 3] [--sample 20000] [--lookups 1000] [--old-runs 1]``
builds a SQLite store of ``--n`` synthetic listings (``--n 1000000`` for the million) with peer keys
(one per 20 listings, about 20 listings and 15 sellers a group) and prices (2 % placeholders), in a
temporary directory, then prints one table (median of ``--runs`` runs, and a ratio):

- the detect pipeline's start-up (``DetectPipeline.open_spider``: it opens the store, reads nothing),
  against the way it started before issue 13 (every stored listing read into the peer statistics:
  ``store.iter_listings()`` + ``PeerStats.add``, measured ``--old-runs`` times, 0 to skip);
- the first ``--lookups`` peer look-ups of a crawl (the pipeline's ``stored_peers([key])``, one key at a
  time as the engine meets them, a tenth of them keys the store has no group for): with no summary
  cached in the store (as after the build, or after a crawl that changed every group: each group
  summarised from its members and cached), with the summaries cached (a later crawl), and the same
  again from the pipeline's own cache;
- upserts with the peer summaries kept (each listing's membership written, the cached summaries of
  the groups it changes dropped) against the same upserts on a second store of the same listings
  that keeps none (its membership writes switched off), each run on fresh copies of the two
  stores (written back to disk before the timing starts): ``--sample`` new listings, the same
  re-crawled unchanged, and re-crawled with changed prices, each listing's product drawn at random
  (the worst case: a batch changes about as many groups as it has listings); then ``--sample`` more
  in search order (20 listings of one product in a row, as a keyword crawl yields them), new and
  re-priced; batches of ``--batch``; only the upsert calls are timed.

Rule loading (``DetectPipeline.from_crawler``) does not depend on the store and is printed once.
Figures go to BENCHMARKS.md. No assertion here: it measures.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import os
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from crawler.items import Flag, Listing
from crawler.store import Store, open_store
from crawler.store.peers import PLACEHOLDER_RULE
from crawler.store.sqlite import SQLiteStore

T0 = datetime(2026, 1, 5, tzinfo=UTC)
REPO = Path(__file__).resolve().parent.parent
PLATFORMS = ("tiki", "shopee", "lazada", "sendo")
BRANDS = ("apple", "samsung", "xiaomi", "oppo", "honda", "yamaha", "nike", "adidas", "casio", "sony")
WORDS = ("điện", "thoại", "chính", "hãng", "bản", "quốc", "tế", "mới", "fullbox", "bảo", "hành", "giá", "tốt")
PER_GROUP = 20
"""Listings per peer key."""


class NoPeerSQLiteStore(SQLiteStore):
    """The SQLite store with its peer membership writes switched off (no summaries kept): the baseline
    of the upsert rows. Never use it on a real store: its summaries would go stale."""

    @staticmethod
    def _peer_of(listing: Listing, flags: list[Flag]) -> None:
        return None


def listings(
    start: int, stop: int, n: int, seed: int = 13, price_step: int = 0, search_order: bool = False
) -> Iterator[Listing]:
    """Listings ``start``…``stop - 1`` of a store of about ``n`` (keys and sellers scale with ``n``);
    the same index always gives the same listing (``price_step`` added to its price). Each listing's
    product is drawn at random (the worst case for the summaries: a batch touches as many groups as it
    has listings), or with ``search_order`` the products of :data:`PER_GROUP` listings in a row are one
    (as a keyword crawl yields them: a search page is mostly one product's offers)."""
    keys = max(1, n // PER_GROUP)
    sellers = max(1, n // 20)
    for i in range(start, stop):
        rng = random.Random(seed * 1_000_003 + i)
        group = (i // PER_GROUP * 7919) % keys if search_order else rng.randrange(keys)
        brand = BRANDS[group % len(BRANDS)]
        base = 200_000 + (group * 7919 % 400) * 100_000
        placeholder = rng.random() < 0.02
        price = rng.choice((1, 1_000, 123_456_789)) if placeholder else int(base * rng.uniform(0.8, 1.2)) // 1000 * 1000
        seller = rng.randrange(sellers)
        platform = PLATFORMS[i % len(PLATFORMS)]
        words = " ".join(rng.choice(WORDS) for _ in range(5))
        flags = [Flag(rule_id=PLACEHOLDER_RULE, kind="price_anomaly", severity="low", score=0.2,
                      message="giá ảo")] if placeholder else []  # fmt: skip
        yield Listing(
            platform=platform, listing_id=str(1_000_000 + i), url=f"https://{platform}.vn/p/{i}",
            title=f"{brand.title()} model {group} {words} {i}", price=price + price_step if price > 1_000 else price,
            brand=brand.title(), category="Điện thoại", peer_key=f"{brand}|model {group}|{group % 4 * 64 + 64}gb",
            seller={"platform_id": f"s{seller}", "name": f"Shop {seller}"}, images=[f"https://img/{i}.jpg"],
            fields_seen=["title", "price", "brand", "seller", "images"], flags=flags,
        )  # fmt: skip


def fill(store: Store, start: int, stop: int, n: int, batch: int, seen: datetime, **variant: Any) -> float:
    """Upsert listings ``start``…``stop - 1`` (``variant``: :func:`listings`' options) in batches;
    listings per second of the upserts alone (wall clock; building the listings is not timed)."""
    spent = 0.0
    made = listings(start, stop, n, **variant)
    while chunk := list(itertools.islice(made, batch)):
        began = time.perf_counter()
        store.upsert_listings(chunk, seen_at=seen)
        spent += time.perf_counter() - began
    return (stop - start) / spent


def _crawler(uri: str) -> Any:
    from scrapy.utils.test import get_crawler

    crawler = get_crawler(settings_dict={"RULES_DIR": str(REPO / "rules"), "STORE_URI": uri})
    crawler.stats.open_spider()
    return crawler


def detect_pipeline(uri: str) -> tuple[Any, str]:
    """The detect pipeline on ``uri`` (not opened), and how its peer statistics were built."""
    from pipelines.detect import DetectPipeline

    return DetectPipeline.from_crawler(_crawler(uri)), "the engine's new_peer_stats(stored=…)"


def old_startup(store: Store) -> float:
    """Seconds the pre-issue-13 start-up took: every stored listing into fresh peer statistics."""
    from crawler.detect import Detector, load_rules

    detector = Detector(load_rules(str(REPO / "rules")).ruleset)
    try:
        peers = detector.new_peer_stats()
    except TypeError:
        peers = detector.new_peer_stats(stored=lambda keys: {})  # type: ignore[call-arg]
    began = time.perf_counter()
    for listing in store.iter_listings():
        peers.add(listing)
    return time.perf_counter() - began


def lookup_keys(n: int, count: int, seed: int = 5) -> list[str]:
    """``count`` distinct keys a crawl might meet: nine in ten stored, one in ten unknown to the store."""
    rng = random.Random(seed)
    stored = max(1, n // PER_GROUP)
    keys: list[str] = []
    seen: set[str] = set()
    while len(keys) < count:
        if rng.random() < 0.1:
            key = f"title:chưa có nhóm {rng.randrange(10**9)}"
        else:
            group = rng.randrange(stored)
            key = f"{BRANDS[group % len(BRANDS)]}|model {group}|{group % 4 * 64 + 64}gb"
        if key not in seen or len(seen) >= stored:
            seen.add(key)
            keys.append(key)
    return keys


def forget_summaries(path: Path) -> None:
    """Empty the store's summary cache (every group is then summarised from its members when read)."""
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM peer_groups")
    db.close()


def timed_lookups(lookup: Any, keys: list[str]) -> float:
    """Seconds ``lookup([key])`` takes for every key in turn."""
    began = time.perf_counter()
    for key in keys:
        lookup([key])
    return time.perf_counter() - began


def measure(n: int, runs: int, sample: int, lookups: int, batch: int, old_runs: int) -> dict[str, Any]:
    """Build both stores, time everything; {"rows": [(what, median, unit, ratio or None)], …}."""
    out: dict[str, Any] = {"load": os.getloadavg()[0], "rows": []}
    rows: list[tuple[str, float, str, float | None]] = out["rows"]
    with tempfile.TemporaryDirectory(prefix="bench-crawl-startup-") as tmp:
        kept, bare = Path(tmp) / "summaries.sqlite3", Path(tmp) / "none.sqlite3"
        uri = f"sqlite:///{kept}"
        began = time.perf_counter()
        with open_store(uri) as store:
            out["build_with"] = fill(store, 0, n, n, batch, T0)
            out["groups"] = store._select("count", "SELECT COUNT(DISTINCT peer_key), COUNT(peer_key) FROM listings",
                                          ())[0]  # type: ignore[attr-defined]  # fmt: skip
        with NoPeerSQLiteStore(str(bare)) as store:
            out["build_without"] = fill(store, 0, n, n, batch, T0)
        out["build_seconds"] = time.perf_counter() - began
        out["size_mb"] = kept.stat().st_size / 1e6
        os.sync()
        gc.collect()

        # the detect pipeline: rule loading once, then open_spider / the first look-ups per run
        began = time.perf_counter()
        pipeline, how = detect_pipeline(uri)
        out["rules_seconds"], out["engine"] = time.perf_counter() - began, how
        pipeline.close_spider()
        opens: list[float] = []
        times: dict[str, list[float]] = {"stale": [], "cached": [], "again": []}
        keys = lookup_keys(n, lookups)
        for _ in range(runs):
            forget_summaries(kept)
            for case in ("stale", "cached"):
                pipeline.stored_peers.__init__()  # a fresh crawl: no store, an empty cache
                began = time.perf_counter()
                pipeline.open_spider()
                opens.append(time.perf_counter() - began)
                lookup = pipeline.stored_peers
                times[case].append(timed_lookups(lookup, keys))
                out["found"] = lookup.found
            times["again"].append(timed_lookups(lookup, keys))
            lookup.store.close()
            lookup.store = None
        new_open = statistics.median(opens)
        rows.append(("detect start-up: open_spider (peer summaries)", new_open * 1000, "ms", None))
        if old_runs:
            with open_store(uri) as store:
                old = statistics.median(old_startup(store) for _ in range(old_runs))
            rows.append((f"  before issue 13: every stored listing into the peers ({old_runs} run)", old * 1000, "ms",
                         old / new_open))  # fmt: skip
        for case, what in (("stale", f"first {lookups:,} peer look-ups, one key at a time, no summary cached"),
                           ("cached", f"first {lookups:,} peer look-ups, summaries cached in the store"),
                           ("again", f"  the same {lookups:,} again (the pipeline's own cache)")):  # fmt: skip
            rows.append((what, statistics.median(times[case]) * 1000, "ms", None))

        # upserts with and without summaries, the two stores in turn (which goes first alternates)
        rates: dict[str, dict[str, list[float]]] = {}
        start, ordered = n, n + sample  # the new listings: a random-order slice, then a search-order one
        for run in range(runs):
            # every run on fresh copies of the two stores: the groups it grows are the same size each time
            copies = {label: Path(tmp) / f"run-{label}.sqlite3" for label in ("with", "without")}
            for source, copy in ((kept, copies["with"]), (bare, copies["without"])):
                for suffix in ("", "-wal"):  # closed stores have no WAL left; copied if one had
                    if Path(f"{source}{suffix}").exists():
                        shutil.copyfile(f"{source}{suffix}", f"{copy}{suffix}")
            os.sync()  # the copies' dirty pages written back now, not during the timed upserts
            for label in ("with", "without") if run % 2 == 0 else ("without", "with"):
                opened = open_store(f"sqlite:///{copies[label]}") if label == "with" else NoPeerSQLiteStore(
                    str(copies[label]))  # fmt: skip
                with opened as store:
                    day = T0 + timedelta(days=1 + run)
                    got = rates.setdefault(label, {})
                    got.setdefault("new", []).append(fill(store, start, start + sample, n, batch, day))
                    got.setdefault("unchanged", []).append(fill(store, start, start + sample, n, batch, day))
                    got.setdefault("re-priced", []).append(
                        fill(store, start, start + sample, n, batch, day, price_step=1_000 * (run + 1)))
                    got.setdefault("new, search order", []).append(
                        fill(store, ordered, ordered + sample, n, batch, day, search_order=True))
                    got.setdefault("re-priced, search order", []).append(
                        fill(store, ordered, ordered + sample, n, batch, day, search_order=True,
                             price_step=1_000 * (run + 1)))  # fmt: skip
            for copy in copies.values():
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{copy}{suffix}").unlink(missing_ok=True)
        for name, what in (("new", f"upsert {sample:,} new listings"),
                           ("unchanged", f"re-crawl of those {sample:,}, unchanged"),
                           ("re-priced", f"re-crawl of those {sample:,}, prices changed"),
                           ("new, search order", f"upsert {sample:,} new listings in search order"),
                           ("re-priced, search order", "re-crawl of those, prices changed")):  # fmt: skip
            with_rate = statistics.median(rates["with"][name])
            without = statistics.median(rates["without"][name])
            rows.append((f"{what}: summaries kept", with_rate, "/s", with_rate / without))
            rows.append(("  the same without summaries", without, "/s", None))
    return out


def print_result(out: dict[str, Any], n: int, runs: int, batch: int) -> None:
    """The table BENCHMARKS.md quotes."""
    groups, members = out["groups"]
    print(f"SQLite store: {n:,} listings ({out['size_mb']:,.0f} MB), {groups:,} peer groups holding "
          f"{members or 0:,} listings (placeholders left out); built at "
          f"{out['build_with']:,.0f}/s with summaries, {out['build_without']:,.0f}/s without (batches of {batch})")
    print(f"load average at start: {out['load']:.2f} on {os.cpu_count()} cores; rule loading "
          f"(from_crawler, independent of the store) {out['rules_seconds']:.2f} s; peer statistics built with "
          f"{out['engine']}; look-ups found {out['found']:,} stored groups")
    print()
    print(f"| what | median of {runs} runs | ratio |")
    print("| --- | ---: | ---: |")
    for what, value, unit, ratio in out["rows"]:
        figure = f"{value:,.0f} {unit}" if unit == "/s" or value >= 100 else f"{value:,.2f} {unit}"
        note = "" if ratio is None else (f"{ratio:,.0f}× slower" if ratio >= 10 else f"{ratio:.2f}×")
        print(f"| {what} | {figure} | {note} |")


def main(argv: list[str]) -> int:
    """Build the stores, measure, print the table."""
    parser = argparse.ArgumentParser(prog="python -m bench crawl_startup", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100_000, help="listings in the store (default 100,000)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sample", type=int, default=20_000, help="listings per upsert measurement")
    parser.add_argument("--lookups", type=int, default=1_000)
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--old-runs", type=int, default=1, help="runs of the pre-issue-13 start-up (0: skip)")
    args = parser.parse_args(argv)
    out = measure(args.n, max(1, args.runs), args.sample, args.lookups, args.batch, args.old_runs)
    print_result(out, args.n, max(1, args.runs), args.batch)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
