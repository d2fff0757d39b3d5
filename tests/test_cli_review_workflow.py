"""The inspector's commands on each store backend: flags list/show, review, audit, sellers, export, report, case,
store migrate. Data goes in through the Store API; hostile listing text must stay inert everywhere."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from crawler.cli import app
from crawler.evidence import EvidenceBlobs
from crawler.items import Evidence, Flag, Listing, Match
from crawler.store import open_store
from tests.mongo_server import NxServer

runner = CliRunner(env={"COLUMNS": "250", "USER": ""})
HOSTILE_TITLE = "=cmd|' /C calc'!A0 Túi Gucci rep 1:1 [bold]x[/bold]\x1b[31m"


def _flag(kind: str, rule: str, score: float, message: str, text: str = "") -> Flag:
    matched = [Match(field="title", text=text, start=0, end=len(text))] if text else []
    return Flag(rule_id=rule, kind=kind, score=score, message=message, matched=matched)  # type: ignore[arg-type]


def _listing(key: str, title: str, seller: dict, flags: list[Flag], description: str = "", **extra) -> Listing:
    platform, listing_id = key.split(":")
    return Listing(platform=platform, listing_id=listing_id, url=f"https://{platform}.vn/p/{listing_id}",
                   title=title, description=description or None, price=450_000, seller=seller, flags=flags, **extra)


@pytest.fixture
def seeded(store_uri: str, tmp_path: Path) -> tuple[str, Path]:
    """A store with 6 listings (5 flagged, 3 by seller shopee:77) and evidence for tiki:1 and shopee:2."""
    evidence_dir = tmp_path / "evidence"
    blobs = EvidenceBlobs(evidence_dir)
    page1 = blobs.put(b"<html>vape pod 0901 234 567</html>", ".html")
    page2 = blobs.put("<html>Túi Gucci rep</html>".encode(), ".html")
    shot2 = blobs.put(b"\x89PNG fake screenshot", ".png")
    hot = {"name": "Hàng Hiệu", "platform_id": "77", "province": "TP. Hồ Chí Minh"}
    listings = [
        _listing("tiki:1", "vape pod chính hãng", {"name": "Shop [red]X[/red]", "platform_id": "s1",
                                                  "province": "Hà Nội"},
                 [_flag("banned", "banned.e_cigarette", 0.95, "Thuốc lá điện tử bị cấm", "vape")],
                 "Liên hệ Zalo 0901 234 567",
                 evidence=Evidence(url="https://tiki.vn/p/1", http_status=200, html_sha256=page1.sha256,
                                   html_ref=page1.ref, captured_at=datetime(2026, 4, 1, tzinfo=UTC))),
        _listing("shopee:2", HOSTILE_TITLE, hot, [_flag("counterfeit", "counterfeit.brand", 0.8, "Gucci + rep 1:1",
                                                        "rep 1:1")],
                 "Gọi 0901234567",
                 evidence=Evidence(url="https://shopee.vn/p/2", http_status=200, html_sha256=page2.sha256,
                                   html_ref=page2.ref, screenshot_ref=shot2.ref)),
        _listing("shopee:3", "Áo thun cotton", hot, []),
        _listing("shopee:4", "Sữa bột Aptamil xách tay", hot,
                 [_flag("missing_origin", "origin.food", 0.6, "Thực phẩm không ghi xuất xứ")]),
        _listing("shopee:6", "Nước hoa Chanel rep", hot,
                 [_flag("counterfeit", "counterfeit.brand", 0.7, "Chanel rep")]),
        _listing("lazada:5", "Đồng hồ Rolex super fake", {"name": "hang hieu", "platform_id": "99",
                                                         "province": "Hà Nội"},
                 [_flag("counterfeit", "counterfeit.brand", 0.75, "Rolex fake")]),
    ]
    with open_store(store_uri) as store:
        result = store.upsert_listings(listings)
        assert result.rejected == 0, result.errors
    return store_uri, evidence_dir


def _run(*args: str) -> object:
    return runner.invoke(app, list(args))


def _keys_json(output: str) -> list[str]:
    return [f"{d['platform']}:{d['listing_id']}" for d in map(json.loads, output.splitlines())]


def test_flags_list_filters_and_paging(seeded: tuple[str, Path]) -> None:
    uri, _ = seeded
    assert sorted(_keys_json(_run("flags", "list", "--store", uri, "--province", "Hà Nội", "-f", "json").output)) == [
        "lazada:5", "tiki:1"]
    assert _keys_json(_run("flags", "list", "--store", uri, "--seller", "77", "--rule", "counterfeit.brand",
                           "-f", "json").output) == ["shopee:2", "shopee:6"]
    assert _keys_json(_run("flags", "list", "--store", uri, "-q", "gucci", "-f", "json").output) == ["shopee:2"]
    assert _run("flags", "list", "--store", uri, "--since", "2098-01-01", "-f", "json").output == ""
    paged = _run("flags", "list", "--store", uri, "--limit", "2", "--page", "2")
    assert paged.exit_code == 0, paged.output
    assert "page 2 of 3" in paged.output and "5 match" in paged.output and "--page 3" in paged.output
    bad = _run("flags", "list", "--store", uri, "--until", "30/04/26")
    assert bad.exit_code == 2 and "--until" in bad.output


def test_flags_show_evidence_state_and_hostile_text(seeded: tuple[str, Path]) -> None:
    uri, evidence_dir = seeded
    shown = _run("flags", "show", "shopee:2", "--store", uri, "--evidence-dir", str(evidence_dir))
    assert shown.exit_code == 0, shown.output
    assert shown.output.count("present, sha256 matches") == 2  # response and screenshot
    assert "[bold]x[/bold]" in shown.output and "\x1b" not in shown.output  # shown literally, never as markup
    assert "«rep 1:1»" in shown.output and "Review history" in shown.output
    with open_store(uri) as store:
        evidence = store.get_listing("shopee", "2").evidence
    (evidence_dir / evidence.latest("screenshot").ref).unlink()
    EvidenceBlobs(evidence_dir).root.joinpath(evidence.latest("response").ref).write_bytes(b"not gzip")
    again = _run("flags", "show", "shopee:2", "--store", uri, "--evidence-dir", str(evidence_dir))
    assert "missing:" in again.output and "unreadable:" in again.output


def test_review_prints_transitions_and_audit_verifies(seeded: tuple[str, Path]) -> None:
    uri, _ = seeded
    result = _run("review", "shopee:2", "shopee:4", "--confirm", "--note", "Đã xác minh", "--by", "Nguyễn Văn A",
                  "--store", uri)
    assert result.exit_code == 0, result.output
    assert "shopee:2: new → confirmed" in result.output and "shopee:4: new → confirmed" in result.output
    again = _run("review", "shopee:2", "--refer", "--by", "B", "--store", uri)
    assert "confirmed → referred" in again.output
    partly = _run("review", "tiki:404", "shopee:6", "--dismiss", "--by", "B", "--store", uri)
    assert partly.exit_code == 1 and "tiki:404" in partly.output and "shopee:6: new → dismissed" in partly.output
    assert _run("review", "shopee:2", "--store", uri, "--by", "B").exit_code == 2
    assert _run("review", "shopee:2", "--confirm", "--dismiss", "--by", "B", "--store", uri).exit_code == 2
    assert _run("review", "shopee:2", "--confirm", "--store", uri).exit_code == 2  # no --by, no $USER
    warned = runner.invoke(app, ["review", "lazada:5", "--confirm", "--store", uri], env={"USER": "thanhtra"})
    assert warned.exit_code == 0 and "warning" in warned.output and "thanhtra" in warned.output
    shown = _run("flags", "show", "shopee:2", "--store", uri)
    assert "Nguyễn Văn A: new → confirmed — Đã xác minh" in shown.output and "B: confirmed → referred" in shown.output
    verified = _run("audit", "verify", "--store", uri)
    assert verified.exit_code == 0, verified.output
    assert "5 entries" in verified.output


def _tamper_first_review(uri: str) -> None:
    """Change who took the first review decision, behind the store's back."""
    if uri.startswith("sqlite"):
        import sqlite3

        with sqlite3.connect(uri.removeprefix("sqlite:///")) as connection:
            connection.execute('update reviews set "by" = ? where seq = 1', ("someone else",))
    else:
        from pymongo import MongoClient

        with MongoClient(uri) as client:
            client.get_default_database()["reviews"].update_one({"seq": 1}, {"$set": {"by": "someone else"}})


