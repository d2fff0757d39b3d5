"""``crawler runs``: the history of crawl runs (the store's ``crawl_runs`` records), and one run in full."""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from crawler.commands.common import StoreOption, fail, open_store_or_exit, out
from crawler.exit_codes import ExitCode
from crawler.review.filters import FilterError, day_start, parse_day, show_time
from crawler.review.render import safe_json, safe_text

runs_app = typer.Typer(
    help="Crawl runs: when each ran, what it fetched, stored and flagged, and why it failed.",
    invoke_without_command=True,
)

_AGO = re.compile(r"(\d+)\s*([mhd])")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def register(app: typer.Typer) -> None:
    """Add ``crawler runs …`` to the root command."""
    app.add_typer(runs_app, name="runs")


_DAY_LIKE = re.compile(r"[\d/.-]{8,10}")


def parse_since(value: str, now: datetime | None = None) -> datetime:
    """``--since``: ``30m``/``12h``/``7d`` ago, a day ``DD/MM/YYYY`` or ``YYYY-MM-DD`` (Vietnam time), or an
    ISO date-time."""
    text = value.strip().lower()
    ago = _AGO.fullmatch(text)
    if ago:
        return (now or datetime.now(UTC)) - timedelta(**{_UNITS[ago.group(2)]: int(ago.group(1))})
    if _DAY_LIKE.fullmatch(text):  # a day: 30/04/2026, 1/5/2026 or 2026-04-30
        return day_start(parse_day(text, "--since"))
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise FilterError(
            f"--since {value!r}: use 12h, 7d, a day (30/04/2026 or 2026-04-30) or a date-time "
            "(2026-04-30T08:00+07:00)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _json_ready(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(key): _json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(item) for item in value]
    return value


def run_json(run: Mapping[str, Any]) -> str:
    """One run as a JSON line (datetimes ISO, control characters escaped)."""
    return safe_json(_json_ready(run))


def _took(run: Mapping[str, Any]) -> str:
    seconds = run.get("elapsed_seconds")
    if not isinstance(seconds, int | float):
        start, end = run.get("started_at"), run.get("finished_at")
        seconds = (end - start).total_seconds() if isinstance(start, datetime) and isinstance(end, datetime) else None
    if seconds is None:
        return "—"
    return f"{seconds / 60:.0f}m" if seconds >= 600 else f"{seconds:.0f}s"


def _status(run: Mapping[str, Any]) -> Text:
    from crawler.run_record import run_failed

    failed = run_failed(run)
    code = run.get("exit_code")
    label = ("failed" if failed else "ok") + (f" ({code})" if isinstance(code, int) and code else "")
    return Text(label, style="bold red" if failed else "green")


def _listings(run: Mapping[str, Any]) -> str:
    counts = run.get("listings")
    if not isinstance(counts, Mapping):
        stats = run.get("stats") or {}
        return str(stats.get("item_scraped_count", "—"))
    return (f"{counts.get('scraped', 0)} (new {counts.get('new', 0)}, upd {counts.get('updated', 0)}, "
            f"same {counts.get('unchanged', 0)}, partial {counts.get('partial', 0)})")  # fmt: skip


def _flags(run: Mapping[str, Any]) -> str:
    flags = run.get("flags")
    if not isinstance(flags, Mapping):
        return "—"
    return ", ".join(f"{kind} {count}" for kind, count in flags.items() if count) or "none"


def _first_cause(run: Mapping[str, Any]) -> str:
    causes = run.get("causes")
    if causes is None:
        causes = (run.get("stats") or {}).get("exit/causes") or []
    failed = (run.get("monitors") or {}).get("failed") or []
    return "; ".join([*causes[:1], *(f"monitor {line}" for line in failed[:1])])


def render_runs(runs: list[dict[str, Any]], title: str) -> Table:
    """The runs as a terminal table (every value through ``safe_text``)."""
    table = Table(title=title, expand=True)
    for name, options in (("ID", {"no_wrap": True}), ("Started", {"no_wrap": True}), ("Job", {}), ("Spider", {}),
                          ("Status", {"no_wrap": True}), ("Took", {"justify": "right"}),
                          ("Pages", {"justify": "right"}), ("Listings", {"ratio": 2}), ("Flags", {"ratio": 2}),
                          ("Why", {"ratio": 3})):  # fmt: skip
        table.add_column(name, **options)
    for run in runs:
        table.add_row(
            Text(safe_text(run.get("run_id") or "—")),
            Text(show_time(run.get("started_at"))),
            Text(safe_text(run.get("job") or "—", limit=30)),
            Text(safe_text(run.get("spider"), limit=20)),
            _status(run),
            Text(_took(run)),
            Text(str(run.get("pages", (run.get("stats") or {}).get("crawl/pages", "—")))),
            Text(safe_text(_listings(run))),
            Text(safe_text(_flags(run))),
            Text(safe_text(_first_cause(run), limit=200)),
        )
    return table


@runs_app.callback()
def runs_list(
    ctx: typer.Context,
    spider: Annotated[str | None, typer.Option(help="Runs of this spider only.")] = None,
    job: Annotated[str | None, typer.Option(help="Runs of this crawls.yaml job only.")] = None,
    since: Annotated[
        str | None,
        typer.Option(help="Started since: 12h, 7d, a day (DD/MM/YYYY or YYYY-MM-DD, Vietnam time) or a date-time."),
    ] = None,
    failed: Annotated[bool, typer.Option("--failed", help="Failed runs only (exit code other than 0).")] = False,
    limit: Annotated[int, typer.Option(min=1, max=100_000, help="At most this many runs, newest first.")] = 20,
    output_format: Annotated[
        str, typer.Option("--format", "-f", help="table (for people) or json (JSON Lines, every field).")
    ] = "table",
    store: StoreOption = None,
) -> None:
    """List crawl runs, newest first: status and exit code, pages, listings new / updated / unchanged /
    partial, flags per kind, and the first reason a failed run gives.

    Examples:
      crawler runs --failed --since 7d
      crawler runs --job tiki-banned -f json
      crawler runs show 20260301T061500-3fa2c1
    """
    if ctx.invoked_subcommand is not None:
        return
    if output_format not in ("table", "json"):
        raise fail("--format must be table or json", ExitCode.USAGE)
    try:
        start = parse_since(since) if since else None
    except FilterError as exc:
        raise fail(str(exc), ExitCode.USAGE) from exc
    with open_store_or_exit(store) as opened:
        runs = opened.recent_crawl_runs(spider, limit, job=job, since=start, failed=True if failed else None)
    if output_format == "json":
        sys.stdout.write("".join(run_json(run) + "\n" for run in runs))
        return
    if not runs:
        out().print("No crawl runs match. Runs are recorded when a crawl ends (crawler crawl JOB, scrapy crawl).")
        return
    out().print(render_runs(runs, f"Crawl runs — {len(runs)} shown, newest first"))


def _print_run(run: Mapping[str, Any]) -> None:
    console = out()

    def line(label: str, value: object, style: str = "") -> None:
        console.print(Text.assemble((f"{label:>16}: ", "bold"), (safe_text(value), style)))

    from crawler.run_record import run_failed

    failed = run_failed(run)
    line("run", run.get("run_id") or "—")
    line("job", run.get("job") or "— (started by hand)")
    line("spider", run.get("spider"))
    line("started", show_time(run.get("started_at")) + " (Vietnam time)")
    line("finished", show_time(run.get("finished_at")) + f", took {_took(run)}")
    line("finish reason", run.get("finish_reason") or (run.get("stats") or {}).get("finish_reason") or "—")
    line("status", ("failed" if failed else "ok") + f", exit {run.get('exit_code', '—')} {run.get('exit_name') or ''}",
         "bold red" if failed else "green")
    for cause in run.get("causes") or (run.get("stats") or {}).get("exit/causes") or []:
        line("cause", cause, "red")
    monitors = run.get("monitors")
    if isinstance(monitors, Mapping):
        line("monitors", f"{monitors.get('passed', 0)} passed, {len(monitors.get('failed') or [])} failed")
        for failure in monitors.get("failed") or []:
            line("monitor failed", failure, "red")
    line("pages", f"{run.get('pages', '—')} fetched, {run.get('requests', '—')} requests")
    line("listings", _listings(run))
    listings = run.get("listings")
    if isinstance(listings, Mapping):
        line("not stored", f"rejected {listings.get('rejected', 0)}, spooled {listings.get('spooled', 0)}, "
                           f"dropped {listings.get('dropped', 0)}")  # fmt: skip
    line("flags", _flags(run))
    errors = run.get("errors_by_cause") or {}
    line("errors", ", ".join(f"{cause} {count}" for cause, count in errors.items()) or "none")
    statuses = run.get("http_status") or {}
    line("HTTP status", ", ".join(f"{code}: {count}" for code, count in statuses.items()) or "—")
    line("rules version", run.get("rules_version") or "—")
    line("audit head", run.get("audit_head") or "—")
    for label, key in (("JOBDIR", "jobdir"), ("log", "log_file"), ("host", "host")):
        if run.get(key):
            line(label, run[key])
    messages = run.get("errors") or []
    if messages:
        console.print(Text(f"first {min(len(messages), 20)} of {len(messages)} ERROR messages:", style="bold"))
        for message in messages[:20]:
            console.print(Text("  " + safe_text(message, limit=300), style="red"))


@runs_app.command("show")
def runs_show(
    run_id: Annotated[str, typer.Argument(metavar="ID", help="The run's id, as `crawler runs` lists it.")],
    output_format: Annotated[str, typer.Option("--format", "-f", help="text or json (every field).")] = "text",
    store: StoreOption = None,
) -> None:
    """Show one crawl run in full: its causes and monitors, counts, errors by cause, HTTP statuses,
    rules version, audit head, and its first ERROR messages.

    Example:
      crawler runs show 20260301T061500-3fa2c1 -f json
    """
    if output_format not in ("text", "json"):
        raise fail("--format must be text or json", ExitCode.USAGE)
    with open_store_or_exit(store) as opened:
        found = opened.recent_crawl_runs(limit=1, run_id=run_id.strip())
    if not found:
        raise fail(f"no crawl run {safe_text(run_id)!r} in the store (crawler runs lists them)", ExitCode.NOT_FOUND)
    if output_format == "json":
        sys.stdout.write(run_json(found[0]) + "\n")
        return
    _print_run(found[0])
