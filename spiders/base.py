"""``MarketplaceSpider``: what every platform spider shares.

- the platform's host from ``PLATFORM_BASE_URLS[name]`` (so ``-s 'PLATFORM_BASE_URLS={"tiki":
  "http://127.0.0.1:PORT/tiki"}'`` points a spider at the demo marketplace or a test server);
- spider arguments ``keywords`` (comma-separated), ``keywords_file`` (one a line, ``#`` comments),
  ``max_pages`` (a positive integer; pages per keyword), ``category`` (the platform's category id or
  slug), ``seller`` (a shop's id or slug: crawl that shop's listings), ``url`` (one listing's URL on
  the real site or the mock server: crawl just that listing, for tip-offs) and ``source`` (what the
  items' ``source`` says: ``crawl`` by default, ``tip-off`` for ``crawler check``), each checked with a
  clear error;
- :meth:`platform_url` for the platform's other hosts (``sendo_search``, ``chotot_api``, …);
- :meth:`start`, which dispatches: ``url`` → :meth:`url_requests`, ``seller`` → :meth:`seller_requests`,
  otherwise one :meth:`search_request` per keyword (subclasses implement what their platform has);
- :meth:`parse_json`, which reads a JSON body as UTF-8 with ``spiders.formats.jsonbody`` (never
  Scrapy's encoding guess: invalid bytes are replaced and the URL logged at WARNING, counted as
  ``spider/<name>/invalid_utf8``), and logs ``URL: malformed JSON (…)`` and counts
  ``spider/<name>/malformed_responses`` instead of raising (too deep, too big, not JSON);
- :meth:`partial_listing`, the listing from its list entry when its detail cannot be had (the request
  failed after its retries, or the detail is unreadable): marked ``partial``, with the ``fields_seen``
  of the list entry only, so it is stored now and its detail fetched on the next crawl. Counted as
  ``listings/partial/<cause>`` and ``spider/<name>/partial/<cause>`` (every partial listing, Lazada's
  list items too, counts in ``listings/partial`` and ``spider/<name>/partial``); the cause is :func:`failure_cause`'s
  (``http_404``, ``http_503``, ``timeout``, ``connection``, ``too_large``, …) or ``unreadable``. Its
  evidence is the list page with its entry (:meth:`list_capture`, kept on the entry as ``capture``),
  not the failed detail's error body;
- :meth:`emit`, which logs each unreadable field as ``URL field=NAME: …`` (the field stays None),
  checks the item has what a Listing needs, and hands it on as a plain dict with the fields its source
  format carried (``fields_seen``, set by the format's extractor) and ``partial`` (True for a listing
  yielded from its list entry without its detail; counted as ``spider/<name>/partial``).

Politeness (AutoThrottle, retries, and ``crawler.backoff.BackoffMiddleware`` on 429/503) is set in
``crawler/settings.py`` for every spider.

Spiders only navigate and extract: they never run rules or touch the store.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from spiders.formats.common import FieldErrors, MissingField
from spiders.formats.jsonbody import UnreadableJson, decode_json

Extractor = Callable[[dict[str, Any], str, FieldErrors], dict[str, Any]]
"""A format's extraction function: ``(entry, base_url, errors) -> listing fields``."""

logger = logging.getLogger(__name__)

LISTING_FIELDS = (
    "platform", "listing_id", "url", "title", "description", "price", "original_price", "currency",
    "brand", "category", "origin", "seller", "images", "sold_count", "rating", "posted_at",
)
SELLER_FIELDS = ("platform_id", "name", "url", "province", "official", "phones")
SOURCES = ("crawl", "tip-off")


_CAUSES_BY_TYPE = {
    "TimeoutError": "timeout", "TCPTimedOutError": "timeout", "DownloadTimeoutError": "timeout",
    "UserTimeoutError": "timeout", "ConnectionRefusedError": "connection", "ConnectError": "connection",
    "DownloadConnectionRefusedError": "connection", "DNSLookupError": "connection",
    "CannotResolveHostError": "connection", "ConnectionLost": "connection", "ConnectionDone": "connection",
    "ResponseNeverReceived": "connection", "ResponseFailed": "connection", "DownloadFailedError": "connection",
    "ResponseDataLossError": "connection",
}


