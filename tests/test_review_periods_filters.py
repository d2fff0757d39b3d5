"""Report periods (quick/6m/1y/custom) and the shared list/export filters: dates, checks, descriptions."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from crawler.review.filters import FilterError, Filters, flag_query, show_time
from crawler.review.periods import add_months, resolve_period

TODAY = date(2026, 7, 1)


def test_six_months_ending_on_to_day() -> None:
    period = resolve_period("6m", None, "2026-06-30", TODAY)
    assert (period.first_day, period.last_day) == (date(2026, 1, 1), date(2026, 6, 30))
    assert period.start.utcoffset().total_seconds() == 7 * 3600
    assert period.end.astimezone(UTC) == datetime(2026, 6, 30, 17, 0, tzinfo=UTC)
    assert period.label == "Báo cáo định kỳ 06 tháng"
    assert period.text == "từ ngày 01/01/2026 đến ngày 30/06/2026"


def test_year_from_start_and_quick_default() -> None:
    year = resolve_period("1y", "2025-12-15", None, TODAY)
    assert (year.first_day, year.last_day) == (date(2025, 12, 15), date(2026, 12, 14))
    quick = resolve_period("quick", None, None, TODAY)
    assert (quick.first_day, quick.last_day) == (date(2026, 6, 25), TODAY)


def test_add_months_clamps_the_day() -> None:
    assert add_months(date(2026, 8, 31), -6) == date(2026, 2, 28)
    assert add_months(date(2025, 11, 30), 3) == date(2026, 2, 28)


@pytest.mark.parametrize(
    ("kind", "start", "end", "message"),
    [
        ("custom", "2026-01-01", None, "needs both"),
        ("custom", "2026-02-01", "2026-01-01", "after"),
        ("weekly", None, None, "--period"),
        ("quick", None, "2026/06/30", "--to"),
    ],
)
def test_bad_periods_name_the_option(kind: str, start: str | None, end: str | None, message: str) -> None:
    with pytest.raises(FilterError, match=message):
        resolve_period(kind, start, end, TODAY)


def test_filters_make_a_store_query_with_inclusive_until() -> None:
    query = flag_query(Filters(kind="banned", province="Hà Nội", since="2026-04-01", until="2026-04-30", text=" vape "))
    assert query.kind == "banned" and query.province == "Hà Nội" and query.text == "vape"
    assert query.since.astimezone(UTC) == datetime(2026, 3, 31, 17, 0, tzinfo=UTC)
    assert query.until.astimezone(UTC) == datetime(2026, 4, 30, 17, 0, tzinfo=UTC)  # the whole 30th included
    assert query.flagged_only is True


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        (Filters(kind="fake"), "unknown kind"),
        (Filters(status="closed"), "unknown status"),
        (Filters(source="tip"), "unknown source"),
        (Filters(min_risk=1.5), "--min-risk"),
        (Filters(since="2026-05-01", until="2026-04-01"), "after"),
        (Filters(since="yesterday"), "--since"),
    ],
)
def test_bad_filters_are_refused(filters: Filters, message: str) -> None:
    with pytest.raises(FilterError, match=message):
        flag_query(filters)


def test_describe_and_show_time() -> None:
    assert Filters(kind="banned", flagged_only=False).describe() == "kind=banned, all listings"
    assert show_time(datetime(2026, 4, 30, 20, 0, tzinfo=UTC)) == "01/05/2026 03:00"
    assert show_time(None) == "—"
