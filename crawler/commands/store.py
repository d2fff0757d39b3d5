"""``crawler store …``: store administration (import spooled listings, migrate between backends)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from crawler.commands.common import StoreOption, err, fail, open_store_or_exit, out
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
    """Load listings from a JSON Lines file (such as one spooled while the store was down).

    Spool files also carry the price flags re-judged at the end of a crawl and its crawl-run record;
    they are loaded in file order. A line that cannot be read, or that the store refuses, is reported
    with its line number and skipped; the rest of the file is loaded. Exit code 9 when any line was
    not loaded, 4 when the store failed part way (what was loaded stays loaded; importing again is safe).
    """
    from crawler.exit_codes import ExitCode
    from crawler.spool_import import LineProblem, import_file
    from crawler.store import StoreError

    def report_problem(problem: LineProblem, rejected: bool) -> None:
        what = "rejected" if rejected else "skipped"
        err().print(Text(f"{path}:{problem.number}: {what}: {safe_text(problem.reason)}", style="red"))

    with open_store_or_exit(store, create=True) as opened, path.open("rb") as handle:
        try:
            report = import_file(handle, opened, on_problem=report_problem)
        except StoreError as exc:
            done = getattr(exc, "report", None)
            if done is not None:
                out().print(Text(f"before the failure: {done.summary()}"))
            raise fail(f"{exc}; import stopped (importing the file again is safe)", ExitCode.STORE_UNREACHABLE) from exc
    out().print(Text(report.summary(), style="green" if report.ok else "red"))
    if not report.ok:
        raise typer.Exit(ExitCode.INPUT_SKIPPED)


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
