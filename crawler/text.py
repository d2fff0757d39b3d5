"""Vietnamese text normalisation for matching, with a map back to the original text.

Sellers who know they sell something forbidden write around keyword filters: "s.ú.n.g h.ơ.i",
"G u c c i", "L.V", "lou1s vu1tton", "ch4nel", Cyrillic letters inside Latin words ("Gucсi"),
fullwidth forms ("ＧＵＣＣＩ"), zero-width characters, teencode ("hàg", "k" for *không*).
:func:`normalize` undoes these so that one keyword ("sung hoi", "gucci") catches all spellings, and
keeps for every normalised character the index of the original character it came from, so evidence
can quote exactly what the seller wrote (:meth:`NormalizedText.original_span`).

:func:`fold` is the plain version (lower case, no diacritics, whitespace collapsed) without the
evasion undoing and without offsets.

Both run on every listing, so the work is done by ``str.translate`` tables and precompiled regexes;
the per-character Python path is only taken for rare characters (combining marks, zero-width
characters, compatibility forms that expand to several characters). Text made only of ASCII and
precomposed Latin/Vietnamese letters (nearly all listings) takes a faster exact path instead of
the table: NFD, drop what is not ASCII, lower case (:func:`_ascii_fold`; checked against the table
for every such character at import), and its words are found with ``str.split``. Long texts
(descriptions) are taken piece by piece, between ". " and newlines, and each piece's result is
cached: sellers repeat their boilerplate sentences (see :func:`_normalize_segments`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

__all__ = ["NormalizedText", "fold", "normalize"]


# --------------------------------------------------------------------------- character tables

def _fold_char(ch: str) -> str:
    """One character → lower case, compatibility-decomposed, without combining marks."""
    if ch in "đĐ":
        return "d"
    if ch.isspace():
        return " "
    cat = unicodedata.category(ch)
    if cat in ("Mn", "Me", "Cf") or (cat == "Cc" and ch not in "\t\n\r"):
        return ""
    decomposed = unicodedata.normalize("NFKD", ch)
    out = "".join(c for c in decomposed if not unicodedata.combining(c))
    out = unicodedata.normalize("NFKC", out).lower()
    return out.replace("đ", "d")


def _build_tables() -> tuple[dict[int, str], str]:
    """A 1:1 translate table for the common range and the set of characters needing the slow path."""
    table: dict[int, str] = {}
    slow: list[str] = []
    ranges = [(0x0000, 0x0250), (0x1E00, 0x1F00), (0x2000, 0x2070), (0xFF00, 0xFF5F), (0x3000, 0x3001)]
    for lo, hi in ranges:
        for code in range(lo, hi):
            ch = chr(code)
            out = _fold_char(ch)
            if len(out) == 1:
                if out != ch:
                    table[code] = out
            else:
                slow.append(ch)
    return table, "".join(slow)


_TABLE, _SLOW_CHARS = _build_tables()
# Anything outside the table's ranges that may change under folding goes through the slow path:
# combining marks, format characters (zero-width), compatibility characters, other scripts' letters.
_SLOW = re.compile(
    "[" + re.escape(_SLOW_CHARS) + "\u0250-\u1dff\u1f00-\u1fff\u2070-\ufeff\uff5f-\U0010ffff]"
)


def _ascii_fold(text: str) -> str:
    """The fast fold of text made of :data:`_ASCII_SAFE` characters only: đ → d, canonical
    decomposition, everything not ASCII (the combining marks) dropped, lower case, whitespace → " ".

    Equal, character for character, to ``text.translate(_TABLE)`` on such text (checked for every
    character when the tables are built), at a fifth of its cost on Vietnamese text.
    """
    return _ascii_text(_ascii_fold_bytes(text))


def _ascii_fold_bytes(text: str) -> bytes:
    """:func:`_ascii_fold` as ASCII bytes, whitespace not yet made spaces (see :func:`_ascii_text`)."""
    text = text.replace("đ", "d").replace("Đ", "D")
    return unicodedata.normalize("NFD", text).encode("ascii", "ignore").lower()


def _ascii_text(folded: bytes) -> str:
    """Folded ASCII bytes as text; only control characters are not printable in ASCII: tabs,
    newlines… become spaces."""
    text = folded.decode("ascii")
    return text if text.isprintable() else text.translate(_ASCII_SPACES)


_ASCII_SPACES = str.maketrans({chr(code): " " for code in range(128) if chr(code).isspace()})


def _build_ascii_safe() -> re.Pattern[str]:
    """The characters on which :func:`_ascii_fold` gives exactly what the translate table gives."""
    safe: list[str] = []
    for code in range(0x0250):
        safe.append(chr(code))
    safe.extend(chr(code) for code in range(0x1E00, 0x1F00))
    kept = []
    for ch in safe:
        expected = ch.translate(_TABLE)
        if len(expected) != 1 or not expected.isascii() or _SLOW.match(expected):
            continue
        if _ascii_fold(ch) == expected:
            kept.append(ch)
    return re.compile("[" + re.escape("".join(kept)) + "]*")


_ASCII_SAFE = _build_ascii_safe()
_ASCII_SAFE_MATCH = _ASCII_SAFE.fullmatch


# Cyrillic and Greek letters that look like Latin ones (both cases: the upper-case shapes matter).
_CONFUSABLES = {
    # Cyrillic upper
    "А": "a", "В": "b", "Е": "e", "Ё": "e", "К": "k", "М": "m", "Н": "h", "О": "o", "Р": "p",
    "С": "c", "Т": "t", "Х": "x", "У": "y", "Ѕ": "s", "І": "i", "Ї": "i", "Ј": "j", "Ԛ": "q",
    "Ԝ": "w", "Һ": "h",
    # Cyrillic lower
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
    "с": "c", "т": "t", "х": "x", "у": "y", "ѕ": "s", "і": "i", "ї": "i", "ј": "j", "һ": "h",
    "ԁ": "d", "ԛ": "q", "ԝ": "w", "ɡ": "g",
    # Greek upper
    "Α": "a", "Β": "b", "Ε": "e", "Ζ": "z", "Η": "h", "Ι": "i", "Κ": "k", "Μ": "m", "Ν": "n",
    "Ο": "o", "Ρ": "p", "Τ": "t", "Υ": "y", "Χ": "x",
    # Greek lower
    "α": "a", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u",
    "χ": "x", "γ": "y",
}
_CONFUSABLE_TABLE = str.maketrans(_CONFUSABLES)
_HAS_CONFUSABLE = re.compile("[" + "".join(_CONFUSABLES) + "]")
_WORD_WITH_CONFUSABLE = re.compile(r"[^\W_]*[" + "".join(_CONFUSABLES) + r"][^\W_]*")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]")

# --------------------------------------------------------------------------- regexes of the passes

_SPACES = re.compile(r" {2,}|^ +| +$")
_SEP = r"(?:[^\w\s]|_){1,3}|(?:[^\w\s]|_){0,2} (?:[^\w\s]|_){0,2}"
# Runs of single letters split by the same separator: "s.u.n.g", "g u c c i", "l.v", "g🔥u🔥c🔥c🔥i".
_SPACED_LETTERS = re.compile(
    rf"(?<![^\W_])[^\W\d_](?P<sep>{_SEP})[^\W\d_](?![^\W_])(?:(?P=sep)[^\W\d_](?![^\W_]))*"
)
_LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "@": "a"}
# A word of letters and digits (and "@"); judged by _unleet.
_ALNUM_WORD = re.compile(
    r"(?<![^\W_])(?=[a-z0-9@]*[a-z])(?=[a-z0-9@]*[01345@])[a-z0-9@]+(?![^\W_])(?![:.,/]\d)"
)
_TEENCODE = {
    "k": "khong",
    "ko": "khong",
    "khg": "khong",
    "hag": "hang",
    "hg": "hang",
    "dc": "duoc",
    "xtay": "xach tay",
}
_TEEN = re.compile(
    r"(?<![^\W_])(?<!\d )(?:" + "|".join(_TEENCODE) + r")(?![^\W_])"
)


# --------------------------------------------------------------------------- result type

Offsets = Sequence[int]
"""For each normalised character, the index of the original one: a list, or a ``range`` when
every character stayed where it was (most text; no list is built for it)."""

@dataclass(frozen=True, slots=True)
class NormalizedText:
    """Normalised text plus, for each of its characters, the index of the original character.

    ``original`` is the text it came from (kept so that spans can be widened over combining marks
    that the normalisation removed).
    """

    text: str
    offsets: Offsets
    original: str = field(default="", repr=False)
    tokens: list[str] | None = field(default=None, repr=False, compare=False)
    """The words (letter/digit runs) of ``text`` when normalisation already found them."""
    words: frozenset[str] | None = field(default=None, repr=False, compare=False)
    """The set of :attr:`tokens`, when normalisation built it."""
    spaced: str | None = field(default=None, repr=False, compare=False)
    """:attr:`tokens` joined by spaces, with a space before and after, when normalisation built it."""

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The ``[start, end)`` span of the original text that normalised ``[start, end)`` came from."""
        if not self.offsets or start >= end:
            pos = self.offsets[start] if start < len(self.offsets) else len(self.original)
            return pos, pos
        o_start = self.offsets[start]
        o_end = self.offsets[end - 1] + 1
        # Widen over what normalisation dropped after the last character (combining marks,
        # zero-width characters, variation selectors).
        original = self.original
        while o_end < len(original) and _fold_char(original[o_end]) == "":
            o_end += 1
        return o_start, o_end

    def original_text(self, start: int, end: int) -> str:
        """The original text behind normalised ``[start, end)``."""
        o_start, o_end = self.original_span(start, end)
        return self.original[o_start:o_end]


