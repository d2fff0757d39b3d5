"""Values every backend derives from a listing to filter, group and screen it, computed in one place.

- :func:`content_digest`: what "the same content" means for a dismissed listing. The content is the
  title, description, price, brand, category, origin, images and the seller's name: what a seller
  changes to relist the same goods. Flags, risk, seen times, sold counts, ratings, URLs and evidence
  are not content (a re-crawl or a rules update must not reopen a dismissed listing by itself).
- :func:`screen_flags`: the dismissal rule applied by every upsert (and ``replace_flags``).
- :func:`search_text`, :func:`fold_key`: folded text for literal search and case/diacritics-free
  filters (both with :func:`crawler.text.fold`);
  :func:`kinds_mask`: the flag kinds as a bit mask (SQLite) or list (MongoDB).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

from crawler.items import KINDS, Flag, Listing
from crawler.text import fold

CONTENT_FIELDS: tuple[str, ...] = (
    "title", "description", "price", "brand", "category", "origin", "images", "seller.name",
)  # fmt: skip
KIND_BITS: dict[str, int] = {kind: 1 << index for index, kind in enumerate(KINDS)}
REOPEN_NOTE = "content changed"
SYSTEM = "system"


def content_digest(listing: Listing) -> str:
    """A digest of the listing's content (:data:`CONTENT_FIELDS`); equal content, equal digest."""
    values = (
        listing.title, listing.description, listing.price, listing.brand, listing.category,
        listing.origin, tuple(listing.images), listing.seller.name,
    )  # fmt: skip
    return hashlib.blake2b(repr(values).encode(), digest_size=12).hexdigest()


@lru_cache(maxsize=65536)
def fold_key(text: str | None) -> str | None:
    """Folded text for case- and diacritics-insensitive equality ("Hà Nội" → "ha noi"); None stays."""
    if text is None:
        return None
    folded = fold(text)
    return folded or None


def search_text(listing: Listing) -> str:
    """The folded title and description that text search looks in: ``fold(title + " " + description)``.

    One call on the joined text (folding works character by character and whitespace becomes one
    space, so this equals folding the two parts apart and joining the non-empty ones with a space).
    Joined by a space, not a newline: text without control characters takes ``fold``'s shortest path.
    """
    description = listing.description
    return fold(f"{listing.title} {description}" if description else listing.title)


def search_needle(text: str) -> str:
    """The user's search text folded the same way (a literal: never a pattern)."""
    return fold(text)


def kinds_mask(flags: Iterable[Flag]) -> int:
    """The flags' kinds as bits (:data:`KIND_BITS`)."""
    mask = 0
    for flag in flags:
        mask |= KIND_BITS[flag.kind]
    return mask


def kinds_of(flags: Iterable[Any]) -> list[str]:
    """The distinct kinds of ``flags`` (Flag objects or dicts), in :data:`KINDS` order."""
    found = {flag["kind"] if isinstance(flag, dict) else flag.kind for flag in flags}
    return [kind for kind in KINDS if kind in found]


@dataclass(slots=True)
class Screened:
    """What the dismissal rule made of an upserted listing's flags."""

    flags: list[Flag]
    reopen: bool
    dismissed: dict[str, Any] | None


def dismissal_record(content: str, flags: Iterable[Any]) -> dict[str, Any]:
    """What dismissing remembers: the content digest and the rule ids flagged at that time."""
    rules = {flag["rule_id"] if isinstance(flag, dict) else flag.rule_id for flag in flags}
    return {"content": content, "rule_ids": sorted(rules)}


def screen_flags(dismissed: dict[str, Any] | None, content: str, flags: list[Flag]) -> Screened:
    """Apply a stored dismissal to a listing's new flags.

    Same content as dismissed: the flags of the dismissed rules are dropped, the dismissal stays.
    Changed content: every flag is kept and the listing is to be reopened (``reopen``).
    """
    if not dismissed:
        return Screened(flags, False, None)
    if dismissed.get("content") == content:
        rules = set(dismissed.get("rule_ids") or ())
        return Screened([flag for flag in flags if flag.rule_id not in rules], False, dismissed)
    return Screened(flags, True, None)


def day_of(value: str | datetime) -> str:
    """``YYYY-MM-DD`` (UTC) of an ISO text or datetime."""
    if isinstance(value, str):
        return value[:10]
    return value.astimezone(UTC).strftime("%Y-%m-%d")


def iso_week(day: str | date) -> str:
    """ISO week label of a day: ``2026-W14``."""
    parsed = date.fromisoformat(day) if isinstance(day, str) else day
    year, week, _ = parsed.isocalendar()
    return f"{year}-W{week:02d}"


def weeks_between(start: datetime, end: datetime) -> list[str]:
    """Every ISO week label touched by [start, end), in order (empty when end <= start)."""
    if end <= start:
        return []
    labels: list[str] = []
    day = start.astimezone(UTC).date()
    last = (end.astimezone(UTC) - timedelta(milliseconds=1)).date()
    while day <= last:
        label = iso_week(day)
        if not labels or labels[-1] != label:
            labels.append(label)
        day += timedelta(days=1)
    return labels


def fold_weeks(
    start: datetime, end: datetime, day_counts: Iterable[tuple[str, str, int]]
) -> list[tuple[str, dict[str, int]]]:
    """(day, kind, count) rows → [(ISO week, {kind: count})] for every week of [start, end)."""
    weeks = {label: dict.fromkeys(KINDS, 0) for label in weeks_between(start, end)}
    for day, kind, count in day_counts:
        bucket = weeks.setdefault(iso_week(day), dict.fromkeys(KINDS, 0))
        bucket[kind] = bucket.get(kind, 0) + count
    return sorted(weeks.items())
