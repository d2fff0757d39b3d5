"""Start a job's crawl: one ``python -m scrapy crawl`` process, never two of the same job at once.

The crawl is the project's own ``scrapy crawl`` (:mod:`crawler.scrapy_commands.crawl`), so its exit
code is the crawl's (see :mod:`crawler.exit_codes`). It runs in the folder of ``crawls.yaml`` with
``SCRAPY_SETTINGS_MODULE=crawler.settings``, the job's spider arguments (``-a``) and settings (``-s``,
``CRAWL_JOB=<job>`` and ``JOBDIR`` among them). The command is an argument list, never a shell line.

A job holds an exclusive ``flock`` on ``data/jobs/<job>.lock`` while its crawl runs: a second start
of the same job (the schedule, ``crawler crawl JOB``, another scheduler) is refused with
:class:`JobRunning`.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from crawler.crawl_process import PROJECT_ROOT, crawl_command
from crawler.exit_codes import ExitCode
from crawler.jobs.config import DEFAULT_JOBDIR_ROOT, DEFAULT_LOG_DIR, Job

logger = logging.getLogger(__name__)


class JobRunning(RuntimeError):
    """The job's crawl is already running (its lock is held)."""


def lock_path(job: Job) -> Path:
    """``data/jobs/<job>.lock`` in the job's folder."""
    return job.workdir / DEFAULT_JOBDIR_ROOT / f"{job.name}.lock"


@contextlib.contextmanager
def job_lock(job: Job) -> Iterator[Path]:
    """Hold the job's lock for the ``with`` block; :class:`JobRunning` when another process holds it."""
    path = lock_path(job)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o640)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "another process"
            raise JobRunning(f"job {job.name} is already running (pid {holder}; lock {path})") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield path
    finally:
        os.close(fd)


def crawl_environment(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The crawl's environment: ours, the project's settings module, the project on ``PYTHONPATH``."""
    env = dict(os.environ if base is None else base)
    env["SCRAPY_SETTINGS_MODULE"] = "crawler.settings"
    paths = [str(PROJECT_ROOT), *(part for part in env.get("PYTHONPATH", "").split(os.pathsep) if part)]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    return env


def job_command(job: Job, extra_settings: Mapping[str, str] | None = None) -> list[str]:
    """``python -m scrapy crawl SPIDER -a … -s …`` for ``job``."""
    settings = {**job.settings, **(extra_settings or {}), "CRAWL_JOB": job.name}
    return crawl_command(job.spider, job.spider_args, settings)


def run_log_path(job: Job, now: datetime | None = None) -> Path:
    """Where a scheduled run logs: ``data/logs/<job>/<time>.log`` in the job's folder."""
    moment = now or datetime.now(UTC)
    return job.workdir / DEFAULT_LOG_DIR / job.name / f"{moment:%Y%m%dT%H%M%S}.log"


RESUMABLE_EXITS = frozenset({int(ExitCode.INTERRUPTED), int(ExitCode.DATA_LOST)})
"""Exits of a crawl stopped before its end: its ``JOBDIR`` is kept, so the next run resumes it."""


def after_crawl(job: Job, code: int) -> str | None:
    """Keep or clear the job's ``JOBDIR`` after its crawl exited with ``code``; what was done, for the log.

    Scrapy's ``JOBDIR`` is one crawl's pause-and-resume state, seen requests included: a crawl that came
    to its end must not leave it, or the next scheduled run would skip every page it already fetched. A
    crawl stopped before its end (SIGTERM, Ctrl-C, killed, a full disk) leaves it, and the next run
    (scheduled, or ``crawler crawl JOB``) resumes where it stopped.
    """
    if job.jobdir is None or not job.jobdir.exists():
        return None
    if code < 0 or code in RESUMABLE_EXITS:
        return f"JOBDIR {job.jobdir} kept: the next run resumes this crawl"
    shutil.rmtree(job.jobdir, ignore_errors=True)
    return None


def job_store_uri(job: Job, option: str | None = None) -> str:
    """The store a job's crawls write to: ``option`` (``--store``), else the job's ``STORE_URI``, else
    ``$STORE_URI`` or the default; a relative SQLite path is taken from the job's folder."""
    from crawler.store.uri import resolve_uri

    uri = option or job.store_uri or resolve_uri(None)
    prefix = "sqlite:///"
    if uri.startswith(prefix) and not uri.startswith(prefix + "/") and ":memory:" not in uri:
        return prefix + str((job.workdir / uri[len(prefix) :]).resolve())
    return uri


def record_if_missing(job: Job, code: int, started_at: datetime, log_file: Path | None = None) -> dict[str, Any] | None:
    """Record the run of a crawl that exited without recording it (it could not start: a rule file
    error, a bad argument; or it was killed before its spider opened), so that the run history and
    ``crawler schedule list`` show every run. The record made, or None (the crawl recorded itself, or
    the store cannot be read: logged)."""
    from crawler.run_record import new_run_id
    from crawler.store import StoreError, open_store

    try:
        with open_store(job_store_uri(job), create=True) as store:
            if store.recent_crawl_runs(limit=1, job=job.name, since=started_at):
                return None
            try:
                name = ExitCode(code).name
            except ValueError:
                name = f"SIGNAL_{-code}" if code < 0 else "ERROR"
            cause = f"{name}: the crawl exited {code} before recording its run" + (
                f" (see {log_file})" if log_file else " (see its log)"
            )
            record = {
                "run_id": new_run_id(started_at), "spider": job.spider, "job": job.name, "started_at": started_at,
                "finished_at": datetime.now(UTC), "status": "failed" if code else "ok", "exit_code": code,
                "exit_name": name, "causes": [cause] if code else [], "finish_reason": None,
                "log_file": None if log_file is None else str(log_file), "stats": {}, "errors": [],
            }  # fmt: skip
            store.record_crawl_run(record)
            return record
    except StoreError as exc:
        logger.error("job %s: the run that exited %d could not be recorded: %s", job.name, code, exc)
        return None


def start_crawl(
    job: Job, *, log_file: Path | None = None, new_session: bool = False, stdout: IO[Any] | int | None = None
) -> subprocess.Popen[bytes]:
    """Start the job's crawl process (the caller holds the job's lock). ``log_file``: the crawl logs
    there (``LOG_FILE``) unless the job sets its own; ``new_session``: its own process group, so that
    a Ctrl-C at the scheduler's terminal reaches the scheduler only (it stops the crawls itself)."""
    extra: dict[str, str] = {}
    if log_file is not None and "LOG_FILE" not in job.settings:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        extra["LOG_FILE"] = str(log_file)
    if job.jobdir is not None:
        job.jobdir.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        job_command(job, extra), cwd=job.workdir, env=crawl_environment(), start_new_session=new_session,
        stdout=stdout, stdin=subprocess.DEVNULL,
    )
