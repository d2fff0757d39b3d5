"""The progress line for people at a terminal: every ``PROGRESS_INTERVAL`` seconds (default 30; 0 is
off) one INFO line with what the crawl did so far and how fast::

    Progress: 312 pages (96/min), 290 listings (88/min), flags 37 (banned 4, counterfeit 9, …), errors 5

It replaces Scrapy's ``LogStats`` line (``crawler/settings.py`` switches that off): pages are the
requests' final responses (``crawl/pages``, robots.txt left out), listings the items handed over,
flags the detect pipeline's ``detect/flagged/<kind>``, errors the requests that ended in an error
(:func:`crawler.crawl_end.errors_by_cause`); the rates are over the last interval. Like ``LogStats``
it leaves ``responses_per_minute`` and ``items_per_minute`` over the whole crawl in the stats.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Self

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.extensions.logstats import LogStats

from crawler.crawl_end import errors_by_cause
from crawler.items import KINDS
from crawler.request_outcomes import PAGES

logger = logging.getLogger(__name__)

DEFAULT_INTERVAL = 30.0


def progress_line(stats: Mapping[str, Any], pages_rate: float, listings_rate: float) -> str:
    """The line for the crawl's ``stats`` so far and its rates (per minute)."""
    flags = {kind: int(stats.get(f"detect/flagged/{kind}", 0) or 0) for kind in KINDS}
    named = ", ".join(f"{kind} {count}" for kind, count in flags.items() if count)
    return (
        f"Progress: {int(stats.get(PAGES, 0) or 0)} pages ({pages_rate:.0f}/min), "
        f"{int(stats.get('item_scraped_count', 0) or 0)} listings ({listings_rate:.0f}/min), "
        f"flags {sum(flags.values())}" + (f" ({named})" if named else "") + ", "
        f"errors {sum(errors_by_cause(stats).values())}"
    )


class ProgressLog(LogStats):
    """Scrapy's ``LogStats`` with the project's line and its own interval (``PROGRESS_INTERVAL``)."""

    def __init__(self, stats: Any, interval: float = DEFAULT_INTERVAL) -> None:
        super().__init__(stats, interval)
        self.pagesprev = self.itemsprev = 0  # LogStats sets them when the spider opens
        self._pages_before = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        interval = crawler.settings.getfloat("PROGRESS_INTERVAL", DEFAULT_INTERVAL)
        if interval <= 0:
            raise NotConfigured("PROGRESS_INTERVAL is 0")
        progress = cls(crawler.stats, interval)
        crawler.signals.connect(progress.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(progress.spider_closed, signal=signals.spider_closed)
        return progress

    def calculate_stats(self) -> None:
        super().calculate_stats()
        pages = int(self.stats.get_value(PAGES, 0) or 0)  # final responses, robots.txt left out
        self.prate = (pages - self._pages_before) * self.multiplier
        self._pages_before = pages

    def log(self, spider: Any) -> None:
        self.calculate_stats()
        logger.info("%s", progress_line(self.stats.get_stats(), self.prate, self.irate), extra={"spider": spider})
