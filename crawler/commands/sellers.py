"""``crawler sellers top / network``: who sells flagged goods, repeat offenders, and linked sellers."""

from __future__ import annotations

import dataclasses
import sys
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from crawler.commands.common import StoreOption, fail, open_store_or_exit, out
from crawler.review.filters import show_time
from crawler.review.network import build_graph, network_of, resolve_seller, suggest_sellers
from crawler.review.render import safe_json, safe_text

REPEAT_OFFENDER = 3
"""Confirmed violations from which a seller is a repeat offender."""
OWN_SHOWN = 12

sellers_app = typer.Typer(help="Sellers: top offenders and networks of linked sellers.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add ``crawler sellers …`` to the root command."""
    app.add_typer(sellers_app, name="sellers")


def _json_default(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


@sellers_app.command("top")
def sellers_top(
    min_confirmed: Annotated[int, typer.Option(min=0, help="Only sellers with ≥ N confirmed violations.")] = 0,
    min_flagged: Annotated[int, typer.Option(min=0, help="Only sellers with ≥ N flagged listings.")] = 1,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="How many sellers.")] = 30,
    output_format: Annotated[str, typer.Option("--format", "-f", help="table or json (JSON Lines).")] = "table",
    store: StoreOption = None,
) -> None:
    """Sellers by confirmed, then flagged listings; repeat offenders (≥ 3 confirmed) are marked.

    Examples:
      crawler sellers top
      crawler sellers top --min-confirmed 3 --limit 100 -f json
    """
    if output_format not in ("table", "json"):
        raise fail("--format must be table or json", 2)
    with open_store_or_exit(store) as opened:
        summaries = opened.seller_summaries(min_confirmed=min_confirmed, min_flagged=min_flagged, limit=limit)
    if output_format == "json":
        for summary in summaries:
            row = dataclasses.asdict(summary) | {"repeat_offender": summary.confirmed >= REPEAT_OFFENDER}
            sys.stdout.write(safe_json(row, default=_json_default) + "\n")
        return
    if not summaries:
        out().print("No sellers match. Lower --min-confirmed / --min-flagged, or review some flags first.")
        return
    table = Table(title=f"Top sellers (repeat offender = ≥ {REPEAT_OFFENDER} confirmed)", expand=True)
    for name, justify in (("Seller", "left"), ("Platform", "left"), ("Province", "left"), ("Listings", "right"),
                          ("Flagged", "right"), ("Confirmed", "right"), ("Kinds", "left"), ("Platforms", "left"),
                          ("Last seen", "left"), ("", "left")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for summary in summaries:
        repeat = summary.confirmed >= REPEAT_OFFENDER
        kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(summary.kinds.items()) if count)
        who = f"{summary.name or '—'} ({summary.seller_id or 'no id'})"
        table.add_row(
            Text(safe_text(who, limit=50)),
            Text(safe_text(summary.platform)),
            Text(safe_text(summary.province or "—")),
            Text(str(summary.listings)),
            Text(str(summary.flagged)),
            Text(str(summary.confirmed), style="bold red" if repeat else ""),
            Text(kinds),
            Text(safe_text(", ".join(summary.platforms))),
            Text(show_time(summary.last_seen)),
            Text("REPEAT OFFENDER" if repeat else "", style="bold red"),
        )
    out().print(table)


@sellers_app.command("network")
def sellers_network(
    seller: Annotated[
        str,
        typer.Argument(
            help="Seller: platform:seller_id (e.g. shopee:310045512), an id, or a shop name (case and "
            "diacritics ignored: \"the gioi gia dung sai gon\" finds \"Thế Giới Gia Dụng Sài Gòn\")."
        ),
    ],
    depth: Annotated[int, typer.Option(min=1, max=5, help="How many hops to follow.")] = 2,
    max_shared: Annotated[
        int, typer.Option(min=2, help="Ignore values shared by more sellers than this (too common to mean much).")
    ] = 25,
    output_format: Annotated[str, typer.Option("--format", "-f", help="tree or json.")] = "tree",
    store: StoreOption = None,
) -> None:
    """Sellers linked to SELLER by shared phone numbers, shop names, image hashes or URLs, across platforms.

    Examples:
      crawler sellers network shopee:310045512
      crawler sellers network "Shop Hàng Hiệu" --depth 1 -f json
    """
    if output_format not in ("tree", "json"):
        raise fail("--format must be tree or json", 2)
    with open_store_or_exit(store) as opened:
        graph = build_graph(opened.iter_seller_links())
    matches = resolve_seller(graph, seller)
    if not matches:
        hints = suggest_sellers(graph, seller)
        hint = "; did you mean: " + ", ".join(f"{name!r} ({key})" for name, key in hints) if hints else ""
        raise fail(
            f"no seller named {safe_text(seller, limit=80)!r} (nor with that platform:id or id) in the store"
            + hint
        )
    if len(matches) > 1:
        raise fail(f"{seller!r} is ambiguous; use one of: {', '.join(matches[:20])}", 2)
    network = network_of(graph, matches[0], depth=depth, max_shared=max_shared)
    if output_format == "json":
        sys.stdout.write(safe_json(dataclasses.asdict(network), indent=2) + "\n")
        return
    tree = Tree(Text(safe_text(network.start), style="bold"))
    own = tree.add(Text(f"shows {len(network.own_links)} values"))
    for link_type, value in network.own_links[:OWN_SHOWN]:
        own.add(Text(f"{link_type}: {safe_text(value, limit=100)}"))
    if len(network.own_links) > OWN_SHOWN:
        own.add(Text(f"… and {len(network.own_links) - OWN_SHOWN} more (-f json lists them all)", style="dim"))
    branches = {network.start: tree}
    for neighbour in network.neighbours:
        parent = branches.get(neighbour.via, tree)
        shared = "; ".join(f"{kind}={safe_text(value, limit=80)}" for kind, value in neighbour.shared)
        branches[neighbour.seller_key] = parent.add(
            Text.assemble((safe_text(neighbour.seller_key), "bold cyan"), f"  shares {shared}")
        )
    out().print(tree)
    linked = len(network.neighbours)
    out().print(f"{linked} linked sellers within {depth} hops.")
    for (link_type, value), holders in network.ignored_common:
        out().print(Text(f"ignored (shared by {holders} sellers): {link_type}={safe_text(value, limit=80)}",
                         style="dim"))
