"""The ``crawler`` command: what inspectors, analysts and ops run besides ``scrapy crawl``.

    crawler demo                      the whole product on the bundled demo marketplace
    crawler flags list / show         flagged listings, newest and riskiest first, with reasons
    crawler detect --input F          run the rules on a JSON Lines file of listings, offline
    crawler rules validate / test     check the YAML rule packs and run their cases
    crawler store import F            load listings spooled while the store was down

Every command that reads the store takes ``--store URI`` (default: ``$STORE_URI`` or
``sqlite:///data/crawler.sqlite3``).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.text import Text

from crawler.items import KINDS, Listing, split_key
from crawler.prices import format_vnd
from crawler.review.render import render_csv, render_json, render_table, safe_text

if TYPE_CHECKING:
    from crawler.store import Store

DEFAULT_STORE_URI = "sqlite:///data/crawler.sqlite3"

app = typer.Typer(
    help="Listing monitor: flag banned goods, counterfeits, missing origin and price anomalies "
    "in e-commerce listings, and keep the evidence.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)
flags_app = typer.Typer(help="Flagged listings: list them, show one with its evidence.", no_args_is_help=True)
rules_app = typer.Typer(help="Rule packs in rules/: validate them, run their test cases.", no_args_is_help=True)
store_app = typer.Typer(help="Store administration.", no_args_is_help=True)
app.add_typer(flags_app, name="flags")
app.add_typer(rules_app, name="rules")
app.add_typer(store_app, name="store")



def _out() -> Console:
    """Standard output console, sized to the terminal (or $COLUMNS) at the time of printing."""
    return Console()


def _err() -> Console:
    return Console(stderr=True)


StoreOption = Annotated[
    str | None,
    typer.Option(
        "--store",
        help="Store URI (sqlite:///path or mongodb://…). Default: $STORE_URI or " + DEFAULT_STORE_URI,
        show_default=False,
    ),
]
RulesOption = Annotated[
    Path,
    typer.Option("--rules", help="Directory of YAML rule packs (default: $RULES_DIR or rules/)."),
]


def _store_uri(uri: str | None) -> str:
    return uri or os.environ.get("STORE_URI") or DEFAULT_STORE_URI


def _default_rules() -> Path:
    return Path(os.environ.get("RULES_DIR", "rules"))


def _fail(message: str, code: int = 1) -> typer.Exit:
    _err().print(Text(f"error: {message}", style="bold red"))
    return typer.Exit(code)


def _open(uri: str | None) -> Store:
    from crawler.store import StoreError, open_store

    try:
        return open_store(_store_uri(uri))
    except StoreError as exc:
        raise _fail(str(exc)) from exc


# --- flags ----------------------------------------------------------------------------------------
@flags_app.command("list")
def flags_list(
    kind: Annotated[str | None, typer.Option(help=f"Only this kind: {', '.join(KINDS)}.")] = None,
    platform: Annotated[str | None, typer.Option(help="Only this platform (tiki, shopee, …).")] = None,
    min_risk: Annotated[float | None, typer.Option(help="Only listings with risk ≥ this (0–1).")] = None,
    status: Annotated[
        str | None, typer.Option(help="Review status: new, confirmed, dismissed, referred.")
    ] = None,
    sort: Annotated[str, typer.Option(help="risk (riskiest, then newest) or newest.")] = "risk",
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="Rows per page.")] = 50,
    page: Annotated[int, typer.Option(min=1, help="Page number (1 = first).")] = 1,
    output_format: Annotated[
        str, typer.Option("--format", "-f", help="table (for people), json (JSON Lines) or csv.")
    ] = "table",
    store: StoreOption = None,
) -> None:
    """List flagged listings, riskiest and newest first, with the reason of each flag.

    Examples:
      crawler flags list --kind counterfeit --min-risk 0.7
      crawler flags list --platform shopee --format csv > flagged.csv
    """
    from crawler.store import FlagQuery

    if kind is not None and kind not in KINDS:
        raise _fail(f"unknown kind {kind!r}; use one of: {', '.join(KINDS)}", 2)
    if sort not in ("risk", "newest"):
        raise _fail("--sort must be 'risk' or 'newest'", 2)
    if output_format not in ("table", "json", "csv"):
        raise _fail("--format must be table, json or csv", 2)
    query = FlagQuery(
        kind=kind,
        platform=platform,
        min_risk=min_risk,
        status=status,
        limit=limit,
        offset=(page - 1) * limit,
        sort=sort,  # type: ignore[arg-type]
    )
    with _open(store) as opened:
        listings = opened.query_flagged(query)
    if output_format == "json":
        sys.stdout.write(render_json(listings))
    elif output_format == "csv":
        sys.stdout.write(render_csv(listings))
    elif not listings:
        _out().print("No flagged listings match. Try fewer filters, or run a crawl first (make demo).")
    else:
        render_table(listings, _out(), title=f"Flagged listings (page {page})")
        if len(listings) == limit:
            _out().print(f"More may follow: --page {page + 1}")


@flags_app.command("show")
def flags_show(
    listing_key: Annotated[str, typer.Argument(metavar="ID", help="platform:listing_id, e.g. tiki:150509441")],
    output_format: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
    store: StoreOption = None,
) -> None:
    """Show one listing: its fields, every flag with its reason and matched text, evidence."""
    try:
        platform, listing_id = split_key(listing_key)
    except ValueError as exc:
        raise _fail(str(exc), 2) from exc
    with _open(store) as opened:
        listing = opened.get_listing(platform, listing_id)
    if listing is None:
        raise _fail(f"no listing {listing_key!r} in the store")
    if output_format == "json":
        sys.stdout.write(render_json([listing]))
        return
    _print_listing(listing)


def _print_listing(listing: Listing) -> None:
    def line(label: str, value: object) -> None:
        _out().print(Text.assemble((f"{label:>14}: ", "bold"), safe_text(value, single_line=False)))

    line("ID", listing.key)
    line("Title", listing.title)
    line("URL", listing.url)
    line("Price", format_vnd(listing.price))
    line("Brand", listing.brand or "—")
    line("Category", listing.category or "—")
    line("Origin", listing.origin or "— (not stated)")
    seller = listing.seller
    official = " (official store)" if seller.official else ""
    line("Seller", f"{seller.name or '—'}{official} {seller.province or ''} {seller.url or ''}".strip())
    line("Risk", f"{listing.risk:.2f}")
    line("Review", listing.review.status)
    line("First/last", f"{listing.first_seen} / {listing.last_seen}")
    if listing.price_history:
        history = ", ".join(f"{format_vnd(p.price)} @ {p.at:%Y-%m-%d}" for p in listing.price_history)
        line("Price history", history)
    for number, flag in enumerate(listing.flags, 1):
        _out().print(
            Text.assemble(
                (f"\nFlag {number}: ", "bold red"),
                f"{flag.kind} / {flag.rule_id} (score {flag.score:.2f}, {flag.severity})",
            )
        )
        line("Reason", flag.message)
        if flag.legal_basis:
            line("Legal basis", flag.legal_basis)
        for match in flag.matched:
            line("Matched", f"{match.field}[{match.start}:{match.end}] «{match.text}»")
    evidence = listing.evidence
    if evidence and evidence.html_sha256:
        _out().print(Text("\nEvidence", style="bold"))
        line("Captured", f"{evidence.captured_at} HTTP {evidence.http_status} {evidence.url}")
        line("Response", f"{evidence.html_ref} sha256={evidence.html_sha256}")
        if evidence.screenshot_ref:
            line("Screenshot", evidence.screenshot_ref)


# --- detect ---------------------------------------------------------------------------------------
@app.command()
def detect(
    input_path: Annotated[
        Path, typer.Option("--input", "-i", help="JSON Lines of listings (Listing schema).", exists=True)
    ],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Where to write one result per line (default stdout).")
    ] = None,
    rules: Annotated[Path | None, typer.Option("--rules", help="Rule packs directory (default rules/).")] = None,
    with_store: Annotated[
        bool, typer.Option("--with-store", help="Also use the store's listings as price peers.")
    ] = False,
    store: StoreOption = None,
) -> None:
    """Run the rules offline on a file of listings and write the flags, one line per listing.

    Each output line: {"listing_id", "platform", "flags": [{"kind", "rule_id", "score", "message",
    "matched"}], "risk"}. Price peers come from the file itself (plus the store with --with-store).
    Bad lines are reported as FILE:LINE on stderr and skipped.

    Example: crawler detect --input listings.jsonl --output flags.jsonl
    """
    from crawler.detect.batch import detect_file

    peers: list[Listing] = []
    if with_store:
        with _open(store) as opened:
            peers = list(opened.iter_listings())
    summary = detect_file(input_path, output, rules or _default_rules(), extra_peers=peers)
    _err().print(Text(safe_text(str(summary))))


# --- rules ----------------------------------------------------------------------------------------
@rules_app.command("validate")
def rules_validate(
    rules_dir: Annotated[Path | None, typer.Argument(help="Rule packs directory (default rules/).")] = None,
) -> None:
    """Load every rule file and report every error as FILE:LINE: what is wrong."""
    from crawler.detect import load_rules

    directory = rules_dir or _default_rules()
    if not directory.is_dir():
        raise _fail(f"{directory}: not a directory", 2)
    loaded = load_rules(directory)
    for error in loaded.errors:
        _err().print(Text(str(error), style="red"))
    count = len(loaded.ruleset.rules)
    if loaded.errors:
        raise _fail(f"{len(loaded.errors)} error(s); {count} rules loaded from {directory}")
    _out().print(f"{count} rules loaded from {directory}, no errors (version {loaded.ruleset.version})")


@rules_app.command("test")
def rules_test(
    rules_dir: Annotated[Path | None, typer.Argument(help="Rule packs directory (default rules/).")] = None,
) -> None:
    """Run every rule file's cases: listings that must and must not match."""
    from crawler.detect import load_rules, run_cases

    directory = rules_dir or _default_rules()
    loaded = load_rules(directory)
    for error in loaded.errors:
        _err().print(Text(str(error), style="red"))
    results = run_cases(loaded.ruleset)
    failed = [result for result in results if not result.ok]
    for result in failed:
        _err().print(Text(f"FAIL {safe_text(str(result))}", style="red"))
    _out().print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    if failed or loaded.errors:
        raise typer.Exit(1)


