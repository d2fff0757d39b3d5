"""Seller networks: sellers linked by a shared phone number, shop name, image or URL.

The store yields links as ``(seller_key, link_type, value)`` (``Store.iter_seller_links``); two sellers
sharing a (type, value) are linked. :func:`build_graph` indexes them; :func:`network_of` walks out from
one seller up to ``depth`` hops and returns each seller reached with the links that reached it.
Values shared by very many sellers (a platform's placeholder image, "shop") say nothing about who is
behind a shop, so values shared by more than ``max_shared`` sellers are left out (and counted).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from difflib import get_close_matches

from crawler.text import fold

LINK_TYPES: tuple[str, ...] = ("phone", "shop_name", "image", "url")

Link = tuple[str, str]  # (link_type, value)


@dataclass
class SellerGraph:
    """Sellers ↔ (link type, value) in both directions."""

    links_of: dict[str, set[Link]] = field(default_factory=lambda: defaultdict(set))
    sellers_of: dict[Link, set[str]] = field(default_factory=lambda: defaultdict(set))

    def add(self, seller_key: str, link_type: str, value: str) -> None:
        """Record that ``seller_key`` shows ``value`` (of ``link_type``)."""
        if not seller_key or not value:
            return
        self.links_of[seller_key].add((link_type, value))
        self.sellers_of[(link_type, value)].add(seller_key)


def build_graph(links: Iterable[tuple[str, str, str]]) -> SellerGraph:
    """The graph of every (seller_key, link_type, value) triple."""
    graph = SellerGraph()
    for seller_key, link_type, value in links:
        graph.add(seller_key, link_type, value)
    return graph


@dataclass
class Neighbour:
    """A seller reached from the start: how many hops away, through which seller and shared values."""

    seller_key: str
    depth: int
    via: str
    shared: list[Link]


@dataclass
class Network:
    """The result of walking out from one seller."""

    start: str
    own_links: list[Link]
    neighbours: list[Neighbour]
    ignored_common: list[tuple[Link, int]]


def resolve_seller(graph: SellerGraph, wanted: str) -> list[str]:
    """Seller keys matching what the user typed: an exact key, ``platform:id``, an id or a shop name.

    Keys and ids compare case-insensitively; names compare folded (:func:`crawler.text.fold`: case,
    diacritics and spacing ignored), so "the gioi gia dung" finds "Thế Giới Gia Dụng".
    """
    if wanted in graph.links_of:
        return [wanted]
    folded = wanted.strip().casefold()
    name = fold(wanted)
    found = {
        key
        for key in graph.links_of
        if key.casefold() == folded
        or key.split(":", 1)[-1].casefold() == folded
        or (name and fold(key).endswith(":name:" + name))
    }
    if name:
        found.update(graph.sellers_of.get(("shop_name", name), ()))
    return sorted(found)


def suggest_sellers(graph: SellerGraph, wanted: str, *, limit: int = 5) -> list[tuple[str, str]]:
    """``(shop name, seller key)`` pairs whose folded name is close to, or contains, what was typed."""
    name = fold(wanted)
    if not name:
        return []
    names = sorted({value for link_type, value in graph.sellers_of if link_type == "shop_name"})
    close = [value for value in names if name in value]
    close += [value for value in get_close_matches(name, names, n=limit, cutoff=0.6) if value not in close]
    return [
        (value, key)
        for value in close[:limit]
        for key in sorted(graph.sellers_of[("shop_name", value)])[:3]
    ][:limit]


def network_of(graph: SellerGraph, start: str, *, depth: int = 2, max_shared: int = 25) -> Network:
    """Sellers reachable from ``start`` in ≤ ``depth`` hops over values shared by ≤ ``max_shared`` sellers."""
    ignored: dict[Link, int] = {}
    seen: dict[str, Neighbour] = {}
    frontier = [start]
    for hop in range(1, depth + 1):
        found: dict[str, Neighbour] = {}
        for seller in frontier:
            for link in sorted(graph.links_of.get(seller, ())):
                holders = graph.sellers_of[link]
                if len(holders) > max_shared:
                    ignored[link] = len(holders)
                    continue
                for other in sorted(holders):
                    if other == start or other in seen:
                        continue
                    neighbour = found.setdefault(other, Neighbour(other, hop, seller, []))
                    if neighbour.via == seller:
                        neighbour.shared.append(link)
        seen.update(found)
        frontier = sorted(found)
        if not frontier:
            break
    neighbours = sorted(seen.values(), key=lambda n: (n.depth, -len(n.shared), n.seller_key))
    return Network(
        start=start,
        own_links=sorted(graph.links_of.get(start, ())),
        neighbours=neighbours,
        ignored_common=sorted(ignored.items()),
    )
