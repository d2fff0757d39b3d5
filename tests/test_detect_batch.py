"""detect_file: JSON Lines in, one result line per valid listing out, bad lines warned and skipped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawler.detect.batch import detect_file, output_record
from crawler.items import Listing

REPO = Path(__file__).resolve().parent.parent
RULES = REPO / "rules"
INPUT = REPO / "tests" / "data" / "detect" / "listings.jsonl"


def read_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_detect_file_writes_one_line_per_valid_listing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "flags.jsonl"
    summary = detect_file(INPUT, out, RULES)
    err = capsys.readouterr().err
    assert f"{INPUT}:5: not JSON" in err
    assert f"{INPUT}:9: invalid listing: title: Field required" in err
    assert f"{INPUT}:11: not a JSON object" in err
    lines = read_lines(out)
    assert [line["listing_id"] for line in lines] == ["1", "2", "3", "4", "5", "6", "8", "9", "10"]
    assert summary.read == summary.written == 9 and summary.bad_lines == 3
    for line in lines:
        assert set(line) == {"listing_id", "platform", "flags", "risk"}
        assert line["platform"] == "demo"
        assert line["risk"] == max((f["score"] for f in line["flags"]), default=0)
        for flag in line["flags"]:
            assert set(flag) == {"kind", "rule_id", "score", "message", "matched"}
    by_id = {line["listing_id"]: line for line in lines}
    cheap = {f["rule_id"]: f for f in by_id["6"]["flags"]}
    assert "price_anomaly.far_below_peers" in cheap
    # its peers: the other 256GB phones (1, 2, 4, 5, 10), each seller once, itself excluded; not the 512GB one
    assert "5 người bán khác (5 tin)" in cheap["price_anomaly.far_below_peers"]["message"]
    weapon = by_id["8"]["flags"][0]
    assert weapon["rule_id"] == "banned.weapons"
    assert weapon["matched"] == [{"field": "title", "text": "s.ú.n.g h.ơ.i", "start": 4, "end": 17}]
    assert by_id["9"]["flags"] == [] and by_id["9"]["risk"] == 0
    # a file's listings are taken as complete (no fields_seen): a new phone without origin lacks it
    for i in ("1", "2", "5", "10"):
        assert [f["rule_id"] for f in by_id[i]["flags"]] == ["missing_origin.electronics"]
    assert by_id["3"]["flags"] == [] and by_id["4"]["flags"] == []  # origin stated; second-hand
    assert summary.flags_by_kind["banned"] == 1 and summary.flagged == 6


def test_detect_file_to_stdout_with_extra_peers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    small = tmp_path / "one.jsonl"
    record = {"platform": "p", "listing_id": "x", "url": "u", "title": "Samsung Galaxy S24 Ultra 256GB",
              "price": 2_000_000}
    small.write_text(json.dumps(record) + "\n", encoding="utf-8")
    extra = [Listing(platform="p", listing_id=str(i), url="u", title="Galaxy S24 Ultra 256GB", price=25_000_000 + i)
             for i in range(6)]
    summary = detect_file(small, None, RULES)
    alone = json.loads(capsys.readouterr().out)
    assert "price_anomaly" not in {f["kind"] for f in alone["flags"]}
    summary = detect_file(small, None, RULES, extra_peers=extra)
    with_peers = json.loads(capsys.readouterr().out)
    assert "price_anomaly.far_below_peers" in {f["rule_id"] for f in with_peers["flags"]}
    assert summary.written == 1 and summary.bad_lines == 0


def test_lines_without_flags_are_exactly_the_contract_json(tmp_path: Path) -> None:
    """Flagless lines are written without building the record: byte for byte what json gives it,
    whatever the id holds (quotes, backslashes, control and non-ASCII characters)."""
    ids = ['1', 'a"b', "c\\d", "tab\there", "Đồng-hồ", "\u2028x"]
    source = tmp_path / "in.jsonl"
    source.write_text("".join(
        json.dumps({"platform": "sh\"op", "listing_id": i, "url": "u", "title": "Áo thun cotton"}) + "\n" for i in ids
    ), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    detect_file(source, out, RULES)
    encode = json.JSONEncoder(ensure_ascii=False).encode
    expected = [
        encode(output_record(Listing(platform='sh"op', listing_id=i, url="u", title="Áo thun cotton"), [])) for i in ids
    ]
    assert out.read_text(encoding="utf-8").split("\n") == [*expected, ""]


def test_detect_with_store_compares_with_the_stored_peer_summaries(tmp_path: Path) -> None:
    """`crawler detect --with-store`: the store's summary of the product's group, not its listings."""
    from typer.testing import CliRunner

    from crawler.cli import app
    from crawler.store import open_store

    uri = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    stored = [Listing(platform="tiki", listing_id=str(i), url=f"u{i}", title="Samsung Galaxy S24 Ultra 256GB",
                      price=25_000_000 + 500_000 * i, seller={"name": f"Shop {i}"},
                      peer_key="samsung galaxy s24 ultra|256gb") for i in range(6)]
    with open_store(uri) as store:
        store.upsert_listings(stored)
    source = tmp_path / "one.jsonl"
    source.write_text(json.dumps({"platform": "p", "listing_id": "x", "url": "u", "price": 2_000_000,
                                  "title": "Samsung Galaxy S24 Ultra 256GB"}) + "\n", encoding="utf-8")
    out = tmp_path / "flags.jsonl"
    result = CliRunner().invoke(app, ["detect", "--input", str(source), "--output", str(out), "--with-store",
                                      "--store", uri, "--rules", str(RULES)])
    assert result.exit_code == 0, result.output
    (line,) = read_lines(out)
    (flag,) = [f for f in line["flags"] if f["rule_id"] == "price_anomaly.far_below_peers"]
    # the stored group of 6 comes with its members: the judged listing is not among them, all 6 count
    assert "6 người bán khác (6 tin)" in flag["message"]
