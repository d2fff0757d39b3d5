"""Jobs run for real: ``crawler crawl JOB`` and ``crawler schedule run`` start ``scrapy crawl`` processes
against the demo marketplace on 127.0.0.1, and their crawl-run records say how each ended.

- ``crawler crawl JOB`` exits with the crawl's code; the record carries the job, the causes derived at
  the end of the crawl (NO_LISTINGS), status, exit code and the audit head; a finished crawl clears its
  JOBDIR (the next run fetches again), a second start of a running job is refused (12).
- ``crawler schedule run`` with a job due every second whose crawl takes seconds: runs follow each other,
  never two at once; SIGTERM stops it cleanly (the running crawl is interrupted and recorded, exit 130).
- A run missed while no scheduler ran is caught up once at start, jobs due together start by priority.
- SIGTERM to `crawler crawl JOB` reaches the crawl once: it stops cleanly (130), keeps its JOBDIR.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from crawler.exit_codes import ExitCode
from crawler.jobs import load_jobs
from crawler.jobs.launch import job_lock
from crawler.store import open_store
from tests.mockserver import REPO

pytestmark = pytest.mark.slow


def jobs_file(tmp: Path, server: str, jobs: str, **settings: Any) -> Path:
    """A crawls.yaml in ``tmp`` whose crawls use the marketplace, a store, spool and evidence under ``tmp``."""
    common = {
        "PLATFORM_BASE_URLS": {"tiki": f"{server}/tiki", "tiki_api": f"{server}/tiki_api"},
        "ALLOWED_PRIVATE_HOSTS": "127.0.0.1", "STORE_URI": "sqlite:///data/store.sqlite3",
        "RULES_DIR": str(REPO / "rules"), "EVIDENCE_ENABLED": False, "AUTOTHROTTLE_ENABLED": False,
        "DOWNLOAD_DELAY": 0, "ROBOTSTXT_OBEY": False, "RETRY_TIMES": 0, "LOG_LEVEL": "INFO", **settings,
    }  # fmt: skip
    path = tmp / "crawls.yaml"
    path.write_text(f"settings: {json.dumps(common)}\njobs:\n{jobs}", encoding="utf-8")
    assert load_jobs(path).errors == []
    return path


def crawler_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "crawler.cli", *args]


def runs_of(tmp: Path, job: str | None = None) -> list[dict[str, Any]]:
    with open_store(f"sqlite:///{tmp / 'data' / 'store.sqlite3'}") as store:
        return list(reversed(store.recent_crawl_runs(limit=100, job=job)))


JOBS = """\
  found:
    spider: tiki
    keywords: [iphone]
    max_pages: 1
  nothing:
    spider: tiki
    keywords: khongcogi
  no-rules:
    spider: tiki
    keywords: iphone
    settings: {RULES_DIR: no-such-rules}
