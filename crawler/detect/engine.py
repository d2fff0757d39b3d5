"""The detector: a listing (and its peers' prices) in, flags out, for all four kinds.

- ``banned`` / ``missing_origin`` / plain ``counterfeit`` rules: a match condition over folded
  fields; exception phrases are found first and mask what they cover ("súng bắn keo" hides the
  "súng" in it), so a rule fires only on text outside its exceptions.
- scored ``counterfeit`` rules: signals (brand hit, counterfeit phrase, price under the brand's
  floor, evasive spelling of the brand, seller not official) weighted and summed; a seller the
  platform marks official, or one of the brand's official stores, vetoes the flag.
- ``price_anomaly``: a placeholder price (no peers needed), or the price against the median/MAD of
  the other sellers of the same product (:mod:`crawler.detect.identity`, :mod:`crawler.detect.peers`).

Every flag quotes the original text (``Match.text``) with offsets into the original field.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from crawler.detect.catalog import BrandHit, CatalogIndex, ProductHit
from crawler.detect.conditions import Hit, ListingText, MatchContext
from crawler.detect.identity import IdentityReader
from crawler.detect.model import Rule, RuleSet
from crawler.detect.peers import PeerStats, StoredGroups, usable_price
from crawler.detect.placeholders import PlaceholderCheck
from crawler.items import TEXT_FIELDS, Flag, Listing, Match, PeerGroup
from crawler.prices import format_vnd

__all__ = ["SIGNAL_LABELS", "Detector", "SignalExplanation"]

SIGNAL_LABELS: dict[str, str] = {
    "brand": "nhãn hiệu",
    "phrase": "cụm từ hàng giả",
    "price_floor": "giá dưới mức sàn",
    "evasion": "viết lách né bộ lọc",
    "unofficial_seller": "người bán không chính hãng",
}
_MAX_MATCHES = 10
_MAD_SCALE = 0.6745
"""Robust z = 0.6745 · (price − median) / MAD (the MAD of a normal distribution is 0.6745 σ)."""
Z_GATE_BELOW = 0.6
Z_GATE_ABOVE = 2.0
"""The robust z only counts for prices under 60% / over 2× the median: in a tight group (MAD of
a few percent) an ordinary promotion is many MADs out, and must not be flagged."""
MAX_SPREAD = 0.35
"""A group whose MAD is over 35% of its median is not one product at one price (a 1995 Dream sells
from 15 to 45 million by condition): no price flag against it."""
SAMPLE_SHOWN = 3
"""Peers a price flag's message names."""


@dataclass(slots=True)
class SignalExplanation:
    """One signal of one rule on one listing: present or not, its weight and share of the score."""

    rule_id: str
    kind: str
    signal: str
    present: bool
    weight: float
    share: float
    detail: str
    matched: list[Match] = field(default_factory=list)


@dataclass(slots=True)
class _Scored:
    brand: BrandHit
    score: float
    parts: dict[str, float]
    hits: list[Hit]
    vetoed: bool
    phrase_hits: list[Hit]
    floor: int | None

    def details(self, text: ListingText) -> dict[str, str]:
        """Each present signal in words (built only for a flag or an explanation)."""
        brand_hit = self.brand
        how = "chính xác" if brand_hit.similarity >= 1.0 else f"gần đúng {brand_hit.similarity:.0%}"
        details = {"brand": f"{brand_hit.brand.name} ({how})"}
        if self.phrase_hits:
            details["phrase"] = ", ".join(dict.fromkeys(text.to_match(h).text for h in self.phrase_hits))
        price = text.listing.price
        if price is not None and self.floor is not None and price < self.floor:
            details["price_floor"] = f"{format_vnd(price)} < sàn {format_vnd(self.floor)}"
        if brand_hit.evasive:
            details["evasion"] = ", ".join(text.to_match(h).text for h in brand_hit.hits)
        if not self.vetoed:
            details["unofficial_seller"] = text.listing.seller.name or "(không rõ người bán)"
        return details


