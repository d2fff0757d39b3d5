"""What the ``crawler`` command modules share: consoles, the --store option, errors."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.text import Text

from crawler.exit_codes import ExitCode
from crawler.store.uri import DEFAULT_URI, resolve_uri

if TYPE_CHECKING:
    from crawler.detect import LoadedRules
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


def open_store_or_exit(uri: str | None, *, create: bool = False) -> Store:
    """Open the store, or exit with its error (never a traceback).

    Read-only commands (the default) never create a store: a SQLite file that does not exist exits
    ``NOT_FOUND`` (8) naming the path. Commands that write (``store import``, ``store migrate --to``)
    pass ``create=True``. A store that cannot be opened exits ``STORE_UNREACHABLE`` (4).
    """
    from crawler.store import StoreError, StoreNotFound, open_store

    try:
        return open_store(store_uri(uri), create=create)
    except StoreNotFound as exc:
        raise fail(str(exc), ExitCode.NOT_FOUND) from exc
    except StoreError as exc:
        raise fail(str(exc), ExitCode.STORE_UNREACHABLE) from exc


def load_rules_or_exit(directory: Path, *, what: str = "rule file error") -> LoadedRules:
    """Load the rule packs; print every error as ``path:line: message`` on stderr and exit ``RULES``
    (3) when there is one, unless ``RULES_ALLOW_ERRORS=1`` (then go on with the rules that loaded)."""
    from crawler.detect import load_rules
    from crawler.detect.errors import rules_allow_errors

    if not directory.is_dir():
        raise fail(f"{directory}: not a rules directory", ExitCode.USAGE)
    loaded = load_rules(directory)
    allowed = rules_allow_errors()
    for error in loaded.errors:
        err().print(Text(f"{error}" + (" (skipped: RULES_ALLOW_ERRORS)" if allowed else ""),
                         style="yellow" if allowed else "red"))
    if loaded.errors and not allowed:
        raise fail(
            f"{len(loaded.errors)} {what}(s) in {directory}; fix them or set RULES_ALLOW_ERRORS=1 "
            "to go on with the rules that loaded",
            ExitCode.RULES,
        )
    return loaded
