"""``crawls.yaml``: jobs checked with ``file:line`` errors, cron with crontab's weekdays, the crawl's
arguments and settings (CRAWL_JOB, JOBDIR), and ``crawler schedule validate``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crawler.cli import app
from crawler.exit_codes import ExitCode
from crawler.jobs import load_jobs
from crawler.jobs.cron import CronError, cron_trigger, crontab_weekdays
from crawler.jobs.launch import job_command
from crawler.jobs.schedule import missed_since

SPIDERS = ("tiki", "shopee", "sendo")
REPO = Path(__file__).resolve().parent.parent


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "crawls.yaml"
    path.write_text(text, encoding="utf-8")
    return path


GOOD = """\
timezone: Asia/Ho_Chi_Minh
settings:
  DOWNLOAD_DELAY: 1
  PLATFORM_BASE_URLS: {tiki: "http://127.0.0.1:1/tiki"}
jobs:
  tiki-banned:
    spider: tiki
    schedule: "0 */6 * * 1-5"
    priority: 10
    keywords: [súng hơi, pháo hoa]
    keywords_file: words.txt
    max_pages: 5
    settings: {DOWNLOAD_DELAY: 2, RETRY_ENABLED: false}
  shopee-seller:
    spider: shopee
    seller: "330188312"
    args: {source: tip-off}
    jobdir: false
    enabled: false
"""


def test_a_good_file_gives_each_job_its_arguments_settings_and_jobdir(tmp_path: Path) -> None:
    (tmp_path / "words.txt").write_text("hàng cấm\n", encoding="utf-8")
    loaded = load_jobs(_write(tmp_path, GOOD), spiders=SPIDERS)
    assert loaded.errors == []
    banned, seller = loaded.jobs["tiki-banned"], loaded.jobs["shopee-seller"]
    assert banned.spider_args == {"keywords": "súng hơi,pháo hoa", "keywords_file": str(tmp_path / "words.txt"),
                                  "max_pages": "5"}  # fmt: skip
    assert banned.settings["DOWNLOAD_DELAY"] == "2" and banned.settings["RETRY_ENABLED"] == "False"
    assert banned.settings["PLATFORM_BASE_URLS"] == '{"tiki": "http://127.0.0.1:1/tiki"}'
    assert banned.settings["CRAWL_JOB"] == "tiki-banned"
    assert banned.settings["JOBDIR"] == str(tmp_path / "data" / "jobs" / "tiki-banned")
    assert seller.jobdir is None and "JOBDIR" not in seller.settings and seller.settings["CRAWL_JOB"] == "shopee-seller"
    assert seller.spider_args == {"seller": "330188312", "source": "tip-off"} and not seller.enabled
    assert [job.name for job in loaded.ordered()] == ["tiki-banned", "shopee-seller"]  # priority 10 first
    command = job_command(banned)
    assert command[1:5] == ["-m", "scrapy", "crawl", "tiki"]
    assert "keywords=súng hơi,pháo hoa" in command and "CRAWL_JOB=tiki-banned" in command


BAD = """\
jobs:
  typo:
    spider: tikki
    shedule: "0 3 * * *"
  wrong-types:
    spider: tiki
    max_pages: many
    priority: high
    keywords: 3
  bad-cron:
    spider: tiki
    schedule: "61 * * * *"
  six-fields-bad:
    spider: tiki
    schedule: "* * * *"
  missing-file:
    spider: tiki
    keywords_file: nowhere.txt
  bad-setting:
    spider: tiki
    settings: {download_delay: 1}
  own-jobdir:
    spider: tiki
    settings: {JOBDIR: /tmp/x}
  Bad Name:
    spider: tiki
  no-spider:
    schedule: "0 3 * * *"