class Detector:
    """Runs a :class:`RuleSet` on listings. Build once, reuse for every listing (it is stateless)."""

    def __init__(self, ruleset: RuleSet) -> None:
        self.ruleset = ruleset
        self.registry = ruleset.registry
        self.index = CatalogIndex(ruleset.catalog, ruleset.registry)
        self._condition_rules = [
            r for kind in ("banned", "counterfeit", "missing_origin") for r in ruleset.rules_of(kind)
            if r.match is not None
        ]
        # Pre-filter: a condition rule whose match needs one of some phrases is only evaluated
        # on listings that hold one of them (one automaton pass per field finds them all); the
        # others (regexes, ``not``, ``empty`` alone) always.
        self._always: list[int] = []
        self._by_variant: dict[int, list[int]] = {}
        # and a rule that applies only to some goods types (``goods:`` under its ``all``: the
        # missing-origin duties) only to listings of those types
        self._goods_index = ruleset.catalog.goods
        self._goods_gate: dict[int, frozenset[str]] = {}
        for position, rule in enumerate(self._condition_rules):
            if self._goods_index is not None and rule.match is not None:
                gate = rule.match.required_goods()
                if gate is not None:
                    self._goods_gate[position] = gate
            needed = rule.match.variants() if rule.match is not None else None
            if needed is None:
                self._always.append(position)
                continue
            for variant in needed:
                self._by_variant.setdefault(variant, []).append(position)
        # the phrases every listing is searched for: those that make a rule apply, and the catalog's
        # names; context words, exceptions and scopes only where a rule asks
        anchors: set[int] = set(self._by_variant)
        for phrases in (self.index.aliases, self.index.product_aliases, self.index.accessories):
            anchors |= phrases.ids
        self.registry.set_anchors(frozenset(anchors))
        self.registry.ready()  # compile once now, not in the first listing's time
        self._scored_rules = [r for r in ruleset.rules_of("counterfeit") if r.scoring is not None]
        self._suppressible = {r.id: frozenset(r.suppressed_by) for r in ruleset.all_rules() if r.suppressed_by}
        price_rules = [r for r in ruleset.rules_of("price_anomaly") if r.price is not None]
        self._price_rules = [r for r in price_rules if r.price is not None and r.price.direction != "placeholder"]
        self._placeholder_rule = next((r for r in price_rules if r not in self._price_rules), None)
        self.identities = IdentityReader(self.index, ruleset.catalog.goods)
        self.placeholders = PlaceholderCheck(self._placeholder_rule.price if self._placeholder_rule else None,
                                             self.index, self.identities)
        self._this_year = datetime.now(UTC).year
        self._bands: dict[tuple[str, int, float | None, float | None], tuple[float, float]] = {}

    @property
    def version(self) -> str:
        """The rule set's version (goes into every flag's ``rules_version``)."""
        return self.ruleset.version

    def new_peer_stats(self, stored: StoredGroups | None = None) -> PeerStats:
        """An empty :class:`PeerStats` sharing this detector's catalog index and identity reader;
        ``stored``: the store's per-group summaries (``store.peer_groups``), so that a crawl does
        not read every stored listing to know its peers."""
        return PeerStats(self.ruleset, self.index, stored=stored, identities=self.identities,
                         placeholders=self.placeholders)

    def peer_key(self, listing: Listing | ListingText) -> str | None:
        """The product identity a listing's price is compared within (None: no one product)."""
        text = listing if isinstance(listing, ListingText) else ListingText(listing)
        found = self.identities.identity(text)
        return found.key if found is not None else None

    # ------------------------------------------------------------------ public API

    def detect(self, listing: Listing, peers: PeerStats | None = None, *,
               text: ListingText | None = None) -> list[Flag]:
        """All flags (every kind) for one listing; price anomalies only when ``peers`` is given.

        ``text``: the listing's :class:`ListingText` when the caller already has one (e.g. from
        adding the listing to ``peers``), so that nothing is prepared twice.
        """
        if text is None or text.listing is not listing:
            text = ListingText(listing)
        return self.detect_many([text], peers)[0]

    def detect_many(self, texts: list[ListingText], peers: PeerStats | None = None) -> list[list[Flag]]:
        """:meth:`detect` for several listings (their :class:`ListingText`), the flags of each.

        The same flags in the same order as one :meth:`detect` per listing, but done stage by
        stage over all of them (the condition rules, then the counterfeit scores, then the
        prices): each stage's code and tables stay in the CPU caches, which makes a batch of a
        few hundred listings markedly faster.
        """
        candidates = [self._candidate_rules(text) for text in texts]
        results: list[list[Flag]] = []
        for text, rules in zip(texts, candidates, strict=True):
            flags: list[Flag] = []
            for rule in rules:
                flag = self._condition_flag(rule, text)
                if flag is not None:
                    flags.append(flag)
            results.append(flags)
        need_product = bool(self._scored_rules) or peers is not None or self._placeholder_rule is not None
        products = [self.index.product_in(text) if need_product else None for text in texts]
        if self._scored_rules:
            for text, product, flags in zip(texts, products, results, strict=True):
                for rule in self._scored_rules:
                    scored = self._score(rule, text, product)
                    if scored is not None and not scored.vetoed and scored.score >= rule.scoring.threshold:
                        flags.append(self._counterfeit_flag(rule, text, scored))
        if peers is not None or self._placeholder_rule is not None:
            for text, product, flags in zip(texts, products, results, strict=True):
                flags.extend(self._price_flags(text, peers, product))
        if self._suppressible:
            results = [self._unsuppressed(flags) for flags in results]
        return results

    def _unsuppressed(self, flags: list[Flag]) -> list[Flag]:
        """The flags less those of rules ``suppressed_by`` another flag of the listing."""
        if len(flags) < 2:
            return flags
        present = {flag.rule_id for flag in flags}
        suppressible = self._suppressible
        return [flag for flag in flags
                if flag.rule_id not in suppressible or not present.intersection(suppressible[flag.rule_id])]

    def price_flags(self, listing: Listing, peers: PeerStats | None) -> list[Flag]:
        """Only the price_anomaly flags for one listing."""
        text = ListingText(listing)
        return self._price_flags(text, peers, self.index.product_in(text))

    def explain(self, listing: Listing, peers: PeerStats | None = None) -> list[SignalExplanation]:
        """Why each rule did or did not fire: counterfeit signals with their shares, other kinds'
        matches, price comparisons."""
        text = ListingText(listing)
        out: list[SignalExplanation] = []
        product = self.index.product_in(text)
        for rule in self._condition_rules:
            hits = self._condition_hits(rule, text)
            if hits is not None:
                out.append(SignalExplanation(
                    rule.id, rule.kind, "match", True, 1.0, 1.0,
                    "; ".join(m.text for m in self._matches(text, hits)) or "điều kiện thỏa",
                    self._matches(text, hits)))
        for rule in self._scored_rules:
            scored = self._score(rule, text, product)
            if scored is None:
                out.append(SignalExplanation(rule.id, rule.kind, "brand", False, rule.scoring.weights.get("brand", 0),
                                             0.0, "không thấy nhãn hiệu nào của danh mục"))
                continue
            total = sum(scored.parts.values()) or 1.0
            details = scored.details(text)
            for signal in ("brand", "phrase", "price_floor", "evasion", "unofficial_seller"):
                weight = rule.scoring.weights.get(signal, 0.0)
                part = scored.parts.get(signal, 0.0)
                out.append(SignalExplanation(
                    rule.id, rule.kind, signal, part > 0, weight, part / total,
                    details.get(signal, "—"),
                    self._matches(text, scored.brand.hits) if signal == "brand" else []))
            verdict = "người bán chính hãng: bỏ qua" if scored.vetoed else (
                f"điểm {scored.score:.2f} / ngưỡng {rule.scoring.threshold:.2f}")
            out.append(SignalExplanation(rule.id, rule.kind, "total", not scored.vetoed and
                                         scored.score >= rule.scoring.threshold, 1.0, 1.0, verdict))
        price_flags = self._price_flags(text, peers, product)
        for flag in price_flags:
            out.append(SignalExplanation(flag.rule_id, flag.kind, "price", True, 1.0, 1.0, flag.message,
                                         list(flag.matched)))
        if peers is not None and not price_flags:
            out.append(self._peer_explanation(text, peers, product))
        return out

    def _peer_explanation(self, text: ListingText, peers: PeerStats, product: ProductHit | None) -> SignalExplanation:
        """What the price was compared with when no price rule fired: the peer group, or why none."""
        identity = self.identities.identity(text, product)
        if identity is None:
            detail = "không so giá: tiêu đề không nêu một sản phẩm cụ thể (mẫu mã, dung lượng, đời xe)"
        elif not usable_price(text.listing):
            detail = f"không so giá: không có giá VND dùng được (nhóm \u201c{identity.key}\u201d)"
        else:
            group = peers.summary(identity.key, exclude=text.listing)
            detail = "giá trong khoảng bình thường; " + self._group_text(group)
        matched = [text.to_match(identity.hit)] if identity is not None and identity.hit is not None else []
        return SignalExplanation("price_anomaly", "price_anomaly", "peer_group", False, 1.0, 0.0, detail, matched)

    # ------------------------------------------------------------------ condition rules

    def _candidate_rules(self, text: ListingText) -> list[Rule]:
        """The condition rules that can match this listing (in file order), by the pre-filter."""
        present = text.present(self.registry, TEXT_FIELDS)
        rules = self._condition_rules
        if not present:
            chosen: Iterable[int] = self._always
        else:
            wanted = set(self._always)
            by_variant = self._by_variant
            for variant in present:
                wanted.update(by_variant.get(variant, ()))
            chosen = sorted(wanted)
        gates = self._goods_gate
        if not gates or self._goods_index is None:
            return [rules[i] for i in chosen]
        found = self._goods_index.goods_of(text)
        goods = found.goods if found is not None else None
        return [rules[i] for i in chosen if i not in gates or (goods is not None and goods in gates[i])]

    @staticmethod
    def _in_scope(rule: Rule, text: ListingText) -> bool:
        return rule.categories is None or bool(rule.categories.finditer(text, "category"))

    def _condition_hits(self, rule: Rule, text: ListingText) -> list[Hit] | None:
        if rule.match is None or not self._in_scope(rule, text):
            return None
        return rule.match.evaluate(MatchContext(text, rule.fields, exceptions=rule.exceptions))

    def _condition_flag(self, rule: Rule, text: ListingText) -> Flag | None:
        hits = self._condition_hits(rule, text)
        if hits is None:
            return None
        return self._flag(rule, rule.base_score(), rule.message, self._matches(text, hits))

    # ------------------------------------------------------------------ counterfeit scoring

    def _score(self, rule: Rule, text: ListingText, product: ProductHit | None) -> _Scored | None:
        scoring = rule.scoring
        if scoring is None or not self._in_scope(rule, text):
            return None
        brand_hits = self.index.brands_in(text)  # cached per title: the cheap reason to stop
        if not brand_hits or (rule.exceptions is not None and rule.exceptions.find(text, rule.fields)):
            return None
        best: _Scored | None = None
        weights = scoring.weights
        price = text.listing.price
        for brand_hit in brand_hits:
            parts: dict[str, float] = {"brand": weights.get("brand", 0.0) * brand_hit.similarity}
            hits = list(brand_hit.hits)
            phrase_hits = [
                hit for phrases, tiers in scoring.phrases
                if tiers is None or brand_hit.brand.tier in tiers
                for hit in phrases.find(text, rule.fields)
            ]
            if phrase_hits:
                parts["phrase"] = weights.get("phrase", 0.0)
                hits.extend(phrase_hits)
            floor = self.index.floor_for(text, brand_hit.brand, product)
            if price is not None and floor is not None and price < floor:
                parts["price_floor"] = weights.get("price_floor", 0.0)
            if brand_hit.evasive:
                parts["evasion"] = weights.get("evasion", 0.0)
            official = self.index.is_official(text, brand_hit.brand)
            if not official:
                parts["unofficial_seller"] = weights.get("unofficial_seller", 0.0)
            parts = {k: v for k, v in parts.items() if v > 0}
            scored = _Scored(brand_hit, min(1.0, sum(parts.values())), parts, hits, official, phrase_hits, floor)
            if best is None or (not scored.vetoed and (best.vetoed or scored.score > best.score)):
                best = scored
        return best

    def _counterfeit_flag(self, rule: Rule, text: ListingText, scored: _Scored) -> Flag:
        total = sum(scored.parts.values()) or 1.0
        shares = ", ".join(
            f"{SIGNAL_LABELS[name]} {part / total:.0%}" for name, part in
            sorted(scored.parts.items(), key=lambda kv: -kv[1])
        )
        extra = f"; {scored.details(text)['price_floor']}" if "price_floor" in scored.parts else ""
        message = f"{rule.message}: {scored.brand.brand.name} (tín hiệu: {shares}{extra})"
        score = rule.score if rule.score is not None else round(scored.score, 3)
        return self._flag(rule, score, message, self._matches(text, scored.hits))

    # ------------------------------------------------------------------ price anomalies

    def _price_flags(self, text: ListingText, peers: PeerStats | None, product: ProductHit | None) -> list[Flag]:
        listing = text.listing
        if listing.price is None:
            return []
        rule = self._placeholder_rule
        if rule is not None:
            reason = self.placeholders.reason_for(text, product)
            if reason is not None:
                if self._in_scope(rule, text) and not (rule.exceptions and rule.exceptions.find(text, rule.fields)):
                    return [self._flag(rule, rule.base_score(), f"{rule.message}: {reason}",
                                       self._price_evidence(text, product.hit if product is not None else None))]
                return []
        if peers is None or not self._price_rules or not usable_price(listing):
            return []
        identity = self.identities.identity(text, product)
        if identity is None:
            return []
        summary = peers.summary(identity.key, exclude=listing)
        if summary.median is None or summary.median <= 0:
            return []
        if summary.mad is not None and summary.mad > MAX_SPREAD * summary.median:
            return []  # prices all over the place: the title does not pin one product down (old vehicles)
        low, high = self._quiet_band(identity.key, summary)
        if low < listing.price < high:
            return []  # no price rule can fire (most listings): skip them
        flags: list[Flag] = []
        for price_rule in self._price_rules:
            config = price_rule.price
            if (config is not None and config.vehicle_max_age is not None and identity.year is not None
                    and self._this_year - identity.year > config.vehicle_max_age):
                continue  # an old vehicle: its condition, papers and plate set the price
            flag = self._price_flag(price_rule, text, summary, identity.hit)
            if flag is not None:
                flags.append(flag)
        return flags

    def _quiet_band(self, key: str, summary: PeerGroup) -> tuple[float, float]:
        """Prices strictly between these two fire no price rule against ``summary``.

        A "below" rule fires when ratio < r, or when z < robust_z and ratio < 0.6: for a price
        under max(r·median, min(0.6·median, median + robust_z·MAD/0.6745)); an "above" rule when
        over min(r·median, max(2·median, median + robust_z·MAD/0.6745)). The band is narrowed by
        a millionth on each side, so that rounding never hides a flag; prices outside it go
        through the rules themselves. Cached per group summary.
        """
        cache_key = (key, summary.sellers, summary.median, summary.mad)
        band = self._bands.get(cache_key)
        if band is not None:
            return band
        median = summary.median or 0.0
        mad = summary.mad
        low, high = 0.0, float("inf")
        for rule in self._price_rules:
            config = rule.price
            if config is None or config.ratio is None or summary.sellers < config.min_peers:
                continue
            by_ratio = config.ratio * median
            by_z = None
            if config.robust_z is not None and mad:
                by_z = median + config.robust_z * mad / _MAD_SCALE
            if config.direction == "below":
                edge = by_ratio if by_z is None else max(by_ratio, min(Z_GATE_BELOW * median, by_z))
                low = max(low, edge)
            else:
                edge = by_ratio if by_z is None else min(by_ratio, max(Z_GATE_ABOVE * median, by_z))
                high = min(high, edge)
        band = (low * (1 + 1e-6) + 1e-6, high * (1 - 1e-6))
        if len(self._bands) >= 100_000:
            self._bands.clear()
        self._bands[cache_key] = band
        return band

    @staticmethod
    def _group_text(group: PeerGroup) -> str:
        """A peer group in words: key, sellers, listings, median, MAD and a few of the peers."""
        if not group.sellers or group.median is None:
            return f"nhóm \u201c{group.key}\u201d: chưa có người bán nào khác có giá"
        mad = f", MAD {format_vnd(round(group.mad))}" if group.mad else ""
        shown = "; ".join(f"{key} ({seller or 'không rõ người bán'}) {format_vnd(price)}"
                          for key, seller, price in group.sample[:SAMPLE_SHOWN])
        more = f"; ví dụ: {shown}" if shown else ""
        return (f"nhóm \u201c{group.key}\u201d: {group.sellers} người bán khác ({group.listings} tin), "
                f"trung vị {format_vnd(round(group.median))}{mad}{more}")

    @staticmethod
    def _price_evidence(text: ListingText, hit: Hit | None) -> list[Match]:
        """What a price flag quotes: the product's name in the title, else the whole title."""
        if hit is not None:
            return [text.to_match(hit)]
        title = text.raw("title")
        return [text.to_match(Hit("title", 0, len(title)))] if title else []

    def _price_flag(self, rule: Rule, text: ListingText, summary: PeerGroup, hit: Hit | None) -> Flag | None:
        config = rule.price
        price = text.listing.price
        if config is None or config.ratio is None or price is None or summary.median is None or summary.median <= 0:
            return None
        if summary.sellers < config.min_peers:
            return None
        ratio = price / summary.median
        z = _MAD_SCALE * (price - summary.median) / summary.mad if summary.mad else None
        if config.direction == "below":
            by_ratio = ratio < config.ratio
            by_z = config.robust_z is not None and z is not None and z < config.robust_z and ratio < Z_GATE_BELOW
            if not (by_ratio or by_z):
                return None
            strength = 1 - ratio / config.ratio if by_ratio else 0.0
        else:
            by_ratio = ratio > config.ratio
            by_z = config.robust_z is not None and z is not None and z > config.robust_z and ratio > Z_GATE_ABOVE
            if not (by_ratio or by_z):
                return None
            strength = min(1.0, (ratio / config.ratio - 1) / 3) if by_ratio else 0.0
        # the scope and exception phrases last: the price test above rules out nearly every listing
        if not self._in_scope(rule, text) or (rule.exceptions is not None and rule.exceptions.find(text, rule.fields)):
            return None
        score = rule.score if rule.score is not None else round(min(0.95, 0.5 + 0.45 * strength), 3)
        z_text = f", z = {z:.1f}" if z is not None else ""
        message = (f"{rule.message}: giá {format_vnd(price)} = {ratio:.0%} trung vị{z_text}; "
                   f"{self._group_text(summary)}")
        return self._flag(rule, score, message, self._price_evidence(text, hit))

    # ------------------------------------------------------------------ helpers

    def _matches(self, text: ListingText, hits: list[Hit]) -> list[Match]:
        seen: set[tuple[str, int, int]] = set()
        out: list[Match] = []
        for hit in sorted(hits, key=lambda h: (h.field, h.start)):
            match = text.to_match(hit)
            key = (match.field, match.start, match.end)
            if key in seen:
                continue
            seen.add(key)
            out.append(match)
            if len(out) >= _MAX_MATCHES:
                break
        return out

    def _flag(self, rule: Rule, score: float, message: str, matched: list[Match]) -> Flag:
        return Flag(
            rule_id=rule.id, kind=rule.kind, severity=rule.severity, score=max(0.0, min(1.0, score)),
            message=message, matched=matched, legal_basis=rule.legal_basis, rules_version=self.ruleset.version,
        )
