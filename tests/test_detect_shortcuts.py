"""The detector's speed shortcuts give what the plain definitions give (issue 12's speed target).

Each shortcut skips work whose result cannot matter; these tests check that it is skipped, and that
what comes out is what doing the work gives. ``python -m bench detect_equivalence --baseline DIR``
compares every output with an older engine on every data set.
"""

from __future__ import annotations

import gc
import json
import random
from pathlib import Path

import pytest

from crawler.detect import Detector, load_rules
from crawler.detect.conditions import AllOf, AnyOf, ListingText
from crawler.detect.fields import WORD, FieldText
from crawler.detect.goods import GoodsCondition
from crawler.detect.phrases import PhraseRegistry
from crawler.items import TEXT_FIELDS, Listing
from crawler.text import _ONE, _SPECIAL, fold_map

REPO = Path(__file__).resolve().parent.parent
RULES = REPO / "rules"
DATA = REPO / "tests" / "data"


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector(load_rules(RULES).ruleset)


def _listings() -> list[Listing]:
    found = []
    for path in (DATA / "eval" / "listings.jsonl", DATA / "detect" / "listings.jsonl", DATA / "blind" / "dev.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                found.append(Listing.model_validate(json.loads(line)))
            except ValueError:
                continue  # the detect set's malformed lines on purpose
    return found


def test_goods_gated_rules_are_not_evaluated_for_other_goods(detector: Detector) -> None:
    gated = {detector._condition_rules[i].id for i in detector._goods_gate}
    assert {"missing_origin.toys_baby_products", "missing_origin.cosmetics"} <= gated
    # a phone: no toy, no cosmetic; the toy and cosmetics origin duties are not even tried
    phone = ListingText(Listing(platform="test", listing_id="1", url="https://x.invalid",
                                title="Điện thoại Samsung Galaxy A55 5G 8/128GB", price=9_000_000))
    candidates = {rule.id for rule in detector._candidate_rules(phone)}
    assert "missing_origin.toys_baby_products" not in candidates
    assert "missing_origin.cosmetics" not in candidates
    toy = ListingText(Listing(platform="test", listing_id="2", url="https://x.invalid",
                              title="Đồ chơi lắp ráp xếp hình 500 chi tiết cho bé", price=150_000))
    assert "missing_origin.toys_baby_products" in {rule.id for rule in detector._candidate_rules(toy)}


def test_candidate_rules_flag_what_every_rule_flags(detector: Detector) -> None:
    for listing in _listings():
        text = ListingText(listing)
        every = [flag for rule in detector._condition_rules if (flag := detector._condition_flag(rule, text))]
        chosen = [flag for rule in detector._candidate_rules(text) if (flag := detector._condition_flag(rule, text))]
        assert [f.model_dump(exclude={"created_at"}) for f in chosen] == \
               [f.model_dump(exclude={"created_at"}) for f in every], listing.title


def test_required_goods_of_condition_trees(detector: Detector) -> None:
    goods = detector.ruleset.catalog.goods
    toys, food = GoodsCondition(goods, frozenset({"toys"})), GoodsCondition(goods, frozenset({"food"}))
    both = GoodsCondition(goods, frozenset({"toys", "food"}))
    assert AllOf([toys, both]).required_goods() == frozenset({"toys"})
    assert AnyOf([toys, food]).required_goods() == frozenset({"toys", "food"})
    assert AnyOf([toys, AllOf([])]).required_goods() is None


def test_selected_hits_are_those_of_the_set(detector: Detector) -> None:
    registry: PhraseRegistry = detector.registry
    rng = random.Random(3)
    ids = list(range(len(registry.variants)))
    for listing in _listings()[:300]:
        text = ListingText(listing)
        for name in TEXT_FIELDS:
            for tier in (0, 1):
                hits = text.phrase_hits(registry, name, tier)
                every = hits.select(None)
                for _ in range(5):
                    wanted = frozenset(rng.sample(ids, 50) + [h.variant for h in every if rng.random() < 0.3])
                    assert hits.select(wanted) == [h for h in every if h.variant in wanted]


def _fold_map_per_character(text: str) -> tuple[str, list[int] | None]:
    """The table path's plain definition: each character through the table, one at a time."""
    folded = text.translate(_ONE)
    chars, offsets = [], []
    for index, ch in enumerate(folded):
        for c in _SPECIAL.get(ch, ch):
            chars.append(c)
            offsets.append(index)
    return "".join(chars), offsets


def test_fold_map_table_path_is_the_per_character_fold() -> None:
    rng = random.Random(9)
    alphabet = [*"aăbcdđeêoôơuưyAĐ019 .,;-_\n\t", "\u0300", "\u0301", "\u0323", "\u200b", "\u200d", "\ufe0f",
                "\u20e3", "…", "‼", "ß", "Æ", "ﬁ", "𝐕", "🅰", "😍", "\x08", "½"]
    checked = 0
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40)))
        folded, offsets = fold_map(text)
        if offsets is None:
            continue
        assert (folded, offsets) == _fold_map_per_character(text), repr(text)
        checked += 1
    assert checked > 1000


