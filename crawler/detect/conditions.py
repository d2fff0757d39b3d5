"""Match conditions on normalised listing text: phrase sets, regexes and their any/all/not trees.

Everything here works on :func:`crawler.text.normalize`'d field text and reports hits as
normalised spans; :class:`ListingText` turns them back into spans of the original text.

Speed: each field of a listing is normalised once (:class:`ListingText` caches it) together with
the set of its words; a phrase set runs its regex only when one of its anchors (a phrase's word,
or a pair of adjacent words) is in the field. The anchors a field holds are found once per field,
against every anchor ever looked for in that field (:meth:`ListingText.present`), so each phrase
set then costs one set test; a word pair is only looked for when both its words are there. A
phrase set's hits depend on the field's text alone, so they are also cached per text for short
fields (titles, categories, sellers repeat across listings); descriptions are done per listing.
Conditions with no anchor words (regexes) get a gate instead (:mod:`crawler.detect.gates`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from crawler.detect.gates import AllGate, AnchorGate, AnyGate, Gate, LiteralGate, required_literals
from crawler.items import Listing, Match
from crawler.text import NormalizedText, fold, normalize

__all__ = [
    "AllOf",
    "Anchors",
    "AnyOf",
    "Condition",
    "EmptyFields",
    "Hit",
    "ListingText",
    "MatchContext",
    "Not",
    "PhraseCondition",
    "PhraseSet",
    "PresentFields",
    "RegexCondition",
    "canonical",
]

_WORDS = re.compile(r"[^\W_]+")
_SEPARATORS = re.compile(r"[\s\-_.,/]+")
_SEP_PATTERN = r"[\s\-_.]+"
"""Between the words of a phrase the text may have spaces, hyphens, underscores or dots
("tinh-dầu vape", "thuốc.lá"), not commas ("nước, hoa" is not "nước hoa")."""
_TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")
_HAS_MARKS = re.compile("[\u00c0-\u024f\u1e00-\u1eff\u0300-\u036f]")

WordSig = tuple[str, tuple[str, ...], bool, bool]
"""A word's spelling for tone comparison: (letters without tone, tones, marked, rewritten)."""


