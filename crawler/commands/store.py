"""``crawler store …``: store administration (import spooled listings, migrate between backends)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.text import Text

from crawler.commands.common import StoreOption, err, fail, open_store_or_exit, out
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
    with open_store_or_exit(store, create=True) as opened:
        result = opened.upsert_listings(batch)
    out().print(
        f"{len(batch)} listings loaded ({result.inserted} new, {result.updated} updated, "
        f"{result.unchanged} unchanged), {bad} bad lines skipped"
    )


MIGRATE_BATCH = 1000


@store_app.command("migrate")
def store_migrate(
    source: Annotated[str, typer.Option("--from", help="Store to copy from (sqlite:///… or mongodb://…).")],
    target: Annotated[str, typer.Option("--to", help="Store to copy into (sqlite:///… or mongodb://…).")],
    batch: Annotated[int, typer.Option(min=1, max=100_000, help="Documents per write.")] = MIGRATE_BATCH,
) -> None:
    """Copy everything (listings with their history, the review audit log, crawl runs) between stores,
    then verify: the same counts on both sides and an intact audit hash chain on the target.

    Safe to re-run (imports are idempotent). A team that outgrows SQLite moves to MongoDB this way.

    Example:
      crawler store migrate --from sqlite:///data/crawler.sqlite3 --to mongodb://db.local:27017/monitor
    """
    from crawler.review.store_copy import MigrationError, migrate
    from crawler.store import redact_uri

    if source == target:
        raise fail("--from and --to are the same store", 2)
    console = out()
    console.print(f"migrating {redact_uri(source)} → {redact_uri(target)}")
    with open_store_or_exit(source) as src, open_store_or_exit(target, create=True) as dst:
        try:
            result = migrate(src, dst, batch=batch, progress=lambda line: console.print(Text(line)))
        except MigrationError as exc:
            raise fail(str(exc)) from exc
    for line in result.summary():
        console.print(Text(line, style="green" if result.ok else "red"))
    if not result.ok:
        raise fail("migration did not verify; the source store is untouched")
