"""The store at scale: bulk upsert rate and filtered flag queries on a 100,000-listing SQLite store.

``python -m bench store_scale [--n 100000] [--runs 5] [--batch 1000]`` builds a synthetic store in a
temporary directory (``--n 1000000`` for issue 18's million; realistic sizes: Vietnamese titles,
~200-character descriptions, images, sellers in provinces, ~30 % flagged), then prints a table of:

- upsert rates: first insert, re-crawl of unchanged listings, re-crawl with changed prices;
- ``query_flagged`` (50 rows) and ``count_flagged`` for a set of filter combinations, the median
  and the 95th percentile (nearest rank) of ``--runs`` runs each, in milliseconds; seller summaries and
  report data (one week; one year of Vietnam days, as the CLI's periods are) the same way.

``--peer-keys`` gives every listing a peer key (``Listing.peer_key``: one of n/20 products, drawn at
random, the worst case for the store's peer summaries; issue 13), as the crawlers now set one on most
listings; the listings are otherwise the same.

``--compare DIR --rounds 3`` measures the ``crawler`` package copied to DIR (the code before a change)
and this tree's, alternately in fresh processes, and prints the medians side by side.

The listings this benchmark builds (100,000 plus 20,000 re-priced copies: millions of Python objects)
are frozen out of the garbage collector once built (``gc.freeze``): a crawl never holds them (the
store pipeline upserts 500 at a time and drops them), and without the freeze a full collection
walking them lands in whichever upsert happens to trigger it (about a third of the re-priced
re-crawl's time). ``--keep-gc`` measures without the freeze.
Figures go to BENCHMARKS.md (store section). No assertion here: it measures.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from crawler.items import KINDS, Flag, Listing
from crawler.review.periods import Period
from crawler.store import FlagQuery, Store, open_store

T0 = datetime(2026, 1, 5, tzinfo=UTC)
PLATFORMS = ("tiki", "shopee", "lazada", "sendo")
PROVINCES = ("Hà Nội", "Hồ Chí Minh", "Đà Nẵng", "Hải Phòng", "Cần Thơ", "Bình Dương", "Đồng Nai", "Nghệ An")
WORDS = ("túi", "xách", "đồng", "hồ", "son", "môi", "kem", "dưỡng", "giày", "thể", "thao", "điện", "thoại",
         "sạc", "tai", "nghe", "nước", "hoa", "áo", "khoác", "chính", "hãng", "giá", "rẻ", "cao", "cấp")  # fmt: skip
BRANDS = ("Gucci", "Chanel", "Rolex", "Nike", "Apple", "Samsung", "Dior", None, None, None)


def synthetic(n: int, seed: int = 7, *, peer_keys: bool = False) -> list[Listing]:
    """``n`` listings over 4 platforms, n/20 sellers; ~30 % flagged with 1–2 of 40 rules; with
    ``peer_keys`` each with one of n/20 peer keys (drawn from a generator of its own: the rest is the same)."""
    return list(iter_synthetic(n, seed, peer_keys=peer_keys))


def iter_synthetic(n: int, seed: int = 7, *, peer_keys: bool = False) -> Iterator[Listing]:
    """:func:`synthetic`'s listings one at a time (a million of them do not fit in memory at once)."""
    rng = random.Random(seed)
    products = random.Random(seed + 1)
    for i in range(n):
        platform = PLATFORMS[i % len(PLATFORMS)]
        seller = rng.randrange(max(1, n // 20))
        words = " ".join(rng.choice(WORDS) for _ in range(8))
        flags = []
        if rng.random() < 0.3:
            for _ in range(rng.choice((1, 1, 2))):
                kind = rng.choice(KINDS)
                rule = f"{kind}.r{rng.randrange(10)}"
                flags.append(
                    Flag(
                        rule_id=rule,
                        kind=kind,
                        score=round(rng.random(), 2),
                        message=f"{kind} hit",
                        matched=[{"field": "title", "text": words[:12], "start": 0, "end": 12}],
                    )
                )
        yield Listing(
            platform=platform, listing_id=str(100000 + i), url=f"https://{platform}.vn/p/{i}",
            title=f"{rng.choice(BRANDS) or 'Hàng'} {words} {i}",
            description=(f"Mô tả sản phẩm {words}. Liên hệ 09{rng.randrange(10**8):08d}. " * 3)[:220],
            price=rng.randrange(10, 5000) * 1000, brand=rng.choice(BRANDS), category=rng.choice(WORDS),
            origin=rng.choice((None, "Việt Nam", "Trung Quốc")),
            seller={"platform_id": f"s{seller}", "name": f"Shop {seller}", "province": PROVINCES[seller % 8]},
            images=[f"https://img.{platform}.vn/{i}-{k}.jpg" for k in range(rng.randrange(1, 4))],
            sold_count=rng.randrange(1000), source="tip-off" if rng.random() < 0.02 else "crawl", flags=flags,
            peer_key=f"hang|model {products.randrange(max(1, n // 20))}" if peer_keys else None,
        )  # fmt: skip


def upsert_rate(store: Store, listings: list[Listing], batch: int, seen: datetime) -> tuple[float, float]:
    """(listings per wall-clock second, per CPU second of this process) upserting ``listings`` in batches."""
    started, cpu = time.perf_counter(), time.process_time()
    for start in range(0, len(listings), batch):
        store.upsert_listings(listings[start : start + batch], seen_at=seen)
    return len(listings) / (time.perf_counter() - started), len(listings) / (time.process_time() - cpu)


def median_ms(run: Callable[[], object], runs: int) -> float:
    """Median wall time of ``run`` in milliseconds (one warm-up run first)."""
    return timed_ms(run, runs)[0]


def p95(times: list[float]) -> float:
    """The 95th percentile of ``times`` (nearest rank: with fewer than 20 runs, the slowest)."""
    ordered = sorted(times)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def timed_ms(run: Callable[[], object], runs: int) -> tuple[float, float]:
    """(median, p95) wall time of ``run`` over ``runs`` runs in milliseconds (one warm-up run first)."""
    run()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), p95(times)


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


def freeze_inputs(freeze: bool) -> None:
    """Leave the benchmark's own listings out of the garbage collector's passes (see the module docstring)."""
    if freeze:
        gc.collect()
        gc.freeze()


def one_year() -> tuple[datetime, datetime]:
    """A one-year report period (Vietnam days, as ``crawler report --period 1y`` gives) holding every seen time."""
    period = Period("1y", date(2025, 6, 1), date(2026, 5, 31))
    return period.start, period.end


def measure(
    n: int, runs: int, batch: int, uri: str | None, *, freeze: bool = True, peer_keys: bool = False
) -> dict[str, Any]:
    """Build the store, time the upserts and queries: {"upserts": {name: (per s, per CPU s)}, "queries": …}.

    Query timings are (rows, total, query median, count median, query p95, count p95); others (median, p95).
    """
    out: dict[str, Any] = {
        "load": os.getloadavg()[0], "keep_gc": not freeze, "peer_keys": peer_keys, "upserts": {}, "queries": {},
        "others": {},
    }  # fmt: skip
    with (
        tempfile.TemporaryDirectory(prefix="bench-store-") as tmp,
        open_store(uri or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}") as store,
    ):
        # seen times spread over a week so that date filters select a slice; built and written 100,000 at a time
        sample: list[Listing] = []
        elapsed = cpu = 0.0
        chunk = max(batch, n // 28)
        listings = iter_synthetic(n, peer_keys=peer_keys)
        for first in range(0, n, 100_000):
            part = list(itertools.islice(listings, 100_000))
            sample.extend(part[: max(0, min(20_000, n) - len(sample))])
            freeze_inputs(freeze)
            started, cpu_started = time.perf_counter(), time.process_time()
            for b in range(0, len(part), batch):
                seen = T0 + timedelta(hours=6 * ((first + b) // chunk))
                store.upsert_listings(part[b : b + batch], seen_at=seen)
            elapsed += time.perf_counter() - started
            cpu += time.process_time() - cpu_started
            del part
            if freeze:
                gc.unfreeze()
        freeze_inputs(freeze)
        out["upserts"]["insert (new listings)"] = (n / elapsed, n / cpu)
        out["upserts"]["re-crawl, unchanged"] = upsert_rate(store, sample, batch, T0 + timedelta(days=8))
        repriced = [x.model_copy(update={"price": (x.price or 0) + 1000}) for x in sample]
        freeze_inputs(freeze)
        out["upserts"]["re-crawl, price changed"] = upsert_rate(store, repriced, batch, T0 + timedelta(days=9))
        out["store"] = f"{store!r}, {store.count_listings():,} listings, {store.count_flagged(FlagQuery()):,} flagged"
        for name, query in queries(n):
            rows, total = len(store.query_flagged(query)), store.count_flagged(query)
            q_ms, q_p95 = timed_ms(lambda q=query: store.query_flagged(q), runs)
            c_ms, c_p95 = timed_ms(lambda q=query: store.count_flagged(q), runs)
            out["queries"][name] = (rows, total, q_ms, c_ms, q_p95, c_p95)
        year = one_year()
        for name, run in (
            ("seller_summaries(min_confirmed=0)", lambda: store.seller_summaries()),
            ("report_data(1 week)", lambda: store.report_data(T0, T0 + timedelta(days=7))),
            ("report_data(1 year, Vietnam days)", lambda: store.report_data(*year)),
            ("count_flagged_by_kind", store.count_flagged_by_kind),
        ):
            out["others"][name] = timed_ms(run, runs)
    return out


def print_result(out: dict[str, Any], runs: int, batch: int) -> None:
    """One measurement as the table BENCHMARKS.md quotes."""
    print(f"store: {out['store']}")
    print(f"load average at start: {out['load']:.2f} on {os.cpu_count()} cores; "
          f"its own listings {'in' if out.get('keep_gc') else 'frozen out of'} the garbage collector's passes; "
          f"{'with' if out.get('peer_keys') else 'without'} peer keys")
    print(f"{'upsert (batches of ' + str(batch) + ')':<34}{'per s':>12}{'per CPU s':>12}")
    for name, (rate, cpu_rate) in out["upserts"].items():
        print(f"{name:<34}{rate:>12,.0f}{cpu_rate:>12,.0f}")
    print()
    print(f"{'query (' + str(runs) + ' runs, ms)':<34}{'rows':>7}{'total':>10}{'query':>9}{'count':>9}"
          f"{'q p95':>9}{'c p95':>9}")
    for name, (rows, total, q_ms, c_ms, q_p95, c_p95) in out["queries"].items():
        print(f"{name:<34}{rows:>7}{total:>10,}{q_ms:>9.1f}{c_ms:>9.1f}{q_p95:>9.1f}{c_p95:>9.1f}")
    for name, (ms, ms_p95) in out["others"].items():
        print(f"{name:<34}{'':>17}{ms:>9.1f}{'':>9}{ms_p95:>9.1f}")


def compare(baseline: Path, argv: list[str], rounds: int, after: Path | None = None) -> None:
    """Run this benchmark on the ``crawler`` package of ``baseline`` and of ``after`` (default: this tree),
    interleaved, one fresh process each (baseline first in odd rounds, second in even ones); print the
    medians side by side."""
    here = Path(__file__).resolve().parent.parent
    trees = {"before": baseline.resolve(), "after": (after or here).resolve()}
    results: dict[str, list[dict[str, Any]]] = {"before": [], "after": []}
    for number in range(rounds):
        for label in ("before", "after") if number % 2 == 0 else ("after", "before"):
            env = {**os.environ, "PYTHONPATH": str(trees[label])}
            done = subprocess.run(
                [sys.executable, str(Path(__file__).resolve()), "--json", *argv],
                env=env, cwd=tempfile.gettempdir(), capture_output=True, text=True, check=True,
            )  # fmt: skip
            results[label].append(json.loads(done.stdout.splitlines()[-1]))
            up = results[label][-1]["upserts"]
            print(
                f"round {number + 1} {label:6}: " + ", ".join(f"{k} {v[1]:,.0f}/CPU s" for k, v in up.items()),
                flush=True,
            )
    loads = [r["load"] for rs in results.values() for r in rs]
    gc_state = "in" if "--keep-gc" in argv else "frozen out of"
    keys = "with" if "--peer-keys" in argv else "without"
    print(f"\nmedians of {rounds} rounds; load average at the starts {min(loads):.2f}–{max(loads):.2f}; "
          f"the benchmark's own listings {gc_state} the garbage collector's passes; {keys} peer keys")
    print(f"{'upsert (listings/s)':<34}{'before wall':>12}{'before CPU':>12}{'after wall':>12}{'after CPU':>12}")
    for name in results["after"][0]["upserts"]:
        cells = [statistics.median(r["upserts"][name][i] for r in results[label])
                 for label in ("before", "after") for i in (0, 1)]  # fmt: skip
        print(f"{name:<34}" + "".join(f"{cell:>12,.0f}" for cell in cells))
    print(f"\n{'query (median, ms)':<34}{'before q':>10}{'before c':>10}{'after q':>10}{'after c':>10}")
    for name in results["after"][0]["queries"]:
        cells = [statistics.median(r["queries"][name][i] for r in results[label])
                 for label in ("before", "after") for i in (2, 3)]  # fmt: skip
        print(f"{name:<34}" + "".join(f"{cell:>10.1f}" for cell in cells))
    for name in results["after"][0]["others"]:
        cells = [statistics.median(r["others"][name][0] for r in results[label]) for label in ("before", "after")]
        print(f"{name:<34}{cells[0]:>20.1f}{cells[1]:>20.1f}")


def main(argv: list[str]) -> int:
    """Build the store, measure, print the table (or compare with a baseline tree)."""
    parser = argparse.ArgumentParser(prog="python -m bench store_scale", description=__doc__)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--uri", default=None, help="store URI (default: a SQLite file in a temp dir)")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON line")
    parser.add_argument(
        "--compare",
        type=Path,
        default=None,
        help="a directory holding a baseline copy of crawler/: measure it and this tree, interleaved",
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds of --compare (one process per tree each)")
    parser.add_argument("--after", type=Path, default=None, help="with --compare: the changed tree (default: this one)")
    parser.add_argument(
        "--keep-gc", action="store_true",
        help="leave the benchmark's own listings in the garbage collector's passes (no gc.freeze)",
    )  # fmt: skip
    parser.add_argument("--peer-keys", action="store_true", help="give every listing a peer key (one of n/20)")
    args = parser.parse_args(argv)
    if args.compare is not None:
        sizes = ["--n", str(args.n), "--runs", str(args.runs), "--batch", str(args.batch)]
        sizes += ["--keep-gc"] if args.keep_gc else []
        sizes += ["--peer-keys"] if args.peer_keys else []
        compare(args.compare, sizes, args.rounds, args.after)
        return 0
    out = measure(args.n, args.runs, args.batch, args.uri, freeze=not args.keep_gc, peer_keys=args.peer_keys)
    if args.json:
        print(json.dumps(out))
    else:
        print_result(out, args.runs, args.batch)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
