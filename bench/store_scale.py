"""The store at scale: bulk upsert rate and filtered flag queries on a 100,000-listing SQLite store.

``python -m bench store_scale [--n 100000] [--runs 5] [--batch 1000]`` builds a synthetic store in a
temporary directory (realistic sizes: Vietnamese titles, ~200-character descriptions, images,
sellers in provinces, ~30 % flagged), then prints a table of:

- upsert rates: first insert, re-crawl of unchanged listings, re-crawl with changed prices;
- ``query_flagged`` (50 rows) and ``count_flagged`` for a set of filter combinations, the median
  of ``--runs`` runs each, in milliseconds.

Figures go to BENCHMARKS.md (store section). No assertion here: it measures.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from crawler.items import KINDS, Flag, Listing
from crawler.store import FlagQuery, Store, open_store

T0 = datetime(2026, 1, 5, tzinfo=UTC)
PLATFORMS = ("tiki", "shopee", "lazada", "sendo")
PROVINCES = ("Hà Nội", "Hồ Chí Minh", "Đà Nẵng", "Hải Phòng", "Cần Thơ", "Bình Dương", "Đồng Nai", "Nghệ An")
WORDS = ("túi", "xách", "đồng", "hồ", "son", "môi", "kem", "dưỡng", "giày", "thể", "thao", "điện", "thoại",
         "sạc", "tai", "nghe", "nước", "hoa", "áo", "khoác", "chính", "hãng", "giá", "rẻ", "cao", "cấp")  # fmt: skip
BRANDS = ("Gucci", "Chanel", "Rolex", "Nike", "Apple", "Samsung", "Dior", None, None, None)


def synthetic(n: int, seed: int = 7) -> list[Listing]:
    """``n`` listings over 4 platforms, n/20 sellers; ~30 % flagged with 1–2 of 40 rules."""
    rng = random.Random(seed)
    listings = []
    for i in range(n):
        platform = PLATFORMS[i % len(PLATFORMS)]
        seller = rng.randrange(max(1, n // 20))
        words = " ".join(rng.choice(WORDS) for _ in range(8))
        flags = []
        if rng.random() < 0.3:
            for _ in range(rng.choice((1, 1, 2))):
                kind = rng.choice(KINDS)
                rule = f"{kind}.r{rng.randrange(10)}"
                flags.append(Flag(rule_id=rule, kind=kind, score=round(rng.random(), 2), message=f"{kind} hit",
                                  matched=[{"field": "title", "text": words[:12], "start": 0, "end": 12}]))
        listings.append(Listing(
            platform=platform, listing_id=str(100000 + i), url=f"https://{platform}.vn/p/{i}",
            title=f"{rng.choice(BRANDS) or 'Hàng'} {words} {i}",
            description=(f"Mô tả sản phẩm {words}. Liên hệ 09{rng.randrange(10**8):08d}. " * 3)[:220],
            price=rng.randrange(10, 5000) * 1000, brand=rng.choice(BRANDS), category=rng.choice(WORDS),
            origin=rng.choice((None, "Việt Nam", "Trung Quốc")),
            seller={"platform_id": f"s{seller}", "name": f"Shop {seller}", "province": PROVINCES[seller % 8]},
            images=[f"https://img.{platform}.vn/{i}-{k}.jpg" for k in range(rng.randrange(1, 4))],
            sold_count=rng.randrange(1000), source="tip-off" if rng.random() < 0.02 else "crawl", flags=flags,
        ))  # fmt: skip
    return listings


def upsert_rate(store: Store, listings: list[Listing], batch: int, seen: datetime) -> tuple[float, float]:
    """(listings per wall-clock second, per CPU second of this process) upserting ``listings`` in batches."""
    started, cpu = time.perf_counter(), time.process_time()
    for start in range(0, len(listings), batch):
        store.upsert_listings(listings[start : start + batch], seen_at=seen)
    return len(listings) / (time.perf_counter() - started), len(listings) / (time.process_time() - cpu)


def median_ms(run: Callable[[], object], runs: int) -> float:
    """Median wall time of ``run`` in milliseconds (one warm-up run first)."""
    run()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def queries(n: int) -> list[tuple[str, FlagQuery]]:
    """The filter combinations the CLI offers, as an inspector would use them."""
    since = T0 + timedelta(days=3)  # the first 20,000 listings were re-crawled on days 8 and 9
    return [
        ("no filter (risk)", FlagQuery()),
        ("no filter (newest)", FlagQuery(sort="newest")),
        ("kind", FlagQuery(kind="counterfeit")),
        ("rule", FlagQuery(rule_id="banned.r3")),
        ("platform + min_risk", FlagQuery(platform="shopee", min_risk=0.7)),
        ("status=new + kind", FlagQuery(status="new", kind="banned")),
        ("seller", FlagQuery(seller=f"s{n // 40}")),
        ("province", FlagQuery(province="ha noi")),
        ("date range", FlagQuery(since=since, until=since + timedelta(hours=6))),
        ("text", FlagQuery(text="dong ho chinh hang")),
        ("text (rare)", FlagQuery(text=f"{n // 2 + 100000 - 100000}")),
        ("source=tip-off", FlagQuery(source="tip-off")),
        ("kind+province+since+text", FlagQuery(kind="counterfeit", province="Hà Nội", since=since, text="gucci")),
        ("page 100", FlagQuery(offset=5000)),
        ("all listings (export), text", FlagQuery(flagged_only=False, text="rolex")),
    ]


def main(argv: list[str]) -> int:
    """Build the store, measure, print the table."""
    parser = argparse.ArgumentParser(prog="python -m bench store_scale", description=__doc__)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--uri", default=None, help="store URI (default: a SQLite file in a temp dir)")
    args = parser.parse_args(argv)
    listings = synthetic(args.n)
    with tempfile.TemporaryDirectory(prefix="bench-store-") as tmp:
        uri = args.uri or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        with open_store(uri) as store:
            # seen times spread over a week so that date filters select a slice
            started, cpu = time.perf_counter(), time.process_time()
            chunk = max(args.batch, len(listings) // 28)
            for part, start in enumerate(range(0, len(listings), chunk)):
                seen = T0 + timedelta(hours=6 * part)
                part_listings = listings[start : start + chunk]
                for b in range(0, len(part_listings), args.batch):
                    store.upsert_listings(part_listings[b : b + args.batch], seen_at=seen)
            insert = len(listings) / (time.perf_counter() - started), len(listings) / (time.process_time() - cpu)
            sample = listings[: min(20_000, len(listings))]
            unchanged = upsert_rate(store, sample, args.batch, T0 + timedelta(days=8))
            repriced = [x.model_copy(update={"price": (x.price or 0) + 1000}) for x in sample]
            changed = upsert_rate(store, repriced, args.batch, T0 + timedelta(days=9))
            print(f"store: {store!r}, {store.count_listings():,} listings, "
                  f"{store.count_flagged(FlagQuery()):,} flagged")  # fmt: skip
            print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
            print(f"{'upsert (batches of ' + str(args.batch) + ')':<34}{'per s':>12}{'per CPU s':>12}")
            for name, (rate, cpu_rate) in (("insert (new listings)", insert), ("re-crawl, unchanged", unchanged),
                                           ("re-crawl, price changed", changed)):  # fmt: skip
                print(f"{name:<34}{rate:>12,.0f}{cpu_rate:>12,.0f}")
            print()
            head = f"query (median of {args.runs})"
            print(f"{head:<34}{'rows':>7}{'total':>9}{'query ms':>10}{'count ms':>10}")
            for name, query in queries(args.n):
                rows = len(store.query_flagged(query))
                total = store.count_flagged(query)
                q_ms = median_ms(lambda q=query: store.query_flagged(q), args.runs)
                c_ms = median_ms(lambda q=query: store.count_flagged(q), args.runs)
                print(f"{name:<34}{rows:>7}{total:>9,}{q_ms:>10.1f}{c_ms:>10.1f}")
            for name, run in (
                ("seller_summaries(min_confirmed=0)", lambda: store.seller_summaries()),
                ("report_data(1 week)", lambda: store.report_data(T0, T0 + timedelta(days=7))),
                ("count_flagged_by_kind", store.count_flagged_by_kind),
            ):
                print(f"{name:<34}{'':>16}{median_ms(run, args.runs):>10.1f}")
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
