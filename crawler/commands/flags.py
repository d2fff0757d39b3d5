"""``crawler flags list / show``: flagged listings for inspectors, riskiest and newest first.

The filter options are defined once here (``FilterOptions``) and reused by ``crawler export``.
"""

from __future__ import annotations

import itertools
import math
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from crawler.commands.common import StoreOption, err, fail, open_store_or_exit, out
from crawler.items import KINDS, Listing, split_key
from crawler.prices import format_vnd
from crawler.review.filters import FilterError, Filters, flag_query, iter_matching, show_time
from crawler.review.render import render_csv, render_json, render_table, safe_text, write_csv, write_json

flags_app = typer.Typer(help="Flagged listings: list them, show one with its evidence.", no_args_is_help=True)

KindOption = Annotated[str | None, typer.Option(help=f"Only this kind: {', '.join(KINDS)}.")]
RuleOption = Annotated[str | None, typer.Option("--rule", help="Only listings flagged by this rule id.")]
PlatformOption = Annotated[str | None, typer.Option(help="Only this platform (tiki, shopee, …).")]
SellerOption = Annotated[str | None, typer.Option(help="Only this seller (platform seller id or exact name).")]
ProvinceOption = Annotated[str | None, typer.Option(
        help="Only sellers in this province: its name with or without diacritics, or a common abbreviation "
        "('Hà Nội', 'Ha Noi', 'HN', 'HCM', 'TP.HCM', 'Sài Gòn', 'Huế', 'BR-VT')."
    )]
StatusOption = Annotated[str | None, typer.Option(help="Review status: new, confirmed, dismissed, referred.")]
MinRiskOption = Annotated[float | None, typer.Option(help="Only listings with risk ≥ this (0–1).")]
SinceOption = Annotated[
    str | None, typer.Option(help="Last seen on or after this day (DD/MM/YYYY or YYYY-MM-DD, Vietnam time).")
]
UntilOption = Annotated[str | None, typer.Option(help="Last seen on or before this day (DD/MM/YYYY or YYYY-MM-DD).")]
TextOption = Annotated[
    str | None, typer.Option("--text", "-q", help="Words in the title or description (taken literally).")
]
SourceOption = Annotated[str | None, typer.Option(help="crawl or tip-off.")]
MAX_PAGE = 1_000_000_000
"""The highest --page accepted: far past any store, and (page - 1) × limit fits a 64-bit integer."""
EvidenceDirOption = Annotated[
    Path | None,
    typer.Option(help="Where evidence files are kept. Default: $EVIDENCE_DIR or data/evidence.", show_default=False),
]


def evidence_dir(option: Path | None) -> Path:
    """The evidence directory: the option, else $EVIDENCE_DIR, else data/evidence."""
    return option or Path(os.environ.get("EVIDENCE_DIR") or "data/evidence")


def register(app: typer.Typer) -> None:
    """Add ``crawler flags …`` to the root command."""
    app.add_typer(flags_app, name="flags")


@flags_app.command("list")
def flags_list(
    kind: KindOption = None,
    rule: RuleOption = None,
    platform: PlatformOption = None,
    seller: SellerOption = None,
    province: ProvinceOption = None,
    status: StatusOption = None,
    min_risk: MinRiskOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    text: TextOption = None,
    source: SourceOption = None,
    sort: Annotated[str, typer.Option(help="risk (riskiest, then newest) or newest.")] = "risk",
    limit: Annotated[
        int | None,
        typer.Option(min=1, max=10_000, show_default=False,
                     help="Rows per page (default 50); with csv or json and no --page, the most rows to write."),
    ] = None,
    page: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=MAX_PAGE,
            help=f"Page number, 1 (the first) to {MAX_PAGE:,}. Tables show page 1 by default; "
            "csv and json without --page write every matching row.",
            show_default=False,
        ),
    ] = None,
    output_format: Annotated[
        str, typer.Option("--format", "-f", help="table (for people), json (JSON Lines) or csv.")
    ] = "table",
    store: StoreOption = None,
) -> None:
    """List flagged listings, riskiest and newest first, with the reason of each flag.

    Examples:
      crawler flags list --kind counterfeit --min-risk 0.7
      crawler flags list --province "Hà Nội" --since 2026-01-01 --until 2026-06-30 --status new
      crawler flags list -q "rep 1:1" --platform shopee --page 2
      crawler flags list --platform shopee --format csv > flagged.csv   (every match)
      crawler flags list --format json --page 2 --limit 100             (one page)
      crawler flags list --format json --limit 5                        (the 5 riskiest)
    """
    if output_format not in ("table", "json", "csv"):
        raise fail("--format must be table, json or csv", 2)
    filters = Filters(kind, rule, platform, seller, province, status, min_risk, since, until, text, source)
    every_row = page is None and output_format != "table"
    cap, limit = limit, limit or 50
    try:
        query = flag_query(filters, limit=limit, offset=((page or 1) - 1) * limit, sort=sort)
    except FilterError as exc:
        raise fail(str(exc), 2) from exc
    if every_row:
        writer = write_json if output_format == "json" else write_csv
        with open_store_or_exit(store) as opened:
            writer(itertools.islice(iter_matching(opened, filters, sort=sort), cap), sys.stdout)
        return
    page = page or 1
    with open_store_or_exit(store) as opened:
        listings = opened.query_flagged(query)
        total = opened.count_flagged(query) if output_format == "table" else len(listings)
    if output_format == "json":
        sys.stdout.write(render_json(listings))
    elif output_format == "csv":
        sys.stdout.write(render_csv(listings))
    elif not listings:
        where = f" on page {page} (there are {total} in all)" if total else ""
        out().print(f"No flagged listings match{where}. Try fewer filters, or run a crawl first (make demo).")
    else:
        pages = max(1, math.ceil(total / limit))
        title = f"Flagged listings — page {page} of {pages} ({total} match)"
        render_table(listings, out(), title=title)
        if page < pages:
            out().print(f"Next page: --page {page + 1}")


