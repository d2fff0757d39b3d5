"""Listings as SQLite rows (schema version 4) and back: what the bulk upsert computes once per listing.

A row keeps the listing's *body* (``doc``: JSON of what the crawler sent, without the fields the
store merges and without null fields) and the merged fields in their own columns; :func:`document`
splices them back into one JSON document on read. :func:`prepare` serialises a listing once and
hashes it: ``digest`` (everything the crawler sent) tells an unchanged re-crawl, ``text_key``
(title and description) an unchanged search text, which is folded only when needed.
"""

from __future__ import annotations

import hashlib
import types
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel

from crawler.items import Evidence, Listing, Review
from crawler.store.base import seller_key
from crawler.store.derived import KIND_BITS, content_digest, fold_key, search_text
from crawler.store.documents import INT64_MAX, MERGED_FIELDS, VOLATILE_EVIDENCE, iso_ms, normalize_listing
from crawler.store.sqlite_schema import DEFAULT_REVIEW, LISTING_COLUMNS

ROW_MARKS = ", ".join("CAST(? AS TEXT)" if name == "doc" else "?" for name in LISTING_COLUMNS)
"""The VALUES of a row: the body is bound as UTF-8 bytes and stored as TEXT (no decode and re-encode)."""
DOC_COLUMNS = "doc, first_seen, last_seen, history, risk, review, evidence"
"""The columns :func:`document` takes, in its argument order."""
DIGEST_VERSION = 2
_MERGED_EXCLUDE: dict[str, bool] = dict.fromkeys(MERGED_FIELDS, True)
_DIGEST_HEAD = f"{DIGEST_VERSION}\n".encode()
_PLAIN_TAIL = f"\n{DEFAULT_REVIEW}\nnull\n[]".encode()
"""The digest input after the body for a listing with the default review, no evidence, no history."""


def _none_defaults_only(model: type[BaseModel], seen: set[type[BaseModel]] | None = None) -> bool:
    """Whether every field of ``model`` (and its nested models) that accepts None has None as default.

    Then dropping null fields from the JSON (``exclude_none``) reads back as the same object.
    """
    seen = set() if seen is None else seen
    if model in seen:
        return True
    seen.add(model)
    for info in model.model_fields.values():
        stack = [info.annotation]
        while stack:
            annotation = stack.pop()
            if annotation is type(None) and (info.default is not None or info.default_factory is not None):
                return False
            if (
                isinstance(annotation, type) and issubclass(annotation, BaseModel)
                and not _none_defaults_only(annotation, seen)
            ):  # fmt: skip
                return False
            if get_origin(annotation) in (Union, types.UnionType, list, tuple, set, frozenset) or get_args(annotation):
                stack.extend(arg for arg in get_args(annotation) if arg is not Ellipsis)
    return True


EXCLUDE_NONE = _none_defaults_only(Listing)
"""Null fields are left out of the stored body (true while every nullable field defaults to None)."""

_LISTING_TO_JSON = Listing.__pydantic_serializer__.to_json
_REVIEW_TO_JSON = Review.__pydantic_serializer__.to_json
_EVIDENCE_TO_JSON = Evidence.__pydantic_serializer__.to_json


def _hash128(data: bytes) -> bytes:
    """A 128-bit blake2b of ``data`` (16 bytes, stored as a BLOB): no crafted collision is feasible."""
    return hashlib.blake2b(data, digest_size=16).digest()


def body_json(listing: Listing) -> bytes:
    """The stored body: the listing's JSON without merged fields (and without nulls, see :data:`EXCLUDE_NONE`)."""
    return _LISTING_TO_JSON(listing, exclude=_MERGED_EXCLUDE, exclude_none=EXCLUDE_NONE)


def _is_plain(listing: Listing) -> bool:
    """True when no stored datetime of the listing needs normalising (none set): most crawled listings.

    ``first_seen``/``last_seen`` are not looked at: the store sets them (and normalises any it keeps).
    """
    return (
        listing.posted_at is None and not listing.price_history and listing.review.at is None
        and listing.evidence is None
    )  # fmt: skip


def _tail(listing: Listing, review_json: bytes, evidence_json: bytes) -> bytes:
    """The digest input after the body: review, evidence and the price history the listing brought."""
    history = repr([(point.price, point.at.isoformat()) for point in listing.price_history]).encode()
    return b"\n" + review_json + b"\n" + evidence_json + b"\n" + history


