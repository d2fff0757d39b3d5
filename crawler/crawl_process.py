"""Run ``scrapy crawl`` in a subprocess with the project's settings, for the commands that start crawls
(``crawler demo``, ``crawler check``).

The command is an argument list, never a shell line, so a URL or keyword given by a user stays one
argument. It runs in the project root with ``SCRAPY_SETTINGS_MODULE=crawler.settings``, so it finds
the spiders and settings wherever the ``crawler`` command was started from.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def crawl_command(
    spider: str, args: Mapping[str, str], settings: Mapping[str, str], extra: Sequence[str] = ()
) -> list[str]:
    """``python -m scrapy crawl SPIDER -a NAME=VALUE… -s NAME=VALUE… EXTRA…`` as an argument list."""
    command = [sys.executable, "-m", "scrapy", "crawl", spider]
    for name, value in args.items():
        command += ["-a", f"{name}={value}"]
    for name, value in settings.items():
        command += ["-s", f"{name}={value}"]
    return [*command, *extra]


def run_crawl(
    spider: str,
    args: Mapping[str, str],
    settings: Mapping[str, str],
    *,
    timeout: float,
    extra: Sequence[str] = (),
) -> subprocess.CompletedProcess[str]:
    """Run one crawl to its end; raises ``subprocess.TimeoutExpired`` after ``timeout`` seconds."""
    env = dict(os.environ, SCRAPY_SETTINGS_MODULE="crawler.settings")
    return subprocess.run(
        crawl_command(spider, args, settings, extra),
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False,
    )
