"""Second pipeline: run the rule engine on every listing and attach its flags.

Rules load once per crawl from ``RULES_DIR``. A rule-file error stops the crawl before it starts
(:class:`~crawler.detect.errors.RuleFilesError`, every error as ``file:line: …``; ``scrapy crawl``
exits ``RULES``, 3), unless ``RULES_ALLOW_ERRORS`` is set: then each error is logged, counted
(``detect/rule_errors``) and the crawl goes on with the rules that loaded.

Price anomalies need peers. The store keeps a price summary per product identity (``peer_key``),
maintained by its upserts; the pipeline never reads the stored listings themselves. Its peer
statistics get a callable, :class:`StoredPeers` (``stored_peers(keys) -> {key: PeerGroup}``, backed by
``Store.peer_groups`` with a cache), and ask it for the keys this crawl meets; they merge those
summaries with the crawl's own listings (``Detector.new_peer_stats(stored=stored_peers)``); a small
group's summary comes with its members, so a listing is judged at crawl time without its own stored
price, from the same listings as at the end of the run (an identical re-crawl changes no verdict). A first
crawl's early listings may still have too few peers to be judged: at the end of the run the pipeline
judges the prices of this run's listings again against the complete peer statistics and writes the
changed verdicts to the store (``detect/price_rejudged``); those the store does not take go to the
run's spool with its listings (``detect/price_rejudged_spooled``), for ``crawler store import``.
Stats: ``detect/flagged/<kind>``, ``detect/<rule_id>/hits``, ``detect/peers/lookups`` (keys asked for),
``detect/peers/store_reads`` (keys read from the store), ``detect/peers/stored_groups`` (of those, the
groups the store had).
"""

from __future__ import annotations

import logging
import zlib
from collections import OrderedDict
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Self

from scrapy.crawler import Crawler

from crawler.detect import Detector, PeerStats, load_rules
from crawler.detect.errors import RuleFilesError
from crawler.items import Flag, Listing, PeerGroup
from crawler.spool import flags_record
from crawler.store import Store, StoreError, open_store
from pipelines.store import spool_records

logger = logging.getLogger(__name__)

StoredPeersLookup = Callable[[Collection[str]], dict[str, PeerGroup]]
"""``stored_peers(keys) -> {key: PeerGroup}``: the stored summaries of the keys that exist."""


_SLIM_LEFT_OUT = {"description", "capture", "images", "evidence"}


def _slim(listing: Listing) -> bytes:
    """What the end-of-run price re-judgement needs of a listing (not its text, images or evidence), as
    compressed JSON: about 0.55 KB a listing where the model takes 2.2 KB (a crawl of 100,000 listings
    keeps them all)."""
    return zlib.compress(listing.model_dump_json(exclude=_SLIM_LEFT_OUT).encode(), 1)


def _unslim(kept: bytes) -> Listing:
    """The listing :func:`_slim` kept (its left-out fields empty)."""
    return Listing.model_validate_json(zlib.decompress(kept))


def bound_detect_caches(entries: int) -> None:
    """Bound each of the detection engine's per-text caches (short fields and titles, their phrase hits,
    brand and product look-ups, title identities) to ``entries`` texts. The engine sizes them for batch
    detection (50,000-200,000 texts each); in a crawl, whose titles rarely repeat, they held most of a
    100,000-listing crawl's memory (``python -m bench crawl --memory``). The results are the same
    whatever the bound: each cache remembers a pure function of its text and is emptied when full."""
    from crawler.detect import catalog, conditions, fields, phrases

    phrases._SHARED_LIMIT = phrases._SPELT_LIMIT = fields._SHARED_LIMIT = entries
    catalog._CACHE_LIMIT = conditions.TITLE_MEMO_LIMIT = entries
    for shared in (fields._SHARED, phrases._SPELT):  # the module-wide ones may be fuller already
        if len(shared) > entries:
            shared.clear()


class StoredPeers:
    """The store's peer summaries for the keys a crawl meets: ``stored_peers(keys) -> {key: PeerGroup}``.

    Each key is read from the store once and kept (keys the store has no group for too), up to
    ``capacity`` keys, least recently asked for forgotten first. So a key's summary is the store's
    as the crawl first met it: without this crawl's own upserts of that group (which the peer
    statistics count from the crawl itself), unless the key was forgotten and read again. Without a
    store (not open yet, or unreachable) there are no stored summaries; a failed read is logged and
    answered without the keys it could not read.
    """

    def __init__(self, store: Store | None = None, capacity: int = 50_000) -> None:
        self.store = store
        self.capacity = max(1, capacity)
        self._cache: OrderedDict[str, PeerGroup | None] = OrderedDict()
        self.lookups = 0
        """Keys asked for."""
        self.store_reads = 0
        """Keys read from the store (not in the cache then)."""
        self.found = 0
        """Of the keys read, those the store had a group for."""
        self._failed = False

    def __call__(self, keys: Collection[str]) -> dict[str, PeerGroup]:
        cache = self._cache
        wanted = list(dict.fromkeys(keys))
        self.lookups += len(wanted)
        missing = [key for key in wanted if key not in cache]
        if missing and self.store is not None:
            try:
                found = self.store.peer_groups(missing)
            except StoreError as exc:
                if not self._failed:  # once: every later key would repeat it
                    logger.error("stored price peers unavailable, judging against this crawl's own: %s", exc)
                    self._failed = True
            else:
                self.store_reads += len(missing)
                self.found += len(found)
                for key in missing:
                    cache[key] = found.get(key)
                while len(cache) > self.capacity:
                    cache.popitem(last=False)
        groups: dict[str, PeerGroup] = {}
        for key in wanted:
            if key in cache:
                cache.move_to_end(key)
                group = cache[key]
                if group is not None:
                    groups[key] = group
        return groups


