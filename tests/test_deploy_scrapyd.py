"""The scrapyd deploy target: ``scrapyd-deploy --build-egg`` (scrapyd-client) builds an egg of the
project that carries its spiders, pipelines and settings entry point, and Scrapy run from the egg alone
(as scrapyd's runner does) lists the spiders."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGED = ("pyproject.toml", "setup.py", "scrapy.cfg", "README.md", "crawler", "spiders", "pipelines")

pytestmark = pytest.mark.slow


def test_scrapyd_deploy_builds_an_egg_scrapy_can_run_from(tmp_path: Path) -> None:
    deploy = shutil.which("scrapyd-deploy", path=os.path.dirname(sys.executable)) or shutil.which("scrapyd-deploy")
    if deploy is None:
        pytest.skip("scrapyd-deploy not installed (pip install -e '.[test]' brings scrapyd-client)")
    project = tmp_path / "project"  # a copy: the build writes build/ and *.egg-info next to setup.py
    for name in PACKAGED:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, project / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            project.mkdir(exist_ok=True)
            shutil.copy2(source, project / name)
    egg = tmp_path / "listing-monitor.egg"
    built = subprocess.run([deploy, "--build-egg", str(egg)], cwd=project, capture_output=True, text=True,
                           timeout=300, check=False)  # fmt: skip
    assert built.returncode == 0 and egg.is_file(), built.stderr[-3000:]
    with zipfile.ZipFile(egg) as archive:
        names = set(archive.namelist())
        entry_points = archive.read("EGG-INFO/entry_points.txt").decode()
    assert {"crawler/settings.py", "spiders/tiki.py", "pipelines/store.py", "crawler/demo/data/listings.jsonl",
            "crawler/review/templates/report.html.j2"} <= names  # fmt: skip
    assert "[scrapy]\nsettings = crawler.settings" in entry_points
    assert not any(name.startswith(("tests/", "bench/")) for name in names)
    # what scrapyd's runner does: the egg on the path, the settings module from its entry point
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = dict(os.environ, PYTHONPATH=str(egg), SCRAPY_SETTINGS_MODULE="crawler.settings")
    script = ("import crawler, sys; print(crawler.__file__); from scrapy.cmdline import execute; "
              "sys.argv = ['scrapy', 'list']; execute()")
    listed = subprocess.run([sys.executable, "-c", script], cwd=elsewhere, env=env, capture_output=True, text=True,
                            timeout=120, check=False)  # fmt: skip
    assert listed.returncode == 0, listed.stderr[-3000:]
    lines = listed.stdout.split()
    assert lines[0].startswith(str(egg)), lines[0]  # imported from the egg, not from the checkout
    assert {"tiki", "shopee", "lazada", "sendo", "chotot"} <= set(lines[1:])
