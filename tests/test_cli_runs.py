"""``crawler runs`` and ``crawler runs show``: the crawl-run history, filtered, as a table, JSON, one run."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crawler.cli import app
from crawler.commands.runs import parse_since
from crawler.exit_codes import ExitCode
from crawler.review.filters import FilterError
from crawler.run_record import build_run_record
from crawler.store import open_store

T0 = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)


def _stats(**extra: object) -> dict[str, object]:
    return {"finish_reason": "finished", "elapsed_time_seconds": 42.0, "crawl/pages": 12, "item_scraped_count": 30,
            "store/inserted": 20, "store/updated": 6, "store/unchanged": 4, "spider/tiki/partial": 2,
            "detect/flagged/banned": 3, "downloader/response_status_count/200": 12,
            "detect/rules_version": "r-1", **extra}  # fmt: skip


@pytest.fixture
def store_uri(tmp_path: Path) -> str:
    uri = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    records = [
        build_run_record(_stats(), spider="tiki", job="tiki-daily", started_at=T0,
                         finished_at=T0 + timedelta(minutes=1), run_id="run-ok", audit_head="0:" + "0" * 64),
        build_run_record(_stats(**{"exit/causes": ["NO_LISTINGS: no listing came out of the crawl"],
                                   "item_scraped_count": 0, "monitors/failed": ["listings: 0 < 10 \x1b[31m"],
                                   "monitors/passed": 4}),
                         spider="sendo", job="sendo-hourly", started_at=T0 + timedelta(hours=2),
                         finished_at=T0 + timedelta(hours=2, minutes=1), run_id="run-bad",
                         errors=["spiders.sendo: https://x/\u202eevil: HTTP 503"]),
        build_run_record(_stats(), spider="tiki", started_at=T0 - timedelta(days=3),
                         finished_at=T0 - timedelta(days=3) + timedelta(minutes=1), run_id="run-hand"),
    ]  # fmt: skip
    with open_store(uri) as store:
        for record in records:
            store.record_crawl_run(record)
    return uri


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "250"})
    return result.exit_code, result.output


def test_runs_lists_newest_first_and_filters(store_uri: str) -> None:
    code, output = _invoke("runs", "--store", store_uri)
    assert code == 0, output
    assert output.index("run-bad") < output.index("run-ok") < output.index("run-hand")
    assert "failed (5)" in output and "NO_LISTINGS: no listing came out" in output
    assert "30 (new 20, upd 6, same 4, partial 2)" in output and "banned 3" in output
    code, output = _invoke("runs", "--store", store_uri, "--failed")
    assert code == 0 and "run-bad" in output and "run-ok" not in output
    code, output = _invoke("runs", "--store", store_uri, "--spider", "tiki", "-f", "json")
    assert code == 0
    assert [json.loads(line)["run_id"] for line in output.splitlines()] == ["run-ok", "run-hand"]
    code, output = _invoke("runs", "--store", store_uri, "--job", "tiki-daily", "-f", "json")
    assert [json.loads(line)["run_id"] for line in output.splitlines()] == ["run-ok"]
    code, output = _invoke("runs", "--store", store_uri, "--since", "2026-03-01", "-f", "json")
    assert [json.loads(line)["run_id"] for line in output.splitlines()] == ["run-bad", "run-ok"]
    code, output = _invoke("runs", "--store", store_uri, "--job", "nope")
    assert code == 0 and "No crawl runs match" in output


def test_runs_refuses_a_wrong_since_or_format(store_uri: str) -> None:
    code, output = _invoke("runs", "--store", store_uri, "--since", "last tuesday")
    assert code == ExitCode.USAGE and "12h, 7d" in output
    code, output = _invoke("runs", "--store", store_uri, "-f", "xml")
    assert code == ExitCode.USAGE


def test_runs_show_one_run_in_full_with_hostile_text_escaped(store_uri: str) -> None:
    code, output = _invoke("runs", "show", "run-bad", "--store", store_uri)
    assert code == 0, output
    for expected in ("sendo-hourly", "failed, exit 5 NO_LISTINGS", "4 passed, 1 failed", "HTTP status: 200: 12",
                     "rules version: r-1", "listings: 0 (new 20"):  # fmt: skip
        assert expected in " ".join(output.split()), expected
    assert "\x1b" not in output and "\u202e" not in output  # shown escaped, never raw
    assert "\\u001b" in output and "\\u202e" in output
    code, output = _invoke("runs", "show", "run-ok", "--store", store_uri, "-f", "json")
    record = json.loads(output)
    assert record["audit_head"] == "0:" + "0" * 64 and record["status"] == "ok" and record["exit_code"] == 0
    assert record["listings"] == {"scraped": 30, "new": 20, "updated": 6, "unchanged": 4, "partial": 2,
                                  "rejected": 0, "spooled": 0, "dropped": 0}  # fmt: skip
    code, output = _invoke("runs", "show", "run-404", "--store", store_uri)
    assert code == ExitCode.NOT_FOUND and "no crawl run" in output


def test_parse_since_forms() -> None:
    now = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
    assert parse_since("12h", now) == now - timedelta(hours=12)
    assert parse_since("7d", now) == now - timedelta(days=7)
    assert parse_since("2026-03-01") == datetime(2026, 2, 28, 17, 0, tzinfo=UTC)  # midnight in Vietnam
    assert parse_since("2026-03-01T08:00:00+07:00") == datetime(2026, 3, 1, 1, 0, tzinfo=UTC)
    with pytest.raises(FilterError):
        parse_since("soon")
