"""The loaded, validated form of the rule packs: rules, the brand catalog, test cases, the rule set.

Built only by :mod:`crawler.detect.loader`; read by the engine, the case runner and the CLI.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crawler.detect.conditions import Condition
from crawler.detect.errors import RuleLoadError
from crawler.detect.goods import GoodsIndex
from crawler.detect.phrases import PhraseRegistry, PhraseSet
from crawler.detect.regexes import RuleRegex
from crawler.items import KINDS, Listing

__all__ = [
    "SEVERITIES",
    "SEVERITY_SCORES",
    "Brand",
    "CaseSpec",
    "Catalog",
    "CounterfeitScoring",
    "LoadedRules",
    "PriceConfig",
    "Product",
    "Rule",
    "RuleSet",
]

SEVERITIES: tuple[str, ...] = ("low", "medium", "high", "critical")
SEVERITY_SCORES: dict[str, float] = {"low": 0.3, "medium": 0.55, "high": 0.8, "critical": 0.95}
"""Default flag score of a matching (non-scored) rule, by severity."""


@dataclass(slots=True)
class CounterfeitScoring:
    """A counterfeit rule's signal weights: brand hit, phrase, price under floor, evasion, seller."""

    weights: dict[str, float]
    threshold: float
    phrases: list[tuple[PhraseSet, tuple[str, ...] | None]]
    """Counterfeit phrase groups, each optionally limited to brand tiers (e.g. "hàng VNXK": luxury)."""


@dataclass(slots=True)
class PriceConfig:
    """A price_anomaly rule: far below (``ratio`` × median, robust z) or far above the peers, or a
    placeholder price (no peers needed; see :mod:`crawler.detect.placeholders`)."""

    direction: str  # "below" | "above" | "placeholder"
    ratio: float | None
    robust_z: float | None
    min_peers: int
    """At least this many other sellers in the group (each seller counts once)."""
    floors: dict[str, int] = field(default_factory=dict)
    """placeholder: by goods type, a price under which the price is a placeholder (vehicles: 200k)."""
    ceilings: dict[str, int] = field(default_factory=dict)
    """placeholder: by goods type, a price over which the price is absurd (vehicles: 2 tỷ)."""
    product_min: int | None = None
    """placeholder: a catalog product's price under this is a placeholder."""
    contradiction: float | None = None
    """placeholder: a price the text states this many times off the price field contradicts it."""
    vehicle_max_age: int | None = None
    """below/above: vehicles older than this many years (model year) are not judged (collectors'
    bikes, restorations and number plates set their prices, not the model)."""


@dataclass(slots=True)
class Rule:
    """One rule of one kind, as loaded from a rule file."""

    id: str
    kind: str
    severity: str
    message: str
    path: str
    line: int
    legal_basis: str | None = None
    description: str | None = None
    score: float | None = None
    fields: tuple[str, ...] = ("title", "description")
    categories: PhraseSet | None = None
    exceptions: PhraseSet | None = None
    match: Condition | None = None
    scoring: CounterfeitScoring | None = None
    price: PriceConfig | None = None
    suppressed_by: tuple[str, ...] = ()
    """Rule ids whose flag on the same listing drops this rule's flag (a missing origin on
    narcotics or explosives says nothing the banned flag does not)."""

    @property
    def location(self) -> str:
        """``path:line`` of the rule."""
        return f"{self.path}:{self.line}"

    def base_score(self) -> float:
        """The score of a flag of this rule when it has no computed score."""
        return self.score if self.score is not None else SEVERITY_SCORES[self.severity]


@dataclass(slots=True)
class Brand:
    """A brand of the catalog: names it goes by, official sellers, price floors."""

    name: str
    tier: str
    aliases: tuple[str, ...]
    """The brand's names, as the catalog writes them (one per folded spelling)."""
    official_sellers: PhraseSet
    floors: list[tuple[PhraseSet | None, int]]
    not_with: PhraseSet | None
    path: str
    line: int
    official_by_platform: dict[str, PhraseSet] = field(default_factory=dict)
    """Seller names official on one platform only (``official_sellers: {shopee: [...]}``)."""


@dataclass(slots=True)
class Product:
    """A catalog product: the peer key for price comparison, its aliases and price floor."""

    key: str
    brand: str | None
    aliases: PhraseSet
    patterns: list[RuleRegex]
    floor: int | None
    exclude: PhraseSet | None
    path: str
    line: int
    name: str = ""
    """The key as written in the catalog (with diacritics), for messages."""


@dataclass(slots=True)
class Catalog:
    """Brands and products from ``kind: catalog`` files (merged)."""

    brands: dict[str, Brand] = field(default_factory=dict)
    products: dict[str, Product] = field(default_factory=dict)
    accessory_words: list[str] = field(default_factory=list)
    goods: GoodsIndex | None = None
    """Goods types: their words, patterns, and each brand's goods (``goods:`` in catalog files)."""


@dataclass(slots=True)
class CaseSpec:
    """One test case of a rule file: a listing and what must / must not match."""

    path: str
    index: int
    line: int
    kind: str
    listing: Listing
    peers: list[Listing] = field(default_factory=list)
    match: tuple[str, ...] = ()
    no_match: tuple[str, ...] = ()
    no_flags_of_kind: bool = False
    expect: dict[str, Any] = field(default_factory=dict)
    """Catalog expectations: ``product_key`` and/or ``brand`` (None = none expected)."""
    note: str | None = None


@dataclass(slots=True)
class RuleSet:
    """All loaded rules by kind, the catalog, the cases and a version of the loaded files."""

    rules: dict[str, list[Rule]]
    catalog: Catalog
    cases: list[CaseSpec]
    files: list[str]
    version: str
    registry: PhraseRegistry = field(default_factory=PhraseRegistry)
    """Every phrase of the rule set, matched in one pass per field."""

    def __post_init__(self) -> None:
        for kind in KINDS:
            self.rules.setdefault(kind, [])

    def rules_of(self, kind: str) -> list[Rule]:
        """The rules of one kind (in file order)."""
        return self.rules.get(kind, [])

    def all_rules(self) -> list[Rule]:
        """Every rule, kinds in the canonical order."""
        return [rule for kind in KINDS for rule in self.rules_of(kind)]

    def rule(self, rule_id: str) -> Rule | None:
        """A rule by id, None when unknown."""
        return next((r for r in self.all_rules() if r.id == rule_id), None)

    def __len__(self) -> int:
        return sum(len(v) for v in self.rules.values())


@dataclass(slots=True)
class LoadedRules:
    """What :func:`crawler.detect.load_rules` returns: the rule set and every error found."""

    ruleset: RuleSet
    errors: list[RuleLoadError]

    @property
    def ok(self) -> bool:
        """True when no error was found."""
        return not self.errors