def _signature(word: str, rewritten: bool = False) -> WordSig:
    """Tone-placement-independent spelling: "tuý" and "túy", "hoà" and "hòa" compare equal."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    tones = tuple(c for c in decomposed if c in _TONES)
    rest = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))
    marked = bool(tones) or not rest.isascii()
    return rest, tones, marked, rewritten


def _word_signatures(nt: NormalizedText, start: int, end: int) -> list[WordSig]:
    """Signatures of the words of normalised ``[start, end)``, spelt as in the original text.

    A word that normalisation rewrote (teencode "k" → "khong", leet "gucc1") is marked rewritten:
    its original spelling says nothing about tones.
    """
    original = nt.original
    out: list[WordSig] = []
    cache = _SIGNATURE_CACHE
    for word in _WORDS.finditer(nt.text, start, end):
        o_start, o_end = nt.original_span(word.start(), word.end())
        key = (original[o_start:o_end], word.group(0))
        sig = cache.get(key)
        if sig is None:
            # the word's letters as written (dots/spaces/emoji between spaced letters dropped)
            piece = unicodedata.normalize("NFC", "".join(_WORDS.findall(key[0]))).lower()
            sig = _signature(piece, fold(piece) != key[1])
            if len(cache) >= _SIGNATURE_CACHE_SIZE:
                cache.clear()
            cache[key] = sig
        out.append(sig)
    return out


_SIGNATURE_CACHE: dict[tuple[str, str], WordSig] = {}
"""Word signatures by (the word as written, the word normalised): words repeat across listings."""
_SIGNATURE_CACHE_SIZE = 100_000


def tones_agree(phrase: list[WordSig], text: list[WordSig]) -> bool:
    """Whether text written *with* diacritics really says a Vietnamese phrase.

    Folding makes "tay trắng" read like "tẩy trắng" and "bò da" like "bồ đà". A phrase without
    any diacritics ("vape", brand names) matches whatever the tones; so does text written without
    diacritics (the evasion normalisation undoes). Otherwise every word must agree in tones.
    """
    if len(phrase) != len(text) or not any(sig[2] for sig in phrase):
        return True
    if not any(sig[2] and not sig[3] for sig in text):
        return True
    for (p_rest, p_tones, _, _), (t_rest, t_tones, _, t_rewritten) in zip(phrase, text, strict=True):
        if t_rewritten:
            continue
        if (p_rest, p_tones) != (t_rest, t_tones):
            return False
    return True


def _pair(first: str, second: str) -> str:
    return f"{first} {second}"


_COMMON_WORDS = frozenset({
    # grammar and origin words
    "thiet", "bi", "trung", "quoc", "viet", "nam", "nhat", "ban", "han", "hang", "san", "pham", "chinh", "cho",
    "cua", "va", "voi", "loai", "co", "khong", "the", "mot", "cac", "nhung", "duoc", "dien", "tu", "tai", "khi",
    "lam", "di", "nhieu", "moi", "tot", "cao", "cap", "gia", "re", "giam",
    # shop boilerplate: warranty, delivery, returns, support, quality, colour, size
    "bao", "hanh", "giao", "doi", "tra", "ho", "tro", "chat", "luong", "mau", "sac", "kich", "thuoc", "nhan",
    "noi", "du", "van", "xuat",
})
"""Folded words found in a large share of Vietnamese listings ("thiết bị", "Trung Quốc", "sản
phẩm"…): a pre-filter anchor made of them would let its rule through on most listings."""


def _rarity(word: str) -> int:
    """How rare a folded word is likely to be in listing text: its length, 0 for a common word."""
    return 0 if word in _COMMON_WORDS else len(word)


def _anchor(words: list[str]) -> str:
    """The pre-filter key of a phrase: its one word, or a pair of its adjacent words (a matching
    text has all the phrase's words, adjacent, as its own words, so any pair is right; the pair
    with the most letters outside :data:`_COMMON_WORDS` is the rarest, so it is chosen: "pháo trung
    quốc" is anchored on "phao trung", "thiết bị nghe lén" on "nghe len")."""
    if len(words) == 1:
        return words[0]

    def rarity(start: int) -> int:
        return _rarity(words[start]) + _rarity(words[start + 1])

    start = max(range(len(words) - 1), key=rarity)
    return _pair(words[start], words[start + 1])


def canonical(phrase: str) -> str:
    """Normalised phrase with separators collapsed to one space: how phrases are compared."""
    return _SEPARATORS.sub(" ", normalize(phrase).text).strip()


SHORT_TEXT = 160
"""Field texts up to this long (titles, categories, sellers) have their results cached per text."""
_SHARED_LIMIT = 20_000


class _Universe:
    """Every anchor looked for in one field (of every :class:`Anchors` asked about that field).

    A field's anchors are found once against it (:meth:`ListingText.present`), and each phrase
    set or rule then only intersects its own anchors with that small set: one pass per field
    instead of one per phrase set. One universe per field: the catalog's brand and product
    aliases are only looked for in titles, and descriptions need not pay for them.
    """

    __slots__ = ("keys", "pairs", "partners", "single", "version", "watched")

    def __init__(self) -> None:
        self.single: frozenset[str] = frozenset()
        self.pairs: frozenset[str] = frozenset()
        self.keys: frozenset[str] = frozenset()
        """The key word of each pair anchor: the rarer of its two words (:func:`_rarity`)."""
        self.watched: frozenset[str] = frozenset()
        """The words a field is first tested for: :attr:`single` and :attr:`keys` (one set test)."""
        self.partners: dict[str, tuple[tuple[str, str, str], ...]] = {}
        """For each key word, the other word of its pair anchors, the pair, and the pair with a
        space before and after (how it is looked for in the words joined by spaces)."""
        self.version = 0
        """Grows with every change: results computed against an older universe are stale."""

    def add(self, anchors: frozenset[str]) -> None:
        """Take in the anchors of a new :class:`Anchors`."""
        new = anchors - self.single - self.pairs
        if not new:
            return
        pairs = frozenset(a for a in new if " " in a)
        self.single |= new - pairs
        self.pairs |= pairs
        for pair in sorted(pairs):
            first, second = pair.split(" ", 1)
            key, partner = (second, first) if _rarity(second) > _rarity(first) else (first, second)
            self.partners[key] = (*self.partners.get(key, ()), (partner, pair, f" {pair} "))
        self.keys = frozenset(self.partners)
        self.watched = self.single | self.keys
        self.version += 1


_UNIVERSES: dict[str, _Universe] = {}
_NONE: frozenset[str] = frozenset()


class Anchors:
    """A set of pre-filter anchors: words, and pairs of adjacent words ("a b")."""

    __slots__ = ("all", "by_text", "fields")

    def __init__(self, anchors: Iterable[str]) -> None:
        self.by_text: dict[str, frozenset[str]] = {}
        """The anchors in a short field text (its words do not depend on the field)."""
        self.all = frozenset(anchors)
        self.fields: set[str] = set()
        """The fields whose universe holds these anchors."""

    def universe(self, name: str) -> _Universe:
        """The anchor universe of a field, these anchors added to it on first use."""
        universe = _UNIVERSES.get(name)
        if universe is None:
            universe = _UNIVERSES[name] = _Universe()
        if name not in self.fields:
            universe.add(self.all)
            self.fields.add(name)
        return universe


@dataclass(frozen=True, slots=True)
class Hit:
    """A match in one field, as a span of the field's *normalised* text."""

    field: str
    start: int
    end: int

    def overlaps(self, other: Hit) -> bool:
        """True when both hits are in the same field and their spans intersect."""
        return self.field == other.field and self.start < other.end and other.start < self.end


class ListingText:
    """A listing's field texts, normalised lazily and once each."""

    __slots__ = (
        "_folded", "_hits", "_norm", "_present", "_raw", "_tokens", "_words", "listing", "memo",
    )

    def __init__(self, listing: Listing) -> None:
        self.listing = listing
        self._raw: dict[str, str] = listing.field_texts()
        """The text of each matchable field, read once."""
        self._norm: dict[str, NormalizedText] = {}
        self._words: dict[str, frozenset[str]] = {}
        self._tokens: dict[str, frozenset[str]] = {}
        self._present: dict[str, tuple[int, frozenset[str]]] = {}
        self._folded: dict[str, str] = {}
        self._hits: dict[tuple[int, str], list[Hit]] = {}
        self.memo: dict[object, object] = {}
        """Results other modules computed from this text (e.g. the catalog product), by their key."""

    def raw(self, name: str) -> str:
        """The original text of a field ('' when absent; ``seller`` is the seller's name)."""
        cached = self._raw.get(name)
        return cached if cached is not None else self.listing.field_text(name)

    def norm(self, name: str) -> NormalizedText:
        """The normalised text of a field."""
        cached = self._norm.get(name)
        if cached is None:
            cached = normalize(self.raw(name))
            self._norm[name] = cached
        return cached

    def normalize_fields(self) -> None:
        """Normalise every matchable field now (short texts come from the normaliser's cache): a
        batch does this for all its listings in one loop, while the normaliser is in the CPU caches."""
        norm = self._norm
        for name, raw in self._raw.items():
            if raw and name not in norm:
                norm[name] = normalize(raw)

    def words(self, name: str) -> frozenset[str]:
        """The words (letter/digit runs) of a field's normalised text and its word pairs ("a b")."""
        cached = self._words.get(name)
        if cached is None:
            tokens = self._token_list(name)
            cached = self.tokens(name) | frozenset(map(" ".join, pairwise(tokens)))
            self._words[name] = cached
        return cached

    def _token_list(self, name: str) -> list[str]:
        normalized = self.norm(name)
        return normalized.tokens if normalized.tokens is not None else _WORDS.findall(normalized.text)

    def tokens(self, name: str) -> frozenset[str]:
        """The words (letter/digit runs) of a field's normalised text."""
        cached = self._tokens.get(name)
        if cached is None:
            normalized = self.norm(name)
            cached = normalized.words if normalized.words is not None else frozenset(self._token_list(name))
            self._tokens[name] = cached
        return cached

    def present(self, anchors: Anchors, name: str) -> frozenset[str]:
        """Every anchor of the field's universe (the anchors ever looked for in it, ``anchors``
        included) that the field's words or word pairs hold.

        Equal to ``universe.all & self.words(name)``; but a pair anchor is only looked for when
        its rarer word and then its other word are in the text, as " first second " in the text's
        words joined by spaces (building every word pair of a description costs more than
        everything else).
        """
        universe = anchors.universe(name)
        cached = self._present.get(name)
        if cached is not None and cached[0] == universe.version:
            return cached[1]
        tokens = self.tokens(name)
        watched = universe.watched.intersection(tokens)  # one set test for most words
        if not watched:
            found = _NONE
        else:
            found = universe.single.intersection(watched)
            partners = universe.partners
            pairs = []
            spaced = ""
            for key in watched:
                for partner, pair, spaced_pair in partners.get(key, ()):
                    if partner in tokens:
                        if not spaced:
                            spaced = self.norm(name).spaced or " " + " ".join(self._token_list(name)) + " "
                        if spaced_pair in spaced:
                            pairs.append(pair)
            if pairs:
                found = found.union(pairs)
        self._present[name] = (universe.version, found)
        return found

    @staticmethod
    def _token_pattern() -> re.Pattern[str]:
        """The word pattern of :meth:`words` (for tests of the normaliser's word shortcut)."""
        return _WORDS

    def anchors_in(self, anchors: Anchors) -> set[str]:
        """Which of ``anchors`` the words and word pairs of all matchable fields hold
        (``anchors.all`` & the union of :meth:`words` over the fields, each field's anchors found once)."""
        found: set[str] = set()
        cache = anchors.by_text
        for name, raw in self._raw.items():
            if not raw:
                continue
            if len(raw) <= SHORT_TEXT:
                present = cache.get(raw)
                if present is None:
                    present = self.field_anchors(anchors, name)
                    if len(cache) >= _SHARED_LIMIT:
                        cache.clear()
                    cache[raw] = present
            else:
                present = self.field_anchors(anchors, name)
            found |= present
        return found

    def field_anchors(self, anchors: Anchors, name: str) -> frozenset[str]:
        """Which of ``anchors`` a field's words and word pairs hold (``anchors.all`` & :meth:`present`)."""
        return anchors.all.intersection(self.present(anchors, name))

    def joined(self, names: tuple[str, ...]) -> str:
        """The normalised texts of some fields joined by newlines (cached per listing)."""
        key = ("joined", names)
        cached = self.memo.get(key)
        if cached is None:
            cached = "\n".join(self.norm(name).text for name in names)
            self.memo[key] = cached
        return cached  # type: ignore[return-value]

    def has_marks(self, name: str) -> bool:
        """Whether a field has any diacritics at all (else it is written without them)."""
        return _HAS_MARKS.search(self.raw(name)) is not None

    def folded(self, name: str) -> str:
        """The plainly folded text (no evasion undoing) of a field."""
        cached = self._folded.get(name)
        if cached is None:
            cached = fold(self.raw(name))
            self._folded[name] = cached
        return cached

    def to_match(self, hit: Hit) -> Match:
        """The evidence for a hit: the original text span it came from."""
        nt = self.norm(hit.field)
        start, end = nt.original_span(hit.start, hit.end)
        return Match(field=hit.field, text=nt.original[start:end], start=start, end=end)

    def hit_text(self, hit: Hit) -> str:
        """The normalised text of a hit."""
        return self.norm(hit.field).text[hit.start:hit.end]


_NARROW_FROM = 16
"""Phrase sets with more phrases than this run a regex narrowed to the anchors a text holds."""
_NARROWED_LIMIT = 4_096


def _phrase_regex(patterns: list[str]) -> re.Pattern[str]:
    """One regex for phrase patterns, tried in the given order, matched as whole words."""
    body = "|".join(patterns) if patterns else r"(?!x)x"
    return re.compile(rf"(?<![^\W_])(?:{body})(?![^\W_])")


class PhraseSet:
    """A set of phrases matched as whole words on normalised text.

    Phrases are normalised like listing text ("Súng hơi" → "sung hoi"); the words of a phrase may be
    separated in the text by spaces or punctuation ("tinh-dầu vape").

    Each phrase has an anchor: its word, or a pair of its adjacent words; the regex only runs on a
    field whose words (and word pairs) hold an anchor. The words of a matching phrase are whole,
    adjacent words of the text, so this never loses a match.
    """

    __slots__ = (
        "_alternatives", "_anchors", "_narrowed", "_pair_anchors", "_shared", "anchors", "by_canonical", "phrases",
        "regex", "signatures",
    )

    def __init__(self, phrases: Iterable[str]) -> None:
        self.by_canonical: dict[str, str] = {}
        self.signatures: dict[str, list[list[WordSig]]] = {}
        self.anchors: frozenset[str] = frozenset()
        self._shared: dict[tuple[str, str], list[Hit]] = {}
        anchors: set[str] = set()
        patterns: list[tuple[str, str | None]] = []
        for phrase in phrases:
            canon = canonical(phrase)
            if not canon:
                continue
            normalized = normalize(phrase)
            signature = _word_signatures(normalized, 0, len(normalized.text))
            if any(sig[2] for sig in signature):
                self.signatures.setdefault(canon, []).append(signature)
            if canon in self.by_canonical:
                continue
            self.by_canonical[canon] = phrase
            words = _WORDS.findall(canon)
            anchor = _anchor(words) if words else None
            if anchor is not None:
                anchors.add(anchor)
            patterns.append((_SEP_PATTERN.join(re.escape(tok) for tok in canon.split(" ")), anchor))
        self.phrases = tuple(self.by_canonical.values())
        self.anchors = frozenset(anchors)
        self._anchors = Anchors(self.anchors)
        patterns.sort(key=lambda item: len(item[0]), reverse=True)
        self.regex = _phrase_regex([pattern for pattern, _ in patterns])
        self._alternatives = patterns if len(patterns) > _NARROW_FROM else None
        """The regex's alternatives in order, each with its phrase's anchor (None: no words), when
        there are enough of them for :meth:`narrowed` to pay."""
        self._narrowed: dict[frozenset[str], re.Pattern[str]] = {}
        self._pair_anchors = frozenset(a for a in self.anchors if " " in a)

    def __bool__(self) -> bool:
        return bool(self.phrases)

    def __len__(self) -> int:
        return len(self.phrases)

    def finditer(self, text: ListingText, name: str) -> list[Hit]:
        """All hits in one field (computed once per listing text and field, then cached).

        The hits depend on the field's text alone, so for short texts (titles, categories,
        sellers: they repeat across listings) they are also cached per text. Do not modify the
        returned list.
        """
        if not self.phrases:
            return []
        raw = text.raw(name)
        if len(raw) <= SHORT_TEXT:
            shared_key = (name, raw)
            hits = self._shared.get(shared_key)
            if hits is None:
                hits = self._compute(text, name)
                if len(self._shared) >= _SHARED_LIMIT:
                    self._shared.clear()
                self._shared[shared_key] = hits
            return hits
        key = (id(self), name)
        cached = text._hits.get(key)
        if cached is None:
            cached = self._compute(text, name)
            text._hits[key] = cached
        return cached

    def narrowed(self, present: frozenset[str]) -> re.Pattern[str]:
        """The regex with only the alternatives whose phrase's anchor is in ``present`` (and those
        without an anchor), in the same order: it finds exactly the same matches in a text whose
        anchors are ``present``.

        A phrase whose anchor the text lacks cannot match anywhere in it (its words would be
        adjacent words of the text, the anchor among them); a branch that never matches changes
        neither where a match starts nor which branch wins there. A big alternation (hundreds of
        brand aliases) costs Python's regex engine a test per branch at every word: the narrowed
        one has a handful. Cached per anchor set (bounded).
        """
        if self._alternatives is None:
            return self.regex
        regex = self._narrowed.get(present)
        if regex is None:
            regex = _phrase_regex([p for p, anchor in self._alternatives if anchor is None or anchor in present])
            if len(self._narrowed) >= _NARROWED_LIMIT:
                self._narrowed.clear()
            self._narrowed[present] = regex
        return regex

    def _compute(self, text: ListingText, name: str) -> list[Hit]:
        present = text.field_anchors(self._anchors, name)
        if not present:
            return []
        hits = [Hit(name, m.start(), m.end()) for m in self.narrowed(present).finditer(text.norm(name).text)]
        if hits and self.signatures and text.has_marks(name):
            hits = [hit for hit in hits if self._tones_ok(text, hit)]
        return hits

    def _tones_ok(self, text: ListingText, hit: Hit) -> bool:
        variants = self.signatures.get(_SEPARATORS.sub(" ", text.hit_text(hit)).strip())
        if not variants:
            return True
        spelt = _word_signatures(text.norm(hit.field), hit.start, hit.end)
        return any(tones_agree(variant, spelt) for variant in variants)

    def find(self, text: ListingText, fields: Sequence[str]) -> list[Hit]:
        """All hits in the given fields."""
        hits: list[Hit] = []
        for name in fields:
            hits.extend(self.finditer(text, name))
        return hits

    def finditer_plain(self, plain: str) -> Iterator[re.Match[str]]:
        """The matches of :attr:`regex` in some already-normalised or folded text (the same
        matches, found by the regex :meth:`narrowed` to the anchors among the text's words)."""
        if self._alternatives is None:
            return self.regex.finditer(plain)
        tokens = _WORDS.findall(plain)
        present = self.anchors.intersection(tokens)
        if self._pair_anchors:
            present |= self._pair_anchors.intersection(map(" ".join, pairwise(tokens)))
        if not present:
            return iter(())
        return self.narrowed(present).finditer(plain)

    def which(self, matched: str) -> str | None:
        """The phrase (as written in the rule) that a matched normalised text stands for."""
        return self.by_canonical.get(_SEPARATORS.sub(" ", matched).strip())


@dataclass(slots=True)
class MatchContext:
    """What a condition needs: the listing's texts, default fields and the masked (excepted) spans."""

    text: ListingText
    fields: tuple[str, ...]
    masked: list[Hit] = field(default_factory=list)

    def unmasked(self, hits: list[Hit]) -> list[Hit]:
        """Hits that do not overlap an exception phrase."""
        if not self.masked or not hits:
            return hits
        return [h for h in hits if not any(h.overlaps(m) for m in self.masked)]


class Condition:
    """A match condition; :meth:`evaluate` gives the hits when true, None when false."""

    line: int = 0

    def evaluate(self, ctx: MatchContext) -> list[Hit] | None:  # pragma: no cover - abstract
        """Hits supporting the condition ([] when true without a span), None when false."""
        raise NotImplementedError

    def anchors(self) -> frozenset[str] | None:
        """Words of which at least one must be in the listing for the condition to be true.

        None when the condition can be true without any particular word (regexes, ``not``,
        ``empty``, ``present``). The detector skips a rule whose anchors the listing lacks.
        """
        return None

    def gate(self) -> Gate | None:
        """A cheap test that is false only when the condition cannot be true (None: no such test).

        Used for rules without :meth:`anchors`, e.g. ``any`` of a regex and phrases: the regex's
        required literals or the phrases' anchors.
        """
        anchors = self.anchors()
        return AnchorGate(anchors) if anchors is not None else None


class PhraseCondition(Condition):
    """True when one of the phrases occurs (outside exception phrases) in the fields.

    With ``within_first`` the phrase must start within the field's first N words: sellers name
    the product type first ("Tai nghe bluetooth …"), while "cáp chuyển … sang tai nghe" is not one.
    """

    def __init__(self, phrases: PhraseSet, fields: tuple[str, ...] | None, line: int = 0,
                 within_first: int | None = None) -> None:
        self.phrases = phrases
        self.fields = fields
        self.line = line
        self.within_first = within_first

    def anchors(self) -> frozenset[str] | None:
        return self.phrases.anchors if self.phrases.anchors else None

    def evaluate(self, ctx: MatchContext) -> list[Hit] | None:
        hits = ctx.unmasked(self.phrases.find(ctx.text, self.fields or ctx.fields))
        if hits and self.within_first is not None:
            limit = self.within_first
            hits = [h for h in hits if len(_WORDS.findall(ctx.text.norm(h.field).text, 0, h.start)) < limit]
        return hits or None


class RegexCondition(Condition):
    """True when one of the regexes matches (outside exception phrases) the normalised fields."""

    def __init__(self, patterns: list[re.Pattern[str]], fields: tuple[str, ...] | None, line: int = 0):
        self.patterns = patterns
        self.fields = fields
        self.line = line

    def gate(self) -> Gate | None:
        """Open when the literals one of the patterns requires are in the fields' text."""
        gates: list[Gate] = []
        for pattern in self.patterns:
            clauses = required_literals(pattern)
            if not clauses:
                return None  # this pattern may match any text
            gates.append(LiteralGate(clauses, self.fields))
        return AnyGate(gates) if len(gates) > 1 else gates[0] if gates else None

    def evaluate(self, ctx: MatchContext) -> list[Hit] | None:
        hits: list[Hit] = []
        for name in self.fields or ctx.fields:
            normalized = ctx.text.norm(name).text
            if not normalized:
                continue
            for pattern in self.patterns:
                hits.extend(Hit(name, m.start(), m.end()) for m in pattern.finditer(normalized) if m.end() > m.start())
        hits = ctx.unmasked(hits)
        return hits or None


class AnyOf(Condition):
    """True when at least one child is true; hits of all true children."""

    def __init__(self, children: list[Condition], line: int = 0) -> None:
        self.children = children
        self.line = line

    def evaluate(self, ctx: MatchContext) -> list[Hit] | None:
        result: list[Hit] | None = None
        for child in self.children:
            hits = child.evaluate(ctx)
            if hits is not None:
                result = (result or []) + hits
        return result

    def anchors(self) -> frozenset[str] | None:
        found: set[str] = set()
        for child in self.children:
            words = child.anchors()
            if words is None:
                return None
            found |= words
        return frozenset(found)

    def gate(self) -> Gate | None:
        anchors = self.anchors()
        if anchors is not None:
            return AnchorGate(anchors)
        gates = [child.gate() for child in self.children]
        if any(g is None for g in gates):
            return None
        return AnyGate([g for g in gates if g is not None])


class AllOf(Condition):
    """True when every child is true; hits of all children."""

    def __init__(self, children: list[Condition], line: int = 0) -> None:
        self.children = children
        self.line = line
        # Field tests (``empty``, ``present``) first: they cost an attribute read, are false on
        # many listings (most state an origin) and have no hits, so the result is the same.
        self._order = sorted(children, key=lambda child: not isinstance(child, EmptyFields | PresentFields))

    def evaluate(self, ctx: MatchContext) -> list[Hit] | None:
        result: list[Hit] = []
        for child in self._order:
            hits = child.evaluate(ctx)
            if hits is None:
                return None
            result.extend(hits)
        return result

    def anchors(self) -> frozenset[str] | None:
        options = [words for child in self.children if (words := child.anchors()) is not None]
        return min(options, key=len) if options else None

    def gate(self) -> Gate | None:
        gates = [g for child in self.children if (g := child.gate()) is not None]
        if not gates:
            return None
        return gates[0] if len(gates) == 1 else AllGate(gates)


class Not(Condition):
    """True when the child is false (no hits of its own)."""

    def __init__(self, child: Condition, line: int = 0) -> None:
        self.child = child
        self.line = line

    def evaluate(self, ctx: MatchContext) -> list[Hit] | None:
        return [] if self.child.evaluate(ctx) is None else None


class EmptyFields(Condition):
    """True when every listed field is empty (e.g. no ``origin`` stated)."""

    def __init__(self, fields: tuple[str, ...], line: int = 0) -> None:
        self.fields = fields
        self.line = line

    def evaluate(self, ctx: MatchContext) -> list[Hit] | None:
        listing = ctx.text.listing
        return [] if all(not listing.field_text(name).strip() for name in self.fields) else None


class PresentFields(Condition):
    """True when at least one listed field has text."""

    def __init__(self, fields: tuple[str, ...], line: int = 0) -> None:
        self.fields = fields
        self.line = line

    def evaluate(self, ctx: MatchContext) -> list[Hit] | None:
        listing = ctx.text.listing
        return [] if any(listing.field_text(name).strip() for name in self.fields) else None