def test_main_stream_spans_are_the_words_of_the_folded_text() -> None:
    texts = ["Bán iPhone 15 Pro Max 256GB", "S25+ Ultra, mới 99%", "Áo thun — size M/L 😍 giá rẻ", "a_b c+ +d",
             "Ｇｕｃｃｉ 𝐕𝐀𝐍𝐒 Th\u0301uốc", "x" * 90 + " Nike+ 2"]
    texts += [listing.title for listing in _listings()[:200]]
    for text in texts:
        prepared = FieldText._prepare(text)
        expected = [prepared.original_span(*m.span()) for m in WORD.finditer(prepared.folded)]
        assert prepared.main.spans == expected, text


def test_detect_file_leaves_nothing_for_the_collector_to_walk(tmp_path: Path) -> None:
    from crawler.detect.batch import detect_file

    source = tmp_path / "in.jsonl"
    lines = [line for line in (DATA / "eval" / "listings.jsonl").read_text(encoding="utf-8").splitlines() if line]
    source.write_text("\n".join(lines * 3) + "\n", encoding="utf-8")
    ruleset = load_rules(RULES).ruleset
    collections: list[int] = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "stop":
            collections.append(info["generation"])

    gc.callbacks.append(count)
    try:
        summary = detect_file(source, tmp_path / "out.jsonl", RULES, ruleset=ruleset)
    finally:
        gc.callbacks.remove(count)
    assert summary.read == len(lines) * 3
    assert collections == []


def _phrase_sets(detector: Detector) -> list:
    from crawler.detect.phrases import PhraseSet

    found = {}
    for rule in detector.ruleset.all_rules():
        for value in (rule.exceptions, rule.categories):
            if isinstance(value, PhraseSet) and value:
                found[id(value)] = value
    scoring = [phrases for rule in detector._scored_rules for phrases, _ in rule.scoring.phrases]
    return [*found.values(), *scoring]


def test_second_tier_search_only_where_a_phrase_can_be(detector: Detector) -> None:
    sets = _phrase_sets(detector)
    assert any(s.tiers()[1] for s in sets)
    skipped = 0
    for listing in _listings()[:400]:
        text, plain = ListingText(listing), ListingText(listing)
        for phrases in sets:
            first, second = phrases.tiers()
            for name in ("title", "description"):
                expected = plain.phrase_hits(phrases.registry, name).select(first) if first else []
                if second:
                    expected = expected + plain.phrase_hits(phrases.registry, name, 1).select(second)
                assert phrases.finditer(text, name) == expected, (listing.title, phrases.phrases[:3])
        skipped += not text.has_phrase_hits(detector.registry, "title", 1)
    assert skipped > 100  # most titles hold no word of any context or exception phrase set