# --------------------------------------------------------------------------- helpers

@lru_cache(maxsize=4096)
def _slow_char(ch: str) -> str:
    return _fold_char(ch)


def _fix_confusables(text: str) -> str:
    """Map Cyrillic/Greek look-alikes to Latin inside words that also hold Latin letters
    (or consist of look-alikes only). Same length as the input: offsets stay valid."""
    if not _HAS_CONFUSABLE.search(text):
        return text

    def repl(match: re.Match[str]) -> str:
        word = match.group(0)
        mapped = word.translate(_CONFUSABLE_TABLE)
        if _LATIN.search(word) or mapped.isascii():
            return mapped
        return word

    return _WORD_WITH_CONFUSABLE.sub(repl, text)


def _char_fold(text: str) -> tuple[str, Offsets]:
    """Per-character folding (lower case, no diacritics) with offsets."""
    if _ASCII_SAFE_MATCH(text) is not None:  # its fold has no character of the slow path
        return _ascii_fold(text), range(len(text))
    translated = text.translate(_TABLE)
    if not _SLOW.search(translated):
        return translated, range(len(text))
    chars: list[str] = []
    offsets: list[int] = []
    slow_match = _SLOW.match
    for i, ch in enumerate(translated):
        out = _slow_char(ch) if slow_match(ch) else ch
        if len(out) == 1:
            chars.append(out)
            offsets.append(i)
        else:
            for c in out:
                chars.append(c)
                offsets.append(i)
    return "".join(chars), offsets


