"""``crawler rules validate / test``: the analysts' checks of the YAML rule packs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from crawler.commands.common import default_rules, err, fail, out
from crawler.review.render import safe_text

rules_app = typer.Typer(help="Rule packs in rules/: validate them, run their test cases.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add ``crawler rules …`` to the root command."""
    app.add_typer(rules_app, name="rules")


@rules_app.command("validate")
def rules_validate(
    rules_dir: Annotated[Path | None, typer.Argument(help="Rule packs directory (default rules/).")] = None,
) -> None:
    """Load every rule file and report every error as FILE:LINE: what is wrong."""
    from crawler.detect import load_rules

    directory = rules_dir or default_rules()
    if not directory.is_dir():
        raise fail(f"{directory}: not a directory", 2)
    loaded = load_rules(directory)
    for error in loaded.errors:
        err().print(Text(str(error), style="red"))
    count = len(loaded.ruleset.all_rules())
    if loaded.errors:
        raise fail(f"{len(loaded.errors)} error(s); {count} rules loaded from {directory}")
    out().print(f"{count} rules loaded from {directory}, no errors (version {loaded.ruleset.version})")


@rules_app.command("test")
def rules_test(
    rules_dir: Annotated[Path | None, typer.Argument(help="Rule packs directory (default rules/).")] = None,
) -> None:
    """Run every rule file's cases: listings that must and must not match."""
    from crawler.detect import load_rules, run_cases

    directory = rules_dir or default_rules()
    loaded = load_rules(directory)
    for error in loaded.errors:
        err().print(Text(str(error), style="red"))
    results = run_cases(loaded.ruleset)
    failed = [result for result in results if not result.ok]
    for result in failed:
        err().print(Text(f"FAIL {safe_text(str(result))}", style="red"))
    out().print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    if failed or loaded.errors:
        raise typer.Exit(1)
