"""A listing field prepared for matching: its words, where phrases may not cross, and the evasions undone.

A field's text is folded (:func:`crawler.text.fold_map`: lower case, no diacritics, look-alike and
fancy letters made plain, zero-width characters dropped) and turned into a *stream*: its words
joined by single spaces, with a break marker (``\\x01``) wherever a phrase must not continue — a line
break, a sentence end (". ", "! ", "? "), a comma, a colon before a space, brackets, quotes, a
slash or a bullet — and a space before and after. A phrase ``w1 w2`` is found as `` w1 w2 `` in it:
whole words, adjacent, never across a break, and a field is one stream, so never across fields.
Other separators (spaces, hyphens, dots inside words, underscores, emoji) join words into phrases.

Word-level evasions are undone in a second stream, built only for the few fields where a cheap
test says one may be there (:meth:`FieldText.alternative`): single letters spaced or dotted apart
joined ("s.ú.n.g", "G u c c i", "p h á o 💥 h o a" → "sung", "gucci", "phao hoa"); words split by
dots, underscores, asterisks or symbols inside them joined ("Gu.cci", "Th.uốc", "v@pe"); digits
used as letters read as letters when that gives a word of the rules' vocabulary ("T0m F0rd",
"l0uis", "v4pe", "N1KE"); teencode expanded ("k" / "ko" → "không", "hàg" → "hàng", "xtay" →
"xách tay"). Every word of either stream keeps the span of the original text it came from, so a
match quotes exactly what the seller wrote.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import accumulate

from crawler.text import fold_map, spelling

__all__ = ["BREAK", "WORD", "FieldText", "Stream", "signature"]

WORD = re.compile(r"[^\W_]+|(?<=[^\W_])\+")
"""A word: a run of letters and digits (of any script), or a plus sign stuck to one: "S25+" and
"iPhone 6+" are other models than "S25" and "iPhone 6"."""
_WORD_SPLIT = re.compile(r"([^\W_]+|(?<=[^\W_])\+)")
_WORD_SPLIT_ASCII = re.compile(r"([A-Za-z0-9]+|(?<=[A-Za-z0-9])\+)")
"""The same on ASCII text (what folding gives nearly always): an ASCII class is several times faster."""
_STUCK_PLUS = re.compile(r"(?<=[^\W_])\+")
BREAK = "\x01"
"""What a phrase never crosses, in a stream."""
_ABBREVIATIONS = ("dr", "tp", "mr", "mrs", "ms", "st", "ltd", "q", "p", "tx", "ts", "ths", "pgs", "bs", "vs")
"""Abbreviations whose dot ends no sentence ("Dr. Martens", "TP. HCM", "Q. 1")."""
_SENTENCE_END_PATTERN = r"[!?;](?=\s|$)|\.(?=\s|$)" + "".join(rf"(?<!(?<![^\W_]){a}\.)" for a in _ABBREVIATIONS)
"""The dot first: the regex scans for it, then looks back (a look-behind first would run at every character)."""
_HARD = re.compile(r"\n|" + _SENTENCE_END_PATTERN + r"|[,;()\[\]{}<>|\"“”«»]")
"""Separators a phrase never crosses: line breaks, sentence ends (not the dot of an abbreviation:
"Dr. Martens", "TP. HCM"), commas, semicolons, brackets, quotes. A colon does not break ("Xuất xứ:
không rõ" is one statement), nor a slash ("1/144", "VN/A")."""
_NON_WORD = re.compile(r"(?:[^\w\x01\x02]|_)+")
_INSIDE = r"(?:[^\w\s,;:()\[\]{}<>|\\/\"“”«»!?\-'’ʼ`]|_){1,3}"
"""What may split a word in two (dots, underscores, asterisks, symbols, emoji), not apostrophes ("Biti's")."""
_INSIDE_FULL = re.compile(_INSIDE)
_CHUNK = re.compile(r"\S+")
# Where the alternative stream is worth building (most fields have none of these); each starts from
# its rarest character, so that the scan stays a C loop:
_MAY_BE_SPACED = re.compile(r" [a-z] [a-z] ")
"""Two single letters apart in the stream: maybe a word spaced out ("g u c c i", "s.u.n.g", "p h á o 💥 h o a")."""
_MAY_BE_LEET = re.compile(r"[0134578](?:(?<=[a-z].)(?=[a-z])|(?<= 0)(?=[a-z][a-z])|(?<=[a-z]{3}[01])(?= ))")
"""Digits that may stand for letters in a word of the stream ("l0uis", "0ppo", "gucc1")."""
_MAY_BE_SPLIT = re.compile(r"[a-z][^\sa-z0-9,;:()\[\]{}<>|\\/\"!?'’`\-]{1,3}[a-z0-9]"
                           r"|[0-9][^\sa-z0-9,;:()\[\]{}<>|\\/\"!?'’`\-.]{1,3}[a-z]")
"""A word split by a symbol inside it in the folded text, a letter on one side ("Gu.cci", "v@pe", not "3.5")."""
_SENTENCE_END = re.compile(_SENTENCE_END_PATTERN)
_ASCII_SEPARATORS = bytes.maketrans(
    bytes(range(128)),
    bytes(1 if chr(code) in ',;()[]{}<>|"\n\x01' else 2 if code == 2 else code if chr(code).isalnum() else 32
          for code in range(128)),
)
"""ASCII separators as bytes: a space, or a break for the hard ones (what :data:`_HARD` and
:data:`_NON_WORD` do; a bytes translate is a plain table look-up per byte)."""
"""Where digits may stand for letters ("l0uis", "0ppo", "gucc1"): the words are then read with
letters for digits, and kept so only when that gives a word of the rules' vocabulary."""
TEENCODE: dict[str, tuple[str, ...]] = {
    "khong": ("k", "ko", "khg", "khum", "hok", "hk"), "hang": ("hg", "hag"), "duoc": ("dc",),
    "xach tay": ("xtay",), "san pham": ("sp",),
}
"""Teencode: the short forms of words (folded) that phrases are also found with (see the registry)."""
_LEET_LETTERS = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "@": "a", "$": "s"}
_LEET_TABLE = str.maketrans(_LEET_LETTERS)
_LEET_TABLE_L = str.maketrans({**_LEET_LETTERS, "1": "l"})
_TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")

