"""Rendering flagged listings: hostile listing text never reaches a terminal or spreadsheet live."""

from __future__ import annotations

import csv
import io
import json

from rich.console import Console

from crawler.items import Flag, Listing
from crawler.review.render import render_csv, render_json, render_table, safe_text, spreadsheet_cell

HOSTILE = "=HYPERLINK(\"http://evil\")\x1b[31m[bold]red[/bold]\u202egnp.exe"


def _listing() -> Listing:
    return Listing(
        platform="shopee",
        listing_id="7",
        url="https://shopee.vn/x",
        title=HOSTILE,
        price=450_000,
        flags=[Flag(rule_id="counterfeit.brand", kind="counterfeit", score=0.8, message="Gucci + rep 1:1")],
    )


def test_safe_text_removes_escapes_and_bidi_overrides() -> None:
    text = safe_text(HOSTILE)
    assert "\x1b" not in text and "\u202e" not in text
    assert "[bold]red[/bold]" in text  # kept as literal text, never interpreted


def test_spreadsheet_cells_never_start_a_formula() -> None:
    for start in "=+-@":
        assert spreadsheet_cell(f"{start}1+1").startswith("'")
    assert spreadsheet_cell("Túi xách") == "Túi xách"
    assert spreadsheet_cell(5) == 5


def test_table_shows_markup_literally() -> None:
    console = Console(record=True, width=200, force_terminal=True, color_system=None)
    render_table([_listing()], console)
    shown = console.export_text()
    assert "[bold]red[/bold]" in shown
    assert "\x1b[31m" not in shown
    assert "450.000₫" in shown and "shopee:7" in shown


def test_csv_and_json() -> None:
    rows = list(csv.DictReader(io.StringIO(render_csv([_listing()]))))
    assert rows[0]["id"] == "shopee:7"
    assert rows[0]["title"].startswith("'=HYPERLINK")
    assert rows[0]["kinds"] == "counterfeit"
    document = json.loads(render_json([_listing()]).splitlines()[0])
    assert document["title"] == HOSTILE  # JSON keeps the original text exactly