def test_audit_verify_detects_a_changed_entry(seeded: tuple[str, Path]) -> None:
    uri, _ = seeded
    _run("review", "shopee:2", "shopee:4", "--confirm", "--by", "A", "--store", uri)
    assert _run("audit", "verify", "--store", uri).exit_code == 0
    _tamper_first_review(uri)
    broken = _run("audit", "verify", "--store", uri)
    assert broken.exit_code == 10 and "BROKEN" in broken.output  # ExitCode.AUDIT_MISMATCH
    assert "1 problems" in broken.output or "problems in 2 entries" in broken.output


def _behind_the_store(uri: str, sqlite_sql: str, params: tuple, mongo: object) -> None:
    """Change the store directly (as someone with database access would), on either backend."""
    if uri.startswith("sqlite"):
        import sqlite3

        with sqlite3.connect(uri.removeprefix("sqlite:///")) as connection:
            connection.execute(sqlite_sql, params)
    else:
        from pymongo import MongoClient

        with MongoClient(uri) as client:
            mongo(client.get_default_database())  # type: ignore[operator]


def _head(output: str) -> str:
    (line,) = [line for line in output.splitlines() if line.startswith("audit head: ")]
    return line.removeprefix("audit head: ").strip()


def test_audit_verify_prints_the_head_and_catches_deleted_newest_entries(seeded: tuple[str, Path]) -> None:
    uri, _ = seeded
    _run("review", "shopee:2", "shopee:4", "--confirm", "--by", "A", "--store", uri)
    _run("review", "shopee:2", "--refer", "--by", "A", "--store", uri)
    verified = _run("audit", "verify", "--store", uri)
    assert verified.exit_code == 0, verified.output
    head = _head(verified.output)
    assert head.startswith("3:") and len(head) == 2 + 64
    assert _run("audit", "verify", "--expect", head, "--store", uri).exit_code == 0
    # the newest entry goes, and the listing's status is put back to match: a shorter, valid chain
    _behind_the_store(uri, "delete from reviews where seq = 3", (),
                      lambda db: db["reviews"].delete_one({"seq": 3}))
    _behind_the_store(uri, "update listings set review_status = 'confirmed', review = json_set(review, "
                      "'$.status', 'confirmed') where platform = 'shopee' and listing_id = '2'", (),
                      lambda db: db["listings"].update_one({"platform": "shopee", "listing_id": "2"},
                                                           {"$set": {"review.status": "confirmed"}}))
    shorter = _run("audit", "verify", "--store", uri)
    assert shorter.exit_code == 0 and _head(shorter.output).startswith("2:")  # alone, it cannot tell
    anchored = _run("audit", "verify", "--expect", head, "--store", uri)
    assert anchored.exit_code == 10, anchored.output  # ExitCode.AUDIT_MISMATCH
    assert "entries removed" in anchored.output and "BROKEN" in anchored.output
    assert _run("audit", "verify", "--expect", "3:nothex", "--store", uri).exit_code == 2


