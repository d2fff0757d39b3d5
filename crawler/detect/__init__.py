"""The rule engine: load and validate the YAML rule packs, detect the four kinds, explain, test.

A pure library (no Scrapy, no store): a listing and its peers' prices in, :class:`~crawler.items.Flag`
objects out. Typical use::

    loaded = load_rules("rules")          # loaded.errors: every problem as path:line: message
    detector = Detector(loaded.ruleset)
    peers = detector.new_peer_stats()
    for listing in listings:
        peers.add(listing)
    for listing in listings:
        flags = detector.detect(listing, peers)
"""

from __future__ import annotations

from crawler.detect.cases import CaseResult, run_cases
from crawler.detect.engine import SIGNAL_LABELS, Detector, SignalExplanation
from crawler.detect.errors import RuleLoadError
from crawler.detect.loader import load_rules
from crawler.detect.model import LoadedRules, Rule, RuleSet
from crawler.detect.peers import PeerStats
from crawler.items import Listing

__all__ = [
    "SIGNAL_LABELS",
    "CaseResult",
    "Detector",
    "LoadedRules",
    "PeerStats",
    "Rule",
    "RuleLoadError",
    "RuleSet",
    "SignalExplanation",
    "explain",
    "load_rules",
    "run_cases",
]


def explain(detector: Detector, listing: Listing, peers: PeerStats | None = None) -> list[SignalExplanation]:
    """Module-level form of :meth:`Detector.explain`."""
    return detector.explain(listing, peers)
