"""``crawler evidence capture / queue``: rendered-page screenshots for listings crawled over an API."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from crawler.commands.common import StoreOption, err, fail, out, store_uri
from crawler.commands.flags import evidence_dir
from crawler.exit_codes import ExitCode
from crawler.review.render import safe_text

evidence_app = typer.Typer(help="Evidence: screenshots of listings crawled over an API.", no_args_is_help=True)
EvidenceDirOption = Annotated[
    Path | None,
    typer.Option("--evidence-dir", help="Evidence directory (the queue is in it). Default: $EVIDENCE_DIR or "
                                        "data/evidence."),
]


def register(app: typer.Typer) -> None:
    """Add ``crawler evidence …`` to the root command."""
    app.add_typer(evidence_app, name="evidence")


@evidence_app.command("capture")
def capture(
    limit: Annotated[int | None, typer.Option(min=1, help="At most this many listings (oldest queued first).")] = None,
    listing: Annotated[
        list[str] | None, typer.Option("--listing", metavar="ID", help="Only this listing (platform:id); repeatable.")
    ] = None,
    timeout: Annotated[float, typer.Option(min=1, help="Stop after this many seconds.")] = 3600,
    evidence_dir_option: EvidenceDirOption = None,
    store: StoreOption = None,
) -> None:
    """Render each queued listing's public page in Chromium and append a screenshot to its evidence.

    Listings crawled over an API and flagged banned or counterfeit are queued by the crawl (it never
    waits for a browser); this drains the queue with Debian's Chromium. Each page is the listing URL
    its spider recorded, rendered only on the platform's own hosts and under the net policy (no request
    of the page may reach a private, loopback or link-local address). A failed listing stays queued (3
    attempts, then it is listed as failed by `crawler evidence queue`).

    Exits 0 when every screenshot was taken (or the queue is empty), 13 (EVIDENCE_INCOMPLETE) when
    some were not, 4 when the store cannot be reached, 1 when Chromium is missing.

    Examples:
      crawler evidence capture --limit 50
      crawler evidence capture --listing tiki:270000011
    """
    from crawler.screenshot_queue import ScreenshotQueue, run_capture
    from spiders.browser import BrowserNotFound, check_chromium, chromium_path

    root = evidence_dir(evidence_dir_option)
    keys = set(listing) if listing else None
    pending = list(ScreenshotQueue(root).entries(limit, keys))
    if not pending:
        out().print(f"screenshot queue in {root} is empty: nothing to capture")
        return
    try:
        check_chromium(chromium_path())
    except BrowserNotFound as exc:
        raise fail(str(exc), ExitCode.ERROR) from exc
    out().print(f"capturing {len(pending)} screenshots with Chromium (queue: {root})")
    try:
        code = run_capture(root, store_uri(store), limit=limit, keys=keys, timeout=timeout,
                           on_line=lambda line: out().print(Text(safe_text(line.split("] ", 1)[-1]))))
    except subprocess.TimeoutExpired as exc:
        raise fail(f"screenshot capture did not finish within {timeout:.0f}s; the rest stays queued") from exc
    left = len(ScreenshotQueue(root))
    if code == 0:
        out().print(Text(f"done: every screenshot taken; {left} listings left in the queue", style="green"))
        return
    err().print(Text(f"screenshot capture ended with exit {code}; {left} listings left in the queue", style="red"))
    raise typer.Exit(code if code > 0 else ExitCode.ERROR)


@evidence_app.command("queue")
def queue(evidence_dir_option: EvidenceDirOption = None) -> None:
    """List the listings waiting for a screenshot, and those given up on after 3 failed attempts."""
    from crawler.screenshot_queue import ScreenshotQueue

    screenshot_queue = ScreenshotQueue(evidence_dir(evidence_dir_option))
    waiting = list(screenshot_queue.entries())
    failed = screenshot_queue.failed_entries()
    console = out()
    console.print(f"{len(waiting)} listings waiting for a screenshot, {len(failed)} given up on")
    for entry in waiting:
        error = f" (last error: {entry.last_error})" if entry.last_error else ""
        console.print(Text(safe_text(f"  {entry.key} {entry.url} queued {entry.queued_at} "
                                     f"attempts {entry.attempts}{error}")))
    for entry in failed:
        console.print(Text(safe_text(f"  FAILED {entry.key} {entry.url}: {entry.last_error}"), style="red"))
