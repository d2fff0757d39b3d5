"""Scrapy settings for the listing monitor, grouped by concern.

Every value that differs between a laptop, a server and a test reads an environment variable
first (``STORE_URI``, ``RULES_DIR``, ``EVIDENCE_DIR``, ``ROBOTSTXT_OBEY``, ``LOG_LEVEL``, ``REDIS_URL``) and can be
overridden per run with ``scrapy crawl … -s NAME=value``.
"""

from __future__ import annotations

import json
import os


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


# --- project -----------------------------------------------------------------------------------
BOT_NAME = "listing-monitor"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
FEED_EXPORT_ENCODING = "utf-8"
# `scrapy crawl` is the project's own (crawler/scrapy_commands/crawl.py): it exits with the crawl's cause
COMMANDS_MODULE = "crawler.scrapy_commands"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"

# --- where each platform lives ---------------------------------------------------------------------
# One place for every host a spider talks to. Point a spider at a local server that serves the same
# paths (the demo marketplace, the test mock server) with
#   scrapy crawl tiki -s 'PLATFORM_BASE_URLS={"tiki": "http://127.0.0.1:8080/tiki"}'
# Keys given there replace these defaults one by one.
PLATFORM_BASE_URLS: dict[str, str] = {
    "tiki": "https://tiki.vn",
    "tiki_api": "https://api.tiki.vn",
    "shopee": "https://shopee.vn",
    "lazada": "https://www.lazada.vn",
    "sendo": "https://www.sendo.vn",
    "sendo_search": "https://searchlist-api.sendo.vn",
    "sendo_detail": "https://detail-api.sendo.vn",
    "chotot": "https://www.chotot.com",
    "chotot_api": "https://gateway.chotot.com",
    "facebook": "https://www.facebook.com",
}
# any other key (a typo such as "tikki") stops the crawl before its first request (spiders/platforms.py)
PLATFORM_BASE_URLS.update(json.loads(os.environ.get("PLATFORM_BASE_URLS", "{}")))

# --- politeness ---------------------------------------------------------------------------------
# Inspectors act under a legal mandate that may override robots.txt; the default still honours it.
ROBOTSTXT_OBEY = _env_bool("ROBOTSTXT_OBEY", True)
USER_AGENT = "listing-monitor/0.1 (+market surveillance; contact your QLTT unit)"
CONCURRENT_REQUESTS = 16
# Items and requests of one response handled at a time. Scrapy starts this many asyncio tasks for every
# response, whatever it yields (Scrapy's default, 100, cost 1 M tasks for 10,000 pages); a detail page
# yields one listing, a search page 40 requests, and no pipeline waits long (the store's fsync is a group
# commit), so 8 loses nothing. Measured with `python -m bench crawl` (BENCHMARKS.md).
CONCURRENT_ITEMS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0.5
DOWNLOAD_TIMEOUT = 30
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
HTTPCACHE_ENABLED = False
# Size caps of one response: a bigger body is refused, its URL logged at WARNING. Scrapy applies them on
# the wire (Content-Length, then bytes received) and again while decompressing (a gzip bomb), and the
# spiders' JSON decoding (spiders.formats.jsonbody) to bodies a browser page fetched. A refused detail
# request leaves its listing partial (spiders.base). The real APIs answer well under 2 MiB a page.
DOWNLOAD_MAXSIZE = int(os.environ.get("DOWNLOAD_MAXSIZE", str(32 * 1024 * 1024)))
DOWNLOAD_WARNSIZE = int(os.environ.get("DOWNLOAD_WARNSIZE", str(8 * 1024 * 1024)))
# after RetryMiddleware (550) in response order: the host's delay widens before the retry is queued;
# NetPolicyMiddleware first: no request (redirects included) reaches a private/loopback/link-local address;
# RequestOutcomesMiddleware (50) counts what each request that passed it finally came to
DOWNLOADER_MIDDLEWARES = {
    "crawler.net_policy.NetPolicyMiddleware": 45,
    "crawler.request_outcomes.RequestOutcomesMiddleware": 50,
    "crawler.backoff.BackoffMiddleware": 560,
}
BACKOFF_MIN_DELAY = 1.0

# --- tip-offs that cannot be turned inward (crawler/net_policy.py) ----------------------------------
# Hosts that may resolve to a private, loopback or link-local address: local test servers only
# (the demo and the tests set ``ALLOWED_PRIVATE_HOSTS=127.0.0.1,localhost``). Empty in production.
ALLOWED_PRIVATE_HOSTS = [host.strip() for host in os.environ.get("ALLOWED_PRIVATE_HOSTS", "").split(",")
                         if host.strip()]
