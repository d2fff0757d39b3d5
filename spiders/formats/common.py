"""Helpers every format extractor uses: per-field error capture, HTML → text, counts, merging.

Extraction never raises on one bad field: :func:`field` runs one field's reader and, on a bad value,
records ``(field, message)`` in the caller's ``errors`` list and gives ``None``, so the listing is kept
with that field empty and the spider logs ``URL field=NAME: message``.

Every extractor also says which Listing fields its source format carries (``fields_seen``, see
:func:`carried`): a field is carried when the format has a place for it, even if this listing's value
there is empty — that is what lets "origin empty" mean missing, while a search card, which has no
place for an origin, leaves the question open. :func:`merge` unites the two when a detail is laid
over its list entry.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from w3lib.html import remove_tags, remove_tags_with_content, replace_entities

from crawler.prices import PriceError, parse_vnd
from crawler.text import fold

T = TypeVar("T")
FieldErrors = list[tuple[str, str]]
"""``(field, message)`` for every field whose value could not be read."""

FIELD_EXCEPTIONS = (PriceError, ValueError, TypeError, KeyError, AttributeError, IndexError, OverflowError)


def field(errors: FieldErrors | None, name: str, reader: Callable[..., T], *args: Any) -> T | None:
    """``reader(*args)``, or ``None`` with ``(name, message)`` appended to ``errors`` when it fails."""
    try:
        return reader(*args)
    except FIELD_EXCEPTIONS as exc:
        if errors is not None:
            errors.append((name, f"{type(exc).__name__}: {exc}"))
        return None


class MissingField(ValueError):
    """A field without which there is no listing (id, title)."""


def required_text(value: Any, name: str) -> str:
    """``value`` as stripped text; raises :class:`MissingField` when absent or blank."""
    if isinstance(value, bool) or value is None:
        raise MissingField(f"{name} is missing")
    text = str(value).strip()
    if not text:
        raise MissingField(f"{name} is blank")
    return text


def text_or_none(value: Any) -> str | None:
    """Stripped text, ``None`` for missing/blank values; non-text values raise TypeError."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"expected text, got {type(value).__name__} {value!r}")
    value = value.strip()
    return value or None


PLACEHOLDERS = frozenset({
    "dang cap nhat", "updating", "n/a", "na", "khong co", "khong", "none", "null", "-", "--", "...", "chua cap nhat",
    "khong xac dinh", "unknown",
})
"""What sellers and shop templates write where a value is not given (folded: "Đang cập nhật", "N/A",
"Không có", "Updating", …): an empty value, not a value."""


def placeholder(text: str | None) -> bool:
    """Whether ``text`` is a placeholder of :data:`PLACEHOLDERS` (case, accents and spacing aside)."""
    return bool(text) and fold(str(text)) in PLACEHOLDERS


def text_or_placeholder(value: Any) -> str | None:
    """:func:`text_or_none`, with a placeholder ("Đang cập nhật", "N/A", …) taken as empty."""
    text = text_or_none(value)
    return None if placeholder(text) else text


def count(value: Any) -> int | None:
    """A non-negative whole count (sold, reviews); ``None`` for missing."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise TypeError(f"not a count: {value!r}")
    number = int(value)
    if number < 0:
        raise ValueError(f"negative count {value!r}")
    return number


_SOLD = re.compile(r"(?P<num>\d+(?:[.,]\d+)?)\s*(?P<unit>k|tr|triệu)?\+?", re.IGNORECASE)


def sold_from_text(text: Any) -> int | None:
    """Shopee's sold text → a lower bound: "Đã bán 30k+" → 30000, "Đã bán 1,2k" → 1200, "548" → 548."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    if not isinstance(text, str):
        raise TypeError(f"not a sold-count text: {text!r}")
    match = _SOLD.search(text)
    if not match:
        raise ValueError(f"no count in {text!r}")
    number = float(match["num"].replace(",", "."))
    unit = (match["unit"] or "").lower()
    factor = 1_000 if unit == "k" else 1_000_000 if unit in ("tr", "triệu") else 1
    return round(number * factor)


def rating(value: Any, reviews: Any) -> float | None:
    """A 0–5 star rating; ``None`` when nobody has rated (platforms send 0 then)."""
    if value is None or not reviews:
        return None
    number = float(value)
    if not 0 <= number <= 5:
        raise ValueError(f"rating out of 0–5: {value!r}")
    return number


