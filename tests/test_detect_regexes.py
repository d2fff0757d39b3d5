"""Rule regexes run on RE2: a pattern RE2 refuses is a located rule error; a pathological one is fast;
the literal pre-test never hides a match."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from crawler.detect import load_rules
from crawler.detect.regexes import RegexError, RuleRegex


@pytest.mark.parametrize("pattern", [r"a(?!b)", r"(?<=x)y", r"(a)\1"])
def test_patterns_re2_refuses_are_errors_that_say_why(pattern: str) -> None:
    with pytest.raises(RegexError, match="RE2"):
        RuleRegex(pattern)


def test_rules_validate_names_the_file_and_line_of_a_refused_regex(tmp_path: Path) -> None:
    (tmp_path / "banned.yaml").write_text(
        "kind: banned\nrules:\n  - id: banned.x\n    kind: banned\n    severity: high\n    message: x\n"
        "    legal_basis: y\n    match:\n      regex: ['sung(?! nuoc)']\ncases: []\n", encoding="utf-8")
    errors = [str(e) for e in load_rules(tmp_path).errors]
    assert any(e.startswith(f"{tmp_path / 'banned.yaml'}:9:") and "RE2" in e for e in errors), errors


@pytest.mark.timeout(10)
def test_a_catastrophic_pattern_for_backtracking_engines_returns_at_once() -> None:
    """``(a+)+$`` on 26 a's and a "!" takes Python's engine minutes; RE2 is linear."""
    regex = RuleRegex(r"(a+)+$")
    assert regex.search("a" * 26 + "!") is None
    assert regex.spans("a" * 10_000 + "!") == []


def test_the_literal_pre_test_never_hides_a_match() -> None:
    patterns = [r"(?:xuat xu|nguon goc)\s*[:\-]\s*(?:khong ro|chua ro)", r"sung\s+(?:hoi|pcp)", r"\bvape\b|pod\s+\d+",
                r"[a-z]+\d"]
    rng = random.Random(4)
    words = ["xuat", "xu", "nguon", "goc", "khong", "ro", "chua", ":", "-", "sung", "hoi", "pcp", "vape", "pod", "1",
             "22", "x9", " "]
    for pattern in patterns:
        regex, python = RuleRegex(pattern), re.compile(pattern)
        for _ in range(2000):
            text = " ".join(rng.choice(words) for _ in range(rng.randint(0, 8)))
            assert regex.spans(text) == [m.span() for m in python.finditer(text) if m.end() > m.start()], text
