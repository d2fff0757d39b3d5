"""What a listing sells: its goods type, read from the title's head noun, then its brand, then its category.

Vietnamese titles name the product type first ("Túi laptop chống sốc" is a bag, "Ốp iPhone 15" an
accessory, "Sách … tai nghe" a book), so the type is the *earliest* goods word of the title (the
longest when two start together: "sữa rửa mặt" is a cosmetic, "sữa" a food); words inside a
leading ``[…]`` promotion tag do not count, nor do words after "cho" / "tương thích" (what the goods
fit: "Lọc gió thay thế cho Honda Vision" is no motorbike). A title without any goods word takes the goods of the
first catalog brand it names ("Nutella 750g" is food, "R0lex Submariner" a watch), and failing
that the category's: its most specific segment that holds a goods word ("Sắc Đẹp > Chăm sóc da"
is cosmetics). The words of the ``not_goods`` type name no goods and hide the goods words inside
them ("sinh viên" is a student, not a pill). A type may take over others when the title holds
one of its markers (``takes_over``: "Ô tô điện … cho bé" is a toy, not a car). The words and
each brand's goods are in the catalog files (``goods:``).

Rules ask for it with the ``goods: [cosmetics, food, …]`` condition (``missing_origin`` scopes the
duty to state origin by it); price identity uses it to keep vehicles and accessories apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from crawler.detect.conditions import Condition, ListingText, MatchContext, TitleMemo
from crawler.detect.phrases import Hit, PhraseRegistry, PhraseSet
from crawler.detect.regexes import RegexSet, RuleRegex

__all__ = ["GoodsCondition", "GoodsHit", "GoodsIndex"]

_OPENERS = "[【〔(「"
_CLOSERS = "]】〕)」"
_FITMENT = re.compile(r"\b(?:cho|for|tuong thich|compatible)\b")
NOT_GOODS = "not_goods"
"""The goods type whose words mask goods words inside them ("sinh viên" holds no pill, "viên")."""


@dataclass(frozen=True, slots=True)
class GoodsHit:
    """A listing's goods type and where it was read (``title``, ``brand`` or ``category``)."""

    goods: str
    source: str
    hit: Hit | None
    """The span that names it (the goods word, the brand's name, the category word)."""


