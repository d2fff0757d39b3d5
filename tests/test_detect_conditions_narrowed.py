"""Phrase sets run a regex narrowed to the anchors a text holds: the same matches as the full regex."""

from __future__ import annotations

import gc
import json
import random
import re
from itertools import pairwise
from pathlib import Path

import pytest

from bench.detect_throughput import synthetic_listing
from crawler.detect import load_rules
from crawler.detect.conditions import Hit, ListingText, PhraseSet
from crawler.items import TEXT_FIELDS, Listing
from crawler.text import fold, normalize

REPO = Path(__file__).resolve().parent.parent
FILES = [REPO / "tests" / "data" / "eval" / "listings.jsonl", REPO / "crawler" / "demo" / "data" / "listings.jsonl"]
_WORDS = re.compile(r"[^\W_]+")


@pytest.fixture(scope="module")
def phrase_sets() -> list[PhraseSet]:
    """Every phrase set of the rule packs and catalog big enough to be narrowed."""
    ruleset = load_rules(REPO / "rules").ruleset
    sets = [o for o in gc.get_objects() if isinstance(o, PhraseSet) and o._alternatives is not None]
    assert ruleset is not None and len(sets) >= 3
    return sets


@pytest.fixture(scope="module")
def texts(phrase_sets: list[PhraseSet]) -> list[str]:
    """Real field texts, synthetic unique titles, and texts made of phrases (written with other
    separators, run together, overlapping) and random words."""
    out: list[str] = []
    for path in FILES:
        for line in path.read_text(encoding="utf-8").splitlines():
            listing = Listing.model_validate(json.loads(line))
            out += [listing.field_text(name) for name in TEXT_FIELDS]
    rng = random.Random(11)
    out += [str(synthetic_listing(i, rng, unique_title=True)["title"]) for i in range(300)]
    phrases = [p for s in phrase_sets for p in s.phrases]
    filler = ["ma", "sp0001234", "chinh", "hang", "pro", "max", "15", "1:1", "rep", "gucci", "x", "2024"]
    for _ in range(3000):
        parts = [rng.choice(phrases) if rng.random() < 0.5 else rng.choice(filler) for _ in range(rng.randint(1, 8))]
        text = ""
        for part in parts:
            text += part + rng.choice([" ", " ", "-", ".", ", ", "_", "", " / "])
        out.append(text)
    return out


def _spans(matches: object) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in matches]  # type: ignore[attr-defined]


def _anchors_in(phrases: PhraseSet, plain: str) -> frozenset[str]:
    words = _WORDS.findall(plain)
    return phrases.anchors & (set(words) | {" ".join(p) for p in pairwise(words)})


def test_narrowed_regex_finds_what_the_full_regex_finds(phrase_sets: list[PhraseSet], texts: list[str]) -> None:
    matched = 0
    for phrases in phrase_sets:
        for raw in texts:
            plain = normalize(raw).text
            present = _anchors_in(phrases, plain)
            expected = _spans(phrases.regex.finditer(plain))
            if present:
                assert _spans(phrases.narrowed(present).finditer(plain)) == expected, (plain, sorted(present))
            else:
                assert expected == []  # the pre-filter's premise: no anchor, no match
            matched += bool(expected)
    assert matched > 500


def test_finditer_plain_equals_the_full_regex_on_folded_text(phrase_sets: list[PhraseSet], texts: list[str]) -> None:
    for phrases in phrase_sets:
        for raw in texts:
            for plain in (fold(raw), normalize(raw).text):
                assert _spans(phrases.finditer_plain(plain)) == _spans(phrases.regex.finditer(plain)), plain


def test_phrase_set_hits_equal_the_full_regex_on_listings(phrase_sets: list[PhraseSet]) -> None:
    """``_compute`` (narrowed regex, then the tone check) against the full regex and the same check."""
    checked = 0
    for path in FILES:
        for line in path.read_text(encoding="utf-8").splitlines():
            listing = Listing.model_validate(json.loads(line))
            text = ListingText(listing)
            for phrases in phrase_sets:
                for name in ("title", "description"):
                    got = phrases._compute(text, name)
                    plain = text.norm(name).text
                    expected = [Hit(name, m.start(), m.end()) for m in phrases.regex.finditer(plain)]
                    if expected and phrases.signatures and text.has_marks(name):
                        expected = [hit for hit in expected if phrases._tones_ok(text, hit)]
                    assert got == expected, (name, plain)
                    checked += bool(got)
    assert checked > 50

