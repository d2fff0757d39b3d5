"""Metamorphic evasion tests: every positive case of every rule file still matches after each evasion
transform, every negative case stays negative after benign ones (prints the pass rate per transform)."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.detect import load_rules
from crawler.detect.evasions import BENIGN, EVASIONS, evasion_report

RULES = Path(__file__).resolve().parent.parent / "rules"
MIN_RATE = 0.95


@pytest.mark.figures
def test_cases_hold_up_under_every_evasion_transform() -> None:
    ruleset = load_rules(RULES).ruleset
    results = evasion_report(ruleset)
    assert {r.name for r in results if r.kind == "evasion"} == set(EVASIONS)
    assert {r.name for r in results if r.kind == "benign"} == set(BENIGN)
    print(f"\nRule-file cases under evasion transforms ({len(ruleset.cases)} cases, rules {ruleset.version})")
    print(f"{'':8s} {'transform':30s} {'passed':>7s} {'cases':>6s} {'rate':>6s}")
    for result in results:
        print(f"{result.kind:8s} {result.name:30s} {result.passed:7d} {result.applied:6d} {result.rate:6.1%}")
        for failure in result.failures[:3]:
            print(f"           {failure.title[:90]!r} — {'; '.join(failure.problems[:1])}")
    assert all(result.applied >= 5 for result in results), "a transform changed almost no case"
    below = {r.name: round(r.rate, 3) for r in results if r.rate < MIN_RATE}
    assert not below, f"below {MIN_RATE:.0%}: {below}"