def failure_cause(failure: Failure) -> str:
    """Why a request failed, as a short stat-friendly word: ``http_<status>`` for an HTTP error answer
    (after its retries), ``too_large`` for a body over ``DOWNLOAD_MAXSIZE`` (also after decompression),
    ``timeout``, ``connection``, else the exception's type name."""
    exc = failure.value
    if isinstance(exc, HttpError):
        return f"http_{exc.response.status}"
    message = str(exc)
    if "DOWNLOAD_MAXSIZE" in message or "download max size" in message:
        return "too_large"
    for cls in type(exc).__mro__:
        if cls.__name__ in _CAUSES_BY_TYPE:
            return _CAUSES_BY_TYPE[cls.__name__]
    return type(exc).__name__


class SpiderArgumentError(ValueError):
    """A spider argument (``-a name=value``) that cannot be used; the message says which and why."""


def parse_keywords(keywords: str | None, keywords_file: str | None) -> list[str]:
    """The search keywords from ``-a keywords=a,b`` and/or ``-a keywords_file=PATH``, in order, unique."""
    found: list[str] = []
    if keywords:
        found += [word.strip() for word in str(keywords).split(",")]
    if keywords_file:
        path = Path(keywords_file)
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise SpiderArgumentError(f"keywords_file={keywords_file}: cannot read ({exc.strerror or exc})") from exc
        except UnicodeDecodeError as exc:
            raise SpiderArgumentError(f"keywords_file={keywords_file}: not UTF-8 text ({exc.reason})") from exc
        found += [line.split("#", 1)[0].strip() for line in lines]
    unique: list[str] = []
    for word in found:
        if word and word not in unique:
            unique.append(word)
    return unique


def parse_max_pages(value: Any) -> int | None:
    """``-a max_pages=N`` → N (≥ 1); ``None`` when not given. Raises :class:`SpiderArgumentError`."""
    if value is None or value == "":
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        raise SpiderArgumentError(f"max_pages must be a positive integer, got {value!r}") from None
    if number < 1:
        raise SpiderArgumentError(f"max_pages must be a positive integer, got {value!r}")
    return number


def parse_source(value: Any) -> str:
    """``-a source=tip-off`` → ``"tip-off"``; one of :data:`SOURCES`, ``crawl`` when not given."""
    if value is None or value == "":
        return "crawl"
    text = str(value).strip()
    if text not in SOURCES:
        raise SpiderArgumentError(f"source must be one of {', '.join(SOURCES)}, got {value!r}")
    return text


def parse_url(value: Any) -> str | None:
    """``-a url=…`` → the URL (http/https with a host), ``None`` when not given."""
    if value is None or value == "":
        return None
    text = str(value).strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SpiderArgumentError(f"url must be an http(s) URL with a host, got {value!r}")
    return text


def parse_name(value: Any, argument: str) -> str | None:
    """``-a category=…`` / ``-a seller=…``: a stripped id or slug without ``/?#&`` or spaces."""
    if value is None or value == "":
        return None
    text = str(value).strip().strip("/")
    if not text or any(ch in text for ch in "/?#& \t\n"):
        raise SpiderArgumentError(f"{argument} must be an id or slug (no /, ?, #, & or spaces), got {value!r}")
    return text