DNS_RESOLVER = "crawler.net_policy.GuardedResolver"

# --- the end of a crawl: exit causes and the summary (crawler/crawl_end.py) ------------------------
# CrawlMonitors (-10) handles spider_closed before every extension at 0, CrawlEnd included: handlers run
# in the order extensions are built, lowest EXTENSIONS value first (crawler/monitors/extension.py)
EXTENSIONS = {
    "crawler.monitors.extension.CrawlMonitors": -10,
    "crawler.crawl_end.CrawlEnd": 0,
    "crawler.resume.ResumeCheck": 1,
    "scrapy.extensions.logstats.LogStats": None,  # replaced by the progress line
    "crawler.progress.ProgressLog": 0,
}
# more than this fraction of requests ending in an error (HTTP >= 400 after retries, no response,
# unreadable page) makes the crawl exit TOO_MANY_ERRORS (6)
CRAWL_MAX_ERROR_RATE = float(os.environ.get("CRAWL_MAX_ERROR_RATE", "0.2"))

# --- the progress line (crawler/progress.py) --------------------------------------------------------
# every PROGRESS_INTERVAL seconds one INFO line: pages, listings, flags, errors and rates; 0 switches it off
PROGRESS_INTERVAL = float(os.environ.get("PROGRESS_INTERVAL", "30"))

# --- monitors at the end of every crawl (crawler/monitors/) ------------------------------------------
# A failed monitor logs at ERROR, exits MONITOR_FAILED (11) unless a more serious cause applies, and alerts.
MONITORS_ENABLED = _env_bool("MONITORS_ENABLED", True)
# the job a crawl belongs to (a crawls.yaml job); its history is the runs of the same job. Unset: the spider
CRAWL_JOB = os.environ.get("CRAWL_JOB") or None
# history: the job's last MONITOR_HISTORY_RUNS finished runs; with fewer than MONITOR_MIN_HISTORY of them the
# history monitors say so and pass
MONITOR_HISTORY_RUNS = int(os.environ.get("MONITOR_HISTORY_RUNS", "10"))
MONITOR_MIN_HISTORY = int(os.environ.get("MONITOR_MIN_HISTORY", "3"))
# fail when listings < MONITOR_MIN_LISTINGS_RATIO x the median listing count of the history
MONITOR_MIN_LISTINGS_RATIO = float(os.environ.get("MONITOR_MIN_LISTINGS_RATIO", "0.5"))
# fail when more than this share of the listings found were invalid (skipped, dropped, a field unreadable)
MONITOR_MAX_INVALID_SHARE = float(os.environ.get("MONITOR_MAX_INVALID_SHARE", "0.1"))
# fail when more than this share of the listings are partial because their detail failed (not Lazada's by design)
MONITOR_MAX_PARTIAL_SHARE = float(os.environ.get("MONITOR_MAX_PARTIAL_SHARE", "0.3"))
# fail when more than this share of requests ended in an error (a warning below CRAWL_MAX_ERROR_RATE's exit 6)
MONITOR_MAX_ERROR_RATE = float(os.environ.get("MONITOR_MAX_ERROR_RATE", "0.1"))
# fail when more than this share of the pages fetched finally answered HTTP 4xx or 5xx
MONITOR_MAX_HTTP_ERROR_RATE = float(os.environ.get("MONITOR_MAX_HTTP_ERROR_RATE", "0.1"))
# fail when the share of listings with a title / price / seller / origin falls more than this (0.2: 20 points)
# under its median over the history; runs with fewer than MONITOR_COVERAGE_MIN_LISTINGS listings are not compared
MONITOR_MAX_COVERAGE_DROP = float(os.environ.get("MONITOR_MAX_COVERAGE_DROP", "0.2"))
MONITOR_COVERAGE_MIN_LISTINGS = int(os.environ.get("MONITOR_COVERAGE_MIN_LISTINGS", "20"))

# --- alerts when a monitor failed (crawler/monitors/alerts.py); each only when configured -------------
# a webhook: HTTP POST of a JSON body {"text", "job", "spider", "host", "failed", "passed", "counts"}
ALERT_WEBHOOK_URL = os.environ.get("ALERT_WEBHOOK_URL", "")
# e-mail through SMTP: ALERT_SMTP_TO is comma-separated; STARTTLS and login when set
ALERT_SMTP_HOST = os.environ.get("ALERT_SMTP_HOST", "")
ALERT_SMTP_PORT = int(os.environ.get("ALERT_SMTP_PORT", "25"))
ALERT_SMTP_FROM = os.environ.get("ALERT_SMTP_FROM", "")
ALERT_SMTP_TO = os.environ.get("ALERT_SMTP_TO", "")
ALERT_SMTP_STARTTLS = _env_bool("ALERT_SMTP_STARTTLS", False)
ALERT_SMTP_USER = os.environ.get("ALERT_SMTP_USER", "")
ALERT_SMTP_PASSWORD = os.environ.get("ALERT_SMTP_PASSWORD", "")
# seconds each alert may take to send (the crawl's end waits for it)
ALERT_TIMEOUT = float(os.environ.get("ALERT_TIMEOUT", "10"))

