"""``crawls.yaml``: the named crawl jobs a schedule runs, loaded and checked with ``file:line`` errors.

A file holds an optional ``timezone`` (the schedules' zone; default: the machine's), optional
``settings`` applied to every job, and ``jobs``, a mapping of job name to job::

    timezone: Asia/Ho_Chi_Minh
    settings:
      STORE_URI: sqlite:///data/crawler.sqlite3
    jobs:
      tiki-banned:
        spider: tiki
        schedule: "0 */6 * * *"      # cron: minute hour day month weekday (6 fields: seconds first)
        priority: 10                 # higher starts first when jobs are due at the same time
        keywords: [súng hơi, pháo hoa]
        keywords_file: keywords/banned.txt
        max_pages: 5

Every problem is reported (not only the first) as :class:`~crawler.detect.errors.RuleLoadError`
(``path:line: message``, like the rule packs): unknown keys (with a suggestion), wrong types, an unknown
spider, a wrong cron expression or time zone, a keywords file that does not exist. Relative paths
(``keywords_file``, ``jobdir``) are relative to the file's folder, where the crawls run.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, ValidationError, field_validator

from crawler.detect.errors import RuleLoadError
from crawler.detect.yamlsrc import LDict, LList, load_located
from crawler.jobs.cron import CronError, cron_trigger

JOB_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
"""Job names: lower-case letters, digits, ``_ . -`` (they name folders: ``data/jobs/<job>``)."""
SETTING_NAME = re.compile(r"[A-Z][A-Z0-9_]*")
DEFAULT_JOBDIR_ROOT = "data/jobs"
DEFAULT_LOG_DIR = "data/logs"
SettingValue = str | int | float | bool | list[Any] | dict[str, Any]


def check_settings(value: dict[str, SettingValue]) -> dict[str, SettingValue]:
    """Setting names must be Scrapy's (UPPER_CASE); CRAWL_JOB and JOBDIR belong to the job."""
    for name in value:
        if not SETTING_NAME.fullmatch(name):
            raise ValueError(f"setting {name!r} is not a Scrapy setting name (UPPER_CASE)")
    for name in ("CRAWL_JOB", "JOBDIR"):
        if name in value:
            raise ValueError(f"{name} is set by the job itself (see 'jobdir')")
    return value


class JobSpec(BaseModel):
    """One job as written in ``crawls.yaml`` (before paths are resolved)."""

    model_config = ConfigDict(extra="forbid")

    spider: str
    schedule: str | None = None
    """Cron expression; a job without one runs only by hand (``crawler crawl JOB``)."""
    priority: StrictInt = 0
    enabled: StrictBool = True
    keywords: list[str] | str | None = None
    keywords_file: str | None = None
    category: str | None = None
    seller: str | None = None
    max_pages: StrictInt | None = Field(default=None, ge=1)
    args: dict[str, str | int] = Field(default_factory=dict)
    """Other spider arguments (``-a NAME=VALUE``), such as ``source`` or ``url``."""
    settings: dict[str, SettingValue] = Field(default_factory=dict)
    jobdir: StrictBool | str = True
    """``true``: ``data/jobs/<job>`` (the crawl resumes where a stopped run left off); ``false``: none."""
    description: str | None = None

    @field_validator("keywords")
    @classmethod
    def _keywords(cls, value: list[str] | str | None) -> list[str] | None:
        if value is None:
            return None
        words = value.split(",") if isinstance(value, str) else value
        cleaned = [word.strip() for word in words if word.strip()]
        if not cleaned:
            raise ValueError("keywords is empty")
        return cleaned

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                cron_trigger(value, "UTC")
            except CronError as exc:
                raise ValueError(str(exc)) from None
        return value

    @field_validator("settings")
    @classmethod
    def _settings(cls, value: dict[str, SettingValue]) -> dict[str, SettingValue]:
        return check_settings(value)

    @field_validator("args")
    @classmethod
    def _args(cls, value: dict[str, str | int]) -> dict[str, str | int]:
        for name in value:
            if name in ("keywords", "keywords_file", "category", "seller", "max_pages"):
                raise ValueError(f"give {name!r} as a key of the job, not under args")
            if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
                raise ValueError(f"spider argument {name!r} is not a lower_case name")
        return value


