"""Peer price statistics: listings of the same product, each seller counted once.

A listing's group is its product identity (:mod:`crawler.detect.identity`: model + variant, + model
year for vehicles); a title that names no one product has no group. Within a group every seller
counts once, at the median of its own listings' prices: a shop with thirty copies of one template
ad at a third of the market moves the median as much as any other shop, no more. Judging a listing
leaves the listing itself out (its seller still counts when it has other listings in the group).

Only comparable prices count: VND, at least 1,000 đ, and no placeholder
(:mod:`crawler.detect.placeholders`: "1đ", "123.456.789", a motorbike at 1.250 đ…).

Prices are kept per listing key, so adding the same listing again (a re-crawl, the store's copy
then the fresh one) replaces its price, and moves it when its title now names another product.

Stored groups: a crawl does not read the store's listings. ``stored`` (the store's
``peer_groups``) gives the summaries the store keeps per group, fetched once per group. A small
group comes with its members (``PeerGroup.members``): they are merged with this batch's listings
(a listing the batch has met counts as the batch has it: its price now, its group now, or not at
all) and the judged listing is left out exactly, as for a batch's own group; so a crawl judges a
listing at crawl time as it does at the end of the run, from the same listings. A large group comes
as a summary only: it is used when it has more sellers than this batch has seen, its count less
one (the listing being judged may be among them).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from crawler.detect.conditions import ListingText
from crawler.detect.identity import Identity, IdentityReader
from crawler.detect.placeholders import PlaceholderCheck
from crawler.items import Listing, PeerGroup
from crawler.text import fold

if TYPE_CHECKING:
    from crawler.detect.catalog import CatalogIndex, ProductHit
    from crawler.detect.model import RuleSet

__all__ = ["MIN_PRICE", "SAMPLE_SIZE", "PeerStats", "StoredGroups", "member_seller", "seller_id", "usable_price"]

MIN_PRICE = 1_000
"""Prices under this (VND) are placeholders or typed in thousands: never peers, never judged."""
SAMPLE_SIZE = 5
"""Peers a group's summary names, for an inspector to look at."""
_EXACT_LIMIT = 50
"""Up to this many sellers a summary without one listing is computed exactly; above, the cached
group summary is used with one seller fewer (one seller in 50+ moves neither median nor MAD
measurably), so a batch stays linear in its size."""

StoredGroups = Callable[[list[str]], dict[str, PeerGroup]]
"""The store's price summaries of some groups, by key (``Store.peer_groups``)."""


def usable_price(listing: Listing) -> bool:
    """Whether a listing's price can be compared: VND, at least :data:`MIN_PRICE`."""
    price, currency = listing.price, listing.currency
    return price is not None and price >= MIN_PRICE and (currency == "VND" or currency.upper() == "VND")


def seller_id(listing: Listing) -> str:
    """Who a listing's price counts for: the platform's seller id, else the seller's folded name on
    that platform, else the listing itself (an unnamed seller is one of its own)."""
    seller = listing.seller
    if seller.platform_id:
        return f"{listing.platform}:id:{seller.platform_id}"
    if seller.name and seller.name.strip():
        return f"{listing.platform}:{' '.join(fold(seller.name).split())}"
    return f"listing:{listing.key}"


def member_seller(listing_key: str, seller: str, label: str) -> str:
    """:func:`seller_id` of a stored member (``PeerGroup.members``: the store's seller identity,
    :func:`crawler.store.base.seller_key`, and its label, the seller's name else its id)."""
    platform, _, listing_id = listing_key.partition(":")
    if seller == f"{platform}:listing:{listing_id}":  # the store's listing without a seller
        return f"listing:{listing_key}"
    if seller == f"{platform}:name:{label}":  # known by name only
        return f"{platform}:{' '.join(fold(label).split())}" if label.strip() else f"listing:{listing_key}"
    return f"{platform}:id:{seller[len(platform) + 1:]}"


