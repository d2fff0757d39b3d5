"""Case files hold nothing a browser would run, show hostile text escaped, carry the audit head, and a
case whose evidence was swapped for a symlink does not verify."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crawler.cli import app
from crawler.evidence import EvidenceBlobs, content_suffix
from crawler.items import Evidence, Flag, Listing, Match
from crawler.review.cases import BROWSER_RUNS
from crawler.store import open_store

runner = CliRunner(env={"COLUMNS": "250", "USER": ""})
RLO, LRI, PDI, ALM = "\u202e", "\u2066", "\u2069", "\u061c"
RAW_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
SCRIPT_PAGE = b"<html><body><h1>Kem</h1><script>document.title='pwned';fetch('http://evil/')</script></body></html>"
API_JSON = json.dumps({"item": {"name": "Kem trộn <script>alert(1)</script>", "price": 150000}}).encode()
SPOOFED_SELLER = f"Shop {RLO}gnp.exe\x1b[2J\x07\x00"


@pytest.fixture
def hostile(tmp_path: Path) -> tuple[str, Path]:
    """A SQLite store with two flagged listings: one kept an HTML page with a script, one an API's JSON."""
    evidence = tmp_path / "evidence"
    blobs = EvidenceBlobs(evidence)
    page = blobs.put(SCRIPT_PAGE, ".html")  # how main stored every body, JSON included
    api = blobs.put(API_JSON, ".html")
    flag = Flag(rule_id="counterfeit.brand", kind="counterfeit", score=0.9, message=f"Gucci {LRI}rep{PDI} 1:1",
                matched=[Match(field="title", text=f"rep{RLO} 1:1", start=0, end=7)], legal_basis="NĐ 98/2020")
    listings = [
        Listing(platform="shopsite", listing_id="1", url="https://shop.example/p/1", title=f"Kem {RLO}txt.exe",
                brand=f"Gucci{RLO}", category="Mỹ phẩm\x1b]0;title\x07", origin=f"Pháp{ALM}",
                seller={"name": SPOOFED_SELLER, "platform_id": "s\x1b1", "province": "Hà Nội"}, flags=[flag],
                evidence=Evidence(url="https://shop.example/p/1", http_status=200, html_sha256=page.sha256,
                                  html_ref=page.ref)),
        Listing(platform="tiki", listing_id="2", url="https://tiki.vn/p/2", title="Kem trộn", flags=[flag],
                evidence=Evidence(url="https://tiki.vn/api/2", http_status=200, html_sha256=api.sha256,
                                  html_ref=api.ref)),
    ]
    uri = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    with open_store(uri) as store:
        assert store.upsert_listings(listings).rejected == 0
    result = runner.invoke(app, ["review", "shopsite:1", "--confirm", "--by", f"A{RLO}B", "--note",
                                 f"đã xác minh {RLO}1:1 per\x1b[31m", "--store", uri])
    assert result.exit_code == 0, result.output
    return uri, evidence


def _case(uri: str, evidence: Path, out: Path) -> str:
    result = runner.invoke(app, ["case", "shopsite:1", "tiki:2", "--store", uri, "--evidence-dir", str(evidence),
                                 "--out", str(out), "--at", "2026-05-01T09:00:00+07:00"])
    assert result.exit_code == 0, result.output
    return result.output


def test_evidence_extension_comes_from_the_real_content() -> None:
    assert content_suffix(API_JSON) == ".json"
    assert content_suffix(b"\xef\xbb\xbf [1, 2]") == ".json"
    assert content_suffix(SCRIPT_PAGE) == ".html"
    assert content_suffix(b"<!DOCTYPE html><title>x</title>") == ".html"
    assert content_suffix(b"\x89PNG\r\n\x1a\n...") == ".png"
    assert content_suffix(b"{not json") == ".txt"


