"""Reporting periods the national and provincial plans ask for (Kế hoạch 399/KH-BCĐ389 and its
provincial versions: "báo cáo đột xuất, báo cáo nhanh, báo cáo định kỳ 06 tháng, 01 năm").

- ``quick``  — báo cáo nhanh: the 7 days up to ``--to`` (default today);
- ``6m``     — báo cáo định kỳ 06 tháng: 6 months from ``--from``, or up to ``--to``;
- ``1y``     — báo cáo 01 năm: 12 months from ``--from``, or up to ``--to``;
- ``custom`` — báo cáo đột xuất: exactly ``--from`` … ``--to``.

Days are whole calendar days in Vietnam time; ``end`` is exclusive (the midnight after ``--to``).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from crawler.days import show_day
from crawler.review.filters import FilterError, check_day, day_start, parse_day

PERIODS: dict[str, str] = {
    "quick": "Báo cáo nhanh",
    "6m": "Báo cáo định kỳ 06 tháng",
    "1y": "Báo cáo sơ kết 01 năm",
    "custom": "Báo cáo đột xuất",
}


@dataclass(frozen=True)
class Period:
    """A report's period: first day, last day (inclusive), and the aware datetimes for the store."""

    kind: str
    first_day: date
    last_day: date

    @property
    def start(self) -> datetime:
        """Midnight starting the first day (Vietnam time)."""
        return day_start(self.first_day)

    @property
    def end(self) -> datetime:
        """Midnight after the last day (exclusive)."""
        return day_start(self.last_day + timedelta(days=1))

    @property
    def label(self) -> str:
        """The report's Vietnamese name (Báo cáo nhanh …)."""
        return PERIODS[self.kind]

    @property
    def text(self) -> str:
        """``từ ngày 01/01/2026 đến ngày 30/06/2026``."""
        return f"từ ngày {self.first_day:%d/%m/%Y} đến ngày {self.last_day:%d/%m/%Y}"


def add_months(day: date, months: int) -> date:
    """``day`` moved by ``months`` calendar months (the day clamped to the month's length)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def resolve_period(kind: str, from_day: str | None, to_day: str | None, today: date) -> Period:
    """The period for ``--period kind --from … --to …``; FilterError naming the bad option."""
    if kind not in PERIODS:
        raise FilterError(f"--period {kind!r}: use one of: {', '.join(PERIODS)}")
    first = parse_day(from_day, "--from") if from_day else None
    last = parse_day(to_day, "--to") if to_day else None
    if kind == "custom":
        if first is None or last is None:
            raise FilterError("--period custom needs both --from and --to (DD/MM/YYYY or YYYY-MM-DD)")
    elif kind == "quick":
        last = last or today
        first = first or last - timedelta(days=6)
    else:
        months = 6 if kind == "6m" else 12
        if first is not None and last is None:
            last = add_months(first, months) - timedelta(days=1)
        else:
            last = last or today
            first = first or add_months(last + timedelta(days=1), -months)
    check_day(first, "--from (start of the period)")
    check_day(last, "--to (end of the period)")
    if first > last:
        raise FilterError(f"--from {show_day(first)} is after --to {show_day(last)}")
    return Period(kind, first, last)