"""


def test_every_error_is_located_file_line(tmp_path: Path) -> None:
    path = _write(tmp_path, BAD)
    loaded = load_jobs(path, spiders=SPIDERS)
    got = [str(error).replace(str(path), "F") for error in loaded.errors]
    expected = [
        "F:3: job typo: unknown spider 'tikki' (did you mean 'tiki'?)",
        "F:4: job typo: unknown key 'shedule' (did you mean 'schedule'?)",
        "F:7: job wrong-types: max_pages: Input should be a valid integer",
        "F:8: job wrong-types: priority: Input should be a valid integer",
        "F:9: job wrong-types: keywords: Input should be a valid list or a valid string",
        "F:12: job bad-cron: schedule: '61 * * * *'",
        "F:15: job six-fields-bad: schedule: '* * * *' has 4 fields",
        "F:18: job missing-file: keywords_file nowhere.txt: no such file",
        "F:21: job bad-setting: settings: setting 'download_delay' is not a Scrapy setting name",
        "F:24: job own-jobdir: settings: JOBDIR is set by the job itself",
        "F:25: job name 'Bad Name'",
        "F:27: job no-spider: missing key 'spider'",
    ]
    assert len(got) == len(expected), "\n".join(got)
    for line, prefix in zip(sorted(got, key=lambda text: int(text.split(":")[1])), expected, strict=True):
        assert line.startswith(prefix), (line, prefix)
    assert loaded.jobs == {}  # a job with an error is not run
    result = CliRunner().invoke(app, ["schedule", "validate", "-c", str(path)], env={"COLUMNS": "300"})
    assert result.exit_code == ExitCode.USAGE
    assert f"{path}:12: job bad-cron" in " ".join(result.output.split())


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("jobs: [a, b]\n", 1, "jobs: Input should be a valid dictionary"),
        ("jobs:\n  a:\n    spider: tiki\nextra: 1\n", 4, "unknown key 'extra'"),
        ("timezone: Mars/Olympus\njobs:\n  a: {spider: tiki}\n", 1, "unknown time zone 'Mars/Olympus'"),
        ("jobs:\n  a: {spider: tiki\n", 3, "not valid YAML"),
        ("- just a list\n", 1, "must be a mapping with a 'jobs' key"),
        ("jobs:\n  a: {spider: tiki}\n  a: {spider: tiki}\n", 3, "duplicate job 'a'"),
    ],
)
def test_file_level_errors_are_located(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = _write(tmp_path, text)
    (error,) = load_jobs(path, spiders=SPIDERS).errors
    assert error.line == line and message in error.message, str(error)


def test_the_project_example_validates_against_the_real_spiders() -> None:
    loaded = load_jobs(REPO / "crawls.yaml")
    assert loaded.errors == [] and loaded.jobs
    result = CliRunner().invoke(app, ["schedule", "validate", "-c", str(REPO / "crawls.yaml")])
    assert result.exit_code == 0 and "jobs OK" in result.output


def test_crontab_weekdays_mean_what_cron_means() -> None:
    assert crontab_weekdays("0") == "sun" and crontab_weekdays("7") == "sun"
    assert crontab_weekdays("1-5") == "mon,tue,wed,thu,fri"
    assert crontab_weekdays("0,6") == "sun,sat" and crontab_weekdays("5-7") == "sun,fri,sat"
    assert crontab_weekdays("*/2") == "sun,tue,thu,sat" and crontab_weekdays("*") == "*"
    sunday_3am = cron_trigger("0 3 * * 0", "UTC").get_next_fire_time(None, datetime(2026, 3, 2, tzinfo=UTC))
    assert sunday_3am == datetime(2026, 3, 8, 3, 0, tzinfo=UTC) and sunday_3am.weekday() == 6  # a Sunday
    every_second = cron_trigger("*/1 * * * * *", "UTC").get_next_fire_time(None, datetime(2026, 3, 2, tzinfo=UTC))
    assert every_second == datetime(2026, 3, 2, tzinfo=UTC)
    for wrong in ("8 * * * *x", "* * * * 9", "* * * * 5-1", "0 3 * *"):
        with pytest.raises(CronError):
            cron_trigger(wrong, "UTC")


def test_a_run_missed_while_nothing_ran_is_found_once(tmp_path: Path) -> None:
    path = _write(tmp_path, "jobs:\n  hourly: {spider: tiki, schedule: '0 * * * *'}\n")
    job = load_jobs(path, spiders=SPIDERS).jobs["hourly"]
    now = datetime(2026, 3, 2, 10, 30, tzinfo=UTC)
    assert missed_since(job, datetime(2026, 3, 2, 8, 0, 5, tzinfo=UTC), now) == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert missed_since(job, datetime(2026, 3, 2, 10, 0, 3, tzinfo=UTC), now) is None  # ran at 10:00: not missed
    assert missed_since(job, None, now) is None  # never ran: wait for its time
