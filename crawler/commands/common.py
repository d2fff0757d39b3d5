"""What the ``crawler`` command modules share: consoles, the --store option, errors."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.text import Text

from crawler.store.uri import DEFAULT_URI, resolve_uri

if TYPE_CHECKING:
    from crawler.store import Store


StoreOption = Annotated[
    str | None,
    typer.Option(
        "--store",
        help="Store URI (sqlite:///path or mongodb://…). Default: $STORE_URI or " + DEFAULT_URI,
        show_default=False,
    ),
]


def store_uri(uri: str | None) -> str:
    """The store URI to use: the option, else $STORE_URI, else the embedded default."""
    return resolve_uri(uri)


def default_rules() -> Path:
    """The rule packs directory: $RULES_DIR or rules/."""
    return Path(os.environ.get("RULES_DIR", "rules"))


def out() -> Console:
    """Standard output console, sized to the terminal (or $COLUMNS) at the time of printing."""
    return Console()


def err() -> Console:
    """Standard error console, for diagnostics that must not mix with data on stdout."""
    return Console(stderr=True)


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``error: message`` on stderr and return the Exit to raise."""
    err().print(Text(f"error: {message}", style="bold red"))
    return typer.Exit(code)


def open_store_or_exit(uri: str | None) -> Store:
    """Open the store, or exit with its error (never a traceback)."""
    from crawler.store import StoreError, open_store

    try:
        return open_store(store_uri(uri))
    except StoreError as exc:
        raise fail(str(exc)) from exc
