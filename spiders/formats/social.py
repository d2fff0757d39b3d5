"""Extract sale posts from a rendered public social page (Facebook page or group), as Listing fields.

- :func:`extract_posts` — the posts (``[role=article]``) of a page's rendered HTML: text, author name
  and profile link, permalink, post id, time;
- :func:`find_price` — the first price written in free text ("3tr8", "850k", "1.250.000đ", "giá 2 củ"),
  read by ``crawler.prices``; bare numbers (phone numbers, sizes, years) are never a price;
- ``find_phones`` (from crawler.text) — Vietnamese phone numbers in the text ("0912.345.678", "+84 912 345 678",
  "09x2 345 678" is not one), normalised to E.164 ``+84…``;
- :func:`post_to_listing` — one post → Listing fields (``platform="facebook"``). Phone numbers are put
  in ``seller.phones`` (kept for seller-network analysis) and, when the
  post's author has no profile id, the first one becomes ``seller.platform_id`` as ``tel:+84…``.

Facebook's markup changes often and its class names are obfuscated: selectors rely on ARIA roles and
``data-*`` attributes (``role=article``, ``data-ad-preview=message``, ``abbr[data-utime]``,
``time[datetime]``) and are kept in :data:`SELECTORS`, one place to fix.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

from parsel import Selector

from crawler.prices import PriceError, parse_vnd
from crawler.text import find_phones
from spiders.formats.common import FieldErrors, carried, field, required_text

PLATFORM = "facebook"
SELECTORS: dict[str, str] = {
    "post": "[role=article]",
    "message": "[data-ad-preview=message], [data-ad-comet-preview=message]",
    "author": "h2 a, h3 a, h4 a, strong a",
    "permalink": "a[href*='/posts/'], a[href*='/permalink/'], a[href*='story_fbid='], a[href*='/videos/']",
    "utime": "abbr[data-utime]::attr(data-utime)",
    "datetime": "time[datetime]::attr(datetime)",
}
TITLE_LENGTH = 120

# an amount with a unit or currency sign: "3tr8", "3 triệu 8", "850k", "1.250.000đ", "1,2tr", "2 củ", "500 nghìn"
_PRICE = re.compile(
    r"(?<![\w.,])\d+(?:[.,]\d+)*\s*(?:triệu|trieu|tr|củ|cu|tỷ|ty|nghìn|ngàn|ngan|nghin|k|đồng|dong|đ|₫|vnđ|vnd)"
    r"(?:\s*\d{1,3}(?!\d))?(?![^\W\d_])|₫\s*\d+(?:[.,]\d{3})+",
    re.IGNORECASE,
)
_POST_ID = (re.compile(r"/posts/([\w.:-]+)"), re.compile(r"/permalink/(\d+)"), re.compile(r"/videos/(\d+)"))


def find_price(text: str | None) -> int | None:
    """The first amount with a unit or currency sign in free text, in đồng; None if none is written."""
    if not text:
        return None
    for match in _PRICE.finditer(text):
        try:
            value = parse_vnd(match.group(0))
        except PriceError:
            continue
        if value:
            return value
    return None


def post_id(permalink: str | None) -> str | None:
    """The post's id from its permalink (``/posts/ID``, ``/permalink/ID``, ``story_fbid=ID``)."""
    if not permalink:
        return None
    parts = urlsplit(permalink)
    story = parse_qs(parts.query).get("story_fbid")
    if story and story[0].strip():
        return story[0].strip()
    for pattern in _POST_ID:
        if match := pattern.search(parts.path):
            return match.group(1)
    return None


def profile_id(url: str | None, base_url: str | None = None) -> str | None:
    """An author's handle or numeric id from their profile link (``/vape.sg``, ``profile.php?id=``,
    ``/groups/G/user/ID``); paths are read relative to ``base_url`` (a mirror's or test server's prefix)."""
    if not url:
        return None
    if base_url and url.startswith(base_url.rstrip("/") + "/"):
        url = "https://www.facebook.com" + url[len(base_url.rstrip("/")):]
    parts = urlsplit(url)
    numeric = parse_qs(parts.query).get("id")
    if parts.path.rstrip("/").endswith("profile.php") and numeric:
        return numeric[0]
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) >= 4 and segments[0] == "groups" and segments[2] == "user":
        return segments[3]
    if segments and segments[0] not in ("groups", "pages", "photo", "watch", "events") and len(segments) == 1:
        return segments[0]
    return None


def _timestamp(post: Selector) -> str | None:
    utime = post.css(SELECTORS["utime"]).get()
    if utime and utime.strip().isdigit():
        return datetime.fromtimestamp(int(utime), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    stamp = post.css(SELECTORS["datetime"]).get()
    if stamp:
        return datetime.fromisoformat(stamp.strip().replace("Z", "+00:00")).astimezone(UTC).strftime(
            "%Y-%m-%dT%H:%M:%SZ")
    return None


def _text(nodes: list[Selector]) -> str | None:
    lines = []
    for node in nodes:
        for block in node.xpath(".//text()[normalize-space()]").getall():
            lines.append(" ".join(block.split()))
    return "\n".join(lines) or None


def extract_posts(html: str, page_url: str, errors: FieldErrors | None = None) -> list[dict[str, Any]]:
    """The posts of a rendered page, in page order: ``{index, text, author, author_url, permalink, id,
    posted_at}`` (``index`` is the post's position among ``[role=article]`` nodes, for screenshots)."""
    posts = []
    for index, node in enumerate(Selector(text=html).css(SELECTORS["post"])):
        author = node.css(SELECTORS["author"])
        link = node.css(SELECTORS["permalink"]).xpath("@href").get()
        permalink = urljoin(page_url, link) if link else None
        posts.append({
            "index": index,
            "text": _text(node.css(SELECTORS["message"])),
            "author": " ".join(" ".join(author[0].xpath(".//text()").getall()).split()) or None if author else None,
            "author_url": urljoin(page_url, author[0].attrib.get("href", "")) if author else None,
            "permalink": permalink,
            "id": post_id(permalink),
            "posted_at": field(errors, "posted_at", _timestamp, node),
        })
    return posts


def post_to_listing(
    post: dict[str, Any], errors: FieldErrors | None = None, base_url: str | None = None
) -> dict[str, Any]:
    """One extracted post → Listing fields (phones in ``seller.phones``). Raises ``MissingField`` without id or text."""
    text = required_text(post.get("text"), "post text")
    listing_id = required_text(post.get("id"), "post id (permalink)")
    phones = find_phones(text)
    handle = profile_id(post.get("author_url"), base_url)
    first_line = text.split("\n", 1)[0]
    title = first_line if len(first_line) <= TITLE_LENGTH else first_line[: TITLE_LENGTH - 1].rstrip() + "…"
    return {
        "platform": PLATFORM,
        "listing_id": listing_id,
        "url": post["permalink"],
        "title": title,
        "description": text,
        "price": field(errors, "price", find_price, text),
        "currency": "VND",
        "seller": {
            "platform_id": handle or (f"tel:{phones[0]}" if phones else None),
            "name": post.get("author"),
            "url": post.get("author_url"),
            "phones": phones,
        },
        "posted_at": post.get("posted_at"),
        # free text: title, description and price are read from it; brand, category or origin only the
        # text itself can state
        "fields_seen": carried("title", "description", "price", "seller", "posted_at"),
    }