WordSig = tuple[str, tuple[str, ...]]
"""A word's spelling for tone comparison: its letters without tone marks, and its tone marks."""


def signature(word: str) -> WordSig:
    """The tone-placement-independent spelling of a word: "tuý" and "túy", "hoà" and "hòa" are equal
    (and "đơn" and "dơn")."""
    if word.isascii():
        return word.lower(), ()
    decomposed = unicodedata.normalize("NFD", word.lower())
    tones = tuple(sorted(c for c in decomposed if c in _TONES))
    # đ and d compare equal: a seller without the letter (fancy fonts, some keyboards) writes d
    rest = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES)).replace("đ", "d")
    return rest, tones


_SYLLABLE = re.compile(r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?[aeiouy]{1,3}(?:ng|nh|ch|[cmnpt])?")


def vietnamese_shaped(word: str) -> bool:
    """Whether a folded word has the shape of a Vietnamese syllable (onset, vowels, final): "sung",
    "thuoc", "khong" do; "katana", "vape", "pod", "iqos", "camera" do not (loanwords and brands,
    whose accents say nothing)."""
    return _SYLLABLE.fullmatch(word) is not None


def marked(sig: WordSig) -> bool:
    """Whether a word is written with a diacritic (a tone mark, or â ă ê ô ơ ư đ)."""
    return bool(sig[1]) or not sig[0].isascii()


@dataclass(slots=True)
class Stream:
    """Words of a field joined by spaces, breaks marked (see the module's docstring), and for each
    word the span of the original text it came from; ``rewritten`` marks the words that do not
    spell the original (teencode, digits read as letters): their tones say nothing."""

    search: str
    spans: list[tuple[int, int]]
    rewritten: list[bool] | None = None
    joined: list[bool] | None = None
    """Words made of several pieces of the original (spaced letters, split words)."""

    def word_index(self, position: int) -> int:
        """The index of the word that starts right after the space at ``position`` of :attr:`search`."""
        search = self.search
        return search.count(" ", 0, position + 1) - 1 - search.count(BREAK, 0, position)


def _marked_letters() -> str:
    """The precomposed Latin letters that carry a diacritic (what most Vietnamese text has), as a class."""
    letters = [chr(code) for low, high in ((0x00C0, 0x0250), (0x1E00, 0x1F00)) for code in range(low, high)
               if chr(code).isalpha() and unicodedata.normalize("NFD", chr(code)) != chr(code)]
    return "".join(letters) + "đĐ\u0300-\u036f"


_MARKED = re.compile(f"[{_marked_letters()}]")
"""A letter with a diacritic: the quick answer to "is this text written with diacritics" (the slow
one, over the spelling of every word, only for text without any such letter)."""
_ALTERNATIVES_KEPT = 4
"""Alternative streams a field keeps, one per vocabulary read with."""
_SHARED: dict[str, FieldText] = {}
_SHARED_MAX = 80
_SHARED_LIMIT = 50_000


def _stream_text(words: Iterable[str], hard_before: Iterable[bool]) -> str:
    parts: list[str] = []
    for word, hard in zip(words, hard_before, strict=True):
        if hard and parts:
            parts.append(BREAK)
        parts.append(word)
    return " " + " ".join(parts) + " "


@dataclass(slots=True)
class FieldText:
    """One field's text prepared for matching (see the module's docstring)."""

    original: str
    folded: str
    offsets: list[int] | None
    """For each character of :attr:`folded`, the index of the original one (None: the same)."""
    search: str
    """The main stream's text: the folded words, breaks marked."""
    _main: Stream | None = field(default=None, repr=False)
    _regions: list[tuple[int, int]] | None = field(default=None, repr=False)
    _alternative: list[tuple[frozenset[str], Stream | None]] | None = field(default=None, repr=False)
    """The alternative streams and the vocabulary each was read with (the rule set's phrases and the
    goods words are two vocabularies; a field's text may be shared by listings that different rule
    sets look at)."""
    _marked: bool | None = field(default=None, repr=False)
    _tokens: tuple[frozenset[str], frozenset[str]] | None = field(default=None, repr=False)
    _regex_text: tuple[str, list[int] | None] | None = field(default=None, repr=False)

    @classmethod
    def of(cls, text: str) -> FieldText:
        """Prepare a field's text (NFC text: :class:`~crawler.items.Listing` normalises its fields).

        Short texts (seller names, categories, brands, origins repeat across listings) are kept and
        shared: what is computed from them later is the same for every listing."""
        if len(text) <= _SHARED_MAX:
            shared = _SHARED.get(text)
            if shared is None:
                if len(_SHARED) >= _SHARED_LIMIT:
                    _SHARED.clear()
                shared = _SHARED[text] = cls._prepare(text)
            return shared
        return cls._prepare(text)

    @classmethod
    def _prepare(cls, text: str) -> FieldText:
        folded, offsets = fold_map(text)
        # a plus sign stuck to a word is a word of its own ("s25 +"); marked for the passes below
        text_ = _STUCK_PLUS.sub("\x02", folded) if "+" in folded else folded
        if text_.isascii():  # nearly always: a C translate and split instead of two regex passes
            ends = _SENTENCE_END.sub("\x01", text_) if "." in text_ or "!" in text_ or "?" in text_ or \
                ";" in text_ else text_
            spaced = ends.encode("ascii").translate(_ASCII_SEPARATORS).decode("ascii")
            if "\x01" in spaced or "\x02" in spaced:
                spaced = spaced.replace("\x01", " \x01 ").replace("\x02", " + ")
            inner = " ".join(spaced.split())
        else:
            inner = " ".join(_NON_WORD.sub(" ", _HARD.sub(" \x01 ", text_)).replace("\x02", " + ").split())
        return cls(text, folded, offsets, f" {inner} " if inner else " ")

    # ------------------------------------------------------------------ spans

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The span of the original text behind folded ``[start, end)`` (widened over the
        characters folding dropped after it: combining marks, zero-width characters)."""
        offsets = self.offsets
        if offsets is None:
            return start, end
        o_start = offsets[start]
        o_end = offsets[end - 1] + 1
        original = self.original
        while o_end < len(original) and _is_dropped(original[o_end]):
            o_end += 1
        return o_start, o_end

    @property
    def main(self) -> Stream:
        """The main stream: every word as folding left it."""
        if self._main is None:
            # the words' ends are the running sums of the lengths of the text's alternating pieces
            # (separator, word, separator, …): C loops, no Python step per word
            folded = self.folded
            ends = list(accumulate(map(len, (_WORD_SPLIT_ASCII if folded.isascii() else _WORD_SPLIT).split(folded))))
            spans = list(zip(ends[0:-1:2], ends[1::2], strict=False))
            if self.offsets is not None:
                spans = [self.original_span(start, end) for start, end in spans]
            self._main = Stream(self.search, spans)
        return self._main

    def regex_text(self) -> tuple[str, list[int] | None]:
        """The folded text with runs of whitespace as single spaces (what rule regexes read: "made
        in" matches "Made  in"), and for each of its characters the index in :attr:`folded`
        (None: the same)."""
        if self._regex_text is None:
            self._regex_text = self._collapse_spaces()
        return self._regex_text

    def _collapse_spaces(self) -> tuple[str, list[int] | None]:
        folded = self.folded
        if "  " not in folded and "\t" not in folded:
            return folded, None
        out: list[str] = []
        index: list[int] = []
        previous_space = False
        for position, ch in enumerate(folded):
            space = ch == " " or ch == "\t"
            if space and previous_space:
                continue
            out.append(" " if space else ch)
            index.append(position)
            previous_space = space
        return "".join(out), index

    def words(self) -> list[str]:
        """The folded words of the field, in order (what the main stream holds)."""
        return [w for w in self.search.split() if w != BREAK]

    @property
    def marked(self) -> bool:
        """Whether the original text has any diacritic (then tones decide what a phrase says)."""
        if self._marked is None:
            original = self.original
            self._marked = not original.isascii() and (
                _MARKED.search(original) is not None
                or any(marked(signature(w)) for w in WORD.findall(spelling(original))))
        return self._marked

    # ------------------------------------------------------------------ the second stream

    def alternative(self, vocabulary: frozenset[str]) -> Stream | None:
        """The stream with word-level evasions undone (see the module's docstring), None when
        there is none in this field. ``vocabulary``: the words of the rules' phrases (digits are
        only read as letters when that gives one of them).

        Only the stretches between breaks where a cheap test finds a spaced-out, split or leet
        word are rebuilt (a phrase never crosses a break, and the main stream holds the rest)."""
        cached = self._alternative
        if cached is not None:
            for known, stream in cached:
                if known is vocabulary:
                    return stream
        regions = self.regions()
        stream = self._build_alternative(vocabulary, regions) if regions else None
        if cached is None or len(cached) >= _ALTERNATIVES_KEPT:
            self._alternative = cached = []
        cached.append((vocabulary, stream))
        return stream

    def tokens(self, vocabulary: frozenset[str]) -> frozenset[str]:
        """The words of both streams (the main one, the one with evasions undone read with
        ``vocabulary``): a phrase is in the field only if its first word is among them."""
        cached = self._tokens
        if cached is not None and cached[0] is vocabulary:
            return cached[1]
        words = set(self.search.split(" "))
        alternative = self.alternative(vocabulary)
        if alternative is not None:
            words.update(alternative.search.split(" "))
        found = frozenset(words)
        self._tokens = (vocabulary, found)
        return found

    def regions(self) -> list[tuple[int, int]]:
        """The stretches between breaks (folded start, end) where a cheap test finds a word spaced
        out, split or written with digits; [] for most fields."""
        if self._regions is not None:
            return self._regions
        folded, search = self.folded, self.search
        breaks = None
        segments: set[int] = set()
        """Stretches between breaks to rebuild, by index (the k-th break of the stream is the k-th
        match of :data:`_HARD` in the folded text)."""
        for pattern in (_MAY_BE_SPACED, _MAY_BE_LEET):
            segments.update(search.count(BREAK, 0, m.start()) for m in pattern.finditer(search))
        split = [m.start() for m in _MAY_BE_SPLIT.finditer(folded)]
        if split:
            breaks = [m.start() for m in _HARD.finditer(folded)]
            segments.update(bisect_right(breaks, position) for position in split)
        if not segments:
            self._regions = []
            return self._regions
        if breaks is None:
            breaks = [m.start() for m in _HARD.finditer(folded)]
        self._regions = [(breaks[k - 1] + 1 if k else 0, breaks[k] if k < len(breaks) else len(folded))
                         for k in sorted(segments)]
        return self._regions

    def _build_alternative(self, vocabulary: frozenset[str], regions: list[tuple[int, int]]) -> Stream | None:
        folded = self.folded
        tokens: list[_Token] = []
        changed = False
        # 1. words split inside by symbols ("gu.cci", "th_uoc", "v@pe", "s.u.n.g", "tui_g_u_c_c_i"):
        #    the pieces of a chunk (what lies between whitespace) run together, then read as the
        #    rules' words they spell; pieces that spell none stay as they were
        chunks = [chunk for start, end in regions for chunk in _CHUNK.finditer(folded, start, end)]
        for chunk in chunks:
            pieces = list(WORD.finditer(folded, chunk.start(), chunk.end()))
            group: list[re.Match[str]] = []
            for piece in pieces:
                if group and not (_INSIDE_FULL.fullmatch(folded, group[-1].end(), piece.start()) or (
                        folded[group[-1].end():piece.start()] == "-" and group[-1].end() - group[-1].start() == 1
                        and piece.end() - piece.start() == 1)):
                    changed |= _add_pieces(tokens, group, folded, vocabulary)
                    group = []
                group.append(piece)
            if group:
                changed |= _add_pieces(tokens, group, folded, vocabulary,
                                       alone=len(pieces) == 1 and pieces[0].end() - pieces[0].start() == 1)
        # 2. single letters (and digits) spaced apart, split by the same separator each time
        #    ("g u c c i", "p h a o 💥 h o a", "c h 4 n e l"): run together and read the same way;
        #    two letters apart by a plain space ("l á", but also "size M L") only in a field that
        #    spaces words out elsewhere
        runs: list[tuple[int, int, bool]] = []  # (first, last, convincing on its own)
        i = 0
        while i < len(tokens):
            j, separator = i, None
            while tokens[i].alone and j + 1 < len(tokens) and tokens[j + 1].alone:
                between = folded[tokens[j].positions[-1] + 1:tokens[j + 1].positions[0]]
                if "\n" in between or len(between) > 4 or (separator is not None and between != separator):
                    break
                separator = between
                j += 1
            if j > i:
                runs.append((i, j, j - i >= 2 or separator.strip() != ""))
            i = j + 1
        spaced_field = any(alone for _, _, alone in runs)
        merged: list[_Token] = []
        position = 0
        for first, last, alone in runs:
            if not (alone or spaced_field):
                continue
            run = tokens[first:last + 1]
            spelt = _spell(_Token("".join(t.text for t in run), [q for t in run for q in t.positions], joined=True),
                           vocabulary, spaced=True)
            if spelt is not None:
                merged.extend(tokens[position:first])
                merged.extend(spelt)
                position = last + 1
                changed = True
        merged.extend(tokens[position:])
        # 3. digits used as letters in a word of its own
        out: list[_Token] = []
        for token in merged:
            text = token.text
            if not token.joined and len(text) >= 3 and not text.isalpha() and not text.isdigit():
                candidate = _unleet(text, vocabulary)
                if candidate is not None:
                    token = _Token(candidate, token.positions, rewritten=True)
                    changed = True
            out.append(token)
        if not changed:
            return None
        spans = [(t.positions[0], t.positions[-1] + 1) for t in out]
        # a break wherever the text has one between two words, and between regions
        hard = [False] + [
            (spans[k][0] != spans[k - 1][0] and _HARD.search(folded, spans[k - 1][1], spans[k][0] + 1) is not None)
            or any(spans[k - 1][1] <= end <= spans[k][0] for _, end in regions)
            for k in range(1, len(out))
        ]
        return Stream(
            _stream_text((t.text for t in out), hard),
            [self.original_span(start, end) for start, end in spans],
            [t.rewritten for t in out],
            [t.joined for t in out],
        )


@dataclass(slots=True)
class _Token:
    """A word of the alternative stream: its text, the folded position of each of its characters."""

    text: str
    positions: list[int]
    rewritten: bool = False
    joined: bool = False
    alone: bool = False
    """A single letter or digit standing alone between spaces (a candidate for spaced-out writing)."""


def _unleet(text: str, vocabulary: frozenset[str]) -> str | None:
    """``text`` with digits (and @, $) read as letters, when that spells a word of the vocabulary."""
    for table in (_LEET_TABLE, _LEET_TABLE_L):
        candidate = text.translate(table)
        if candidate != text and candidate in vocabulary:
            return candidate
    return None


_MAX_PIECE = 24
_MIN_PIECE = 3
"""Words a run-together text is split into are at least this long ("hu" + "ong" is no reading of "huong")."""


def _spell(token: _Token, vocabulary: frozenset[str], spaced: bool = False) -> list[_Token] | None:
    """A word run together from pieces, read as the vocabulary's words it spells: itself (digits
    read as letters if need be), or cut into vocabulary words of three letters or more
    ("tuiguccimarmont" → "tui gucci marmont"). Letters spaced out one by one (``spaced``) have no
    word boundaries at all: there a few letters may be left over between the words ("guccim" →
    "gucci m"). None when it spells no such word."""
    text = token.text
    for candidate in (text, _unleet(text, vocabulary)):
        if candidate is not None and candidate in vocabulary:
            return [_Token(candidate, token.positions, rewritten=candidate != text, joined=True)]
    size = len(text)
    # best[i]: (letters covered by vocabulary words, -pieces) over text[:i]; back[i]: where the last piece starts
    best: list[tuple[int, int] | None] = [(0, 0)] + [None] * size
    back: list[int] = [0] * (size + 1)
    for i in range(size):
        here = best[i]
        if here is None:
            continue
        for j in range(i + 1, min(size, i + _MAX_PIECE) + 1):
            known = j - i >= _MIN_PIECE and text[i:j] in vocabulary
            if not known and not spaced:
                continue
            score = (here[0] + (j - i if known else 0), here[1] - 1)
            if best[j] is None or score > best[j]:  # type: ignore[operator]
                best[j], back[j] = score, i
    if best[size] is None or best[size][0] == 0:
        return None
    cuts: list[int] = []
    j = size
    while j > 0:
        cuts.append(j)
        j = back[j]
    pieces: list[_Token] = []
    start = 0
    for end in reversed(cuts):
        word = text[start:end]
        if pieces and word not in vocabulary and pieces[-1].text not in vocabulary:
            last = pieces[-1]
            pieces[-1] = _Token(last.text + word, last.positions + token.positions[start:end], joined=True)
        else:
            pieces.append(_Token(word, token.positions[start:end], joined=True))
        start = end
    return pieces


def _add_pieces(tokens: list[_Token], group: list[re.Match[str]], folded: str, vocabulary: frozenset[str],
                alone: bool = False) -> bool:
    """Add a chunk's group of pieces split only by symbols inside words: run together and spelt
    (:func:`_spell`) when that gives words of the rules; else its runs of single letters split by
    the same symbol ("túi_g_u_c_c_i_marmont") spelt the same way; else each piece as it was.
    Whether anything changed."""
    if len(group) > 1:
        spelt = _spell(_joined(group, folded), vocabulary)
        if spelt is not None:
            tokens.extend(spelt)
            return True
    changed = False
    i = 0
    while i < len(group):
        j = i
        separator = None
        while j + 1 < len(group) and len(group[j].group()) == 1 and len(group[j + 1].group()) == 1:
            between = folded[group[j].end():group[j + 1].start()]
            if separator is not None and between != separator:
                break
            separator = between
            j += 1
        if j > i:
            spelt = _spell(_joined(group[i:j + 1], folded), vocabulary, spaced=True)
            if spelt is not None:
                tokens.extend(spelt)
                changed = True
                i = j + 1
                continue
        piece = group[i]
        tokens.append(_Token(piece.group(), list(range(piece.start(), piece.end())), alone=alone))
        i += 1
    return changed


def _joined(group: list[re.Match[str]], folded: str) -> _Token:
    """Pieces of a word run together ("v@pe": an @ or $ between them reads as a letter)."""
    text, positions = "", []
    for index, piece in enumerate(group):
        if index:
            between = folded[group[index - 1].end():piece.start()]
            glue = "a" if between == "@" else "s" if between == "$" else ""
            text += glue
            positions.extend([piece.start() - 1] * len(glue))
        text += piece.group()
        positions.extend(range(piece.start(), piece.end()))
    return _Token(text, positions, joined=True)


def _is_dropped(ch: str) -> bool:
    """Whether folding drops a character (combining marks, zero-width and control characters)."""
    category = unicodedata.category(ch)
    return category in ("Mn", "Me", "Cf") or (category == "Cc" and ch not in "\n\t\r")
