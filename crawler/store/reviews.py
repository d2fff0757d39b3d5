"""The review log's entries: how they are built, hashed and carried between backends.

Each entry's ``hash`` is the sha256 of the canonical JSON (sorted keys, no spaces, UTF-8) of
every other field, ``at`` as ISO text in UTC with milliseconds, ``prev_hash`` included; so changing,
removing, inserting or reordering an entry breaks the chain (``crawler.review.audit.verify_chain``).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from crawler.store.base import GENESIS_HASH, REVIEW_STATUSES, InvalidQuery, ReviewEntry, check_key
from crawler.store.documents import iso_ms, to_utc_ms

HASHED_FIELDS: tuple[str, ...] = (
    "seq", "platform", "listing_id", "action", "from_status", "to_status", "by", "at", "note", "prev_hash",
)  # fmt: skip
ENTRY_FIELDS: tuple[str, ...] = (*HASHED_FIELDS, "hash")


def entry_hash(entry: ReviewEntry | dict[str, Any]) -> str:
    """The sha256 (hex) an entry with these field values must carry."""
    get = entry.get if isinstance(entry, dict) else lambda name: getattr(entry, name)
    body = {name: get(name) for name in HASHED_FIELDS}
    body["at"] = iso_ms(body["at"]) if body["at"] is not None else None
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_review(platform: Any, listing_id: Any, status: Any, by: Any, note: Any) -> None:
    """Refuse a review request with a bad key, status, reviewer or note (InvalidQuery)."""
    check_key(platform, listing_id)
    if status not in REVIEW_STATUSES:
        raise InvalidQuery(f"unknown review status {status!r} (one of {', '.join(REVIEW_STATUSES)})")
    if not isinstance(by, str) or not by.strip():
        raise InvalidQuery(f"a review needs the reviewer's name (by), got {by!r}")
    if note is not None and not isinstance(note, str):
        raise InvalidQuery(f"note must be text, got {type(note).__name__}")


def new_entry(
    seq: int,
    prev_hash: str | None,
    platform: str,
    listing_id: str,
    from_status: str,
    to_status: str,
    by: str,
    at: datetime,
    note: str | None,
) -> ReviewEntry:
    """The next entry of the chain, hashed."""
    entry = ReviewEntry(
        seq=seq, platform=platform, listing_id=listing_id, action=to_status,  # type: ignore[arg-type]
        from_status=from_status, to_status=to_status, by=by, at=to_utc_ms(at), note=note,
        prev_hash=prev_hash or GENESIS_HASH, hash="",
    )  # fmt: skip
    entry.hash = entry_hash(entry)
    return entry


def entry_document(entry: ReviewEntry) -> dict[str, Any]:
    """The JSON-safe form of an entry (``at`` as ISO text): exports and the SQLite land."""
    doc = {name: getattr(entry, name) for name in ENTRY_FIELDS}
    doc["at"] = iso_ms(entry.at)
    return doc


def entry_from_document(doc: dict[str, Any]) -> ReviewEntry:
    """An entry from a stored or exported document (``at`` as ISO text or datetime), as stored.

    Values are taken as they are (a tampered entry must read back tampered); a document missing a
    field or with an unreadable time raises InvalidQuery naming the entry.
    """
    try:
        values = {name: doc[name] for name in ENTRY_FIELDS}
        values["at"] = to_utc_ms(values["at"])
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidQuery(f"audit entry {doc.get('seq')!r} is malformed: {exc!r}") from exc
    return ReviewEntry(**values)
