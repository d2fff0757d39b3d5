"""Peer price summaries: what the store keeps per product identity (``Listing.peer_key``) so that a
crawl never reads every stored listing to judge prices (``Store.peer_groups``).

A stored listing is a *member* of its peer group when it has a ``peer_key``, a usable price (VND, at
least :data:`MIN_PRICE`) and no ``price_anomaly.placeholder`` flag: ``(peer_key, seller, label,
price)``, where ``seller`` identifies its seller (each seller counts once) and ``label`` is the
seller's name or id, shown in a group's sample. Both backends write a listing's membership with the
listing (indexed by its key) and, when it changed, drop the stored summaries of the groups it left
and joined (one statement per batch); a read of a group without a stored summary computes it from
the group's members with :func:`summarise` (one code path, so both give the same summaries) and
stores it (:mod:`crawler.store.sqlite_peers`, :mod:`crawler.store.mongo_peers`): the sellers' own
median prices, their median and MAD, and a sample of up to :data:`SAMPLE_SIZE` peers. A group of at
most :data:`MEMBERS_LIMIT` listings is handed out with its members (``PeerGroup.members``, read by
the peer key with the summary, never cached with it): a crawl judging one of them leaves it out exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from crawler.items import Listing, PeerGroup
from crawler.store.base import InvalidQuery, seller_key

PLACEHOLDER_RULE = "price_anomaly.placeholder"
"""A listing flagged by this rule has a placeholder price: never a peer."""
MIN_PRICE = 1_000
"""Prices under this (VND) are placeholders or typed in thousands: never peers."""
SAMPLE_SIZE = 5
MEMBERS_LIMIT = 200
"""A group of at most this many listings comes with its members (``PeerGroup.members``), so that a
crawl can leave the listing it judges out of the group exactly; a larger one comes without (its
summary less one seller is close enough, and its members would cost a read per group)."""


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


Summary = tuple[int, int, float, float, list[tuple[str, str, int]]]
"""A group's (listings, sellers, median, mad, sample): what :class:`PeerGroup` holds but its key."""


def _median(ordered: list[Any]) -> Any:
    """The median of a sorted, non-empty list (as ``statistics.median``: the mean of the middle two)."""
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


Members = Mapping[str, Sequence[Any]]
"""A group's members: listing key → ``(seller, label, price)``."""


def summary_of(members: Members) -> Summary | None:
    """A group's summary from its members; None when it has none.

    Each seller counts once, with the median of its own listings' prices; the group's median and MAD
    are over those seller medians. The sample holds one listing per seller (the one priced nearest
    its seller's median, ties by listing key), the sellers nearest the group's median first, ties by
    listing key. (A crawl's first look-ups summarise every group a previous crawl changed: this is
    written for speed.)
    """
    count = len(members)
    if not count:
        return None
    if len({member[0] for member in members.values()}) == count:  # every listing its seller's only one (most
        prices = sorted([member[2] for member in members.values()])  # groups): the seller medians are the prices
        median = _median(prices)
        mad = _median(sorted([abs(price - median) for price in prices]))
        nearest = sorted([(abs(member[2] - median), key, member[1], member[2]) for key, member in members.items()])
        return count, count, float(median), float(mad), [(key, label, price) for _, key, label, price in
                                                         nearest[:SAMPLE_SIZE]]  # fmt: skip
    by_seller: dict[str, Any] = {}
    for listing_key, member in members.items():
        seller = member[0]
        found = by_seller.get(seller)
        if found is None:
            by_seller[seller] = (listing_key, member)
        elif type(found) is list:
            found.append((listing_key, member))
        else:
            by_seller[seller] = [found, (listing_key, member)]
    medians: list[Any] = []
    picks: list[tuple[Any, str, str, int]] = []  # (seller median, listing key, label, price)
    for found in by_seller.values():
        if type(found) is tuple:  # one listing (most sellers): its price is the seller's median
            listing_key, (_, label, price) = found
            medians.append(price)
            picks.append((price, listing_key, label, price))
            continue
        own = _median(sorted(member[2] for _, member in found))
        listing_key, (_, label, price) = min(found, key=lambda item: (abs(item[1][2] - own), item[0]))
        medians.append(own)
        picks.append((own, listing_key, label, price))
    medians.sort()
    median = _median(medians)
    mad = _median(sorted([abs(value - median) for value in medians]))
    nearest = sorted([(abs(own - median), key, label, price) for own, key, label, price in picks])[:SAMPLE_SIZE]
    sample = [(key, label, price) for _, key, label, price in nearest]
    return count, len(by_seller), float(median), float(mad), sample


def summarise(key: str, members: Members) -> PeerGroup | None:
    """:func:`summary_of` as a :class:`PeerGroup` of ``key``; None when there are no members."""
    summary = summary_of(members)
    if summary is None:
        return None
    listings, sellers, median, mad, sample = summary
    return PeerGroup(key=key, listings=listings, sellers=sellers, median=median, mad=mad, sample=sample,
                     members=member_list(members))  # fmt: skip


def member_list(members: Members) -> list[tuple[str, str, str, int]] | None:
    """``PeerGroup.members`` of a group with these members: (listing key, seller, label, price) by listing
    key; None above :data:`MEMBERS_LIMIT` listings."""
    if len(members) > MEMBERS_LIMIT:
        return None
    return sorted((key, member[0], member[1], int(member[2])) for key, member in members.items())


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
