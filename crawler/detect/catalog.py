"""Brand and product look-up in listing text: exact aliases, fuzzy misspellings, product keys.

Exact aliases (normalised, so "G u c c i" and "ch4nel" already read "gucci" and "chanel") are one
phrase set over all brands. Misspellings the catalog does not list are found with rapidfuzz:
each word (and 2-/3-word group) of the title is compared with the catalog's longer aliases by
``process.extractOne`` with a score cutoff; results are cached per word because titles repeat
words a lot. Short aliases (under 6 letters: "lv", "dior", "nike") only ever match exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from crawler.detect.conditions import SHORT_TEXT, Hit, ListingText, PhraseSet, canonical
from crawler.detect.gates import required_literals
from crawler.detect.model import Brand, Catalog, Product

__all__ = ["FUZZY_CUTOFF", "BrandHit", "CatalogIndex", "ProductHit"]

FUZZY_CUTOFF = 88.0
"""rapidfuzz ``fuzz.ratio`` score (0–100) a word needs to count as a misspelt brand alias."""
FUZZY_MIN_ALIAS = 6
_WORD = re.compile(r"[^\W_]+")
_CACHE_LIMIT = 200_000
_WINDOW_CACHE_LIMIT = 100_000
_PLAIN_DELETE = str.maketrans("", "", "abcdefghijklmnopqrstuvwxyz ")
"""Deletes the letters a–z and spaces: what is left of a text is not in a plain alias."""


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


def _literal_gate(patterns: list[re.Pattern[str]]) -> re.Pattern[str] | None:
    """A regex that finds nothing in a text only when none of ``patterns`` can match it: one of the
    literals every match of each pattern contains (its first clause, :func:`required_literals`).
    None when some pattern has no such literal (then every text must be tried)."""
    literals: set[str] = set()
    flags = 0
    for pattern in patterns:
        clauses = required_literals(pattern)
        if not clauses:
            return None
        literals |= clauses[0]
        flags |= pattern.flags & re.IGNORECASE  # its literals are lower-cased: then look for any case
    if not literals:
        return None
    return re.compile("|".join(re.escape(literal) for literal in sorted(literals)), flags)


class CatalogIndex:
    """Compiled look-ups over a :class:`~crawler.detect.model.Catalog`."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._alias_brand: dict[str, Brand] = {}
        for brand in catalog.brands.values():
            for alias in brand.aliases:
                self._alias_brand.setdefault(canonical(alias), brand)
        self.aliases = PhraseSet(self._alias_brand)
        self._fuzzy: dict[int, list[str]] = {1: [], 2: [], 3: []}
        for alias in self._alias_brand:
            n_words = alias.count(" ") + 1
            if n_words in self._fuzzy and len(alias.replace(" ", "")) >= FUZZY_MIN_ALIAS:
                self._fuzzy[n_words].append(alias)
        self._fuzzy_cache: dict[str, str | None] = {}
        self._fuzzy_by_size: dict[tuple[int, int, int, int], list[str]] = {}
        self._plain_aliases = frozenset(a for a in self._alias_brand if not a.translate(_PLAIN_DELETE))
        """Aliases of only letters a–z and spaces (see :meth:`_fuzzy_choices`)."""
        # per alias size, a table deleting the characters its aliases use (what is left is foreign)
        self._fuzzy_alphabet = {
            n_words: str.maketrans("", "", "".join(sorted(set("".join(aliases)))))
            for n_words, aliases in self._fuzzy.items()
        }
        self._fuzzy_text_cache: dict[str, list[tuple[Brand, int, int, float]]] = {}
        self._fuzzy_window_cache: dict[tuple[str, ...], tuple[tuple[Brand, int, float], ...]] = {}
        """Fuzzy hits of the groups starting at a window's first word (see :meth:`_fuzzy_spans`)."""
        self._product_cache: dict[str, ProductHit | None] = {}
        self._brands_cache: dict[tuple[tuple[str, ...], tuple[str, ...]], list[BrandHit]] = {}
        # letter counts a word group needs to reach FUZZY_CUTOFF against some alias of its size:
        # ratio = 2·matches / (len(a) + len(b)), so the lengths may differ by (1 − c)/(1 + c) at most
        spread = (100 - FUZZY_CUTOFF) / (100 + FUZZY_CUTOFF)
        self._fuzzy_bounds: dict[int, tuple[float, float]] = {}
        for n_words, aliases in self._fuzzy.items():
            sizes = [len(a.replace(" ", "")) for a in aliases]
            if not sizes:
                self._fuzzy_bounds[n_words] = (1.0, 0.0)  # nothing can match
                continue
            low = max(FUZZY_MIN_ALIAS - 1, min(sizes) * (1 - spread) / (1 + spread) - 1)
            self._fuzzy_bounds[n_words] = (low, max(sizes) * (1 + spread) / (1 - spread) + 1)
        self._product_alias: dict[str, Product] = {}
        for product in catalog.products.values():
            for alias in product.aliases.phrases:
                self._product_alias.setdefault(canonical(alias), product)
        self.product_aliases = PhraseSet(self._product_alias)
        self._patterned = [p for p in catalog.products.values() if p.patterns]
        self._pattern_gate = _literal_gate([pattern for p in self._patterned for pattern in p.patterns])
        self.accessories = PhraseSet(catalog.accessory_words)

    # ------------------------------------------------------------------ brands

    def _brand_of(self, matched: str) -> Brand | None:
        phrase = self.aliases.which(matched)
        return self._alias_brand.get(phrase) if phrase is not None else None

    def _fuzzy_lookup(self, query: str, n_words: int) -> str | None:
        # characters no alias of this size holds (the digits of "sp0001234") can be in no common
        # subsequence: only the others can count towards the score
        usable = len(query) - len(query.translate(self._fuzzy_alphabet[n_words]))
        plain = len(query) - len(query.translate(_PLAIN_DELETE))
        choices = self._fuzzy_choices(n_words, len(query), usable, plain)
        if not choices:
            return None  # no alias can reach the cutoff: not worth a cache entry
        key = f"{n_words}|{query}"
        if key in self._fuzzy_cache:
            return self._fuzzy_cache[key]
        best = process.extractOne(query, choices, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
        found = best[0] if best else None
        if len(self._fuzzy_cache) >= _CACHE_LIMIT:
            self._fuzzy_cache.clear()
        self._fuzzy_cache[key] = found
        return found

    def _fuzzy_hits(self, text: ListingText, name: str) -> list[tuple[Brand, Hit, float]]:
        """Misspelt aliases: every group of 1–3 words (no number in it) whose letter count could
        reach the cutoff against some alias of as many words, looked up (cached) with rapidfuzz.

        The result depends on the normalised text only, so it is cached per text (titles repeat).
        """
        normalized = text.norm(name).text
        cached = self._fuzzy_text_cache.get(normalized)
        if cached is None:
            cached = self._fuzzy_spans(normalized)
            if len(self._fuzzy_text_cache) >= _CACHE_LIMIT:
                self._fuzzy_text_cache.clear()
            self._fuzzy_text_cache[normalized] = cached
        return [(brand, Hit(name, start, end), similarity) for brand, start, end, similarity in cached]

    def _fuzzy_choices(self, n_words: int, size: int, usable: int, plain: int) -> list[str]:
        """The aliases of ``n_words`` words (in catalog order) that a query of ``size`` characters,
        ``usable`` of which occur in some such alias, can reach the cutoff against:
        ratio = 200·LCS / (len a + len b) ≤ 200·min(usable, len b) / (len a + len b).
        For an alias of only letters a–z and spaces (most), ``plain`` (the query's characters among
        those) bounds the LCS more tightly: the digits of "ma sp0001234" are usable
        against "motul 7100" but not against "calvin klein".
        Leaving out the others changes no result (they cannot reach the cutoff), only the time."""
        key = (n_words, size, usable, plain)
        choices = self._fuzzy_by_size.get(key)
        if choices is None:
            choices = [
                alias for alias in self._fuzzy[n_words]
                if 200.0 * min(plain if alias in self._plain_aliases else usable, len(alias)) / (size + len(alias))
                >= FUZZY_CUTOFF - 0.5
            ]
            self._fuzzy_by_size[key] = choices
        return choices

    def _fuzzy_spans(self, normalized: str) -> list[tuple[Brand, int, int, float]]:
        """Fuzzy hits (brand, start, end, similarity) of every group of 1–3 words of a normalised text.

        Equal to :meth:`_fuzzy_spans_plain`. The hits of the groups starting at a word depend only
        on that word and the (up to) two after it, the window (fewer at the end of the text, which
        is also what stops the longer groups there): they are cached per window, as (brand, number
        of words, similarity). Unique titles ("… mã SP0001234") share nearly all their windows with
        other titles, and the windows are looked up in one ``map``; positions are only worked out
        for the rare windows with a hit.
        """
        words = _WORD.findall(normalized)
        if not words:
            return []
        windows: list[tuple[str, ...]] = list(zip(words, words[1:], words[2:], strict=False))
        if len(words) >= 2:
            windows.append((words[-2], words[-1]))
        windows.append((words[-1],))
        cache = self._fuzzy_window_cache
        found_by_window = list(map(cache.get, windows))
        if None in found_by_window:
            for i, window in enumerate(windows):
                if found_by_window[i] is None:
                    hits = self._window_hits(window)
                    if len(cache) >= _WINDOW_CACHE_LIMIT:
                        cache.clear()
                    cache[window] = found_by_window[i] = hits
        if not any(found_by_window):
            return []
        spans = [(m.start(), m.end()) for m in _WORD.finditer(normalized)]
        found: list[tuple[Brand, int, int, float]] = []
        for i, hits in enumerate(found_by_window):
            for brand, n_words, similarity in hits:  # type: ignore[union-attr]
                found.append((brand, spans[i][0], spans[i + n_words - 1][1], similarity))
        return found

    def _window_hits(self, window: tuple[str, ...]) -> tuple[tuple[Brand, int, float], ...]:
        """The fuzzy hits of the groups starting at a window's first word: (brand, words, similarity)."""
        tokens: list[tuple[str, int, int]] = []
        position = 0
        for word in window:  # positions in the words joined by spaces: only the word count is kept
            tokens.append((word, position, position + len(word)))
            position += len(word) + 1
        ends = {end: n for n, (_, _, end) in enumerate(tokens, start=1)}
        return tuple((brand, ends[end], similarity) for brand, _, end, similarity in self._spans_from(tokens, 0))

    def _fuzzy_spans_plain(self, normalized: str) -> list[tuple[Brand, int, int, float]]:
        """The plain definition of :meth:`_fuzzy_spans`: the groups starting at each word in turn."""
        tokens = [(m.group(0), m.start(), m.end()) for m in _WORD.finditer(normalized)]
        found: list[tuple[Brand, int, int, float]] = []
        for i in range(len(tokens)):
            found.extend(self._spans_from(tokens, i))
        return found

    def _spans_from(self, tokens: list[tuple[str, int, int]], i: int) -> list[tuple[Brand, int, int, float]]:
        """Fuzzy hits of the groups of 1, 2, 3 words (no number in them) starting at word ``i``:
        each group whose letter count could reach the cutoff against some alias of as many words
        and that is not itself an alias is looked up (cached) with rapidfuzz."""
        found: list[tuple[Brand, int, int, float]] = []
        count = len(tokens)
        bounds = self._fuzzy_bounds
        alias_brand = self._alias_brand
        first, start, _ = tokens[i]
        if first.isdigit():
            return found
        query = first
        letters = len(first)
        for n_words in (1, 2, 3):
            if n_words > 1:
                j = i + n_words - 1
                if j >= count or tokens[j][0].isdigit():
                    break
                query = f"{query} {tokens[j][0]}"
                letters += len(tokens[j][0])
            low, high = bounds[n_words]
            if letters < low or letters > high or query in alias_brand:
                continue
            alias = self._fuzzy_lookup(query, n_words)
            if alias is None:
                continue
            similarity = fuzz.ratio(query, alias) / 100.0
            found.append((alias_brand[alias], start, tokens[i + n_words - 1][2], similarity))
        return found

    def brands_in(self, text: ListingText, fields: tuple[str, ...] = ("title", "brand")) -> list[BrandHit]:
        """Brands named in the fields: exact (normalised) aliases first, then fuzzy misspellings.

        The result depends on the fields' texts alone: cached per texts when they are short
        (titles and brands repeat). Do not modify the returned hits.
        """
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
            brand = self._brand_of(text.hit_text(hit))
            if brand is None:
                continue
            entry = by_brand.get(brand.name)
            if entry is None:
                by_brand[brand.name] = BrandHit(brand, [hit], 1.0, False)
            else:
                entry.hits.append(hit)
        for name in fields:
            if name not in ("title", "brand"):
                continue
            for brand, hit, similarity in self._fuzzy_hits(text, name):
                entry = by_brand.get(brand.name)
                if entry is None:
                    by_brand[brand.name] = BrandHit(brand, [hit], similarity, False)
                elif entry.similarity < 1.0:
                    entry.hits.append(hit)
                    entry.similarity = max(entry.similarity, similarity)
        result: list[BrandHit] = []
        for entry in by_brand.values():
            brand = entry.brand
            if brand.not_with is not None and brand.not_with.find(text, ("title",)):
                continue
            if entry.similarity >= 1.0:
                entry.evasive = not self._plainly_named(text, brand, {h.field for h in entry.hits})
            result.append(entry)
        return result

    def _plainly_named(self, text: ListingText, brand: Brand, fields: set[str]) -> bool:
        """True when the brand is spelt plainly (found in the merely folded text)."""
        for name in fields:
            for match in self.aliases.finditer_plain(text.folded(name)):
                if self._brand_of(match.group(0)) is brand:
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

    def floor_for(self, text: ListingText, brand: Brand, product: ProductHit | None) -> int | None:
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
            phrase = self.product_aliases.which(text.hit_text(hit))
            product = self._product_alias.get(phrase) if phrase is not None else None
            if product is not None and (best is None or hit.end - hit.start > best.hit.end - best.hit.start):
                best = ProductHit(product, hit)
        title = text.norm("title").text
        gate = self._pattern_gate
        for product in self._patterned if gate is None or gate.search(title) else ():
            for pattern in product.patterns:
                match = pattern.search(title)
                if match and (best is None or match.end() - match.start() > best.hit.end - best.hit.start):
                    best = ProductHit(product, Hit("title", match.start(), match.end()))
        if best is None:
            return None
        if self.accessories.find(text, ("title",)):
            return None
        exclude = best.product.exclude
        if exclude is not None and exclude.find(text, ("title",)):
            return None
        return best
