"""Exports: CSV with BOM, XLSX with typed columns and Vietnamese headers, JSON; hostile text stays inert."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

from openpyxl import load_workbook

from crawler.items import Evidence, Flag, Listing, Match
from crawler.review.exports import COLUMNS, write_export

HOSTILE = '=HYPERLINK("http://evil","click")\x1b[31m'


def _listings() -> list[Listing]:
    flag = Flag(rule_id="counterfeit.brand", kind="counterfeit", score=0.85, message="Gucci + rep 1:1",
                matched=[Match(field="title", text="rep 1:1", start=0, end=7)], legal_basis="NĐ 98/2020")
    return [
        Listing(platform="shopee", listing_id="1", url="https://shopee.vn/p/1", title=HOSTILE, price=1_250_000,
                seller={"name": "+SUM(A1:A9)", "platform_id": "77", "province": "Hà Nội"}, flags=[flag],
                first_seen=datetime(2026, 4, 30, 20, 0, tzinfo=UTC), last_seen=datetime(2026, 5, 2, 1, 0, tzinfo=UTC)),
        Listing(platform="tiki", listing_id="2", url="javascript:alert(1)", title="Áo thun", price=None,
                flags=[Flag(rule_id="origin.missing", kind="missing_origin", score=0.4, message="Không ghi xuất xứ")]),
    ]


def test_csv_has_bom_vietnamese_headers_and_inert_formulas(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    assert write_export(_listings(), path, "csv") == 2
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    assert list(rows[0]) == [column.header for column in COLUMNS]
    assert rows[0]["Tiêu đề"].startswith("'=HYPERLINK") and "\x1b" not in rows[0]["Tiêu đề"]
    assert rows[0]["Người bán"] == "'+SUM(A1:A9)"
    assert rows[0]["Giá (VNĐ)"] == "1250000"
    assert rows[0]["Phát hiện lần đầu"] == "2026-05-01 03:00:00"  # Vietnam time
    assert rows[0]["Loại vi phạm"] == "Hàng giả"


def test_xlsx_types_links_frozen_header_and_filter(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    write_export(_listings(), path, "xlsx", filters="kind=counterfeit")
    sheet = load_workbook(path).worksheets[0]
    headers = [cell.value for cell in sheet[1]]
    assert headers == [column.header for column in COLUMNS]
    col = {header: index + 1 for index, header in enumerate(headers)}
    title = sheet.cell(2, col["Tiêu đề"])
    assert title.data_type == "s" and title.value.startswith("'=")  # never a formula
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    price = sheet.cell(2, col["Giá (VNĐ)"])
    assert price.value == 1_250_000 and isinstance(price.value, int) and price.number_format == "#,##0"
    assert isinstance(sheet.cell(2, col["Điểm rủi ro"]).value, float)
    first_seen = sheet.cell(2, col["Phát hiện lần đầu"]).value
    assert first_seen == datetime(2026, 5, 1, 3, 0)
    assert sheet.cell(2, col["Đường dẫn"]).hyperlink.target == "https://shopee.vn/p/1"
    assert sheet.cell(3, col["Đường dẫn"]).hyperlink is None  # javascript: is never a link
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref.startswith("A1:") and sheet.auto_filter.ref.endswith("3")
    assert sheet.column_dimensions["C"].width >= 40


def test_json_keeps_full_documents(tmp_path: Path) -> None:
    path = tmp_path / "out.json"
    write_export(_listings(), path, "json", filters="kind=counterfeit")
    payload = json.loads(path.read_text(encoding="utf-8"))
    assert payload["count"] == 2 and payload["filters"] == "kind=counterfeit"
    assert payload["listings"][0]["title"] == HOSTILE  # data, not a spreadsheet: kept exactly
    assert payload["listings"][0]["flags"][0]["matched"][0]["text"] == "rep 1:1"


def test_exports_list_every_capture_of_a_listing(tmp_path: Path) -> None:
    captures = [{"kind": "response", "url": "https://shopee.vn/api/v4/item/get?itemid=1", "http_status": 200,
                 "sha256": "a" * 64, "captured_at": datetime(2026, 4, 30, 20, 0, tzinfo=UTC),
                 "content_type": "application/json"},
                {"kind": "screenshot", "url": "https://shopee.vn/p/1", "sha256": "b" * 64,
                 "captured_at": datetime(2026, 5, 1, 20, 0, tzinfo=UTC), "content_type": "image/png"}]
    listing = _listings()[0].model_copy(update={"evidence": Evidence(captures)})
    path = tmp_path / "out.csv"
    write_export([listing], path, "csv")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        (row,) = csv.DictReader(handle)
    lines = row["Các lần lưu chứng cứ"].split("\n")
    assert lines == ["2026-05-01 03:00:00 response HTTP 200 application/json sha256=" + "a" * 64
                     + " https://shopee.vn/api/v4/item/get?itemid=1",
                     "2026-05-02 03:00:00 screenshot image/png sha256=" + "b" * 64 + " https://shopee.vn/p/1"]
    assert row["SHA-256 bằng chứng"].split("\n") == ["a" * 64, "b" * 64]
    write_export([listing], tmp_path / "out.json", "json")
    document = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))["listings"][0]
    assert [c["kind"] for c in document["evidence"]] == ["response", "screenshot"]
    write_export([listing], tmp_path / "out.xlsx", "xlsx")
    sheet = load_workbook(tmp_path / "out.xlsx").active
    header = [cell.value for cell in sheet[1]]
    assert sheet.cell(row=2, column=header.index("Các lần lưu chứng cứ") + 1).value.count("sha256=") == 2
