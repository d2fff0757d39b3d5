"""Crawling on several machines: scrapy-redis's shared queue and dupefilter, switched on by ``REDIS_URL``.

Off by default: without ``REDIS_URL`` (environment variable or ``-s REDIS_URL=…``) nothing here changes
a crawl. With it, :class:`Distributed` (a Scrapy add-on, listed in ``ADDONS``) sets:

- ``SCHEDULER`` :class:`SharedScheduler` (``scrapy_redis.scheduler.Scheduler`` that says which Redis it
  could not reach) and ``DUPEFILTER_CLASS`` ``scrapy_redis.dupefilter.RFPDupeFilter``: every worker
  takes its requests from one queue in Redis and every request is fetched once by the whole crawl;
- the Redis keys of the crawl's job (``CRAWL_JOB``, else the spider's name):
  ``listing-monitor:<job>:requests`` (``SCHEDULER_QUEUE_KEY``) and ``listing-monitor:<job>:dupefilter``
  (``SCHEDULER_DUPEFILTER_KEY``), so two jobs of the same spider never share a queue;
- ``SCHEDULER_PERSIST`` True: a worker that stops leaves the queue and dupefilter to the others (and a
  crawl stopped with SIGTERM resumes when its workers start again);
- :class:`SharedCrawl`, the extension that keeps a worker waiting for work instead of closing as soon
  as its own engine is idle.

Seeding: every worker runs the same ``scrapy crawl SPIDER -a …`` (same arguments, same ``CRAWL_JOB``).
Their start requests go through the shared dupefilter, so the first worker to send them seeds the job
and the others' copies are dropped as duplicates; they then take work from the queue.

The end: a worker closes when the queue is empty, no other worker of the job is busy (each marks itself
busy in Redis while its engine has requests or items in flight: ``listing-monitor:<job>:busy:<worker>``,
expiring after ``REDIS_BUSY_TTL`` seconds should it die) and it has been idle ``REDIS_IDLE_SECONDS``
(default 10). The last worker to close, the queue empty, deletes the job's dupefilter, so the job's
next run fetches everything again; while requests are queued (the workers were stopped by a signal)
the queue and dupefilter are kept: workers started again go on where they stopped. A worker killed
outright (SIGKILL) loses the requests it had taken from the queue (they are in the dupefilter); the
listings it scraped are safe in its journal (:mod:`pipelines.store`).

The workers meet in the store (``STORE_URI``): each writes its listings and its own crawl-run record.
A SQLite store file works for workers on one machine (WAL, busy timeout); several machines share a
MongoDB store.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from typing import Any, Self
from urllib.parse import urlsplit, urlunsplit

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy.settings import BaseSettings
from scrapy.utils.misc import load_object
from scrapy_redis import connection
from scrapy_redis.scheduler import Scheduler

logger = logging.getLogger(__name__)

KEY_PREFIX = "listing-monitor"
DEFAULT_IDLE_SECONDS = 10.0
DEFAULT_BUSY_TTL = 30
POLL_SECONDS = 0.5


class DistributedError(RuntimeError):
    """Redis (``REDIS_URL``) cannot be used; the message names the URL (without its password)."""


def redis_url(settings: BaseSettings) -> str | None:
    """``REDIS_URL`` from the settings, else from the environment; None (or empty): one machine."""
    return str(settings.get("REDIS_URL") or os.environ.get("REDIS_URL") or "").strip() or None


def shown_url(url: str) -> str:
    """``url`` without its password, for logs and errors."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def job_prefix(settings: BaseSettings) -> str:
    """``listing-monitor:<job>``, the Redis key prefix of the crawl's job (``%(spider)s`` when no
    ``CRAWL_JOB``: scrapy-redis puts in the spider's name)."""
    job = str(settings.get("CRAWL_JOB") or "").strip().replace("%", "%%")
    return f"{KEY_PREFIX}:{job or '%(spider)s'}"


class Distributed:
    """Scrapy add-on: when ``REDIS_URL`` is set, the crawl is one worker of a shared scrapy-redis crawl."""

    def update_settings(self, settings: BaseSettings) -> None:
        url = redis_url(settings)
        if not url:
            return
        prefix = job_prefix(settings)
        settings.set("REDIS_URL", url, "addon")
        settings.set("SCHEDULER", "crawler.distributed.SharedScheduler", "addon")
        settings.set("DUPEFILTER_CLASS", "scrapy_redis.dupefilter.RFPDupeFilter", "addon")
        settings.set("SCHEDULER_PERSIST", True, "addon")
        settings.set("SCHEDULER_QUEUE_KEY", f"{prefix}:requests", "addon")
        settings.set("SCHEDULER_DUPEFILTER_KEY", f"{prefix}:dupefilter", "addon")
        settings.set_in_component_priority_dict("EXTENSIONS", SharedCrawl, 10)


