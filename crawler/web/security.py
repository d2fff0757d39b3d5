"""The web UI's defences that do not depend on a page: headers, login rate limit, safe redirects, cookies.

- Every response carries a strict Content-Security-Policy (no inline script or style, nothing from
  another origin, no framing), ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer``
  (listing links never tell a platform where the inspector came from) and ``Cache-Control: no-store``.
- :class:`LoginLimiter`: after :data:`MAX_FAILURES` failed logins for one (user name, address) in
  :data:`WINDOW_SECONDS`, that pair is refused until the window passes; an address is also capped
  over every name it tries (:data:`MAX_FAILURES_PER_ADDRESS`). Kept in memory: one ``crawler web``
  process (restarting it clears the counts).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
MAX_FAILURES = 5
MAX_FAILURES_PER_ADDRESS = 30
WINDOW_SECONDS = 15 * 60


async def security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """Middleware: add :data:`SECURITY_HEADERS` (and no caching, except of static files) to every response."""
    response = await call_next(request)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if not request.url.path.startswith("/static/"):
        response.headers["Cache-Control"] = "no-store"
    return response


class LoginLimiter:
    """Failed logins per (name, address) and per address over a sliding window (see the module)."""

    def __init__(self, *, max_failures: int = MAX_FAILURES, per_address: int = MAX_FAILURES_PER_ADDRESS,
                 window: float = WINDOW_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_failures = max_failures
        self.per_address = per_address
        self.window = window
        self.clock = clock
        self._lock = threading.Lock()
        self._failures: dict[tuple[str, str], deque[float]] = {}

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        return times

    def wait_seconds(self, name: str, address: str) -> float:
        """0 when a login may be tried now, else how long until it may."""
        now = self.clock()
        with self._lock:
            waits = []
            for key, limit in (((name.casefold(), address), self.max_failures), (("", address), self.per_address)):
                times = self._recent(key, now)
                if len(times) >= limit:
                    waits.append(times[0] + self.window - now)
            return max(waits, default=0.0)

    def failed(self, name: str, address: str) -> None:
        """Count one failed login."""
        now = self.clock()
        with self._lock:
            for key in ((name.casefold(), address), ("", address)):
                self._recent(key, now).append(now)

    def succeeded(self, name: str, address: str) -> None:
        """Forget the (name, address) failures after a good login."""
        with self._lock:
            self._failures.pop((name.casefold(), address), None)


def safe_next(target: str | None, default: str = "/queue") -> str:
    """A redirect target only when it is a path of this site (``/…``, not ``//host`` or a URL)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(ch) < 0x20 for ch in target):
        return default
    return target


def safe_link(url: str | None) -> str | None:
    """An http(s) URL fit for an ``href`` (listing URLs come from listings), else None."""
    if not url:
        return None
    scheme = urlsplit(url.strip()).scheme.lower()
    return url.strip() if scheme in ("http", "https") else None


def cookie_name(base: str, secure: bool) -> str:
    """``__Host-base`` when the cookie is Secure (bound to this host, path /), else ``base``."""
    return f"__Host-{base}" if secure else base
