"""Tip-offs that cannot be turned inward: which hosts a crawl may fetch from.

A tip-off URL, a link on a listing page or a redirect is written by whoever the crawler looks at, so
none of them may point the crawler at the inspector's own network: the cloud metadata service
(``169.254.169.254``), a router, the database's port on ``127.0.0.1``. :func:`judge_url` resolves a
URL's host once (DNS) and judges *every* address it gets; a URL is refused when any of them is
loopback, private, link-local, multicast, reserved, unspecified or otherwise not globally routable
(IPv4-mapped, 6to4 and NAT64 IPv6 addresses are judged by the IPv4 address they carry). Hosts listed
in ``ALLOWED_PRIVATE_HOSTS`` (a setting and environment variable: ``127.0.0.1,localhost``; the demo
and the tests list their local mock servers there) are let through without a look.

Four places apply it:

- :func:`check_url_allowed`, before ``crawler check`` starts a crawl;
- :class:`NetPolicyMiddleware`, a downloader middleware that judges every request a spider sends,
  redirects included (Scrapy's ``RedirectMiddleware`` sends a new request through the downloader
  middlewares again), and refuses with ``IgnoreRequest`` naming host, address and why;
- :class:`GuardedResolver`, Scrapy's DNS resolver (``DNS_RESOLVER``) judging the very address the
  download connects to, so a host whose DNS answer changes between the middleware's look-up and the
  connection (DNS rebinding) is still refused;
- :class:`BrowserRequestPolicy`, scrapy-playwright's ``PLAYWRIGHT_ABORT_REQUEST`` (set by
  ``spiders.browser.configure_browser``): every request Chromium itself makes for a rendered page
  (sub-resources, scripts' fetches, in-page navigations) is judged the same way and aborted when refused;
  the hops of an HTTP redirect Chromium follows itself are not routed by Playwright, so
  :class:`RedirectWatch` detects and logs them (they cannot be stopped; the page's capture is discarded).
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Self
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest
from scrapy.resolver import CachingThreadedResolver
from twisted.internet.error import DNSLookupError

logger = logging.getLogger(__name__)

SETTING = "ALLOWED_PRIVATE_HOSTS"
WEB_SCHEMES = frozenset({"http", "https"})
LOCAL_SCHEMES = frozenset({"data", "about"})
"""Schemes that fetch nothing from a network (Playwright's ``about:blank``, inline ``data:``)."""
_LEGACY_IPV4 = re.compile(r"[0-9a-fA-FxX.]+")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[..., Sequence[tuple[Any, ...]]]


class RefusedURL(ValueError):
    """A URL the crawler must not fetch; the message names the host, the address and why."""


@dataclass(frozen=True)
class Verdict:
    """What judging a URL found: ``reason`` is None when it may be fetched."""

    url: str
    host: str
    addresses: tuple[str, ...]
    reason: str | None = None

    @property
    def allowed(self) -> bool:
        """True when the URL may be fetched."""
        return self.reason is None


def allowed_hosts(value: str | Iterable[str] | None) -> frozenset[str]:
    """The allow-list from a setting: a comma-separated string or a list (hosts, lower case, no brackets)."""
    if value is None:
        return frozenset()
    items = value.split(",") if isinstance(value, str) else value
    return frozenset(str(item).strip().strip("[]").lower() for item in items if str(item).strip())


def env_allowed_hosts() -> frozenset[str]:
    """The allow-list from the ``ALLOWED_PRIVATE_HOSTS`` environment variable."""
    return allowed_hosts(os.environ.get(SETTING))


def address_problem(address: str | IPAddress) -> str | None:
    """Why a crawler must not connect to ``address`` (None when it is a public unicast address)."""
    try:
        ip: IPAddress = ipaddress.ip_address(str(address).split("%", 1)[0])
    except ValueError:
        return f"{address!r} is not an IP address"
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (
            ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF) if ip in _NAT64 else None
        )
        if embedded is not None:
            inner = address_problem(embedded)
            return f"carries IPv4 {embedded}, {inner}" if inner else None
    for test, why in (
        ("is_unspecified", "unspecified"),
        ("is_loopback", "loopback"),
        ("is_link_local", "link-local (cloud metadata lives there)"),
        ("is_multicast", "multicast"),
        ("is_private", "private network"),
        ("is_reserved", "reserved"),
    ):
        if getattr(ip, test):
            return f"a {why} address"
    if not ip.is_global:
        return "not a globally routable address"
    return None


