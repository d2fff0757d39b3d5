"""The keys of ``PLATFORM_BASE_URLS``: a key no spider reads is an error, not a silent fallback.

A mistyped key (``"tikki"``) would leave the spider without its entry, and it would crawl the real
site instead of the server it was pointed at. :func:`check_platform_urls` refuses such a setting
before the crawl starts, naming the key and the known ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


class PlatformUrlsError(ValueError):
    """``PLATFORM_BASE_URLS`` has a key no spider reads, or a value that is not an http(s) URL."""


def check_platform_urls(urls: Mapping[str, Any], known: Iterable[str]) -> None:
    """Raise :class:`PlatformUrlsError` for an unknown key or a value that is not an http(s) URL."""
    known_keys = sorted(set(known))
    unknown = sorted(str(key) for key in urls if key not in known_keys)
    if unknown:
        raise PlatformUrlsError(
            f"PLATFORM_BASE_URLS: unknown key(s) {', '.join(map(repr, unknown))}; "
            f"known keys: {', '.join(known_keys)}"
        )
    for key, url in urls.items():
        if not isinstance(url, str) or not url.lower().startswith(("http://", "https://")):
            raise PlatformUrlsError(f"PLATFORM_BASE_URLS[{key!r}]: {url!r} is not an http:// or https:// URL")