def test_audit_verify_catches_a_status_changed_in_the_database(seeded: tuple[str, Path]) -> None:
    uri, _ = seeded
    _run("review", "shopee:4", "--dismiss", "--by", "A", "--store", uri)
    assert _run("audit", "verify", "--store", uri).exit_code == 0
    _behind_the_store(uri, "update listings set review_status = 'confirmed', review = json_set(review, "
                      "'$.status', 'confirmed') where platform = 'shopee' and listing_id = '4'", (),
                      lambda db: db["listings"].update_one({"platform": "shopee", "listing_id": "4"},
                                                           {"$set": {"review.status": "confirmed"}}))
    with open_store(uri) as store:
        assert store.get_listing("shopee", "4").review.status == "confirmed"
    broken = _run("audit", "verify", "--store", uri)
    assert broken.exit_code == 10, broken.output
    assert "shopee:4: stored review status 'confirmed', the log says 'dismissed'" in broken.output


def test_audit_verify_catches_a_listing_stored_confirmed_without_a_log_entry(seeded: tuple[str, Path]) -> None:
    uri, _ = seeded
    with open_store(uri) as store:  # what `store import` of {"review": {"status": "confirmed", …}} did
        store.upsert_listings([_listing("tiki:77", "Kem trộn", {"name": "x"}, [], review={"status": "confirmed",
                                                                                      "by": "nobody"})])
    broken = _run("audit", "verify", "--store", uri)
    assert broken.exit_code == 10, broken.output
    assert "tiki:77: stored review status 'confirmed', no log entry" in broken.output
    assert "audit log OK" not in broken.output


