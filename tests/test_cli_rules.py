"""`crawler rules validate / test / explain / diff` through the real CLI (typer's CliRunner)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from crawler.cli import app
from crawler.items import Listing
from crawler.store import open_store

REPO = Path(__file__).resolve().parent.parent
RULES = REPO / "rules"
runner = CliRunner()

FAKE = {"platform": "shopee", "listing_id": "9", "url": "https://shopee.vn/p/9",
        "title": "Túi G u c c i Marmont rep 1:1", "price": 890000}
GUN = {"platform": "shopee", "listing_id": "10", "url": "https://shopee.vn/p/10", "title": "S.ú.n.g h.ơ.i PCP"}
GLUE = {"platform": "tiki", "listing_id": "11", "url": "https://tiki.vn/p/11", "title": "Súng bắn keo nến 60W"}


def _invoke(*args: str):
    result = runner.invoke(app, list(args), env={"COLUMNS": "250"})
    return result


def test_validate_and_test_pass_on_shipped_rules() -> None:
    assert _invoke("rules", "validate", str(RULES)).exit_code == 0
    result = _invoke("rules", "test", str(RULES))
    assert result.exit_code == 0, result.output
    assert " 0 failed" in result.output


def test_validate_reports_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "banned.yaml"
    bad.write_text("kind: banned\nrules:\n  - id: x\n    kind: banned\n    severity: huge\n    message: m\n"
                   "    legal_basis: l\n    match: {keywords: [a]}\ncases: []\n", encoding="utf-8")
    result = _invoke("rules", "validate", str(tmp_path))
    assert result.exit_code == 3  # ExitCode.RULES
    assert f"{bad}:5:" in result.output and "severity" in result.output


def test_explain_a_json_file_shows_signals_shares_and_original_spans(tmp_path: Path) -> None:
    listing = tmp_path / "listing.json"
    listing.write_text(json.dumps(FAKE, ensure_ascii=False), encoding="utf-8")
    result = _invoke("rules", "explain", "--listing", str(listing), "--rules", str(RULES))
    assert result.exit_code == 0, result.output
    out = result.output
    assert "counterfeit.brand_signals" in out
    for signal in ("brand", "phrase", "evasion", "unofficial_seller", "total"):
        assert signal in out
    assert "'G u c c i'" in out  # the span as the seller wrote it
    assert "%" in out and "FLAG counterfeit" in out


def test_explain_jsonl_reports_bad_lines_and_goes_on(tmp_path: Path) -> None:
    listing = tmp_path / "listings.jsonl"
    listing.write_text(json.dumps(GUN, ensure_ascii=False) + "\n{oops\n" + json.dumps(GLUE, ensure_ascii=False)
                       + "\n", encoding="utf-8")
    result = _invoke("rules", "explain", "--listing", str(listing), "--rules", str(RULES))
    assert result.exit_code == 0, result.output
    assert f"{listing}:2: not JSON" in result.output
    assert "FLAG banned banned.weapons" in result.output
    assert "Súng bắn keo" in result.output and "no flags" in result.output


def test_explain_a_url_from_the_store(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    with open_store(uri) as store:
        store.upsert_listings([Listing.model_validate(GUN), Listing.model_validate(GLUE)])
    result = _invoke("rules", "explain", "--listing", GUN["url"], "--rules", str(RULES), "--store", uri)
    assert result.exit_code == 0, result.output
    assert "banned.weapons" in result.output and "'S.ú.n.g h.ơ.i'" in result.output
    missing = _invoke("rules", "explain", "--listing", "https://shopee.vn/p/404", "--store", uri)
    assert missing.exit_code == 1 and "no such listing in the store" in missing.output


def test_explain_names_the_stored_peer_group_a_price_is_judged_against(tmp_path: Path) -> None:
    """By platform:listing_id; the price against the store's summary of its group (never a scan)."""
    uri = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    phones = [Listing(platform="tiki", listing_id=str(i), url=f"https://tiki.vn/p{i}", title="iPhone 15 Pro Max 256GB",
                      price=28_000_000 + 500_000 * i, origin="Trung Quốc", seller={"name": f"Shop {i}"},
                      peer_key="iphone 15 pro max|256gb") for i in range(8)]
    cheap = Listing(platform="tiki", listing_id="99", url="https://tiki.vn/p99", title="iPhone 15 Pro Max 256GB",
                    price=3_900_000, origin="Trung Quốc", seller={"name": "Bán Rẻ"}, peer_key="iphone 15 pro max|256gb")
    with open_store(uri) as store:
        store.upsert_listings([*phones, cheap])
    result = _invoke("rules", "explain", "--listing", "tiki:99", "--rules", str(RULES), "--store", uri)
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "price_anomaly.far_below_peers" in text
    assert "“iphone 15 pro max|256gb”" in text and "người bán khác" in text and "trung vị" in text
    normal = _invoke("rules", "explain", "--listing", "tiki:3", "--rules", str(RULES), "--store", uri)
    assert "peer_group" in normal.output and "iphone 15 pro max|256gb" in " ".join(normal.output.split())


def _rules_without_weapons(tmp_path: Path) -> Path:
    new = tmp_path / "rules_new"
    shutil.copytree(RULES, new)
    banned = new / "banned.yaml"
    text = banned.read_text(encoding="utf-8")
    text = text.replace("  - id: banned.weapons\n    kind: banned\n", "  - id: banned.weapons\n    kind: banned\n"
                        "    enabled: false\n", 1)
    text = "\n".join(line for line in text.splitlines() if "match: [banned.weapons]" not in line) + "\n"
    banned.write_text(text, encoding="utf-8")
    return new


def test_diff_lists_listings_losing_flags_on_a_file(tmp_path: Path) -> None:
    new = _rules_without_weapons(tmp_path)
    listings = tmp_path / "listings.jsonl"
    listings.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in (FAKE, GUN, GLUE)) + "\n",
                        encoding="utf-8")
    result = _invoke("rules", "diff", "--old", str(RULES), "--new", str(new), "--on", str(listings))
    assert result.exit_code == 0, result.output
    assert "shopee:10  -banned.weapons" in result.output
    assert "shopee:9" not in result.output and "tiki:11" not in result.output
    assert "banned.weapons: +0 -1" in result.output
    assert "3 listings, 1 changed" in result.output
    swapped = _invoke("rules", "diff", "--old", str(new), "--new", str(RULES), "--on", str(listings))
    assert "shopee:10  +banned.weapons" in swapped.output


def test_diff_on_a_store(tmp_path: Path) -> None:
    new = _rules_without_weapons(tmp_path)
    uri = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    with open_store(uri) as store:
        store.upsert_listings([Listing.model_validate(x) for x in (FAKE, GUN, GLUE)])
    result = _invoke("rules", "diff", "--old", str(RULES), "--new", str(new), "--on", uri)
    assert result.exit_code == 0, result.output
    assert "-banned.weapons" in result.output and "3 listings, 1 changed" in result.output


def test_diff_on_the_demo_data(tmp_path: Path) -> None:
    new = _rules_without_weapons(tmp_path)
    demo = REPO / "crawler" / "demo" / "data" / "listings.jsonl"
    result = _invoke("rules", "diff", "--old", str(RULES), "--new", str(new), "--on", str(demo))
    assert result.exit_code == 0, result.output
    changed = [line for line in result.output.splitlines() if "  -banned.weapons" in line]
    assert changed, result.output
    assert not any("+" in line.split("  ")[1] for line in changed)
