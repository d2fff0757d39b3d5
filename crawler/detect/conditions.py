"""Match conditions on a listing's fields: phrase sets, regexes and their any/all/not trees.

:class:`ListingText` prepares each field once (:class:`crawler.detect.fields.FieldText`) and keeps
each field's phrase hits (:meth:`crawler.detect.phrases.PhraseRegistry.hits`: one automaton pass
per field for every phrase of every rule). Conditions are then evaluated on those hits; every hit
is a span of the field's original text, so evidence quotes what the seller wrote.

A condition can tell which phrases it needs (:meth:`Condition.variants`): the detector skips a
rule none of whose phrases the listing holds, and evaluates the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from crawler.detect.fields import FieldText
from crawler.detect.phrases import FieldHits, Hit, PhraseRegistry, PhraseSet
from crawler.detect.regexes import RuleRegex
from crawler.items import Listing, Match
from crawler.text import fold

T = TypeVar("T")

__all__ = [
    "AllOf",
    "AnyOf",
    "Condition",
    "EmptyFields",
    "Hit",
    "ListingText",
    "MatchContext",
    "Not",
    "PhraseCondition",
    "PhraseSet",
    "PlatformCondition",
    "PresentFields",
    "RegexCondition",
    "SeenFields",
    "TitleMemo",
    "placeholder",
]


class ListingText:
    """A listing's fields prepared for matching, lazily and once each, and their phrase hits."""

    __slots__ = ("_fields", "_hits", "_raw", "listing", "memo")

    def __init__(self, listing: Listing) -> None:
        self.listing = listing
        self._raw: dict[str, str] = listing.field_texts()
        self._fields: dict[str, FieldText] = {}
        self._hits: dict[tuple[PhraseRegistry, str, int], FieldHits] = {}
        self.memo: dict[object, object] = {}
        """Results other modules computed from this text (e.g. the catalog product), by their key."""

    def raw(self, name: str) -> str:
        """The original text of a field ('' when absent; ``seller`` is the seller's name)."""
        cached = self._raw.get(name)
        if cached is None:
            cached = self._raw[name] = self.listing.field_text(name)
        return cached

    def field(self, name: str) -> FieldText:
        """A field prepared for matching."""
        prepared = self._fields.get(name)
        if prepared is None:
            prepared = self._fields[name] = FieldText.of(self.raw(name))
        return prepared

    def folded(self, name: str) -> str:
        """A field's folded text (lower case, no diacritics; as long as the original text, nearly always)."""
        return self.field(name).folded

    def words(self, name: str) -> list[str]:
        """A field's folded words, in order."""
        return self.field(name).words()

    def phrase_hits(self, registry: PhraseRegistry, name: str, tier: int = 0) -> FieldHits:
        """Every hit of one tier of the registry's phrases in one field (computed once per field)."""
        key = (registry, name, tier)
        hits = self._hits.get(key)
        if hits is None or hits.version != registry.version or registry._automata is None:
            registry.ready()
            hits = self._hits[key] = registry.hits(self.field(name), name, tier)
        return hits

    def has_phrase_hits(self, registry: PhraseRegistry, name: str, tier: int = 0) -> bool:
        """Whether :meth:`phrase_hits` of that tier are already known for the field (and current)."""
        hits = self._hits.get((registry, name, tier))
        return hits is not None and hits.version == registry.version and registry._automata is not None

    def present(self, registry: PhraseRegistry, names: Sequence[str]) -> set[int]:
        """The registry's first-tier phrases that may be in any of the fields (their variant ids;
        tones not yet checked: a superset, for the pre-filter)."""
        found: set[int] = set()
        for name in names:
            if self.raw(name):
                found.update(self.phrase_hits(registry, name).possible())
        return found

    def to_match(self, hit: Hit) -> Match:
        """A hit as evidence: the original text it covers."""
        return Match(field=hit.field, text=self.raw(hit.field)[hit.start:hit.end], start=hit.start, end=hit.end)


_MISSING = object()


TITLE_MEMO_LIMIT = 100_000
"""Texts a :class:`TitleMemo` made from now on keeps (a crawl lowers it: ``pipelines.detect``)."""


class TitleMemo:
    """Results computed from a listing's title, brand and category (its goods type, its product
    identity), kept per listing text and per those texts: titles repeat across listings."""

    def __init__(self, limit: int | None = None) -> None:
        self.limit = TITLE_MEMO_LIMIT if limit is None else limit
        self._cache: dict[tuple[str, str, str], object] = {}

    def get(self, text: ListingText, compute: Callable[[], T]) -> T:
        """The result for this text: remembered, or ``compute()`` once."""
        memo = text.memo
        found = memo.get(self, _MISSING)
        if found is not _MISSING:
            return found  # type: ignore[return-value]
        raws = (text.raw("title"), text.raw("brand"), text.raw("category"))
        found = self._cache.get(raws, _MISSING)
        if found is _MISSING:
            found = compute()
            if len(self._cache) >= self.limit:
                self._cache.clear()
            self._cache[raws] = found
        memo[self] = found
        return found  # type: ignore[return-value]


