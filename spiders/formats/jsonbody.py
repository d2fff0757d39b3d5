"""Decode a JSON response body the one way every spider does: UTF-8, bounded, never Scrapy's guess.

Platform APIs send UTF-8 JSON (RFC 8259). Scrapy's ``response.text`` guesses an encoding from the
headers and the body, and one invalid byte once made it pick Windows-1256, garbling a whole listing
without a log line. :func:`decode_json` therefore decodes the bytes as UTF-8 (a BOM is dropped),
replaces invalid bytes with U+FFFD and reports how many it replaced, so the caller logs the URL at
WARNING; it refuses, with :class:`UnreadableJson`, a body over ``max_bytes``, a document nested deeper
than :data:`MAX_DEPTH` (a deeply nested body would otherwise raise RecursionError in the parser or in
whatever walks it), numbers too long to convert, and anything that is not JSON.

Sizes on the wire and after decompression are capped earlier by Scrapy (``DOWNLOAD_MAXSIZE``, set in
``crawler/settings.py``); ``max_bytes`` is the same cap for bodies that did not come through Scrapy's
downloader (the JSON a browser page fetched).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

MAX_DEPTH = 100
"""Deepest nesting of objects/arrays accepted (the platforms' APIs nest under 20 levels)."""


class UnreadableJson(ValueError):
    """A body that cannot be read as JSON; the message says why (without the URL: the caller has it)."""


@dataclass(frozen=True)
class DecodedJson:
    """A decoded body: its value and how many invalid UTF-8 sequences were replaced."""

    value: Any
    replaced: int = 0


def _too_deep(value: Any, limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        if children is None:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def decode_text(body: bytes) -> tuple[str, int]:
    """``body`` as UTF-8 text (a leading BOM dropped) and the number of invalid sequences replaced."""
    try:
        return body.decode("utf-8-sig"), 0
    except UnicodeDecodeError:
        text = body.decode("utf-8-sig", errors="replace")
        return text, text.count("\ufffd") - body.decode("utf-8-sig", errors="ignore").count("\ufffd")


def decode_json(body: bytes, *, max_bytes: int | None = None, max_depth: int = MAX_DEPTH) -> DecodedJson:
    """The JSON value of ``body`` read as UTF-8; raises :class:`UnreadableJson` (too big, too deep, not
    JSON). Invalid UTF-8 is replaced, not refused: :attr:`DecodedJson.replaced` says how much."""
    if max_bytes and len(body) > max_bytes:
        raise UnreadableJson(f"body of {len(body)} bytes is over the {max_bytes}-byte cap")
    text, replaced = decode_text(body)
    try:
        value = json.loads(text)
    except RecursionError:
        raise UnreadableJson(f"nested too deeply to parse (more than {max_depth} levels)") from None
    except ValueError as exc:  # JSONDecodeError, and int conversion over sys.get_int_max_str_digits
        raise UnreadableJson(str(exc)) from None
    if _too_deep(value, max_depth):
        raise UnreadableJson(f"nested more than {max_depth} levels deep")
    return DecodedJson(value, replaced)
