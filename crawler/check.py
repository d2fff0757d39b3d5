"""Tip-offs: crawl the one listing a URL points at, through the real pipelines, and read its verdict.

    result = check_url("https://tiki.vn/…-p123.html?spid=456", store_uri="sqlite:///data/crawler.sqlite3")

:func:`spider_for_url` picks the spider from the URL's host (tiki.vn → ``tiki``, shopee.vn → ``shopee``,
lazada.vn → ``lazada``, sendo.vn → ``sendo``, chotot.com → ``chotot``; a demo/mock URL
``http://127.0.0.1:PORT/<platform>/…`` → that platform, with every platform host pointed at that
server; anything else → ``shopsite``, the spider for shop websites). :func:`check_url` runs
``scrapy crawl <spider> -a url=URL -a source=tip-off`` in a subprocess (an argument list, never a shell
line) with the project's pipelines, so the listing is normalised, judged by the rules, its evidence
kept and it is stored with ``source: "tip-off"``; then it reads the stored listing(s) back. A URL whose
host resolves to a non-public address is refused before anything is fetched (``crawler.net_policy``).
A checked listing of an API platform also gets its public page rendered in Chromium and a screenshot
appended to its evidence (``crawler.screenshot_queue``; ``SCREENSHOTS_ON_CHECK=0`` turns it off).
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from crawler.crawl_process import run_crawl
from crawler.exit_codes import ExitCode
from crawler.items import Listing
from crawler.net_policy import RefusedURL, check_url_allowed
from crawler.screenshot_queue import PLATFORM_DOMAINS, ScreenshotQueue, page_url_problem, run_capture
from crawler.store import StoreError, open_store

HOSTS = {"tiki.vn": "tiki", "shopee.vn": "shopee", "lazada.vn": "lazada", "sendo.vn": "sendo", "chotot.com": "chotot"}
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
PLATFORM_KEYS = ("tiki", "tiki_api", "shopee", "lazada", "sendo", "sendo_search", "sendo_detail", "chotot",
                 "chotot_api", "facebook")
FALLBACK_SPIDER = "shopsite"
TIMEOUT = 300


class CheckError(ValueError):
    """The URL cannot be checked, or the crawl failed; the message says why, ``exit_code`` the cause."""

    def __init__(self, message: str, exit_code: int = ExitCode.ERROR) -> None:
        super().__init__(message)
        self.exit_code = int(exit_code)


NOTHING_FOUND = (ExitCode.OK, ExitCode.NO_LISTINGS, ExitCode.TOO_MANY_ERRORS)
"""A tip-off crawl's exits that still say whether the URL had a listing (404, no listing there)."""


@dataclass
class CheckResult:
    """What a tip-off check found: the spider used, the stored listing(s), the crawl's log tail."""

    url: str
    spider: str
    listings: list[Listing] = field(default_factory=list)
    log_tail: str = ""
    screenshot_problems: list[str] = field(default_factory=list)
    """Why a checked listing got no screenshot (empty when each API listing got one, or none was asked)."""


