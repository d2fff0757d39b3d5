"""Periodic reports to the steering committee: HTML (self-contained, with charts), XLSX and Markdown.

:func:`build_report` turns the store's ``ReportData`` for a :class:`~crawler.review.periods.Period`
into a :class:`Report` — a title, summary figures and sections (a table each, most with a chart) —
which :func:`write_html`, :func:`write_xlsx` and :func:`write_markdown` render the same way. Seller
names and categories come from listings (possibly hostile): HTML is rendered by Jinja2 with
autoescape on, Markdown cells are escaped, XLSX cells go through ``spreadsheet_cell``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from crawler import __version__
from crawler.items import KINDS
from crawler.review import charts
from crawler.review.exports import KIND_LABELS, STATUS_LABELS
from crawler.review.filters import VN_TZ
from crawler.review.periods import Period
from crawler.review.render import safe_text, spreadsheet_cell

TITLE = "Báo cáo kết quả giám sát thương mại điện tử"
FORMATS: tuple[str, ...] = ("html", "xlsx", "md")
TEMPLATES = Path(__file__).resolve().parent / "templates"
UNKNOWN = "(không rõ)"
TOP_N = 15
REPEAT_OFFENDER = 3
MULTI_KIND_NOTE = "Một tin đăng có thể có nhiều loại vi phạm nên tổng theo loại có thể lớn hơn số tin đăng."


@dataclass
class Section:
    """One numbered part of a report: a heading, a table and (optionally) a chart as PNG bytes."""

    heading: str
    columns: list[str]
    rows: list[list[Any]]
    chart: bytes | None = None
    note: str | None = None
    sheet: str = ""

    @property
    def chart_uri(self) -> str | None:
        """The chart as a data: URI (for the self-contained HTML)."""
        return charts.data_uri(self.chart) if self.chart else None


@dataclass
class Report:
    """Everything a rendered report shows."""

    title: str
    subtitle: str
    period_text: str
    generated_at: datetime
    summary: list[tuple[str, Any]]
    sections: list[Section] = field(default_factory=list)
    tool: str = f"listing-monitor {__version__}"


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "—"


def _ranked(counts: dict[str | None, int], top: int = TOP_N) -> list[tuple[str, int]]:
    """(label, count) largest first; beyond ``top`` summed as "Khác"; empty keys as "(không rõ)"."""
    merged: dict[str, int] = {}
    for key, count in counts.items():
        label = safe_text(key) if key else UNKNOWN
        merged[label] = merged.get(label, 0) + int(count)
    ordered = sorted(merged.items(), key=lambda item: (-item[1], item[0]))
    if len(ordered) > top:
        rest = sum(count for _, count in ordered[top - 1 :])
        ordered = [*ordered[: top - 1], ("Khác", rest)]
    return ordered


def _count_section(heading: str, label: str, counts: list[tuple[str, int]], total: int, chart: bool) -> Section:
    rows = [[name, count, _pct(count, total)] for name, count in counts]
    png = charts.bar_chart(heading.split(". ", 1)[-1], counts) if chart and counts else None
    return Section(heading, [label, "Số tin đăng", "Tỷ lệ"], rows, png, None if counts else "Không có số liệu.")


def build_report(
    data: Any, period: Period, *, generated_at: datetime | None = None, with_charts: bool = True
) -> Report:
    """The report for the store's ``ReportData`` over ``period``."""
    flagged = int(data.flagged)
    status = {key: int(data.by_status.get(key, 0)) for key in STATUS_LABELS}
    decided = status["confirmed"] + status["dismissed"]
    summary: list[tuple[str, Any]] = [
        ("Số tin đăng được giám sát trong kỳ", int(data.listings_seen)),
        ("Số tin đăng có dấu hiệu vi phạm", flagged),
        ("Đã xác nhận vi phạm", status["confirmed"]),
        ("Đã loại bỏ (không vi phạm)", status["dismissed"]),
        ("Đã chuyển cơ quan chức năng khác", status["referred"]),
        ("Chưa xử lý", status["new"]),
        ("Tỷ lệ xác nhận / đã xử lý", _pct(status["confirmed"], decided)),
    ]
    kinds = [(KIND_LABELS[kind], int(data.by_kind.get(kind, 0))) for kind in KINDS]
    by_kind = _count_section("II. Theo loại vi phạm", "Loại vi phạm", kinds, flagged, with_charts)
    by_kind.note = MULTI_KIND_NOTE
    sections = [
        by_kind,
        _count_section("III. Theo sàn thương mại điện tử", "Sàn", _ranked(data.by_platform), flagged, with_charts),
        _count_section("IV. Theo tỉnh, thành phố của người bán", "Tỉnh/thành phố", _ranked(data.by_province),
                       flagged, with_charts),
        _count_section("V. Theo ngành hàng", "Ngành hàng", _ranked(data.by_category), flagged, with_charts),
    ]
    outcome = [(STATUS_LABELS[key], status[key]) for key in STATUS_LABELS]
    sections.append(
        Section(
            "VI. Kết quả xử lý: xác nhận và loại bỏ",
            ["Trạng thái", "Số tin đăng", "Tỷ lệ"],
            [[label, count, _pct(count, flagged)] for label, count in outcome],
            charts.status_chart("Kết quả xử lý", outcome) if with_charts else None,
        )
    )
    weeks = [(str(week), {kind: int(n) for kind, n in counts.items()}) for week, counts in data.by_week]
    series = [(kind, KIND_LABELS[kind]) for kind in KINDS]
    active = [(week, counts) for week, counts in weeks if any(counts.values())]
    quiet = len(weeks) - len(active)
    sections.append(
        Section(
            "VII. Diễn biến theo tuần",
            ["Tuần", *[label for _, label in series]],
            [[week, *[counts.get(kind, 0) for kind in KINDS]] for week, counts in active],
            charts.trend_chart("Số tin đăng vi phạm theo tuần, theo loại", weeks, series)
            if with_charts and weeks else None,
            (f"{quiet} tuần khác trong kỳ không có tin đăng vi phạm. " if quiet else "")
            + MULTI_KIND_NOTE if weeks else "Không có số liệu.",
        )
    )
    sellers = list(data.top_sellers)
    sections.append(
        Section(
            "VIII. Người bán có nhiều vi phạm nhất",
            ["Người bán", "Mã người bán", "Sàn", "Tỉnh/thành phố", "Tin vi phạm", "Đã xác nhận", "Loại vi phạm",
             "Tái phạm"],
            [
                [
                    safe_text(seller.name) or UNKNOWN,
                    safe_text(seller.seller_id) or "—",
                    ", ".join(safe_text(p) for p in (seller.platforms or [seller.platform])),
                    safe_text(seller.province) or UNKNOWN,
                    seller.flagged,
                    seller.confirmed,
                    ", ".join(f"{KIND_LABELS.get(k, k)} {n}" for k, n in sorted(seller.kinds.items()) if n),
                    "Có" if seller.confirmed >= REPEAT_OFFENDER else "",
                ]
                for seller in sellers
            ],
            charts.bar_chart("Số tin vi phạm của 10 người bán đứng đầu",
                             [(safe_text(s.name or s.seller_id) or UNKNOWN, s.flagged) for s in sellers[:10]],
                             color=charts.PALETTE[0])
            if with_charts and sellers else None,
            f"Tái phạm: từ {REPEAT_OFFENDER} vi phạm đã xác nhận trở lên." if sellers else "Không có số liệu.",
        )
    )
    moment = generated_at or datetime.now(VN_TZ)
    return Report(TITLE, period.label, period.text, moment.astimezone(VN_TZ), summary, sections)


