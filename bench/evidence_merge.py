"""SQLite re-priced upserts: the evidence history merge (``evidence_append``) vs the old replace (COALESCE).

Side by side in one run, alternating the order each round: a fresh store gets ``--n`` listings, then the
same listings re-priced (every row goes through the UPDATE whose ``evidence`` expression is measured).
The "replace" variant is today's statement with ``evidence_append(?, evidence)`` swapped for the
``COALESCE(?, evidence)`` main had, so the one difference is the Python SQL function call per row.

    python -m bench evidence_merge [--n 20000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

from crawler.items import Listing
from crawler.store import open_store


def _listings(n: int, price: int) -> list[Listing]:
    return [Listing(platform="tiki", listing_id=str(i), url=f"https://tiki.vn/p{i}", title=f"Sản phẩm {i}",
                    price=price + i) for i in range(n)]


def main(argv: list[str]) -> int:
    """Print the median re-priced upsert rate of both variants and their ratio."""
    import crawler.store.sqlite as sqlite_store

    parser = argparse.ArgumentParser(prog="python -m bench evidence_merge", description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args(argv)
    first, second = _listings(options.n, 1_000), _listings(options.n, 2_000)
    append = (sqlite_store._UPDATE, sqlite_store._UPDATE_MOVED)
    replace = tuple(s.replace("evidence_append(?, evidence)", "COALESCE(?, evidence)") for s in append)
    times: dict[str, list[float]] = {"append (history)": [], "replace (main)": []}
    variants = [("append (history)", append), ("replace (main)", replace)]
    try:
        for number in range(options.rounds):
            for name, (update, moved) in variants[:: 1 if number % 2 else -1]:
                sqlite_store._UPDATE, sqlite_store._UPDATE_MOVED = update, moved
                with tempfile.TemporaryDirectory() as tmp, open_store(f"sqlite:///{tmp}/s.sqlite3") as store:
                    store.upsert_listings(first)
                    start = time.perf_counter()
                    store.upsert_listings(second)
                    times[name].append(time.perf_counter() - start)
    finally:
        sqlite_store._UPDATE, sqlite_store._UPDATE_MOVED = append
    medians = {name: options.n / statistics.median(values) for name, values in times.items()}
    print(f"| re-priced upsert of {options.n:,} listings, median of {options.rounds} | listings/s |")
    print("| --- | ---: |")
    for name, rate in medians.items():
        print(f"| {name} | {rate:,.0f} |")
    print(f"ratio append/replace: {medians['append (history)'] / medians['replace (main)']:.3f}")
    return 0
