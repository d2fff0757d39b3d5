"""crawler.text: one character table for folding, three exact paths, offsets back to the original."""

from __future__ import annotations

import random
import unicodedata

import pytest

from crawler.text import _ONE, _SPECIAL, fold, fold_map, spelling


def _by_table(text: str) -> tuple[str, list[int]]:
    """The definition: every character through the table, one at a time."""
    chars: list[str] = []
    offsets: list[int] = []
    for index, ch in enumerate(text):
        out = _SPECIAL.get(ch, ch.translate(_ONE))
        chars.extend(out)
        offsets.extend([index] * len(out))
    return "".join(chars), offsets


@pytest.mark.parametrize(("raw", "expected"), [
    ("Súng Hơi PCP", "sung hoi pcp"),
    ("ĐỒNG HỒ Đẹp", "dong ho dep"),
    ("ＧＵＣＣＩ", "gucci"),                      # fullwidth
    ("𝐕𝐀𝐍𝐒 𝑨𝒅𝒊𝒅𝒂𝒔 𝓥𝓪𝓹𝓮 𝕲𝖚𝖈𝖈𝖎", "vans adidas vape gucci"),  # mathematical bold, italic, script, fraktur
    ("🇻🇦🇳🇸", "vans"),                          # regional indicators
    ("🅖🅤🅒🅒🅘 ⓖⓤⓒⓒⓘ", "gucci gucci"),          # negative circled, circled
    ("ᴠᴀɴꜱ", "vans"),                           # small capitals
    ("Сһаnеl Gucсi", "chanel gucci"),            # Cyrillic look-alikes
    ("Ádidas MineCráft", "adidas minecraft"),
    ("Thuo\u0301c la\u0301", "thuoc la"),         # decomposed (NFD)
    ("gu\u200bcci gu\u00adcci", "gucci gucci"),   # zero-width, soft hyphen
    ("Straße ﬁne", "strasse fine"),
])
def test_fold_makes_every_spelling_plain(raw: str, expected: str) -> None:
    assert fold(raw) == expected


def test_line_breaks_stay_line_breaks_and_other_whitespace_becomes_spaces() -> None:
    assert fold_map("a\tb\r\nc\u2028d\xa0e")[0] == "a b\n\nc\nd e"
    assert fold("  Súng  HƠI\tnén khí\n ") == "sung hoi nen khi"


def test_spelling_keeps_diacritics_and_plains_the_letters() -> None:
    assert spelling("𝐬𝐮\u0301𝐧𝐠 Сһаnеl kh\u200bông") == "súng chanel không"


def _random_text(rng: random.Random) -> str:
    pools = [
        "abcxyz ABC 0123 .,:;!?-_/", "àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ",
        "ÀÁĐƠƯỨỰ", "–—•…“”€™½ß", "ＧＵＣＣＩ𝐕𝐀𝐍𝐒🇻🇦", "\u200b\u200d\ufeff\u00ad", "\u0301\u0300\u0323",
        "🔥💥⭐️", "설화수中文", "СһаnеΑΒ", "\n\t\r\xa0",
    ]
    weights = [40, 30, 5, 5, 3, 2, 2, 3, 2, 2, 3]
    return "".join(rng.choice(rng.choices(pools, weights)[0]) for _ in range(rng.randint(0, 60)))


def test_every_path_gives_what_the_table_gives_with_offsets_to_the_original() -> None:
    rng = random.Random(11)
    for _ in range(5000):
        text = unicodedata.normalize("NFC", _random_text(rng))
        folded, offsets = fold_map(text)
        expected, expected_offsets = _by_table(text)
        assert folded == expected, repr(text)
        assert (offsets if offsets is not None else list(range(len(text)))) == expected_offsets, repr(text)