def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def vn_number(value: Any) -> Any:
    """An integer with Vietnamese thousands dots (1.234.567); anything else unchanged."""
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}".replace(",", ".")
    return value


def render_html(report: Report) -> str:
    """The self-contained HTML report (inline CSS, charts as data: URIs, no external requests)."""
    environment = _environment()
    environment.filters["vn"] = vn_number
    return environment.get_template("report.html.j2").render(report=report)


def write_html(report: Report, path: Path) -> None:
    """Write :func:`render_html` to ``path`` (UTF-8)."""
    path.write_text(render_html(report), encoding="utf-8")


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]|~<>&])")


def md_cell(value: Any) -> str:
    """A Markdown table cell: one line, Markdown syntax and HTML's ``< > &`` backslash-escaped (a cell can't
    become a link, a tag or an entity) — Markdown escapes, so "H&M" shows as "H&M", never "&amp;"."""
    return _MD_SPECIAL.sub(r"\\\1", safe_text(value))


def render_markdown(report: Report) -> str:
    """The report as Markdown (tables, no charts)."""
    lines = [f"# {report.title}", "", f"**{report.subtitle}** — kỳ báo cáo {report.period_text}", "",
             f"Lập lúc {report.generated_at:%H:%M ngày %d/%m/%Y} (giờ Việt Nam), {report.tool}.", "",
             "## I. Tổng quan", "", "| Chỉ tiêu | Số liệu |", "|---|---:|"]
    lines += [f"| {md_cell(label)} | {md_cell(vn_number(value))} |" for label, value in report.summary]
    for section in report.sections:
        lines += ["", f"## {section.heading}", ""]
        if section.rows:
            lines.append("| " + " | ".join(md_cell(column) for column in section.columns) + " |")
            lines.append("|" + "|".join("---:" if index else "---" for index in range(len(section.columns))) + "|")
            lines += ["| " + " | ".join(md_cell(vn_number(cell)) for cell in row) + " |" for row in section.rows]
        if section.note:
            lines += ["", md_cell(section.note)]
    return "\n".join(lines) + "\n"