def resolve(host: str, port: int, resolver: Resolver | None = None) -> tuple[str, ...]:
    """Every address ``host`` resolves to (a literal IP is itself); raises ``OSError`` when DNS fails."""
    try:
        return (str(ipaddress.ip_address(host)),)
    except ValueError:
        pass
    if _LEGACY_IPV4.fullmatch(host):  # "0", "2130706433", "0x7f.1": what inet_aton (and curl) read as IPv4
        try:
            return (socket.inet_ntoa(socket.inet_aton(host)),)
        except OSError:
            pass
    infos = (resolver or socket.getaddrinfo)(host, port, 0, socket.SOCK_STREAM)
    return tuple(dict.fromkeys(str(info[4][0]) for info in infos))


def judge_url(url: str, allowed: frozenset[str], resolver: Resolver | None = None) -> Verdict:
    """Resolve ``url``'s host once and judge every address; see the module docstring.

    Raises ``OSError`` (``socket.gaierror``) when the host does not resolve.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in LOCAL_SCHEMES:
        return Verdict(url, "", ())
    host = (parts.hostname or "").lower()
    if scheme not in WEB_SCHEMES:
        return Verdict(url, host, (), f"{scheme or 'no'} scheme: only http and https are fetched")
    if not host:
        return Verdict(url, host, (), "no host")
    if host in allowed:
        return Verdict(url, host, ())
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        return Verdict(url, host, (), "invalid port")
    addresses = resolve(host, port, resolver)
    if not addresses:
        return Verdict(url, host, (), "the host resolves to no address")
    for address in addresses:
        problem = address_problem(address)
        if problem:
            shown = host if host == address else f"{host} resolves to {address}"
            return Verdict(url, host, addresses, f"{shown}: {problem} (listed hosts only: {SETTING})")
    return Verdict(url, host, addresses)


def check_url_allowed(url: str, allowed: frozenset[str] | None = None,
                      resolver: Resolver | None = None) -> Verdict:
    """Judge a tip-off URL; raises :class:`RefusedURL` with the reason when it may not be fetched."""
    hosts = env_allowed_hosts() if allowed is None else allowed
    try:
        verdict = judge_url(url, hosts, resolver)
    except OSError as exc:
        raise RefusedURL(f"refused {url}: cannot resolve {urlsplit(url).hostname}: {exc}") from exc
    if not verdict.allowed:
        raise RefusedURL(f"refused {url}: {verdict.reason}")
    return verdict


class NetPolicyMiddleware:
    """Downloader middleware: refuse every request (redirects included) to a non-public address.

    Stats: ``netpolicy/refused``. A host that does not resolve raises Twisted's ``DNSLookupError``, so
    the retry middleware treats it as Scrapy's own look-up failure would be treated.
    """

    def __init__(self, allowed: frozenset[str], stats: Any = None, resolver: Resolver | None = None) -> None:
        self.allowed = allowed
        self.stats = stats
        self.resolver = resolver
        self._verdicts: dict[tuple[str, str, int | None], Verdict] = {}

    @classmethod
    def from_crawler(cls, crawler: Any) -> Self:
        return cls(allowed_hosts(crawler.settings.getlist(SETTING)), crawler.stats)

    async def _judge(self, url: str) -> Verdict:
        """The verdict on ``url``'s host, looked up once per crawl (the resolver re-judges each connection)."""
        from scrapy.utils.defer import maybe_deferred_to_future
        from twisted.internet.threads import deferToThread

        parts = urlsplit(url)
        try:
            key = (parts.scheme.lower(), (parts.hostname or "").lower(), parts.port)
        except ValueError:
            return judge_url(url, self.allowed, self.resolver)
        cached = self._verdicts.get(key)
        if cached is None:
            cached = await maybe_deferred_to_future(deferToThread(judge_url, url, self.allowed, self.resolver))
            self._verdicts[key] = cached
        return cached

    async def process_request(self, request: Any) -> None:
        """Return None for an allowed request; raise ``IgnoreRequest`` (with the reason) otherwise."""
        try:
            verdict = await self._judge(request.url)
        except OSError as exc:
            raise DNSLookupError(f"{urlsplit(request.url).hostname}: {exc}") from exc
        if verdict.allowed:
            return None
        if self.stats is not None:
            self.stats.inc_value("netpolicy/refused")
        redirected = request.meta.get("redirect_urls")
        via = f" (redirected from {redirected[0]})" if redirected else ""
        logger.warning("refused %s%s: %s", request.url, via, verdict.reason)
        raise IgnoreRequest(f"refused {request.url}{via}: {verdict.reason}")


