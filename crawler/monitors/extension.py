"""``CrawlMonitors``: the Scrapy extension that runs the end-of-crawl monitors.

- ``spider_opened``: records the crawl's job (``crawl/job``: setting ``CRAWL_JOB``, else the spider's
  name) and reads the job's past runs from the store (``STORE_URI``), before this run adds its own.
  A store that cannot be read is logged at WARNING; the history monitors then pass, saying so. A crawl
  without the store pipeline (``ITEM_PIPELINES={}``: an export, a spider test) reads no history.
- ``spider_closed``: runs :class:`crawler.monitors.suite.CrawlMonitorSuite` with spidermon's runner,
  which records ``monitors/failed`` / ``monitors/passed``, records ``MONITOR_FAILED`` for each failure
  and sends the configured alerts.

Its ``spider_closed`` must run before :class:`crawler.crawl_end.CrawlEnd`'s (and before whatever
writes the crawl-run record there), so that they see the monitors' results: Scrapy builds extensions
in ``EXTENSIONS`` order (lowest first) and each connects its handlers as it is built, and signals call
handlers in the order they were connected. ``crawler/settings.py`` gives it -10, before every built-in
extension and ``CrawlEnd`` (0). ``MONITORS_ENABLED=0`` switches it off; Scrapy's ``DefaultSpider`` (what
``scrapy fetch`` and ``scrapy shell`` run) is not watched.
"""

from __future__ import annotations

import logging
from typing import Any, Self

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.spider import DefaultSpider
from spidermon.contrib.scrapy.runners import SpiderMonitorResult, SpiderMonitorRunner

from crawler.monitors.alerts import configured_alerts
from crawler.monitors.checks import Thresholds
from crawler.monitors.history import JOB_STAT, job_name, load_history
from crawler.monitors.suite import CrawlMonitorSuite, alert_factory

logger = logging.getLogger(__name__)


class MonitorLog(SpiderMonitorResult):
    """Spidermon's result report, logged through this module's logger (not the deprecated
    ``Spider.log``); a monitor's failure is left to :class:`crawler.monitors.suite.RecordResults`'s one
    ERROR line, a monitor that broke keeps its traceback."""

    def write_errors(self) -> None:
        step = self.step
        broken = [item for status in step.error_statuses for item in step.items_for_status(status)
                  if not getattr(item.item, "reason", "")]  # fmt: skip
        for item in broken:
            self.log_error(f"{item.status}: {item.item.name}\n{item.error}")

    def log(self, msg: str, level: int = logging.DEBUG) -> None:
        logger.log(level, "[Spidermon] %s", msg)


class MonitorRunner(SpiderMonitorRunner):
    """Spidermon's runner with :class:`MonitorLog` as its report."""

    def create_result(self) -> MonitorLog:
        return MonitorLog(self.spider)


class CrawlMonitors:
    """Run the monitor suite when the spider closes; alert when a monitor failed."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.limits = Thresholds.from_settings(crawler.settings)
        self.history: list[Any] = []
        self.job = ""
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("MONITORS_ENABLED", True):
            raise NotConfigured("MONITORS_ENABLED is off")
        return cls(crawler)

    def stores(self) -> bool:
        """Whether this crawl writes to the store (its store pipeline is on): only then is it a run of its
        job with a history; an export or a test crawl without pipelines compares with nothing."""
        pipelines = self.crawler.settings.getwithbase("ITEM_PIPELINES")
        names = (key if isinstance(key, str) else f"{key.__module__}.{key.__qualname__}"
                 for key, order in pipelines.items() if order is not None)  # fmt: skip
        return any(name.rsplit(".", 1)[-1] == "StorePipeline" for name in names)

    def spider_opened(self, spider: Any) -> None:
        if isinstance(spider, DefaultSpider):
            return
        self.job = job_name(self.crawler.settings, spider.name)
        self.crawler.stats.set_value(JOB_STAT, self.job)
        if not self.stores():
            logger.info("no store pipeline in this crawl: the history monitors will not compare")
            return
        uri = self.crawler.settings.get("STORE_URI")
        self.history, problem = load_history(uri, spider.name, self.job, self.limits.history_runs)
        if problem:
            logger.warning("run history of job %s unavailable (%s): the history monitors will not compare",
                           self.job, problem)  # fmt: skip

    def spider_closed(self, spider: Any, reason: str) -> None:
        if isinstance(spider, DefaultSpider):  # `scrapy fetch` / `scrapy shell`: no listings expected
            return
        job = self.job or job_name(self.crawler.settings, spider.name)
        alerts = configured_alerts(self.crawler.settings)
        suite = CrawlMonitorSuite(crawler=self.crawler, monitors_failed_actions=alerts)
        MonitorRunner(spider=spider).run(
            suite,
            stats=self.crawler.stats.get_stats(),
            crawler=self.crawler,
            spider=spider,
            job=job,
            history=self.history,
            reason=reason,
            limits=self.limits,
            alert_factory=alert_factory(self.crawler, job, spider.name),
        )
