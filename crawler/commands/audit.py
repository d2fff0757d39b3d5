"""``crawler audit verify``: check the review audit log's hash chain, its head and the listings' statuses."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from crawler.commands.common import StoreOption, fail, open_store_or_exit, out
from crawler.exit_codes import ExitCode
from crawler.review.render import safe_text

audit_app = typer.Typer(help="The review audit log: verify its hash chain.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add ``crawler audit …`` to the root command."""
    app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def audit_verify(
    expect: Annotated[
        str | None,
        typer.Option("--expect", metavar="COUNT:HASH",
                     help="The head recorded earlier (an export, a case file's manifest, a previous verify): "
                          "fail unless the log still holds that entry unchanged."),
    ] = None,
    export: Annotated[
        Path | None,
        typer.Option("--export", metavar="FILE", dir_okay=False,
                     help="An export (CSV, XLSX, JSON): check it against its FILE.audit sidecar (sha256) and "
                          "use the head recorded there as --expect."),
    ] = None,
    store: StoreOption = None,
) -> None:
    """Recompute every audit entry's hash and link, print the head (COUNT:HASH), and cross-check every
    listing's review status against the status the log gives it.

    Detects a changed, removed, reordered or inserted entry; with --expect, removed newest entries and
    a rewritten log; a review status changed in the database or imported without a log entry.
    Exits 10 (AUDIT_MISMATCH) on any problem.

    Examples:
      crawler audit verify --export vi-pham.csv      (the export's sidecar vi-pham.csv.audit gives the head)
      crawler audit verify --expect 42:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
    """
    from crawler.review.audit import head_text, parse_head, status_problems, verify_chain

    if export is not None:
        from crawler.review.export_audit import check_export

        if expect is not None:
            raise fail("give --expect or --export, not both", ExitCode.USAGE)
        checked = check_export(export)
        if checked.audit_head is None:
            raise fail(safe_text(checked.problems[0]), ExitCode.AUDIT_MISMATCH)
        for problem in checked.problems:
            out().print(Text(f"  {safe_text(problem)}", style="red"))
        if checked.problems:
            raise fail(f"export {export} does NOT match its audit sidecar", ExitCode.AUDIT_MISMATCH)
        out().print(Text(f"export {export}: sha256 matches its sidecar; recorded head {checked.audit_head}"))
        expect = checked.audit_head
    try:
        expected = parse_head(expect) if expect is not None else None
    except ValueError as exc:
        raise fail(f"--expect: {exc}", ExitCode.USAGE) from exc
    with open_store_or_exit(store) as opened:
        entries = list(opened.iter_audit())
        report = verify_chain(entries, expected_head=expected)
        statuses = status_problems(entries, opened.iter_listings())
    out().print(Text(f"audit head: {head_text(report.head)}"))
    problems = [*report.problems, *statuses]
    if not problems:
        anchored = f", matches the expected head {expected[0]}" if expected else ""
        out().print(Text(f"audit log OK: {report.checked} entries, hash chain intact{anchored}; every listing's "
                         "review status matches the log", style="green"))
        return
    for problem in problems:
        out().print(Text(f"  {safe_text(problem)}", style="red"))
    raise fail(f"audit log BROKEN: {len(problems)} problems in {report.checked} entries", ExitCode.AUDIT_MISMATCH)
