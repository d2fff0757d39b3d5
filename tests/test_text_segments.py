"""crawler.text: long texts taken sentence by sentence give exactly the whole-text results.

``normalize`` and ``fold`` split long texts at ". " and newlines and cache each piece's result;
``_normalize`` and ``_fold`` are the whole-text paths (what both did before the pieces). Random
texts made of recurring sentences, figures, and the characters and spellings that take the rare
passes (single letters, leet, teencode, "@", look-alikes, emoji, runs of spaces) must give equal
results, on first sight and from the caches.
"""

from __future__ import annotations

import random

import pytest

import crawler.text as text_module
from crawler.text import _fold, _normalize, fold, normalize

_SENTENCES = [
    "Sản phẩm mới {n}0%, bảo hành {k} tháng", "Giao hàng toàn quốc, đổi trả trong {k} ngày",
    "Chất liệu cao cấp, phù hợp đi làm, đi chơi", "Hàng có sẵn tại kho Hà Nội và TP", "Hồ Chí Minh",
    "Xuất xứ: Trung Quốc", "Liên hệ shop qua chat để được tư vấn thêm", "ĐỒNG HỒ NAM DÂY DA {n}",
    "Kích thước: {n}x{k}x{n}{k} cm, nặng {k}00g", "Đánh giá 5 sao để nhận voucher {n}k",
    # the rare passes: single letters, leet, teencode, "@", look-alikes, other scripts, emoji
    "Túi G u c c i rep 1:1", "s.ú.n.g h.ơ.i", "gucc1 ch4nel l0uis", "hàg k rõ nguồn gốc", "mua @ shop", "@pple ch@nel",
    "Gucсi chính hãng", "ＧＵＣＣＩ", "giá tốt 🔥🔥", "size m l xl", "iphone 15 ps5 rtx4090", "ko dc xtay",
    "zero\u200bwidth", "e\u0301 combining", "tab\tseparated",
    # separators and spaces at the edges of pieces
    "", " ", "  double  spaces ", "trailing dot.", "a", "TP", "x", "\t",
]


def _random_text(rng: random.Random, size: int) -> str:
    parts = []
    for _ in range(size):
        template = rng.choice(_SENTENCES)
        parts.append(template.format(n=rng.randint(1, 9), k=rng.randint(2, 12)))
    out = parts[0]
    for part in parts[1:]:
        out += rng.choice([". ", ". ", ". ", "\n", ".\n", ". \n", "\n\n", ".  ", ", "]) + part
    return out


def _assert_same(text: str) -> None:
    expected = _normalize(text) if text else normalize(text)
    got = normalize(text)
    assert got.text == expected.text, text
    assert list(got.offsets) == list(expected.offsets), text
    assert got.original == text
    if got.tokens is not None and expected.tokens is not None:
        assert got.tokens == expected.tokens, text
    if got.words is not None and expected.words is not None:
        assert got.words == expected.words, text
    assert fold(text) == _fold(text), text


@pytest.fixture()
def fresh_caches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Empty piece caches (and the short-text cache), so each test sees misses and then hits."""
    monkeypatch.setattr(text_module, "_PLAIN_PIECES", text_module._PieceCache())
    monkeypatch.setattr(text_module, "_FOLD_PIECES", text_module._PieceCache())
    monkeypatch.setattr(text_module, "_CACHE", {})


@pytest.mark.usefixtures("fresh_caches")
def test_random_texts_of_recurring_sentences_equal_the_whole_text_path() -> None:
    rng = random.Random(5)
    texts = [_random_text(rng, rng.randint(1, 12)) for _ in range(3000)]
    for text in texts + texts:  # the second round comes from the caches
        _assert_same(text)
    # the pieces were really used: plain pieces were cached
    assert any(entry is not None for entry in text_module._PLAIN_PIECES.entries.values())
    assert text_module._FOLD_PIECES.entries


@pytest.mark.usefixtures("fresh_caches")
def test_plain_descriptions_come_from_the_pieces() -> None:
    rng = random.Random(9)
    plain = _SENTENCES[:10]
    texts = [". ".join(rng.choice(plain).format(n=rng.randint(1, 9), k=rng.randint(2, 12))
                       for _ in range(rng.randint(4, 8))) + "." for _ in range(500)]
    for text in texts:
        _assert_same(text)
    # a plain text's result was built from its pieces: no spaced text (the whole path builds one)
    assert sum(normalize(text).spaced is None for text in texts if len(text) > 160) > 0


@pytest.mark.usefixtures("fresh_caches")
def test_texts_that_never_repeat_pause_the_cache_and_stay_equal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(text_module, "_SEGMENTS_SIZE", 300)
    rng = random.Random(11)
    texts = [". ".join(f"câu số {rng.randint(0, 10**9)} giá {rng.randint(1, 99)}k" for _ in range(6))
             for _ in range(800)]
    paused = False
    for text in texts:
        _assert_same(text)
        paused = paused or text_module._PLAIN_PIECES.pause > 0
        assert len(text_module._PLAIN_PIECES.entries) <= 300  # bounded
        assert len(text_module._FOLD_PIECES.entries) <= 300
    assert paused, "pieces that never repeat should pause the piece cache"


@pytest.mark.usefixtures("fresh_caches")
def test_random_characters_equal_the_whole_text_path() -> None:
    rng = random.Random(3)
    alphabet = ("abcdeghiklmnopqrstuvxyđĐáàảãạăắằẳẵặâấầẩẫậéèẻẽẹêếềểễệíìỉĩịóòỏõọôốồổỗộơớờởỡợúùủũụưứừửữựýỳỷỹỵ"
                "ABCDEGHIKLMNOPQRSTUVXY0123456789 .,:;!?-_/@\n\t\u200b\u0301асеоＧ🔥")
    for _ in range(3000):
        pieces = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(rng.randint(1, 8))]
        text = ". ".join(pieces)
        _assert_same(text)
        _assert_same(text)