class Prepared:
    """A listing ready to write: normalised, its body, review and evidence JSON and its digest.

    The text key, the folded search text and the content digest (for dismissals) are computed on
    first use: an unchanged re-crawl needs none of them, a changed one the text key only.
    """

    __slots__ = ("_content", "_search", "_text_key", "body", "digest", "evidence", "listing", "review")

    body: bytes
    """The body as UTF-8 JSON (written as TEXT without a decode: see :data:`ROW_MARKS`)."""

    def __init__(self, listing: Listing) -> None:
        for value in (listing.price, listing.original_price, listing.sold_count):
            if value is not None and value > INT64_MAX:
                raise ValueError(f"{_int_field(listing, value)} {value} is beyond the 64-bit integer range")
        for point in listing.price_history:
            if point.price > INT64_MAX:
                raise ValueError(f"price_history price {point.price} is beyond the 64-bit integer range")
        if not _is_plain(listing):
            listing = normalize_listing(listing)
        self.listing = listing
        body = body_json(listing)
        review = listing.review
        evidence = listing.evidence
        evidence_json = b"null" if evidence is None else _EVIDENCE_TO_JSON(evidence)
        self.evidence = None if evidence is None else evidence_json.decode()
        # the digest leaves out when the evidence was captured: a re-crawl of the same page is unchanged
        digested_evidence = b"null" if evidence is None else _EVIDENCE_TO_JSON(evidence, exclude=VOLATILE_EVIDENCE)
        if review.status == "new" and review.by is None and review.at is None and review.note is None:
            self.review = None
            if evidence is None and not listing.price_history:
                tail = _PLAIN_TAIL
            else:
                tail = _tail(listing, DEFAULT_REVIEW.encode(), digested_evidence)
        else:
            review_json = _REVIEW_TO_JSON(review)
            self.review = review_json.decode()
            tail = _tail(listing, review_json, digested_evidence)
        self.digest = _hash128(_DIGEST_HEAD + body + tail)
        self.body = body
        self._content: str | None = None
        self._search: str | None = None
        self._text_key: bytes | None = None

    @property
    def text_key(self) -> bytes:
        """A 128-bit hash of the title and description (an unchanged re-crawl never needs it)."""
        if self._text_key is None:
            # UTF-16 is a near copy of Python's own string storage: cheaper to encode than UTF-8
            text_hash = hashlib.blake2b(self.listing.title.encode("utf-16-le"), digest_size=16)
            if self.listing.description is not None:
                text_hash.update(b"\n\x00")
                text_hash.update(self.listing.description.encode("utf-16-le"))
            self._text_key = text_hash.digest()
        return self._text_key

    @property
    def search(self) -> str:
        """The folded title and description (:func:`crawler.store.derived.search_text`)."""
        if self._search is None:
            self._search = search_text(self.listing)
        return self._search

    @property
    def content(self) -> str:
        """:func:`crawler.store.derived.content_digest` of the listing."""
        if self._content is None:
            self._content = content_digest(self.listing)
        return self._content


def _int_field(listing: Listing, value: int) -> str:
    for name in ("price", "original_price", "sold_count"):
        if getattr(listing, name) == value:
            return name
    return "value"


def history_json(points: list[tuple[int, str]]) -> str | None:
    """Price points (price, iso_ms time) as the stored JSON; None for no points (the column's NULL)."""
    if not points:
        return None
    return "[" + ",".join([f'{{"price":{int(price)},"at":"{at}"}}' for price, at in points]) + "]"


def append_point(history: str | None, price: int, at: str) -> str:
    """The stored history JSON with one more point (written by the store: no escaping needed)."""
    point = f'{{"price":{int(price)},"at":"{at}"}}'
    if not history or history == "[]":
        return f"[{point}]"
    return f"{history[:-1]},{point}]"


def own_history(listing: Listing) -> list[tuple[int, str]]:
    """The price history a new listing brought (normalised listing), as (price, iso_ms) points."""
    return [(point.price, iso_ms(point.at)) for point in listing.price_history]


def listing_row(
    p: Prepared,
    *,
    flags: list[Any],
    body: bytes,
    first_seen: str | None,
    last_seen: str | None,
    history: str | None,
    review: str | None,
    status: str,
    review_at: str | None,
    evidence: str | None,
    digest: bytes | None,
    search: str | None,
    dismissed: str | None,
    peer: str | None,
    peer_key: str | None,
) -> tuple[Any, ...]:
    """One row of :data:`crawler.store.sqlite_schema.LISTING_COLUMNS`; ``search`` None keeps the stored one;
    ``peer`` and ``peer_key`` the listing's peer membership (:mod:`crawler.store.sqlite_peers`)."""
    listing = p.listing
    risk = float(max([flag.score for flag in flags])) if flags else 0.0  # documents.risk_of, inlined
    seller = listing.seller
    name, platform_id, province = seller.name, seller.platform_id, seller.province
    if platform_id:
        key: str | None = f"{listing.platform}:{platform_id}"  # base.seller_key, inlined
    else:
        key = seller_key(listing.platform, platform_id, name) if name else None
    mask = 0
    for flag in flags:
        mask |= KIND_BITS[flag.kind]
    return (
        listing.platform, listing.listing_id, risk, first_seen, last_seen, status, review_at, 1 if flags else 0,
        mask, listing.source, key, platform_id, name, fold_key(name), province, fold_key(province),
        listing.category, search, digest, p.text_key, dismissed, history, review, evidence, peer, peer_key,
        body,
    )  # fmt: skip


def document(
    doc: str,
    first_seen: str | None,
    last_seen: str | None,
    history: str | None,
    risk: float,
    review: str | None,
    evidence: str | None,
) -> str:
    """The listing's full JSON document: the stored body with the merged columns spliced in."""
    first = "null" if first_seen is None else f'"{first_seen}"'
    last = "null" if last_seen is None else f'"{last_seen}"'
    sep = "," if len(doc) > 2 else ""
    return (
        f'{doc[:-1]}{sep}"first_seen":{first},"last_seen":{last},"price_history":{history or "[]"},'
        f'"risk":{float(risk)!r},"review":{review or DEFAULT_REVIEW},"evidence":{evidence or "null"}}}'
    )


def body_listing(doc: str) -> Listing:
    """The stored body alone as a Listing (its content and flags; merged fields at their defaults)."""
    return Listing.model_validate_json(doc)
