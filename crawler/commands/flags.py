"""``crawler flags list / show``: flagged listings for inspectors, riskiest and newest first."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.text import Text

from crawler.commands.common import StoreOption, fail, open_store_or_exit, out
from crawler.items import KINDS, Listing, split_key
from crawler.prices import format_vnd
from crawler.review.render import render_csv, render_json, render_table, safe_text

flags_app = typer.Typer(help="Flagged listings: list them, show one with its evidence.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add ``crawler flags …`` to the root command."""
    app.add_typer(flags_app, name="flags")


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
        raise fail(f"unknown kind {kind!r}; use one of: {', '.join(KINDS)}", 2)
    if sort not in ("risk", "newest"):
        raise fail("--sort must be 'risk' or 'newest'", 2)
    if output_format not in ("table", "json", "csv"):
        raise fail("--format must be table, json or csv", 2)
    query = FlagQuery(
        kind=kind,
        platform=platform,
        min_risk=min_risk,
        status=status,
        limit=limit,
        offset=(page - 1) * limit,
        sort=sort,  # type: ignore[arg-type]
    )
    with open_store_or_exit(store) as opened:
        listings = opened.query_flagged(query)
    if output_format == "json":
        sys.stdout.write(render_json(listings))
    elif output_format == "csv":
        sys.stdout.write(render_csv(listings))
    elif not listings:
        out().print("No flagged listings match. Try fewer filters, or run a crawl first (make demo).")
    else:
        render_table(listings, out(), title=f"Flagged listings (page {page})")
        if len(listings) == limit:
            out().print(f"More may follow: --page {page + 1}")


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
        raise fail(str(exc), 2) from exc
    with open_store_or_exit(store) as opened:
        listing = opened.get_listing(platform, listing_id)
    if listing is None:
        raise fail(f"no listing {listing_key!r} in the store")
    if output_format == "json":
        sys.stdout.write(render_json([listing]))
        return
    _print_listing(listing)


def _print_listing(listing: Listing) -> None:
    def line(label: str, value: object) -> None:
        out().print(Text.assemble((f"{label:>14}: ", "bold"), safe_text(value, single_line=False)))

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
        out().print(
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
        out().print(Text("\nEvidence", style="bold"))
        line("Captured", f"{evidence.captured_at} HTTP {evidence.http_status} {evidence.url}")
        line("Response", f"{evidence.html_ref} sha256={evidence.html_sha256}")
        if evidence.screenshot_ref:
            line("Screenshot", evidence.screenshot_ref)