class GuardedResolver(CachingThreadedResolver):
    """Scrapy's caching resolver, refusing an answer that is not a public address (unless allowed).

    This judges the address the download really connects to, closing the gap between the
    middleware's look-up and Scrapy's own (DNS rebinding).
    """

    def __init__(self, reactor: Any, cache_size: int, timeout: float, allowed: frozenset[str] = frozenset()) -> None:
        super().__init__(reactor, cache_size, timeout)
        self.allowed = allowed

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> Self:
        resolver = super().from_crawler(crawler, reactor)
        resolver.allowed = allowed_hosts(crawler.settings.getlist(SETTING))
        return resolver

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> Any:
        deferred = super().getHostByName(name, timeout)
        deferred.addCallback(self._judge, name)
        return deferred

    def _judge(self, address: str, name: str) -> str:
        if name.lower().strip("[]") in self.allowed:
            return address
        problem = address_problem(address)
        if problem:
            reason = f"refused {name}: resolves to {address}, {problem} (listed hosts only: {SETTING})"
            logger.warning("%s", reason)  # Twisted's resolver wrapper drops the message of the error below
            raise DNSLookupError(reason)
        return address


class BrowserRequestPolicy:
    """scrapy-playwright's ``PLAYWRIGHT_ABORT_REQUEST``: the same rules for Chromium's own requests.

    A rendered page fetches what its markup and scripts ask for (images, scripts, XHR/fetch, frames,
    in-page navigations), all written by whoever made the page. Each such request is judged like a
    spider's (:func:`judge_url`, after DNS, hosts in ``ALLOWED_PRIVATE_HOSTS`` let through) and aborted
    when refused, with a WARNING naming the URL and why. The DNS look-up runs in a worker thread and
    its verdict is kept per (scheme, host, port) for the crawl. Chromium resolves the host again
    itself, so a DNS answer that changes between the two look-ups is not caught here (the spider's
    own downloads are guarded by :class:`GuardedResolver`).
    """

    def __init__(self, allowed: frozenset[str], resolver: Resolver | None = None) -> None:
        self.allowed = allowed
        self.resolver = resolver
        self.refused = 0
        self._verdicts: dict[tuple[str, str, int | None], Verdict | str] = {}

    @classmethod
    def from_settings(cls, settings: Any) -> Self:
        """The policy for a crawler's settings (``ALLOWED_PRIVATE_HOSTS``)."""
        return cls(allowed_hosts(settings.getlist(SETTING)))

    def _key(self, url: str) -> tuple[str, str, int | None] | None:
        parts = urlsplit(url)
        try:
            return (parts.scheme.lower(), (parts.hostname or "").lower(), parts.port)
        except ValueError:
            return None

    def _judge(self, url: str) -> Verdict | str:
        try:
            return judge_url(url, self.allowed, self.resolver)
        except OSError as exc:
            return f"cannot resolve {urlsplit(url).hostname}: {exc}"

    async def reason(self, url: str) -> str | None:
        """Why the browser may not fetch ``url`` (None when it may); DNS in a worker thread, cached."""
        import asyncio

        if urlsplit(url).scheme.lower() in LOCAL_SCHEMES | {"blob"}:
            return None
        key = self._key(url)
        verdict = self._verdicts.get(key) if key is not None else None
        if verdict is None:
            verdict = await asyncio.get_running_loop().run_in_executor(None, self._judge, url)
            if key is not None:
                self._verdicts[key] = verdict
        return verdict if isinstance(verdict, str) else verdict.reason

    async def __call__(self, request: Any) -> bool:
        """True (abort) when the browser request's URL may not be fetched."""
        url = str(request.url)
        reason = await self.reason(url)
        if reason is None:
            return False
        self.refused += 1
        kind = getattr(request, "resource_type", "request")
        logger.warning("browser refused %s (%s): %s", url, kind, reason)
        return True


class RedirectWatch:
    """What :class:`BrowserRequestPolicy` cannot see: the hops of an HTTP redirect Chromium follows.

    Playwright routes only the first request of a redirect chain, so a page or image on an allowed host
    answering ``302 Location: http://169.254.169.254/…`` is followed by Chromium without the abort hook
    being asked. This watches every request of a page (``page.on("request", watch.on_request)``): a
    redirect hop to a refused address is logged at WARNING with the reason and recorded in
    :attr:`violations`. It cannot be stopped any more at that point; the caller must then discard what
    the page showed (the ``screenshots`` spider keeps no screenshot of such a page).
    """

    def __init__(self, policy: BrowserRequestPolicy) -> None:
        self.policy = policy
        self.violations: list[str] = []
        self._tasks: set[Any] = set()

    def on_request(self, request: Any) -> None:
        """Playwright ``request`` event handler: judge every redirect hop (in the background)."""
        import asyncio

        origin = getattr(request, "redirected_from", None)
        if origin is None:
            return
        task = asyncio.get_running_loop().create_task(self._judge(str(request.url), str(origin.url)))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _judge(self, url: str, origin: str) -> None:
        reason = await self.policy.reason(url)
        if reason is not None:
            self.violations.append(f"{url} (redirected from {origin}): {reason}")
            logger.warning("browser was redirected to refused %s (from %s): %s", url, origin, reason)

    async def settled(self) -> list[str]:
        """The violations, once every pending judgement is done."""
        import asyncio

        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        return self.violations