@flags_app.command("show")
def flags_show(
    listing_key: Annotated[str, typer.Argument(metavar="ID", help="platform:listing_id, e.g. tiki:150509441")],
    output_format: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
    evidence_dir_option: Annotated[
        Path | None,
        typer.Option("--evidence-dir", help="Evidence directory. Default: $EVIDENCE_DIR or data/evidence."),
    ] = None,
    store: StoreOption = None,
) -> None:
    """Show one listing: fields, every flag with its reason and matched text, price history, evidence
    files (sha256, present, still matching) and review history.

    Example:
      crawler flags show shopee:22123758016 --evidence-dir data/evidence
    """
    try:
        platform, listing_id = split_key(listing_key)
    except ValueError as exc:
        raise fail(str(exc), 2) from exc
    with open_store_or_exit(store) as opened:
        listing = opened.get_listing(platform, listing_id)
        if listing is None:
            raise fail(f"no listing {listing_key!r} in the store")
        history = opened.review_history(platform, listing_id)
    if output_format == "json":
        sys.stdout.write(render_json([listing]))
        return
    _print_listing(listing, history, evidence_dir(evidence_dir_option))


def _line(label: str, value: object, style: str = "") -> None:
    out().print(Text.assemble((f"{label:>14}: ", "bold"), (safe_text(value, single_line=False), style)))


def _print_listing(listing: Listing, history: list, evidence_root: Path) -> None:
    from crawler.review.evidence_check import check_evidence

    _line("ID", listing.key)
    _line("Title", listing.title)
    _line("URL", listing.url)
    _line("Price", format_vnd(listing.price))
    if listing.original_price:
        _line("Original price", format_vnd(listing.original_price))
    _line("Brand", listing.brand or "—")
    _line("Category", listing.category or "—")
    _line("Origin", listing.origin or "— (not stated)")
    _line("Peer group", listing.peer_key or "— (the title names no one product)")
    seller = listing.seller
    official = " (official store)" if seller.official else ""
    _line("Seller", f"{seller.name or '—'}{official} id={seller.platform_id or '—'}")
    _line("Seller place", f"{seller.province or '—'} {seller.url or ''}".strip())
    _line("Source", listing.source)
    _line("Risk", f"{listing.risk:.2f}")
    review = listing.review
    by = f" by {review.by} at {show_time(review.at)}" if review.by else ""
    _line("Review", f"{review.status}{by}")
    if review.note:
        _line("Review note", review.note)
    _line("First/last", f"{show_time(listing.first_seen)} / {show_time(listing.last_seen)} (Vietnam time)")
    if listing.description:
        _line("Description", safe_text(listing.description, limit=600))
    out().print(Text("\nPrice history", style="bold"))
    if not listing.price_history:
        _line("", "— (one price seen)")
    for point in listing.price_history:
        _line(show_time(point.at), format_vnd(point.price))
    for number, flag in enumerate(listing.flags, 1):
        out().print(
            Text.assemble(
                (f"\nFlag {number}: ", "bold red"),
                f"{flag.kind} / {safe_text(flag.rule_id)} (score {flag.score:.2f}, {flag.severity})",
            )
        )
        _line("Reason", flag.message)
        if flag.legal_basis:
            _line("Legal basis", flag.legal_basis)
        for match in flag.matched:
            _line("Matched", f"{match.field}[{match.start}:{match.end}] «{match.text}»")
    evidence = listing.evidence
    out().print(Text(f"\nEvidence ({len(evidence or ())} captures, oldest first)", style="bold"))
    if not evidence:
        _line("", "— none kept")
    else:
        checks = {id(check.capture): check for check in check_evidence(listing, evidence_root)}
        for number, capture in enumerate(evidence, 1):
            status = f" HTTP {capture.http_status}" if capture.http_status is not None else ""
            size = f", {capture.size} bytes" if capture.size is not None else ""
            _line(f"#{number} {capture.kind}", f"{show_time(capture.captured_at)}{status} {capture.url or ''}")
            _line("File", f"{capture.ref or '—'} ({capture.content_type or '?'}{size}) sha256={capture.sha256}")
            check = checks.get(id(capture))
            if check is None:
                _line("Check", "no file recorded", "bold red")
            else:
                _line("Check", f"{check.state}: {check.detail}", "green" if check.state == "ok" else "bold red")
    out().print(Text("\nReview history", style="bold"))
    if not history:
        _line("", "— no review yet")
    for entry in history:
        note = f" — {entry.note}" if entry.note else ""
        _line(f"#{entry.seq}", f"{show_time(entry.at)} {entry.by}: {entry.from_status} → {entry.to_status}{note}")


def warn(message: str) -> None:
    """Print a warning on stderr (plain text, never markup)."""
    err().print(Text(f"warning: {message}", style="yellow"))
