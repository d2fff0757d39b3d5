"""``crawler schedule validate | list | run`` and ``crawler crawl JOB``: the crawl jobs of ``crawls.yaml``."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from crawler.commands.common import StoreOption, err, fail, out
from crawler.exit_codes import ExitCode
from crawler.review.filters import show_time
from crawler.review.render import safe_json, safe_text

if TYPE_CHECKING:  # not imported for every command
    from crawler.jobs.config import Job, JobsFile

schedule_app = typer.Typer(
    help="Named crawl jobs (crawls.yaml) on a cron schedule: check them, list them, run them.",
    no_args_is_help=True,
)

FileOption = Annotated[
    Path,
    typer.Option(
        "--file", "-c", envvar="CRAWLS_FILE", show_default=True,
        help="The jobs file ($CRAWLS_FILE). Crawls run in its folder; its relative paths start there.",
    ),
]  # fmt: skip


def register(app: typer.Typer) -> None:
    """Add ``crawler schedule …`` and ``crawler crawl JOB`` to the root command."""
    app.add_typer(schedule_app, name="schedule")
    app.command("crawl")(crawl_job)


def load_or_exit(path: Path) -> JobsFile:
    """Load ``crawls.yaml``; print every error as ``path:line: message`` and exit ``USAGE`` (2) if any."""
    from crawler.jobs import load_jobs

    if not path.is_file():
        raise fail(f"{path}: no such jobs file (see crawls.yaml in the project root)", ExitCode.NOT_FOUND)
    loaded = load_jobs(path)
    for problem in loaded.errors:
        err().print(Text(safe_text(problem), style="red"))
    if loaded.errors:
        raise fail(f"{len(loaded.errors)} error(s) in {path}; nothing was run", ExitCode.USAGE)
    return loaded


def last_runs(job: Job, option: str | None, limit: int = 1) -> list[dict[str, Any]]:
    """The job's latest recorded runs (empty when there is none or the store cannot be read: logged)."""
    from crawler.jobs.launch import job_store_uri
    from crawler.store import StoreError, StoreNotFound, open_store

    uri = job_store_uri(job, option)
    try:
        with open_store(uri) as opened:
            return opened.recent_crawl_runs(limit=limit, job=job.name)
    except StoreNotFound:
        return []
    except StoreError as exc:
        logging.getLogger(__name__).warning("job %s: run history not read: %s", job.name, exc)
        return []


@schedule_app.command("validate")
def schedule_validate(file: FileOption = Path("crawls.yaml")) -> None:
    """Check crawls.yaml: keys, types, spiders, cron expressions, time zone, keyword files. Every error is
    printed as file:line: message; exit 2 when there is one.

    Example:
      crawler schedule validate -c deploy/crawls.yaml
    """
    loaded = load_or_exit(file)
    enabled = sum(1 for job in loaded.jobs.values() if job.enabled)
    out().print(Text(f"{file}: {len(loaded.jobs)} jobs OK ({enabled} enabled)", style="green"))


@schedule_app.command("list")
def schedule_list(
    file: FileOption = Path("crawls.yaml"),
    output_format: Annotated[str, typer.Option("--format", "-f", help="table or json (JSON Lines).")] = "table",
    store: StoreOption = None,
) -> None:
    """Each job: spider, schedule, priority, its next run and its last result (from the crawl-run
    history, by job name).

    Example:
      crawler schedule list
    """
    if output_format not in ("table", "json"):
        raise fail("--format must be table or json", ExitCode.USAGE)
    from crawler.store.runs import run_failed

    loaded = load_or_exit(file)
    now = datetime.now(UTC)
    rows = []
    for job in loaded.ordered():
        trigger = job.trigger()
        upcoming = trigger.get_next_fire_time(None, now) if trigger is not None and job.enabled else None
        last = next(iter(last_runs(job, store)), None)
        rows.append((job, upcoming, last))
    if output_format == "json":
        for job, upcoming, last in rows:
            sys.stdout.write(safe_json({
                "job": job.name, "spider": job.spider, "schedule": job.schedule, "priority": job.priority,
                "enabled": job.enabled, "next_run": upcoming.isoformat() if upcoming else None,
                "last_run": None if last is None else {
                    "run_id": last.get("run_id"), "started_at": last["started_at"].isoformat(),
                    "status": last.get("status"), "exit_code": last.get("exit_code"),
                    "listings": (last.get("listings") or {}).get("scraped"),
                },
            }) + "\n")  # fmt: skip
        return
    table = Table(title=f"Crawl jobs of {safe_text(file)}", expand=True)
    for name in ("Job", "Spider", "Schedule", "Priority", "Next run", "Last run", "Last result"):
        table.add_column(name)
    for job, upcoming, last in rows:
        if last is None:
            result = Text("never ran")
        else:
            failed = run_failed(last)
            result = Text(
                f"{'failed' if failed else 'ok'}, exit {last.get('exit_code', '?')}, "
                f"{(last.get('listings') or {}).get('scraped', '?')} listings ({last.get('run_id') or '—'})",
                style="red" if failed else "green",
            )
        table.add_row(
            Text(safe_text(job.name)), Text(safe_text(job.spider)), Text(safe_text(job.schedule or "by hand")),
            Text(str(job.priority)),
            Text(show_time(upcoming) if upcoming else ("disabled" if not job.enabled else "—")),
            Text(show_time(last["started_at"]) if last else "—"), result,
        )  # fmt: skip
    out().print(table)
    out().print("Times are Vietnam time.")


