"""Every export carries the review log's head: a ``<file>.audit`` sidecar (CSV, XLSX, JSON alike) with
the head and the export's sha256; ``crawler audit verify --export FILE`` checks both."""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from crawler.cli import app
from crawler.exit_codes import ExitCode
from crawler.items import Flag, Listing
from crawler.store import open_store

runner = CliRunner(env={"COLUMNS": "250", "USER": ""})


@pytest.fixture
def reviewed(tmp_path: Path) -> tuple[str, Path]:
    """A SQLite store with two flagged listings and two review decisions (two audit entries)."""
    db = tmp_path / "store.sqlite3"
    uri = f"sqlite:///{db}"
    flags = [Flag(rule_id="counterfeit.brand", kind="counterfeit", score=0.8, message="Gucci rep")]
    listings = [Listing(platform="shopee", listing_id=str(n), url=f"https://shopee.vn/p/{n}",
                        title=f"Túi Gucci rep {n}", price=450_000, flags=flags) for n in (1, 2)]
    with open_store(uri) as store:
        store.upsert_listings(listings)
    for key in ("shopee:1", "shopee:2"):
        result = runner.invoke(app, ["review", key, "--confirm", "--by", "An", "--store", uri])
        assert result.exit_code == 0, result.output
    return uri, db


def _head(uri: str) -> str:
    result = runner.invoke(app, ["audit", "verify", "--store", uri])
    assert result.exit_code == 0, result.output
    return result.output.split("audit head: ", 1)[1].split()[0]


@pytest.mark.parametrize("output_format", ["csv", "xlsx", "json"])
def test_every_export_has_an_audit_sidecar_with_the_head_and_its_sha256(
    reviewed: tuple[str, Path], tmp_path: Path, output_format: str
) -> None:
    uri, _ = reviewed
    out = tmp_path / f"export.{output_format}"
    result = runner.invoke(app, ["export", "-f", output_format, "-o", str(out), "--store", uri])
    assert result.exit_code == 0, result.output
    head = _head(uri)
    assert head.startswith("2:")
    sidecar = json.loads(Path(f"{out}.audit").read_text(encoding="utf-8"))
    assert sidecar["audit_head"] == head and sidecar["rows"] == 2 and sidecar["format"] == output_format
    assert sidecar["file"] == out.name and sidecar["size"] == out.stat().st_size
    if output_format == "csv":  # still a plain table: the header first, one row per listing, nothing else
        rows = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines()))
        assert rows[0][0] == "Mã tin đăng" and len(rows) == 3
    elif output_format == "json":
        assert json.loads(out.read_text(encoding="utf-8"))["audit_head"] == head
    else:
        info = {row[0]: row[1] for row in load_workbook(out)["Thông tin"].iter_rows(values_only=True)}
        assert info["audit head"] == head
    verified = runner.invoke(app, ["audit", "verify", "--export", str(out), "--store", uri])
    assert verified.exit_code == 0, verified.output
    assert "sha256 matches its sidecar" in verified.output and "matches the expected head 2" in verified.output


def test_an_edited_export_or_a_shortened_log_fails(reviewed: tuple[str, Path], tmp_path: Path) -> None:
    uri, db = reviewed
    out = tmp_path / "export.csv"
    assert runner.invoke(app, ["export", "-f", "csv", "-o", str(out), "--store", uri]).exit_code == 0
    # the log grows after the export: still the same chain, the export still anchors it
    assert runner.invoke(app, ["review", "shopee:1", "--refer", "--by", "B", "--store", uri]).exit_code == 0
    assert runner.invoke(app, ["audit", "verify", "--export", str(out), "--store", uri]).exit_code == 0
    # the newest entries deleted in the database: a shorter chain than the export recorded
    with sqlite3.connect(db) as raw:
        raw.execute("DELETE FROM reviews WHERE seq >= 2")
        raw.execute("UPDATE listings SET review_status = 'new'")
    shortened = runner.invoke(app, ["audit", "verify", "--export", str(out), "--store", uri])
    assert shortened.exit_code == ExitCode.AUDIT_MISMATCH, shortened.output
    # an edited export no longer matches its sidecar
    out.write_text(out.read_text(encoding="utf-8-sig").replace("Túi Gucci rep 1", "Túi xách"), encoding="utf-8-sig")
    edited = runner.invoke(app, ["audit", "verify", "--export", str(out), "--store", uri])
    assert edited.exit_code == ExitCode.AUDIT_MISMATCH and "changed since it was exported" in edited.output
    Path(f"{out}.audit").unlink()
    missing = runner.invoke(app, ["audit", "verify", "--export", str(out), "--store", uri])
    assert missing.exit_code == ExitCode.AUDIT_MISMATCH and "no readable audit sidecar" in missing.output
