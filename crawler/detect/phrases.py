"""Phrase matching: every phrase of every rule in one Aho-Corasick automaton, tones checked per match.

A :class:`PhraseRegistry` holds the phrases of one rule set (keywords, exceptions, categories,
brand aliases, price-floor scopes, official sellers…). Each phrase is folded like listing text and
kept as `` w1 w2 `` — its words between spaces — plus, for a phrase of several words, its words run
together (`` w1w2 ``: hashtags, "thuoclaodientu"). One automaton (pyahocorasick) over all of
them finds, in one pass over a field's stream (:class:`crawler.detect.fields.Stream`), every phrase
of every rule: whole words, adjacent, never across a break. A :class:`PhraseSet` is the phrases of
one list in the rules; its hits in a field are the registry's hits of its phrases.

Tones: folding makes "răng hổ" read like "ràng Hỗ" and "tay trắng" like "tẩy trắng". A phrase
written with diacritics matches text written *with* diacritics only when every word agrees in its
letters and tones ("tuý" and "túy" agree); text written without any diacritic matches by letters
(sellers drop tones, and that is the evasion to undo). A phrase written without diacritics (brand
names, "vape") matches whatever the tones. Words the matcher rewrote (teencode, digits read as
letters) say nothing about tones.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import ahocorasick

from crawler.detect.fields import (
    BREAK,
    TEENCODE,
    WORD,
    FieldText,
    Stream,
    WordSig,
    marked,
    signature,
    vietnamese_shaped,
)
from crawler.text import spelling

if TYPE_CHECKING:
    from crawler.detect.conditions import ListingText

__all__ = ["FieldHits", "Hit", "PhraseRegistry", "PhraseSet", "Variant", "canonical"]

COMPOUND_MIN = 6
"""A phrase of several words is also found run together when that makes at least this many letters."""
_SHARED_LIMIT = 50_000
SHORT_TEXT = 160
"""Field texts up to this long have their hits cached per text (titles, categories, sellers repeat)."""


def canonical(phrase: str) -> str:
    """A phrase folded like listing text, its words joined by single spaces: how phrases compare."""
    return " ".join(FieldText.of(unicodedata.normalize("NFC", phrase)).words())


class Hit(NamedTuple):
    """A match in one field, as a span of the field's original text.

    ``variant``: the registry's phrase that matched (-1 for a regex); ``word``: the index of the
    first matched word in its stream; ``alternative``: found in the stream with evasions undone.
    (A named tuple: listings make many of them, and a tuple is the cheapest object to build.)
    """

    field: str
    start: int
    end: int
    variant: int = -1
    word: int = -1
    alternative: bool = False

    def overlaps(self, other: Hit) -> bool:
        """True when both hits are in the same field and their spans intersect."""
        return self.field == other.field and self.start < other.end and other.start < self.end


@dataclass(frozen=True, slots=True)
class Variant:
    """One phrase as a rule wrote it: its folded words and, when it has diacritics, their tones."""

    id: int
    written: str
    canonical: str
    words: tuple[str, ...]
    signatures: tuple[WordSig | None, ...] | None
    """Each word's tone signature (None: any tones, for a word that is no Vietnamese syllable); None
    for all when the phrase has no diacritic (it matches any tones)."""


@dataclass(slots=True)
class _Entry:
    """What a key of the automaton stands for: a phrase, how many stream words it covers, and
    the tone signature each of those words must have (None: any; None for all: the phrase has
    no diacritic)."""

    variant: int
    words: int
    expected: tuple[WordSig | None, ...] | None
    compound: bool = False
    """The phrase's words run together into one (a hashtag: always written without diacritics)."""


_MAX_TEENCODE_FORMS = 16
_TEENCODE_WORDS = frozenset(word for key in TEENCODE for word in key.split())
"""Every word of a teencode key: a phrase without any has no short form (most phrases)."""


