"""Exports an inspector hands on: CSV (UTF-8 with BOM, for Excel), XLSX (typed columns) and JSON.

One row per listing, columns with Vietnamese headers (:data:`COLUMNS`). Listing text is written by
possible criminals, so every text cell of a CSV or XLSX goes through ``spreadsheet_cell`` (no formula
ever runs), and a hyperlink is only made from an ``http(s)`` URL.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from crawler import __version__
from crawler.items import Listing
from crawler.review.filters import local
from crawler.review.render import safe_json, spreadsheet_cell

FORMATS: tuple[str, ...] = ("csv", "xlsx", "json")

KIND_LABELS: dict[str, str] = {
    "banned": "Hàng cấm",
    "counterfeit": "Hàng giả",
    "missing_origin": "Không rõ nguồn gốc",
    "price_anomaly": "Giá bất thường",
}
STATUS_LABELS: dict[str, str] = {
    "new": "Mới",
    "confirmed": "Đã xác nhận vi phạm",
    "dismissed": "Đã loại bỏ",
    "referred": "Đã chuyển cơ quan khác",
}


@dataclass(frozen=True)
class Column:
    """One export column: key, Vietnamese header, type (text/int/float/datetime/url) and XLSX width."""

    key: str
    header: str
    type: str = "text"
    width: int = 18


COLUMNS: tuple[Column, ...] = (
    Column("id", "Mã tin đăng", width=24),
    Column("platform", "Sàn TMĐT", width=10),
    Column("title", "Tiêu đề", width=50),
    Column("price", "Giá (VNĐ)", "int", 14),
    Column("original_price", "Giá gốc (VNĐ)", "int", 14),
    Column("brand", "Thương hiệu", width=14),
    Column("category", "Danh mục", width=30),
    Column("origin", "Xuất xứ", width=14),
    Column("seller", "Người bán", width=24),
    Column("seller_id", "Mã người bán", width=14),
    Column("province", "Tỉnh/thành phố", width=16),
    Column("kinds", "Loại vi phạm", width=22),
    Column("rules", "Quy tắc", width=28),
    Column("reasons", "Lý do", width=60),
    Column("matched", "Nội dung vi phạm", width=30),
    Column("legal_basis", "Căn cứ pháp lý", width=30),
    Column("risk", "Điểm rủi ro", "float", 11),
    Column("status", "Trạng thái xử lý", width=20),
    Column("reviewed_by", "Người xử lý", width=16),
    Column("reviewed_at", "Thời điểm xử lý", "datetime", 18),
    Column("review_note", "Ghi chú", width=30),
    Column("source", "Nguồn", width=8),
    Column("first_seen", "Phát hiện lần đầu", "datetime", 18),
    Column("last_seen", "Thấy lần cuối", "datetime", 18),
    Column("evidence_sha256", "SHA-256 bằng chứng", width=20),
    Column("evidence", "Các lần lưu chứng cứ", width=60),
    Column("url", "Đường dẫn", "url", 40),
)


def _naive_local(moment: datetime | None) -> datetime | None:
    shown = local(moment)
    return shown.replace(tzinfo=None) if shown else None


def export_row(listing: Listing) -> dict[str, Any]:
    """One export row: typed values (ints, floats, Vietnam-time datetimes, text)."""
    flags = listing.flags
    seller = listing.seller
    review = listing.review
    return {
        "id": listing.key,
        "platform": listing.platform,
        "title": listing.title,
        "price": listing.price,
        "original_price": listing.original_price,
        "brand": listing.brand,
        "category": listing.category,
        "origin": listing.origin,
        "seller": seller.name,
        "seller_id": seller.platform_id,
        "province": seller.province,
        "kinds": ", ".join(KIND_LABELS.get(kind, kind) for kind in sorted({flag.kind for flag in flags})),
        "rules": ", ".join(flag.rule_id for flag in flags),
        "reasons": "\n".join(flag.message for flag in flags),
        "matched": "; ".join(f"«{match.text}»" for flag in flags for match in flag.matched),
        "legal_basis": "\n".join(sorted({flag.legal_basis for flag in flags if flag.legal_basis})),
        "risk": round(listing.risk, 2),
        "status": STATUS_LABELS.get(review.status, review.status),
        "reviewed_by": review.by,
        "reviewed_at": _naive_local(review.at),
        "review_note": review.note,
        "source": listing.source,
        "first_seen": _naive_local(listing.first_seen),
        "last_seen": _naive_local(listing.last_seen),
        "evidence_sha256": "\n".join(c.sha256 for c in listing.evidence if c.sha256) if listing.evidence else None,
        "evidence": evidence_text(listing),
        "url": listing.url,
    }


def evidence_text(listing: Listing) -> str | None:
    """Every capture of the listing, oldest first, one a line: when (Vietnam time), kind, HTTP status,
    content type, sha256, URL; None when nothing was kept."""
    if not listing.evidence:
        return None
    lines = []
    for capture in listing.evidence:
        when = _naive_local(capture.captured_at)
        status = f" HTTP {capture.http_status}" if capture.http_status is not None else ""
        lines.append(f"{when.strftime('%Y-%m-%d %H:%M:%S') if when else '—'} {capture.kind}{status} "
                     f"{capture.content_type or '?'} sha256={capture.sha256 or '—'} {capture.url or ''}".rstrip())
    return "\n".join(lines)


def _cell(value: Any) -> Any:
    """A safe cell: text through spreadsheet_cell, None as empty."""
    return "" if value is None else spreadsheet_cell(value)


def write_csv(listings: Iterable[Listing], path: Path) -> int:
    """CSV in UTF-8 with a BOM (Excel then reads Vietnamese right); returns the number of rows."""
    count = 0
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([column.header for column in COLUMNS])
        for listing in listings:
            row = export_row(listing)
            cells = []
            for column in COLUMNS:
                value = row[column.key]
                if isinstance(value, datetime):
                    value = value.strftime("%Y-%m-%d %H:%M:%S")
                cells.append(_cell(value))
            writer.writerow(cells)
            count += 1
    return count


def _safe_link(url: str | None) -> str | None:
    if isinstance(url, str) and url.lower().startswith(("http://", "https://")) and '"' not in url:
        return url
    return None


def write_xlsx(listings: Iterable[Listing], path: Path, *, title: str = "Tin đăng", filters: str = "",
               audit_head: str | None = None) -> int:
    """XLSX: Vietnamese headers, typed columns, hyperlinks, frozen header, autofilter; returns rows."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=False)
    sheet = workbook.active
    sheet.title = title[:31]
    sheet.append([column.header for column in COLUMNS])
    header_font = Font(bold=True, color="FFFFFF")
    header_fill = PatternFill("solid", fgColor="1F4E79")
    for cell in sheet[1]:
        cell.font = header_font
        cell.fill = header_fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    count = 0
    link_font = Font(color="0563C1", underline="single")
    for listing in listings:
        row = export_row(listing)
        count += 1
        excel_row = count + 1
        for index, column in enumerate(COLUMNS, 1):
            value = row[column.key]
            cell = sheet.cell(row=excel_row, column=index, value=_cell(value) if value is not None else None)
            if column.type == "int" and value is not None:
                cell.number_format = "#,##0"
            elif column.type == "float":
                cell.number_format = "0.00"
            elif column.type == "datetime" and value is not None:
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif column.type == "url":
                link = _safe_link(value)
                if link:
                    cell.hyperlink = link
                    cell.font = link_font
    for index, column in enumerate(COLUMNS, 1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{count + 1}"
    info = workbook.create_sheet("Thông tin")
    for label, value in (
        ("Công cụ", f"listing-monitor {__version__}"),
        ("Thời điểm xuất", _naive_local(datetime.now().astimezone())),
        ("Bộ lọc", filters or "không"),
        ("Số tin đăng", count),
        ("Múi giờ", "Giờ Việt Nam (UTC+7)"),
        ("audit head", audit_head or "—"),
    ):
        info.append([label, _cell(value)])
    info["B2"].number_format = "yyyy-mm-dd hh:mm"
    info.column_dimensions["A"].width = 18
    info.column_dimensions["B"].width = 60
    workbook.save(path)
    return count


def write_json(listings: Iterable[Listing], path: Path, *, filters: str = "", audit_head: str | None = None) -> int:
    """JSON: {tool, generated_at, filters, audit_head, count, listings: [full listing documents]}; returns rows.

    Control and bidi characters are written as ``\\uXXXX`` escapes (``safe_json``): the data loads back
    exactly."""
    documents = [listing.to_document() for listing in listings]
    payload = {
        "tool": f"listing-monitor {__version__}",
        "generated_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "filters": filters,
        "audit_head": audit_head,
        "count": len(documents),
        "listings": documents,
    }
    path.write_text(safe_json(payload, indent=1) + "\n", encoding="utf-8")
    return len(documents)


def write_export(listings: Iterable[Listing], path: Path, output_format: str, *, filters: str = "",
                 audit_head: str | None = None) -> int:
    """Write ``listings`` to ``path`` in ``output_format`` (csv, xlsx, json); returns the row count.

    ``audit_head`` (``COUNT:HASH`` of the review log when the export was made) goes into the JSON
    (``audit_head``) and the XLSX's "Thông tin" sheet, and, for every format, into the sidecar
    ``<path>.audit`` with the export's sha256 (``crawler.review.export_audit``: a CSV keeps no comment
    line that spreadsheets would read as a listing row)."""
    if output_format == "csv":
        count = write_csv(listings, path)
    elif output_format == "xlsx":
        count = write_xlsx(listings, path, filters=filters, audit_head=audit_head)
    elif output_format == "json":
        count = write_json(listings, path, filters=filters, audit_head=audit_head)
    else:
        raise ValueError(f"unknown export format {output_format!r} (one of {', '.join(FORMATS)})")
    if audit_head is not None:
        from crawler.review.export_audit import write_sidecar

        write_sidecar(path, output_format=output_format, rows=count, audit_head=audit_head, filters=filters)
    return count
