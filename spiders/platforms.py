"""The keys of ``PLATFORM_BASE_URLS``: a key no spider reads is an error, not a silent fallback.

A mistyped key (``"tikki"``) would leave the spider without its entry, and it would crawl the real
site instead of the server it was pointed at. :func:`check_platform_urls` refuses such a setting
before the crawl starts, naming the key and the known ones: :data:`HOST_KEYS` (the hosts the platform
spiders talk to, the defaults of ``crawler/settings.py``) and the shop sites of ``spiders/sites/``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

HOST_KEYS: tuple[str, ...] = (
    "tiki", "tiki_api", "shopee", "lazada", "sendo", "sendo_search", "sendo_detail", "chotot", "chotot_api",
    "facebook",
)
"""Every host key a platform spider reads (``base_url``: its name; ``platform_url``: the others)."""


class PlatformUrlsError(ValueError):
    """``PLATFORM_BASE_URLS`` has a key no spider reads, or a value that is not an http(s) URL."""


def known_keys() -> list[str]:
    """:data:`HOST_KEYS` and the names of the shop sites described in ``spiders/sites/``."""
    from spiders.sites import SITES_DIR

    return sorted({*HOST_KEYS, *(path.stem for path in SITES_DIR.glob("*.yaml"))})


def check_platform_urls(urls: Mapping[str, Any], known: Iterable[str] | None = None) -> None:
    """Raise :class:`PlatformUrlsError` for a key not in ``known`` (default :func:`known_keys`) or a
    value that is not an http(s) URL."""
    known_keys_ = sorted(set(known_keys() if known is None else known))
    unknown = sorted(str(key) for key in urls if key not in known_keys_)
    if unknown:
        raise PlatformUrlsError(
            f"PLATFORM_BASE_URLS: unknown key(s) {', '.join(map(repr, unknown))}; "
            f"known keys: {', '.join(known_keys_)}"
        )
    for key, url in urls.items():
        if not isinstance(url, str) or not url.lower().startswith(("http://", "https://")):
            raise PlatformUrlsError(f"PLATFORM_BASE_URLS[{key!r}]: {url!r} is not an http:// or https:// URL")
