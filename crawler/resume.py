"""Resume: what a crawl stopped with ``JOBDIR`` set could not save for its resumed part, said out loud.

Scrapy keeps a stopped crawl's queue in ``JOBDIR`` (``-s JOBDIR=data/jobs/<job>``): each request is
pickled with its callback (a spider method) and ``cb_kwargs``/``meta``. A request that cannot be pickled
is kept in memory only (stat ``scheduler/unserializable``; the first one is logged at WARNING with its
URL because ``SCHEDULER_DEBUG`` is on). A crawl that runs to its end fetches them anyway; one stopped
before its end loses them for the resume, so :class:`ResumeCheck` logs that at ERROR with the count.
"""

from __future__ import annotations

import logging
from typing import Any, Self

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.job import job_dir

logger = logging.getLogger(__name__)

UNSERIALIZABLE = "scheduler/unserializable"


class ResumeCheck:
    """Scrapy extension (on when ``JOBDIR`` is set): at a close before the crawl's end, an ERROR naming
    how many requests ``JOBDIR`` could not keep."""

    def __init__(self, crawler: Crawler, jobdir: str) -> None:
        self.crawler = crawler
        self.jobdir = jobdir
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        jobdir = job_dir(crawler.settings)
        if not jobdir:
            raise NotConfigured("JOBDIR is not set")
        return cls(crawler, jobdir)

    def spider_closed(self, spider: Any, reason: str) -> None:
        lost = int(self.crawler.stats.get_value(UNSERIALIZABLE, 0) or 0)
        if lost and reason != "finished":
            logger.error(
                "%d requests could not be saved in JOBDIR %s (not picklable; the first is named above): "
                "the resumed crawl will not fetch them", lost, self.jobdir,
            )  # fmt: skip