def _teencode_forms(words: tuple[str, ...]) -> list[tuple[list[str], list[int | None]]]:
    """Each spelling of a phrase's words with teencode short forms ("không rõ nguồn gốc" → "k ro
    nguon goc", "ko ro nguon goc"…), as the words and, for each, the index of the phrase word it
    stands for (None for a short form: its tones say nothing). The phrase itself is not among them."""
    if _TEENCODE_WORDS.isdisjoint(words):
        return []
    forms: list[tuple[list[str], list[int | None]]] = [([], [])]
    i = 0
    while i < len(words):
        pair = " ".join(words[i:i + 2])
        if i + 1 < len(words) and pair in TEENCODE:
            options = [([words[i], words[i + 1]], [i, i + 1])] + [([short], [None]) for short in TEENCODE[pair]]
            i += 2
        else:
            options = [([words[i]], [i])] + [([short], [None]) for short in TEENCODE.get(words[i], ())]
            i += 1
        forms = [(w + ow, m + om) for w, m in forms for ow, om in options][:_MAX_TEENCODE_FORMS + 1]
    return forms[1:]


class PhraseRegistry:
    """The phrases of one rule set and their automaton (compiled on first use, again after a change)."""

    def __init__(self) -> None:
        self.variants: list[Variant] = []
        self._by_written: dict[str, Variant] = {}
        self._automaton: ahocorasick.Automaton | None = None
        self.vocabulary: frozenset[str] = frozenset()
        """Every word of every phrase, and every phrase run together (what the alternative stream
        reads digits as letters into)."""
        self.version = 0
        self._shared: dict[tuple[str, str, int], FieldHits] = {}
        self.anchors: frozenset[int] | None = None
        """The phrases a listing is first searched for (tier 0: those that can make a rule apply);
        the others (tier 1: context words, exceptions, scopes) only when a rule asks for one.
        None: every phrase in tier 0."""
        self._automata: tuple[ahocorasick.Automaton, ahocorasick.Automaton] | None = None
        self.key_words: dict[int, list[tuple[str, frozenset[str]]]] = {}
        """Each phrase in every form the automata hold it (its words, run together, teencode): the
        form's first word and all its words. A field that lacks one of a form's words holds no hit of it."""

    def set_anchors(self, ids: frozenset[int]) -> None:
        """Search these phrases first, the others on demand (see :attr:`anchors`)."""
        if ids != self.anchors:
            self.anchors = ids
            self._automata = None

    def tier(self, variant: int) -> int:
        """0 for a phrase searched in every field, 1 for one searched on demand."""
        return 0 if self.anchors is None or variant in self.anchors else 1

    def add(self, phrase: str) -> Variant | None:
        """The variant of a phrase (registered on first sight); None when it has no words."""
        written = " ".join(unicodedata.normalize("NFC", phrase).lower().split())
        known = self._by_written.get(written)
        if known is not None:
            return known
        words = tuple(FieldText.of(written).words())
        if not words:
            return None
        spelt = WORD.findall(written)
        signatures = None
        if not written.isascii() and len(spelt) == len(words):
            # a word that is no Vietnamese syllable (a loanword, a brand: "kiếm katana") matches any accents
            signatures = tuple(signature(word) if vietnamese_shaped(folded) else None
                               for word, folded in zip(spelt, words, strict=True))
            if not any(sig is not None and marked(sig) for sig in signatures):
                signatures = None
        variant = Variant(len(self.variants), written, " ".join(words), words, signatures)
        self.variants.append(variant)
        self._by_written[written] = variant
        self._automata = None
        return variant

    # ------------------------------------------------------------------ compile

    def _compile(self) -> tuple[ahocorasick.Automaton, ahocorasick.Automaton]:
        keys: dict[str, list[_Entry]] = {}
        vocabulary: set[str] = set()
        for variant in self.variants:
            signatures = variant.signatures
            keys.setdefault(f" {variant.canonical} ", []).append(_Entry(variant.id, len(variant.words), signatures))
            vocabulary.update(variant.words)
            if len(variant.words) > 1:
                joined = "".join(variant.words)
                if len(joined) >= COMPOUND_MIN:
                    whole = None if signatures is None or None in signatures else (
                        signature("".join(WORD.findall(variant.written))),)
                    keys.setdefault(f" {joined} ", []).append(_Entry(variant.id, 1, whole, compound=True))
                    vocabulary.add(joined)
            for words, stands_for in _teencode_forms(variant.words):
                expected = None if signatures is None else tuple(
                    None if index is None else signatures[index] for index in stands_for)
                keys.setdefault(f" {' '.join(words)} ", []).append(_Entry(variant.id, len(words), expected))
        automata = (ahocorasick.Automaton(), ahocorasick.Automaton())
        key_words: dict[int, list[tuple[str, frozenset[str]]]] = {}
        for key, entries in keys.items():
            by_tier: tuple[list[_Entry], list[_Entry]] = ([], [])
            words = key[1:-1].split(" ")
            form = (words[0], frozenset(words))
            for entry in entries:
                by_tier[self.tier(entry.variant)].append(entry)
                key_words.setdefault(entry.variant, []).append(form)
            for automaton, tier_entries in zip(automata, by_tier, strict=True):
                if tier_entries:
                    automaton.add_word(key, (len(key), tuple(tier_entries)))
        for automaton in automata:
            if len(automaton):
                automaton.make_automaton()
        self.vocabulary = frozenset(vocabulary)
        self.key_words = key_words
        self._automata = automata
        self.version += 1
        self._shared.clear()
        return automata

    @property
    def automata(self) -> tuple[ahocorasick.Automaton, ahocorasick.Automaton]:
        """The compiled automata of both tiers (compiled now if a phrase was added since)."""
        return self._automata if self._automata is not None else self._compile()

    @property
    def stale(self) -> bool:
        """Whether a phrase was added since the automata were compiled."""
        return self._automata is None

    def ready(self) -> int:
        """Compile the automata if a phrase was added since; the version of the compiled ones
        (results computed with another version are stale)."""
        if self._automata is None:
            self._compile()
        return self.version

    # ------------------------------------------------------------------ matching

    def hits(self, text: FieldText, name: str, tier: int = 0) -> FieldHits:
        """Every hit of one tier's phrases in one field (both streams; one hit per phrase and span),
        tones checked when a phrase set asks for the hit (:meth:`FieldHits.select`).

        Depends on the field's text only: cached per text for short fields.
        """
        automaton = self.automata[tier]
        if len(text.original) <= SHORT_TEXT:
            key = (name, text.original, tier)
            cached = self._shared.get(key)
            if cached is None:
                cached = self._hits(automaton, text, name)
                if len(self._shared) >= _SHARED_LIMIT:
                    self._shared.clear()
                self._shared[key] = cached
            return cached
        return self._hits(automaton, text, name)

    def _hits(self, automaton: ahocorasick.Automaton, text: FieldText, name: str) -> FieldHits:
        found = FieldHits(text, self.version)
        if not len(automaton):
            return found
        if text.search != " ":
            self._search(automaton, text, None, name, False, found)
        alternative = text.alternative(self.vocabulary)
        if alternative is not None:
            self._search(automaton, text, alternative, name, True, found)
        return found

    def search_stream(self, text: FieldText, stream: Stream, name: str) -> list[Hit]:
        """The hits of one stream (e.g. the catalog's stream with misspellings corrected), tones checked."""
        found = FieldHits(text)
        for automaton in self.automata:
            if len(automaton):
                self._search(automaton, text, stream, name, True, found)
        return found.select(None)

    def _search(self, automaton: ahocorasick.Automaton, text: FieldText, stream: Stream | None, name: str,
                alternative: bool, found: FieldHits) -> None:
        """Add one stream's hits to ``found``; ``stream`` None: the field's main stream, whose word
        spans are only worked out once a phrase is found in it (most fields hold none of a tier)."""
        search = stream.search if stream is not None else text.search
        spans: list[tuple[int, int]] | None = None
        marked = None
        certain, pending, seen = found.certain, found.pending, found.seen
        add_seen, add_variant = seen.add, found.variants.add
        # word indices counted incrementally: matches come in the order of their ends
        position = spaces = breaks = 0
        for end, (length, entries) in automaton.iter(search):
            if spans is None:
                if stream is None:
                    stream = text.main
                spans = stream.spans
            start = end - length + 1
            if start >= position:
                spaces += search.count(" ", position, start + 1)
                breaks += search.count(BREAK, position, start)
                position = start + 1
                first = spaces - 1 - breaks
            else:
                first = stream.word_index(start)
            for entry in entries:
                variant = entry.variant
                key = (variant, spans[first][0], spans[first + entry.words - 1][1])
                if key in seen:
                    continue
                add_seen(key)
                hit = Hit(name, key[1], key[2], variant, first, alternative)
                if entry.expected is not None:
                    if marked is None:
                        marked = text.marked
                    if marked:
                        pending.append((hit, entry, stream))
                        found.pending_variants.add(variant)
                        continue
                certain.append(hit)
                add_variant(variant)