def test_a_case_folder_holds_no_file_a_browser_would_run(hostile: tuple[str, Path], tmp_path: Path) -> None:
    uri, evidence = hostile
    out = tmp_path / "case"
    _case(uri, evidence, out)
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    runnable = [f for f in files if Path(f).suffix.lower() in BROWSER_RUNS and f != "summary.html"]
    assert runnable == []
    page = next(f for f in files if f.startswith("listings/shopsite_1/evidence/"))
    api = next(f for f in files if f.startswith("listings/tiki_2/evidence/"))
    assert page.endswith(".html.txt") and (out / page).read_bytes() == SCRIPT_PAGE  # bytes kept, never run
    assert api.endswith(".json") and json.loads((out / api).read_bytes()) == json.loads(API_JSON)
    summary = (out / "summary.html").read_text(encoding="utf-8")
    assert "<script" not in summary and "default-src 'none'" in summary
    assert set(re.findall(r'href="([^"]+)"', summary)) == {"https://shop.example/p/1", "https://tiki.vn/p/2",
                                                           page, api}


def test_the_summary_shows_rtl_and_control_characters_escaped(hostile: tuple[str, Path], tmp_path: Path) -> None:
    uri, evidence = hostile
    out = tmp_path / "case"
    _case(uri, evidence, out)
    for name in ("summary.html", "summary.md", "manifest.json", "listings/shopsite_1/listing.json",
                 "listings/shopsite_1/flags.json", "listings/shopsite_1/review_history.json"):
        text = (out / name).read_text(encoding="utf-8")
        assert RAW_UNSAFE.search(text) is None, f"{name}: {RAW_UNSAFE.search(text)!r}"
    summary = (out / "summary.html").read_text(encoding="utf-8")
    for shown in (r"Gucci\u202e", r"Shop \u202egnp.exe\u001b[2J\u0007\u0000", r"Mỹ phẩm\u001b]0;title\u0007",
                  r"Pháp\u061c", r"rep\u202e 1:1", r"Gucci \u2066rep\u2069 1:1", r"A\u202eB",
                  r"đã xác minh \u202e1:1 per\u001b[31m", r"s\u001b1", r"Kem \u202etxt.exe"):
        assert shown in summary, shown
    # the JSON copies are still the exact data
    listing = json.loads((out / "listings/shopsite_1/listing.json").read_text(encoding="utf-8"))
    assert listing["seller"]["name"] == SPOOFED_SELLER and listing["brand"] == f"Gucci{RLO}"


def test_cli_json_outputs_escape_bidi_and_controls_but_load_back_exactly(hostile: tuple[str, Path],
                                                                         tmp_path: Path) -> None:
    uri, _ = hostile
    listed = runner.invoke(app, ["flags", "list", "-f", "json", "--store", uri])
    shown = runner.invoke(app, ["flags", "show", "shopsite:1", "-f", "json", "--store", uri])
    exported = tmp_path / "export.json"
    assert runner.invoke(app, ["export", "-f", "json", "-o", str(exported), "--store", uri]).exit_code == 0
    for text in (listed.output, shown.output, exported.read_text(encoding="utf-8")):
        assert RAW_UNSAFE.search(text) is None and r"\u202e" in text
    documents = [json.loads(line) for line in listed.output.splitlines()]
    assert next(d for d in documents if d["listing_id"] == "1")["seller"]["name"] == SPOOFED_SELLER
    assert json.loads(shown.output)["title"] == f"Kem {RLO}txt.exe"
    table = runner.invoke(app, ["flags", "show", "shopsite:1", "--store", uri])
    assert RAW_UNSAFE.search(table.output) is None and r"Shop \u202egnp.exe" in table.output


def test_exports_and_case_files_carry_the_audit_head(hostile: tuple[str, Path], tmp_path: Path) -> None:
    uri, evidence = hostile
    verified = runner.invoke(app, ["audit", "verify", "--store", uri])
    assert verified.exit_code == 0, verified.output
    (head,) = re.findall(r"audit head: (\d+:[0-9a-f]{64})", verified.output)
    assert head.startswith("1:")
    out = tmp_path / "case"
    assert f"audit head: {head}" in _case(uri, evidence, out)
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8"))["audit_head"] == head
    assert f"audit head: <code>{head}</code>" in (out / "summary.html").read_text(encoding="utf-8")
    assert f"audit head: `{head}`" in (out / "summary.md").read_text(encoding="utf-8")
    exported = tmp_path / "export.json"
    result = runner.invoke(app, ["export", "-f", "json", "-o", str(exported), "--store", uri])
    assert f"audit head: {head}" in result.output
    assert json.loads(exported.read_text(encoding="utf-8"))["audit_head"] == head
    from openpyxl import load_workbook

    xlsx = tmp_path / "export.xlsx"
    assert runner.invoke(app, ["export", "-f", "xlsx", "-o", str(xlsx), "--store", uri]).exit_code == 0
    info = {row[0]: row[1] for row in load_workbook(xlsx)["Thông tin"].iter_rows(values_only=True)}
    assert info["audit head"] == head


