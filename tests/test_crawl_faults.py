"""Real `scrapy crawl tiki` runs against the demo marketplace under faults, with every pipeline on.

Each test counts the listings the crawl scraped (the DEBUG log's "Scraped from" lines: each comes
after every pipeline took the item) and checks they are all stored, spooled or journaled:
SIGKILL mid-crawl then a re-run, the store down then `crawler store import`, a full disk.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crawler.cli import app
from crawler.spool import JOURNAL_SUFFIX
from crawler.store import open_store
from tests.mockserver import REPO
from tests.spider_runs import store_crawl_command

pytestmark = pytest.mark.slow

SCRAPED = re.compile(r"Scraped from <\d+ [^>]*>\s*\n\{'platform': 'tiki', 'listing_id': '([^']+)'")


def _command(base_url: str, workdir: Path, store_uri: str, *settings: str) -> list[str]:
    return store_crawl_command("tiki", base_url, workdir, {"STORE_URI": store_uri, "LOG_LEVEL": "DEBUG"}, *settings)


def _scraped(log: str) -> set[str]:
    return set(SCRAPED.findall(log))


def _stored(uri: str) -> set[str]:
    with open_store(uri) as store:
        return {listing.listing_id for listing in store.iter_listings()}


def _lines(paths: list[Path]) -> list[dict[str, object]]:
    return [json.loads(line) for path in paths for line in path.read_text(encoding="utf-8").splitlines() if line]


def _journaled(spool: Path) -> set[str]:
    return {str(r["listing_id"]) for r in _lines(sorted(spool.glob("*" + JOURNAL_SUFFIX)))}


def _spool_files(spool: Path) -> list[Path]:
    return sorted(p for p in spool.glob("*.jsonl") if not p.name.endswith(JOURNAL_SUFFIX))


def _spooled(spool: Path) -> set[str]:
    return {str(r["listing_id"]) for r in _lines(_spool_files(spool)) if "_record" not in r}


def test_sigkill_mid_crawl_loses_nothing_and_the_next_run_loads_the_journal(server: str, tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    log_path = tmp_path / "killed.log"
    # batches of 500 and no timed flush: before this change, everything scraped so far was in memory only
    command = _command(server, tmp_path, uri, "STORE_BATCH_SIZE=500", "STORE_FLUSH_SECONDS=0",
                       "CONCURRENT_REQUESTS=2", "DOWNLOAD_DELAY=0.05")  # fmt: skip
    with log_path.open("w") as log:
        process = subprocess.Popen(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while len(_scraped(log_path.read_text(errors="replace"))) < 30 and process.poll() is None:
            assert time.monotonic() < deadline, "the crawl scraped too little too slowly"
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)  # as the OOM killer or `docker kill` does
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL, "the crawl ended before it could be killed mid-way"
    scraped = _scraped(log_path.read_text(errors="replace"))
    journaled = _journaled(tmp_path / "spool")
    stored = _stored(uri) if (tmp_path / "store.sqlite3").exists() else set()
    print(f"SIGKILL: {len(scraped)} scraped, {len(stored)} stored, {len(journaled)} journaled")
    assert 30 <= len(scraped) < 95
    assert scraped <= stored | journaled, f"lost to SIGKILL: {sorted(scraped - stored - journaled)}"

    rerun = subprocess.run(_command(server, tmp_path, uri, "STORE_BATCH_SIZE=20"), cwd=REPO,
                           capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert f"'store/recovered': {len(journaled)}" in rerun.stderr
    assert "an interrupted run left" in rerun.stderr
    assert not list((tmp_path / "spool").glob("*" + JOURNAL_SUFFIX))
    assert scraped <= _stored(uri) and len(_stored(uri)) == 95


def test_store_down_spools_everything_and_import_restores_the_same_store(server: str, tmp_path: Path) -> None:
    """Store unreachable for a whole crawl: listings, re-judged flags and the run are spooled; imported,
    the store holds what a crawl with the store up holds (the same flags per kind)."""
    up_uri = f"sqlite:///{tmp_path / 'up.sqlite3'}"
    up = subprocess.run(_command(server, tmp_path / "up", up_uri), cwd=REPO, capture_output=True, text=True,
                        timeout=300, check=False)  # fmt: skip
    assert up.returncode == 0, up.stderr[-3000:]
    with open_store(up_uri) as store:
        wanted = store.count_flagged_by_kind()

    down_uri = "mongodb://127.0.0.1:9/listing_monitor?serverSelectionTimeoutMS=300"
    down = subprocess.run(_command(server, tmp_path / "down", down_uri), cwd=REPO, capture_output=True, text=True,
                          timeout=300, check=False)  # fmt: skip
    scraped = _scraped(down.stderr)
    spool = tmp_path / "down" / "spool"
    assert len(scraped) == 95 and _spooled(spool) == scraped  # 95 in = 0 stored + 95 spooled
    assert "STORE_UNREACHABLE" in down.stderr and str(_spool_files(spool)[0]) in down.stderr
    assert not list(spool.glob("*" + JOURNAL_SUFFIX))

    imported = f"sqlite:///{tmp_path / 'imported.sqlite3'}"
    result = CliRunner().invoke(app, ["store", "import", str(_spool_files(spool)[0]), "--store", imported])
    assert result.exit_code == 0, result.output
    assert _stored(imported) == scraped
    with open_store(imported) as store:
        assert store.count_flagged_by_kind() == wanted
        assert [run["spider"] for run in store.recent_crawl_runs()] == ["tiki"]


def _can_mount_tmpfs(tmp_path: Path) -> str | None:
    """Why a private small tmpfs cannot be mounted here (None when it can)."""
    if shutil.which("unshare") is None:
        return "no unshare command"
    probe = tmp_path / "probe"
    probe.mkdir()
    result = subprocess.run(["unshare", "-m", "sh", "-c", f"mount -t tmpfs -o size=64k tmpfs {probe}"],
                            capture_output=True, text=True, check=False)  # fmt: skip
    return None if result.returncode == 0 else f"cannot mount a private tmpfs: {result.stderr.strip()}"


def test_a_full_disk_stops_the_crawl_and_every_listing_is_accounted_for(server: str, tmp_path: Path) -> None:
    """Store and spool on a 1000 KiB filesystem (a private tmpfs): the crawl stops with DATA_LOST, the
    log names "database or disk is full", and scraped = stored + spooled + journaled + lost."""
    reason = _can_mount_tmpfs(tmp_path)
    if reason:
        print(f"SKIP: {reason}")
        pytest.skip(reason)
    small, kept = tmp_path / "small", tmp_path / "kept"
    small.mkdir()
    kept.mkdir()
    uri = f"sqlite:///{small / 'store.sqlite3'}"
    crawl = " ".join(f"'{part}'" for part in _command(server, small, uri, "STORE_BATCH_SIZE=10"))
    script = f"mount -t tmpfs -o size=1000k tmpfs {small} && {crawl}; rc=$?; cp -a {small}/. {kept}/; exit $rc"
    result = subprocess.run(["unshare", "-m", "sh", "-c", script], cwd=REPO, capture_output=True, text=True,
                            timeout=300, check=False)  # fmt: skip
    log = result.stderr
    scraped = _scraped(log)
    assert scraped, log[-3000:]
    assert "'finish_reason': 'spool_write_failed'" in log
    assert "DATA_LOST" in log and "No space left on device" in log
    assert "cannot rollback" not in log
    stored = _stored(f"sqlite:///{kept / 'store.sqlite3'}")
    spooled = _spooled(kept / "spool")
    journaled = _journaled(kept / "spool")
    lost = int(re.search(r"'store/lost': (\d+)", log).group(1)) if "'store/lost'" in log else 0  # type: ignore[union-attr]
    print(f"full disk: {len(scraped)} scraped = {len(stored)} stored + {len(spooled)} spooled"
          f" + {len(journaled - stored - spooled)} only journaled + {lost} lost")  # fmt: skip
    assert len(scraped) < 95  # stopped early
    assert len(scraped - stored - spooled - journaled) == lost
