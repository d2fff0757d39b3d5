"""The speed-ups change nothing: the rule pre-filter and the normaliser's word shortcut."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawler.detect import Detector, load_rules
from crawler.detect.conditions import ListingText
from crawler.items import Listing
from crawler.text import normalize

REPO = Path(__file__).resolve().parent.parent
FILES = [REPO / "tests" / "data" / "eval" / "listings.jsonl", REPO / "crawler" / "demo" / "data" / "listings.jsonl"]


@pytest.fixture(scope="module")
def listings() -> list[Listing]:
    out = []
    for path in FILES:
        out += [Listing.model_validate(json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines()]
    return out


def test_prefiltered_rules_flag_exactly_like_all_rules(listings: list[Listing]) -> None:
    detector = Detector(load_rules(REPO / "rules").ruleset)
    skipped = 0
    for listing in listings:
        text = ListingText(listing)
        candidates = detector._candidate_rules(text)
        skipped += len(detector._condition_rules) - len(candidates)
        every = {r.id for r in detector._condition_rules if detector._condition_hits(r, ListingText(listing))}
        assert {r.id for r in candidates if detector._condition_hits(r, text)} == every, listing.title
    assert skipped > len(listings) * len(detector._condition_rules) // 2  # the filter does skip work


@pytest.mark.parametrize("text", [
    "g🔥u🔥c🔥c🔥i", "hàg chính hãg k rõ nguồn gốc", "L0uis Vu1tton", "Gu\u200bcci", "50k freeship 2kg",
    "S.ú.n.g h.ơ.i", "iPhone 15 Pro Max 256GB", "Сһаnеl", "ＧＵＣＣＩ",
])
def test_words_found_while_normalising_are_the_words_of_the_result(text: str) -> None:
    normalized = normalize(text)
    if normalized.tokens is not None:
        assert normalized.tokens == ListingText._token_pattern().findall(normalized.text)


def test_words_shortcut_on_real_texts(listings: list[Listing]) -> None:
    pattern = ListingText._token_pattern()
    checked = 0
    for listing in listings:
        for value in (listing.title, listing.description or ""):
            normalized = normalize(value)
            if normalized.tokens is not None:
                checked += 1
                assert normalized.tokens == pattern.findall(normalized.text), value
    assert checked > 100