@schedule_app.command("run")
def schedule_run(
    file: FileOption = Path("crawls.yaml"),
    max_parallel: Annotated[int, typer.Option(min=1, max=64, help="At most this many crawls at once.")] = 2,
    stop_timeout: Annotated[
        float, typer.Option(min=0, help="On SIGTERM/Ctrl-C: seconds the running crawls get to stop cleanly.")
    ] = 60.0,
    store: StoreOption = None,
) -> None:
    """Run every enabled job on its schedule, and keep running (one crawl process per run; never two
    runs of the same job at once; a run missed while nothing ran is caught up once at start; jobs due
    at the same time start highest priority first). Each run logs to data/logs/JOB/TIME.log and is
    recorded in the store (crawler runs --job JOB).

    SIGTERM or Ctrl-C: no new run starts; running crawls get SIGTERM (they stop cleanly, store what
    they scraped and can resume from JOBDIR), are killed after --stop-timeout; exit 130.

    Example:
      crawler schedule run -c crawls.yaml --max-parallel 2
    """
    from crawler.jobs.schedule import CrawlScheduler

    logging.basicConfig(level=logging.INFO, format="%(asctime)s [%(name)s] %(levelname)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    loaded = load_or_exit(file)
    scheduler = CrawlScheduler(
        loaded, max_parallel=max_parallel, stop_timeout=stop_timeout,
        last_run=lambda job: next((run["started_at"] for run in last_runs(job, store)), None),
    )  # fmt: skip
    if not scheduler.scheduled():
        raise fail(f"{file}: no enabled job has a schedule", ExitCode.USAGE)
    stop = threading.Event()
    received: list[int] = []

    def on_signal(signum: int, frame: object) -> None:
        received.append(signum)
        stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, on_signal)
    scheduler.start()
    logging.getLogger(__name__).info("schedule running: %d job(s) from %s (pid %d); SIGTERM or Ctrl-C stops it",
                                     len(scheduler.scheduled()), file, os.getpid())  # fmt: skip
    while not stop.wait(1.0):
        pass
    logging.getLogger(__name__).warning("%s received: stopping the schedule", signal.Signals(received[0]).name)
    scheduler.stop()
    raise typer.Exit(ExitCode.INTERRUPTED)


def crawl_job(
    job_name: Annotated[str, typer.Argument(metavar="JOB", help="A job of crawls.yaml.")],
    file: FileOption = Path("crawls.yaml"),
) -> None:
    """Run one job of crawls.yaml now, in this terminal; exit with the crawl's exit code.

    The crawl gets the job's arguments and settings, CRAWL_JOB=JOB and (unless the job says
    jobdir: false) JOBDIR=data/jobs/JOB, so a crawl stopped with Ctrl-C resumes where it stopped.
    Refused (exit 12) while the same job runs elsewhere (the schedule).

    Example:
      crawler crawl tiki-banned
    """
    from crawler.jobs.launch import JobRunning, after_crawl, job_lock, record_if_missing, start_crawl

    loaded = load_or_exit(file)
    job = loaded.jobs.get(job_name)
    if job is None:
        known = ", ".join(sorted(loaded.jobs)) or "none"
        raise fail(f"no job {safe_text(job_name)!r} in {file} (jobs: {known})", ExitCode.NOT_FOUND)
    try:
        with job_lock(job):
            err().print(Text(f"job {job.name}: scrapy crawl {job.spider} in {job.workdir}", style="bold"))
            started_at = datetime.now(UTC)
            process = start_crawl(job, new_session=True)  # Ctrl-C reaches it once: through us
            code = _wait_forwarding_signals(process)
            kept = after_crawl(job, code)
            record_if_missing(job, code, started_at)
    except JobRunning as exc:
        raise fail(str(exc), ExitCode.ALREADY_RUNNING) from exc
    err().print(Text(f"job {job.name}: exit {code}", style="green" if code == 0 else "red"))
    if kept:
        err().print(Text(f"job {job.name}: {kept}"))
    raise typer.Exit(code if code >= 0 else ExitCode.INTERRUPTED)


def _wait_forwarding_signals(process: subprocess.Popen[bytes]) -> int:
    """Wait for the crawl, passing Ctrl-C and SIGTERM on to it (a second Ctrl-C: Scrapy stops at once)."""

    def forward(signum: int, frame: object) -> None:
        if process.poll() is None:
            process.send_signal(signum)

    previous = {signum: signal.signal(signum, forward) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        while True:
            try:
                return process.wait()
            except InterruptedError:  # pragma: no cover - PEP 475 retries
                continue
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
