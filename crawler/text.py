"""Vietnamese text folding with a map back to the original, and Vietnamese phone numbers.

Sellers who know they sell something forbidden write around keyword filters: tones dropped or
decomposed (NFD), capitals, fullwidth letters ("ＧＵＣＣＩ"), mathematical bold, italic or script
letters ("𝐕𝐀𝐍𝐒", "𝓥𝓪𝓹𝓮"), circled, squared and regional-indicator letters ("🇻🇦🇳🇸"), small
capitals ("ᴠᴀɴꜱ"), Cyrillic or Greek look-alikes inside Latin words ("Gucсi"), accents on Latin
words ("Ádidas"), zero-width characters inside words. :func:`fold_map` undoes all of them with one
character table — every character becomes its lower-case letter without diacritics (đ → d), or
nothing (zero-width and combining characters), or a space (whitespace; line breaks stay line
breaks) — and gives, for each folded character, the index of the original one, so that a match in
the folded text quotes exactly what the seller wrote. :func:`fold` is the same with whitespace
collapsed: the key that text search and seller names are compared on.

Every text goes through one of three exact paths: ASCII (``str.lower``), Latin and Vietnamese
letters only (canonical decomposition then ASCII: a plain C loop, and one folded character per
original character), or the table (``str.translate``), with a per-character pass only for the
rare characters that fold to nothing or to several characters. The first two are checked against
the table for every character they accept when this module is imported.

Word-level evasions (letters spaced or dotted apart, digits for letters, teencode) are undone by
the rule engine's matcher (``crawler.detect.fields``), which knows the rules' vocabulary.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["LOOKALIKE_LETTERS", "find_phones", "fold", "fold_map", "normalize_phone", "spelling"]

# --------------------------------------------------------------------------- the character table

_LOOKALIKES = {
    # Cyrillic upper / lower
    "А": "a", "В": "b", "Е": "e", "Ё": "e", "К": "k", "М": "m", "Н": "h", "О": "o", "Р": "p", "С": "c",
    "Т": "t", "Х": "x", "У": "y", "Ѕ": "s", "І": "i", "Ї": "i", "Ј": "j", "Ԛ": "q", "Ԝ": "w", "Һ": "h",
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c",
    "т": "t", "х": "x", "у": "y", "ѕ": "s", "і": "i", "ї": "i", "ј": "j", "һ": "h", "ԁ": "d", "ԛ": "q",
    "ԝ": "w", "ɡ": "g", "г": "r", "п": "n", "ѵ": "v", "ь": "b",
    # Greek upper / lower
    "Α": "a", "Β": "b", "Ε": "e", "Ζ": "z", "Η": "h", "Ι": "i", "Κ": "k", "Μ": "m", "Ν": "n", "Ο": "o",
    "Ρ": "p", "Τ": "t", "Υ": "y", "Χ": "x", "α": "a", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o",
    "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "γ": "y",
    # Latin letters without a decomposition
    "ı": "i", "ł": "l", "Ł": "l", "ø": "o", "Ø": "o", "ð": "d", "Ð": "d", "ƒ": "f", "ɑ": "a", "ɩ": "i",
    "ß": "ss", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe",
    # small capitals
    "ᴀ": "a", "ʙ": "b", "ᴄ": "c", "ᴅ": "d", "ᴇ": "e", "ꜰ": "f", "ɢ": "g", "ʜ": "h", "ɪ": "i", "ᴊ": "j",
    "ᴋ": "k", "ʟ": "l", "ᴍ": "m", "ɴ": "n", "ᴏ": "o", "ᴘ": "p", "ǫ": "q", "ʀ": "r", "ꜱ": "s", "ᴛ": "t",
    "ᴜ": "u", "ᴠ": "v", "ᴡ": "w", "ʏ": "y", "ᴢ": "z",
}
LOOKALIKE_LETTERS = frozenset(ch for ch in _LOOKALIKES if unicodedata.name(ch, "").startswith(("CYRILLIC", "GREEK")))
"""Cyrillic and Greek letters that look like Latin ones (folded to them)."""
# regional indicators (🇦…🇿) and negative circled / squared letters (🅐…🅩, 🅰…🆉): no decomposition
for _first in (0x1F1E6, 0x1F150, 0x1F170):
    for _i in range(26):
        _LOOKALIKES[chr(_first + _i)] = chr(ord("a") + _i)

_LINE_BREAKS = "\n\r\x0b\x0c\x85\u2028\u2029"
_RANGES = ((0x0000, 0x3000), (0xA700, 0xA800), (0xFB00, 0xFB07), (0xFE00, 0xFE10), (0xFE20, 0xFE30),
           (0xFF00, 0xFFF0), (0x1D400, 0x1D800), (0x1F100, 0x1F200), (0xE0000, 0xE0080))
"""Where characters that fold to something else live (outside them, characters stay as they are:
CJK, Thai, emoji…)."""


def _fold_char(ch: str) -> str:
    """One character folded: its lower-case letters without diacritics, " " for whitespace,
    "\\n" for a line break, "" for what carries no letter (zero-width, combining, control)."""
    if ch in _LINE_BREAKS:
        return "\n"
    if ch in "đĐ":
        return "d"
    mapped = _LOOKALIKES.get(ch)
    if mapped is not None:
        return mapped
    if ch.isspace():
        return " "
    category = unicodedata.category(ch)
    if category in ("Mn", "Me", "Cf", "Cc"):
        return ""
    decomposed = unicodedata.normalize("NFKD", ch)
    out = unicodedata.normalize("NFKC", "".join(c for c in decomposed if not unicodedata.combining(c)))
    out = out.lower().replace("đ", "d")
    return "".join(_LOOKALIKES.get(c, c) for c in out)


def _build_table() -> tuple[dict[int, str], dict[str, str]]:
    """The 1:1 translate table (characters that fold to one other character) and the characters
    that fold to none or several."""
    one: dict[int, str] = {}
    special: dict[str, str] = {}
    for low, high in _RANGES:
        for code in range(low, high):
            ch = chr(code)
            out = _fold_char(ch)
            if len(out) == 1:
                if out != ch:
                    one[code] = out
            else:
                special[ch] = out
    return one, special


def _char_class(chars: object) -> str:
    """A regex character class body for a set of characters, as ranges (a class of single
    characters thousands long makes a slow regex)."""
    codes = sorted({ord(c) for c in chars})  # type: ignore[attr-defined]
    parts: list[str] = []
    index = 0
    while index < len(codes):
        end = index
        while end + 1 < len(codes) and codes[end + 1] == codes[end] + 1:
            end += 1
        first, last = re.escape(chr(codes[index])), re.escape(chr(codes[end]))
        parts.append(first if index == end else f"{first}-{last}")
        index = end + 1
    return "".join(parts)


_ONE, _SPECIAL = _build_table()
_SPECIAL_CHARS = re.compile(f"[{_char_class(_SPECIAL)}]")
_ASCII_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f]")
_ASCII_SPACES = str.maketrans({"\t": " ", "\r": "\n"})


def _nfd_fold(text: str) -> str:
    """Fold of Latin/Vietnamese-letter text: đ → d, canonical decomposition, the combining marks
    (everything not ASCII after it) dropped, lower case; tabs and carriage returns as the table has them."""
    folded = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    folded = folded.encode("ascii", "ignore").decode("ascii").lower()
    return folded.translate(_ASCII_SPACES) if "\t" in folded or "\r" in folded else folded


def _latin_chars() -> str:
    """The characters whose canonical decomposition is one ASCII character and combining marks,
    and for which :func:`_nfd_fold` gives exactly what the table gives (checked here, one by one)."""
    accepted = ["\t", "\n", "\r", *(chr(c) for c in range(0x20, 0x7F))]
    for low, high in ((0x00C0, 0x0250), (0x1E00, 0x1F00)):
        for code in range(low, high):
            ch = chr(code)
            decomposed = unicodedata.normalize("NFD", ch)
            marks_only = all(unicodedata.combining(c) for c in decomposed[1:])
            if ch not in "đĐ" and not (decomposed[0].isascii() and marks_only):
                continue
            if _nfd_fold(ch) == ch.translate(_ONE) and ch not in _SPECIAL:
                accepted.append(ch)
    return _char_class(accepted)


_LATIN_CHARS = _latin_chars()
_LATIN = re.compile(f"[{_LATIN_CHARS}]*")
_OTHER_RUN = re.compile(f"[^{_LATIN_CHARS}]+")
"""Runs of characters :func:`_nfd_fold` does not take (dashes, bullets, emoji, other scripts…)."""


def fold_map(text: str) -> tuple[str, list[int] | None]:
    """``text`` folded (see the module's docstring), and for each folded character the index of
    the original character it came from; ``None`` when every character stayed where it was (the
    folded text is as long as the original: nearly every text)."""
    if not text:
        return "", None
    if text.isascii():
        if _ASCII_CONTROLS.search(text) is None:
            folded = text.lower()
            return (folded.translate(_ASCII_SPACES) if "\t" in folded or "\r" in folded else folded), None
    elif _LATIN.fullmatch(text) is not None:
        return _nfd_fold(text), None
    elif _SPECIAL_CHARS.search(text) is None:
        # Latin/Vietnamese runs the fast way, the few other characters (a dash, an emoji) by the table
        parts: list[str] = []
        position = 0
        for run in _OTHER_RUN.finditer(text):
            if run.start() > position:
                parts.append(_nfd_fold(text[position:run.start()]))
            parts.append(run.group().translate(_ONE))
            position = run.end()
        if position < len(text):
            parts.append(_nfd_fold(text[position:]))
        return "".join(parts), None
    folded = text.translate(_ONE)
    # the characters that fold to none or several, each replaced; the runs between them stay, their
    # offsets a range each (a C loop, where a step per character was most of the time)
    parts: list[str] = []
    offsets: list[int] = []
    special = _SPECIAL
    position = 0
    for found in _SPECIAL_CHARS.finditer(folded):
        index = found.start()
        if index > position:
            parts.append(folded[position:index])
            offsets.extend(range(position, index))
        out = special[folded[index]]
        parts.append(out)
        offsets.extend([index] * len(out))
        position = index + 1
    if position < len(folded):
        parts.append(folded[position:])
        offsets.extend(range(position, len(folded)))
    return "".join(parts), offsets


_SPELLING = str.maketrans({**{ch: out for ch, out in _LOOKALIKES.items() if len(out) == 1},
                           **{ch: "" for ch, out in _SPECIAL.items() if out == "" and not unicodedata.combining(ch)}})


def spelling(text: str) -> str:
    """``text`` as its letters spell it, diacritics kept: compatibility forms (fancy, fullwidth
    letters) and look-alike letters made plain, invisible characters dropped, lower case, NFC.
    What tones are compared on ("𝐬𝐮́𝐧𝐠" spells "súng")."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFKC", text).translate(_SPELLING).lower())