class FieldHits:
    """The phrase hits of one field: those that hold whatever the tones, and those whose tones are
    checked on first request (most are never asked for: common context words such as "bán", "có")."""

    __slots__ = ("_checked", "certain", "pending", "pending_variants", "seen", "text", "variants", "version")

    def __init__(self, text: FieldText, version: int = 0) -> None:
        self.text = text
        self.version = version
        """The registry's version these hits were found with."""
        self.certain: list[Hit] = []
        self.pending: list[tuple[Hit, _Entry, Stream]] = []
        self.pending_variants: set[int] = set()
        """The phrases of the pending hits."""
        self.seen: set[tuple[int, int, int]] = set()
        self.variants: set[int] = set()
        """The phrases of the certain hits."""
        self._checked: dict[int, bool] = {}

    def possible(self) -> set[int]:
        """Every phrase hit or maybe hit (tones not yet checked): what the pre-filter reads."""
        return self.variants | self.pending_variants if self.pending else self.variants

    def select(self, ids: frozenset[int] | None) -> list[Hit]:
        """The hits of the given phrases (None: all), tones checked."""
        if ids is not None and ids.isdisjoint(self.variants) and (
                not self.pending or ids.isdisjoint(self.pending_variants)):
            return []  # most calls: none of the set's phrases is in the field (a set test, no loop)
        out = [hit for hit in self.certain if ids is None or hit.variant in ids]
        for index, (hit, entry, stream) in enumerate(self.pending):
            if ids is not None and hit.variant not in ids:
                continue
            ok = self._checked.get(index)
            if ok is None:
                ok = self._checked[index] = _tones_agree(entry, self.text, stream, hit.word)
            if ok:
                out.append(hit)
        return out