def _rewrite(
    text: str,
    offsets: Offsets,
    matches: Iterable[re.Match[str]],
    repl: Callable[[re.Match[str]], tuple[str, Offsets] | None],
) -> tuple[str, Offsets]:
    """Replace matched spans; ``repl`` gives (new text, offsets) or None to keep the match."""
    out: list[str] = []
    out_offsets: list[int] = []
    pos = 0
    changed = False
    for match in matches:
        replacement = repl(match)
        if replacement is None:
            continue
        changed = True
        start, end = match.span()
        out.append(text[pos:start])
        out_offsets.extend(offsets[pos:start])
        out.append(replacement[0])
        out_offsets.extend(replacement[1])
        pos = end
    if not changed:
        return text, offsets
    out.append(text[pos:])
    out_offsets.extend(offsets[pos:])
    return "".join(out), out_offsets


def _spread(new: str, offsets: Offsets, start: int, end: int) -> list[int]:
    """Offsets for a replacement string: character j maps to original char start+j (clamped)."""
    last = end - 1
    return [offsets[min(start + j, last)] for j in range(len(new))]


def _collapse_spaces(text: str, offsets: Offsets) -> tuple[str, Offsets]:
    if "  " not in text and not text.startswith(" ") and not text.endswith(" "):
        return text, offsets
    size = len(text)

    def repl(match: re.Match[str]) -> tuple[str, Offsets]:
        if match.start() == 0 or match.end() == size:
            return "", []
        return " ", [offsets[match.start()]]

    return _rewrite(text, offsets, _SPACES.finditer(text), repl)