class FileSpec(BaseModel):
    """The whole file."""

    model_config = ConfigDict(extra="forbid")

    timezone: str | None = None
    settings: dict[str, SettingValue] = Field(default_factory=dict)
    jobs: dict[str, Any]

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {value!r} (an IANA name such as Asia/Ho_Chi_Minh)") from None
        return value

    @field_validator("settings")
    @classmethod
    def _settings(cls, value: dict[str, SettingValue]) -> dict[str, SettingValue]:
        return check_settings(value)


@dataclass(frozen=True)
class Job:
    """A checked job, paths resolved against the folder of its ``crawls.yaml``."""

    name: str
    spider: str
    schedule: str | None
    priority: int
    enabled: bool
    spider_args: dict[str, str]
    settings: dict[str, str]
    """Every ``-s`` setting of the job's crawl (file-wide ones, then the job's, then CRAWL_JOB/JOBDIR)."""
    jobdir: Path | None
    workdir: Path
    """Where the job's crawls run (the file's folder)."""
    timezone: str | None = None
    line: int = 0
    description: str | None = None

    def trigger(self) -> Any:
        """The job's APScheduler cron trigger (None for a job without a schedule)."""
        return None if self.schedule is None else cron_trigger(self.schedule, self.timezone)

    @property
    def store_uri(self) -> str | None:
        """The job's ``STORE_URI`` setting, when crawls.yaml gives one."""
        return self.settings.get("STORE_URI")


@dataclass
class JobsFile:
    """A loaded ``crawls.yaml``: the jobs that checked out and every error found."""

    path: Path
    jobs: dict[str, Job] = field(default_factory=dict)
    errors: list[RuleLoadError] = field(default_factory=list)
    timezone: str | None = None
    settings: dict[str, str] = field(default_factory=dict)

    def ordered(self) -> list[Job]:
        """The jobs, highest priority first, then by name."""
        return sorted(self.jobs.values(), key=lambda job: (-job.priority, job.name))


def setting_text(value: Any) -> str:
    """A setting's value as ``-s NAME=VALUE`` text (lists and mappings as JSON)."""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _locate(node: Any, loc: Iterable[Any]) -> int:
    """The line of the value at pydantic's ``loc`` inside a loaded mapping (the closest known line)."""
    line = getattr(node, "line", 0)
    for part in loc:
        in_mapping = isinstance(node, LDict) and part in node
        in_list = isinstance(node, LList) and isinstance(part, int) and 0 <= part < len(node)
        if in_mapping or in_list:
            line, node = node.line_for(part), node[part]
        else:
            break
    return line


def _messages(
    error: ValidationError, node: Any, allowed: Iterable[str], own_line: int | None = None
) -> list[tuple[int, str]]:
    """``(line, message)`` per problem pydantic found; the branches of a union share one message."""
    by_loc: dict[tuple[Any, ...], list[str]] = {}
    kinds: dict[tuple[Any, ...], str] = {}
    for problem in error.errors():
        loc = tuple(part for part in problem.get("loc", ()) if part not in _UNION_BRANCHES)
        text = str(problem.get("msg", "invalid")).removeprefix("Value error, ")
        if by_loc.get(loc):
            text = text.removeprefix("Input should be ")
        if text not in by_loc.setdefault(loc, []):
            by_loc[loc].append(text)
        kinds.setdefault(loc, problem["type"])
    found = []
    for loc, texts in by_loc.items():
        where = ".".join(str(part) for part in loc) or "this"
        if kinds[loc] == "extra_forbidden" and len(loc) == 1:
            hint = difflib.get_close_matches(str(loc[0]), sorted(allowed), n=1)
            suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
            message = f"unknown key {loc[0]!r}{suggestion}; allowed: {', '.join(sorted(allowed))}"
        elif kinds[loc] == "missing":
            found.append((own_line or _locate(node, ()), f"missing key {where!r}"))
            continue
        else:
            message = f"{where}: {' or '.join(texts)}"
        found.append((_locate(node, loc), message))
    return found


_UNION_BRANCHES = frozenset({"str", "int", "float", "bool", "list[str]", "list[any]", "dict[str,any]"})


def spider_names() -> list[str]:
    """The project's spiders (Scrapy's spider loader on the project settings)."""
    import os

    from scrapy.spiderloader import SpiderLoader
    from scrapy.utils.project import get_project_settings

    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    return sorted(SpiderLoader.from_settings(get_project_settings()).list())