def spider_for_url(url: str) -> tuple[str, dict[str, str] | None]:
    """The spider for ``url`` and, for a local mock URL, the ``PLATFORM_BASE_URLS`` that serve it.

    Raises :class:`CheckError` for anything but an http(s) URL with a host.
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CheckError(f"not an http(s) URL with a host: {url!r}", ExitCode.USAGE)
    host = parts.hostname.lower()
    if host in LOCAL_HOSTS:
        first = parts.path.strip("/").split("/", 1)[0]
        platform = first.split("_", 1)[0]
        if platform in set(HOSTS.values()):
            base = f"{parts.scheme}://{parts.netloc}"
            return platform, {key: f"{base}/{key}" for key in PLATFORM_KEYS}
        return FALLBACK_SPIDER, None
    for domain, spider in HOSTS.items():
        if host == domain or host.endswith("." + domain):
            return spider, None
    return FALLBACK_SPIDER, None


def crawl_settings(
    store_uri: str, bases: dict[str, str] | None, settings: dict[str, str] | None = None
) -> dict[str, str]:
    """The ``-s`` settings of one tip-off crawl: the store, the keys feed, the hosts of a mock URL."""
    # a tip-off is one listing for a person waiting on its answer, not a run of a crawl job: the end-of-crawl
    # monitors would compare it with the spider's full crawls (and alert ops) for nothing
    chosen = {"STORE_URI": store_uri, "FEED_EXPORT_FIELDS": "platform,listing_id", "MONITORS_ENABLED": "0"}
    if bases:
        chosen["PLATFORM_BASE_URLS"] = json.dumps(bases)
    return chosen | (settings or {})


def check_url(url: str, store_uri: str, settings: dict[str, str] | None = None,
              timeout: float = TIMEOUT) -> CheckResult:
    """Crawl the listing at ``url`` as a tip-off and return what the store now holds for it.

    Raises :class:`CheckError` when the URL is unusable or refused by the net policy (a host that
    resolves to a private, loopback or link-local address and is not in ``ALLOWED_PRIVATE_HOSTS``), the
    crawl fails (its ``exit_code`` is the crawl's), or the store cannot be read. An empty ``listings``
    means the spider found no listing at the URL (the log tail says why; a redirect to a refused
    address is named there).
    """
    spider, bases = spider_for_url(url)
    try:
        check_url_allowed(url.strip())
    except RefusedURL as exc:
        raise CheckError(str(exc)) from exc
    with tempfile.TemporaryDirectory(prefix="check-") as tmp:
        feed = Path(tmp) / "keys.jsonl"
        try:
            done = run_crawl(
                spider,
                {"url": url, "source": "tip-off"},
                crawl_settings(store_uri, bases, settings),
                extra=["-o", f"{feed}:jsonlines"],
                timeout=timeout,
            )
        except subprocess.TimeoutExpired as exc:
            raise CheckError(f"{url}: crawl did not finish within {timeout:.0f}s") from exc
        tail = "\n".join(done.stderr.splitlines()[-40:])
        if done.returncode not in NOTHING_FOUND:
            raise CheckError(f"{url}: scrapy crawl {spider} failed (exit {done.returncode})\n{tail}", done.returncode)
        keys = []
        if feed.exists():
            for line in feed.read_text(encoding="utf-8").splitlines():
                record = json.loads(line)
                keys.append((str(record["platform"]), str(record["listing_id"])))
    result = CheckResult(url=url, spider=spider, log_tail=tail)
    result.listings = _read_listings(url, store_uri, list(dict.fromkeys(keys)))
    if result.listings and _wants_screenshots(settings):
        result.screenshot_problems = _screenshots(result.listings, store_uri, bases, settings or {}, timeout)
        result.listings = _read_listings(url, store_uri, [(x.platform, x.listing_id) for x in result.listings])
    return result


def _read_listings(url: str, store_uri: str, keys: list[tuple[str, str]]) -> list[Listing]:
    found = []
    try:
        with open_store(store_uri) as store:
            for platform, listing_id in keys:
                listing = store.get_listing(platform, listing_id)
                if listing is not None:
                    found.append(listing)
    except StoreError as exc:
        raise CheckError(f"{url}: cannot read the store: {exc}", ExitCode.STORE_UNREACHABLE) from exc
    return found


def _wants_screenshots(settings: dict[str, str] | None) -> bool:
    value = (settings or {}).get("SCREENSHOTS_ON_CHECK", os.environ.get("SCREENSHOTS_ON_CHECK", "1"))
    return str(value).strip().lower() not in ("0", "false", "no", "off")


def _screenshots(listings: list[Listing], store_uri: str, bases: dict[str, str] | None, settings: dict[str, str],
                 timeout: float) -> list[str]:
    """Queue each checked listing of an API platform for a screenshot and take them now (appended to its
    evidence); the problems, if any (the listing then stays queued for ``crawler evidence capture``)."""
    evidence_dir = settings.get("EVIDENCE_DIR") or os.environ.get("EVIDENCE_DIR") or "data/evidence"
    queue = ScreenshotQueue(evidence_dir)
    known = {**json.loads(os.environ.get("PLATFORM_BASE_URLS") or "{}"), **(bases or {})}
    keys = set()
    problems = []
    for listing in listings:
        problem = page_url_problem(listing.platform, listing.url, known)
        if problem:
            if listing.platform in PLATFORM_DOMAINS:
                problems.append(f"{listing.key}: no screenshot: {problem}")
            continue
        try:
            queue.add(listing)
        except OSError as exc:
            problems.append(f"{listing.key}: screenshot not queued: {exc}")
            continue
        keys.add(listing.key)
    if not keys:
        return problems
    chosen = {**settings, "PLATFORM_BASE_URLS": json.dumps(known)} if known else dict(settings)
    chosen.pop("SCREENSHOTS_ON_CHECK", None)
    try:
        code = run_capture(evidence_dir, store_uri, keys=keys, settings=chosen, timeout=timeout)
    except subprocess.TimeoutExpired:
        return [*problems, f"screenshot not taken within {timeout:.0f}s; queued for `crawler evidence capture`"]
    if code != 0:
        problems.append(f"screenshot capture failed (exit {code}); queued for `crawler evidence capture`")
    return problems