def _join_letters(text: str, offsets: Offsets) -> tuple[str, Offsets]:
    def repl(match: re.Match[str]) -> tuple[str, Offsets] | None:
        start, end = match.span()
        letters = [i for i in range(start, end) if text[i].isalpha() and not text[i].isdigit()]
        # letters split by spaces alone need three of them ("g u c c i"; not "size m l")
        if match.group("sep").strip() == "" and len(letters) < 3:
            return None
        return "".join(text[i] for i in letters), [offsets[i] for i in letters]

    return _rewrite(text, offsets, _SPACED_LETTERS.finditer(text), repl)


def _unleet_word(word: str) -> str | None:
    """'gucc1' → 'gucci', 'ch4nel' → 'chanel'; None when the word is left alone."""
    letters = sum(c.isalpha() for c in word)
    if letters < 3 or letters == len(word):
        return None
    chars = list(word)
    changed = False
    n = len(word)
    for i, c in enumerate(word):
        if c not in _LEET:
            continue
        prev_digit = i > 0 and (word[i - 1].isdigit() or word[i - 1] == "@")
        next_digit = i + 1 < n and (word[i + 1].isdigit() or word[i + 1] == "@")
        if prev_digit or next_digit:
            return None  # "rtx4090", "win10": real model numbers
        interior = 0 < i < n - 1
        if interior:
            chars[i] = _LEET[c]
            changed = True
        elif i == n - 1 and c in "10" and letters >= 4:
            chars[i] = _LEET[c]  # "gucc1"; "top1", "usb3", "iphone5" stay
            changed = True
        elif i == 0 and c in "0@" and letters >= 4:
            chars[i] = _LEET[c]
            changed = True
        else:
            return None
    return "".join(chars) if changed else None


def _unleet(text: str, offsets: Offsets) -> tuple[str, Offsets]:
    def repl(match: re.Match[str]) -> tuple[str, Offsets] | None:
        word = match.group(0)
        if word.isalpha():
            return None
        new = _unleet_word(word)
        if new is None:
            return None
        return new, offsets[match.start():match.end()]

    return _rewrite(text, offsets, _ALNUM_WORD.finditer(text), repl)


def _teencode(text: str, offsets: Offsets) -> tuple[str, Offsets]:
    def repl(match: re.Match[str]) -> tuple[str, Offsets]:
        new = _TEENCODE[match.group(0)]
        return new, _spread(new, offsets, match.start(), match.end())

    return _rewrite(text, offsets, _TEEN.finditer(text), repl)


# --------------------------------------------------------------------------- public API

def fold(text: str) -> str:
    """Lower case, diacritics removed (đ → d), whitespace collapsed and stripped.

    Long texts are folded sentence by sentence (:func:`_fold_segments`), each sentence's fold
    cached: the result is the same as folding the whole text at once (:func:`_fold`).
    """
    if len(text) > _SEGMENT_MIN_LEN:
        folded = _fold_segments(text)
        if folded is not None:
            return folded
    return _fold(text)


def _fold(text: str) -> str:
    """:func:`fold` of the whole text at once."""
    if not text:
        return ""
    if _ASCII_SAFE_MATCH(text) is not None:
        folded = _ascii_fold(text)  # ASCII, its only whitespace " ": re-joined only when needed
        if "  " in folded or folded.startswith(" ") or folded.endswith(" "):
            return " ".join(folded.split())
        return folded
    folded = text.translate(_TABLE)
    if _SLOW.search(folded):
        folded = "".join(_slow_char(ch) if _SLOW.match(ch) else ch for ch in folded)
    return " ".join(folded.split())


