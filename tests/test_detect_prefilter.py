"""The speed-ups change nothing: the rule pre-filter and the normaliser's word shortcut."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawler.detect import Detector, load_rules
from crawler.detect.conditions import ListingText, PhraseSet
from crawler.items import TEXT_FIELDS, Listing
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


def test_anchors_found_once_per_field_are_the_anchors_among_its_words(listings: list[Listing]) -> None:
    """``present`` (one pass per field over every anchor looked for there) against the plain
    definition: the anchors among the field's words and pairs of adjacent words."""
    detector = Detector(load_rules(REPO / "rules").ruleset)
    anchor_sets = [detector._anchors, detector.index.aliases._anchors, detector.index.accessories._anchors]
    for listing in listings:
        text = ListingText(listing)
        for name in TEXT_FIELDS:
            words = text.words(name)
            for anchors in anchor_sets:
                assert text.field_anchors(anchors, name) == anchors.all & words, (name, text.raw(name))


def test_listing_text_reads_each_field_like_the_listing(listings: list[Listing]) -> None:
    for listing in listings[:50]:
        text = ListingText(listing)
        assert [text.raw(name) for name in TEXT_FIELDS] == [listing.field_text(name) for name in TEXT_FIELDS]


@pytest.mark.parametrize(("phrase", "anchor"), [
    ("pháo trung quốc", "phao trung"),  # not "trung quoc": the origin of half the listings
    ("thiết bị nghe lén", "nghe len"),
    ("súng hơi", "sung hoi"),
    ("vape", "vape"),
])
def test_pair_anchors_avoid_common_words(phrase: str, anchor: str) -> None:
    assert PhraseSet([phrase]).anchors == {anchor}