class SharedScheduler(Scheduler):
    """scrapy-redis's scheduler; a Redis it cannot reach is a :class:`DistributedError` naming the URL."""

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> Self:
        import redis

        try:
            return super().from_settings(settings)
        except (redis.exceptions.RedisError, OSError, ValueError) as exc:
            url = shown_url(redis_url(settings) or "")
            raise DistributedError(f"REDIS_URL {url}: cannot use Redis ({exc})") from exc


class SharedCrawl:
    """Scrapy extension of a worker (on when ``REDIS_URL`` is set): mark it busy in Redis while it has
    work, keep it waiting while the job's queue has requests or another worker is busy, close it after
    ``REDIS_IDLE_SECONDS`` of nothing to do, and let the last worker, nothing queued, reset the job."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.server = connection.from_settings(settings)
        self.prefix = job_prefix(settings)
        self.idle_seconds = settings.getfloat("REDIS_IDLE_SECONDS", DEFAULT_IDLE_SECONDS)
        self.busy_ttl = max(1, settings.getint("REDIS_BUSY_TTL", DEFAULT_BUSY_TTL))
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.keys: dict[str, str] = {}
        self.queue: Any = None
        self.idle_since: float | None = None
        self._loop: Any = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not redis_url(crawler.settings):
            raise NotConfigured("REDIS_URL is not set")
        return cls(crawler)

    def _busy_key(self, worker: str) -> str:
        return f"{self.keys['busy']}:{worker}"

    def spider_opened(self, spider: Any) -> None:
        settings = self.crawler.settings
        prefix = self.prefix % {"spider": spider.name}
        self.keys = {"workers": f"{prefix}:workers", "busy": f"{prefix}:busy",
                     "requests": settings["SCHEDULER_QUEUE_KEY"] % {"spider": spider.name},
                     "dupefilter": settings["SCHEDULER_DUPEFILTER_KEY"] % {"spider": spider.name}}
        queue_cls = load_object(settings.get("SCHEDULER_QUEUE_CLASS") or "scrapy_redis.queue.PriorityQueue")
        self.queue = queue_cls(server=self.server, spider=spider, key=self.keys["requests"])
        self.server.sadd(self.keys["workers"], self.worker)
        self._mark_busy()
        logger.info("worker %s of the shared crawl %s (Redis %s): %d requests queued", self.worker, prefix,
                    shown_url(redis_url(settings) or ""), len(self.queue))  # fmt: skip
        from twisted.internet.task import LoopingCall

        self._loop = LoopingCall(self._tick)
        self._loop.start(POLL_SECONDS, now=False).addErrback(
            lambda failure: logger.error("shared crawl heartbeat failed: %s", failure.getTraceback())
        )

    def _mark_busy(self) -> None:
        self.server.set(self._busy_key(self.worker), "1", ex=self.busy_ttl)

    def _tick(self) -> None:
        """Every ``POLL_SECONDS``: refresh the busy mark while working; when idle and the queue has
        requests, wake the engine now rather than at its next 5-second heartbeat."""
        engine = self.crawler.engine
        if engine is None or engine.spider is None:
            return
        if not engine.spider_is_idle():
            self._mark_busy()
            self.idle_since = None
            return
        if len(self.queue):
            slot = getattr(engine, "_slot", None)  # Scrapy's engine has no public "look again now"
            if slot is not None:
                slot.nextcall.schedule()

    def _others_busy(self) -> list[str]:
        others = [w for w in self.server.smembers(self.keys["workers"]) if _text(w) != self.worker]
        return [_text(w) for w in others if self.server.exists(self._busy_key(_text(w)))]

    def spider_idle(self, spider: Any) -> None:
        """Keep the worker while the crawl may still give it work; let it close after ``idle_seconds``."""
        self.server.delete(self._busy_key(self.worker))
        now = time.monotonic()
        if len(self.queue) or self._others_busy():
            self.idle_since = now
            raise DontCloseSpider
        if self.idle_since is None:
            self.idle_since = now
        if now - self.idle_since < self.idle_seconds:
            raise DontCloseSpider

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        self.server.delete(self._busy_key(self.worker))
        self.server.srem(self.keys["workers"], self.worker)
        name = self.prefix % {"spider": spider.name}
        queued = len(self.queue)
        if queued:
            logger.info("shared crawl %s: worker %s closed (%s); %d requests queued and the dupefilter are "
                        "kept: start workers again to go on", name, self.worker, reason, queued)  # fmt: skip
        elif not self.server.scard(self.keys["workers"]):
            self.server.delete(self.keys["dupefilter"], self.keys["workers"])
            logger.info("shared crawl %s is over (%s): its dupefilter is reset for the next run", name, reason)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
