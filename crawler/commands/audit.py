"""``crawler audit verify``: check that the review audit log's hash chain is intact."""

from __future__ import annotations

import typer
from rich.text import Text

from crawler.commands.common import StoreOption, fail, open_store_or_exit, out
from crawler.review.render import safe_text

audit_app = typer.Typer(help="The review audit log: verify its hash chain.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add ``crawler audit …`` to the root command."""
    app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def audit_verify(store: StoreOption = None) -> None:
    """Recompute every audit entry's hash and link; exit 1 and name the problems if the chain is broken.

    Detects a changed, removed, reordered or inserted entry.
    """
    from crawler.review.audit import verify_chain

    with open_store_or_exit(store) as opened:
        report = verify_chain(opened.iter_audit())
    if report.ok:
        out().print(Text(f"audit log OK: {report.checked} entries, hash chain intact", style="green"))
        return
    for problem in report.problems:
        out().print(Text(f"  {safe_text(problem)}", style="red"))
    raise fail(f"audit log BROKEN: {len(report.problems)} problems in {report.checked} entries")
