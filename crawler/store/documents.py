"""Listing documents as the store keeps them, and the upsert merge rule shared by every backend.

A backend works in one "land": SQLite keeps JSON text, MongoDB keeps BSON (datetimes as dates).
Both normalise every datetime to timezone-aware UTC truncated to milliseconds (what BSON keeps),
so a listing reads back the same from either backend. :func:`merge` is the upsert rule (what a
re-crawled listing keeps, when its price history grows, when it is unchanged), independent of the
land; a digest of what the crawler sent (:func:`content_json`) tells an unchanged listing cheaply.
"""

from __future__ import annotations

import hashlib
import json
import logging
import types
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, RootModel

from crawler.items import Evidence, Listing, Review, legacy_captures
from crawler.store.base import StoreError

logger = logging.getLogger(__name__)

INT64_MAX = 2**63 - 1
INTERNAL_KEYS: frozenset[str] = frozenset({"_id", "_rev", "_digest"})
VOLATILE_EVIDENCE: dict[str, Any] = {"__all__": {"captured_at": True}}
"""Capture fields the digest leaves out: a re-crawl of the same page captures it again, unchanged."""
MERGED_FIELDS: frozenset[str] = frozenset({"first_seen", "last_seen", "price_history", "review", "evidence", "risk"})
DIGEST_VERSION = 1
_INT_FIELDS: tuple[str, ...] = ("price", "original_price", "sold_count")
_ZERO = timedelta(0)

Path = tuple[str, ...]


def _paths_for(annotation: Any, path: Path) -> list[Path]:
    if annotation is datetime:
        return [path]
    if isinstance(annotation, type) and issubclass(annotation, RootModel):
        return _paths_for(annotation.model_fields["root"].annotation, path)  # dumped as its root
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return datetime_paths(annotation, path)
    origin = get_origin(annotation)
    args = get_args(annotation)
    if origin is Annotated:
        return _paths_for(args[0], path)
    if origin in (Union, types.UnionType):
        found: list[Path] = []
        for arg in args:
            found.extend(p for p in _paths_for(arg, path) if p not in found)
        return found
    if origin in (list, tuple, set, frozenset):
        return [p for arg in args if arg is not Ellipsis for p in _paths_for(arg, (*path, "*"))]
    return []


def datetime_paths(model: type[BaseModel], prefix: Path = ()) -> list[Path]:
    """Every path to a datetime in ``model``'s dump (``"*"`` steps into list items)."""
    paths: list[Path] = []
    for name, info in model.model_fields.items():
        if info.exclude:
            continue
        paths.extend(_paths_for(info.annotation, (*prefix, name)))
    return paths


LISTING_DATETIME_PATHS: tuple[Path, ...] = tuple(datetime_paths(Listing))
_TOP_DATETIMES: tuple[str, ...] = tuple(path[0] for path in LISTING_DATETIME_PATHS if len(path) == 1)
_NESTED_DATETIMES: tuple[Path, ...] = tuple(path for path in LISTING_DATETIME_PATHS if len(path) > 1)
_MERGED_EXCLUDE: dict[str, bool] = dict.fromkeys(MERGED_FIELDS, True)


