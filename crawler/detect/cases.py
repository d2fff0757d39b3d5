"""Running the rule files' own ``cases:``: each listing must (not) match the rule ids it names."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crawler.detect.conditions import ListingText
from crawler.detect.engine import Detector
from crawler.detect.model import CaseSpec, RuleSet

__all__ = ["CaseResult", "run_cases"]


@dataclass(slots=True)
class CaseResult:
    """The outcome of one case: where it is, what it expected, what the engine gave."""

    file: str
    index: int
    line: int
    kind: str
    title: str
    expected: dict[str, Any]
    got: dict[str, Any]
    ok: bool
    note: str | None = None
    problems: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        status = "ok" if self.ok else "FAILED"
        text = f"{self.file}:{self.line}: case {self.index} {status}: {self.title!r}"
        if not self.ok:
            text += " — " + "; ".join(self.problems)
        return text


def _run_catalog_case(detector: Detector, case: CaseSpec) -> CaseResult:
    text = ListingText(case.listing)
    product = detector.index.product_in(text)
    brands = sorted(hit.brand.name for hit in detector.index.brands_in(text))
    goods_index = detector.ruleset.catalog.goods
    goods = goods_index.goods_of(text) if goods_index is not None else None
    got: dict[str, Any] = {"product_key": product.product.key if product else None, "brands": brands,
                           "goods": goods.goods if goods is not None else None, "peer_key": detector.peer_key(text)}
    problems: list[str] = []
    for key in ("goods", "peer_key"):
        if key in case.expect and case.expect[key] != got[key]:
            problems.append(f"expected {key} {case.expect[key]!r}, got {got[key]!r}")
    if "product_key" in case.expect and case.expect["product_key"] != got["product_key"]:
        problems.append(f"expected product_key {case.expect['product_key']!r}, got {got['product_key']!r}")
    if "brand" in case.expect:
        expected = case.expect["brand"]
        if expected is None and brands:
            problems.append(f"expected no brand, got {', '.join(brands)}")
        elif expected is not None and expected not in brands:
            problems.append(f"expected brand {expected!r}, got {', '.join(brands) or 'none'}")
    return CaseResult(case.path, case.index, case.line, case.kind, case.listing.title, dict(case.expect), got,
                      not problems, case.note, problems)


def _run_rule_case(detector: Detector, case: CaseSpec) -> CaseResult:
    peers = detector.new_peer_stats()
    for peer in case.peers:
        peers.add(peer)
    peers.add(case.listing)
    flags = detector.detect(case.listing, peers)
    got_ids = sorted({flag.rule_id for flag in flags})
    problems: list[str] = []
    missing = [rid for rid in case.match if rid not in got_ids]
    unwanted = [rid for rid in case.no_match if rid in got_ids]
    if missing:
        problems.append(f"expected {', '.join(missing)} to match")
    if unwanted:
        problems.append(f"expected {', '.join(unwanted)} not to match")
    if case.no_flags_of_kind:
        same_kind = sorted({f.rule_id for f in flags if f.kind == case.kind})
        if same_kind:
            problems.append(f"expected no {case.kind} flag, got {', '.join(same_kind)}")
    if problems:
        problems.append(f"flags: {', '.join(got_ids) or 'none'}")
    expected: dict[str, Any] = {"match": list(case.match), "no_match": list(case.no_match)}
    if case.no_flags_of_kind:
        expected["no_match"].append("*")
    got = {"flags": got_ids, "messages": {flag.rule_id: flag.message for flag in flags}}
    return CaseResult(case.path, case.index, case.line, case.kind, case.listing.title, expected, got,
                      not problems, case.note, problems)


def run_cases(ruleset: RuleSet, detector: Detector | None = None) -> list[CaseResult]:
    """Run every case of every loaded file, in file order."""
    detector = detector if detector is not None else Detector(ruleset)
    results: list[CaseResult] = []
    for case in ruleset.cases:
        if case.kind == "catalog":
            results.append(_run_catalog_case(detector, case))
        else:
            results.append(_run_rule_case(detector, case))
    return results