# --- store ----------------------------------------------------------------------------------------
@store_app.command("import")
def store_import(
    path: Annotated[Path, typer.Argument(help="JSON Lines of listings (e.g. a spool file).", exists=True)],
    store: StoreOption = None,
) -> None:
    """Load listings from a JSON Lines file (such as one spooled while the store was down)."""
    batch: list[Listing] = []
    bad = 0
    with path.open(encoding="utf-8") as handle:
        for number, raw in enumerate(handle, 1):
            if not raw.strip():
                continue
            try:
                batch.append(Listing.model_validate(json.loads(raw)))
            except (json.JSONDecodeError, ValidationError) as exc:
                bad += 1
                first = str(exc).splitlines()[0]
                _err().print(Text(f"{path}:{number}: {safe_text(first)}", style="red"))
    with _open(store) as opened:
        result = opened.upsert_listings(batch)
    _out().print(
        f"{len(batch)} listings loaded ({result.inserted} new, {result.updated} updated, "
        f"{result.unchanged} unchanged), {bad} bad lines skipped"
    )


# --- demo -----------------------------------------------------------------------------------------
@app.command()
def demo(
    store: StoreOption = None,
    evidence_dir: Annotated[Path, typer.Option(help="Where evidence files go.")] = Path("data/evidence"),
) -> None:
    """Run the whole product on the bundled demo marketplace and print what it found.

    Starts the demo marketplace on 127.0.0.1, crawls it with the tiki and shopee spiders
    (scrapy crawl), runs the rules, stores everything, stops the server, prints a summary.
    Running it again updates the same listings; it never duplicates them.
    """
    from crawler.demo.runner import DemoError, run_demo

    try:
        run_demo(store_uri=_store_uri(store), evidence_dir=evidence_dir, console=_out())
    except DemoError as exc:
        raise _fail(str(exc)) from exc


def main() -> None:
    """Entry point of the ``crawler`` console script."""
    app()


if __name__ == "__main__":
    main()
