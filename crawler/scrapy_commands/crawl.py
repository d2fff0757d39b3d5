"""``scrapy crawl SPIDER``: Scrapy's crawl, whose process exits with the code of why it went wrong.

Scrapy's own command exits 0 whatever happened (1 only when the spider could not even start). This
one runs the same crawl, then exits with :func:`crawler.exit_codes.exit_code_of` of the causes the
crawl recorded in its stats (``exit/causes``: see :mod:`crawler.crawl_end`). A crawl that cannot
start exits ``USAGE`` (2) for a wrong spider argument or setting, ``RULES`` (3) for a rule file
error, ``ERROR`` (1) otherwise (a ``REDIS_URL`` it cannot reach among them); the reason is logged on
one line, without a traceback for the expected ones.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from typing import Any

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

from crawler.exit_codes import CAUSES_STAT, ExitCode, exit_code_of

logger = logging.getLogger(__name__)


def start_error_code(error: BaseException) -> ExitCode:
    """The exit code of a crawl that could not start because of ``error``."""
    from crawler.detect.errors import RuleFilesError
    from spiders.base import SpiderArgumentError
    from spiders.platforms import PlatformUrlsError

    if isinstance(error, RuleFilesError):
        return ExitCode.RULES
    if isinstance(error, SpiderArgumentError | PlatformUrlsError):
        return ExitCode.USAGE
    return ExitCode.ERROR


def expected_error(error: BaseException) -> BaseException:
    """The error a start failure is about: ``error``, or the expected one it was raised while handling
    (Scrapy's engine can fail again closing a spider whose scheduler could not open: a Redis that cannot
    be reached shows as "Engine slot not assigned" raised while handling it)."""
    from crawler.distributed import DistributedError

    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, DistributedError) or start_error_code(seen) is not ExitCode.ERROR:
            return seen
        seen = seen.__cause__ or seen.__context__
    return error


class Command(ScrapyCrawlCommand):
    """``scrapy crawl``: exit with the crawl's recorded cause (0 when none)."""

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give one spider: scrapy crawl SPIDER" if args else None)
        assert self.crawler_process is not None
        crawler = self._create_crawler(args[0])
        failures: list[BaseException] = []
        started = self.crawler_process.crawl(crawler, **opts.spargs)
        if isinstance(started, asyncio.Task):
            started.add_done_callback(lambda task: self._started(task, failures))
        else:  # the Twisted CrawlerProcess (FORCE_CRAWLER_PROCESS): a Deferred
            started.addErrback(lambda failure: failures.append(failure.value))
        self.crawler_process.start()
        if failures or self.crawler_process.bootstrap_failed:
            error = expected_error(failures[0]) if failures else None
            self.exitcode = int(start_error_code(error) if error is not None else ExitCode.ERROR)
            if error is not None:
                self._log_start_error(args[0], error)
            return
        causes = crawler.stats.get_value(CAUSES_STAT) if crawler.stats is not None else None
        if crawler.stats is not None and crawler.stats.get_value("finish_reason") is None:
            self.exitcode = int(ExitCode.INTERRUPTED)  # stopped before the spider could close: forced shutdown
            return
        self.exitcode = int(exit_code_of(causes or []))

    @staticmethod
    def _started(task: asyncio.Task[Any], failures: list[BaseException]) -> None:
        if not task.cancelled() and task.exception() is not None:  # retrieved: asyncio does not print it
            failures.append(task.exception())  # type: ignore[arg-type]

    @staticmethod
    def _log_start_error(spider: str, error: BaseException) -> None:
        from crawler.distributed import DistributedError

        code = start_error_code(error)
        if code is ExitCode.ERROR and not isinstance(error, DistributedError):  # a bug: its traceback
            logger.error("scrapy crawl %s could not start", spider, exc_info=error)
        else:
            logger.error("scrapy crawl %s could not start: %s", spider, error)
        logger.error("exit: %d %s", int(code), code.name)
