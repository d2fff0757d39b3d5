"""Reports rendered from ReportData: Vietnamese headings, embedded charts, hostile names inert."""

from __future__ import annotations

import base64
import re
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from crawler.review.periods import resolve_period
from crawler.review.reports import build_report, render_html, render_markdown, write_report
from crawler.store.base import ReportData, SellerSummary

EVIL = "<script>alert(1)</script>[x](javascript:y)|=cmd"
HEADINGS = ("Báo cáo kết quả giám sát thương mại điện tử", "Theo loại vi phạm", "Theo sàn thương mại điện tử",
            "Theo tỉnh, thành phố", "Theo ngành hàng", "Kết quả xử lý", "Diễn biến theo tuần",
            "Người bán có nhiều vi phạm nhất")


def _data() -> ReportData:
    period = resolve_period("6m", None, "2026-06-30", date(2026, 7, 1))
    sellers = [SellerSummary("shopee", "9", EVIL, "Hà Nội", 12, 6, 4, {"counterfeit": 6}, ["shopee", "tiki"], None),
               SellerSummary("tiki", "3", "Shop B", None, 3, 2, 0, {"banned": 2}, ["tiki"], None)]
    return ReportData(
        period.start, period.end,
        by_kind={"banned": 2, "counterfeit": 6, "missing_origin": 0, "price_anomaly": 1},
        by_platform={"shopee": 6, "tiki": 3}, by_province={"Hà Nội": 6, "(không rõ)": 3},
        by_category={EVIL: 4, "Mỹ phẩm": 5},
        by_status={"new": 3, "confirmed": 4, "dismissed": 2, "referred": 0},
        by_week=[("2026-W10", {"counterfeit": 2}), ("2026-W11", {"counterfeit": 4, "banned": 2, "price_anomaly": 1})],
        top_sellers=sellers, listings_seen=1234, flagged=9,
    )


def test_html_is_self_contained_escaped_and_has_its_charts() -> None:
    report = build_report(_data(), resolve_period("6m", None, "2026-06-30", date(2026, 7, 1)))
    page = render_html(report)
    for heading in HEADINGS:
        assert heading in page
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "1.234" in page  # Vietnamese thousands separator
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)  # nothing fetched from outside
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(images) >= 6
    for image in images:
        png = base64.b64decode(image)
        assert png.startswith(b"\x89PNG") and len(png) > 5000


def test_markdown_cells_cannot_break_the_table_or_link() -> None:
    text = render_markdown(build_report(_data(), resolve_period("quick", None, "2026-06-30", date(2026, 7, 1)),
                                        with_charts=False))
    assert text.startswith("# Báo cáo kết quả giám sát thương mại điện tử")
    assert "## II. Theo loại vi phạm" in text and "Báo cáo nhanh" in text
    line = next(row for row in text.splitlines() if "alert" in row and "Hà Nội" in row)
    assert "<script>" not in line and "\\<script\\>" in line and "&lt;" not in line
    assert "\\[x\\]" in line and "\\|=cmd" in line
    assert line.count(" | ") == 7  # 8 columns, the hostile pipe escaped


@pytest.mark.parametrize("output_format", ["xlsx", "md", "html"])
def test_every_format_writes(tmp_path: Path, output_format: str) -> None:
    path = tmp_path / f"report.{output_format}"
    report = build_report(_data(), resolve_period("1y", "2026-01-01", None, date(2026, 7, 1)),
                          with_charts=output_format != "md")
    write_report(report, path, output_format)
    assert path.stat().st_size > 500
    if output_format == "xlsx":
        book = load_workbook(path)
        assert book.sheetnames[0] == "Tổng quan" and len(book.sheetnames) == 8
        overview = book["Tổng quan"]
        assert overview["A1"].value == "Báo cáo kết quả giám sát thương mại điện tử"
        assert overview["B5"].value == 1234
        sellers = book.worksheets[-1]
        assert sellers["A3"].value.startswith("<script>")  # text, and not a formula
        assert all(cell.data_type != "f" for row in sellers.iter_rows() for cell in row)
        assert len(sellers._images) == 1
