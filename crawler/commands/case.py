"""``crawler case ID… --out DIR``: a verifiable case file for one or more listings."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from crawler.commands.common import StoreOption, err, fail, open_store_or_exit, out, store_uri
from crawler.commands.flags import evidence_dir
from crawler.items import split_key
from crawler.review.cases import CaseError, build_case, collect, verify_case
from crawler.review.filters import VN_TZ
from crawler.review.render import safe_text


def register(app: typer.Typer) -> None:
    """Add ``crawler case`` to the root command."""
    app.command("case")(case)


def _generated_at(at: str | None) -> datetime:
    """--at (ISO 8601), else $SOURCE_DATE_EPOCH (reproducible builds), else now."""
    if at:
        try:
            moment = datetime.fromisoformat(at)
        except ValueError as exc:
            raise fail(f"--at {at!r}: not an ISO 8601 time (e.g. 2026-04-30T09:00:00+07:00)", 2) from exc
        return moment if moment.tzinfo else moment.replace(tzinfo=VN_TZ)
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), UTC).astimezone(VN_TZ)
    return datetime.now(VN_TZ).replace(microsecond=0)


def case(
    listing_keys: Annotated[
        list[str] | None, typer.Argument(metavar="ID…", help="platform:listing_id, one or more.")
    ] = None,
    out_dir: Annotated[Path | None, typer.Option("--out", "-o", help="New (or empty) directory to write.")] = None,
    evidence_dir_option: Annotated[
        Path | None,
        typer.Option("--evidence-dir", help="Evidence directory. Default: $EVIDENCE_DIR or data/evidence."),
    ] = None,
    at: Annotated[
        str | None, typer.Option(help="generated_at to record (ISO 8601); default $SOURCE_DATE_EPOCH or now.")
    ] = None,
    verify: Annotated[
        Path | None, typer.Option("--verify", help="Check an existing case directory instead.", file_okay=False)
    ] = None,
    store: StoreOption = None,
) -> None:
    """Write a case file for one or more listings, with verified evidence copies and a manifest.

    The case holds the listing data (JSON + HTML/Markdown summary), flags with reasons, review history,
    evidence copies verified against their sha256 (HTML kept as .html.txt, JSON as .json: nothing in the
    folder runs in a browser), the review log's head (audit head: COUNT:HASH), a manifest and SHA256SUMS.
    --verify refuses changed, missing, added or symlinked files and files a browser would run.

    Exits 1 when some evidence is missing or no longer matches (the case is written, and says so).

    Examples:
      crawler case shopee:22123758016 tiki:270000011 --out cases/2026-041
      crawler case --verify cases/2026-041          (or: cd cases/2026-041 && sha256sum -c SHA256SUMS)
    """
    if verify is not None:
        problems = verify_case(verify)
        for problem in problems:
            out().print(Text(f"  {safe_text(problem)}", style="red"))
        if problems:
            raise fail(f"case {verify} does NOT verify: {len(problems)} problems")
        out().print(Text(f"case {verify} verifies: every file matches its sha256", style="green"))
        return
    if not listing_keys or out_dir is None:
        raise fail("give one or more listing IDs and --out DIR (or --verify DIR)", 2)
    keys: list[tuple[str, str]] = []
    for key in listing_keys:
        try:
            keys.append(split_key(key))
        except ValueError as exc:
            raise fail(str(exc), 2) from exc
    if len(set(keys)) != len(keys):
        raise fail("a listing ID is given twice", 2)
    generated_at = _generated_at(at)
    from crawler.review.audit import current_head, head_text
    from crawler.store import redact_uri

    with open_store_or_exit(store) as opened:
        cases, missing = collect(opened, keys, evidence_dir(evidence_dir_option))
        head = head_text(current_head(opened.iter_audit()))
    if missing:
        raise fail(f"not in the store: {', '.join(safe_text(key) for key in missing)}")
    try:
        result = build_case(cases, out_dir, generated_at=generated_at, store_name=redact_uri(store_uri(store)),
                            audit_head=head)
    except (CaseError, OSError) as exc:
        raise fail(str(exc)) from exc
    evidence = sum(1 for path in result.files if "/evidence/" in path)
    out().print(
        f"case written to {out_dir}: {len(cases)} listings, {evidence} evidence files verified and copied, "
        f"{len(result.files) + 1} files with sha256 in manifest.json and SHA256SUMS"
    )
    out().print(f"audit head: {head}  (on the store, later: crawler audit verify --expect {head})")
    if result.problems:
        for problem in result.problems:
            err().print(Text(f"  {safe_text(problem)}", style="red"))
        raise fail(f"case is incomplete: {len(result.problems)} evidence problems (listed in manifest.json)")