@dataclass(slots=True)
class MatchContext:
    """What a condition needs: the listing's texts, default fields and the masked (excepted) spans.

    ``exceptions``: the rule's exception phrases, searched for only when a condition has hits to
    mask (most listings fail a rule on a field test or a phrase they do not hold, and never need
    them); ``masked``: exception hits given up front instead.
    """

    text: ListingText
    fields: tuple[str, ...]
    masked: list[Hit] | None = None
    exceptions: PhraseSet | None = None

    def unmasked(self, hits: list[Hit]) -> list[Hit]:
        """Hits that do not overlap an exception phrase."""
        if not hits:
            return hits
        masked = self.masked
        if masked is None:
            masked = self.masked = self.exceptions.find(self.text, self.fields) if self.exceptions is not None else []
        if not masked:
            return hits
        return [h for h in hits if not any(h.overlaps(m) for m in masked)]


class Condition:
    """A match condition; :meth:`evaluate` gives the hits when true, None when false."""

    line: int = 0

    def evaluate(self, ctx: MatchContext) -> list[Hit] | None:  # pragma: no cover - abstract
        """Hits supporting the condition ([] when true without a span), None when false."""
        raise NotImplementedError

    def variants(self) -> frozenset[int] | None:
        """Phrases (variant ids) of which the listing must hold one for the condition to be true;
        None when it can be true without any (regexes, ``not``, ``empty``, ``present``)."""
        return None

    def required_goods(self) -> frozenset[str] | None:
        """Goods types of which the listing must be one for the condition to be true (its
        ``goods:`` test); None when it can be true for any listing."""
        return None

    def rarity(self) -> int:
        """How rarely a listing is likely to hold one of :meth:`variants` (the letters of its
        shortest phrase; 0 when unknown)."""
        return 0

    def cost(self) -> float:
        """A rough cost of :meth:`evaluate` before it can say false (``all`` puts cheap children first)."""
        return 1.0


class PhraseCondition(Condition):
    """True when one of the phrases occurs (outside exception phrases) in the fields.

    With ``within_first`` the phrase must start within the field's first N words: sellers name
    the product type first ("Tai nghe bluetooth …"), while "cáp chuyển … sang tai nghe" is not one.
    With ``written_with_tones`` only text written with its diacritics counts: "Nhật" is Japan, but
    "nhat" without tones is far more often "nhất" (the best, the cheapest).
    """

    def __init__(self, phrases: PhraseSet, fields: tuple[str, ...] | None, line: int = 0,
                 within_first: int | None = None, written_with_tones: bool = False) -> None:
        self.phrases = phrases
        self.fields = fields
        self.line = line
        self.within_first = within_first
        self.written_with_tones = written_with_tones

    def variants(self) -> frozenset[int] | None:
        return self.phrases.ids or None

    def rarity(self) -> int:
        return min((len(variant.canonical.replace(" ", "")) for variant in self.phrases.variants), default=0)

    def evaluate(self, ctx: MatchContext) -> list[Hit] | None:
        hits = ctx.unmasked(self.phrases.find(ctx.text, self.fields or ctx.fields))
        if hits and self.within_first is not None:
            limit = self.within_first
            hits = [h for h in hits if h.word < limit]
        if hits and self.written_with_tones:
            raw = ctx.text.raw
            hits = [h for h in hits if not raw(h.field)[h.start:h.end].isascii()]
        return hits or None


class RegexCondition(Condition):
    """True when one of the regexes matches (outside exception phrases) a field's folded text,
    within one line."""

    def __init__(self, patterns: list[RuleRegex], fields: tuple[str, ...] | None, line: int = 0):
        self.patterns = patterns
        self.fields = fields
        self.line = line

    def cost(self) -> float:
        return 3.0

    def evaluate(self, ctx: MatchContext) -> list[Hit] | None:
        hits: list[Hit] = []
        for name in self.fields or ctx.fields:
            if not ctx.text.raw(name):
                continue
            prepared = ctx.text.field(name)
            text, index = prepared.regex_text()
            for pattern in self.patterns:
                if not pattern.possible(text):
                    continue
                start = 0
                for line in text.split("\n"):  # a match never crosses a line break
                    for m_start, m_end in pattern.spans(text, start, start + len(line)):
                        if index is not None:
                            m_start, m_end = index[m_start], index[m_end - 1] + 1
                        hits.append(Hit(name, *prepared.original_span(m_start, m_end)))
                    start += len(line) + 1
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

    def variants(self) -> frozenset[int] | None:
        found: set[int] = set()
        for child in self.children:
            ids = child.variants()
            if ids is None:
                return None
            found |= ids
        return frozenset(found)

    def rarity(self) -> int:
        return min((child.rarity() for child in self.children), default=0)

    def cost(self) -> float:
        return sum(child.cost() for child in self.children)

    def required_goods(self) -> frozenset[str] | None:
        found: set[str] = set()
        for child in self.children:
            goods = child.required_goods()
            if goods is None:
                return None
            found |= goods
        return frozenset(found)


