"""`crawler store import`: bad lines are skipped and reported (line number, reason), the store's
refusals are rejected and reported, the rest of the file is loaded, and the counts add up."""

from __future__ import annotations

import io
import json
from pathlib import Path

from typer.testing import CliRunner

from crawler.cli import app
from crawler.exit_codes import ExitCode
from crawler.items import Listing
from crawler.spool import flags_record
from crawler.spool_import import import_file
from crawler.store import open_store

runner = CliRunner()


def _line(listing_id: str, **fields: object) -> bytes:
    doc = Listing(platform="tiki", listing_id=listing_id, url=f"https://tiki.vn/p{listing_id}",
                  title=f"Máy sấy tóc {listing_id}", price=350_000).to_document() | fields  # fmt: skip
    return json.dumps(doc, ensure_ascii=False).encode() + b"\n"


def _hostile_file(path: Path) -> Path:
    lines = [
        _line("1"),
        b'{"platform": "tiki", "listing_id": "x", "title": "b\xff\xfe"}\n',  # 2: invalid UTF-8
        b"[" * 100_000 + b"]" * 100_000 + b"\n",  # 3: nested too deeply for Python's JSON
        b'{"platform": "tiki", "price": ' + b"9" * 5000 + b"}\n",  # 4: beyond Python's int digit limit
        b'"just a string"\n',  # 5: not an object
        _line("2"),
        _line("3", sold_count=2**70),  # 7: a valid listing no backend can store (int64)
        b"\n",  # blank: ignored
        json.dumps(flags_record("tiki", "404", [])).encode() + b"\n",  # 9: flags of a listing not stored
        b'{"listing_id": "no title"}\n',  # 10: not a listing
        _line("4"),
    ]
    path.write_bytes(b"".join(lines))
    return path


def test_bad_lines_are_skipped_and_reported_and_the_counts_add_up(store_uri: str, tmp_path: Path) -> None:
    spool = _hostile_file(tmp_path / "spool.jsonl")
    result = runner.invoke(app, ["store", "import", str(spool), "--store", store_uri])
    assert result.exit_code == ExitCode.INPUT_SKIPPED, result.output
    text = " ".join(result.output.split())
    assert "10 lines read: 3 loaded (3 new, 0 updated, 0 unchanged), 5 skipped, 2 rejected" in text
    for number, reason in [(2, "invalid UTF-8"), (3, "nested too deeply"), (4, "Python can read"),
                           (5, "not a JSON object"), (7, "rejected"), (9, "rejected"), (10, "skipped")]:  # fmt: skip
        assert f"{spool}:{number}:" in result.output and reason in result.output, (number, reason)
    assert "Traceback" not in result.output
    with open_store(store_uri) as store:
        assert sorted(listing.listing_id for listing in store.iter_listings()) == ["1", "2", "4"]


def test_a_rejected_listing_is_never_reported_as_loaded(store_uri: str) -> None:
    data = _line("1") + _line("2", sold_count=2**70) + _line("3")
    with open_store(store_uri) as store:
        report = import_file(io.BytesIO(data), store)
    assert (report.lines, report.loaded, len(report.skipped), len(report.rejected)) == (3, 2, 0, 1)
    assert report.rejected[0].number == 2 and "64-bit" in report.rejected[0].reason


def test_a_clean_file_loads_with_exit_code_zero(tmp_path: Path) -> None:
    spool = tmp_path / "spool.jsonl"
    spool.write_bytes(_line("1") + _line("1", price=330_000) + _line("2"))
    uri = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    result = runner.invoke(app, ["store", "import", str(spool), "--store", uri])
    assert result.exit_code == 0, result.output
    assert "3 lines read: 3 loaded" in result.output and "0 skipped, 0 rejected" in result.output


def test_an_imported_review_decision_is_ignored_and_audit_verify_stays_clean(tmp_path: Path) -> None:
    """A line claiming "confirmed" (no audit entry behind it) is loaded as unreviewed, and said so."""
    path = tmp_path / "reviewed.jsonl"
    claimed = {"status": "confirmed", "by": "someone", "at": "2026-01-01T00:00:00Z", "note": "đã xác minh"}
    path.write_bytes(_line("1", review=claimed) + _line("2"))
    uri = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    result = runner.invoke(app, ["store", "import", str(path), "--store", uri])
    assert result.exit_code == 0, result.output
    assert "2 loaded" in result.output and "review decisions ignored on 1 listings" in result.output
    with open_store(uri) as store:
        stored = store.get_listing("tiki", "1")
    assert stored is not None and stored.review.status == "new" and stored.review.by is None
    verified = runner.invoke(app, ["audit", "verify", "--store", uri])
    assert verified.exit_code == 0, verified.output