def test_sellers_top_marks_repeat_offenders_and_network_shows_links(seeded: tuple[str, Path]) -> None:
    uri, _ = seeded
    _run("review", "shopee:2", "shopee:4", "shopee:6", "--confirm", "--by", "A", "--store", uri)
    top = _run("sellers", "top", "--store", uri)
    assert top.exit_code == 0, top.output
    assert "REPEAT OFFENDER" in top.output and top.output.index("Hàng Hiệu") < top.output.index("hang hieu")
    rows = [json.loads(line) for line in _run("sellers", "top", "--store", uri, "-f", "json").output.splitlines()]
    assert rows[0]["seller_id"] == "77" and rows[0]["confirmed"] == 3 and rows[0]["repeat_offender"] is True
    assert [r["seller_id"] for r in rows if r["repeat_offender"]] == ["77"]
    assert len(_run("sellers", "top", "--min-confirmed", "3", "-f", "json", "--store", uri).output.splitlines()) == 1
    network = _run("sellers", "network", "shopee:77", "--store", uri)
    assert network.exit_code == 0, network.output
    assert "tiki:s1" in network.output and "phone=" in network.output  # same phone in the descriptions
    assert "lazada:99" in network.output and "shop_name=" in network.output
    missing = _run("sellers", "network", "nobody-at-all", "--store", uri)
    assert missing.exit_code == 1


@pytest.mark.parametrize("output_format", ["csv", "xlsx", "json"])
def test_export_with_filters(seeded: tuple[str, Path], tmp_path: Path, output_format: str) -> None:
    uri, _ = seeded
    path = tmp_path / f"out.{output_format}"
    result = _run("export", "--format", output_format, "--out", str(path), "--kind", "counterfeit", "--store", uri)
    assert result.exit_code == 0, result.output
    assert "3 listings written" in result.output
    if output_format == "csv":
        rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
        assert {row["Mã tin đăng"] for row in rows} == {"shopee:2", "shopee:6", "lazada:5"}
        assert next(row for row in rows if row["Mã tin đăng"] == "shopee:2")["Tiêu đề"].startswith("'=cmd")
    elif output_format == "xlsx":
        sheet = load_workbook(path).worksheets[0]
        assert sheet.max_row == 4 and all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    else:
        assert json.loads(path.read_text(encoding="utf-8"))["count"] == 3
    everything = _run("export", "-f", "json", "-o", str(tmp_path / "all.json"), "--all", "--store", uri)
    assert "6 listings written" in everything.output


@pytest.mark.parametrize("output_format", ["html", "md", "xlsx"])
def test_report_on_the_store(seeded: tuple[str, Path], tmp_path: Path, output_format: str) -> None:
    uri, _ = seeded
    _run("review", "shopee:2", "--confirm", "--by", "A", "--store", uri)
    _run("review", "shopee:4", "--dismiss", "--by", "A", "--store", uri)
    path = tmp_path / f"report.{output_format}"
    result = _run("report", "--period", "quick", "--format", output_format, "--out", str(path), "--store", uri)
    assert result.exit_code == 0, result.output
    assert "Báo cáo nhanh" in result.output and "5 flagged" in result.output
    if output_format != "xlsx":
        text = path.read_text(encoding="utf-8")
        assert "Theo loại vi phạm" in text and "Hàng Hiệu" in text
        assert "Đã xác nhận vi phạm" in text and "[bold]" not in text.replace("\\[bold\\]", "")
    custom = _run("report", "--period", "custom", "--from", "2000-01-01", "--to", "2000-01-31",
                  "--out", str(tmp_path / "empty.md"), "-f", "md", "--store", uri)
    assert custom.exit_code == 0 and "0 flagged" in custom.output