_SPELT: dict[str, WordSig] = {}
_SPELT_LIMIT = 100_000


def _spelt(original: str) -> WordSig:
    """The tone signature of a word as written in the original (the letters of the span)."""
    sig = _SPELT.get(original)
    if sig is None:
        sig = signature("".join(WORD.findall(spelling(original))))
        if len(_SPELT) >= _SPELT_LIMIT:
            _SPELT.clear()
        _SPELT[original] = sig
    return sig


def _tones_agree(entry: _Entry, text: FieldText, stream: Stream, first: int) -> bool:
    """Whether the text's words from ``first`` say the phrase, tones included (module docstring)."""
    expected = entry.expected
    assert expected is not None
    original = text.original
    rewritten = stream.rewritten
    spelt: list[WordSig | None] = []
    any_marked = False
    for index in range(first, first + len(expected)):
        if rewritten is not None and rewritten[index]:
            spelt.append(None)
            continue
        start, end = stream.spans[index]
        sig = _spelt(original[start:end])
        any_marked = any_marked or marked(sig)
        spelt.append(sig)
    if not any_marked:
        # the words are written without diacritics in a text that has them: what they spell as
        # written ("camera an ninh" is not "camera ẩn"), unless the seller visibly stripped them
        # ("thuoc la dien tu chính hãng": "thuoc" and "dien" are no Vietnamese spellings)
        joined = stream.joined
        return entry.compound or any((joined is not None and joined[index]) or _stripped(stream.spans[index], original)
                   for index in range(first, first + len(expected)))
    return all(sig is None or want is None or sig == want for sig, want in zip(spelt, expected, strict=True))


_STRIPPED = re.compile(r"[aeiouy](?:c|ch|p|t)$|(?:ie|uo|ye)[a-z]")
"""A toneless spelling no Vietnamese word has: a syllable closed by c, ch, p or t always carries a tone
("thuoc" is "thuốc"), and "ie", "uo", "ye" before a consonant always carry a circumflex or horn ("dien",
"nguon")."""


