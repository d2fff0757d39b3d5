"""``crawler schedule run``: every enabled job of ``crawls.yaml`` on its cron schedule (APScheduler 3).

- One crawl process per run (:mod:`crawler.jobs.launch`), each logging to ``data/logs/<job>/<time>.log``;
  at most ``max_parallel`` crawls at once.
- Never two runs of the same job at once: APScheduler's ``max_instances=1`` (a run due while the last
  one still runs is skipped, and logged), and the job's lock file against other processes.
- A missed run is caught up once: ``coalesce`` with no misfire limit while the scheduler runs (runs
  missed while it was blocked or the machine slept become one run), and at start, a job whose last
  recorded run (``crawl_runs``, by job name) is older than its latest due time runs once at once.
- Jobs due at the same time start highest ``priority`` first (APScheduler hands out due jobs in order
  of their id, which starts with the job's rank).
- :meth:`CrawlScheduler.stop` (SIGTERM, Ctrl-C) starts nothing new, sends SIGTERM to the running
  crawls (Scrapy closes them cleanly: what they scraped is stored, the run recorded as interrupted,
  ``JOBDIR`` lets the next run resume), waits ``stop_timeout`` seconds, then kills what is left.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, JobSubmissionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from crawler.exit_codes import ExitCode
from crawler.jobs.config import Job, JobsFile
from crawler.jobs.launch import JobRunning, after_crawl, job_lock, record_if_missing, run_log_path, start_crawl

logger = logging.getLogger(__name__)

LastRun = Callable[[Job], datetime | None]
"""When the job's latest recorded run started (None: never, or the history cannot be read)."""


def exit_label(code: int) -> str:
    """``0 OK``, ``5 NO_LISTINGS``, ``-9`` (killed by a signal)."""
    try:
        return f"{code} {ExitCode(code).name}"
    except ValueError:
        return str(code)


def missed_since(job: Job, last_start: datetime | None, now: datetime) -> datetime | None:
    """The first due time of ``job`` after its last run started, when that is already past (a run
    was missed while no scheduler ran); None otherwise."""
    trigger = job.trigger()
    if trigger is None or last_start is None:
        return None
    due = trigger.get_next_fire_time(None, last_start)
    return due if due is not None and due <= now else None


@dataclass
class Running:
    """A crawl the scheduler started and waits for."""

    job: str
    process: subprocess.Popen[bytes]
    started: float


class CrawlScheduler:
    """The jobs of one ``crawls.yaml`` on an APScheduler ``BackgroundScheduler``."""

    def __init__(
        self, jobs: JobsFile, *, max_parallel: int = 2, stop_timeout: float = 60.0, last_run: LastRun | None = None
    ) -> None:
        self.jobs = jobs
        self.max_parallel = max(1, max_parallel)
        self.stop_timeout = stop_timeout
        self.last_run = last_run
        self.running: dict[str, Running] = {}
        self.finished: list[tuple[str, int]] = []
        """(job, exit code) of every run, in the order they ended."""
        self._lock = threading.Lock()
        self._stopping = False
        zone = {"timezone": jobs.timezone} if jobs.timezone else {}  # default: the machine's (tzlocal)
        self.scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(self.max_parallel)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            **zone,
        )
        self.scheduler.add_listener(self._skipped, EVENT_JOB_MAX_INSTANCES)

    def scheduled(self) -> list[Job]:
        """The enabled jobs with a schedule, highest priority first."""
        return [job for job in self.jobs.ordered() if job.enabled and job.schedule]

    def start(self, now: datetime | None = None) -> None:
        """Add every scheduled job (catching up a missed run) and start the scheduler's thread."""
        now = now or datetime.now(UTC)
        for rank, job in enumerate(self.scheduled()):
            options: dict[str, Any] = {}
            missed = missed_since(job, self.last_run(job) if self.last_run else None, now)
            if missed is not None:
                logger.warning("job %s: the run due at %s was missed; running it now (once)", job.name,
                               missed.isoformat(timespec="seconds"))  # fmt: skip
                options["next_run_time"] = now
            self.scheduler.add_job(
                self._run, trigger=job.trigger(), args=[job], id=f"{rank:04d}:{job.name}", name=job.name, **options
            )
        self.scheduler.start()
        for job in self.scheduler.get_jobs():
            logger.info("job %s: next run %s", job.name, job.next_run_time.isoformat(timespec="seconds"))

    def next_run(self, name: str) -> datetime | None:
        """When the job runs next (None: not scheduled)."""
        for job in self.scheduler.get_jobs():
            if job.name == name:
                return job.next_run_time
        return None

    def _skipped(self, event: JobSubmissionEvent) -> None:
        name = event.job_id.split(":", 1)[-1]
        logger.warning("job %s: due, but its last run is still running; skipped (never two at once)", name)

    def _run(self, job: Job) -> None:
        """One run of ``job`` (an executor thread): start its crawl, wait, log how it ended."""
        if self._stopping:
            return
        try:
            with job_lock(job):
                log_file = run_log_path(job)
                started_at = datetime.now(UTC)
                with self._lock:
                    if self._stopping:
                        return
                    process = start_crawl(job, log_file=log_file, new_session=True, stdout=subprocess.DEVNULL)
                    self.running[job.name] = Running(job.name, process, time.monotonic())
                logger.info("job %s: started scrapy crawl %s (pid %d, log %s)", job.name, job.spider, process.pid,
                            log_file)  # fmt: skip
                code = process.wait()
                with self._lock:
                    run = self.running.pop(job.name)
                    self.finished.append((job.name, code))
                took = time.monotonic() - run.started
                log = logger.info if code == 0 else logger.error
                log("job %s: finished, exit %s, in %.1fs", job.name, exit_label(code), took)
                kept = after_crawl(job, code)
                if kept:
                    logger.info("job %s: %s", job.name, kept)
                if record_if_missing(job, code, started_at, log_file) is not None:
                    logger.warning("job %s: the crawl recorded no run; recorded it as exit %d", job.name, code)
        except JobRunning as exc:
            logger.warning("job %s: not started: %s", job.name, exc)
        except OSError as exc:
            logger.error("job %s: could not start its crawl: %s", job.name, exc)

    def stop(self) -> None:
        """Start nothing more; SIGTERM the running crawls, wait ``stop_timeout``, kill what is left."""
        with self._lock:
            self._stopping = True
            running = list(self.running.values())
        if self.scheduler.running:
            self.scheduler.pause()
        if running:
            names = ", ".join(f"{run.job} (pid {run.process.pid})" for run in running)
            logger.warning("stopping: sent SIGTERM to %d running crawl(s): %s; waiting up to %.0fs",
                           len(running), names, self.stop_timeout)  # fmt: skip
            for run in running:
                _signal(run.process, signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout
        for run in running:
            try:
                run.process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                logger.error("stopping: job %s (pid %d) did not stop in %.0fs; killed", run.job, run.process.pid,
                             self.stop_timeout)  # fmt: skip
                _signal(run.process, signal.SIGKILL)
                run.process.wait()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)  # the executor threads log how the crawls ended
        logger.info("stopped: %d run(s) done", len(self.finished))


def _signal(process: subprocess.Popen[bytes], signum: int) -> None:
    """Signal the crawl's process group (the crawl and anything it started, a browser)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)
