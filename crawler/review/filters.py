"""Turn what an inspector typed (kind, dates, text …) into a store ``FlagQuery``, checking it first.

Dates are calendar days (``DD/MM/YYYY`` or ``YYYY-MM-DD``, see :mod:`crawler.days`) in Vietnam time
(UTC+7, no daylight saving): ``--since 01/04/2026`` means from midnight in Hà Nội, and ``--until
30/04/2026`` includes the whole of that day (the store's ``until`` is exclusive, so it gets the next
midnight).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

from crawler.days import DAY_INPUT_HELP, TIME_FORMAT, read_day, show_day
from crawler.items import KINDS
from crawler.review.provinces import canonical_province

VN_TZ = timezone(timedelta(hours=7), "ICT")
STATUSES: tuple[str, ...] = ("new", "confirmed", "dismissed", "referred")
SORTS: tuple[str, ...] = ("risk", "newest")
SOURCES: tuple[str, ...] = ("crawl", "tip-off")


FIRST_DAY = date(2000, 1, 1)
"""The earliest day a filter or report may name (the monitoring began long after)."""
LAST_DAY = date(2099, 12, 31)
"""The latest day a filter or report may name (keeps every period's arithmetic in range)."""


class FilterError(ValueError):
    """A filter value the user must fix; the message names the option and the value."""


def check_day(day: date, option: str) -> date:
    """``day`` if it lies in FIRST_DAY … LAST_DAY; FilterError naming ``option`` and the range otherwise."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise FilterError(
            f"{option} {day.isoformat()}: out of range, use a day from {FIRST_DAY.isoformat()} "
            f"to {LAST_DAY.isoformat()} ({show_day(FIRST_DAY)} to {show_day(LAST_DAY)})"
        )
    return day


def parse_day(value: str, option: str) -> date:
    """``DD/MM/YYYY`` or ``YYYY-MM-DD`` → date within FIRST_DAY … LAST_DAY; FilterError naming ``option``
    otherwise."""
    try:
        day = read_day(value)
    except ValueError as exc:
        raise FilterError(
            f"{option} {value!r}: not a date, use {DAY_INPUT_HELP} (e.g. 30/04/2026 or 2026-04-30)"
        ) from exc
    return check_day(day, option)


def day_start(day: date) -> datetime:
    """Midnight at the start of ``day`` in Vietnam time, as an aware datetime."""
    return datetime.combine(day, time(0), tzinfo=VN_TZ)


def local(moment: datetime | None) -> datetime | None:
    """An aware datetime shown in Vietnam time (naive ones are taken as UTC)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(VN_TZ)


def show_time(moment: datetime | None) -> str:
    """``30/04/2026 14:05`` in Vietnam time, or an em dash."""
    shown = local(moment)
    return shown.strftime(TIME_FORMAT) if shown else "—"


@dataclass
class Filters:
    """The filters ``flags list`` and ``export`` share, as typed on the command line."""

    kind: str | None = None
    rule: str | None = None
    platform: str | None = None
    seller: str | None = None
    province: str | None = None
    status: str | None = None
    min_risk: float | None = None
    since: str | None = None
    until: str | None = None
    text: str | None = None
    source: str | None = None
    flagged_only: bool = True

    def check(self) -> dict[str, Any]:
        """The FlagQuery keyword arguments, after checking each value (FilterError otherwise)."""
        if self.kind is not None and self.kind not in KINDS:
            raise FilterError(f"unknown kind {self.kind!r}; use one of: {', '.join(KINDS)}")
        if self.status is not None and self.status not in STATUSES:
            raise FilterError(f"unknown status {self.status!r}; use one of: {', '.join(STATUSES)}")
        if self.source is not None and self.source not in SOURCES:
            raise FilterError(f"unknown source {self.source!r}; use one of: {', '.join(SOURCES)}")
        if self.min_risk is not None and not 0.0 <= self.min_risk <= 1.0:
            raise FilterError(f"--min-risk {self.min_risk}: must be between 0 and 1")
        since = day_start(parse_day(self.since, "--since")) if self.since else None
        until = day_start(parse_day(self.until, "--until") + timedelta(days=1)) if self.until else None
        if since and until and since >= until:
            raise FilterError(f"--since {self.since} is after --until {self.until}")
        text = self.text.strip() if self.text else None
        return {
            "kind": self.kind,
            "rule_id": self.rule or None,
            "platform": self.platform or None,
            "seller": self.seller or None,
            "province": canonical_province(self.province) if self.province and self.province.strip() else None,
            "status": self.status,
            "min_risk": self.min_risk,
            "since": since,
            "until": until,
            "text": text or None,
            "source": self.source,
            # A re-crawl of an unchanged dismissed listing drops the dismissed rules' flags (the store's
            # dismissal rule), leaving it unflagged: a review status asks for reviewed listings, flagged
            # now or not, so none of them vanishes from its status.
            "flagged_only": self.flagged_only and self.status in (None, "new"),
        }

    def describe(self) -> str:
        """The filters in use, for headers of exports and tables (``kind=banned, since=…``)."""
        parts = [
            f"{name}={value}"
            for name, value in vars(self).items()
            if value is not None and name != "flagged_only"
        ]
        if not self.flagged_only:
            parts.append("all listings")
        return ", ".join(parts) or "none"


def flag_query(filters: Filters, *, limit: int = 50, offset: int = 0, sort: str = "risk") -> Any:
    """A store ``FlagQuery`` for ``filters``; FilterError on a bad value."""
    from crawler.store import FlagQuery

    if sort not in SORTS:
        raise FilterError(f"--sort {sort!r}: use one of: {', '.join(SORTS)}")
    return FlagQuery(limit=limit, offset=offset, sort=sort, **filters.check())  # type: ignore[arg-type]


def iter_matching(store: Any, filters: Filters, *, sort: str = "risk", batch: int = 500) -> Any:
    """Every listing matching ``filters``, read from the store ``batch`` at a time (a generator)."""
    offset = 0
    while True:
        page = store.query_flagged(flag_query(filters, limit=batch, offset=offset, sort=sort))
        yield from page
        if len(page) < batch:
            return
        offset += batch
