"""Phrase matching: whole words, never across a break or a field, tones where the text has them,
word-level evasions undone, and every hit a span of the original text."""

from __future__ import annotations

import unicodedata

import pytest

from crawler.detect.conditions import ListingText
from crawler.detect.phrases import PhraseRegistry, PhraseSet
from crawler.items import Listing


def _found(phrases: list[str], text: str) -> list[str]:
    """The original text of each hit of the phrases in ``text``."""
    nfc = unicodedata.normalize("NFC", text)
    return [nfc[hit.start:hit.end] for hit in PhraseSet(phrases).search(text)]


@pytest.mark.parametrize(("text", "quoted"), [
    ("Bán súng hơi PCP", ["súng hơi"]),
    ("BÁN SÚNG  HƠI", ["SÚNG  HƠI"]),
    ("ban sung hoi gia re", ["sung hoi"]),                   # no diacritics: letters decide
    ("súng-hơi", ["súng-hơi"]), ("súng_hơi", ["súng_hơi"]), ("súng 🔥 hơi", ["súng 🔥 hơi"]),
    ("S.ú.n.g h.ơ.i", ["S.ú.n.g h.ơ.i"]),
    ("Gu.cci súng.hơi", ["súng.hơi"]),
    ("Th.uốc s_ú_n_g h_ơ_i", ["s_ú_n_g h_ơ_i"]),
    ("s ú n g 💥 h ơ i", ["s ú n g 💥 h ơ i"]),
    ("#sunghoi giá tốt", ["sunghoi"]),                       # a phrase run together (a hashtag)
    ("SU\u0301NG HƠI", ["SÚNG HƠI"]),                        # NFD input is matched as NFC
])
def test_phrases_are_found_in_every_spelling(text: str, quoted: list[str]) -> None:
    assert _found(["súng hơi"], text) == quoted


@pytest.mark.parametrize("text", [
    "súng\nhơi", "súng. Hơi nước", "súng, hơi", "súng (hơi", "súng | hơi", "súng; hơi", "súng! hơi",
    "súngnhựa hơi", "nòng súng hơinước",
])
def test_a_phrase_never_crosses_a_break_or_a_word(text: str) -> None:
    assert _found(["súng hơi"], text) == []


@pytest.mark.parametrize(("phrase", "text", "found"), [
    ("răng hổ", "Giấy tờ rõ ràng\nHỗ trợ trả góp", False),   # the NFD bug: a line break and other tones
    ("răng hổ", "rõ ràng hỗ trợ", False),                     # tones decide where the text has them
    ("răng hổ", "vòng răng hổ thật", True),
    ("răng hổ", "vong rang ho that", True),                   # none at all: letters decide
    ("tẩy trang", "áo tay trắng", False),
    ("bồ đà", "bò da thật", False),
    ("thuốc lào", "thuốc lá", False),
    ("ma tuý", "ma túy đá", True),                            # tone placement does not matter
    ("đơn", "𝐝𝐨̛𝐧 thuốc", True),                              # fancy letters have no đ
    ("vape", "Vápe pod", True),                               # a phrase without diacritics: any tones
])
def test_tones_decide_only_where_the_text_has_them(phrase: str, text: str, found: bool) -> None:
    assert bool(_found([phrase], text)) is found


@pytest.mark.parametrize(("text", "quoted"), [
    ("Hàng k rõ nguồn gốc", ["k rõ nguồn gốc"]),
    ("hàg ko ro nguon goc", ["ko ro nguon goc"]),
    ("khum rõ nguồn gốc", ["khum rõ nguồn gốc"]),
])
def test_teencode_short_forms_are_read_as_the_words(text: str, quoted: list[str]) -> None:
    assert _found(["không rõ nguồn gốc"], text) == quoted


def test_digits_for_letters_are_read_only_into_words_the_rules_know() -> None:
    assert _found(["tom ford", "louis vuitton"], "Kính T0m F0rd, ví l0uis vu1tton") == ["T0m F0rd", "l0uis vu1tton"]
    assert _found(["tom ford"], "iPhone 15 Pro 2024 s24 rtx4090 64gb") == []


def test_a_word_spaced_out_with_a_letter_of_the_next_is_still_read() -> None:
    assert _found(["gucci"], "Túi_G_u_c_c_i_Marmont") == ["G_u_c_c_i"]
    assert _found(["gucci"], "T ú i 🔥 G 🔥 u 🔥 c 🔥 c 🔥 i 🔥 M a r m o n t") == ["G 🔥 u 🔥 c 🔥 c 🔥 i"]


def test_size_letters_and_decimals_are_not_words() -> None:
    assert _found(["ml", "xl"], "size M L XL") == ["XL"]
    assert _found(["35"], "giá 3.5 triệu") == []


def test_the_dot_of_an_abbreviation_ends_no_sentence() -> None:
    assert _found(["dr martens"], "Giày Bốt Dr. Martens cao cổ") == ["Dr. Martens"]
    assert _found(["co moi"], "áo cao cổ. Mới về") == []


def test_fields_are_never_joined() -> None:
    registry = PhraseRegistry()
    phrases = PhraseSet(["nước hoa"], registry)
    listing = Listing(platform="t", listing_id="1", url="u", title="Chai nước", description="hoa hồng")
    assert phrases.find(ListingText(listing), ("title", "description")) == []


def test_hits_quote_the_original_text_and_its_offsets() -> None:
    registry = PhraseRegistry()
    phrases = PhraseSet(["louis vuitton"], registry)
    title = "Ví  lou1s vu1tton nữ 👜"
    listing = Listing(platform="t", listing_id="1", url="u", title=title)
    text = ListingText(listing)
    (hit,) = phrases.finditer(text, "title")
    match = text.to_match(hit)
    assert (match.text, match.start, match.end) == ("lou1s vu1tton", 4, 17)
    assert title[match.start:match.end] == match.text


def test_one_registry_compiles_again_when_a_phrase_is_added() -> None:
    registry = PhraseRegistry()
    first = PhraseSet(["vape"], registry)
    listing = ListingText(Listing(platform="t", listing_id="1", url="u", title="vape pod"))
    assert [h.variant for h in first.finditer(listing, "title")]
    second = PhraseSet(["pod"], registry)
    assert second.finditer(listing, "title") and first.finditer(listing, "title")
