"""Crawl speed and memory: the same spider with every pipeline against bare Scrapy, on the demo marketplace.

``python -m bench crawl [--pages 20500] [--runs 5] [--spider tiki] [--baseline DIR] [--set NAME=VALUE]``

What it does, in one invocation:

1. writes ``--listings`` synthetic Tiki listings (default: enough for ``--pages`` pages, one detail page
   a listing plus one search page per 40) made from the demo marketplace's own Tiki listings, each
   with its own product id, seller-product id and a title of its own (real marketplaces' titles are
   nearly all different, so no per-title cache flatters the pipelines), its price moved by up to
   ±10 % within its product's group;
2. starts the demo marketplace (``python -m crawler.demo.marketplace --port 0``) on 127.0.0.1 serving
   them, and stops it by its PID at the end;
3. runs ``python -m scrapy crawl tiki -a keywords='*'`` against it, ``--runs`` times per variant, the
   variants alternating (run 2 starts with the variant run 1 ended with, and so on):

   - **bare**: pipelines off (``ITEM_PIPELINES={}``): Scrapy, the spider, the middlewares;
   - **full**: every pipeline (normalize → detect → evidence → store) into a fresh SQLite store,
     evidence folder and spool folder in a temporary directory; ``--set NAME=VALUE`` settings apply
     to this variant only (to try a setting against the project's);
   - **bare-before** and **before** (only with ``--baseline DIR``): the bare and full variants run from
     the code in ``DIR`` (a copy of the project at an older commit: ``git archive COMMIT | tar -x -C
     DIR``), as the "before" of a change; "before" is compared with "bare-before".

   Every variant crawls with politeness off (no download delay, no AutoThrottle, robots.txt not
   fetched, 16 requests at a time, all to the one host), so the comparison is the engine against
   the pipelines, not against the delays;
4. prints a table: per variant the median wall time, CPU time (user + system of the crawl process,
   from ``os.wait4``), pages/s and listings/s (wall clock), peak RSS of the crawl process
   (``ru_maxrss``), and the full variant's speed as a ratio of bare Scrapy's (target ≥ 0.90×): pages/s
   and wall time (what a user waits), CPU time (what the pipelines cost, whatever else runs).

``--memory`` is the memory check: one full crawl of 100,000 listings (about 102,500 pages), peak RSS
against the target (< 500 MB). Expect 15-25 minutes on a 2-core machine.

The marketplace and the crawl share the machine: read the absolute figures with the load average
printed beside them, and compare variants only by the ratios measured in the same invocation.
Progress goes to stderr (one line per crawl, and every 15 s while one runs); the table to stdout.
Figures go to BENCHMARKS.md. No assertion here: it measures.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEMO_DATA = REPO / "crawler" / "demo" / "data" / "listings.jsonl"
PAGE_SIZE = 40
"""Listings per Tiki search page (``spiders.tiki.TikiSpider.page_size``)."""
TARGET_RATIO = 0.90
TARGET_RSS_MB = 500
MEMORY_LISTINGS = 100_000
PRODUCT_BASE = 500_000_000
SPID_BASE = 600_000_000
POLITENESS_OFF = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "0",
    "ROBOTSTXT_OBEY": "0",
    "CONCURRENT_REQUESTS": "16",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
}
"""Settings every variant crawls with: the engine against the pipelines, not against delays."""
EXTENSIONS = {"crawler.crawl_end.CrawlEnd": 0, "_crawl_stats.StatsFile": 10}
"""The project's extension and the benchmark's stats file (``bench/_crawl_stats.py``, imported from the
``bench`` folder itself, so that a ``--baseline`` copy's own ``bench`` package does not hide it)."""
SPIDERS = ("tiki",)
PROGRESS_SECONDS = 15.0


# --- the data -------------------------------------------------------------------------------------

def _templates() -> list[dict[str, Any]]:
    records = [json.loads(line) for line in DEMO_DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [record for record in records if record["platform"] == "tiki"]


def synthetic_listings(n: int) -> Iterator[dict[str, Any]]:
    """``n`` Tiki listings for the demo marketplace, made from its own Tiki listings in turn; the same
    ``n`` always gives the same listings. Listing ``i`` has product id ``500000000 + i``, its own
    seller-product id and URL, its template's title with a model code of its own, and its
    template's price moved by up to ±10 % (rounded to 1,000 đồng)."""
    templates = _templates()
    for i in range(n):
        template = templates[i % len(templates)]
        record = json.loads(json.dumps(template))
        record.pop("expected_kinds", None)
        product, spid = PRODUCT_BASE + i, SPID_BASE + i
        slug = record["url"].split("tiki.vn/", 1)[1].split(".html", 1)[0].rsplit("-p", 1)[0]
        record["listing_id"] = f"{product}-{spid}"
        record["url"] = f"https://tiki.vn/{slug}-p{product}.html?spid={spid}"
        record["title"] = f"{template['title']} - mã {i:06d}"
        if isinstance(record.get("price"), int) and record["price"] > 1_000:
            step = (i * 7_919) % 21 - 10  # -10 … +10 %
            record["price"] = max(1_000, round(record["price"] * (100 + step) / 100_000) * 1_000)
        yield record


def write_data(path: Path, n: int) -> Path:
    """Write :func:`synthetic_listings` as JSON Lines to ``path``."""
    with path.open("w", encoding="utf-8") as out:
        for record in synthetic_listings(n):
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def listings_for(pages: int) -> int:
    """Listings whose crawl fetches at least ``pages`` pages (a detail each, a search page per 40)."""
    return max(1, math.ceil(pages * PAGE_SIZE / (PAGE_SIZE + 1)))


# --- one crawl --------------------------------------------------------------------------------------

@dataclass
class Variant:
    """One way of crawling: its name, the code it runs (a project root) and its own settings."""

    name: str
    root: Path
    pipelines: bool
    settings: dict[str, str] = field(default_factory=dict)


@dataclass
class CrawlResult:
    """What one crawl took and did."""

    variant: str
    wall: float
    cpu: float
    rss_mb: float
    pages: int
    listings: int
    returncode: int
    stats: dict[str, Any]
    server_cpu: float = 0.0

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.wall if self.wall else 0.0

    @property
    def listings_per_s(self) -> float:
        return self.listings / self.wall if self.wall else 0.0


def _process_cpu(pid: int | None) -> float:
    """User + system CPU seconds of a live process (``/proc/PID/stat``); 0 when unreadable."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def crawl_command(spider: str, base_url: str, variant: Variant, work: Path) -> list[str]:
    """The ``scrapy crawl`` argument list of one run of ``variant`` (its files under ``work``)."""
    settings = {
        **POLITENESS_OFF,
        "PLATFORM_BASE_URLS": json.dumps({spider: f"{base_url}/{spider}"}),
        "ALLOWED_PRIVATE_HOSTS": "127.0.0.1",
        "STORE_URI": f"sqlite:///{work / 'store.sqlite3'}",
        "EVIDENCE_DIR": str(work / "evidence"),
        "SPOOL_DIR": str(work / "spool"),
        "RULES_DIR": str(variant.root / "rules"),
        "LOG_LEVEL": "INFO",
        "LOG_FILE": str(work / "crawl.log"),
        "LOGSTATS_INTERVAL": "10",
        "EXTENSIONS": json.dumps(EXTENSIONS),
        "BENCH_STATS_FILE": str(work / "stats.json"),
    }
    if not variant.pipelines:
        settings["ITEM_PIPELINES"] = "{}"
    settings.update(variant.settings)
    command = [sys.executable, "-m", "scrapy", "crawl", spider, "-a", "keywords=*"]
    for name, value in settings.items():
        command += ["-s", f"{name}={value}"]
    return command


def run_crawl(spider: str, base_url: str, variant: Variant, work: Path, server_pid: int | None = None,
              label: str = "", timeout: float = 7_200.0) -> CrawlResult:
    """One crawl in its own process; wall and CPU time, peak RSS (``os.wait4``), pages and listings."""
    work.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, SCRAPY_SETTINGS_MODULE="crawler.settings",
               PYTHONPATH=os.pathsep.join([str(variant.root), str(REPO / "bench")]))
    env.pop("STORE_URI", None)
    command = crawl_command(spider, base_url, variant, work)
    server_before = _process_cpu(server_pid)
    began = time.perf_counter()
    process = subprocess.Popen(command, cwd=variant.root, env=env, stdout=subprocess.DEVNULL,
                               stderr=(work / "stderr.txt").open("wb"))
    done = threading.Event()
    watcher = threading.Thread(target=_progress, args=(process.pid, work / "crawl.log", label, done, began),
                               daemon=True)
    watcher.start()
    try:
        _, status, usage = _wait4(process, timeout)
    finally:
        done.set()
        watcher.join(timeout=2)
    wall = time.perf_counter() - began
    server_cpu = _process_cpu(server_pid) - server_before
    returncode = os.waitstatus_to_exitcode(status)
    process.returncode = returncode
    stats_path = work / "stats.json"
    stats = json.loads(stats_path.read_text(encoding="utf-8")) if stats_path.exists() else {}
    return CrawlResult(
        variant=variant.name, wall=wall, cpu=usage.ru_utime + usage.ru_stime, rss_mb=usage.ru_maxrss / 1024,
        pages=int(stats.get("crawl/pages", stats.get("response_received_count", 0))),
        listings=int(stats.get("item_scraped_count", 0)), returncode=returncode, stats=stats,
        server_cpu=server_cpu,
    )


def _wait4(process: subprocess.Popen[bytes], timeout: float) -> tuple[int, int, Any]:
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            return pid, status, usage
        if time.monotonic() > deadline:
            process.kill()
            return os.wait4(process.pid, 0)
        time.sleep(0.05)


def _progress(pid: int, log: Path, label: str, done: threading.Event, began: float) -> None:
    """Every :data:`PROGRESS_SECONDS`: the crawl's last "Crawled N pages" line and its RSS, to stderr."""
    while not done.wait(PROGRESS_SECONDS):
        crawled = ""
        try:
            with log.open("rb") as handle:
                handle.seek(max(0, log.stat().st_size - 8_192))
                tail = handle.read().decode("utf-8", "replace")
            lines = [line for line in tail.splitlines() if "Crawled " in line and " pages " in line]
            if lines:
                crawled = lines[-1].split("INFO: ", 1)[-1]
        except OSError:
            pass
        print(f"    {label} {time.perf_counter() - began:5.0f} s, RSS {_rss_mb(pid):4.0f} MB  {crawled}",
              file=sys.stderr, flush=True)


# --- the whole benchmark ------------------------------------------------------------------------------

def variants(baseline: Path | None, extra: dict[str, str], names: list[str],
             common: dict[str, str] | None = None) -> list[Variant]:
    """The variants to run, in the order of the first run; ``extra`` settings for the full variant,
    ``common`` for all."""
    common = common or {}
    made = {"bare": Variant("bare", REPO, pipelines=False, settings=dict(common)),
            "full": Variant("full", REPO, pipelines=True, settings={**common, **extra})}
    chosen = [made[name] for name in names]
    if baseline is not None:
        before = [Variant("before", baseline, pipelines=True, settings=dict(common))]
        if "bare" in names:
            before.insert(0, Variant("bare-before", baseline, pipelines=False, settings=dict(common)))
        chosen[1 if names[:1] == ["bare"] else 0:0] = before
    return chosen


def measure(spider: str, listings: int, runs: int, chosen: list[Variant], keep: Path | None = None
            ) -> dict[str, Any]:
    """Serve ``listings`` listings, crawl ``runs`` times per variant (alternating); every result."""
    from crawler.demo.process import MarketplaceProcess

    out: dict[str, Any] = {"load": os.getloadavg(), "listings": listings, "results": []}
    tmp = Path(tempfile.mkdtemp(prefix="bench-crawl-", dir=keep))
    try:
        data = write_data(tmp / "listings.jsonl", listings)
        print(f"  {listings:,} synthetic Tiki listings written; starting the demo marketplace", file=sys.stderr,
              flush=True)
        with MarketplaceProcess(data=data, start_timeout=60 + listings / 500) as market:
            order = list(chosen)
            for run in range(runs):
                for variant in order:
                    label = f"[{variant.name} {run + 1}/{runs}]"
                    work = tmp / f"{variant.name}-{run}"
                    result = run_crawl(spider, market.base_url, variant, work, market.pid, label)
                    out["results"].append(result)
                    print(f"  {label} {result.wall:6.1f} s wall, {result.cpu:6.1f} s CPU, {result.pages:,} pages, "
                          f"{result.listings:,} listings, peak RSS {result.rss_mb:,.0f} MB, exit {result.returncode}"
                          f" (marketplace {result.server_cpu:.0f} s CPU)", file=sys.stderr, flush=True)
                    if result.returncode != 0 or result.listings == 0:
                        tail = (work / "stderr.txt").read_text(errors="replace")[-1500:]
                        print(f"  {label} crawl failed; its log: {work / 'crawl.log'}\n{tail}", file=sys.stderr)
                    if keep is None:
                        shutil.rmtree(work, ignore_errors=True)
                order = order[-1:] + order[:-1]
    finally:
        if keep is None:
            shutil.rmtree(tmp, ignore_errors=True)
    out["load_after"] = os.getloadavg()
    return out


def summary(results: list[CrawlResult], name: str) -> dict[str, float] | None:
    """The medians of one variant's runs."""
    mine = [result for result in results if result.variant == name]
    if not mine:
        return None
    return {
        "runs": len(mine),
        "wall": statistics.median(r.wall for r in mine),
        "cpu": statistics.median(r.cpu for r in mine),
        "pages_per_s": statistics.median(r.pages_per_s for r in mine),
        "listings_per_s": statistics.median(r.listings_per_s for r in mine),
        "rss_mb": statistics.median(r.rss_mb for r in mine),
        "rss_max_mb": max(r.rss_mb for r in mine),
        "pages": statistics.median(r.pages for r in mine),
        "listings": statistics.median(r.listings for r in mine),
        "server_cpu": statistics.median(r.server_cpu for r in mine),
        "failed": sum(1 for r in mine if r.returncode != 0),
    }


def table(out: dict[str, Any], chosen: list[Variant]) -> list[str]:
    """The markdown table BENCHMARKS.md quotes: what, median, ratio, target."""
    results: list[CrawlResult] = out["results"]
    medians = {variant.name: summary(results, variant.name) for variant in chosen}
    lines = ["| what | median | ratio | target |", "| --- | ---: | ---: | ---: |"]
    for variant in chosen:
        got = medians[variant.name]
        if got is None:
            continue
        title = {"bare": "bare Scrapy (pipelines off)", "full": "full pipeline",
                 "bare-before": f"bare Scrapy, before ({variant.root})",
                 "before": f"full pipeline, before ({variant.root})"}[variant.name]
        if variant.settings:
            title += " with " + ", ".join(f"{k}={v}" for k, v in variant.settings.items())
        bare = medians.get("bare-before" if variant.name == "before" else "bare") if variant.pipelines else None
        speed = got["pages_per_s"] / bare["pages_per_s"] if bare else None
        time_ratio = bare["wall"] / got["wall"] if bare else None
        cpu_ratio = bare["cpu"] / got["cpu"] if bare else None
        ratio = f"{speed:.2f}×" if speed is not None else ""
        target = f"≥ {TARGET_RATIO:.2f}×" if speed is not None else ""
        lines += [
            f"| {title}: {got['runs']} runs, {got['pages']:,.0f} pages, {got['listings']:,.0f} listings | | | |",
            f"| {variant.name}: pages/s (wall) | {got['pages_per_s']:,.0f} | {ratio} | {target} |",
            f"| {variant.name}: listings/s (wall) | {got['listings_per_s']:,.0f} | | |",
            f"| {variant.name}: wall time | {got['wall']:,.1f} s | "
            f"{f'{time_ratio:.2f}×' if time_ratio else ''} | |",
            f"| {variant.name}: CPU time of the crawl process | {got['cpu']:,.1f} s | "
            f"{f'{cpu_ratio:.2f}×' if cpu_ratio else ''} | |",
            f"| {variant.name}: peak RSS of the crawl process | {got['rss_mb']:,.0f} MB | | "
            f"{f'< {TARGET_RSS_MB} MB' if out['listings'] >= MEMORY_LISTINGS and variant.pipelines else ''} |",
            f"| {variant.name}: marketplace CPU time | {got['server_cpu']:,.1f} s | | |",
        ]
        if got["failed"]:
            lines.append(f"| {variant.name}: runs that exited non-zero | {got['failed']:.0f} | | 0 |")
    return lines


def _setting(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name.strip(), value


def parser() -> argparse.ArgumentParser:
    """The command line (``--help`` shows the module's docstring)."""
    parser = argparse.ArgumentParser(
        prog="python -m bench crawl", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=20_500,
                        help="pages per crawl (listings = pages × 40/41; default 20,500 = 20,000 listings)")
    parser.add_argument("--listings", type=int, default=None, help="listings served (overrides --pages)")
    parser.add_argument("--runs", type=int, default=5, help="crawls per variant (default 5; medians reported)")
    parser.add_argument("--spider", choices=SPIDERS, default="tiki", help="the spider to crawl with")
    parser.add_argument("--variants", default="bare,full",
                        help="comma-separated, from bare and full (default both, bare first)")
    parser.add_argument("--baseline", type=Path, default=None,
                        help="also run the full pipeline from the project copy in DIR (variant 'before')")
    parser.add_argument("--set", dest="settings", type=_setting, action="append", default=[], metavar="NAME=VALUE",
                        help="a Scrapy setting for the full variant only (repeatable), e.g. CONCURRENT_ITEMS=4")
    parser.add_argument("--set-all", dest="common", type=_setting, action="append", default=[],
                        metavar="NAME=VALUE", help="a Scrapy setting for every variant (repeatable)")
    parser.add_argument("--memory", action="store_true",
                        help=f"one full crawl of {MEMORY_LISTINGS:,} listings: peak RSS against {TARGET_RSS_MB} MB")
    parser.add_argument("--keep", type=Path, default=None,
                        help="keep each crawl's log, store and stats under a new folder in DIR")
    return parser


def main(argv: list[str]) -> int:
    """Run the benchmark; print the table."""
    args = parser().parse_args(argv)
    names = [name.strip() for name in args.variants.split(",") if name.strip()]
    if args.memory:
        args.listings, args.runs, names = args.listings or MEMORY_LISTINGS, 1, ["full"]
    unknown = [name for name in names if name not in ("bare", "full")]
    if unknown or not names:
        print(f"--variants: expected bare and/or full, got {args.variants!r}", file=sys.stderr)
        return 2
    if args.baseline is not None and not (args.baseline / "spiders").is_dir():
        print(f"--baseline {args.baseline}: not a copy of the project (no spiders/ in it)", file=sys.stderr)
        return 2
    if args.runs < 1 or args.pages < 1 or (args.listings is not None and args.listings < 1):
        print("--runs, --pages and --listings must be at least 1", file=sys.stderr)
        return 2
    listings = args.listings or listings_for(args.pages)
    chosen = variants(args.baseline.resolve() if args.baseline else None, dict(args.settings), names,
                      dict(args.common))
    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=True)
    print(f"bench crawl: {args.spider}, {listings:,} listings, {args.runs} run(s) of "
          f"{', '.join(v.name for v in chosen)}", file=sys.stderr, flush=True)
    out = measure(args.spider, listings, args.runs, chosen, args.keep)
    load, after = out["load"], out["load_after"]
    print(f"crawl of {listings:,} synthetic Tiki listings on the demo marketplace ({args.spider} spider), "
          f"politeness off; {os.cpu_count()} cores, load average {load[0]:.2f} at start, {after[0]:.2f} at end")
    print("\n".join(table(out, chosen)))
    failed = [r for r in out["results"] if r.returncode != 0 or r.listings == 0]
    if failed:
        print(f"{len(failed)} crawl(s) failed or stored nothing: see the progress lines above", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
