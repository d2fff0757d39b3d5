"""What ties sellers together across shops and platforms: phones, shop names, images, outbound links.

:func:`seller_links` reads one stored listing (its document as a dict) and returns its
(link_type, value) pairs; the backends stream listings through it for ``iter_seller_links``.
Phone numbers are Vietnamese numbers written any usual way ("0912 345 678", "+84 912.345.678",
"84-912-345-678") normalised to ``+84912345678``; shop names are folded; images are their URL
without query or fragment; outbound links are the hosts of URLs in the description (for shared
hosts such as Facebook or Zalo, host and first path segment, which names the page).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from crawler.text import find_phones, fold

_URL = re.compile(
    r"(?i)\b(?:https?://[^\s<>\"']+|www\.[^\s<>\"']+|(?:[a-z0-9-]+\.)+(?:com|vn|net|org|me|ly|shop|store|info|biz)"
    r"(?:/[^\s<>\"']*)?)"
)
SHARED_HOSTS: frozenset[str] = frozenset({
    "facebook.com", "fb.com", "m.facebook.com", "zalo.me", "m.me", "t.me", "instagram.com", "tiktok.com",
    "youtube.com", "bit.ly", "shopee.vn", "tiki.vn", "lazada.vn", "sendo.vn", "chotot.com", "linktr.ee",
})  # fmt: skip


def _host_of(url: str, *, bare: bool = False) -> str | None:
    if not re.match(r"(?i)https?://", url):
        url = "http://" + url
    try:
        parts = urlsplit(url.rstrip(".,;:!?)]}"))
    except ValueError:
        return None
    host = (parts.hostname or "").lower().removeprefix("www.")
    if not host or "." not in host:
        return None
    if host in SHARED_HOSTS and not bare:
        segment = parts.path.strip("/").split("/", 1)[0]
        return f"{host}/{segment.lower()}" if segment else None
    return host


def outbound_links(text: str | None, own_hosts: set[str]) -> set[str]:
    """Hosts (or host/page for shared hosts) of the URLs in ``text`` other than ``own_hosts``."""
    if not text:
        return set()
    found = set()
    for match in _URL.finditer(text):
        host = _host_of(match.group(0))
        if host and host.split("/", 1)[0] not in own_hosts:
            found.add(host)
    return found


def image_key(url: str) -> str | None:
    """An image URL without query or fragment (the same picture served with other parameters)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if not parts.netloc:
        return None
    return f"{parts.netloc.lower()}{parts.path}"


def seller_links(doc: dict[str, Any]) -> set[tuple[str, str]]:
    """(link_type, value) pairs of one stored listing document (JSON land or BSON land)."""
    seller = doc.get("seller") or {}
    links: set[tuple[str, str]] = set()
    for text in (doc.get("title"), doc.get("description"), seller.get("name"), *(seller.get("phones") or ())):
        links.update(("phone", phone) for phone in find_phones(text))
    name = fold(seller["name"]) if seller.get("name") else ""
    if name:
        links.add(("shop_name", name))
    for url in doc.get("images") or ():
        if isinstance(url, str) and (key := image_key(url)):
            links.add(("image", key))
    own = {host.split("/", 1)[0] for host in (_host_of(doc.get("url") or "", bare=True),
                                               _host_of(seller.get("url") or "", bare=True)) if host}
    links.update(("url", host) for host in outbound_links(doc.get("description"), own))
    return links
