"""Conditions of issue #13: placeholder-aware `empty`, `seen`, `platform`, `written_with_tones`, and
rules `suppressed_by` other rules; exception phrases searched only when a condition has hits."""

from __future__ import annotations

import textwrap
from pathlib import Path

from crawler.detect import Detector, load_rules
from crawler.detect.conditions import placeholder
from crawler.items import Listing

RULES = """\
kind: missing_origin
rules:
  - id: missing_origin.t_plain
    kind: missing_origin
    severity: low
    message: t
    legal_basis: b
    match: {all: [{keywords: [kem dưỡng]}, {seen: [origin]}, {empty: [origin]}]}
  - id: missing_origin.t_classified
    kind: missing_origin
    severity: low
    message: t
    legal_basis: b
    match: {all: [{keywords: [kem dưỡng]}, {platform: [chotot, Facebook]}]}
  - id: missing_origin.t_tones
    kind: missing_origin
    severity: low
    message: t
    legal_basis: b
    match: {keywords: [nhật], fields: [title], written_with_tones: true}
    exceptions: [cập nhật]
  - id: missing_origin.t_quiet
    kind: missing_origin
    severity: low
    message: t
    legal_basis: b
    match: {keywords: [kem dưỡng]}
    suppressed_by: [missing_origin.t_tones]
cases: []
"""


def detector(tmp_path: Path) -> Detector:
    (tmp_path / "rules.yaml").write_text(textwrap.dedent(RULES), encoding="utf-8")
    loaded = load_rules(tmp_path)
    assert loaded.errors == []
    return Detector(loaded.ruleset)


def fired(d: Detector, title: str, **fields: object) -> set[str]:
    listing = Listing(platform=str(fields.pop("platform", "shopee")), listing_id="1", url="u", title=title, **fields)
    return {flag.rule_id.removeprefix("missing_origin.") for flag in d.detect(listing)}


def test_placeholders_are_empty() -> None:
    for value in ("", "Đang cập nhật", "Khác", "N/A", "không", "OEM", " - ", "No brand", "Chưa rõ"):
        assert placeholder(value), value
    for value in ("Việt Nam", "Nhật Bản", "Trung Quốc", "Khánh Hòa"):
        assert not placeholder(value), value


def test_seen_empty_platform_and_tones(tmp_path: Path) -> None:
    d = detector(tmp_path)
    assert "t_plain" in fired(d, "Kem dưỡng da", origin="Đang cập nhật")
    assert "t_plain" not in fired(d, "Kem dưỡng da", origin="Hàn Quốc")
    assert "t_plain" not in fired(d, "Kem dưỡng da", fields_seen=["title", "price"])  # a search card: unknown
    assert "t_plain" in fired(d, "Kem dưỡng da", fields_seen=["title", "origin"])  # carried, and empty
    assert "t_classified" in fired(d, "Kem dưỡng da", platform="facebook")
    assert "t_classified" not in fired(d, "Kem dưỡng da", platform="tiki")
    assert "t_tones" in fired(d, "Máy lọc nước Nhật")
    assert "t_tones" not in fired(d, "Máy lọc nước tot nhat")  # "nhất", written without tones
    assert "t_tones" not in fired(d, "Bảng giá cập nhật hôm nay")


def test_a_rule_suppressed_by_another_flag(tmp_path: Path) -> None:
    d = detector(tmp_path)
    assert "t_quiet" in fired(d, "Kem dưỡng da")
    assert fired(d, "Kem dưỡng da Nhật") >= {"t_tones"} and "t_quiet" not in fired(d, "Kem dưỡng da Nhật")


def test_exceptions_are_searched_only_for_a_condition_with_hits(tmp_path: Path, monkeypatch) -> None:
    d = detector(tmp_path)
    rule = d.ruleset.rule("missing_origin.t_tones")
    calls: list[str] = []
    original = type(rule.exceptions).find

    def counting(self, text, fields):  # type: ignore[no-untyped-def]
        if self is rule.exceptions:
            calls.append(text.raw("title"))
        return original(self, text, fields)

    monkeypatch.setattr(type(rule.exceptions), "find", counting)
    fired(d, "Áo thun trơn")
    assert calls == []  # no "nhật" in it: its exceptions never looked for
    fired(d, "Bảng giá cập nhật")
    assert calls == ["Bảng giá cập nhật"]


def test_suppressed_by_an_unknown_rule_is_located(tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_text(textwrap.dedent(RULES).replace(
        "suppressed_by: [missing_origin.t_tones]", "suppressed_by: [banned.nothing]"), encoding="utf-8")
    errors = [str(e) for e in load_rules(tmp_path).errors]
    line = next(i for i, text in enumerate(textwrap.dedent(RULES).splitlines(), 1) if "t_quiet" in text)
    assert any(f"rules.yaml:{line}: rule 'missing_origin.t_quiet': suppressed_by names unknown rule 'banned.nothing'"
               in e for e in errors), errors
