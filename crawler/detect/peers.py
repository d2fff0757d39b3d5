"""Peer price statistics: listings of the same product, summarised by median and MAD.

A listing's peer group is, in order:

1. the catalog product named in its title (``iphone 15 pro max``, ``sua ensure gold 850g``…);
2. otherwise a cluster of similar titles (``title:`` keys): the title's significant words
   (marketing words like "chính hãng", "giá sốc" dropped) compared with rapidfuzz
   ``token_sort_ratio`` against the clusters that share its first two words.

Accessories ("ốp lưng iPhone 15 Pro Max") have no group; neither do categories alone (a category
mixes a 50k phone case with a 30tr phone). Unit and currency sanity: only VND prices of at least
1,000₫ count (``1₫``/"liên hệ" placeholders and foreign currencies stay out). Prices are kept per
listing key, so adding the same listing again (a re-crawl, or the store's copy then the fresh one)
replaces its price — and moves it when its title now belongs to another group — instead of
counting it twice.

A listing is always judged against its peers *excluding itself*.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rapidfuzz import fuzz, process

from crawler.detect.conditions import ListingText
from crawler.items import Listing

if TYPE_CHECKING:
    from crawler.detect.catalog import CatalogIndex
    from crawler.detect.model import RuleSet

__all__ = ["PeerStats", "PeerSummary"]

_EXACT_LIMIT = 50
"""Up to this many peers the summary without the listing is computed exactly; above, the cached
group median and MAD are used with the count reduced by one (one price in 50+ moves neither
measurably), so a batch stays linear in its size."""


MIN_PRICE = 1_000
"""Prices under this (VND) are placeholders or typed in thousands: never peers, never judged."""
TITLE_PREFIX = "title:"
CLUSTER_CUTOFF = 80.0
"""rapidfuzz ``token_sort_ratio`` a title's significant words need against a cluster's."""
CLUSTER_WORDS = 8
_BLOCK_LIMIT = 300
_NOISE = frozenset([
    "moi", "chinh", "hang", "gia", "re", "soc", "sale", "giam", "khuyen", "mai", "freeship", "ship", "nhanh", "hot",
    "new", "tot", "nhat", "uy", "tin", "cao", "cap", "sieu", "dep", "xin", "mau", "chuan", "loai", "1", "100",
    "full", "box", "fullbox", "seal", "nguyen", "bao", "hanh", "thang", "nam", "ngay", "hom", "nay", "chi", "co",
    "san", "tang", "kem", "qua", "ban", "tai", "kho", "xa", "thanh", "ly", "gap", "duy", "nhat", "dac", "biet",
    "rat", "the", "va", "cho", "cua", "voi"
])
"""Marketing and filler words left out of title clusters."""


def usable_price(listing: Listing) -> bool:
    """Whether a listing's price can be compared: VND, at least :data:`MIN_PRICE`."""
    price, currency = listing.price, listing.currency
    return price is not None and price >= MIN_PRICE and (currency == "VND" or currency.upper() == "VND")


def title_signature(text: ListingText) -> str | None:
    """The significant words of a title (at most :data:`CLUSTER_WORDS`), None when too few."""
    normalized = text.field("title").search
    if normalized in _SIGNATURES:
        return _SIGNATURES[normalized]
    words = [w for w in text.words("title") if w not in _NOISE]
    words = words[:CLUSTER_WORDS]
    signature = " ".join(words) if len(words) >= 3 else None
    if len(_SIGNATURES) >= _SIGNATURES_LIMIT:
        _SIGNATURES.clear()
    _SIGNATURES[normalized] = signature
    return signature


_UNSETTLED = object()
_TITLE_KEYS_LIMIT = 200_000
_SIGNATURES: dict[str, str | None] = {}
"""Signatures by normalised title: titles repeat across listings."""
_SIGNATURES_LIMIT = 100_000


def _sorted_words(signature: str) -> str:
    """A signature's words sorted (what ``fuzz.token_sort_ratio`` compares)."""
    return " ".join(sorted(signature.split()))


@dataclass(frozen=True, slots=True)
class PeerSummary:
    """Count, median and median absolute deviation of a peer group's prices (VND)."""

    count: int
    median: float | None
    mad: float | None


def _summarise(prices: list[int]) -> PeerSummary:
    if not prices:
        return PeerSummary(0, None, None)
    median = statistics.median(prices)
    mad = statistics.median(abs(p - median) for p in prices)
    return PeerSummary(len(prices), float(median), float(mad))