def test_case_file_is_verified_deterministic_and_tamper_evident(seeded: tuple[str, Path], tmp_path: Path) -> None:
    uri, evidence_dir = seeded
    _run("review", "shopee:2", "--confirm", "--note", "Hàng giả", "--by", "A", "--store", uri)
    args = ["case", "shopee:2", "tiki:1", "--store", uri, "--evidence-dir", str(evidence_dir),
            "--at", "2026-05-01T09:00:00+07:00"]
    first, second = tmp_path / "case1", tmp_path / "case2"
    result = _run(*args, "--out", str(first))
    assert result.exit_code == 0, result.output
    assert "3 evidence files verified" in result.output
    _run(*args, "--out", str(second))
    files = sorted(p.relative_to(first).as_posix() for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second).as_posix() for p in second.rglob("*") if p.is_file())
    assert all((first / f).read_bytes() == (second / f).read_bytes() for f in files)
    manifest = json.loads((first / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["generated_at"] == "2026-05-01T09:00:00+07:00" and manifest["version"]
    assert manifest["listings"] == ["shopee:2", "tiki:1"] and not manifest["problems"]
    with open_store(uri) as store:
        sha = store.get_listing("shopee", "2").evidence.latest("response").sha256
    copy = first / "listings" / "shopee_2" / "evidence" / f"response-{sha}.html.txt"  # HTML never runs
    assert copy.read_bytes() == "<html>Túi Gucci rep</html>".encode()
    history = json.loads((first / "listings/shopee_2/review_history.json").read_text(encoding="utf-8"))
    assert history[0]["to_status"] == "confirmed" and history[0]["hash"]
    summary = (first / "summary.html").read_text(encoding="utf-8")
    assert "[bold]x[/bold]" in summary and "Gucci + rep 1:1" in summary
    assert _run("case", "--verify", str(first)).exit_code == 0
    copy.write_bytes(b"edited")
    broken = _run("case", "--verify", str(first))
    assert broken.exit_code == 1 and f"response-{sha}.html.txt: changed" in broken.output
    assert _run(*args, "--out", str(first)).exit_code == 1  # never writes into a used directory


def test_case_with_missing_evidence_is_written_but_fails(seeded: tuple[str, Path], tmp_path: Path) -> None:
    uri, _ = seeded
    result = _run("case", "tiki:1", "--store", uri, "--evidence-dir", str(tmp_path / "elsewhere"),
                  "--out", str(tmp_path / "case"))
    assert result.exit_code == 1 and "incomplete" in result.output
    manifest = json.loads((tmp_path / "case" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["evidence"][0]["state"] == "missing" and manifest["problems"]
    assert _run("case", "tiki:404", "--store", uri, "--out", str(tmp_path / "c2")).exit_code == 1


def test_store_migrate_copies_everything_and_verifies(seeded: tuple[str, Path], tmp_path: Path) -> None:
    uri, _ = seeded
    _run("review", "shopee:2", "shopee:4", "--confirm", "--by", "A", "--store", uri)
    _run("review", "shopee:4", "--dismiss", "--by", "B", "--note", "nhầm", "--store", uri)
    target = f"sqlite:///{tmp_path / 'target.sqlite3'}"
    result = _run("store", "migrate", "--from", uri, "--to", target, "--batch", "2")
    assert result.exit_code == 0, result.output
    assert "FAIL" not in result.output and "OK   audit chain on target" in result.output
    assert "copied listings: 6 exported" in result.output and "…" in result.output
    with open_store(target) as copy:
        assert copy.get_listing("shopee", "4").review.status == "dismissed"
        assert [e.to_status for e in copy.review_history("shopee", "4")] == ["confirmed", "dismissed"]
    again = _run("store", "migrate", "--from", uri, "--to", target)
    assert again.exit_code == 0, again.output  # idempotent
    assert _run("store", "migrate", "--from", uri, "--to", uri).exit_code == 2


def test_store_migrate_sqlite_to_mongodb_wire(tmp_path: Path, nx_server: NxServer) -> None:
    source = f"sqlite:///{tmp_path / 'source.sqlite3'}"
    with open_store(source) as store:
        store.upsert_listings([_listing("tiki:1", "vape pod", {"name": "A"}, [_flag("banned", "b.v", 0.9, "cấm")])])
        store.apply_review("tiki", "1", "confirmed", by="A", note="ok")
    target = nx_server.uri("lm_migrate_" + tmp_path.name[-8:].replace("-", "_"))
    result = _run("store", "migrate", "--from", source, "--to", target)
    assert result.exit_code == 0, result.output
    assert "OK   audit chain on target: 1 entries checked" in result.output
    with open_store(target) as copy:
        assert copy.get_listing("tiki", "1").review.status == "confirmed"
