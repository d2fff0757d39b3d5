"""Markdown reports escape for Markdown (no `&amp;`), XLSX sheet names are cut at word boundaries and
unique, and XLSX percentages are numbers with a percent format."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from openpyxl import load_workbook

from crawler.review.periods import resolve_period
from crawler.review.reports import Section, _sheet_title, build_report, render_markdown, write_report
from crawler.store.base import ReportData, SellerSummary

PERIOD = resolve_period("6m", None, "2026-06-30", date(2026, 7, 1))


def _data() -> ReportData:
    sellers = [SellerSummary("shopee", "9", "H&M <b>Outlet</b>", "Hà Nội", 12, 6, 4, {"counterfeit": 6},
                             ["shopee"], None)]
    return ReportData(
        PERIOD.start, PERIOD.end,
        by_kind={"banned": 2, "counterfeit": 6, "missing_origin": 0, "price_anomaly": 1},
        by_platform={"shopee": 6, "tiki": 3}, by_province={"Hà Nội": 6}, by_category={"Mỹ phẩm & Làm đẹp": 9},
        by_status={"new": 3, "confirmed": 4, "dismissed": 2, "referred": 0},
        by_week=[("2026-W10", {"counterfeit": 2})], top_sellers=sellers, listings_seen=1234, flagged=9,
    )


def test_markdown_escapes_for_markdown_not_html() -> None:
    text = render_markdown(build_report(_data(), PERIOD, with_charts=False))
    assert "&amp;" not in text and "&lt;" not in text
    assert "Mỹ phẩm \\& Làm đẹp" in text
    assert "H\\&M \\<b\\>Outlet\\</b\\>" in text


def test_sheet_names_cut_at_a_word_boundary_and_unique() -> None:
    used = {"Tổng quan"}
    long = Section("IV. Theo tỉnh, thành phố của người bán hàng", [], [])
    first = _sheet_title(long, 3, used)
    assert len(first) <= 31 and long.heading.split(". ", 1)[1].startswith(first.split(". ", 1)[1])
    assert first == "4. Theo tỉnh, thành phố của"  # whole words only
    again = _sheet_title(Section("IV. Theo tỉnh, thành phố của người mua", [], []), 3, used)
    assert again != first and len(again) <= 31 and again.endswith("(2)")
    word = _sheet_title(Section("Dàiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiii", [], []), 0, used)
    assert len(word) == 31


def test_xlsx_percentages_are_numbers_with_a_percent_format(tmp_path: Path) -> None:
    path = tmp_path / "report.xlsx"
    write_report(build_report(_data(), PERIOD, with_charts=False), path, "xlsx")
    book = load_workbook(path)
    percents = [cell for sheet in book for row in sheet.iter_rows() for cell in row
                if isinstance(cell.value, str) and cell.value.rstrip().endswith("%")]
    assert percents == []
    kinds = book.worksheets[1]
    shares = [row[2] for row in kinds.iter_rows(min_row=3) if isinstance(row[2].value, float)]
    assert shares and all(cell.number_format == "0.0%" and 0 <= cell.value <= 1 for cell in shares)
    for sheet in book.sheetnames[1:]:
        heading = re.sub(r"[\\/*?:\[\]]", " ", book[sheet]["A1"].value.split(". ", 1)[-1]).split()
        words = sheet.split(". ", 1)[1].split()
        assert words == heading[: len(words)]  # cut between words, never inside one
