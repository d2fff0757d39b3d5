"""``crawler store …``: store administration (import spooled listings)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.text import Text

from crawler.commands.common import StoreOption, err, open_store_or_exit, out
from crawler.items import Listing
from crawler.review.render import safe_text

store_app = typer.Typer(help="Store administration.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add ``crawler store …`` to the root command."""
    app.add_typer(store_app, name="store")


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
                err().print(Text(f"{path}:{number}: {safe_text(first)}", style="red"))
    with open_store_or_exit(store) as opened:
        result = opened.upsert_listings(batch)
    out().print(
        f"{len(batch)} listings loaded ({result.inserted} new, {result.updated} updated, "
        f"{result.unchanged} unchanged), {bad} bad lines skipped"
    )
