"""Rule loading: every error located as file:line, bad rules/files skipped, the rest loads."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from crawler.detect import RuleLoadError, load_rules

GOOD = """\
kind: banned
rules:
  - id: banned.test_weapons
    kind: banned
    severity: high
    message: Vũ khí
    legal_basis: Luật 42/2024/QH15
    match: {keywords: [súng hơi]}
    exceptions: [súng bắn keo]
cases:
  - {listing: {title: "Súng hơi"}, match: [banned.test_weapons]}
"""


def write(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def messages(errors: list[RuleLoadError]) -> list[str]:
    return [str(e) for e in errors]


def test_good_file_loads_without_errors(tmp_path: Path) -> None:
    write(tmp_path, "banned.yaml", GOOD)
    loaded = load_rules(tmp_path)
    assert loaded.errors == []
    assert [r.id for r in loaded.ruleset.rules_of("banned")] == ["banned.test_weapons"]
    assert len(loaded.ruleset.cases) == 1
    assert len(loaded.ruleset.version) == 12


def test_typo_key_is_located_and_suggested_and_other_files_still_load(tmp_path: Path) -> None:
    write(tmp_path, "a_good.yaml", GOOD)
    bad = write(tmp_path, "b_bad.yaml", """\
        kind: missing_origin
        rules:
          - id: missing_origin.ok
            kind: missing_origin
            severity: low
            message: ok
            legal_basis: Nghị định 43/2017
            match: {empty: [origin]}
          - id: missing_origin.typo
            kind: missing_origin
            severty: low
            message: typo
            legal_basis: x
            match: {empty: [origin]}
        cases: []
        """)
    loaded = load_rules(tmp_path)
    texts = messages(loaded.errors)
    typo = [t for t in texts if t.startswith(f"{bad}:11: unknown key 'severty'")]
    assert typo and "did you mean 'severity'" in typo[0], texts
    ids = {r.id for r in loaded.ruleset.all_rules()}
    assert ids == {"banned.test_weapons", "missing_origin.ok"}


def test_missing_id_unknown_kind_bad_regex_and_duplicate_id(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", GOOD)
    path = write(tmp_path, "b.yaml", """\
        kind: banned
        rules:
          - kind: banned
            severity: high
            message: no id
            legal_basis: x
            match: {keywords: [a]}
          - id: banned.regex
            kind: banned
            severity: extreme
            message: bad regex
            legal_basis: x
            match:
              regex: ['(unclosed']
          - id: banned.test_weapons
            kind: banned
            severity: high
            message: duplicate
            legal_basis: x
            match: {keywords: [b]}
        cases: []
        """)
    loaded = load_rules(tmp_path)
    texts = messages(loaded.errors)
    assert f"{path}:3: rules[0]: missing 'id'" in texts
    assert any(t.startswith(f"{path}:10: rule 'banned.regex': severity must be one of") for t in texts), texts
    assert any(t.startswith(f"{path}:14: rule 'banned.regex'.match.regex: bad regex") for t in texts), texts
    assert any(t.startswith(f"{path}:15: rule id 'banned.test_weapons' already defined at") for t in texts), texts
    assert [r.id for r in loaded.ruleset.all_rules()] == ["banned.test_weapons"]


def test_yaml_syntax_error_names_the_line_and_skips_only_that_file(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", GOOD)
    path = write(tmp_path, "broken.yaml", "kind: banned\nrules:\n  - id: x\n    message: [unclosed\n")
    loaded = load_rules(tmp_path)
    assert len(loaded.errors) == 1
    error = loaded.errors[0]
    assert error.path == str(path) and error.line >= 4
    assert str(error).startswith(f"{path}:{error.line}: YAML syntax error")
    assert len(loaded.ruleset) == 1


def test_file_level_problems(tmp_path: Path) -> None:
    write(tmp_path, "nokind.yaml", "rules: []\n")
    write(tmp_path, "nocases.yaml", GOOD.replace("banned.test_weapons", "banned.other").split("cases:")[0])
    write(tmp_path, "list.yaml", "- a\n- b\n")
    texts = messages(load_rules(tmp_path).errors)
    assert any("nokind.yaml:1: kind must be one of" in t for t in texts), texts
    assert any("nocases.yaml:1: missing 'cases'" in t for t in texts), texts
    assert any("list.yaml:1: a rule file must be a mapping" in t for t in texts), texts


def test_case_errors_unknown_rule_id_and_invalid_listing(tmp_path: Path) -> None:
    path = write(tmp_path, "banned.yaml", GOOD + """\
  - {listing: {title: "x"}, match: [banned.nope]}
  - {listing: {title: "x", price: "abc"}, match: [banned.test_weapons]}
  - {listing: {title: "x"}}
""")
    loaded = load_rules(tmp_path)
    texts = messages(loaded.errors)
    assert f"{path}:12: cases[1]: unknown rule id 'banned.nope'" in texts
    assert any(t.startswith(f"{path}:13: cases[2].listing: invalid listing field price") for t in texts), texts
    assert f"{path}:14: cases[3]: needs 'match' and/or 'no_match'" in texts
    assert len(loaded.ruleset.cases) == 1


def test_catalog_errors(tmp_path: Path) -> None:
    path = write(tmp_path, "catalog/brands.yaml", """\
        kind: catalog
        brands:
          - {name: Gucci, aliases: [guci]}
          - {name: Fake, aliases: [guci], tier: cheap}
          - {name: Rolex, floors: [{min: "lots"}]}
        products:
          - {key: rolex submariner, brand: Rolexx, floor: 100tr}
        cases:
          - {listing: {title: "Túi Gucci"}, brand: Gucci}
        """)
    loaded = load_rules(tmp_path)
    texts = messages(loaded.errors)
    assert any(t.startswith(f"{path}:4: brand 'Fake': tier must be one of") for t in texts), texts
    assert any(t.startswith(f"{path}:4: brand 'Fake': alias 'guci' already belongs to brand 'Gucci'") for t in texts)
    assert any(t.startswith(f"{path}:5: brand 'Rolex'.floors[0].min:") for t in texts), texts
    assert any(t.startswith(f"{path}:7: product 'rolex submariner': unknown brand 'Rolexx'") for t in texts), texts
    assert set(loaded.ruleset.catalog.brands) == {"Gucci"}


def test_missing_directory_is_an_error_not_a_crash(tmp_path: Path) -> None:
    loaded = load_rules(tmp_path / "nope")
    assert messages(loaded.errors) == [f"{tmp_path / 'nope'}:0: rules directory not found"]
    assert len(loaded.ruleset) == 0


def test_version_changes_with_content(tmp_path: Path) -> None:
    write(tmp_path, "banned.yaml", GOOD)
    first = load_rules(tmp_path).ruleset.version
    write(tmp_path, "banned.yaml", GOOD.replace("Vũ khí", "Vũ khí nóng"))
    assert load_rules(tmp_path).ruleset.version != first


def test_rule_load_error_str() -> None:
    error = RuleLoadError("rules/banned.yaml", 12, "unknown key 'x'")
    assert str(error) == "rules/banned.yaml:12: unknown key 'x'"
    with pytest.raises(RuleLoadError):
        raise error
