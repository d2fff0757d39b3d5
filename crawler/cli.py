"""The ``crawler`` command: what inspectors, analysts and ops run besides ``scrapy crawl``.

    crawler demo                      the whole product on the bundled demo marketplace
    crawler flags list / show         flagged listings, newest and riskiest first, with reasons
    crawler detect --input F          run the rules on a JSON Lines file of listings, offline
    crawler rules validate / test     check the YAML rule packs and run their cases
    crawler crawl JOB / schedule run  run a crawls.yaml job now / run every job on its schedule
    crawler runs [show ID]            the history of crawl runs, one run in full
    crawler store import F            load listings spooled while the store was down

Each command group lives in its own module of ``crawler.commands`` and registers itself there.
Every command that reads the store takes ``--store URI`` (default: ``$STORE_URI`` or
``sqlite:///data/crawler.sqlite3``).
"""

from __future__ import annotations

import importlib
import pkgutil
import signal
import sys

import typer

from crawler import commands
from crawler.exit_codes import ExitCode

app = typer.Typer(
    help="Listing monitor: flag banned goods, counterfeits, missing origin and price anomalies "
    "in e-commerce listings, and keep the evidence.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)


# Which help panel each command shows under: the paths of the three kinds of users.
PANELS: dict[str, str] = {
    "demo": "Start here",
    "flags": "Inspectors",
    "review": "Inspectors",
    "web": "Inspectors",
    "check": "Inspectors",
    "sellers": "Inspectors",
    "export": "Inspectors",
    "report": "Inspectors",
    "case": "Inspectors",
    "audit": "Inspectors",
    "evidence": "Inspectors",
    "rules": "Analysts",
    "detect": "Analysts",
    "crawl": "Ops",
    "schedule": "Ops",
    "runs": "Ops",
    "store": "Ops",
    "users": "Ops",
}


def _register_commands(root: typer.Typer) -> None:
    for module in sorted(pkgutil.iter_modules(commands.__path__), key=lambda info: info.name):
        if module.name.startswith("_") or module.name == "common":
            continue
        importlib.import_module(f"{commands.__name__}.{module.name}").register(root)
    order = list(PANELS)

    def rank(info: typer.models.CommandInfo | typer.models.TyperInfo) -> tuple[int, str]:
        name = info.name or (info.callback.__name__ if info.callback else "")
        info.rich_help_panel = PANELS.get(name, "Other")
        return (order.index(name) if name in order else len(order), name)

    root.registered_commands.sort(key=rank)
    root.registered_groups.sort(key=rank)


_register_commands(app)


def _interrupted(signum: int, frame: object) -> None:
    """Ctrl-C or SIGTERM: unwind (``with`` blocks close the store) and exit ``INTERRUPTED`` (130)."""
    signal.signal(signum, signal.SIG_DFL)  # a second one stops at once
    sys.stderr.write(f"\ninterrupted ({signal.Signals(signum).name})\n")
    raise SystemExit(ExitCode.INTERRUPTED)


def main() -> None:
    """Entry point of the ``crawler`` console script; Ctrl-C and SIGTERM exit 130, not Click's 1."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _interrupted)
    app()


if __name__ == "__main__":
    main()
