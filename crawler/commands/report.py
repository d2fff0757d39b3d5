"""``crawler report``: the quick, 6-month, yearly or ad-hoc report on violations found."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from crawler.commands.common import StoreOption, fail, open_store_or_exit, out
from crawler.review.filters import VN_TZ, FilterError
from crawler.review.periods import PERIODS, resolve_period
from crawler.review.reports import FORMATS, build_report, write_report


def register(app: typer.Typer) -> None:
    """Add ``crawler report`` to the root command."""
    app.command("report")(report)


def report(
    out_path: Annotated[Path, typer.Option("--out", "-o", help="File to write.", dir_okay=False)],
    period: Annotated[str, typer.Option(help="quick (7 days), 6m, 1y or custom (needs --from and --to).")] = "quick",
    from_day: Annotated[
        str | None, typer.Option("--from", help="First day, DD/MM/YYYY or YYYY-MM-DD (Vietnam time).")
    ] = None,
    to_day: Annotated[
        str | None, typer.Option("--to", help="Last day, DD/MM/YYYY or YYYY-MM-DD. Default: today.")
    ] = None,
    output_format: Annotated[str, typer.Option("--format", "-f", help="html (with charts), xlsx or md.")] = "html",
    store: StoreOption = None,
) -> None:
    """Write a 6-month, yearly, quick or custom report (HTML with charts, XLSX or Markdown).

    Vietnamese headings: counts by kind, platform, province, category, seller; confirmed vs dismissed;
    the trend by week; top sellers. The HTML file is self-contained (charts inside).

    Periods follow the plans' reporting duties (báo cáo nhanh, định kỳ 06 tháng, 01 năm, đột xuất).

    Examples:
      crawler report --period 6m --to 2026-06-30 --out bao-cao-6-thang.html
      crawler report --period 1y --from 2026-01-01 --format xlsx --out bao-cao-nam.xlsx
      crawler report --period custom --from 2026-04-01 --to 2026-04-15 --format md --out dot-xuat.md
    """
    if output_format not in FORMATS:
        raise fail(f"--format must be one of: {', '.join(FORMATS)}", 2)
    try:
        chosen = resolve_period(period, from_day, to_day, datetime.now(VN_TZ).date())
    except FilterError as exc:
        raise fail(str(exc), 2) from exc
    if not out_path.parent.is_dir():
        raise fail(f"--out {out_path}: directory {out_path.parent} does not exist", 2)
    with open_store_or_exit(store) as opened:
        data = opened.report_data(chosen.start, chosen.end)
    built = build_report(data, chosen, with_charts=output_format != "md")
    try:
        write_report(built, out_path, output_format)
    except OSError as exc:
        raise fail(f"cannot write {out_path}: {exc}") from exc
    out().print(
        f"{PERIODS[chosen.kind]} ({chosen.text}): {data.flagged} flagged of {data.listings_seen} listings "
        f"→ {out_path} ({output_format})"
    )