def normalize(text: str) -> NormalizedText:
    """Fold ``text`` and undo spelling evasions; offsets map each character back to ``text``.

    Steps: look-alike letters (Cyrillic/Greek in Latin words) → Latin; lower case, diacritics and
    compatibility forms (fullwidth) folded, zero-width characters dropped; whitespace collapsed;
    single letters split by dots/spaces/symbols/emoji joined ("s.ú.n.g" → "sung", "L.V" → "lv");
    digits used as letters inside words undone ("gucc1", "ch4nel", "l0uis"), model numbers kept
    ("iphone 15", "ps5", "s24", "1:1", "850g"); a few teencode words expanded ("hàg" → "hang",
    a standalone "k"/"ko" → "khong").

    Short texts (categories, seller names, brands repeat across listings) are cached; long ones
    (descriptions) are taken sentence by sentence when they are plain (:func:`_normalize_segments`).
    """
    if not text:
        return NormalizedText("", [], text or "")
    if len(text) <= _CACHE_MAX_LEN:
        cached = _CACHE.get(text)
        if cached is not None:
            return cached
        # a short text of several sentences (a short description) is made of pieces too
        result = (_SEGMENT_SEP in text and _normalize_segments(text)) or _normalize(text)
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.clear()
        _CACHE[text] = result
        return result
    return _normalize_segments(text) or _normalize(text)


_CACHE: dict[str, NormalizedText] = {}
_CACHE_SIZE = 50_000
_CACHE_MAX_LEN = 160
_TOKENS = re.compile(r"[^\W_]+")
_TEEN_WORDS = frozenset(_TEENCODE)
_ASCII_NON_WORD = str.maketrans({chr(code): " " for code in range(128) if not chr(code).isalnum()})
_ASCII_NON_WORD_BYTES = bytes.maketrans(
    bytes(range(128)), bytes(code if chr(code).isalnum() else 32 for code in range(128))
)
_ASCII_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
"""One-letter words (looked for in the set of an ASCII text's words)."""
_ASCII_MIXED = re.compile(r" (?=[A-Za-z]*+[0-9])(?:[0-9]*+[A-Za-z]){3}")
"""A word of digits and at least three letters, in ASCII words joined by single spaces with a space
before and after (possessive: a word is only letters and digits, so nothing needs backtracking;
2.5× faster than the same test with greedy repeats)."""


def _ascii_words(spaced_out: str) -> tuple[list[str], frozenset[str], str, bool, bool, bool]:
    """The words of ASCII-folded text whose non-word characters are spaces (``spaced_out``), their
    set, the words joined by spaces (with one before and after), and whether each rare pass may
    apply: single letters (:func:`_join_letters`), letters mixed with digits (:func:`_unleet`),
    teencode words (:func:`_teencode`)."""
    tokens = spaced_out.split()
    words = frozenset(tokens)
    spaced = " " + " ".join(tokens) + " "
    single = not words.isdisjoint(_ASCII_LETTERS)
    mixed = _ASCII_MIXED.search(spaced) is not None
    return tokens, words, spaced, single, mixed, not words.isdisjoint(_TEEN_WORDS)


def _normalize(text: str) -> NormalizedText:
    ascii_bytes: bytes | None = None
    if _ASCII_SAFE_MATCH(text) is not None:  # Latin/Vietnamese letters only: no look-alikes either
        ascii_bytes = _ascii_fold_bytes(text)
        folded, offsets = _ascii_text(ascii_bytes), range(len(text))
    else:
        folded, offsets = _char_fold(_fix_confusables(text))
    folded, offsets = _collapse_spaces(folded, offsets)
    # The later passes are regex rewrites that rarely apply; the words of the text tell cheaply
    # whether each one can (single letters, letters mixed with digits, teencode words).
    tokens: list[str] | None
    if folded.isascii():
        # the same tests as below, by regexes (ASCII words are runs of [A-Za-z0-9])
        # (the bytes' translate is a plain table look-up per byte: faster than the str's)
        spaced_out = ascii_bytes.translate(_ASCII_NON_WORD_BYTES).decode("ascii") if ascii_bytes is not None else (
            folded.translate(_ASCII_NON_WORD))
        # the same words: collapsing spaces changed none
        tokens, words, spaced, single, mixed, teen = _ascii_words(spaced_out)
    else:
        tokens = _TOKENS.findall(folded)
        words = spaced = None
        single = mixed = False
        for token in tokens:
            if len(token) == 1:
                single = single or not token.isdigit()
            elif not mixed and not token.isalpha() and not token.isdigit():
                # only words with 3+ letters can be leet ("gucc1", "ch4nel"); not "50k", "2kg", "s24"
                mixed = sum(c.isalpha() for c in token) >= 3
        teen = not _TEEN_WORDS.isdisjoint(tokens)
    if single:
        before = folded
        folded, offsets = _join_letters(folded, offsets)
        if folded is not before:
            tokens = None
            mixed = True
    if mixed or "@" in folded:
        before = folded
        folded, offsets = _unleet(folded, offsets)
        if folded is not before:
            tokens = None
    if tokens is None or teen:
        before = folded
        folded, offsets = _teencode(folded, offsets)
        if folded is not before:
            tokens = None
    if tokens is None:
        return NormalizedText(folded, offsets, text)
    return NormalizedText(folded, offsets, text, tokens, words, spaced)



