"""A Scrapy extension for ``bench.crawl``: writes the crawl's stats as JSON when the spider closes.

Enabled by the benchmark only (``EXTENSIONS`` plus ``BENCH_STATS_FILE=PATH``); the file is what the
benchmark reads its pages and listings from. Not a benchmark itself (the leading underscore keeps
``python -m bench`` from running it).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Self

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured


class StatsFile:
    """Dump ``crawler.stats`` to ``BENCH_STATS_FILE`` at ``spider_closed``."""

    def __init__(self, crawler: Crawler, path: Path) -> None:
        self.crawler = crawler
        self.path = path

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        path = crawler.settings.get("BENCH_STATS_FILE")
        if not path:
            raise NotConfigured("BENCH_STATS_FILE is not set")
        extension = cls(crawler, Path(path))
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_closed(self, spider: Any, reason: str) -> None:
        stats = dict(self.crawler.stats.get_stats()) if self.crawler.stats is not None else {}
        stats["finish_reason"] = reason
        self.path.write_text(json.dumps(stats, default=str, ensure_ascii=False), encoding="utf-8")
