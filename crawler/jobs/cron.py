"""Cron expressions of ``crawls.yaml`` as APScheduler triggers, with crontab's meaning of weekdays.

Five fields are standard cron (``minute hour day month weekday``); six put seconds first
(``second minute hour day month weekday``, for tests and sub-minute checks). Weekday numbers mean what
they mean in crontab (0 and 7 are Sunday, 1 is Monday): APScheduler 3 counts 0 as Monday, so numbers
are turned into day names before they reach it.
"""

from __future__ import annotations

from datetime import tzinfo

from apscheduler.triggers.cron import CronTrigger

FIELDS_5 = ("minute", "hour", "day", "month", "day_of_week")
FIELDS_6 = ("second", *FIELDS_5)
DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


class CronError(ValueError):
    """A cron expression that cannot be used; the message says why."""


def _day(token: str) -> int:
    text = token.strip().lower()
    if text in DAY_NAMES:
        return DAY_NAMES.index(text)
    if text.isdigit() and 0 <= int(text) <= 7:
        return int(text) % 7
    raise CronError(f"weekday {token!r} is not 0-7 or sun..sat")


def crontab_weekdays(field: str) -> str:
    """A crontab weekday field (``1-5``, ``0,6``, ``*/2``, ``mon-fri``) as APScheduler day names."""
    if field in ("*", "?"):
        return "*"
    days: set[int] = set()
    for part in field.split(","):
        span, _, step_text = part.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) < 1:
                raise CronError(f"weekday step {step_text!r} is not a positive number")
            step = int(step_text)
        if span == "*":
            first, last = 0, 6
        elif "-" in span:
            low, high = span.split("-", 1)
            first, last = _day(low), _day(high)
            if high.strip() == "7":
                last = 7
            if last < first:
                raise CronError(f"weekday range {span!r} goes backwards")
        else:
            first = last = _day(span)
            if step_text:
                last = 6
        days.update(day % 7 for day in range(first, last + 1, step))
    return ",".join(DAY_NAMES[day] for day in sorted(days))


def cron_trigger(expression: str, timezone: tzinfo | str | None = None) -> CronTrigger:
    """The APScheduler trigger of a 5- or 6-field cron expression; :class:`CronError` when it is wrong."""
    if not isinstance(expression, str):
        raise CronError(f"a schedule is cron text such as '0 3 * * *', got {expression!r}")
    values = expression.split()
    names = {5: FIELDS_5, 6: FIELDS_6}.get(len(values))
    if names is None:
        raise CronError(
            f"{expression!r} has {len(values)} fields; cron takes 5 (minute hour day month weekday) "
            "or 6 (second first)"
        )
    fields = dict(zip(names, values, strict=True))
    fields["day_of_week"] = crontab_weekdays(fields["day_of_week"])
    try:
        return CronTrigger(timezone=timezone, **fields)
    except ValueError as exc:
        raise CronError(f"{expression!r}: {exc}") from exc
