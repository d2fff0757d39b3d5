"""What each request finally came to, after its retries: a downloader middleware counting it.

It sits closest to the engine (``DOWNLOADER_MIDDLEWARES`` order 50, before ``RetryMiddleware`` in
response order), so it sees each request once, after every retry: a final response, or the exception
the retries gave up on. ``robots.txt`` fetches are not counted (a site without one answers 404).
Stats, read by the end-of-crawl summary and the error threshold (:mod:`crawler.crawl_end`):

- ``crawl/pages``: final responses, whatever their status;
- ``crawl/errors/http/<status>``: final responses with status 400 or more;
- ``crawl/errors/download/<ExceptionClass>``: requests that got no response at all (a request a
  middleware chose to drop, such as one robots.txt forbids, is not counted).
"""

from __future__ import annotations

from typing import Any, Self
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

PAGES = "crawl/pages"
HTTP_ERRORS = "crawl/errors/http/"
DOWNLOAD_ERRORS = "crawl/errors/download/"


def _counted(request: Request) -> bool:
    return urlsplit(request.url).path != "/robots.txt"


class RequestOutcomesMiddleware:
    """Count final responses, final HTTP errors and requests that failed without a response."""

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Response:
        if _counted(request):
            self.stats.inc_value(PAGES)
            if response.status >= 400:
                self.stats.inc_value(f"{HTTP_ERRORS}{response.status}")
        return response

    def process_exception(self, request: Request, exception: Exception, spider: Any = None) -> None:
        if _counted(request) and not isinstance(exception, IgnoreRequest):  # robots.txt forbade it: not a failure
            self.stats.inc_value(f"{DOWNLOAD_ERRORS}{type(exception).__name__}")
        return None
