"""``crawler detect``: the rules on a JSON Lines file of listings, offline."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from crawler.commands.common import StoreOption, default_rules, err, load_rules_or_exit, open_store_or_exit


def register(app: typer.Typer) -> None:
    """Add ``crawler detect`` to the root command."""
    app.command()(detect)


def detect(
    input_path: Annotated[
        Path, typer.Option("--input", "-i", help="JSON Lines of listings (Listing schema).", exists=True)
    ],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Where to write one result per line (default stdout).")
    ] = None,
    rules: Annotated[Path | None, typer.Option("--rules", help="Rule packs directory (default rules/).")] = None,
    with_store: Annotated[
        bool, typer.Option("--with-store", help="Also compare prices with the store's peer group summaries.")
    ] = False,
    store: StoreOption = None,
) -> None:
    """Run the rules offline on a file of listings and write the flags, one line per listing.

    Each output line: {"listing_id", "platform", "flags": [{"kind", "rule_id", "score", "message",
    "matched"}], "risk"}. Price peers come from the file itself (plus, with --with-store, the store's
    summary of each product's peer group: distinct sellers, median, MAD; the stored listings are not read).
    Bad lines are reported as FILE:LINE on stderr and skipped. A rule file error (FILE:LINE on stderr)
    stops it with exit 3 before anything is written, unless RULES_ALLOW_ERRORS=1.

    Example: crawler detect --input listings.jsonl --output flags.jsonl
    """
    from crawler.detect.batch import detect_file

    directory = rules or default_rules()
    loaded = load_rules_or_exit(directory)
    if with_store:
        with open_store_or_exit(store) as opened:
            summary = detect_file(input_path, output, directory, ruleset=loaded.ruleset, stored=opened.peer_groups)
    else:
        summary = detect_file(input_path, output, directory, ruleset=loaded.ruleset)
    summary.rule_errors = len(loaded.errors)
    kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(summary.flags_by_kind.items())) or "none"
    err().print(
        Text(
            f"{summary.read} listings read, {summary.bad_lines} bad lines skipped, {summary.written} written, "
            f"{summary.flagged} flagged (flags: {kinds}); rules version {summary.rules_version}, "
            f"{summary.rule_errors} rule file errors, {summary.peer_groups} price peer groups"
        )
    )
