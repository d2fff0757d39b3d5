"""Running spiders in tests: one `scrapy crawl` subprocess against the mock server, and what the demo
data says each crawled listing should be (its public links rebased on the server)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from crawler.demo.build_data import DATA_FILE, PUBLIC_BASE
from crawler.exit_codes import ExitCode
from crawler.items import Listing
from tests.mockserver import REPO

COMPARED = ("url", "title", "description", "price", "original_price", "currency", "brand", "category", "origin",
            "seller", "images", "sold_count", "rating", "posted_at")


CRAWL_RAN = (ExitCode.OK, ExitCode.NO_LISTINGS, ExitCode.TOO_MANY_ERRORS, ExitCode.MONITOR_FAILED)
"""The exits of a crawl that ran to its end (its items are all there)."""

PLATFORM_KEYS = ("tiki", "tiki_api", "shopee", "lazada", "sendo", "sendo_search", "sendo_detail", "chotot",
                 "chotot_api")


def mock_bases(base_url: str) -> dict[str, str]:
    """Every platform host of settings.PLATFORM_BASE_URLS on the mock server (``<base>/<key>``)."""
    return {key: f"{base_url}/{key}" for key in PLATFORM_KEYS}


def crawl(
    spider: str, base_url: str, out: Path, *args: str, log_level: str = "INFO"
) -> tuple[list[dict[str, Any]], str]:
    """Run one crawl without pipelines; its items and its log."""
    command = [
        sys.executable, "-m", "scrapy", "crawl", spider,
        "-s", f"PLATFORM_BASE_URLS={json.dumps(mock_bases(base_url))}",
        "-s", "ITEM_PIPELINES={}", "-s", "SPIDER_MIDDLEWARES={}", "-s", "AUTOTHROTTLE_ENABLED=0",
        "-s", "DOWNLOAD_DELAY=0", "-s", "ROBOTSTXT_OBEY=0", "-s", f"LOG_LEVEL={log_level}", "-s", "RETRY_TIMES=1",
        "-O", str(out), *args,
    ]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120, check=False)
    # ran to its end: fault crawls may fail requests or yield nothing on purpose (tests/test_cli_exit_codes.py)
    assert result.returncode in CRAWL_RAN, result.stderr[-3000:]
    items = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    return items, result.stderr


PUBLIC = {**PUBLIC_BASE, "lazada": "https://www.lazada.vn", "sendo": "https://www.sendo.vn",
          "chotot": "https://www.chotot.com"}


def expected(base_url: str, platform: str) -> dict[str, Listing]:
    """The demo records of one platform as the crawl should see them, by listing id."""
    out = {}
    data = DATA_FILE if platform in PUBLIC_BASE else DATA_FILE.parent / f"{platform}.jsonl"
    for line in data.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record["platform"] != platform:
            continue
        served = f"{base_url}/{platform}"
        record["url"] = record["url"].replace(PUBLIC[platform], served, 1)
        if record["seller"].get("url"):
            record["seller"]["url"] = record["seller"]["url"].replace(PUBLIC[platform], served, 1)
        out[record["listing_id"]] = Listing.model_validate(record)
    return out


def differences(got: dict[str, Listing], wanted: dict[str, Listing], fields: tuple[str, ...] = COMPARED) -> list[str]:
    """``id field: got != wanted`` for every compared field that differs."""
    return [
        f"{listing_id} {name}: {getattr(listing, name)!r} != {getattr(wanted[listing_id], name)!r}"
        for listing_id, listing in got.items()
        for name in fields
        if getattr(listing, name) != getattr(wanted[listing_id], name)
    ]


def crawl_debug(spider: str, base_url: str, out: Path, *args: str) -> tuple[list[dict[str, Any]], str]:
    """One crawl with DEBUG logging (the requested URLs are in the log)."""
    return crawl(spider, base_url, out, *args, log_level="DEBUG")


def store_crawl_command(spider: str, base_url: str, workdir: Path, settings: dict[str, str],
                        *overrides: str) -> list[str]:
    """``scrapy crawl SPIDER -a keywords=*`` against the mock server with every pipeline, its store,
    spool and evidence under ``workdir``, politeness off; ``settings`` then ``NAME=value`` overrides."""
    pairs = {
        "PLATFORM_BASE_URLS": json.dumps(mock_bases(base_url)),
        "STORE_URI": f"sqlite:///{workdir / 'store.sqlite3'}",
        "SPOOL_DIR": str(workdir / "spool"),
        "EVIDENCE_DIR": str(workdir / "evidence"),
        "RULES_DIR": str(REPO / "rules"),
        "DOWNLOAD_DELAY": "0",
        "AUTOTHROTTLE_ENABLED": "0",
        "ROBOTSTXT_OBEY": "0",
        "RETRY_TIMES": "1",
        **settings,
    }
    pairs.update(setting.split("=", 1) for setting in overrides)  # type: ignore[misc]
    command = [sys.executable, "-m", "scrapy", "crawl", spider, "-a", "keywords=*"]
    for name, value in pairs.items():
        command += ["-s", f"{name}={value}"]
    return command


def logged_stat(log: str, name: str) -> int:
    """A counter of the crawl's stats dump in its log (0 when absent)."""
    found = re.search(rf"'{re.escape(name)}': (\d+)", log)
    return int(found.group(1)) if found else 0