def load_jobs(path: Path, *, spiders: Iterable[str] | None = None) -> JobsFile:
    """Load and check ``path``; every problem goes to ``errors``, the jobs without one to ``jobs``."""
    result = JobsFile(path=path)
    shown = str(path)

    def error(line: int, message: str) -> None:
        result.errors.append(RuleLoadError(shown, line, message))

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        error(0, f"cannot read: {exc.strerror or exc}")
        return result
    except UnicodeDecodeError as exc:
        error(0, f"not UTF-8 text ({exc.reason})")
        return result
    try:
        root = load_located(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        error(mark.line + 1 if mark else 0, f"not valid YAML: {getattr(exc, 'problem', None) or exc}")
        return result
    if not isinstance(root, LDict):
        error(getattr(root, "line", 1), "crawls.yaml must be a mapping with a 'jobs' key")
        return result
    for key, line in root.duplicates:
        error(line, f"duplicate key {key!r}")
    try:
        top = FileSpec.model_validate(root)
    except ValidationError as exc:
        for line, message in _messages(exc, root, FileSpec.model_fields):
            error(line, message)
        return result
    result.timezone = top.timezone
    result.settings = {name: setting_text(value) for name, value in top.settings.items()}
    jobs_node = root["jobs"]
    if not isinstance(jobs_node, LDict) or not jobs_node:
        error(root.line_for("jobs"), "jobs must be a mapping of job name to job, with at least one job")
        return result
    for key, line in jobs_node.duplicates:
        error(line, f"duplicate job {key!r}")
    known = sorted(spiders) if spiders is not None else spider_names()
    folder = path.resolve().parent
    for name, node in jobs_node.items():
        line = jobs_node.line_for(name)
        if not isinstance(name, str) or not JOB_NAME.fullmatch(name):
            error(line, f"job name {name!r}: lower-case letters, digits, '_', '.', '-' (it names a folder)")
            continue
        if not isinstance(node, LDict):
            error(line, f"job {name!r} must be a mapping (spider, schedule, …)")
            continue
        job = _job(name, node, known, folder, result, error, line)
        if job is not None:
            result.jobs[name] = job
    result.errors.sort(key=lambda problem: problem.line)
    return result


def _job(
    name: str, node: LDict, known: list[str], folder: Path, file: JobsFile, error: Any, own_line: int
) -> Job | None:
    before = len(file.errors)
    for key, line in node.duplicates:
        error(line, f"job {name}: duplicate key {key!r}")
    spider = node.get("spider")
    if isinstance(spider, str) and spider not in known:
        hint = difflib.get_close_matches(spider, known, n=1)
        suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
        error(node.line_for("spider"), f"job {name}: unknown spider {spider!r}{suggestion}; spiders: "
              + ", ".join(known))
    try:
        spec = JobSpec.model_validate(node)
    except ValidationError as exc:
        for line, message in _messages(exc, node, JobSpec.model_fields, own_line):
            error(line, f"job {name}: {message}")
        return None
    keywords_file = None
    if spec.keywords_file is not None:
        keywords_file = (folder / spec.keywords_file).resolve()
        if not keywords_file.is_file():
            error(node.line_for("keywords_file"), f"job {name}: keywords_file {spec.keywords_file}: no such file")
    if spec.schedule is not None:
        try:
            cron_trigger(spec.schedule, file.timezone)
        except CronError as exc:
            error(node.line_for("schedule"), f"job {name}: schedule {exc}")
    if len(file.errors) > before:
        return None
    args: dict[str, str] = {}
    if spec.keywords:
        args["keywords"] = ",".join(spec.keywords)
    if keywords_file is not None:
        args["keywords_file"] = str(keywords_file)
    for key in ("category", "seller", "max_pages"):
        value = getattr(spec, key)
        if value is not None:
            args[key] = str(value)
    args.update({key: str(value) for key, value in spec.args.items()})
    jobdir: Path | None = None
    if spec.jobdir is True:
        jobdir = folder / DEFAULT_JOBDIR_ROOT / name
    elif isinstance(spec.jobdir, str):
        jobdir = (folder / spec.jobdir).resolve()
    settings = dict(file.settings)
    settings.update({key: setting_text(value) for key, value in spec.settings.items()})
    settings["CRAWL_JOB"] = name
    if jobdir is not None:
        settings["JOBDIR"] = str(jobdir)
    return Job(
        name=name, spider=spec.spider, schedule=spec.schedule, priority=spec.priority, enabled=spec.enabled,
        spider_args=args, settings=settings, jobdir=jobdir, workdir=folder, timezone=file.timezone,
        line=node.line, description=spec.description,
    )