def fold(text: str) -> str:
    """Lower case, without diacritics or evasive letter forms (see :func:`fold_map`), whitespace and
    line breaks collapsed to single spaces and stripped: the key text search compares."""
    return " ".join(fold_map(text)[0].split()) if text else ""


# --------------------------------------------------------------------------- phone numbers
# A Vietnamese number as sellers write it: 0 or (+)84, then a mobile (3/5/7/8/9 + 8 digits) or a
# landline (2x + 8 digits), digits grouped by spaces, dots, dashes or a parenthesised area code.
_PHONE = re.compile(r"(?<![\d+])\(?(?:\+?84|0)[\s.\-]?(?:[35789]|2\d)(?:[\s.\-)]{0,2}\d){8}(?!\d)")


def normalize_phone(raw: str) -> str | None:
    """``"0912.345.678"`` / ``"+84 912 345 678"`` / ``"(028) 3823 4567"`` → E.164 ``"+84…"``; None if
    it is not a Vietnamese mobile (9 digits after 0/84, starting 3/5/7/8/9) or landline (10 digits, 2x)."""
    digits = re.sub(r"\D", "", raw)
    if digits.startswith("84"):
        digits = digits[2:]
    elif digits.startswith("0"):
        digits = digits[1:]
    else:
        return None
    if (len(digits) == 9 and digits[0] in "35789") or (len(digits) == 10 and digits[0] == "2"):
        return "+84" + digits
    return None


def find_phones(text: str | None) -> list[str]:
    """Every Vietnamese phone number written in ``text``, normalised to ``+84…``, in order, unique."""
    phones: list[str] = []
    for match in _PHONE.finditer(text or ""):
        phone = normalize_phone(match.group(0))
        if phone and phone not in phones:
            phones.append(phone)
    return phones
