"""Pre-filter gates: the literals a regex requires, and gates that only shut when nothing can match."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from crawler.detect import Detector, load_rules
from crawler.detect.conditions import ListingText, RegexCondition
from crawler.detect.gates import AllGate, AnchorGate, AnyGate, LiteralGate, required_literals
from crawler.items import Listing

REPO = Path(__file__).resolve().parent.parent
FILES = [REPO / "tests" / "data" / "eval" / "listings.jsonl", REPO / "crawler" / "demo" / "data" / "listings.jsonl"]


@pytest.mark.parametrize(("pattern", "expected"), [
    (r"(?:xuat xu|nguon goc)\s*[:\-]\s*(?:khong ro|chua ro)", [{"xuat xu", "nguon goc"}, {"khong ro", "chua ro"}]),
    (r"a+bcd", [{"bcd"}]),
    (r"(?:abc)?def", [{"def"}]),  # an optional group requires nothing
    (r"(?i)ABC", [{"abc"}]),  # lower case, like normalised text
    (r"(?:ab|xyz)", []),  # "ab" is too short to be worth a clause, so the branch gives none
    (r"x{2,}yz", []),
    (r".*", []),
    (r"(?:gucci)+ rep", [{"gucci"}, {" rep"}]),
])
def test_required_literals(pattern: str, expected: list[set[str]]) -> None:
    assert sorted(map(sorted, required_literals(re.compile(pattern)))) == sorted(map(sorted, expected))


def test_alternation_of_sequences_is_distributed() -> None:
    clauses = required_literals(re.compile(r"(?:abc\d+def|ghi)"))
    # (abc ∧ def) ∨ ghi  =  (abc ∨ ghi) ∧ (def ∨ ghi)
    assert sorted(map(sorted, clauses)) == [["abc", "ghi"], ["def", "ghi"]]


def _texts() -> list[ListingText]:
    listings = []
    for path in FILES:
        for line in path.read_text(encoding="utf-8").splitlines():
            listings.append(ListingText(Listing.model_validate(json.loads(line))))
    return listings


def _regex_conditions(condition: object) -> list[RegexCondition]:
    if isinstance(condition, RegexCondition):
        return [condition]
    found: list[RegexCondition] = []
    for child in [*getattr(condition, "children", []), getattr(condition, "child", None)]:
        if child is not None:
            found += _regex_conditions(child)
    return found


def test_every_rule_regex_gate_is_open_wherever_the_regex_matches() -> None:
    """Soundness on real texts: a regex match in a field means its literal gate is open."""
    ruleset = load_rules(REPO / "rules").ruleset
    rules = [rule for kind_rules in ruleset.rules.values() for rule in kind_rules]
    conditions = [c for rule in rules if rule.match is not None for c in _regex_conditions(rule.match)]
    assert conditions, "the rule packs hold regex conditions"
    texts = _texts()
    checked = 0
    for condition in conditions:
        gate = condition.gate()
        assert gate is not None, [p.pattern for p in condition.patterns]
        for text in texts:
            for name in ("title", "description"):
                normalized = text.norm(name).text
                if any(p.search(normalized) for p in condition.patterns):
                    checked += 1
                    assert gate.open(text, frozenset(), (name,)), (name, normalized)
    assert checked > 10


def test_the_admitted_unknown_origin_rule_is_skipped_on_ordinary_listings() -> None:
    """Its regex gave it no anchor words, so it ran on every listing; its gate now shuts."""
    detector = Detector(load_rules(REPO / "rules").ruleset)
    ordinary = Listing(platform="t", listing_id="1", url="u", title="Áo thun nam cotton",
                       description="Xuất xứ: Việt Nam. Giao hàng toàn quốc.")
    admitted = ordinary.model_copy(update={"description": "Xuất xứ: không rõ. Giao hàng toàn quốc."})
    ids = {r.id for r in detector._candidate_rules(ListingText(ordinary))}
    assert "missing_origin.unknown_origin_admitted" not in ids
    flags = detector.detect(admitted)
    assert "missing_origin.unknown_origin_admitted" in {f.rule_id for f in flags}


def test_any_and_all_gates() -> None:
    text = ListingText(Listing(platform="t", listing_id="1", url="u", title="hàng xách tay", description="abc"))
    fields = ("title", "description")
    shut, opened = LiteralGate([frozenset({"zzz"})], None), LiteralGate([frozenset({"xach tay"})], None)
    anchored = AnchorGate(frozenset({"xach tay"}))
    assert opened.open(text, frozenset(), fields) and not shut.open(text, frozenset(), fields)
    assert AnyGate([shut, opened]).open(text, frozenset(), fields)
    assert not AllGate([shut, opened]).open(text, frozenset(), fields)
    assert anchored.open(text, {"xach tay"}, fields) and not anchored.open(text, set(), fields)
    assert AnyGate([shut, anchored]).anchor_words() == {"xach tay"}
    # a literal in a field the gate does not read does not open it
    assert not LiteralGate([frozenset({"abc"})], ("title",)).open(text, frozenset(), fields)