# --------------------------------------------------------------------------- long texts, sentence by sentence
# Descriptions are made of sentences that recur across listings: a seller's boilerplate
# ("Giao hàng toàn quốc, đổi trả trong 7 ngày.", "Liên hệ shop qua chat để được tư vấn thêm.")
# with a figure or a colour changed. On ASCII-safe text folding works character by character and
# no word spans ". " or a newline, so a whole text's fold, words and rare-pass tests are those of
# its pieces between them put together: each piece is done once and kept (in bounded caches), and
# a text whose pieces are all known costs a few look-ups and joins. Anything else (a piece that is
# not ASCII-safe, or that the rare passes or the space collapsing would touch) takes the
# whole-text path, so the results are exactly those of :func:`_fold` and :func:`_normalize`.

_SEGMENT_SEP = ". "
_SEGMENT_MIN_LEN = _CACHE_MAX_LEN
"""Texts up to this long go whole (short texts are cached whole by :func:`normalize`)."""
_SEGMENT_MAX_LEN = 300
"""Pieces longer than this are done but not kept (the caches stay small: at most
:data:`_SEGMENTS_SIZE` pieces of at most this many characters each)."""
_SEGMENTS_SIZE = 20_000
_WINDOW = 1_000
"""Pieces per verdict of :class:`_PieceCache` on whether it pays."""
_MAX_MISSES = 0.3
"""Share of pieces that may miss (or belong to texts that went whole anyway) for a cache to pay:
a missed piece costs about 2.5 times its share of the whole-text path, a known one a tenth."""
_PAUSE = 1_000
"""Texts that go straight to the whole-text path after a window in which the cache did not pay;
doubled after each such window in a row (up to :data:`_MAX_PAUSE`), so that a cold cache is
soon tried again and text that never repeats soon stops paying for it."""
_MAX_PAUSE = 64_000


class _PieceCache:
    """Results of pieces of text, bounded, and whether taking texts piece by piece pays.

    On text whose sentences are all different, every piece is a miss and costs more than the
    whole text at once: after a window of :data:`_WINDOW` pieces with more than
    :data:`_MAX_MISSES` of them missed, the next texts go whole (:data:`_PAUSE`), then it tries again.
    """

    __slots__ = ("backoff", "entries", "misses", "pause", "pieces")

    def __init__(self) -> None:
        self.entries: dict[str, object] = {}
        self.pieces = 0
        self.misses = 0
        self.pause = 0
        """Texts still to send to the whole-text path."""
        self.backoff = _PAUSE

    def put(self, piece: str, entry: object) -> None:
        """Keep a piece's result (unless the piece is long)."""
        if len(piece) <= _SEGMENT_MAX_LEN:
            if len(self.entries) >= _SEGMENTS_SIZE:
                self.entries.clear()
            self.entries[piece] = entry

    def record(self, pieces: int, misses: int) -> None:
        """Count a text's pieces and those that did not help; pause the cache when it does not pay."""
        self.pieces += pieces
        self.misses += misses
        if self.pieces >= _WINDOW:
            if self.misses > _MAX_MISSES * self.pieces:
                self.pause = self.backoff
                self.backoff = min(2 * self.backoff, _MAX_PAUSE)
            else:
                self.backoff = _PAUSE
            self.pieces = self.misses = 0


