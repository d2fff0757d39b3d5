"""``crawler demo``: the whole product on the bundled demo marketplace (what ``make demo`` runs)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from crawler.commands.common import StoreOption, fail, out, store_uri


def register(app: typer.Typer) -> None:
    """Add ``crawler demo`` to the root command."""
    app.command()(demo)


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
        run_demo(store_uri=store_uri(store), evidence_dir=evidence_dir, console=out())
    except DemoError as exc:
        raise fail(str(exc), exc.exit_code) from exc