def write_markdown(report: Report, path: Path) -> None:
    """Write :func:`render_markdown` to ``path`` (UTF-8)."""
    path.write_text(render_markdown(report), encoding="utf-8")


_SHEET_UNSAFE = re.compile(r"[\\/*?:\[\]]")


SHEET_NAME_MAX = 31
"""Excel's limit on a sheet name's length."""


def _sheet_title(section: Section, index: int, used: set[str] | None = None) -> str:
    """An Excel sheet name: ``N. name`` without \\ / * ? : [ ], at most 31 characters cut at a word
    boundary (never mid-word), and unique among ``used`` (compared case-insensitively, as Excel does)."""
    name = " ".join(_SHEET_UNSAFE.sub(" ", section.sheet or section.heading.split(". ", 1)[-1]).split())
    prefix = f"{index + 1}. "
    words = name.split(" ")
    title = prefix + name
    while len(title) > SHEET_NAME_MAX and len(words) > 1:
        words.pop()
        title = prefix + " ".join(words).rstrip(" ,;-–—")
    title = title[:SHEET_NAME_MAX].strip()  # one word longer than the limit: no boundary to cut at
    taken = {existing.casefold() for existing in used or ()}
    number = 2
    base = title
    while title.casefold() in taken:
        suffix = f" ({number})"
        title = base[: SHEET_NAME_MAX - len(suffix)].rstrip() + suffix
        number += 1
    if used is not None:
        used.add(title)
    return title


_PERCENT = re.compile(r"(-?\d+(?:\.\d+)?)%")


def xlsx_value(value: Any) -> tuple[Any, str | None]:
    """A cell's value and number format: ``"12.5%"`` becomes the number 0.125 shown as a percentage."""
    if isinstance(value, str) and (found := _PERCENT.fullmatch(value.strip())):
        return float(found.group(1)) / 100, "0.0%"
    return spreadsheet_cell(value), None


def _append(sheet: Any, values: list[Any]) -> None:
    """Append a row of :func:`xlsx_value` cells, percentages with a percent number format."""
    converted = [xlsx_value(value) for value in values]
    sheet.append([value for value, _ in converted])
    for cell, (_, number_format) in zip(sheet[sheet.max_row], converted, strict=False):
        if number_format:
            cell.number_format = number_format


def write_xlsx(report: Report, path: Path) -> None:
    """The report as a workbook: "Tổng quan" first, one sheet per section, charts as images."""
    from openpyxl import Workbook
    from openpyxl.drawing.image import Image
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Tổng quan"
    sheet.append([report.title])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([f"{report.subtitle} — kỳ báo cáo {report.period_text}"])
    sheet.append(["Lập lúc (giờ Việt Nam)", report.generated_at.replace(tzinfo=None)])
    sheet["B3"].number_format = "dd/mm/yyyy hh:mm"
    sheet.append([])
    for label, value in report.summary:
        _append(sheet, [label, value])
    sheet.column_dimensions["A"].width = 42
    sheet.column_dimensions["B"].width = 22
    used = {sheet.title}
    for index, section in enumerate(report.sections, 1):
        part = workbook.create_sheet(_sheet_title(section, index, used))
        part.append([section.heading])
        part["A1"].font = Font(bold=True, size=12)
        part.append(section.columns)
        for cell in part[2]:
            cell.font = Font(bold=True)
        for row in section.rows:
            _append(part, row)
        if section.note:
            part.append([])
            part.append([spreadsheet_cell(section.note)])
        for column in range(1, len(section.columns) + 1):
            part.column_dimensions[get_column_letter(column)].width = 34 if column == 1 else 16
        part.freeze_panes = "A3"
        if section.chart:
            import io

            image = Image(io.BytesIO(section.chart))
            part.add_image(image, f"{get_column_letter(len(section.columns) + 2)}2")
    workbook.save(path)


def write_report(report: Report, path: Path, output_format: str) -> None:
    """Write ``report`` to ``path`` as html, xlsx or md."""
    writers = {"html": write_html, "xlsx": write_xlsx, "md": write_markdown}
    if output_format not in writers:
        raise ValueError(f"unknown report format {output_format!r} (one of {', '.join(FORMATS)})")
    writers[output_format](report, path)
