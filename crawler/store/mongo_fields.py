"""The MongoDB store's internal fields: values derived from a listing document for filters and groups.

Every listing document carries, beside the Listing's own fields, underscore fields the store
computes on every write (never set by hand): content fields from the listing (``_content`` digest,
``_search`` folded text, ``_seller`` key, ``_seller_fold``, ``_province``) and state fields from the
document (``_f`` 1 when flagged, ``_grams`` the trigrams of a flagged listing's ``_search`` text,
``_kinds``, ``_c`` 1 when confirmed, ``_p`` 1 when flagged or reviewed, ``_seen_ms``/``_review_ms``
epoch milliseconds, ``_day`` of ``last_seen``), and its place in its peer group (``_pk`` the group's
key, ``_pm`` ``[seller, label, price]``; both None outside any group: see :mod:`crawler.store.peers`).
Numbers and text, not dates, because the nx-27017 test server mis-compares dates inside aggregation
pipelines.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from crawler.items import Listing
from crawler.store.base import seller_key
from crawler.store.derived import content_digest, day_of, fold_key, kinds_of, search_text
from crawler.store.peers import Member, member_of_document

INTERNAL_FIELDS: tuple[str, ...] = (
    "_content", "_search", "_seller", "_seller_fold", "_province", "_f", "_kinds", "_c", "_p", "_seen_ms",
    "_review_ms", "_day", "_dismissed", "_digest", "_rev", "_pk", "_pm", "_grams",
)  # fmt: skip
TRIGRAM = 3
"""The length of the text index's pieces (``_grams``); shorter needles are matched by the regex alone."""
NEEDLE_GRAMS = 16
"""At most this many of a needle's trigrams are asked for (spread over it; the regex checks the rest)."""


def grams(text: str) -> list[str]:
    """The distinct trigrams of a folded text, sorted: a flagged listing's ``_grams`` (multikey-indexed)."""
    return sorted({text[i : i + TRIGRAM] for i in range(len(text) - TRIGRAM + 1)})


def needle_grams(needle: str) -> list[str]:
    """Trigrams every text containing ``needle`` has (``$all``), at most :data:`NEEDLE_GRAMS`, spread over it."""
    found = list(dict.fromkeys(needle[i : i + TRIGRAM] for i in range(len(needle) - TRIGRAM + 1)))
    if len(found) <= NEEDLE_GRAMS:
        return found
    step = len(found) / NEEDLE_GRAMS
    return [found[int(index * step)] for index in range(NEEDLE_GRAMS)]


def epoch_ms(value: datetime | None) -> int | None:
    """Milliseconds since the epoch of an aware datetime (None stays None)."""
    return None if value is None else int(value.timestamp() * 1000)


def content_fields(listing: Listing) -> dict[str, Any]:
    """The fields derived from a (normalised) listing's content and seller."""
    seller = listing.seller
    return {
        "_content": content_digest(listing),
        "_search": search_text(listing),
        "_seller": seller_key(listing.platform, seller.platform_id, seller.name)
        if seller.platform_id or seller.name
        else None,
        "_seller_fold": fold_key(seller.name),
        "_province": fold_key(seller.province),
    }


def state_fields(doc: dict[str, Any]) -> dict[str, Any]:
    """The fields derived from a document's flags, review and ``last_seen`` (BSON land)."""
    flags = doc.get("flags") or []
    review = doc.get("review") or {}
    status = review.get("status") or "new"
    last_seen = doc.get("last_seen")
    return {
        "_grams": grams(doc.get("_search") or "") if flags else [],
        "_f": 1 if flags else 0,
        "_kinds": kinds_of(flags),
        "_c": 1 if status == "confirmed" else 0,
        "_p": 1 if flags or status != "new" else 0,
        "_seen_ms": epoch_ms(last_seen),
        "_review_ms": epoch_ms(review.get("at")),
        "_day": day_of(last_seen) if last_seen is not None else None,
    }


def peer_fields(member: Member | None) -> dict[str, Any]:
    """``_pk`` and ``_pm`` of a listing document whose peer membership is ``member``."""
    if member is None:
        return {"_pk": None, "_pm": None}
    return {"_pk": member.key, "_pm": [member.seller, member.label, member.price]}


def stored_member(doc: dict[str, Any]) -> Member | None:
    """The peer membership a stored document was written with (derived from it when written before ``_pk``)."""
    if "_pk" not in doc:
        return member_of_document(doc)
    pm = doc.get("_pm")
    if not doc["_pk"] or not isinstance(pm, list) or len(pm) != 3:
        return None
    return Member(doc["_pk"], pm[0], pm[1], pm[2])
