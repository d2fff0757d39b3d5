"""``crawler schedule list``: each job's next run and last result, read from the run history of the store
the jobs write to (crawls.yaml's STORE_URI, relative to its folder)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

from crawler.cli import app
from crawler.exit_codes import ExitCode
from crawler.store import open_store

JOBS = """\
timezone: UTC
settings: {STORE_URI: "sqlite:///data/store.sqlite3"}
jobs:
  nightly:
    spider: tiki
    schedule: "0 3 * * *"
    keywords: [iphone]
  weekly-off:
    spider: sendo
    schedule: "0 4 * * 1"
    enabled: false
    priority: 9
  by-hand:
    spider: shopee
    keywords: vape
    priority: 5
"""


def test_schedule_list_shows_next_run_and_last_result(tmp_path: Path) -> None:
    path = tmp_path / "crawls.yaml"
    path.write_text(JOBS, encoding="utf-8")
    (tmp_path / "data").mkdir()
    started = datetime.now(UTC) - timedelta(hours=1)
    with open_store(f"sqlite:///{tmp_path / 'data' / 'store.sqlite3'}") as store:
        store.record_crawl_run({"spider": "tiki", "job": "nightly", "started_at": started - timedelta(days=1),
                                "run_id": "old", "status": "failed", "exit_code": 6})  # fmt: skip
        store.record_crawl_run({"spider": "tiki", "job": "nightly", "started_at": started, "run_id": "r-1",
                                "status": "ok", "exit_code": 0, "listings": {"scraped": 42}})  # fmt: skip
        store.record_crawl_run({"spider": "shopee", "job": "by-hand", "started_at": started, "run_id": "r-2",
                                "stats": {"exit/causes": ["NO_LISTINGS: none"]}})  # an older record: no status
    runner = CliRunner()
    result = runner.invoke(app, ["schedule", "list", "-c", str(path), "-f", "json"])
    assert result.exit_code == 0, result.output
    rows = {row["job"]: row for row in map(json.loads, result.output.splitlines())}
    assert list(rows) == ["weekly-off", "by-hand", "nightly"]  # priority order
    nightly = rows["nightly"]
    upcoming = datetime.fromisoformat(nightly["next_run"])
    assert (upcoming.hour, upcoming.minute) == (3, 0) and upcoming > datetime.now(UTC)
    assert upcoming - datetime.now(UTC) <= timedelta(days=1)
    assert nightly["last_run"] == {"run_id": "r-1", "started_at": nightly["last_run"]["started_at"], "status": "ok",
                                   "exit_code": 0, "listings": 42}  # fmt: skip
    assert rows["weekly-off"]["next_run"] is None and rows["weekly-off"]["last_run"] is None
    assert rows["by-hand"]["next_run"] is None and rows["by-hand"]["last_run"]["run_id"] == "r-2"
    result = runner.invoke(app, ["schedule", "list", "-c", str(path)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "ok, exit 0, 42 listings (r-1)" in text and "failed, exit ?, ? listings (r-2)" in text
    assert "disabled" in text and "by hand" in text and "never ran" in text


def test_schedule_list_of_a_missing_or_broken_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["schedule", "list", "-c", str(tmp_path / "nope.yaml")])
    assert result.exit_code == ExitCode.NOT_FOUND
    broken = tmp_path / "crawls.yaml"
    broken.write_text("jobs:\n  a:\n    spider: tiki\n    priority: high\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["schedule", "list", "-c", str(broken)], env={"COLUMNS": "300"})
    assert result.exit_code == ExitCode.USAGE and f"{broken}:4: job a: priority" in " ".join(result.output.split())
