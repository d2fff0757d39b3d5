"""``scrapy crawl`` and the ``crawler`` commands exit with the code of what went wrong (crawler/exit_codes.py).

Crawls run as subprocesses (the project's own ``crawl`` command, COMMANDS_MODULE) against the mock
server on 127.0.0.1, with the real pipelines and a store in a temporary directory.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from scrapy.utils.test import get_crawler
from typer.testing import CliRunner

from crawler.cli import app
from crawler.exit_codes import ExitCode
from crawler.store import StoreNotFound, open_store
from spiders.platforms import HOST_KEYS, PlatformUrlsError
from spiders.tiki import TikiSpider
from tests.mockserver import REPO
from tests.mongo_server import free_port
from tests.test_rules_file_errors import broken_rules

pytestmark = pytest.mark.slow


def scrapy_crawl(
    spider: str, tmp: Path, *args: str, bases: dict[str, str] | None = None, env: dict[str, str] | None = None,
    **settings: str,
) -> subprocess.CompletedProcess[str]:
    """``scrapy crawl SPIDER`` with the pipelines, a store and evidence under ``tmp``; stderr is its log."""
    chosen = {
        "STORE_URI": f"sqlite:///{tmp / 'crawl.sqlite3'}", "EVIDENCE_DIR": str(tmp / "evidence"),
        "SPOOL_DIR": str(tmp / "spool"), "AUTOTHROTTLE_ENABLED": "0", "DOWNLOAD_DELAY": "0", "RETRY_TIMES": "0",
        "ROBOTSTXT_OBEY": "0", "LOG_LEVEL": "INFO", **settings,
    }
    if bases is not None:
        chosen["PLATFORM_BASE_URLS"] = json.dumps(bases)
    command = [sys.executable, "-m", "scrapy", "crawl", spider, *args]
    for name, value in chosen.items():
        command += ["-s", f"{name}={value}"]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=180, check=False,
                          env=dict(os.environ, **(env or {})))


def tiki_on(base: str) -> dict[str, str]:
    return {"tiki": f"{base}/tiki", "tiki_api": f"{base}/tiki_api"}


def last_summary(log: str) -> str:
    """The end-of-crawl summary, which must be the log's last block."""
    start = log.rfind("Crawl summary: ")
    assert start != -1, log[-3000:]
    assert "Dumping Scrapy stats" not in log[start:], "the summary comes after the stats dump"
    return log[start:]


def test_every_request_404_exits_too_many_errors(server: str, tmp_path: Path) -> None:
    result = scrapy_crawl("tiki", tmp_path, "-a", "keywords=iphone,airpods", bases=tiki_on(f"{server}/nowhere"))
    assert result.returncode == ExitCode.TOO_MANY_ERRORS, result.stderr[-3000:]
    summary = last_summary(result.stderr)
    assert "errors: HTTP 404 2" in summary
    assert "exit: 6 TOO_MANY_ERRORS" in summary and "NO_LISTINGS" in summary


def test_unreachable_host_exits_too_many_errors(tmp_path: Path) -> None:
    base = f"http://127.0.0.1:{free_port()}"
    result = scrapy_crawl("tiki", tmp_path, "-a", "keywords=iphone", bases=tiki_on(base))
    assert result.returncode == ExitCode.TOO_MANY_ERRORS, result.stderr[-3000:]
    assert "ConnectionRefusedError) 1" in last_summary(result.stderr)  # no response (Download…Error)


def test_no_listing_exits_no_listings(server: str, tmp_path: Path) -> None:
    result = scrapy_crawl("tiki", tmp_path, "-a", "keywords=khongcogi", bases=tiki_on(server))
    assert result.returncode == ExitCode.NO_LISTINGS, result.stderr[-3000:]
    summary = last_summary(result.stderr)
    assert "pages: 1 fetched" in summary and "errors: none" in summary
    assert "exit: 5 NO_LISTINGS: no listing came out of the crawl" in summary


def test_a_good_crawl_exits_0(server: str, tmp_path: Path) -> None:
    result = scrapy_crawl("tiki", tmp_path, "-a", "keywords=airpods", bases=tiki_on(server))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "exit: 0 OK" in last_summary(result.stderr)