def _summarise(key: str, entries: dict[str, tuple[str, str, int]], exclude: str | None) -> PeerGroup:
    """A group's summary from its listings' (seller id, seller name, price), one listing left out."""
    by_seller: dict[str, list[int]] = {}
    sample: list[tuple[str, str, int]] = []
    listings = 0
    for listing_key, (seller, name, price) in entries.items():
        if listing_key == exclude:
            continue
        listings += 1
        prices = by_seller.setdefault(seller, [])
        if not prices and len(sample) < SAMPLE_SIZE:
            sample.append((listing_key, name, price))
        prices.append(price)
    if not by_seller:
        return PeerGroup(key=key, listings=0, sellers=0)
    points = [statistics.median(prices) for prices in by_seller.values()]
    median = float(statistics.median(points))
    mad = float(statistics.median(abs(p - median) for p in points))
    return PeerGroup(key=key, listings=listings, sellers=len(points), median=median, mad=mad, sample=sample)


class PeerStats:
    """Prices of listings grouped by product identity, each seller counted once.

    Build one per batch (``detector.new_peer_stats()``), ``add`` every listing, then pass it to
    ``Detector.detect``. ``stored``: the store's summaries (see the module's docstring).
    """

    def __init__(self, ruleset: RuleSet, index: CatalogIndex | None = None, *,
                 stored: StoredGroups | None = None, identities: IdentityReader | None = None,
                 placeholders: PlaceholderCheck | None = None) -> None:
        from crawler.detect.catalog import CatalogIndex

        self.ruleset = ruleset
        self.index = index if index is not None else CatalogIndex(ruleset.catalog, ruleset.registry)
        self.identities = identities if identities is not None else IdentityReader(self.index, ruleset.catalog.goods)
        if placeholders is None:
            config = next((r.price for r in ruleset.rules_of("price_anomaly")
                           if r.price is not None and r.price.direction == "placeholder"), None)
            placeholders = PlaceholderCheck(config, self.index, self.identities)
        self.placeholders = placeholders
        self.stored = stored
        self._entries: dict[str, dict[str, tuple[str, str, int]]] = {}
        """Per group: listing key → (seller id, seller name, price)."""
        self._group_of: dict[str, str] = {}
        self._cache: dict[str, PeerGroup] = {}
        self._stored_cache: dict[str, PeerGroup | None] = {}
        self._met: set[str] = set()
        """Every listing key added (its stored membership no longer counts)."""
        self._stored_member_of: dict[str, str] = {}
        """Listing key → the stored group with members that lists it."""
        self._merged: dict[str, tuple[dict[str, tuple[str, str, int]], dict[str, PeerGroup]]] = {}
        """Per stored group with members: its entries merged with this batch's, and their summary cache."""

    # ------------------------------------------------------------------ identity

    def identity(self, listing: Listing | ListingText, product: ProductHit | None = None) -> Identity | None:
        """The listing's product identity (None: its title names no one product)."""
        text = listing if isinstance(listing, ListingText) else ListingText(listing)
        return self.identities.identity(text, product)

    def key_for(self, listing: Listing | ListingText) -> str | None:
        """The listing's peer group key (its identity's key), None when it has none."""
        found = self.identity(listing)
        return found.key if found is not None else None

    # ------------------------------------------------------------------ counting

    def add(self, listing: Listing, key: str | None = None, *, text: ListingText | None = None) -> str | None:
        """Count a listing's price in its group; returns the group key (None: not counted).

        Sets ``listing.peer_key`` (its identity, whatever its price). The same listing
        (``platform:listing_id``) added again replaces its earlier price, and leaves its earlier
        group if it now belongs to another. ``text``: the listing's :class:`ListingText` when the
        caller has one.
        """
        if text is None or text.listing is not listing:
            text = ListingText(listing)
        if key is None:
            key = self.key_for(text)
        listing.peer_key = key
        listing_key = listing.key
        if listing_key not in self._met:
            self._met.add(listing_key)
            stored_group = self._stored_member_of.get(listing_key)
            if stored_group is not None:
                self._merged.pop(stored_group, None)  # its stored copy no longer counts there
        previous = self._group_of.get(listing_key)
        if previous is not None and previous != key:
            self._remove(listing_key, previous)
        if key is None or not usable_price(listing) or self.placeholders.reason_for(text) is not None:
            if previous is not None:
                self._remove(listing_key, previous)
            return None
        self._entries.setdefault(key, {})[listing_key] = (
            seller_id(listing), listing.seller.name or listing.seller.platform_id or "", listing.price)  # type: ignore[assignment]
        self._group_of[listing_key] = key
        self._cache.pop(key, None)
        self._merged.pop(key, None)
        return key

    def _remove(self, listing_key: str, group: str) -> None:
        entries = self._entries.get(group)
        if entries is not None:
            entries.pop(listing_key, None)
            if not entries:
                del self._entries[group]
        self._group_of.pop(listing_key, None)
        self._cache.pop(group, None)
        self._merged.pop(group, None)

    # ------------------------------------------------------------------ summaries

    def summary(self, key: str, exclude: Listing | str | None = None) -> PeerGroup:
        """The group's price summary without the ``exclude`` listing (a Listing or its key):
        distinct sellers, their median and MAD, a few of the peers. An unknown group has 0 sellers."""
        excluded = exclude.key if isinstance(exclude, Listing) else exclude
        stored = self._stored(key)
        if stored is not None and stored.members is not None:
            merged, cache = self._merged_entries(key, stored)
            return self._local(key, merged, excluded if excluded in merged else None, cache)
        entries = self._entries.get(key, {})
        if excluded is not None and excluded not in entries:
            excluded = None
        local = self._local(key, entries, excluded)
        if stored is not None and stored.sellers > local.sellers + (excluded is not None):
            return stored.model_copy(update={"sellers": stored.sellers - 1, "listings": max(0, stored.listings - 1)})
        return local

    def _merged_entries(
        self, key: str, stored: PeerGroup
    ) -> tuple[dict[str, tuple[str, str, int]], dict[str, PeerGroup]]:
        """The stored group's members that this batch has not met, and the batch's own listings of the
        group, by listing key (so the order, and the summary's sample, does not depend on the crawl's)."""
        found = self._merged.get(key)
        if found is None:
            entries = dict(self._entries.get(key, {}))
            for listing_key, seller, label, price in stored.members or ():
                if listing_key not in self._met:
                    entries[listing_key] = (member_seller(listing_key, seller, label), label, price)
            found = self._merged[key] = (dict(sorted(entries.items())), {})
        return found

    def _local(self, key: str, entries: dict[str, tuple[str, str, int]], excluded: str | None,
               cache: dict[str, PeerGroup] | None = None) -> PeerGroup:
        if not entries:
            return PeerGroup(key=key, listings=0, sellers=0)
        cache = self._cache if cache is None else cache
        full = cache.get(key)
        if full is None:
            full = cache[key] = _summarise(key, entries, None)
        if excluded is None:
            return full
        if full.sellers <= _EXACT_LIMIT:
            return _summarise(key, entries, excluded)
        sample = [peer for peer in full.sample if peer[0] != excluded]
        return full.model_copy(update={"sellers": full.sellers - 1, "listings": full.listings - 1, "sample": sample})

    def _stored(self, key: str) -> PeerGroup | None:
        if self.stored is None:
            return None
        if key not in self._stored_cache:
            self._keep_stored(key, self.stored([key]).get(key))
        return self._stored_cache[key]

    def _keep_stored(self, key: str, group: PeerGroup | None) -> None:
        self._stored_cache[key] = group
        if group is not None and group.members is not None:
            for member in group.members:
                self._stored_member_of[member[0]] = key

    def prefetch(self, keys: Iterable[str]) -> None:
        """Fetch the stored summaries of several groups in one call (a batch's keys)."""
        if self.stored is None:
            return
        wanted = sorted({k for k in keys if k not in self._stored_cache})
        if wanted:
            found = self.stored(wanted)
            for key in wanted:
                self._keep_stored(key, found.get(key))

    def keys(self) -> list[str]:
        """The groups seen so far (in this batch)."""
        return sorted(self._entries)

    def __len__(self) -> int:
        return sum(len(v) for v in self._entries.values())