_PlainPiece = tuple[str, tuple[str, ...], frozenset[str]]
_PLAIN_PIECES = _PieceCache()
"""For each piece: its fold, words and word set when it is plain (ASCII-safe, nothing for the
rare passes to do), else None (:func:`_plain_piece`)."""
_FOLD_PIECES = _PieceCache()
"""For each piece: its :func:`_ascii_fold` when it is ASCII-safe, else None."""


def _plain_piece(piece: str) -> _PlainPiece | None:
    """The fold and words of a piece of text when :func:`_normalize` would only fold it."""
    if _ASCII_SAFE_MATCH(piece) is None:
        return None
    ascii_bytes = _ascii_fold_bytes(piece)
    folded = _ascii_text(ascii_bytes)
    if "@" in folded:
        return None
    tokens, words, _, single, mixed, teen = _ascii_words(ascii_bytes.translate(_ASCII_NON_WORD_BYTES).decode("ascii"))
    if single or mixed or teen:  # a rare pass may apply (the same tests as _normalize's)
        return None
    return folded, tuple(tokens), words


_PieceResults = tuple[list[list[Any]], int, int]
"""Each line's pieces' results, the number of pieces and of misses (:func:`_piece_results`)."""


def _piece_results(text: str, cache: _PieceCache, compute: Callable[[str], object]) -> _PieceResults | None:
    """The result of every piece of each line of ``text`` from ``cache`` (``compute`` and keep it on a
    miss), with the counts of pieces and of misses (for the caller's :meth:`_PieceCache.record`);
    None when the cache is paused or when a piece has no result (None: the whole text goes whole)."""
    if cache.pause:
        cache.pause -= 1
        return None
    get = cache.entries.get
    lines: list[list[Any]] = []
    pieces = misses = 0
    for line in text.split("\n"):
        results: list[Any] = []
        for piece in line.split(_SEGMENT_SEP):
            pieces += 1
            result = get(piece, False)
            if result is False:
                misses += 1
                result = compute(piece)
                cache.put(piece, result)
            if result is None:
                cache.record(pieces, pieces)  # the whole text is done again: none of it helped
                return None
            results.append(result)
        lines.append(results)
    return lines, pieces, misses


def _collapsed(folded: str) -> bool:
    """Whether the whole-text path would collapse or strip spaces in ``folded`` (pieces put together)."""
    return "  " in folded or folded.startswith(" ") or folded.endswith(" ")


def _normalize_segments(text: str) -> NormalizedText | None:
    """:func:`_normalize` of a plain text from its pieces' cached results; None when the text or
    one of its pieces is not plain, or when the cache does not pay (the caller then normalises
    the whole text)."""
    found = _piece_results(text, _PLAIN_PIECES, _plain_piece)
    if found is None:
        return None
    lines, pieces, misses = found
    # a newline folds to a space
    folded = " ".join([_SEGMENT_SEP.join([entry[0] for entry in line]) for line in lines])
    if _collapsed(folded):
        _PLAIN_PIECES.record(pieces, pieces)
        return None  # _normalize collapses the spaces and maps the offsets
    _PLAIN_PIECES.record(pieces, misses)
    tokens: list[str] = []
    sets: list[frozenset[str]] = []
    for line in lines:
        for entry in line:
            tokens.extend(entry[1])
            sets.append(entry[2])
    # no spaced text: ListingText.present joins the words itself when it needs them (rarely)
    return NormalizedText(folded, range(len(text)), text, tokens, frozenset().union(*sets))


def _fold_piece(piece: str) -> str | None:
    """:func:`_ascii_fold` of an ASCII-safe piece, None for another."""
    return _ascii_fold(piece) if _ASCII_SAFE_MATCH(piece) is not None else None


def _fold_segments(text: str) -> str | None:
    """:func:`_fold` of an ASCII-safe text from its pieces' cached folds; None when a piece is not
    ASCII-safe or when the cache does not pay (the caller then folds the whole text)."""
    found = _piece_results(text, _FOLD_PIECES, _fold_piece)
    if found is None:
        return None
    lines, pieces, misses = found
    _FOLD_PIECES.record(pieces, misses)
    folded = " ".join([_SEGMENT_SEP.join(line) for line in lines])  # a newline folds to a space
    return " ".join(folded.split()) if _collapsed(folded) else folded

# --- phone numbers -------------------------------------------------------------------------------
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