def _stripped(span: tuple[int, int], original: str) -> bool:
    """Whether a word of the original text is a Vietnamese word with its diacritics stripped (or
    written in fancy letters, which carry none: "𝐏𝐡𝐚𝐨 𝐡𝐨𝐚")."""
    word = original[span[0]:span[1]]
    if not word.isascii():
        plain = unicodedata.normalize("NFKC", word)
        return plain != word and plain.isascii()
    word = word.lower()
    return word.isalpha() and _STRIPPED.search(word) is not None


class PhraseSet:
    """The phrases of one list in the rules (a rule's keywords, exceptions, a brand's aliases…),
    matched as whole words of folded text with evasions undone (see the module's docstring)."""

    __slots__ = ("_second_firsts", "_second_forms", "_tiers", "by_canonical", "ids", "phrases", "registry", "variants")

    def __init__(self, phrases: Iterable[str], registry: PhraseRegistry | None = None) -> None:
        self.registry = registry if registry is not None else PhraseRegistry()
        self.variants: list[Variant] = []
        self.by_canonical: dict[str, str] = {}
        """Each phrase's folded words → the phrase as written (the first one written so)."""
        for phrase in phrases:
            variant = self.registry.add(phrase)
            if variant is None:
                continue
            self.variants.append(variant)
            self.by_canonical.setdefault(variant.canonical, phrase)
        self.ids = frozenset(v.id for v in self.variants)
        self.phrases = tuple(self.by_canonical.values())
        self._tiers: tuple[int, frozenset[int], frozenset[int]] | None = None
        self._second_forms: dict[str, list[frozenset[str]]] = {}
        """The forms of this set's second-tier phrases by first word (see :attr:`PhraseRegistry.key_words`)."""
        self._second_firsts: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.variants)

    def __len__(self) -> int:
        return len(self.phrases)

    def tiers(self) -> tuple[frozenset[int], frozenset[int]]:
        """This set's phrases in each tier of the registry (see :attr:`PhraseRegistry.anchors`)."""
        registry = self.registry
        version = registry.version if registry._automata is not None else registry.ready()
        tiers = self._tiers
        if tiers is None or tiers[0] != version:
            anchors = registry.anchors
            first = self.ids if anchors is None else self.ids & anchors
            second = self.ids - first
            forms: dict[str, list[frozenset[str]]] = {}
            for variant in second:
                for first_word, words in registry.key_words.get(variant, ()):
                    forms.setdefault(first_word, []).append(words)
            self._second_forms = forms
            self._second_firsts = frozenset(forms)
            tiers = self._tiers = (version, first, second)
        return tiers[1], tiers[2]

    def finditer(self, text: ListingText, name: str) -> list[Hit]:
        """This set's hits in one field of a listing."""
        first, second = self.tiers()
        hits = text.phrase_hits(self.registry, name).select(first) if first else []
        if second and (text.has_phrase_hits(self.registry, name, 1) or self._may_hold(text, name)):
            hits = hits + text.phrase_hits(self.registry, name, 1).select(second)
        return hits

    def _may_hold(self, text: ListingText, name: str) -> bool:
        """Whether the field holds every word of some form of one of this set's second-tier phrases;
        when it does not, it holds none of them, and its second-tier search (a pass over every
        context word and exception of the rule set) is not needed."""
        forms = self._second_forms
        tokens = text.field(name).tokens(self.registry.vocabulary)
        for first_word in tokens & self._second_firsts:
            for words in forms[first_word]:
                if words <= tokens:
                    return True
        return False

    def find(self, text: ListingText, fields: Sequence[str]) -> list[Hit]:
        """This set's hits in the given fields."""
        hits: list[Hit] = []
        for name in fields:
            hits.extend(self.finditer(text, name))
        return hits

    def search(self, raw: str) -> list[Hit]:
        """This set's hits in a text that is not a listing field (field name ``text``)."""
        field = FieldText.of(unicodedata.normalize("NFC", raw))
        return [hit for tier in (0, 1) for hit in self.registry.hits(field, "text", tier).select(self.ids)]

    def canonical_of(self, hit: Hit) -> str:
        """The folded words of the phrase a hit found."""
        return self.registry.variants[hit.variant].canonical

    def which(self, hit: Hit) -> str:
        """The phrase (as written in the rules) a hit found."""
        return self.by_canonical.get(self.canonical_of(hit), self.registry.variants[hit.variant].written)
