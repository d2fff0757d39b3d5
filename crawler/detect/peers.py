"""Peer price statistics: listings of the same catalog product, summarised by median and MAD.

A listing's peer group is the catalog product named in its title (``iphone 15 pro max``,
``sua ensure gold 850g``…); accessories ("ốp lưng iPhone 15 Pro Max") and listings naming no
catalog product have no group (no category-only peers in this version: categories mix a 50k
phone case with a 30tr phone). Prices are kept per listing key, so adding the same listing again
(a re-crawl) replaces its price instead of counting it twice.

A listing is always judged against its peers *excluding itself*.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import TYPE_CHECKING

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
        self._cache: dict[str, PeerSummary] = {}

    def key_for(self, listing: Listing | ListingText) -> str | None:
        """The peer group of a listing: the catalog product key in its title, or None."""
        text = listing if isinstance(listing, ListingText) else ListingText(listing)
        found = self.index.product_in(text)
        return found.product.key if found else None

    def add(self, listing: Listing, key: str | None = None) -> str | None:
        """Count a listing's price in its group; returns the group key (None: not counted)."""
        if listing.price is None:
            return None
        key = key if key is not None else self.key_for(listing)
        if key is None:
            return None
        self._prices.setdefault(key, {})[listing.key] = listing.price
        self._cache.pop(key, None)
        return key

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
            cached = _summarise(list(prices.values()))
            self._cache[key] = cached
        if excluded is not None and excluded in prices:
            return PeerSummary(cached.count - 1, cached.median, cached.mad)
        return cached

    def keys(self) -> list[str]:
        """The groups seen so far."""
        return sorted(self._prices)

    def __len__(self) -> int:
        return sum(len(v) for v in self._prices.values())
