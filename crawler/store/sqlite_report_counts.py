"""Report counts per hour (issue 18): a report over any whole-hour period reads them instead of grouping
every listing. The store's writes keep them (:mod:`crawler.store.sqlite_counts`); this module holds their
tables and their first count of an older file's listings.

A report's set (see :mod:`crawler.store.sqlite_reports`) is the listings flagged or reviewed whose
``last_seen`` *or* review time falls in the period. So each such listing is counted three ways, each
per UTC hour (Vietnam's days are whole UTC hours): by the hour it was last seen (``report_hours``
``part = 's'``), by the hour it was reviewed (``part = 'r'``), and by both hours (``report_both``); a
period's count is seen + reviewed - both. ``what`` names the figure: ``p``/``v``/``c``/``s`` + TAB +
platform/province/category/review status (``v``/``c``: '' for none, '=' + the text otherwise), ``f`` (flagged),
``k`` + TAB + the kind's bit (flagged with that kind); every listing, flagged or not, is also counted
as ``a`` by its last-seen hour (the period's ``listings_seen``).
"""

from __future__ import annotations

TAB = "\t"
_ELIGIBLE = "({r}.flagged = 1 OR {r}.review_status != 'new')"


def _nullable(value: str) -> str:
    """A nullable text as ``what``'s value: '' for NULL, '=' + the text otherwise."""
    return f"CASE WHEN {value} IS NULL THEN '' ELSE '=' || {value} END"


def _figures(r: str) -> list[tuple[str, str]]:
    """(``what`` expression, condition) of each figure listing row ``r`` (``new``/``old``/a table alias) counts in."""
    return [
        (f"'p' || char(9) || {r}.platform", "1"),
        (f"'v' || char(9) || {_nullable(f'{r}.province')}", "1"),
        (f"'c' || char(9) || {_nullable(f'{r}.category')}", "1"),
        (f"'s' || char(9) || {r}.review_status", "1"),
        ("'f'", f"{r}.flagged = 1"),
        *((f"'k' || char(9) || {1 << i}", f"{r}.flagged = 1 AND {r}.kinds & {1 << i} != 0") for i in range(4)),
    ]


def _parts(r: str) -> list[tuple[str, str, str, str]]:
    """(table, key columns, key expressions, condition) of the three ways a row is counted, plus ``a``."""
    seen_hour, review_hour = f"substr({r}.last_seen, 1, 13)", f"substr({r}.review_at, 1, 13)"
    eligible = _ELIGIBLE.format(r=r)
    return [
        ("report_hours", "part, hour", f"'s', {seen_hour}", f"{eligible} AND {r}.last_seen IS NOT NULL"),
        ("report_hours", "part, hour", f"'r', {review_hour}", f"{eligible} AND {r}.review_at IS NOT NULL"),
        ("report_both", "seen_hour, review_hour", f"{seen_hour}, {review_hour}",
         f"{eligible} AND {r}.last_seen IS NOT NULL AND {r}.review_at IS NOT NULL"),
    ]  # fmt: skip


_UPSERT = " ON CONFLICT DO UPDATE SET n = n + excluded.n"


def fill_statements() -> list[str]:
    """Statements counting every stored listing (the upgrade of an older file; the tables emptied first)."""
    statements = [
        "DELETE FROM report_hours",
        "DELETE FROM report_both",
        "INSERT INTO report_hours (part, hour, what, n) SELECT 'a', substr(last_seen, 1, 13), '', COUNT(*)"
        " FROM listings l WHERE last_seen IS NOT NULL GROUP BY 2",
    ]
    for table, columns, keys, condition in _parts("l"):
        for what, extra in _figures("l"):
            statements.append(
                f"INSERT INTO {table} ({columns}, what, n) SELECT {keys}, {what}, COUNT(*) FROM listings l"
                f" WHERE {condition} AND {extra} GROUP BY {keys}, {what}{_UPSERT}"
            )
    return statements


SCHEMA = """
CREATE TABLE IF NOT EXISTS report_hours (
    part TEXT NOT NULL,
    hour TEXT NOT NULL,
    what TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (part, hour, what)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS report_both (
    seen_hour TEXT NOT NULL,
    review_hour TEXT NOT NULL,
    what TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (seen_hour, review_hour, what)
) WITHOUT ROWID;
"""
