"""Second pipeline: run the rule engine on every listing and attach its flags.

Rules load once per crawl from ``RULES_DIR``; every rule-file error is logged as ``file:line: …``
and counted (``detect/rule_errors``), and the crawl goes on with the rules that loaded.

Price anomalies need peers. The pipeline seeds its peer statistics from the listings already in the
store and adds each crawled listing as it passes, so a first crawl's early listings may have too few
peers to be judged. At the end of the run it judges the prices of this run's listings again against
the complete peer statistics and writes the changed verdicts to the store (``detect/price_rejudged``).
Stats: ``detect/flagged/<kind>``, ``detect/<rule_id>/hits``.
"""

from __future__ import annotations

import logging
from typing import Self

from scrapy.crawler import Crawler

from crawler.detect import Detector, PeerStats, load_rules
from crawler.items import Flag, Listing
from crawler.store import StoreError, open_store

logger = logging.getLogger(__name__)


def _slim(listing: Listing) -> Listing:
    """What the end-of-run price re-judgement needs of a listing (not its text, images or evidence)."""
    return listing.model_copy(update={"description": None, "capture": None, "images": [], "evidence": None})


class DetectPipeline:
    """Attach ``flags`` and ``risk`` to each listing; re-judge prices when the run ends."""

    def __init__(self, crawler: Crawler, rules_dir: str, store_uri: str) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.store_uri = store_uri
        loaded = load_rules(rules_dir)
        self.rule_errors = loaded.errors
        self.stats.set_value("detect/rule_errors", len(loaded.errors))
        self.stats.set_value("detect/rules_version", loaded.ruleset.version)
        self.detector = Detector(loaded.ruleset)
        self.peers: PeerStats = self.detector.new_peer_stats()
        self._judged: list[Listing] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        return cls(crawler, settings.get("RULES_DIR", "rules"), settings.get("STORE_URI"))

    def open_spider(self) -> None:
        """Report the rule files' errors; seed the peer statistics with what the store already holds."""
        for error in self.rule_errors:
            logger.error("rule file error: %s", error)
        try:
            with open_store(self.store_uri) as store:
                seeded = 0
                for listing in store.iter_listings():
                    self.peers.add(listing)
                    seeded += 1
        except StoreError as exc:
            logger.error("price peers not seeded from the store: %s", exc)
            return
        self.stats.set_value("detect/peers_seeded", seeded)

    def process_item(self, listing: Listing) -> Listing:
        flags = self.detector.detect(listing, self.peers)
        listing.flags = flags
        listing.risk = max((flag.score for flag in flags), default=0.0)
        for flag in flags:
            self.stats.inc_value(f"detect/{flag.rule_id}/hits")
        for kind in {flag.kind for flag in flags}:
            self.stats.inc_value(f"detect/flagged/{kind}")
        if listing.price is not None and self.peers.key_for(listing) is not None:
            self.peers.add(listing)
            self._judged.append(_slim(listing))
            if listing.capture is not None:
                listing.capture.keep = True  # its price may be judged again at the end of the run
        return listing

    @staticmethod
    def _price_rules(flags: list[Flag]) -> frozenset[str]:
        return frozenset(flag.rule_id for flag in flags if flag.kind == "price_anomaly")

    def close_spider(self) -> None:
        """Judge this run's prices again against the complete peers; store what changed."""
        changed: list[Listing] = []
        for listing in self._judged:
            price_flags = self.detector.price_flags(listing, self.peers)
            if self._price_rules(price_flags) == self._price_rules(listing.flags):
                continue
            listing.flags = [flag for flag in listing.flags if flag.kind != "price_anomaly"] + price_flags
            changed.append(listing)
        self._judged.clear()
        if not changed:
            return
        try:
            with open_store(self.store_uri) as store:
                for listing in changed:
                    store.replace_flags(listing.platform, listing.listing_id, listing.flags)
        except StoreError as exc:
            logger.error("re-judged prices of %d listings not stored: %s", len(changed), exc)
            return
        self.stats.set_value("detect/price_rejudged", len(changed))
        logger.info("re-judged prices against complete peers: %d listings changed", len(changed))