def to_utc_ms(value: datetime | str) -> datetime:
    """A datetime (or ISO string) as aware UTC truncated to milliseconds; naive means UTC."""
    dt = datetime.fromisoformat(value) if isinstance(value, str) else value
    dt = dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
    return dt.replace(microsecond=dt.microsecond // 1000 * 1000)


def iso_ms(value: datetime | str) -> str:
    """The SQLite land's datetime: ``2024-05-01T03:04:05.123Z`` (fixed width, so it sorts as text)."""
    return to_utc_ms(value).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _apply(node: Any, path: Path, convert: Callable[[Any], Any]) -> None:
    head, rest = path[0], path[1:]
    if head == "*":
        if isinstance(node, list):
            for index, item in enumerate(node):
                if rest:
                    _apply(item, rest, convert)
                elif item is not None:
                    node[index] = convert(item)
        return
    if not isinstance(node, dict):
        return
    value = node.get(head)
    if value is None:
        return
    if rest:
        _apply(value, rest, convert)
    else:
        node[head] = convert(value)


def convert_datetimes(doc: dict[str, Any], convert: Callable[[Any], Any]) -> dict[str, Any]:
    """Apply ``convert`` to every datetime of a listing document, in place; returns the doc."""
    for path in LISTING_DATETIME_PATHS:
        _apply(doc, path, convert)
    return doc


def check_listing(listing: Listing) -> None:
    """Raise ValueError naming the field when a number cannot be stored by every backend (int64)."""
    for name in _INT_FIELDS:
        value = getattr(listing, name)
        if isinstance(value, int) and value > INT64_MAX:
            raise ValueError(f"{name} {value} is beyond the 64-bit integer range")
    for point in listing.price_history:
        if point.price > INT64_MAX:
            raise ValueError(f"price_history price {point.price} is beyond the 64-bit integer range")


def _is_normal(value: datetime | None) -> bool:
    return value is None or (value.tzinfo is not None and value.utcoffset() == _ZERO and value.microsecond % 1000 == 0)


def _all_normal(node: Any, path: Path) -> bool:
    """Whether every datetime at ``path`` under ``node`` is normal (a loop: this runs on every upsert)."""
    for index, head in enumerate(path):
        if node is None:
            return True
        if head == "*":
            rest = path[index + 1 :]
            return all(_all_normal(item, rest) for item in node)
        node = getattr(node, head, None)
    return _is_normal(node)


def normalize_listing(listing: Listing) -> Listing:
    """The listing with every datetime aware UTC truncated to milliseconds (itself when already so)."""
    top: dict[str, datetime] = {}
    for name in _TOP_DATETIMES:
        value = getattr(listing, name)
        if not _is_normal(value):
            top[name] = to_utc_ms(value)
    for path in _NESTED_DATETIMES:
        if not _all_normal(listing, path):
            # rare (a review or evidence time in another zone): rebuild the whole listing once
            return Listing.model_validate(convert_datetimes(listing.model_dump(mode="python"), to_utc_ms))
    return listing.model_copy(update=top) if top else listing


def content_json(listing: Listing) -> tuple[str, str]:
    """(the listing as JSON without the fields the store merges, digest of everything it sent).

    Two listings with the same digest upsert to the same document, so a stored document whose
    digest matches is unchanged but for ``last_seen``. ``listing`` must be normalised.
    """
    parts = content_parts(listing)
    return parts.body, parts.digest


@dataclass(slots=True)
class ContentParts:
    """What :func:`content_parts` serialised once: the body, the review and evidence JSON, the digest."""

    body: str
    review: str
    evidence: str
    """The evidence as JSON, ``"null"`` when the listing has none."""
    digest: str


_LISTING_TO_JSON = Listing.__pydantic_serializer__.to_json
_REVIEW_TO_JSON = Review.__pydantic_serializer__.to_json
_EVIDENCE_TO_JSON = Evidence.__pydantic_serializer__.to_json


def content_parts(listing: Listing) -> ContentParts:
    """:func:`content_json`'s body and digest plus the review and evidence JSON it serialised for them.

    Each part is serialised once, straight by pydantic-core (what ``model_dump_json`` calls).
    """
    body = _LISTING_TO_JSON(listing, exclude=_MERGED_EXCLUDE).decode()
    review = _REVIEW_TO_JSON(listing.review).decode()
    evidence = "" if listing.evidence is None else _EVIDENCE_TO_JSON(listing.evidence).decode()
    # when the evidence was captured is left out: a re-crawl of the same page is unchanged
    digested = "" if listing.evidence is None else _EVIDENCE_TO_JSON(
        listing.evidence, exclude=VOLATILE_EVIDENCE
    ).decode()
    history = [(point.price, point.at.isoformat()) for point in listing.price_history]
    sent = f"{DIGEST_VERSION}\n{body}\n{review}\n{digested}\n{history}"
    digest = hashlib.blake2b(sent.encode(), digest_size=16).hexdigest()
    return ContentParts(body, review, evidence or "null", digest)


def risk_of(scores: Iterable[float]) -> float:
    """A listing's risk: the highest flag score, 0 with no flags."""
    return max((float(score) for score in scores), default=0.0)


@dataclass(slots=True)
class Prior:
    """What the merge needs from a stored listing; review and evidence are opaque (backend land)."""

    first_seen: Any
    review: Any
    price_history: list[dict[str, Any]]
    evidence: Any
    digest: str | None


@dataclass(slots=True)
class Merged:
    """The store-kept fields of an upserted listing; ``review``/``evidence`` None: the listing's own
    (``evidence`` otherwise the whole history, stored captures then the listing's new ones)."""

    status: str
    first_seen: Any
    price_history: list[dict[str, Any]]
    review: Any = None
    evidence: Any = None


def _captures(evidence: Any) -> list[Any]:
    """Stored or sent evidence (a list of captures, the old single object, None) as a list of captures."""
    if evidence is None:
        return []
    if isinstance(evidence, dict):
        return legacy_captures(evidence)
    return list(evidence)


def _capture_key(capture: Any) -> tuple[Any, Any]:
    if not isinstance(capture, dict):
        return (None, repr(capture))
    return (capture.get("kind") or "response", capture.get("sha256") or capture.get("ref"))


def append_evidence(stored: Any, new: Any) -> Any:
    """The evidence rule, shared by every backend (plain lists and dicts, either land): the stored
    history of captures with the new ones appended, never replaced. A new capture whose kind and sha256
    the history already holds (a re-crawl of identical bytes) is not added again; with no new captures
    the stored evidence is kept as it is. A stored object of the old single-capture shape becomes the
    history's first capture(s)."""
    if not new:
        return stored
    history = _captures(stored)
    seen = {_capture_key(capture) for capture in history}
    for capture in _captures(new):
        key = _capture_key(capture)
        if key not in seen:
            seen.add(key)
            history.append(capture)
    return history


def append_evidence_json(new: str | None, stored: str | None) -> str | None:
    """:func:`append_evidence` on JSON text (SQLite's ``evidence`` column): ``evidence_append(?, evidence)``."""
    if new is None or new == "null":
        return stored
    if stored is None or stored == "null":
        return new
    try:
        old = json.loads(stored)
    except ValueError as exc:  # never raise inside SQLite (it would fail the whole batch without a location)
        logger.error("stored evidence unreadable (%s), kept as it is; not appended: %s", exc, new[:300])
        return stored
    merged = append_evidence(old, json.loads(new))
    return json.dumps(merged, ensure_ascii=False, separators=(",", ":"))


def merge(
    prior: Prior | None,
    *,
    price: int | None,
    history: list[dict[str, Any]],
    evidence: Any,
    digest: str,
    seen: Any,
) -> Merged:
    """The upsert rule, shared by every backend (values in the backend's land).

    Insert: first_seen = ``seen``, price history = the listing's own ``history`` plus the price.
    Update: first_seen, review and price history are kept; the price is appended only when it
    differs from the last point; the listing's ``evidence`` (its new captures, None for none) is
    appended to the stored history (:func:`append_evidence`). Content, flags and risk come from the
    listing; ``last_seen`` is always ``seen`` (set by the caller).
    The status is ``"unchanged"`` when the stored digest equals ``digest`` and nothing was appended.
    """
    if prior is None:
        points = list(history)
        merged = Merged("inserted", seen, points)
    else:
        points = list(prior.price_history)
        merged = Merged(
            "updated",
            prior.first_seen if prior.first_seen is not None else seen,
            points,
            review=prior.review,
            evidence=append_evidence(prior.evidence, evidence),
        )
    appended = price is not None and (not points or points[-1].get("price") != price)
    if appended:
        points.append({"price": price, "at": seen})
    if prior is not None and not appended and prior.digest == digest:
        merged.status = "unchanged"
    return merged


SOURCE_FIELDS: tuple[str, ...] = (
    "url", "title", "description", "price", "original_price", "currency", "brand", "category", "origin", "seller",
    "images", "sold_count", "rating", "posted_at",
)  # fmt: skip
"""The Listing fields a platform's page gives (what :attr:`Listing.fields_seen` names)."""


def _carries(listing: Listing, name: str) -> bool:
    if listing.fields_seen is not None:
        return name in listing.fields_seen
    value = getattr(listing, name)
    return value not in (None, "", []) and not (name == "seller" and value == type(value)())


def merge_partial(listing: Listing, stored: Listing) -> Listing:
    """A partial listing (``partial``: known from a list page only) over the stored one.

    Only the fields the partial listing's source carried (``fields_seen``; without it, the fields
    it has) replace the stored ones; the others (a detail page's origin, description …) are kept, and
    so are the stored flags the partial listing could not judge: those whose every matched span lies
    in a field it did not carry, and a missing-origin flag when it did not carry the origin. It stays
    ``partial`` (its detail is still to be fetched); its ``fields_seen`` is both listings' together.
    """
    update: dict[str, Any] = {}
    carried = {name for name in SOURCE_FIELDS if _carries(listing, name)}
    for name in SOURCE_FIELDS:
        if name not in carried:
            update[name] = getattr(stored, name)
    judged = {flag.rule_id for flag in listing.flags}
    kept = [
        flag
        for flag in stored.flags
        if flag.rule_id not in judged
        and (
            all(match.field not in carried for match in flag.matched)
            if flag.matched
            else flag.kind == "missing_origin" and "origin" not in carried
        )
    ]
    if kept:
        update["flags"] = [*listing.flags, *kept]
        update["risk"] = max(listing.risk, *(flag.score for flag in kept))
    if listing.fields_seen is not None and stored.fields_seen is not None:
        extra = [name for name in stored.fields_seen if name not in listing.fields_seen]
        if extra:  # in order: an identical re-crawl must serialise (and digest) the same
            update["fields_seen"] = [*listing.fields_seen, *extra]
    elif listing.fields_seen is not None:
        update["fields_seen"] = None  # the stored listing was complete (None: taken as complete)
    update["partial"] = True
    return listing.model_copy(update=update)


def fill_partials(
    listings: Sequence[Listing], read: Callable[[list[tuple[str, str]]], dict[tuple[str, str], Listing]]
) -> Sequence[Listing]:
    """``listings`` with each partial one merged over its stored version (:func:`merge_partial`).

    ``read(keys)`` gives the stored listings among ``keys``; it is called once, and only when the
    batch has a partial listing. A partial listing after another of its key in the batch merges with
    that one (what the store will hold by then).
    """
    wanted = list(dict.fromkeys((x.platform, x.listing_id) for x in listings if isinstance(x, Listing) and x.partial))
    if not wanted:
        return listings
    known = read(wanted)
    wanted_set = set(wanted)
    merged: list[Listing] = []
    for listing in listings:
        if isinstance(listing, Listing):
            key = (listing.platform, listing.listing_id)
            if key in wanted_set:
                prior = known.get(key)
                if listing.partial and prior is not None:
                    listing = merge_partial(listing, prior)
                known[key] = listing
        merged.append(listing)
    return merged


def to_listing(doc: dict[str, Any]) -> Listing:
    """A stored document back as a :class:`Listing` (internal keys dropped)."""
    return Listing.model_validate({key: value for key, value in doc.items() if key not in INTERNAL_KEYS})


def crawl_run_document(run: Any) -> dict[str, Any]:
    """Check and normalise a crawl run: ``spider`` required; started/finished_at aware UTC datetimes.

    ``stats`` and ``errors`` are made JSON-safe (datetimes become ISO text, other objects their
    ``str``) so that every backend returns the same values.
    """
    if not isinstance(run, dict):
        raise StoreError(f"a crawl run must be a dict, got {type(run).__name__}")
    spider = run.get("spider")
    if not isinstance(spider, str) or not spider:
        raise StoreError(f"a crawl run needs a spider name, got {spider!r}")
    doc: dict[str, Any] = {"spider": spider}
    for name in ("started_at", "finished_at"):
        value = run.get(name)
        try:
            doc[name] = None if value is None else to_utc_ms(value)
        except (TypeError, ValueError) as exc:
            raise StoreError(f"crawl run {spider}: {name} is not a datetime: {value!r}") from exc
    stats = run.get("stats") or {}
    if not isinstance(stats, dict):
        raise StoreError(f"crawl run {spider}: stats must be a dict, got {type(stats).__name__}")
    errors = run.get("errors") or []
    if not isinstance(errors, list | tuple):
        raise StoreError(f"crawl run {spider}: errors must be a list, got {type(errors).__name__}")
    doc["stats"] = {str(key): _json_safe(value) for key, value in stats.items()}
    doc["errors"] = [_json_safe(error) for error in errors]
    rules_version = run.get("rules_version")
    doc["rules_version"] = None if rules_version is None else str(rules_version)
    for key, value in run.items():
        if key not in doc and isinstance(key, str) and not key.startswith(("$", "_")):
            doc[key] = _json_safe(value)
    return doc


def _json_safe(value: Any) -> Any:
    if value is None or isinstance(value, bool | str | float):
        return value
    if isinstance(value, int):
        return value if abs(value) <= INT64_MAX else str(value)
    if isinstance(value, datetime):
        return iso_ms(value)
    if isinstance(value, dict):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_json_safe(item) for item in value]
    return str(value)
