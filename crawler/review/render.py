"""Render flagged listings for people and spreadsheets, safely.

Listing text is written by people who may be criminals, so everything shown is treated as data:
C0/C1 control characters (ESC starts terminal escape sequences) and bidirectional-override, isolate
and mark characters (U+202A–202E, U+2066–2069, U+200E/F, U+061C: they reorder what the reader sees)
are shown as visible escapes, ``\\u202e``, before text reaches a terminal (Rich ``Text`` objects, never
markup), a case file's HTML page or a spreadsheet; CSV cells that a spreadsheet would execute as a
formula (``=``, ``+``, ``-``, ``@`` …) are prefixed with an apostrophe.

JSON outputs stay data: :func:`safe_json` writes the same characters as JSON ``\\uXXXX`` escapes, so
the file holds none of them raw (a terminal or viewer showing it is not fooled) while ``json.loads``
still gives back the exact original text.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from crawler.items import Listing
from crawler.prices import format_vnd

# C0/C1 controls but tab, line feed and carriage return (ESC starts terminal escape sequences), bidi
# overrides, isolates and marks
_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAK = re.compile(r"\r\n?")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")

ROW_FIELDS: tuple[str, ...] = (
    "id",
    "risk",
    "kinds",
    "platform",
    "title",
    "price",
    "seller",
    "status",
    "reasons",
    "url",
    "last_seen",
)


def visible_escape(match: re.Match[str]) -> str:
    """``\\uXXXX`` for one unsafe character (the same form JSON uses)."""
    return f"\\u{ord(match.group()):04x}"


def safe_text(value: object, *, single_line: bool = True, limit: int | None = None) -> str:
    """Text with control and bidi characters shown as visible ``\\uXXXX`` escapes (and newlines folded)."""
    text = _UNSAFE.sub(visible_escape, _LINE_BREAK.sub("\n", "" if value is None else str(value)))
    if single_line:
        text = " ".join(text.split())
    if limit is not None and len(text) > limit:
        text = text[: max(0, limit - 1)] + "…"
    return text


def spreadsheet_cell(value: object) -> object:
    """A CSV/XLSX cell value that no spreadsheet will run as a formula."""
    if isinstance(value, str):
        text = safe_text(value, single_line=False)
        return "'" + text if text.startswith(_FORMULA_START) else text
    return value


def flag_row(listing: Listing) -> dict[str, Any]:
    """One flat row per flagged listing: what a table or a CSV shows."""
    kinds = sorted({flag.kind for flag in listing.flags})
    reasons = "; ".join(f"[{flag.kind}] {flag.message}" for flag in listing.flags)
    return {
        "id": listing.key,
        "risk": round(listing.risk, 2),
        "kinds": ",".join(kinds),
        "platform": listing.platform,
        "title": listing.title,
        "price": listing.price,
        "seller": listing.seller.name or listing.seller.platform_id or "",
        "status": listing.review.status,
        "reasons": reasons,
        "url": listing.url,
        "last_seen": listing.last_seen.isoformat() if listing.last_seen else "",
    }


def render_table(listings: Sequence[Listing], console: Console, *, title: str | None = None) -> None:
    """A terminal table of flagged listings, riskiest first as given."""
    table = Table(title=title, show_lines=False, expand=True)
    table.add_column("ID", no_wrap=True, overflow="fold")
    table.add_column("Risk", justify="right")
    table.add_column("Kinds")
    table.add_column("Title", ratio=3)
    table.add_column("Price", justify="right", no_wrap=True)
    table.add_column("Seller", ratio=1)
    table.add_column("Reasons", ratio=4)
    for listing in listings:
        row = flag_row(listing)
        table.add_row(
            Text(safe_text(row["id"])),
            Text(f"{row['risk']:.2f}", style="bold red" if row["risk"] >= 0.8 else ""),
            Text(row["kinds"]),
            Text(safe_text(row["title"], limit=90)),
            Text(format_vnd(row["price"])),
            Text(safe_text(row["seller"], limit=30)),
            Text(safe_text(row["reasons"], limit=240)),
        )
    console.print(table)


def safe_json(value: Any, **options: Any) -> str:
    """``json.dumps(value, ensure_ascii=False, **options)`` with every control and bidi character written
    as a ``\\uXXXX`` escape: valid JSON that loads back to the exact value, holding none of them raw.

    The replacement is safe on the JSON text because those characters can only occur inside strings.
    """
    return _UNSAFE.sub(visible_escape, json.dumps(value, ensure_ascii=False, **options))


def render_json(listings: Iterable[Listing]) -> str:
    """JSON Lines: one full listing document per line (UTF-8, Vietnamese kept readable, see :func:`safe_json`)."""
    return "".join(safe_json(listing.to_document()) + "\n" for listing in listings)


def write_json(listings: Iterable[Listing], stream: TextIO) -> int:
    """Stream :func:`render_json`'s lines to ``stream`` one listing at a time; the number written."""
    count = 0
    for count, listing in enumerate(listings, 1):  # noqa: B007 - the count is the result
        stream.write(safe_json(listing.to_document()) + "\n")
    return count


def write_csv(listings: Iterable[Listing], stream: TextIO) -> int:
    """Stream :func:`render_csv`'s rows to ``stream`` one listing at a time; the number of rows written."""
    writer = csv.DictWriter(stream, fieldnames=list(ROW_FIELDS))
    writer.writeheader()
    count = 0
    for count, listing in enumerate(listings, 1):  # noqa: B007 - the count is the result
        writer.writerow({key: spreadsheet_cell(value) for key, value in flag_row(listing).items()})
    return count


def render_csv(listings: Iterable[Listing]) -> str:
    """CSV of :func:`flag_row` rows, safe to open in a spreadsheet."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(ROW_FIELDS))
    writer.writeheader()
    for listing in listings:
        writer.writerow({key: spreadsheet_cell(value) for key, value in flag_row(listing).items()})
    return buffer.getvalue()