class MarketplaceSpider(scrapy.Spider):
    """Base of the platform spiders (not a spider itself: it has no ``name``)."""

    default_base_url: ClassVar[str] = ""
    default_keywords: ClassVar[tuple[str, ...]] = ("*",)

    def __init__(
        self,
        keywords: str | None = None,
        keywords_file: str | None = None,
        max_pages: str | int | None = None,
        *args: Any,
        category: str | None = None,
        seller: str | None = None,
        url: str | None = None,
        source: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.category = parse_name(category, "category")
        self.seller = parse_name(seller, "seller")
        self.url = parse_url(url)
        self.source = parse_source(source)
        self.keywords = parse_keywords(keywords, keywords_file)
        self.keywords_given = bool(self.keywords)
        """Whether keywords were asked for (a category or seller crawl without keywords lists it all)."""
        if not self.keywords:
            if keywords_file:
                raise SpiderArgumentError(f"keywords_file={keywords_file}: no keywords in it")
            self.keywords = list(self.default_keywords)
        self.max_pages = parse_max_pages(max_pages)
        self._base_url: str | None = None

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> Any:
        """The spider, once ``PLATFORM_BASE_URLS`` is known good: an unknown key (a typo such as
        ``"tikki"``) raises :class:`~spiders.platforms.PlatformUrlsError` before any request."""
        from spiders.platforms import check_platform_urls

        check_platform_urls(crawler.settings.getdict("PLATFORM_BASE_URLS"))
        return super().from_crawler(crawler, *args, **kwargs)

    @property
    def base_url(self) -> str:
        """The platform's base URL (no trailing slash) from ``PLATFORM_BASE_URLS[self.name]``."""
        if self._base_url is None:
            urls = self.settings.getdict("PLATFORM_BASE_URLS")
            url = urls.get(self.name)
            if not url:
                self.logger.warning(
                    "PLATFORM_BASE_URLS has no %r entry; using %s", self.name, self.default_base_url
                )
                url = self.default_base_url
            self._base_url = str(url).rstrip("/")
        return self._base_url

    def platform_url(self, key: str, default: str) -> str:
        """Another host of the platform (``PLATFORM_BASE_URLS[key]``, no trailing slash)."""
        url = self.settings.getdict("PLATFORM_BASE_URLS").get(key)
        if not url:
            self.logger.warning("PLATFORM_BASE_URLS has no %r entry; using %s", key, default)
            url = default
        return str(url).rstrip("/")

    async def start(self) -> AsyncIterator[Any]:
        """The first requests: the one listing of ``url``, a shop's listings, or a search per keyword."""
        if self.url:
            requests: Iterable[Any] = self.url_requests(self.url)
        elif self.seller:
            requests = self.seller_requests(self.seller)
        else:
            requests = (self.search_request(keyword, 1) for keyword in self.keywords)
        for request in requests:
            yield request

    def search_request(self, keyword: str, page: int) -> scrapy.Request:
        """The request for one search page (1-based) of one keyword (with ``self.category`` if set)."""
        raise NotImplementedError(f"{type(self).__name__} does not search")

    def search_keyword(self, keyword: str) -> str:
        """The keyword to send: empty for the default ``*`` of a category crawl without keywords."""
        return "" if keyword == "*" and not self.keywords_given and self.category else keyword

    def seller_requests(self, seller: str) -> Iterable[scrapy.Request]:
        """The first request(s) of a shop's listings (``-a seller=``)."""
        raise SpiderArgumentError(f"{self.name}: -a seller= is not supported")

    def url_requests(self, url: str) -> Iterable[scrapy.Request]:
        """The request(s) that crawl the one listing at ``url`` (``-a url=``)."""
        raise SpiderArgumentError(f"{self.name}: -a url= is not supported")

    def bad_url(self, url: str, expected: str) -> list[scrapy.Request]:
        """Log a ``-a url=`` this spider cannot read (``URL: not a … URL``); no requests."""
        self.logger.error("%s: not a %s listing URL (expected %s)", url, self.name, expected)
        self._stat("bad_url")
        return []

    def more_pages(self, page: int) -> bool:
        """Whether page ``page + 1`` (1-based) is still within ``max_pages``."""
        return self.max_pages is None or page < self.max_pages

    def _stat(self, key: str, count: int = 1) -> None:
        if self.crawler is not None and self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"spider/{self.name}/{key}", count)

    def parse_json(self, response: Response) -> dict[str, Any] | None:
        """The response's JSON object, or None after logging ``URL: malformed JSON (…)``."""
        return self.json_object(response.body, response.url)

    def json_object(self, body: bytes, url: str) -> dict[str, Any] | None:
        """``body`` (of ``url``) decoded by ``spiders.formats.jsonbody`` as a JSON object; None after
        logging ``URL: malformed JSON (…)``. Invalid UTF-8 is replaced and logged at WARNING."""
        try:
            settings = getattr(self, "settings", None)
            cap = settings.getint("DOWNLOAD_MAXSIZE") if settings is not None else 0
            decoded = decode_json(body, max_bytes=cap or None)
        except UnreadableJson as exc:
            self.logger.error("%s: malformed JSON (%s)", url, exc)
            self._stat("malformed_responses")
            return None
        if decoded.replaced:
            self.logger.warning("%s: %d invalid UTF-8 byte sequence(s) replaced with U+FFFD", url, decoded.replaced)
            self._stat("invalid_utf8")
        payload = decoded.value
        if not isinstance(payload, dict):
            self.logger.error("%s: malformed JSON (top level is %s, not an object)", url, type(payload).__name__)
            self._stat("malformed_responses")
            return None
        return payload

    def page_entries(
        self, response: Response, entries_of: Callable[[dict[str, Any]], list[Any]]
    ) -> tuple[dict[str, Any], list[Any]] | None:
        """A list page's JSON payload and its entries (``entries_of`` raises ValueError when the page
        has none); None after logging ``URL: malformed JSON (…)`` and counting it."""
        payload = self.parse_json(response)
        if payload is None:
            return None
        try:
            return payload, entries_of(payload)
        except ValueError as exc:
            self.logger.error("%s: malformed JSON (%s)", response.url, exc)
            self._stat("malformed_responses")
            return None

    def extract_entries(
        self, url: str, entries: list[Any], extract: Extractor, what: str = "search item"
    ) -> Iterator[dict[str, Any]]:
        """Each dict entry of a list page through ``extract(entry, base_url, errors)``.

        An entry without a field every listing needs is logged as ``URL: <what> skipped (…)``, counted as
        ``dropped`` and left out; the unreadable fields of every entry are reported.
        """
        errors: FieldErrors = []
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            try:
                fields = extract(entry, self.base_url, errors)
            except MissingField as exc:
                self.logger.error("%s: %s skipped (%s)", url, what, exc)
                self.report(url, errors)
                self._stat("dropped")
                continue
            self.report(url, errors)
            yield fields

    def report(self, url: str, errors: FieldErrors) -> None:
        """Log every unreadable field of one listing as ``URL field=NAME: message``."""
        for name, message in errors:
            self.logger.warning("%s field=%s: %s", url, name, message)
            self._stat("field_errors")
        errors.clear()

    def emit(self, item: dict[str, Any], url: str, errors: FieldErrors) -> dict[str, Any] | None:
        """The item as a plain Listing-shaped dict, or None (logged) when it cannot be a listing."""
        self.report(url, errors)
        missing = [key for key in ("platform", "listing_id", "url", "title") if not item.get(key)]
        if missing:
            self.logger.error("%s: listing dropped, no %s", url, ", ".join(missing))
            self._stat("dropped")
            return None
        seller = {key: (item.get("seller") or {}).get(key) for key in SELLER_FIELDS}
        seller["official"] = bool(seller["official"])
        seller["phones"] = list(seller["phones"] or [])
        out = {key: item.get(key) for key in LISTING_FIELDS}
        out["seller"] = seller
        out["images"] = list(item.get("images") or [])
        out["currency"] = out["currency"] or "VND"
        out["source"] = self.source
        seen = item.get("fields_seen")
        out["fields_seen"] = list(seen) if seen is not None else None
        out["partial"] = bool(item.get("partial"))
        self._stat("listings")
        if out["partial"]:
            self._stat("partial")
            if self.crawler is not None and self.crawler.stats is not None:
                self.crawler.stats.inc_value("listings/partial")
        return out

    @property
    def captures(self) -> bool:
        """Whether items carry the response they came from (``crawler.capture`` is enabled)."""
        settings = getattr(self, "settings", None)
        if settings is None:
            return False
        middlewares = settings.getwithbase("SPIDER_MIDDLEWARES")
        names = (key if isinstance(key, str) else f"{key.__module__}.{key.__qualname__}"
                 for key, value in middlewares.items() if value is not None)
        return any(name.endswith("capture.CaptureResponseMiddleware") for name in names)

    @staticmethod
    def list_capture(response: Response) -> dict[str, Any]:
        """The list page as a listing's ``capture`` (``crawler.capture``'s shape, kind ``list_page``): the
        evidence of a listing yielded from its list entry. Put on each entry as ``entry["capture"]``."""
        return {**MarketplaceSpider.response_capture(response), "kind": "list_page"}

    @staticmethod
    def response_capture(response: Response) -> dict[str, Any]:
        """The listing's own response (its detail JSON or page) as its ``capture``, for a listing yielded
        from a later callback (the seller's shop info): the evidence stays the listing's own response."""
        return {"url": response.url, "status": response.status, "body": response.body,
                "screenshot": response.meta.get("screenshot") if response.request is not None else None,
                "kind": "response"}

    def partial_listing(self, entry: dict[str, Any] | None, cause: str, url: str) -> dict[str, Any] | None:
        """The listing from its list ``entry`` alone (its detail at ``url`` failed for ``cause``): marked
        partial, ``fields_seen`` as the entry gave them; None (logged) when there is no list entry to
        fall back on (a ``-a url=`` crawl)."""
        self._stat("detail_failed")
        if not entry or not entry.get("listing_id") or not entry.get("title"):
            self.logger.error("%s: no list entry to fall back on (%s); left for the next crawl", url, cause)
            return None
        item = self.emit({**entry, "partial": True}, url, [])
        if item is not None:
            if entry.get("capture") and self.captures:  # the list page is its evidence
                item["capture"] = entry["capture"]
            self.logger.info("%s: listing %s kept from its list entry, partial (%s)", url, item["listing_id"], cause)
            self._stat(f"partial/{cause}")
            if self.crawler is not None and self.crawler.stats is not None:
                self.crawler.stats.inc_value(f"listings/partial/{cause}")
        return item
