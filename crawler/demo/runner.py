"""``crawler demo``: the whole product, end to end, on the bundled demo marketplace.

1. start the demo marketplace (``python -m crawler.demo.marketplace --port 0``) on 127.0.0.1 and read
   the address it prints;
2. ``scrapy crawl tiki`` and ``scrapy crawl shopee`` against it (real pipelines: normalize → detect →
   evidence → store), each in its own process with its log in ``data/logs/``;
3. stop the marketplace by the PID it was started with;
4. print what is in the store: listings per platform, flagged listings per kind, the riskiest ones
   with their reasons, and the commands to try next.

Running it again updates the same listings (upserts keyed by platform and listing id).
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from rich.console import Console
from rich.table import Table
from rich.text import Text

from crawler.crawl_process import run_crawl
from crawler.demo.process import REPO_ROOT, MarketplaceProcess, MarketplaceStartError
from crawler.items import KINDS, Listing
from crawler.prices import format_vnd
from crawler.review.render import safe_text

DEMO_SPIDERS: tuple[str, ...] = ("tiki", "shopee")
CRAWL_TIMEOUT = 600.0

if TYPE_CHECKING:
    from crawler.store import Store


class DemoError(RuntimeError):
    """The demo could not run; the message says which step failed and where its log is, ``exit_code``
    why (a crawl's own exit code when a crawl failed)."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass
class CrawlOutcome:
    """What one ``scrapy crawl`` of the demo did, read from its log."""

    spider: str
    returncode: int
    seconds: float
    log_path: Path
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def scraped(self) -> int:
        return self.counts.get("item_scraped_count", 0)


def absolute_store_uri(uri: str, cwd: Path) -> str:
    """A ``sqlite:///relative`` URI made absolute, so every process writes the same file."""
    prefix = "sqlite:///"
    if uri.startswith(prefix) and not uri.startswith(prefix + "/") and ":memory:" not in uri:
        return prefix + str((cwd / uri[len(prefix) :]).resolve())
    return uri


_STAT_LINE = re.compile(r"'(item_scraped_count|item_dropped_count|log_count/ERROR|log_count/WARNING|"
                        r"store/spooled|detect/rule_errors|detect/price_rejudged|evidence/kept)': (\d+)")


def read_counts(log_path: Path) -> dict[str, int]:
    """The counters of interest from the stats dump at the end of a Scrapy log."""
    if not log_path.exists():
        return {}
    return {name: int(value) for name, value in _STAT_LINE.findall(log_path.read_text(errors="replace"))}


def crawl(spider: str, base_url: str, *, store_uri: str, evidence_dir: Path, log_dir: Path) -> CrawlOutcome:
    """Run ``scrapy crawl SPIDER`` against the demo marketplace in its own process."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"demo-{spider}.log"
    log_path.unlink(missing_ok=True)
    base_urls = {name: f"{base_url}/{name}" for name in DEMO_SPIDERS}
    settings = {
        "PLATFORM_BASE_URLS": json.dumps(base_urls),
        # the marketplace runs on 127.0.0.1, which the net policy refuses unless listed (crawler/net_policy.py)
        "ALLOWED_PRIVATE_HOSTS": urlsplit(base_url).hostname or "127.0.0.1",
        "STORE_URI": store_uri,
        "EVIDENCE_DIR": str(evidence_dir),
        "RULES_DIR": str(REPO_ROOT / "rules"),
        "AUTOTHROTTLE_ENABLED": "0",
        "DOWNLOAD_DELAY": "0",
        "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
        "LOG_LEVEL": "INFO",
        "LOG_FILE": str(log_path),
    }
    started = time.monotonic()
    try:
        result = run_crawl(spider, {"keywords": "*"}, settings, timeout=CRAWL_TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        raise DemoError(f"scrapy crawl {spider} took over {CRAWL_TIMEOUT:.0f}s; see {log_path}") from exc
    outcome = CrawlOutcome(spider, result.returncode, time.monotonic() - started, log_path, read_counts(log_path))
    if result.returncode != 0:
        tail = (result.stderr or "").strip()[-800:]
        raise DemoError(
            f"scrapy crawl {spider} failed (exit {result.returncode}); log: {log_path}\n{tail}", result.returncode
        )
    return outcome


def run_demo(*, store_uri: str, evidence_dir: Path, console: Console, data: Path | None = None) -> None:
    """The whole demo: marketplace up, crawl every demo spider, marketplace down, summary."""
    cwd = Path.cwd()
    store_uri = absolute_store_uri(store_uri, cwd)
    evidence_dir = (cwd / evidence_dir).resolve()
    log_dir = evidence_dir.parent / "logs"
    started = time.monotonic()
    outcomes: list[CrawlOutcome] = []
    try:
        with MarketplaceProcess(data=data) as marketplace:
            console.print(f"Demo marketplace listening on {marketplace.base_url} (pid {marketplace.pid})")
            for spider in DEMO_SPIDERS:
                with console.status(f"scrapy crawl {spider} …"):
                    outcome = crawl(
                        spider, marketplace.base_url, store_uri=store_uri, evidence_dir=evidence_dir, log_dir=log_dir
                    )
                outcomes.append(outcome)
                console.print(
                    f"  crawled {spider}: {outcome.scraped} listings in {outcome.seconds:.1f}s, "
                    f"{outcome.counts.get('item_dropped_count', 0)} dropped, "
                    f"{outcome.counts.get('log_count/ERROR', 0)} errors, "
                    f"{outcome.counts.get('log_count/WARNING', 0)} warnings (log: {outcome.log_path})"
                )
    except MarketplaceStartError as exc:
        raise DemoError(f"demo {exc}") from exc
    console.print(f"Demo marketplace stopped. Total {time.monotonic() - started:.1f}s.\n")
    print_summary(store_uri, console, outcomes)


def print_summary(store_uri: str, console: Console, outcomes: list[CrawlOutcome]) -> None:
    """Listings, flags per kind, the riskiest listings with their reasons, the next commands."""
    from crawler.store import open_store

    with open_store(store_uri) as store:
        total = store.count_listings()
        per_platform = {outcome.spider: store.count_listings(outcome.spider) for outcome in outcomes}
        per_kind = store.count_flagged_by_kind()
        top = riskiest_per_kind(store, per_kind_limit=3)
    crawled = sum(outcome.scraped for outcome in outcomes)
    platforms = ", ".join(f"{name} {count}" for name, count in per_platform.items())
    console.print(Text(f"Listings crawled this run: {crawled}; in the store: {total} ({platforms})", style="bold"))
    kinds = Table(title="Flagged listings per kind", show_header=True)
    kinds.add_column("Kind")
    kinds.add_column("Listings", justify="right")
    for kind in KINDS:
        kinds.add_row(kind, str(per_kind.get(kind, 0)))
    console.print(kinds)
    missing = [kind for kind in KINDS if not per_kind.get(kind)]
    if missing:
        console.print(Text(f"warning: nothing flagged as {', '.join(missing)}", style="bold yellow"))
    riskiest = Table(title="Riskiest flagged listings of each kind", show_lines=True, expand=True)
    riskiest.add_column("ID", no_wrap=True)
    riskiest.add_column("Risk", justify="right")
    riskiest.add_column("Title", ratio=2)
    riskiest.add_column("Price", justify="right", no_wrap=True)
    riskiest.add_column("Why", ratio=3)
    for listing in top:
        reasons = "\n".join(safe_text(f"{flag.kind}: {flag.message}", limit=160) for flag in listing.flags)
        riskiest.add_row(
            Text(safe_text(listing.key)),
            Text(f"{listing.risk:.2f}"),
            Text(safe_text(listing.title, limit=80)),
            Text(format_vnd(listing.price)),
            Text(reasons),
        )
    console.print(riskiest)
    example = safe_text(top[0].key) if top else "tiki:1"
    console.print(
        Text.assemble(
            ("Next, try:\n", "bold"),
            "  .venv/bin/crawler flags list --kind counterfeit\n",
            f"  .venv/bin/crawler flags show {example}\n",
            "  .venv/bin/crawler flags list --format csv > flagged.csv\n",
            "  .venv/bin/crawler rules test\n",
            "  .venv/bin/crawler detect --input tests/data/detect/listings.jsonl\n",
            "  .venv/bin/crawler --help",
        )
    )
    console.print(web_ui_hint(store_uri), soft_wrap=True)  # commands stay whole lines, to copy


def web_ui_hint(store_uri: str) -> Text:
    """How to open the inspectors' web UI on what the demo stored (an account first, then the server)."""
    from crawler.store.uri import DEFAULT_URI

    store = "" if store_uri == DEFAULT_URI else f" --store {safe_text(store_uri)}"
    return Text.assemble(
        ("\nOpen the inspectors' web UI on this data (Vietnamese; ?lang=en for English):\n", "bold"),
        "  (the first line asks for a password of 10 characters or more)\n",
        f"  .venv/bin/crawler users add thanhtra --role lead{store}\n",
        f"  .venv/bin/crawler web{store}\n",
        "  then open http://127.0.0.1:8000 and log in as thanhtra",
    )


def riskiest_per_kind(store: Store, *, per_kind_limit: int) -> list[Listing]:
    """The riskiest few listings of every kind (each listing once), riskiest first."""
    from crawler.store import FlagQuery

    chosen: dict[str, Listing] = {}
    for kind in KINDS:
        for listing in store.query_flagged(FlagQuery(kind=kind, limit=per_kind_limit, sort="risk")):
            chosen.setdefault(listing.key, listing)
    return sorted(chosen.values(), key=lambda listing: listing.risk, reverse=True)
