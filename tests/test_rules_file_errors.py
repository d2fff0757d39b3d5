"""A rule or catalog file with an error stops the run with a located error (``file:line``) and exit
``RULES`` (3), unless ``RULES_ALLOW_ERRORS=1``: one tab in ``catalog/brands.yaml`` used to drop the
whole catalog, and with it the counterfeit kind, while the crawl went on and exited 0."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from scrapy.utils.test import get_crawler
from typer.testing import CliRunner

from crawler.cli import app
from crawler.detect.errors import RuleFilesError
from crawler.exit_codes import ExitCode
from pipelines.detect import DetectPipeline
from tests.mockserver import REPO

LISTINGS = REPO / "tests" / "data" / "detect" / "listings.jsonl"


def broken_rules(target: Path) -> tuple[Path, int]:
    """A copy of rules/ whose catalog/brands.yaml has one tab for indentation; (directory, its line)."""
    shutil.copytree(REPO / "rules", target)
    brands = target / "catalog" / "brands.yaml"
    lines = brands.read_text(encoding="utf-8").split("\n")
    number = next(i for i, line in enumerate(lines) if line.startswith("  - {name:"))
    lines[number] = "\t" + lines[number][2:]
    brands.write_text("\n".join(lines), encoding="utf-8")
    return target, number + 1


def _cli(*args: str, **env: str) -> tuple[int, str]:
    result = CliRunner(env={"COLUMNS": "250", **env}).invoke(app, list(args))
    return result.exit_code, result.output


def test_the_crawl_pipeline_refuses_broken_rules(tmp_path: Path) -> None:
    rules, line = broken_rules(tmp_path / "rules")
    crawler = get_crawler(settings_dict={"RULES_DIR": str(rules), "STORE_URI": "sqlite://:memory:"})
    with pytest.raises(RuleFilesError) as raised:
        DetectPipeline.from_crawler(crawler)
    assert f"brands.yaml:{line}: YAML syntax error" in str(raised.value)
    assert "RULES_ALLOW_ERRORS=1" in str(raised.value)
    allowed = get_crawler(settings_dict={"RULES_DIR": str(rules), "STORE_URI": "sqlite://:memory:",
                                         "RULES_ALLOW_ERRORS": True})
    pipeline = DetectPipeline.from_crawler(allowed)
    assert allowed.stats.get_value("detect/rule_errors") == 1
    assert [str(error) for error in pipeline.rule_errors] == [str(e) for e in raised.value.errors]


def test_crawler_detect_exits_rules_before_writing(tmp_path: Path) -> None:
    rules, line = broken_rules(tmp_path / "rules")
    output = tmp_path / "flags.jsonl"
    code, text = _cli("detect", "--input", str(LISTINGS), "--output", str(output), "--rules", str(rules))
    assert code == ExitCode.RULES, text
    assert f"brands.yaml:{line}: YAML syntax error" in text and "RULES_ALLOW_ERRORS=1" in text
    assert not output.exists()
    code, text = _cli("detect", "--input", str(LISTINGS), "--output", str(output), "--rules", str(rules),
                      RULES_ALLOW_ERRORS="1")
    assert code == 0, text
    assert "1 rule file errors" in text and output.exists()
    assert all("flags" in json.loads(line) for line in output.read_text(encoding="utf-8").splitlines())


def test_crawler_rules_commands_exit_rules(tmp_path: Path) -> None:
    rules, line = broken_rules(tmp_path / "rules")
    for args in (("rules", "validate", str(rules)), ("rules", "test", str(rules))):
        code, text = _cli(*args)
        assert code == ExitCode.RULES, (args, text)
        assert f"brands.yaml:{line}:" in text
    code, text = _cli("rules", "explain", "--listing", str(LISTINGS), "--rules", str(rules))
    assert code == ExitCode.RULES and f"brands.yaml:{line}:" in text
    code, text = _cli("rules", "validate")
    assert code == 0, text