class DetectPipeline:
    """Attach ``flags`` and ``risk`` to each listing; re-judge prices when the run ends."""

    def __init__(self, crawler: Crawler, rules_dir: str, store_uri: str, spool_dir: Path | None = None,
                 allow_errors: bool = False, cache_entries: int = 0) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.store_uri = store_uri
        self.spool_dir = spool_dir or Path("data/spool")
        loaded = load_rules(rules_dir)
        if loaded.errors and not allow_errors:
            raise RuleFilesError(loaded.errors)
        self.rule_errors = loaded.errors
        if cache_entries > 0:
            bound_detect_caches(cache_entries)  # before the detector makes its caches
        self.stats.set_value("detect/rule_errors", len(loaded.errors))
        self.stats.set_value("detect/rules_version", loaded.ruleset.version)
        self.detector = Detector(loaded.ruleset)
        self.stored_peers = StoredPeers()
        self.peers: PeerStats = self.detector.new_peer_stats(stored=self.stored_peers)
        self._judged: list[bytes] = []
        """This run's priced listings with a peer group, slimmed (:func:`_slim`), for the re-judgement."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        spool_dir = Path(settings.get("SPOOL_DIR", "data/spool"))
        return cls(
            crawler, settings.get("RULES_DIR", "rules"), settings.get("STORE_URI"), spool_dir,
            settings.getbool("RULES_ALLOW_ERRORS"), settings.getint("DETECT_CACHE_ENTRIES", 0),
        )

    def open_spider(self) -> None:
        """Report the rule files' errors; open the store whose peer summaries the peer statistics ask for."""
        for error in self.rule_errors:
            logger.error("rule file error: %s", error)
        try:
            self.stored_peers.store = open_store(self.store_uri)
        except StoreError as exc:
            logger.error("stored price peers unavailable, judging against this crawl's own: %s", exc)

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
        try:
            self._rejudge()
        finally:
            peers = self.stored_peers
            self.stats.set_value("detect/peers/lookups", peers.lookups)
            self.stats.set_value("detect/peers/store_reads", peers.store_reads)
            self.stats.set_value("detect/peers/stored_groups", peers.found)
            if peers.store is not None:
                peers.store.close()
                peers.store = None

    def _rejudge(self) -> None:
        changed: list[Listing] = []
        for kept in self._judged:
            listing = _unslim(kept)
            price_flags = self.detector.price_flags(listing, self.peers)
            if self._price_rules(price_flags) == self._price_rules(listing.flags):
                continue
            listing.flags = [flag for flag in listing.flags if flag.kind != "price_anomaly"] + price_flags
            changed.append(listing)
        self._judged.clear()
        if not changed:
            return
        self.stats.set_value("detect/price_rejudged", len(changed))
        unsaved = self._write_flags(changed)
        if unsaved:
            # the store did not take them: they go to the run's spool with its listings, so that
            # `crawler store import` leaves the same flags as a run with the store up
            records = [flags_record(listing.platform, listing.listing_id, listing.flags) for listing in unsaved]
            what = f"re-judged price flags of {len(unsaved)} listings"
            if spool_records(self.crawler, self.spool_dir, records, what):
                self.stats.set_value("detect/price_rejudged_spooled", len(unsaved))
        logger.info("re-judged prices against complete peers: %d listings changed", len(changed))

    def _write_flags(self, changed: list[Listing]) -> list[Listing]:
        """Write the re-judged flags; the listings whose flags the store did not take (after its first
        failure the rest are not tried: the store is down, or the listings were spooled)."""
        store = self.stored_peers.store
        opened: Store | None = None
        if store is None:
            try:
                store = opened = open_store(self.store_uri)
            except StoreError as exc:
                logger.error("re-judged prices of %d listings not stored: %s", len(changed), exc)
                return changed
        try:
            for index, listing in enumerate(changed):
                try:
                    store.replace_flags(listing.platform, listing.listing_id, listing.flags)
                except StoreError as exc:
                    logger.error("re-judged prices of %d listings not stored: %s", len(changed) - index, exc)
                    return changed[index:]
            return []
        finally:
            if opened is not None:
                opened.close()
