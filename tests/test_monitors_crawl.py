"""End to end: `scrapy crawl tiki` against the demo marketplace with every pipeline and the end-of-crawl
monitors, alerts going to a webhook and an SMTP server the test runs on 127.0.0.1.

(a) a good crawl: every monitor passes, exit 0, no alert; (b) the marketplace returns empty lists: the
"No listings" monitor fails, the exit is NO_LISTINGS (5, more serious than MONITOR_FAILED) and both
alerts arrive; (c) a job's history of full crawls, then a crawl with few listings and one where the
platform stopped sending the origin: the drop monitors fail, exit MONITOR_FAILED (11).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from crawler.demo.marketplace import DEFAULT_DATA
from crawler.exit_codes import ExitCode
from tests.alert_servers import NO_TLS_WARNING, SmtpServer, WebhookServer
from tests.mockserver import MockServer
from tests.test_cli_exit_codes import last_summary, scrapy_crawl, tiki_on

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings(NO_TLS_WARNING)]


def alerting(hook: WebhookServer, smtp: SmtpServer) -> dict[str, str]:
    return {"ALERT_WEBHOOK_URL": hook.url, "ALERT_SMTP_HOST": "127.0.0.1", "ALERT_SMTP_PORT": str(smtp.port),
            "ALERT_SMTP_FROM": "crawler@example.org", "ALERT_SMTP_TO": "ops@example.org",
            "ALERT_SMTP_USER": "ops", "ALERT_SMTP_PASSWORD": "s3cret"}  # fmt: skip


def test_a_good_crawl_passes_its_monitors_and_alerts_nobody(server: str, tmp_path: Path) -> None:
    with WebhookServer() as hook, SmtpServer(user="ops", password="s3cret") as smtp:
        result = scrapy_crawl("tiki", tmp_path, "-a", "keywords=*", bases=tiki_on(server), **alerting(hook, smtp))
    assert result.returncode == 0, result.stderr[-3000:]
    summary = last_summary(result.stderr)
    assert "  monitors: 11 passed, 0 failed" in summary and "exit: 0 OK" in summary
    assert "not compared" in result.stderr  # the first run of its job: nothing to compare with, said so
    assert not hook.posts and not smtp.messages


def test_empty_lists_fail_no_listings_and_alert(server: str, tmp_path: Path) -> None:
    with WebhookServer() as hook, SmtpServer(user="ops", password="s3cret") as smtp:
        result = scrapy_crawl("tiki", tmp_path, "-a", "keywords=khongcogi", bases=tiki_on(server),
                              **alerting(hook, smtp))  # fmt: skip
    assert result.returncode == ExitCode.NO_LISTINGS, result.stderr[-3000:]
    assert "ERROR: monitor failed: No listings: no listing came out of the crawl" in result.stderr
    summary = last_summary(result.stderr)
    assert "exit: 5 NO_LISTINGS: no listing came out of the crawl; MONITOR_FAILED: No listings:" in summary
    (_, _, body), = hook.posts
    assert body["failed"] == ["No listings: no listing came out of the crawl"]
    assert body["job"] == "tiki" and body["counts"]["pages"] == 1
    message, = smtp.messages
    assert message["Subject"] == "[listing-monitor] tiki: 1 monitor failed"
    assert "FAILED No listings: no listing came out of the crawl" in message.get_payload(decode=True).decode()
    assert "alert sent by webhook" in result.stderr and "alert sent by email" in result.stderr


def _without_origin(path: Path) -> Path:
    """The demo data with no Tiki listing carrying an origin (a platform that stopped sending it)."""
    records = [json.loads(line) for line in DEFAULT_DATA.read_text(encoding="utf-8").splitlines() if line]
    for record in records:
        if record["platform"] == "tiki":
            record["origin"] = None
    path.write_text("".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records), encoding="utf-8")
    return path


def _failed(result: Any) -> list[str]:
    return [line.split("ERROR: monitor failed: ", 1)[1] for line in result.stderr.splitlines()
            if "ERROR: monitor failed: " in line]  # fmt: skip


def test_drops_against_the_jobs_history_fail(server: str, tmp_path: Path) -> None:
    job = {"CRAWL_JOB": "tiki-all", "MONITOR_MIN_HISTORY": "1"}
    full = scrapy_crawl("tiki", tmp_path, "-a", "keywords=*", bases=tiki_on(server), **job)
    assert full.returncode == 0, full.stderr[-3000:]

    with WebhookServer() as hook, SmtpServer(user="ops", password="s3cret") as smtp:
        few = scrapy_crawl("tiki", tmp_path, "-a", "keywords=airpods", bases=tiki_on(server), **job,
                           **alerting(hook, smtp))  # fmt: skip
    assert few.returncode == ExitCode.MONITOR_FAILED, few.stderr[-3000:]
    failed, = _failed(few)
    assert failed.startswith("Listing count against history: ")
    assert "against a median of 95 over the job's last 1 runs (under MONITOR_MIN_LISTINGS_RATIO 0.5 of it)" in failed
    assert "exit: 11 MONITOR_FAILED: Listing count against history" in last_summary(few.stderr)
    assert [body["failed"] for _, _, body in hook.posts] == [[failed]] and len(smtp.messages) == 1

    with MockServer(data=_without_origin(tmp_path / "no-origin.jsonl")) as changed:
        no_origin = scrapy_crawl("tiki", tmp_path, "-a", "keywords=*", bases=tiki_on(changed), **job)
    assert no_origin.returncode == ExitCode.MONITOR_FAILED, no_origin.stderr[-3000:]
    # the few-listings run is too small to compare coverage with: the full run is the history
    assert _failed(no_origin) == [
        "Field coverage: origin: origin on 0% of 95 listings, against 82% (median of the job's last 1 runs); "
        "a drop over MONITOR_MAX_COVERAGE_DROP 0.2"
    ]