"""


def test_crawl_job_exits_with_the_crawls_code_and_records_the_run(server: str, tmp_path: Path) -> None:
    path = jobs_file(tmp_path, server, JOBS)
    run = subprocess.run(crawler_command("crawl", "nothing", "-c", str(path)), capture_output=True, text=True,
                         timeout=180, check=False)  # fmt: skip
    assert run.returncode == ExitCode.NO_LISTINGS, run.stderr[-3000:]
    (record,) = runs_of(tmp_path, "nothing")
    # derived at the end of the crawl (crawl_end), after the pipelines closed: in the record all the same
    # (the "No listings" monitor, run at spider_closed before the record, adds its own cause after it)
    assert record["causes"] == ["NO_LISTINGS: no listing came out of the crawl",
                                "MONITOR_FAILED: No listings: no listing came out of the crawl"]
    assert record["monitors"]["failed"] == ["No listings: no listing came out of the crawl"]
    assert sorted(record["stats"]["exit/causes"]) == sorted(record["causes"])  # the record: most serious first
    assert (record["status"], record["exit_code"], record["exit_name"]) == ("failed", 5, "NO_LISTINGS")
    assert record["spider"] == "tiki" and record["finish_reason"] == "finished"
    assert record["audit_head"] == "0:" + "0" * 64 and record["rules_version"]
    assert record["jobdir"] == str(tmp_path / "data" / "jobs" / "nothing") and record["pages"] >= 1
    assert record["http_status"].get("200", 0) >= 1 and record["run_id"]

    for attempt in (1, 2):  # a finished crawl clears its JOBDIR: the second run fetches everything again
        run = subprocess.run(crawler_command("crawl", "found", "-c", str(path)), capture_output=True, text=True,
                             timeout=180, check=False)  # fmt: skip
        assert run.returncode == 0, (attempt, run.stderr[-3000:])
    first, second = runs_of(tmp_path, "found")
    assert first["listings"]["scraped"] > 0 and second["listings"]["scraped"] == first["listings"]["scraped"]
    assert first["listings"]["new"] == first["listings"]["scraped"] and second["listings"]["new"] == 0
    assert second["listings"]["unchanged"] + second["listings"]["updated"] == second["listings"]["scraped"]
    assert (first["status"], first["exit_code"], first["causes"]) == ("ok", 0, [])
    assert not (tmp_path / "data" / "jobs" / "found").exists()

    job = load_jobs(path).jobs["found"]
    with job_lock(job):  # the schedule runs it now
        run = subprocess.run(crawler_command("crawl", "found", "-c", str(path)), capture_output=True, text=True,
                             timeout=60, check=False)  # fmt: skip
    assert run.returncode == ExitCode.ALREADY_RUNNING and "already running" in run.stderr
    run = subprocess.run(crawler_command("crawl", "nope", "-c", str(path)), capture_output=True, text=True,
                         timeout=60, check=False)  # fmt: skip
    assert run.returncode == ExitCode.NOT_FOUND and "jobs: found, no-rules, nothing" in " ".join(run.stderr.split())

    # a crawl that cannot start records no run itself: the launcher records it, so the history shows it
    run = subprocess.run(crawler_command("crawl", "no-rules", "-c", str(path)), capture_output=True, text=True,
                         timeout=180, check=False)  # fmt: skip
    assert run.returncode == ExitCode.RULES, run.stderr[-3000:]
    (record,) = runs_of(tmp_path, "no-rules")
    assert (record["status"], record["exit_code"], record["exit_name"]) == ("failed", 3, "RULES")
    assert record["causes"] == ["RULES: the crawl exited 3 before recording its run (see its log)"]


class Schedule:
    """``crawler schedule run`` in a subprocess; its log read as it grows; stopped by its PID."""

    def __init__(self, path: Path, *args: str) -> None:
        self.log = path.parent / "schedule.log"
        self.handle = self.log.open("wb")
        self.process = subprocess.Popen(crawler_command("schedule", "run", "-c", str(path), *args),
                                        stdout=self.handle, stderr=subprocess.STDOUT)  # fmt: skip

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_for(self, ready: Any, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.text()
            if ready(text):
                return text
            assert self.process.poll() is None, f"the schedule exited {self.process.returncode}:\n{text[-3000:]}"
            time.sleep(0.2)
        raise AssertionError(f"not seen in {timeout}s:\n{self.text()[-3000:]}")

    def stop(self, timeout: float = 90) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        finally:
            self.handle.close()


def events(text: str) -> list[tuple[str, str]]:
    """(job, "started"|"finished") in the order the schedule logged them."""
    return [(m.group(1), m.group(2)) for m in re.finditer(r"job (\S+): (started|finished)", text)]


def test_a_job_due_every_second_never_runs_twice_at_once_and_sigterm_stops_cleanly(
    server: str, tmp_path: Path
) -> None:
    slow = "    settings: {DOWNLOAD_DELAY: 0.5, CONCURRENT_REQUESTS: 1, LOG_LEVEL: DEBUG}\n"
    path = jobs_file(tmp_path, server, "  every-second:\n    spider: tiki\n    schedule: '* * * * * *'\n"
                                       "    keywords: [iphone]\n    max_pages: 1\n" + slow)  # fmt: skip
    schedule = Schedule(path)
    try:
        # two runs done and a third one fetching pages (past Scrapy's start): stop
        def third_crawling(text: str) -> bool:
            if [kind for _, kind in events(text)][-1:] != ["started"] or text.count("finished, exit") < 2:
                return False
            log = Path(re.findall(r"started scrapy crawl tiki \(pid \d+, log (\S+)\)", text)[-1])
            return log.exists() and "Crawled (200)" in log.read_text(encoding="utf-8", errors="replace")

        schedule.wait_for(third_crawling, timeout=240)
        code = schedule.stop()
    finally:
        schedule.stop()
    text = schedule.text()
    assert code == ExitCode.INTERRUPTED, text[-3000:]
    kinds = [kind for _, kind in events(text)]
    assert kinds == ["started", "finished"] * (len(kinds) // 2), text[-3000:]  # never two at once
    assert "due, but its last run is still running; skipped (never two at once)" in text
    assert "stopping: sent SIGTERM to 1 running crawl(s): every-second" in text
    assert "finished, exit 130 INTERRUPTED" in text and "JOBDIR" in text and "kept" in text
    runs = runs_of(tmp_path, "every-second")
    assert len(runs) == len(kinds) // 2 >= 3
    for before, after in itertools.pairwise(runs):
        assert before["finished_at"] <= after["started_at"]
    assert [run["exit_code"] for run in runs[:2]] == [0, 0]
    last = runs[-1]
    assert (last["exit_code"], last["finish_reason"], last["status"]) == (130, "shutdown", "failed")
    assert (tmp_path / "data" / "jobs" / "every-second").is_dir()  # the next run resumes the stopped crawl
    logs = sorted((tmp_path / "data" / "logs" / "every-second").glob("*.log"))
    assert len(logs) == len(runs) and "Crawl summary: tiki" in logs[0].read_text(encoding="utf-8")


def test_a_missed_run_is_caught_up_once_and_priority_orders_jobs_due_together(server: str, tmp_path: Path) -> None:
    jobs = ("  a-low:\n    spider: tiki\n    schedule: '0 * * * *'\n    priority: 1\n    keywords: [iphone]\n"
            "    max_pages: 1\n"
            "  z-high:\n    spider: tiki\n    schedule: '0 * * * *'\n    priority: 10\n    keywords: [iphone]\n"
            "    max_pages: 1\n"
            "  not-due:\n    spider: tiki\n    schedule: '59 23 31 12 *'\n    keywords: [iphone]\n")  # fmt: skip
    path = jobs_file(tmp_path, server, jobs)
    now = datetime.now(UTC)
    store_file = tmp_path / "data" / "store.sqlite3"
    store_file.parent.mkdir(parents=True)
    with open_store(f"sqlite:///{store_file}") as store:  # the last runs, before the machine was off
        for job, ago in (("a-low", timedelta(hours=3)), ("z-high", timedelta(hours=5)), ("not-due", timedelta(0))):
            store.record_crawl_run({"spider": "tiki", "job": job, "started_at": now - ago, "status": "ok"})
    schedule = Schedule(path, "--max-parallel", "1")
    try:
        schedule.wait_for(lambda text: text.count("finished, exit") >= 2, timeout=240)
        time.sleep(3.0)  # nothing more may start
        code = schedule.stop()
    finally:
        schedule.stop()
    text = schedule.text()
    assert code == ExitCode.INTERRUPTED, text[-3000:]
    assert events(text) == [("z-high", "started"), ("z-high", "finished"), ("a-low", "started"),
                            ("a-low", "finished")], text[-3000:]  # fmt: skip
    assert text.count("was missed; running it now (once)") == 2 and "not-due: the run due" not in text
    assert [run["job"] for run in runs_of(tmp_path) if run["started_at"] > now] == ["z-high", "a-low"]
    assert os.path.getsize(tmp_path / "data" / "store.sqlite3") > 0


def test_sigterm_to_crawl_job_stops_its_crawl_cleanly_and_keeps_its_jobdir(server: str, tmp_path: Path) -> None:
    slow = "    settings: {DOWNLOAD_DELAY: 0.5, CONCURRENT_REQUESTS: 1, LOG_LEVEL: DEBUG}\n"
    path = jobs_file(tmp_path, server, "  slow:\n    spider: tiki\n    keywords: [iphone]\n    max_pages: 1\n" + slow)
    log = tmp_path / "crawl.log"
    with log.open("wb") as handle:
        process = subprocess.Popen(crawler_command("crawl", "slow", "-c", str(path)), stdout=handle,
                                   stderr=subprocess.STDOUT)  # fmt: skip
        try:
            deadline = time.monotonic() + 180
            while "Crawled (200)" not in log.read_text(encoding="utf-8", errors="replace"):
                assert process.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
                time.sleep(0.2)
            process.send_signal(signal.SIGTERM)  # what systemd or kill sends: passed on to the crawl, once
            code = process.wait(120)
        finally:
            if process.poll() is None:
                process.kill()
    text = log.read_text(encoding="utf-8", errors="replace")
    assert code == ExitCode.INTERRUPTED, text[-3000:]
    assert "Received SIGTERM, shutting down gracefully" in text and "Send again to force" in text
    assert "JOBDIR" in text and "kept: the next run resumes this crawl" in " ".join(text.split())
    (record,) = runs_of(tmp_path, "slow")
    assert (record["exit_code"], record["finish_reason"]) == (130, "shutdown")
    assert (tmp_path / "data" / "jobs" / "slow" / "requests.seen").exists()
