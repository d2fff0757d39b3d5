"""``crawler check URL``: a tip-off — crawl one listing now, store it, print the rules' verdict."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.text import Text

from crawler.commands.common import StoreOption, err, fail, out, store_uri
from crawler.exit_codes import ExitCode
from crawler.items import Listing
from crawler.prices import format_vnd
from crawler.review.render import safe_text


def register(app: typer.Typer) -> None:
    """Add ``crawler check`` to the root command."""
    app.command("check")(check)


def verdict_lines(listing: Listing) -> list[str]:
    """The verdict of one stored listing as plain lines (listing text made safe for a terminal)."""
    lines = [
        f"{listing.key}  {safe_text(listing.title)}",
        f"  url: {safe_text(listing.url)}",
        f"  price: {format_vnd(listing.price)}  seller: {safe_text(listing.seller.name or '—')}"
        f"  source: {listing.source}",
        f"  risk: {listing.risk:.2f}  flags: {len(listing.flags)}",
    ]
    for flag in listing.flags:
        lines.append(f"  - {flag.kind} [{flag.rule_id}, {flag.severity}, {flag.score:.2f}]: {safe_text(flag.message)}")
        for match in flag.matched[:3]:
            lines.append(f"      {match.field}: \"{safe_text(match.text)}\"")
    evidence = listing.evidence
    if evidence:
        lines.append(f"  evidence: {len(evidence)} captures (oldest first)")
        for capture in evidence:
            status = f" HTTP {capture.http_status}" if capture.http_status is not None else ""
            lines.append(f"    {capture.kind}{status}: sha256 {capture.sha256} ({capture.ref}, {capture.content_type})")
    elif listing.flags:
        lines.append("  evidence: none kept")
    return lines


def check(
    url: Annotated[str, typer.Argument(help="The listing's URL (Tiki, Shopee, Lazada, Sendo, Chợ Tốt, a shop site).")],
    screenshot: Annotated[
        bool, typer.Option("--screenshot/--no-screenshot",
                           help="Render the listing's page in Chromium and append a screenshot to its evidence "
                                "(API platforms; default: on, $SCREENSHOTS_ON_CHECK=0 turns it off).")
    ] = True,
    store: StoreOption = None,
) -> None:
    """Crawl the listing at URL as a tip-off (source: tip-off), store it, and print its flags and risk.

    A listing of Tiki, Shopee, Lazada, Sendo or Chợ Tốt (crawled over their APIs) also gets its public
    page rendered in Chromium and a screenshot appended to its evidence; if that fails the listing stays
    queued for `crawler evidence capture` and a warning says why (the verdict stands).
    """
    from crawler.check import CheckError, check_url

    try:
        result = check_url(url, store_uri(store), None if screenshot else {"SCREENSHOTS_ON_CHECK": "0"})
    except CheckError as exc:
        raise fail(str(exc), exc.exit_code) from exc
    if not result.listings:
        err().print(Text(result.log_tail[-2000:]))
        raise fail(f"no listing found at {url} (spider {result.spider}); see the log above", ExitCode.NOT_FOUND)
    console = out()
    for listing in result.listings:
        for line in verdict_lines(listing):
            console.print(Text(line))
    for problem in result.screenshot_problems:
        err().print(Text(f"warning: {safe_text(problem)}", style="yellow"))