# --- item flow: normalize → detect → evidence → store --------------------------------------------
SPIDER_MIDDLEWARES = {
    "crawler.capture.CaptureResponseMiddleware": 950,
}
ITEM_PIPELINES = {
    "pipelines.normalize.NormalizePipeline": 100,
    "pipelines.detect.DetectPipeline": 300,
    "pipelines.evidence.EvidencePipeline": 500,
    "pipelines.store.StorePipeline": 800,
}

# --- storage, rules, evidence -------------------------------------------------------------------
STORE_URI = os.environ.get("STORE_URI", "sqlite:///data/crawler.sqlite3")
STORE_BATCH_SIZE = int(os.environ.get("STORE_BATCH_SIZE", "500"))
# a batch is written when it is full or this many seconds after the last write (a quiet crawl still stores)
STORE_FLUSH_SECONDS = float(os.environ.get("STORE_FLUSH_SECONDS", "5"))
RULES_DIR = os.environ.get("RULES_DIR", "rules")
# texts each of the detection engine's caches keeps in a crawl (the engine's own bounds, 50,000-200,000,
# suit batch detection; a crawl's titles rarely repeat and those caches held most of its memory); 0: the
# engine's bounds. Same flags either way. Measured with `python -m bench crawl --memory` (BENCHMARKS.md).
DETECT_CACHE_ENTRIES = int(os.environ.get("DETECT_CACHE_ENTRIES", "10000"))
# a rule-file error stops the crawl (exit RULES, 3) unless this is set: then it crawls with what loaded
RULES_ALLOW_ERRORS = _env_bool("RULES_ALLOW_ERRORS", False)
EVIDENCE_DIR = os.environ.get("EVIDENCE_DIR", "data/evidence")
EVIDENCE_ENABLED = _env_bool("EVIDENCE_ENABLED", True)
# API listings flagged banned/counterfeit are queued for a rendered-page screenshot (crawler/screenshot_queue.py);
# `crawler evidence capture` drains the queue, or a crawl starts it on its own when SCREENSHOTS_AFTER_CRAWL=1;
# `crawler check URL` captures its listing at once unless SCREENSHOTS_ON_CHECK=0
SCREENSHOT_QUEUE = _env_bool("SCREENSHOT_QUEUE", True)
SCREENSHOTS_AFTER_CRAWL = _env_bool("SCREENSHOTS_AFTER_CRAWL", False)
SCREENSHOTS_ON_CHECK = _env_bool("SCREENSHOTS_ON_CHECK", True)
# where listings go when the store cannot take them (load them later with `crawler store import FILE`),
# and each run's write-ahead journal (a killed run's is loaded by the next run)
SPOOL_DIR = os.environ.get("SPOOL_DIR", "data/spool")

# --- resume and many machines (README "Resume", "Several machines") ------------------------------
# Resume: `-s JOBDIR=data/jobs/<job>` keeps the crawl's queue, its seen requests and the spiders' state
# on disk; a crawl stopped with SIGTERM or one Ctrl-C starts again where it stopped with the same JOBDIR.
# A request that cannot be written there (unpicklable meta) is logged at WARNING with its URL, and a
# stop before the end says at ERROR how many the resume will miss (crawler/resume.py).
SCHEDULER_DEBUG = True
# Several machines: REDIS_URL (here or in the environment) makes every crawl a worker of one shared
# scrapy-redis crawl per job (crawler/distributed.py); unset, nothing changes.
ADDONS = {"crawler.distributed.Distributed": 0}
REDIS_URL = os.environ.get("REDIS_URL") or None
# a worker with nothing to do waits this long (the queue empty, no other worker busy) before it closes
REDIS_IDLE_SECONDS = float(os.environ.get("REDIS_IDLE_SECONDS", "10"))
# a worker's "busy" mark expires this many seconds after its last refresh (a killed worker's goes away)
REDIS_BUSY_TTL = 30
# fail fast when Redis is not there (scrapy-redis's defaults wait 30 s)
REDIS_PARAMS = {"socket_timeout": 30, "socket_connect_timeout": 5, "retry_on_timeout": True, "encoding": "utf-8"}