def epoch_to_iso(value: Any) -> str | None:
    """Unix seconds (Shopee's ``ctime``) → ``YYYY-MM-DDTHH:MM:SSZ``; 0/None → None."""
    if not value:
        return None
    return datetime.fromtimestamp(int(value), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_BLOCK_END = re.compile(r"<\s*(?:br\s*/?|/\s*(?:p|div|li|ul|ol|h[1-6]|tr|table|blockquote|section))\s*>",
                        re.IGNORECASE)


def html_to_text(html: Any) -> str | None:
    """A description's HTML → plain text, one line per block; scripts/styles dropped, entities decoded."""
    if html is None:
        return None
    if not isinstance(html, str):
        raise TypeError(f"expected HTML text, got {type(html).__name__}")
    text = remove_tags_with_content(html, which_ones=("script", "style"))
    text = _BLOCK_END.sub("\n", text)
    text = replace_entities(remove_tags(text))
    lines = (" ".join(line.split()) for line in text.replace("\r", "\n").split("\n"))
    return "\n".join(line for line in lines if line) or None


CARRIED_FIELDS: tuple[str, ...] = (
    "title", "description", "price", "original_price", "brand", "category", "origin", "seller", "images",
    "sold_count", "rating", "posted_at",
)  # fmt: skip
"""The Listing fields a source format may or may not carry, in the order ``fields_seen`` lists them
(platform, id, URL and currency every listing has)."""


def carried(*names: str) -> list[str]:
    """``fields_seen``: the given Listing field names, once each, in :data:`CARRIED_FIELDS` order."""
    unknown = set(names) - set(CARRIED_FIELDS)
    if unknown:
        raise ValueError(f"not a carried Listing field: {sorted(unknown)}")
    return [name for name in CARRIED_FIELDS if name in names]


def carried_in(data: dict[str, Any], places: dict[str, tuple[str, ...]], *always: str) -> list[str]:
    """``fields_seen`` of one source object: the ``always`` fields, and each field of ``places`` whose
    keys (any of them) are in ``data`` — present with an empty value still counts (the format has a
    place for the field; this listing left it empty)."""
    return carried(*always, *(name for name, keys in places.items() if any(key in data for key in keys)))


def merge(first: dict[str, Any], better: dict[str, Any]) -> dict[str, Any]:
    """``first`` with every non-empty value of ``better`` laid over it (dicts merged one level deep);
    ``fields_seen`` is the union of both (a field either source carried is known)."""
    out = dict(first)
    for key, value in better.items():
        if key == "fields_seen" and isinstance(value, list) and isinstance(out.get(key), list):
            out[key] = carried(*out[key], *value)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = {**out[key], **{k: v for k, v in value.items() if v is not None}}
        elif value is not None and value != []:
            out[key] = value
    return out


def extract_flat_row(row: dict[str, Any], errors: FieldErrors | None = None) -> dict[str, Any]:
    """A product row already flattened by another scraper (``platform, product_id, product_name, price,
    original_price, product_url, image_url, rating, review_count, category``) → Listing fields.

    For exports of sites we have no spider for (eBay, cellphones, FPT Shop, …; real sample
    ``eval/raw/multi/sampledata.jsonl``). Raises :class:`MissingField` without id, name or URL.
    """
    image = row.get("image_url")
    original = row.get("original_price")
    places = {"price": ("price",), "original_price": ("original_price",), "category": ("category",),
              "rating": ("rating",), "images": ("image_url",)}
    return {
        "platform": required_text(row.get("platform"), "platform").lower(),
        "listing_id": required_text(row.get("product_id"), "product_id"),
        "title": required_text(row.get("product_name"), "product_name"),
        "url": required_text(row.get("product_url"), "product_url"),
        "price": field(errors, "price", parse_vnd, row.get("price")),
        "original_price": field(errors, "original_price", parse_vnd, original) if original else None,
        "currency": "VND",
        "category": field(errors, "category", text_or_none, row.get("category")),
        "rating": field(errors, "rating", rating, _number(row.get("rating")), _number(row.get("review_count"))),
        "images": [image] if isinstance(image, str) and image.startswith("http") else [],
        "seller": {},
        "fields_seen": carried_in(row, places, "title"),
    }


def _number(value: Any) -> float | None:
    return None if value in (None, "") else float(value)
