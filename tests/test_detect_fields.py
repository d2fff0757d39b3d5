"""A field prepared for matching: the stream holds exactly the text's words, breaks where phrases stop,
and the alternative reading only where a word is spaced out, split or written with digits."""

from __future__ import annotations

import random

import pytest

from crawler.detect.fields import BREAK, WORD, FieldText


def _texts() -> list[str]:
    rng = random.Random(8)
    alphabet = "ab cđé,.;:!?()\n-_/\"\\ 1x.+🔥–•\u00a0\u200bΑ𝐕"
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(4000)]
    return [*texts, "Giá 1.250.000đ. Xuất xứ: Trung Quốc!", "S25+ 256GB", "Dr. Martens", "a , , b", " "]


def test_the_stream_holds_the_texts_words_once_each_with_single_spaces() -> None:
    """On random text of letters, digits, every kind of separator, emoji and invisible characters,
    both ways of building the stream (ASCII and the rest) give the folded text's words, in order,
    and each word's span of the original folds to that word."""
    for text in _texts():
        prepared = FieldText.of(text)
        words = [item for item in prepared.search.split() if item != BREAK]
        assert words == [m.group() for m in WORD.finditer(prepared.folded)], text
        assert prepared.search.startswith(" ") and prepared.search.endswith(" "), text
        assert "  " not in prepared.search, text
        assert len(prepared.main.spans) == len(words), text
        for (start, end), word in zip(prepared.main.spans, words, strict=True):
            assert "".join(FieldText.of(text[start:end]).words()) in (word, word.rstrip("+"), ""), text


@pytest.mark.parametrize(("text", "stream"), [
    ("Súng hơi, giá rẻ. Giao\nnhanh", " sung hoi \x01 gia re \x01 giao \x01 nhanh "),
    ("Giày Dr. Martens; TP. HCM", " giay dr martens \x01 tp hcm "),
    ("Xuất xứ: Trung Quốc, 1/144", " xuat xu trung quoc \x01 1 144 "),
    ("Samsung S25+ (256GB)", " samsung s25 + \x01 256gb \x01 "),
    ("combo bình + bóng", " combo binh bong "),
])
def test_breaks_are_where_phrases_stop(text: str, stream: str) -> None:
    assert FieldText.of(text).search == stream


@pytest.mark.parametrize(("text", "reading"), [
    ("Túi G u c c i nữ", " tui gucci nu "),
    ("Th.uốc l.á điện t.ử", " thuoc la dien tu "),
    ("v@pe pod", " vape pod "),
    ("Kính T0m F0rd", " kinh tom ford "),
    ("mũ L-V thêu", " mu lv theu "),
])
def test_the_alternative_reading_undoes_word_level_evasions(text: str, reading: str) -> None:
    vocabulary = frozenset({"gucci", "thuoc", "la", "dien", "tu", "vape", "tom", "ford", "lv", "tui"})
    alternative = FieldText.of(text).alternative(vocabulary)
    assert alternative is not None and alternative.search == reading


@pytest.mark.parametrize("text", ["Áo thun nam cotton size M L XL", "Giá 3.5 triệu, 64GB, s24 ultra, iphone 15",
                                  "Hàng mới 100%. Bảo hành 12 tháng"])
def test_ordinary_text_has_no_alternative_reading(text: str) -> None:
    assert FieldText.of(text).alternative(frozenset({"ml", "xl", "gucci"})) is None


def test_a_shared_field_is_read_anew_for_another_vocabulary() -> None:
    prepared = FieldText.of("Gu.cci")
    assert prepared.alternative(frozenset({"gucci"})).search == " gucci "
    assert prepared.alternative(frozenset({"dior"})) is None