class AllOf(Condition):
    """True when every child is true; hits of all children."""

    def __init__(self, children: list[Condition], line: int = 0) -> None:
        self.children = children
        self.line = line
        # Cheapest first (field tests cost an attribute read and are false on many listings: most
        # state an origin); the order changes no result, only how soon a false child stops it.
        self._order = sorted(children, key=lambda child: child.cost())

    def evaluate(self, ctx: MatchContext) -> list[Hit] | None:
        result: list[Hit] = []
        for child in self._order:
            hits = child.evaluate(ctx)
            if hits is None:
                return None
            result.extend(hits)
        return result

    def cost(self) -> float:
        return sum(child.cost() for child in self.children)

    def required_goods(self) -> frozenset[str] | None:
        found: frozenset[str] | None = None
        for child in self.children:
            goods = child.required_goods()
            if goods is not None:
                found = goods if found is None else found & goods
        return found

    def variants(self) -> frozenset[int] | None:
        """The phrases of the child that listings hold least often: the one whose shortest phrase
        is longest ("giấy cuốn, phê pha" rather than "cỏ"), a guess that needs no statistics."""
        options = [(child, ids) for child in self.children if (ids := child.variants()) is not None]
        if not options:
            return None
        return max(options, key=lambda option: (option[0].rarity(), -len(option[1])))[1]


class Not(Condition):
    """True when the child is false (no hits of its own)."""

    def __init__(self, child: Condition, line: int = 0) -> None:
        self.child = child
        self.line = line

    def evaluate(self, ctx: MatchContext) -> list[Hit] | None:
        return [] if self.child.evaluate(ctx) is None else None

    def cost(self) -> float:
        return self.child.cost()


PLACEHOLDER_VALUES = frozenset([
    "", "dang cap nhat", "chua cap nhat", "cap nhat sau", "khac", "khong", "khong co", "khong ro", "chua ro",
    "k", "ko", "kh", "n/a", "na", "none", "null", "nil", "other", "others", "updating", "unknown", "oem", "no brand",
    "nobrand", "0", "-", "x",
])
"""Field values that state nothing ("Đang cập nhật", "Khác", "N/A", "Không", "OEM"), folded."""


def placeholder(value: str) -> bool:
    """Whether a field value is empty or a placeholder that states nothing (see
    :data:`PLACEHOLDER_VALUES`)."""
    return fold(value).strip(" .:;,-_/*()[]") in PLACEHOLDER_VALUES


class FieldTest(Condition):
    """A test of the listing's fields themselves (no phrase, no hit): the cheapest conditions."""

    def __init__(self, fields: tuple[str, ...], line: int = 0) -> None:
        self.fields = fields
        self.line = line

    def cost(self) -> float:
        return 0.0


class EmptyFields(FieldTest):
    """True when every listed field is empty or a placeholder (e.g. origin "Đang cập nhật")."""

    def evaluate(self, ctx: MatchContext) -> list[Hit] | None:
        listing = ctx.text.listing
        return [] if all(placeholder(listing.field_text(name)) for name in self.fields) else None


class PlatformCondition(Condition):
    """True when the listing comes from one of the platforms (``platform: [chotot, facebook]``:
    classified sites, where a phone is second-hand unless it says otherwise)."""

    def __init__(self, platforms: frozenset[str], line: int = 0) -> None:
        self.platforms = platforms
        self.line = line

    def cost(self) -> float:
        return 0.0

    def evaluate(self, ctx: MatchContext) -> list[Hit] | None:
        return [] if ctx.text.listing.platform.lower() in self.platforms else None


class SeenFields(FieldTest):
    """True when the listing's source carried every listed field (:attr:`Listing.fields_seen`), or
    is not known to lack any (``fields_seen`` None: a file or an import is taken as complete).

    A search card carries no origin: ``missing_origin`` waits for the product page instead of
    reading the card's silence as a missing origin.
    """

    def evaluate(self, ctx: MatchContext) -> list[Hit] | None:
        seen = ctx.text.listing.fields_seen
        return [] if seen is None or all(name in seen for name in self.fields) else None


class PresentFields(FieldTest):
    """True when at least one listed field has text that is not a placeholder."""

    def evaluate(self, ctx: MatchContext) -> list[Hit] | None:
        listing = ctx.text.listing
        return [] if any(not placeholder(listing.field_text(name)) for name in self.fields) else None