class GoodsIndex:
    """The goods words (and patterns) of the catalog, and each brand alias's goods.

    Built by the loader once the catalog files are read; :meth:`goods_of` is cached per listing
    text and per title (titles repeat).
    """

    def __init__(self, registry: PhraseRegistry) -> None:
        self.registry = registry
        self.own_registry = PhraseRegistry()
        """The goods words and takeover markers: an automaton of their own, one cheap pass over a
        title, instead of the rule set's second-tier pass over every phrase no rule anchors on."""
        self._word_goods: dict[str, str] = {}
        """Each goods word as written (its tones decide matches) → its goods type."""
        self._patterns: list[tuple[RuleRegex, str]] = []
        self._brand_goods: dict[str, str] = {}
        """Each brand alias as written → the brand's goods."""
        self.types: set[str] = set()
        """The goods types declared (by words or patterns)."""
        self._words: PhraseSet | None = None
        self._brands: PhraseSet | None = None
        self._pattern_set: RegexSet | None = None
        self._memo = TitleMemo()
        self._variant_goods: dict[int, str] = {}
        self._brand_variant_goods: dict[int, str] = {}
        self._takeovers: list[tuple[str, frozenset[str], list[str]]] = []
        self._takeover_sets: list[tuple[str, frozenset[str], PhraseSet]] = []

    # ------------------------------------------------------------------ building (loader)

    def add_words(self, goods: str, words: list[str]) -> list[str]:
        """Goods words of one type; returns the words already given to another type."""
        clashes = []
        self.types.add(goods)
        for word in words:
            key = " ".join(word.lower().split())
            owner = self._word_goods.setdefault(key, goods)
            if owner != goods:
                clashes.append(word)
        self._words = None
        return clashes

    def add_patterns(self, goods: str, patterns: list[RuleRegex]) -> None:
        """Regexes on the folded title that name goods of one type (``\\d+ ?mg``: a medicine)."""
        self.types.add(goods)
        self._patterns.extend((pattern, goods) for pattern in patterns)
        self._pattern_set = None

    def add_takeover(self, goods: str, over: frozenset[str], markers: list[str]) -> None:
        """Listings of the ``over`` types whose title holds one of ``markers`` are ``goods`` instead
        ("Ô tô điện cho bé" is a toy, not a car)."""
        self.types.add(goods)
        self._takeovers.append((goods, over, markers))
        self._words = None

    def add_brand(self, aliases: tuple[str, ...], goods: str) -> None:
        """A brand's aliases, and the goods it sells (a type the ``goods:`` words declare)."""
        for alias in aliases:
            self._brand_goods.setdefault(alias, goods)
        self._brands = None

    def brand_goods(self, aliases: tuple[str, ...]) -> str | None:
        """The goods of a brand, by its aliases (None when the catalog gives it none)."""
        return next((self._brand_goods[a] for a in aliases if a in self._brand_goods), None)

    def ready(self) -> None:
        """Register the phrase sets now (the loader calls it once the catalog files are read, so
        that the registry compiles them with everything else, not at the first listing)."""
        self._ready()

    def _ready(self) -> tuple[PhraseSet, PhraseSet, RegexSet]:
        if self._words is None or self._brands is None:
            self._words = PhraseSet(self._word_goods, self.own_registry)
            self._brands = PhraseSet(self._brand_goods, self.registry)
            # a hit names its phrase by its registry's variant id; the same written phrase is one variant
            self._variant_goods = {}
            for variant, goods in zip(self._words.variants, self._word_goods.values(), strict=True):
                self._variant_goods.setdefault(variant.id, goods)
            self._brand_variant_goods = {}
            for variant, goods in zip(self._brands.variants, self._brand_goods.values(), strict=True):
                self._brand_variant_goods.setdefault(variant.id, goods)
            self._takeover_sets = [(goods, over, PhraseSet(markers, self.own_registry))
                                   for goods, over, markers in self._takeovers]
        if self._pattern_set is None:
            self._pattern_set = RegexSet([pattern for pattern, _ in self._patterns])
        return self._words, self._brands, self._pattern_set

    # ------------------------------------------------------------------ reading

    def goods_of(self, text: ListingText) -> GoodsHit | None:
        """The listing's goods type, None when nothing names one."""
        return self._memo.get(text, lambda: self._goods_of(text))

    def _goods_of(self, text: ListingText) -> GoodsHit | None:
        found = self._head_goods(text)
        if found is not None:
            for goods, over, markers in self._takeover_sets:
                if found.goods in over and markers.finditer(text, "title"):
                    return GoodsHit(goods, found.source, found.hit)
        return found

    def _head_goods(self, text: ListingText) -> GoodsHit | None:
        words, brands, patterns = self._ready()
        title = text.raw("title")
        tag_end = _leading_tag_end(title)
        best: tuple[int, int, str, Hit] | None = None
        title_hits = words.finditer(text, "title")
        masks = [hit for hit in title_hits if self._variant_goods[hit.variant] == NOT_GOODS]
        fitment = _fitment_start(text)
        for hit in title_hits:
            if hit.start < tag_end or hit.start > fitment or any(hit.overlaps(mask) for mask in masks):
                continue
            goods = self._variant_goods[hit.variant]
            candidate = (hit.start, -(hit.end - hit.start), goods, hit)
            if best is None or candidate[:2] < best[:2]:
                best = candidate
        if self._patterns:
            prepared = text.field("title")
            for pattern in patterns.matching(prepared.folded):
                span = pattern.search(prepared.folded)
                if span is None:
                    continue
                start, end = prepared.original_span(*span)
                if start < tag_end or start > fitment:
                    continue
                goods = next(g for p, g in self._patterns if p is pattern)
                candidate = (start, -(end - start), goods, Hit("title", start, end))
                if best is None or candidate[:2] < best[:2]:
                    best = candidate
        if best is not None:
            return GoodsHit(best[2], "title", best[3])
        for name in ("title", "brand"):
            found = sorted(brands.finditer(text, name), key=lambda h: h.start)
            if found:
                return GoodsHit(self._brand_variant_goods[found[0].variant], "brand", found[0])
        category = text.raw("category")
        if category:
            hits = [h for h in words.finditer(text, "category") if self._variant_goods[h.variant] != NOT_GOODS]
            if hits:
                # the most specific segment: the last one (paths go "Sắc Đẹp > Chăm sóc da"), its first word
                last = max(hits, key=lambda h: (h.start, -(h.end - h.start)))
                return GoodsHit(self._variant_goods[last.variant], "category", last)
        return None


def _fitment_start(text: ListingText) -> int:
    """Where the title starts saying what the goods fit ("… cho xe số Wave", "… dùng cho iPhone"):
    goods words after it name the thing fitted, not the goods. The title's length when it does not."""
    prepared = text.field("title")
    found = _FITMENT.search(prepared.folded)
    if found is None:
        return len(text.raw("title"))
    return prepared.original_span(found.start(), found.end())[1]


def _leading_tag_end(title: str) -> int:
    """The end of a promotion tag the title opens with ("[Mã FMCG giảm 10%] …"), 0 when none."""
    stripped = title.lstrip()
    if not stripped or stripped[0] not in _OPENERS:
        return 0
    closer = _CLOSERS[_OPENERS.index(stripped[0])]
    end = stripped.find(closer)
    if end < 0 or end > 60:
        return 0
    return len(title) - len(stripped) + end + 1


class GoodsCondition(Condition):
    """True when the listing's goods type (:meth:`GoodsIndex.goods_of`) is one of ``goods``; its hit
    is the span that names the type."""

    def __init__(self, index: GoodsIndex, goods: frozenset[str], line: int = 0) -> None:
        self.index = index
        self.goods = goods
        self.line = line

    def cost(self) -> float:
        return 2.0

    def required_goods(self) -> frozenset[str] | None:
        return self.goods

    def evaluate(self, ctx: MatchContext) -> list[Hit] | None:
        found = self.index.goods_of(ctx.text)
        if found is None or found.goods not in self.goods:
            return None
        return [found.hit] if found.hit is not None else []