class PeerStats:
    """Prices of listings grouped by catalog product key.

    Build one per batch (``detector.new_peer_stats()`` or ``PeerStats(ruleset)``), ``add`` every
    listing, then pass it to ``Detector.detect``.
    """

    def __init__(self, ruleset: RuleSet, index: CatalogIndex | None = None) -> None:
        from crawler.detect.catalog import CatalogIndex

        self.ruleset = ruleset
        self.index = index if index is not None else CatalogIndex(ruleset.catalog)
        self._prices: dict[str, dict[str, int]] = {}
        self._cache: dict[str, tuple[PeerSummary, PeerSummary]] = {}
        """Per group: its summary, and the same less one listing (for a member of a large group)."""
        self._group_of: dict[str, str] = {}
        self._blocks: dict[str, list[str]] = {}
        self._clustered: set[str] = set()
        self._title_keys: dict[str, str | None] = {}
        """Settled group keys by title (see :meth:`_find_key`): titles repeat across listings."""
        """The signatures that founded a cluster (of any block)."""
        self._sorted_blocks: dict[str, list[str]] = {}
        self._names: dict[str, str] = {}

    def key_for(self, listing: Listing | ListingText) -> str | None:
        """The peer group of a listing: its catalog product key, else its title cluster (``title:…``).

        A listing already added keeps the group it was counted in.
        """
        text = listing if isinstance(listing, ListingText) else ListingText(listing)
        known = self._group_of.get(text.listing.key)
        if known is not None:
            return known
        return self._compute_key(text, assign=False)

    def _compute_key(self, text: ListingText, assign: bool) -> str | None:
        title = text.raw("title")
        known = self._title_keys.get(title, _UNSETTLED)
        if known is not _UNSETTLED:
            return known
        key, settled = self._find_key(text, assign)
        if settled:
            if len(self._title_keys) >= _TITLE_KEYS_LIMIT:
                self._title_keys.clear()
            self._title_keys[title] = key
        return key

    def _find_key(self, text: ListingText, assign: bool) -> tuple[str | None, bool]:
        """The group key, and whether it is settled: the same for this title from now on (a
        catalog product, no group, or a cluster this title founded or is the founder of), not
        the nearest of the clusters so far."""
        found = self.index.product_in(text)
        if found is not None:
            self._names.setdefault(found.product.key, found.product.name or found.product.key)
            return found.product.key, True
        if self.index.accessories.find(text, ("title",)):
            return None, True
        signature = title_signature(text)
        if signature is None:
            return None, True
        if signature in self._clustered:
            return TITLE_PREFIX + signature, True
        block_key = " ".join(signature.split(" ", 2)[:2])
        block = self._blocks.get(block_key, [])
        # token_sort_ratio(a, b) is ratio(sorted words of a, sorted words of b): the block keeps
        # its signatures with sorted words too, so they are not split and sorted on every look-up
        sorted_block = self._sorted_blocks.get(block_key, [])
        best = process.extractOne(_sorted_words(signature), sorted_block, scorer=fuzz.ratio,
                                  score_cutoff=CLUSTER_CUTOFF)
        if best is not None:
            return TITLE_PREFIX + block[best[2]], False
        if assign and len(block) < _BLOCK_LIMIT:
            self._clustered.add(signature)
            self._blocks.setdefault(block_key, []).append(signature)
            self._sorted_blocks.setdefault(block_key, []).append(_sorted_words(signature))
            self._names[TITLE_PREFIX + signature] = text.raw("title")
            return TITLE_PREFIX + signature, True
        return (TITLE_PREFIX + signature if assign else None), False

    def name_of(self, key: str) -> str:
        """A readable name of a group: the catalog product, or the first title of a cluster."""
        return self._names.get(key, key.removeprefix(TITLE_PREFIX))

    def add(self, listing: Listing, key: str | None = None, *, text: ListingText | None = None) -> str | None:
        """Count a listing's price in its group; returns the group key (None: not counted).

        The same listing (``platform:listing_id``) added again replaces its earlier price, and
        leaves its earlier group if it now belongs to another. ``text`` is the listing's
        :class:`ListingText` when the caller has one (its normalised title is then reused).
        """
        listing_key = listing.key
        previous = self._group_of.get(listing_key)
        if not usable_price(listing):
            if previous is not None:
                self._remove(listing_key, previous)
            return None
        if key is None:
            key = self._compute_key(text if text is not None else ListingText(listing), assign=True)
        if previous is not None and previous != key:
            self._remove(listing_key, previous)
        if key is None:
            return None
        self._prices.setdefault(key, {})[listing_key] = listing.price  # type: ignore[assignment]
        self._group_of[listing_key] = key
        self._cache.pop(key, None)
        return key

    def _remove(self, listing_key: str, group: str) -> None:
        prices = self._prices.get(group)
        if prices is not None:
            prices.pop(listing_key, None)
            if not prices:
                del self._prices[group]
        self._group_of.pop(listing_key, None)
        self._cache.pop(group, None)

    def summary(self, key: str, exclude: Listing | str | None = None) -> PeerSummary:
        """The group's price summary, without the ``exclude`` listing (a Listing or its key).

        An unknown key gives ``PeerSummary(0, None, None)``.
        """
        prices = self._prices.get(key)
        if not prices:
            return PeerSummary(0, None, None)
        excluded = exclude.key if isinstance(exclude, Listing) else exclude
        if excluded is not None and excluded in prices and len(prices) <= _EXACT_LIMIT:
            return _summarise([p for k, p in prices.items() if k != excluded])
        cached = self._cache.get(key)
        if cached is None:
            full = _summarise(list(prices.values()))
            cached = (full, PeerSummary(full.count - 1, full.median, full.mad))
            self._cache[key] = cached
        return cached[1] if excluded is not None and excluded in prices else cached[0]

    def keys(self) -> list[str]:
        """The groups seen so far."""
        return sorted(self._prices)

    def __len__(self) -> int:
        return sum(len(v) for v in self._prices.values())
