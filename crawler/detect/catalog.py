"""Brand and product look-up in listing text: exact aliases, fuzzy misspellings, product keys.

Aliases (brand names, model names and abbreviations that stand for the brand) are phrases of the
rule set's registry, so they are found with every evasion undone ("G u c c i", "Gu.cci", "ch4nel",
"𝐕𝐀𝐍𝐒"). Misspellings the catalog does not list ("Balenciga", "Louis Vuiton") are found with
rapidfuzz: a word of the title that is no word of any rule, at least :data:`FUZZY_MIN_WORD` letters
long, is looked up in a deletion index of the aliases' long words (each word and the word with one
letter deleted: a misspelling with one letter wrong, missing or added shares one of them), and the
candidates are scored with ``fuzz.ratio`` (≥ :data:`FUZZY_CUTOFF`). Corrected words make a second
stream of the field, searched for aliases like the first. Results are cached per word: titles
repeat words a lot.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rapidfuzz import fuzz

from crawler.detect.fields import BREAK, WORD, FieldText, Stream, vietnamese_shaped
from crawler.detect.model import Brand, Catalog, Product
from crawler.detect.phrases import SHORT_TEXT, Hit, PhraseRegistry, PhraseSet, canonical
from crawler.detect.regexes import RegexSet
from crawler.text import LOOKALIKE_LETTERS, fold, spelling

if TYPE_CHECKING:
    from crawler.detect.conditions import ListingText

__all__ = ["FUZZY_CUTOFF", "BrandHit", "CatalogIndex", "ProductHit"]

_HIDDEN = re.compile("[" + "".join(LOOKALIKE_LETTERS) + "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e"
                     "\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]")
"""Look-alike Cyrillic/Greek letters and invisible characters: a brand spelt with them hides from filters."""

FUZZY_CUTOFF = 88.0
"""rapidfuzz ``fuzz.ratio`` score (0–100) a word needs to count as a misspelt alias word."""
FUZZY_MIN_ALIAS = 6
"""Alias words (and aliases run together) shorter than this only ever match exactly ("lv", "dior", "nike")."""
FUZZY_MIN_WORD = FUZZY_MIN_ALIAS - 1
_CACHE_LIMIT = 200_000


@dataclass(slots=True)
class BrandHit:
    """A brand found in a listing: where, how sure (1.0 exact), and whether spelt evasively."""

    brand: Brand
    hits: list[Hit]
    similarity: float
    evasive: bool


@dataclass(slots=True)
class ProductHit:
    """A catalog product found in a listing's title."""

    product: Product
    hit: Hit


def _deletions(word: str) -> set[str]:
    """The word, and the word with one letter deleted; with two deleted too for a word long enough
    that fuzz.ratio can stay over the cutoff two letters off (ratio = 1 − indel / (len a + len b))."""
    once = {word[:i] + word[i + 1:] for i in range(len(word))}
    found = {word, *once}
    if len(word) >= _TWO_OFF:
        found.update(w[:i] + w[i + 1:] for w in once for i in range(len(w)))
    return found


_TWO_OFF = 8
"""From this length on a word may be two letters off an alias word within the cutoff (8 + 10 letters:
1 − 2/18 ≥ 0.88)."""


