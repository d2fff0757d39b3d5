"""Downloader middleware that slows a host down when it says "too many requests".

On a 429 or 503 the host's download slot delay becomes the ``Retry-After`` the server sent, or
double the current delay (at most once per current delay, so answers to requests already in flight do
not compound it; at least ``BACKOFF_MIN_DELAY``, 1 s), capped at ``AUTOTHROTTLE_MAX_DELAY``, before
Scrapy's RetryMiddleware queues the retry (this middleware sits after it, at 560, so it sees the
response first). Each good (2xx/3xx/404) response halves the delay again, down to the host's delay
before the backoff. Stats: ``backoff/<status>``.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import scrapy
from scrapy.http import Response

logger = logging.getLogger(__name__)

BACKOFF_STATUSES = (429, 503)


class BackoffMiddleware:
    """Downloader middleware: on 429/503 widen the host's download delay before the retry goes out."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.min_delay = crawler.settings.getfloat("BACKOFF_MIN_DELAY", 1.0)
        self.max_delay = crawler.settings.getfloat("AUTOTHROTTLE_MAX_DELAY", 60.0)
        self.normal: dict[str, float] = {}
        """Each backed-off slot's delay before its first backoff."""
        self.last: dict[str, float] = {}
        """When each slot was last widened (monotonic seconds)."""

    @classmethod
    def from_crawler(cls, crawler: Any) -> BackoffMiddleware:
        """Scrapy's constructor hook."""
        return cls(crawler)

    def _retry_after(self, response: Response) -> float | None:
        raw = response.headers.get(b"Retry-After")
        if not raw:
            return None
        try:
            return max(0.0, float(raw.decode("latin-1").strip()))
        except ValueError:
            return None  # an HTTP date: fall back to doubling

    def process_response(self, request: scrapy.Request, response: Response) -> Response:
        """Widen the slot's delay on a 429/503 (the response goes on to RetryMiddleware); relax it after."""
        downloader = self.crawler.engine.downloader
        key = request.meta.get("download_slot") or downloader.get_slot_key(request)
        slot = downloader.slots.get(key)
        if slot is None:
            return response
        if response.status not in BACKOFF_STATUSES:
            if key in self.normal and response.status < 500 and response.status != 429:
                slot.delay = max(self.normal[key], slot.delay / 2)
                if slot.delay <= self.normal[key]:
                    del self.normal[key]
            return response
        self.normal.setdefault(key, slot.delay)
        wanted = self._retry_after(response)
        now = time.monotonic()
        if wanted is None:
            recent = now - self.last.get(key, -1e9) < slot.delay
            wanted = slot.delay if recent else max(self.min_delay, slot.delay * 2)
        self.last[key] = now
        slot.delay = min(self.max_delay, max(slot.delay, wanted))
        logger.warning("%s: HTTP %d, backing off: %s delay now %.1fs", request.url, response.status, key, slot.delay)
        self.crawler.stats.inc_value(f"backoff/{response.status}")
        return response
