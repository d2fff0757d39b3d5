"""Calendar days as Vietnamese inspectors write them: ``dd/mm/yyyy`` shown, both ``dd/mm/yyyy`` and
``yyyy-mm-dd`` read (the CLI's options and tables, reports, case files; the web UI's forms do the same)."""

from __future__ import annotations

import re
from datetime import date, datetime

DAY_FORMAT = "%d/%m/%Y"
"""How a day is shown: 30/04/2026."""
TIME_FORMAT = "%d/%m/%Y %H:%M"
"""How a moment is shown: 30/04/2026 14:05."""
DAY_INPUT_HELP = "DD/MM/YYYY or YYYY-MM-DD"
"""The accepted input forms, for help texts and errors."""

_DMY = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")


def read_day(text: str) -> date:
    """``30/04/2026`` (also ``30.04.2026``, ``30-04-2026``, ``1/5/2026``) or ``2026-04-30`` → a date;
    ValueError otherwise."""
    text = text.strip()
    found = _DMY.fullmatch(text)
    if found:
        day, month, year = (int(part) for part in found.groups())
        return date(year, month, day)
    if _ISO.fullmatch(text):
        return date.fromisoformat(text)
    raise ValueError(f"{text!r} is not a day ({DAY_INPUT_HELP})")


def show_day(day: date | datetime | None) -> str:
    """``30/04/2026``, or an em dash."""
    return day.strftime(DAY_FORMAT) if day is not None else "—"
