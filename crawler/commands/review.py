"""``crawler review ID… --confirm|--dismiss|--refer``: record an inspector's decision on listings.

Every decision goes to the store's append-only, hash-chained audit log (who, when, from → to, note).
"""

from __future__ import annotations

import os
from typing import Annotated

import typer
from rich.text import Text

from crawler.commands.common import StoreOption, err, fail, open_store_or_exit, out
from crawler.items import split_key
from crawler.review.filters import show_time
from crawler.review.render import safe_text


def register(app: typer.Typer) -> None:
    """Add ``crawler review`` to the root command."""
    app.command("review")(review)


def _action(confirm: bool, dismiss: bool, refer: bool, reopen: bool) -> str:
    chosen = [name for name, on in (("confirmed", confirm), ("dismissed", dismiss), ("referred", refer),
                                    ("new", reopen)) if on]
    if len(chosen) != 1:
        raise fail("give exactly one of --confirm, --dismiss, --refer (or --reopen)", 2)
    return chosen[0]


def _reviewer(by: str | None) -> str:
    if by and by.strip():
        return by.strip()
    user = os.environ.get("USER", "").strip()
    if not user:
        raise fail("--by NAME is required (who takes this decision; it goes into the audit log)", 2)
    err().print(Text(f"warning: --by not given; recording the decision as {user!r} (from $USER)", style="yellow"))
    return user


def review(
    listing_keys: Annotated[list[str], typer.Argument(metavar="ID…", help="platform:listing_id, one or more.")],
    confirm: Annotated[bool, typer.Option("--confirm", help="A violation: confirmed.")] = False,
    dismiss: Annotated[bool, typer.Option("--dismiss", help="Not a violation: dismissed.")] = False,
    refer: Annotated[bool, typer.Option("--refer", help="Handed to another authority: referred.")] = False,
    reopen: Annotated[bool, typer.Option("--reopen", help="Back to new (undo a decision).")] = False,
    note: Annotated[str | None, typer.Option(help="Why (kept in the audit log).")] = None,
    by: Annotated[str | None, typer.Option(help="Who decides. Default: $USER, with a warning.")] = None,
    store: StoreOption = None,
) -> None:
    """Confirm, dismiss or refer flagged listings; prints each listing's status from → to.

    Examples:
      crawler review shopee:22123758016 --confirm --note "Hàng giả Gucci, đã xác minh" --by "Nguyễn Văn A"
      crawler review tiki:1 tiki:2 --dismiss --note "Hàng chính hãng" --by thanh.tra
    """
    status = _action(confirm, dismiss, refer, reopen)
    reviewer = _reviewer(by)
    keys: list[tuple[str, str, str]] = []
    for key in listing_keys:
        try:
            keys.append((key, *split_key(key)))
        except ValueError as exc:
            raise fail(str(exc), 2) from exc
    from crawler.store import StoreError

    failed = 0
    with open_store_or_exit(store) as opened:
        for key, platform, listing_id in keys:
            try:
                entry = opened.apply_review(platform, listing_id, status, by=reviewer, note=note)
            except StoreError as exc:
                failed += 1
                err().print(Text(f"{safe_text(key)}: {safe_text(exc)}", style="red"))
                continue
            out().print(
                Text.assemble(
                    (safe_text(key), "bold"),
                    f": {entry.from_status} → {entry.to_status}",
                    f"  (audit #{entry.seq}, {safe_text(entry.by)}, {show_time(entry.at)})",
                )
            )
    if failed:
        raise fail(f"{failed} of {len(keys)} listings not reviewed")