class CatalogIndex:
    """Compiled look-ups over a :class:`~crawler.detect.model.Catalog`."""

    def __init__(self, catalog: Catalog, registry: PhraseRegistry | None = None) -> None:
        self.catalog = catalog
        self.registry = registry if registry is not None else PhraseRegistry()
        self._alias_brand: dict[str, Brand] = {}
        written: list[str] = []
        for brand in catalog.brands.values():
            for alias in brand.aliases:
                if self._alias_brand.setdefault(canonical(alias), brand) is brand:
                    written.append(alias)
        self.aliases = PhraseSet(written, self.registry)
        self._product_alias: dict[str, Product] = {}
        for product in catalog.products.values():
            for alias in product.aliases.phrases:
                self._product_alias.setdefault(canonical(alias), product)
        self.product_aliases = PhraseSet(self._product_alias, self.registry)
        self._pattern_owner = {id(pattern): product for product in catalog.products.values()
                               for pattern in product.patterns}
        self._patterns = RegexSet([pattern for product in catalog.products.values() for pattern in product.patterns])
        self.accessories = PhraseSet(catalog.accessory_words, self.registry)
        # the deletion index of long alias words, and of multi-word aliases run together
        self._deletes: dict[str, list[str]] = {}
        long_words: set[str] = set()
        for alias in self._alias_brand:
            words = alias.split(" ")
            long_words.update(w for w in words if len(w) >= FUZZY_MIN_ALIAS and w.isalpha())
            joined = "".join(words)
            if len(words) > 1 and len(joined) >= FUZZY_MIN_ALIAS and joined.isalpha():
                long_words.add(joined)
        for word in sorted(long_words):
            for key in _deletions(word):
                self._deletes.setdefault(key, []).append(word)
        self._fuzzy_cache: dict[str, str | None] = {}
        self._brands_cache: dict[tuple[tuple[str, ...], tuple[str, ...]], list[BrandHit]] = {}
        self._product_cache: dict[str, ProductHit | None] = {}

    # ------------------------------------------------------------------ brands

    def brand_of(self, hit: Hit) -> Brand | None:
        """The brand whose alias a hit found."""
        return self._alias_brand.get(self.aliases.canonical_of(hit))

    def fuzzy_word(self, word: str) -> str | None:
        """The alias word a misspelt word stands for (None: none close enough). Cached."""
        cache = self._fuzzy_cache
        if word in cache:
            return cache[word]
        best, best_score = None, FUZZY_CUTOFF
        candidates: set[str] = set()
        deletes = self._deletes
        for key in _deletions(word):
            candidates.update(deletes.get(key, ()))
        candidates.discard(word)
        for candidate in sorted(candidates):
            score = fuzz.ratio(word, candidate)
            if score >= best_score:
                best, best_score = candidate, score
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        cache[word] = best
        return best

    def _fuzzy_hits(self, prepared: FieldText, name: str) -> list[tuple[Hit, float]]:
        """Aliases found once misspelt words are corrected (each with its similarity): the words of
        the field that are no word of any rule, and the words the alternative stream ran together
        from pieces ("Chan.nel" → "channel" → "chanel")."""
        vocabulary = self.registry.vocabulary
        found = self._corrected_hits(prepared, prepared.main, name, lambda index, word: word not in vocabulary)
        alternative = prepared.alternative(vocabulary)
        if alternative is not None and alternative.joined is not None:
            joined = alternative.joined
            found += self._corrected_hits(prepared, alternative, name, lambda index, word: joined[index])
        return found

    def _corrected_hits(self, prepared: FieldText, stream: Stream, name: str,
                        eligible: Callable[[int, str], bool]) -> list[tuple[Hit, float]]:
        """The aliases a stream spells once its eligible misspelt words are corrected."""
        words = [item for item in stream.search.split() if item != BREAK]
        corrected: dict[int, str] = {}
        for index, word in enumerate(words):
            if len(word) >= FUZZY_MIN_WORD and word.isalpha() and eligible(index, word):
                found = self.fuzzy_word(word)
                if found is not None:
                    corrected[index] = found
        if not corrected:
            return []
        items: list[str] = []
        index = 0
        for item in stream.search.split():
            if item == BREAK:
                items.append(item)
                continue
            items.append(corrected.get(index, item))
            index += 1
        fixed = Stream(" " + " ".join(items) + " ", stream.spans, [i in corrected for i in range(len(words))])
        ids = self.aliases.ids
        found_hits: list[tuple[Hit, float]] = []
        for hit in self.registry.search_stream(prepared, fixed, name):
            if hit.variant not in ids:
                continue
            variant = self.registry.variants[hit.variant]
            # a phrase found run together ("louisvuitton") covers one word of the stream
            run_together = len(variant.words) > 1 and corrected.get(hit.word, words[hit.word]) == "".join(variant.words)
            covered = range(hit.word, min(hit.word + (1 if run_together else len(variant.words)), len(words)))
            if not any(i in corrected for i in covered):
                continue
            written = "".join(words[i] for i in covered)
            similarity = fuzz.ratio(written, "".join(variant.words)) / 100.0
            found_hits.append((Hit(hit.field, hit.start, hit.end, hit.variant, hit.word, stream is not prepared.main),
                               similarity))
        return found_hits

    def brands_in(self, text: ListingText, fields: tuple[str, ...] = ("title", "brand")) -> list[BrandHit]:
        """Brands named in the fields: exact aliases (any spelling the matcher undoes), then fuzzy
        misspellings. Cached per texts when they are short (titles repeat). Do not modify the hits."""
        raws = tuple(text.raw(name) for name in fields)
        if sum(map(len, raws)) > SHORT_TEXT:
            return self._brands_in(text, fields)
        key = (fields, raws)
        found = self._brands_cache.get(key)
        if found is None:
            found = self._brands_in(text, fields)
            if len(self._brands_cache) >= _CACHE_LIMIT:
                self._brands_cache.clear()
            self._brands_cache[key] = found
        return found

    def _brands_in(self, text: ListingText, fields: tuple[str, ...]) -> list[BrandHit]:
        by_brand: dict[str, BrandHit] = {}
        for hit in self.aliases.find(text, fields):
            brand = self.brand_of(hit)
            if brand is None:
                continue
            entry = by_brand.get(brand.name)
            if entry is None:
                by_brand[brand.name] = entry = BrandHit(brand, [], 1.0, True)
            entry.hits.append(hit)
            entry.evasive = entry.evasive and self._evasive(text, hit)  # evasive where never written plainly
        for name in fields:
            if not text.raw(name):
                continue
            # per field of the listing: the identity asks for the title's brands, the scores for
            # the title's and the brand field's
            key = (id(self), "fuzzy", name)
            fuzzy = text.memo.get(key)
            if fuzzy is None:
                fuzzy = text.memo[key] = self._fuzzy_hits(text.field(name), name)
            for hit, similarity in fuzzy:  # type: ignore[attr-defined]
                brand = self.brand_of(hit)
                if brand is None:
                    continue
                entry = by_brand.get(brand.name)
                if entry is None:
                    by_brand[brand.name] = BrandHit(brand, [hit], similarity, False)
                elif entry.similarity < 1.0:
                    entry.hits.append(hit)
                    entry.similarity = max(entry.similarity, similarity)
        return [
            entry for entry in by_brand.values()
            if entry.brand.not_with is None or not entry.brand.not_with.find(text, ("title",))
        ]

    @staticmethod
    def _evasive(text: ListingText, hit: Hit) -> bool:
        """Whether the seller spelt the alias to get past filters: letters spaced or dotted apart,
        a word split by symbols, digits for letters, teencode (found in the stream with evasions
        undone), look-alike Cyrillic or Greek letters, zero-width characters, accents on a word
        that is no Vietnamese syllable ("MineCráft", "Ádidas"). Fancy or fullwidth letters and
        "Honđa" are style, not evasion."""
        if hit.alternative:
            return True
        span = text.raw(hit.field)[hit.start:hit.end]
        if _HIDDEN.search(span) is not None:
            return True
        if span.isascii():
            return False
        for word in WORD.findall(spelling(span)):
            plain = fold(word)
            if word.replace("đ", "d") != plain and not vietnamese_shaped(plain):
                return True
        return False

    # ------------------------------------------------------------------ official sellers, floors

    @staticmethod
    def is_official(text: ListingText, brand: Brand) -> bool:
        """The platform marks the seller official, or the seller is one of the brand's stores."""
        if text.listing.seller.official:
            return True
        if brand.official_sellers and brand.official_sellers.find(text, ("seller",)):
            return True
        on_platform = brand.official_by_platform.get(text.listing.platform)
        return on_platform is not None and bool(on_platform.find(text, ("seller",)))

    @staticmethod
    def floor_for(text: ListingText, brand: Brand, product: ProductHit | None) -> int | None:
        """The highest price floor that applies (brand floors in scope, the product's floor)."""
        floors = [
            minimum for scope, minimum in brand.floors
            if scope is None or scope.find(text, ("title",))
        ]
        if product is not None and product.product.floor and product.product.brand == brand.name:
            floors.append(product.product.floor)
        return max(floors) if floors else None

    # ------------------------------------------------------------------ products

    def product_in(self, text: ListingText) -> ProductHit | None:
        """The catalog product named in the title (the longest match); None for accessories.

        Computed once per listing text (the peer pass and the flag pass share it).
        """
        key = (id(self), "product")
        if key in text.memo:
            return text.memo[key]  # type: ignore[return-value]
        title = text.raw("title")
        if len(title) <= SHORT_TEXT:  # it depends on the title alone; titles repeat
            if title in self._product_cache:
                found = self._product_cache[title]
            else:
                found = self._product_in(text)
                if len(self._product_cache) >= _CACHE_LIMIT:
                    self._product_cache.clear()
                self._product_cache[title] = found
        else:
            found = self._product_in(text)
        text.memo[key] = found
        return found

    def _product_in(self, text: ListingText) -> ProductHit | None:
        best: ProductHit | None = None
        for hit in self.product_aliases.finditer(text, "title"):
            product = self._product_alias.get(self.product_aliases.canonical_of(hit))
            if product is not None and (best is None or hit.end - hit.start > best.hit.end - best.hit.start):
                best = ProductHit(product, hit)
        prepared = text.field("title")
        for pattern in self._patterns.matching(prepared.folded):  # one RE2 pass for every product pattern
            span = pattern.search(prepared.folded)
            if span is not None and (best is None or span[1] - span[0] > best.hit.end - best.hit.start):
                start, end = prepared.original_span(*span)
                best = ProductHit(self._pattern_owner[id(pattern)], Hit("title", start, end))
        if best is None:
            return None
        if self.accessories.find(text, ("title",)):
            return None
        exclude = best.product.exclude
        if exclude is not None and exclude.find(text, ("title",)):
            return None
        return best
