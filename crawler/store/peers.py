"""Peer price summaries: what the store keeps per product identity (``Listing.peer_key``) so that a
crawl never reads every stored listing to judge prices (see DESIGN.md, ``peer_groups``).

A stored listing is a *member* of its peer group when it has a ``peer_key``, a usable price (VND, at
least :data:`MIN_PRICE`) and no ``price_anomaly.placeholder`` flag: ``(peer_key, seller, label,
price)``, where ``seller`` identifies its seller (each seller counts once) and ``label`` is the
seller's name or id, shown in a group's sample. Both backends keep the members beside the listings,
change them in the same write as the listing, and recompute the summary of every group an upsert
touched from its members with :func:`summarise` (one code path, so both give the same summaries):
the sellers' own median prices, their median and MAD, and a sample of up to :data:`SAMPLE_SIZE` peers.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from crawler.items import Listing, PeerGroup
from crawler.store.base import InvalidQuery, seller_key

PLACEHOLDER_RULE = "price_anomaly.placeholder"
"""A listing flagged by this rule has a placeholder price: never a peer."""
MIN_PRICE = 1_000
"""Prices under this (VND) are placeholders or typed in thousands: never peers."""
SAMPLE_SIZE = 5


class Member(NamedTuple):
    """One listing's place in its peer group."""

    key: str
    """The peer group (``Listing.peer_key``)."""
    seller: str
    """Who sells it (:func:`crawler.store.base.seller_key`; a listing without a seller is its own)."""
    label: str
    """The seller's name, else its id (empty when the listing names neither)."""
    price: int


def _member(
    platform: str, listing_id: str, peer_key: Any, price: Any, currency: Any, rule_ids: Iterable[Any],
    seller_id: Any, seller_name: Any,
) -> Member | None:
    if not isinstance(peer_key, str) or not peer_key:
        return None
    if type(price) is not int or price < MIN_PRICE or not isinstance(currency, str) or currency.upper() != "VND":
        return None
    if any(rule_id == PLACEHOLDER_RULE for rule_id in rule_ids):
        return None
    seller_id = seller_id or None
    seller_name = seller_name or None
    if seller_id or seller_name:
        seller = seller_key(platform, seller_id, seller_name)
    else:
        seller = f"{platform}:listing:{listing_id}"  # unknown seller: counted as its own
    return Member(peer_key, seller, seller_name or seller_id or "", price)


def member_of(listing: Listing, flags: Iterable[Any] | None = None) -> Member | None:
    """The listing's membership (None: in no group); ``flags`` the ones it is stored with, if not its own."""
    seller = listing.seller
    return _member(
        listing.platform, listing.listing_id, listing.peer_key, listing.price, listing.currency,
        (flag.rule_id for flag in (listing.flags if flags is None else flags)), seller.platform_id, seller.name,
    )  # fmt: skip


def member_of_document(doc: Mapping[str, Any]) -> Member | None:
    """:func:`member_of` of a stored listing document (JSON or BSON land)."""
    seller = doc.get("seller") or {}
    flags = doc.get("flags") or []
    return _member(
        doc["platform"], doc["listing_id"], doc.get("peer_key"), doc.get("price"), doc.get("currency", "VND"),
        (flag.get("rule_id") for flag in flags if isinstance(flag, Mapping)), seller.get("platform_id"),
        seller.get("name"),
    )  # fmt: skip


def summarise(key: str, members: Iterable[tuple[str, str, str, int]]) -> PeerGroup | None:
    """The summary of one group from its members as ``(listing key, seller, label, price)``; None when empty.

    Each seller counts once, with the median of its own listings' prices; the group's median and MAD
    are over those seller medians. The sample holds one listing per seller (the one priced nearest
    its seller's median), the sellers nearest the group's median first, ties by listing key.
    """
    by_seller: dict[str, list[tuple[int, str, str]]] = {}
    count = 0
    for listing_key, seller, label, price in members:
        by_seller.setdefault(seller, []).append((price, listing_key, label))
        count += 1
    if not count:
        return None
    medians = {seller: statistics.median(price for price, _, _ in items) for seller, items in by_seller.items()}
    median = statistics.median(medians.values())
    mad = statistics.median(abs(value - median) for value in medians.values())
    picks = []
    for seller, items in by_seller.items():
        own = medians[seller]
        price, listing_key, label = min(items, key=lambda item: (abs(item[0] - own), item[1]))
        picks.append((abs(own - median), listing_key, label, price))
    picks.sort()
    sample = [(listing_key, label, price) for _, listing_key, label, price in picks[:SAMPLE_SIZE]]
    return PeerGroup(key=key, listings=count, sellers=len(by_seller), median=float(median), mad=float(mad),
                     sample=sample)


def check_keys(keys: Any) -> list[str]:
    """The distinct peer keys asked for, in order; InvalidQuery for a single string or a non-text key."""
    if isinstance(keys, str | bytes) or not isinstance(keys, Iterable):
        raise InvalidQuery(f"peer keys must be a collection of text, got {type(keys).__name__}")
    unique: dict[str, None] = {}
    for key in keys:
        if not isinstance(key, str):
            raise InvalidQuery(f"a peer key must be text, got {key!r}")
        unique[key] = None
    return list(unique)