def test_a_case_whose_evidence_is_a_symlink_does_not_verify(hostile: tuple[str, Path], tmp_path: Path) -> None:
    uri, evidence = hostile
    out = tmp_path / "case"
    _case(uri, evidence, out)
    assert runner.invoke(app, ["case", "--verify", str(out)]).exit_code == 0
    (copy,) = (out / "listings/shopsite_1/evidence").iterdir()
    outside = tmp_path / "elsewhere" / copy.name
    outside.parent.mkdir()
    outside.write_bytes(copy.read_bytes())  # the same bytes, so every sha256 still matches
    copy.unlink()
    copy.symlink_to(outside)
    result = runner.invoke(app, ["case", "--verify", str(out)])
    assert result.exit_code == 1, result.output
    assert "is a symlink" in result.output and "does NOT verify" in result.output


def test_a_case_holding_a_runnable_page_does_not_verify(hostile: tuple[str, Path], tmp_path: Path) -> None:
    uri, evidence = hostile
    out = tmp_path / "case"
    _case(uri, evidence, out)
    (copy,) = (out / "listings/shopsite_1/evidence").iterdir()
    renamed = copy.with_name(copy.name.removesuffix(".txt"))  # what main wrote: response-<sha>.html
    copy.rename(renamed)
    for name in ("manifest.json", "SHA256SUMS"):
        path = out / name
        path.write_text(path.read_text(encoding="utf-8").replace(copy.name, renamed.name), encoding="utf-8")
    result = runner.invoke(app, ["case", "--verify", str(out)])
    assert result.exit_code == 1 and "a browser would run this file" in result.output


def test_a_case_file_holds_every_capture_of_the_history(hostile: tuple[str, Path], tmp_path: Path) -> None:
    """A listing captured twice (a changed page, then a screenshot): the case copies and lists all three."""
    uri, evidence = hostile
    blobs = EvidenceBlobs(evidence)
    newer = blobs.put(SCRIPT_PAGE.replace(b"Kem", b"Kem moi"), ".html")
    shot = blobs.put(b"\x89PNG\r\n\x1a\n" + b"\0" * 64, ".png")
    with open_store(uri) as store:
        listing = store.get_listing("tiki", "2")
        assert listing is not None
        captures = [{"kind": "response", "url": "https://tiki.vn/api/2", "http_status": 200, "sha256": newer.sha256,
                     "ref": newer.ref, "captured_at": "2026-04-02T00:00:00Z", "content_type": "text/html"},
                    {"kind": "screenshot", "url": "https://tiki.vn/p/2", "sha256": shot.sha256, "ref": shot.ref,
                     "captured_at": "2026-04-03T00:00:00Z", "content_type": "image/png"}]
        store.upsert_listings([listing.model_copy(update={"title": "Kem trộn!", "evidence": Evidence(captures)})])
    out = tmp_path / "case"
    _case(uri, evidence, out)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    records = [r for r in manifest["evidence"] if r["listing"] == "tiki:2"]
    assert [r["kind"] for r in records] == ["response", "response", "screenshot"]
    assert [r["captured_at"] for r in records][1:] == ["2026-04-02T00:00:00+00:00", "2026-04-03T00:00:00+00:00"]
    assert all(r["state"] == "ok" and (out / r["path"]).is_file() for r in records)
    assert records[-1]["path"].endswith(f"screenshot-{shot.sha256}.png")
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert summary.count("sha256 `") == 4 and shot.sha256 in summary  # shopsite:1's one, tiki:2's three
    assert runner.invoke(app, ["case", "--verify", str(out)]).exit_code == 0
