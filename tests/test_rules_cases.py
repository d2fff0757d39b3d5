"""The shipped rule packs load cleanly and every file's own cases pass."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from crawler.detect import load_rules, run_cases
from crawler.items import KINDS

RULES = Path(__file__).resolve().parent.parent / "rules"


@pytest.fixture(scope="module")
def loaded():
    return load_rules(RULES)


def test_rule_packs_load_without_errors(loaded) -> None:
    assert [str(e) for e in loaded.errors] == []
    for kind in KINDS:
        assert loaded.ruleset.rules_of(kind), f"no {kind} rules"
    assert len(loaded.ruleset.catalog.brands) >= 60
    assert all(r.legal_basis for r in loaded.ruleset.rules_of("banned"))


def test_every_file_has_cases_with_positives_and_negatives(loaded) -> None:
    per_file = Counter(case.path for case in loaded.ruleset.cases)
    assert set(per_file) == set(loaded.ruleset.files)
    for path in loaded.ruleset.files:
        cases = [c for c in loaded.ruleset.cases if c.path == path]
        if cases[0].kind == "catalog":
            continue
        assert any(c.match for c in cases), f"{path}: no positive case"
        assert any(c.no_match or c.no_flags_of_kind for c in cases), f"{path}: no hard negative"


def test_every_rule_is_exercised_by_a_positive_case(loaded) -> None:
    covered = {rid for case in loaded.ruleset.cases for rid in case.match}
    missing = [r.id for r in loaded.ruleset.all_rules() if r.id not in covered]
    assert missing == []


def test_all_rule_pack_cases_pass(loaded) -> None:
    results = run_cases(loaded.ruleset)
    assert len(results) == len(loaded.ruleset.cases) > 50
    failed = [str(r) for r in results if not r.ok]
    assert failed == []
    first = results[0]
    assert first.file and first.line > 0 and first.expected and first.got is not None
