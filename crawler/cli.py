"""The ``crawler`` command: what inspectors, analysts and ops run besides ``scrapy crawl``.

    crawler demo                      the whole product on the bundled demo marketplace
    crawler flags list / show         flagged listings, newest and riskiest first, with reasons
    crawler detect --input F          run the rules on a JSON Lines file of listings, offline
    crawler rules validate / test     check the YAML rule packs and run their cases
    crawler store import F            load listings spooled while the store was down

Each command group lives in its own module of ``crawler.commands`` and registers itself there.
Every command that reads the store takes ``--store URI`` (default: ``$STORE_URI`` or
``sqlite:///data/crawler.sqlite3``).
"""

from __future__ import annotations

import importlib
import pkgutil

import typer

from crawler import commands

app = typer.Typer(
    help="Listing monitor: flag banned goods, counterfeits, missing origin and price anomalies "
    "in e-commerce listings, and keep the evidence.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)


def _register_commands(root: typer.Typer) -> None:
    for module in sorted(pkgutil.iter_modules(commands.__path__), key=lambda info: info.name):
        if module.name.startswith("_") or module.name == "common":
            continue
        importlib.import_module(f"{commands.__name__}.{module.name}").register(root)


_register_commands(app)


def main() -> None:
    """Entry point of the ``crawler`` console script."""
    app()


if __name__ == "__main__":
    main()