def test_store_unreachable_spools_and_exits_store_unreachable(server: str, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the store's directory should be")
    result = scrapy_crawl("tiki", tmp_path, "-a", "keywords=airpods", bases=tiki_on(server),
                          STORE_URI=f"sqlite:///{blocker / 'store.sqlite3'}")
    assert result.returncode == ExitCode.STORE_UNREACHABLE, result.stderr[-3000:]
    summary = last_summary(result.stderr)
    spooled = list((tmp_path / "spool").glob("tiki-*.jsonl"))
    assert spooled and f"spool: {spooled[0]}" in summary
    assert "exit: 4 STORE_UNREACHABLE" in summary


def test_rule_file_error_stops_the_crawl_with_exit_rules(server: str, tmp_path: Path) -> None:
    rules, line = broken_rules(tmp_path / "rules")
    result = scrapy_crawl("tiki", tmp_path, "-a", "keywords=airpods", bases=tiki_on(server), RULES_DIR=str(rules))
    assert result.returncode == ExitCode.RULES, result.stderr[-3000:]
    assert f"brands.yaml:{line}: YAML syntax error" in result.stderr
    assert "Traceback" not in result.stderr and "exit: 3 RULES" in result.stderr
    assert not (tmp_path / "crawl.sqlite3").exists(), "nothing was crawled"
    allowed = scrapy_crawl("tiki", tmp_path, "-a", "keywords=airpods", bases=tiki_on(server), RULES_DIR=str(rules),
                           env={"RULES_ALLOW_ERRORS": "1"})
    assert allowed.returncode == 0, allowed.stderr[-3000:]
    assert f"brands.yaml:{line}: YAML syntax error" in allowed.stderr


def test_unknown_platform_base_urls_key_is_an_error(server: str, tmp_path: Path) -> None:
    result = scrapy_crawl("tiki", tmp_path, "-a", "keywords=airpods", bases={"tikki": f"{server}/tiki"})
    assert result.returncode == ExitCode.USAGE, result.stderr[-3000:]
    assert "unknown key(s) 'tikki'" in result.stderr and "known keys: " in result.stderr
    assert "Traceback" not in result.stderr and "Crawled (" not in result.stderr  # not one request
    with pytest.raises(PlatformUrlsError, match=r"'tikki'.*known keys: .*\btiki\b.*\btiki_api\b"):
        TikiSpider.from_crawler(get_crawler(TikiSpider, {"PLATFORM_BASE_URLS": {"tikki": "http://127.0.0.1:9"}}))
    from crawler import settings

    assert set(settings.PLATFORM_BASE_URLS) <= set(HOST_KEYS)  # every default host is a known key


def test_sigterm_exits_interrupted(server: str, tmp_path: Path) -> None:
    log = tmp_path / "crawl.log"
    command = [
        sys.executable, "-m", "scrapy", "crawl", "tiki", "-a", "keywords=*",
        "-s", f"PLATFORM_BASE_URLS={json.dumps(tiki_on(server))}",
        "-s", f"STORE_URI=sqlite:///{tmp_path / 's.sqlite3'}", "-s", f"EVIDENCE_DIR={tmp_path / 'ev'}",
        "-s", f"SPOOL_DIR={tmp_path / 'spool'}", "-s", "AUTOTHROTTLE_ENABLED=0",
        "-s", "DOWNLOAD_DELAY=2", "-s", "ROBOTSTXT_OBEY=0", "-s", f"LOG_FILE={log}", "-s", "LOG_LEVEL=DEBUG",
    ]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while "Crawled (200)" not in (log.read_text() if log.exists() else ""):
            assert time.monotonic() < deadline and process.poll() is None, "the crawl did not start"
            time.sleep(0.2)
        process.send_signal(signal.SIGTERM)
        returncode = process.wait(60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert returncode == ExitCode.INTERRUPTED, log.read_text()[-3000:]
    assert "exit: 130 INTERRUPTED" in last_summary(log.read_text())


def _cli(*args: str, **env: str) -> tuple[int, str]:
    result = CliRunner(env={"COLUMNS": "250", **env}).invoke(app, list(args))
    return result.exit_code, result.output


def test_read_only_commands_never_create_a_store(tmp_path: Path) -> None:
    typo = tmp_path / "data" / "crawler.sqlite"
    code, output = _cli("flags", "list", "--store", f"sqlite:///{typo}")
    assert code == ExitCode.NOT_FOUND, output
    assert "no store at" in output and "crawler.sqlite" in output and "No flagged listings" not in output
    assert not typo.exists() and not typo.parent.exists()
    export = ("export", "--format", "csv", "--out", str(tmp_path / "x.csv"))
    for args in (("sellers", "top"), export, ("audit", "verify")):
        code, output = _cli(*args, "--store", f"sqlite:///{typo}")
        assert code == ExitCode.NOT_FOUND, (args, output)
    assert not typo.exists()
    with pytest.raises(StoreNotFound):
        open_store(f"sqlite:///{typo}", create=False)
    with open_store(f"sqlite:///{typo}") as store:  # writers (crawls, import, demo) still create it
        assert store.count_listings() == 0
    assert typo.exists()
    code, output = _cli("flags", "list", "--store", f"sqlite:///{typo}")
    assert code == 0 and "No flagged listings" in output


def test_store_import_still_creates_its_store(tmp_path: Path) -> None:
    listing = {"platform": "tiki", "listing_id": "1", "url": "https://tiki.vn/p1", "title": "Áo thun"}
    spool = tmp_path / "spool.jsonl"
    spool.write_text(json.dumps(listing) + "\n", encoding="utf-8")
    target = tmp_path / "new" / "store.sqlite3"
    code, output = _cli("store", "import", str(spool), "--store", f"sqlite:///{target}")
    assert code == 0, output
    assert target.exists()


def test_a_crawler_command_stopped_by_sigterm_exits_interrupted(tmp_path: Path) -> None:
    fifo = tmp_path / "listings.jsonl"
    os.mkfifo(fifo)
    process = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "detect", "--input", str(fifo), "--rules", str(REPO / "rules")],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        with fifo.open("w", encoding="utf-8") as writer:  # returns once the command has opened its input
            writer.write('{"platform": "tiki", "listing_id": "1", "url": "https://tiki.vn/p1", "title": "Áo"}\n')
            writer.flush()
            time.sleep(0.5)
            process.send_signal(signal.SIGTERM)
            _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == ExitCode.INTERRUPTED, stderr[-2000:]
    assert "interrupted (SIGTERM)" in stderr and "Traceback" not in stderr
