"""Loading and validating the YAML rule packs (``rules/**/*.yaml``).

Every problem is collected as a :class:`RuleLoadError` (``path:line: message``, lines from the YAML
nodes) instead of stopping at the first one: a bad rule, brand, product or case is skipped, a file
that does not parse is skipped, and everything else loads. Files of one kind each:

- ``kind: banned | counterfeit | missing_origin | price_anomaly`` with ``rules:`` and ``cases:``;
- ``kind: catalog`` with ``brands:``, ``products:``, ``accessory_words:`` and ``cases:``.

The schema (keys, types, allowed values) is written out in ``rules/README.md``.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from crawler.detect.conditions import (
    AllOf,
    AnyOf,
    Condition,
    EmptyFields,
    Not,
    PhraseCondition,
    PlatformCondition,
    PresentFields,
    RegexCondition,
    SeenFields,
)
from crawler.detect.errors import RuleLoadError
from crawler.detect.goods import GoodsCondition, GoodsIndex
from crawler.detect.model import (
    SEVERITIES,
    Brand,
    CaseSpec,
    Catalog,
    CounterfeitScoring,
    LoadedRules,
    PriceConfig,
    Product,
    Rule,
    RuleSet,
)
from crawler.detect.phrases import PhraseRegistry, PhraseSet, canonical
from crawler.detect.regexes import RegexError, RuleRegex
from crawler.detect.yamlsrc import LDict, LList, line_of, load_located
from crawler.items import KINDS, TEXT_FIELDS, Listing
from crawler.prices import PriceError, parse_vnd

__all__ = ["load_rules"]

FILE_KINDS = (*KINDS, "catalog")
RULE_FILE_KEYS = {"kind", "description", "rules", "cases"}
CATALOG_FILE_KEYS = {"kind", "description", "brands", "products", "accessory_words", "goods", "cases"}
COMMON_RULE_KEYS = {
    "id", "kind", "severity", "message", "legal_basis", "description", "score", "fields",
    "categories", "exceptions", "enabled", "suppressed_by",
}
KIND_RULE_KEYS = {
    "banned": {"match"},
    "missing_origin": {"match"},
    "counterfeit": {"match", "phrases", "weights", "threshold"},
    "price_anomaly": {"direction", "ratio", "robust_z", "min_peers", "floors", "ceilings", "product_min",
                      "contradiction", "vehicle_max_age"},
}
LEGAL_BASIS_REQUIRED = {"banned", "counterfeit", "missing_origin"}
CONDITION_OPERATORS = ("keywords", "regex", "any", "all", "not", "empty", "present", "seen", "goods", "platform")
CONDITION_KEYS = {*CONDITION_OPERATORS, "fields", "within_first", "written_with_tones"}
WEIGHT_KEYS = ("brand", "phrase", "price_floor", "evasion", "unofficial_seller")
PHRASE_GROUP_KEYS = {"keywords", "tiers"}
TIERS = ("luxury", "premium", "mass")
BRAND_KEYS = {"name", "tier", "goods", "aliases", "official_sellers", "floors", "not_with", "description"}
GOODS_KEYS = {"words", "patterns", "takes_over", "description"}
TAKEOVER_KEYS = {"goods", "when"}
FLOOR_KEYS = {"min", "keywords"}
PRODUCT_KEYS = {"key", "brand", "aliases", "patterns", "floor", "exclude", "description"}
CATALOG_EXPECT = ("product_key", "brand", "goods", "peer_key")
CASE_KEYS = {"listing", "peers", "peer_prices", "match", "no_match", "note", *CATALOG_EXPECT}
_RULE_ID = re.compile(r"^[a-z0-9][a-z0-9_.\-]*$")
_CASE_DEFAULTS = {"platform": "case", "url": "https://example.invalid/case", "title": "(không tiêu đề)"}


class _File:
    """Error collection and shared checks for one rule file."""

    def __init__(self, path: str, errors: list[RuleLoadError], registry: PhraseRegistry,
                 goods: GoodsIndex | None = None) -> None:
        self.path = path
        self.errors = errors
        self.failed = False
        self.registry = registry
        self.goods = goods if goods is not None else GoodsIndex(registry)
        """The catalog's goods types (read by ``goods:`` conditions)."""
        """Where every phrase of the rule set goes (one automaton for all of them)."""

    def phrase_set(self, phrases: list[str]) -> PhraseSet:
        """A phrase set in the rule set's registry."""
        return PhraseSet(phrases, self.registry)

    def error(self, line: int, message: str) -> None:
        self.errors.append(RuleLoadError(self.path, line, message))
        self.failed = True

    def keys_ok(self, mapping: LDict, allowed: set[str], what: str) -> bool:
        ok = True
        for key, line in mapping.duplicates:
            self.error(line, f"duplicate key {key!r} in {what}")
            ok = False
        for key in mapping:
            if key not in allowed:
                hint = difflib.get_close_matches(str(key), sorted(allowed), n=1)
                suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
                allowed_text = ", ".join(sorted(allowed))
                self.error(mapping.line_for(key),
                           f"unknown key {key!r} in {what}{suggestion}; allowed: {allowed_text}")
                ok = False
        return ok

    def mapping_items(
        self, node: LDict, key: str, allowed: set[str], what: str, shape: str
    ) -> Iterator[tuple[str, LDict]]:
        """``(what[i], mapping)`` for each entry of the list ``node[key]`` that is a mapping of known keys.

        A missing list is an empty one; anything else is reported as ``{what}.{key} must be a list of
        {shape}``, and so is every entry that is not a mapping or has an unknown or duplicate key.
        """
        entries = self.entries(node.get(key, LList()), node.line_for(key), f"{what}.{key}", f" of {shape}")
        for _, item_what, mapping in entries:
            if self.keys_ok(mapping, allowed, item_what):
                yield item_what, mapping

    def entries(self, value: Any, line: int, what: str, shape: str = "") -> Iterator[tuple[int, str, LDict]]:
        """``(i, what[i], mapping)`` for each entry of the list ``value`` that is a mapping.

        A ``value`` that is not a list is reported at ``line`` as ``{what} must be a list{shape}``; an
        entry that is not a mapping is reported at its own line and skipped.
        """
        if not isinstance(value, LList):
            self.error(line, f"{what} must be a list{shape}")
            return
        for i, item in enumerate(value):
            item_what = f"{what}[{i}]"
            mapping = self.mapping(item, value.line_for(i), item_what)
            if mapping is not None:
                yield i, item_what, mapping

    def mapping(self, value: Any, line: int, what: str) -> LDict | None:
        if not isinstance(value, LDict):
            self.error(line_of(value, line), f"{what} must be a mapping, got {_type(value)}")
            return None
        return value

    def strings(self, value: Any, line: int, what: str, allow_single: bool = True) -> list[str] | None:
        """A non-empty list of non-empty strings (a single string too when ``allow_single``)."""
        if allow_single and isinstance(value, str | int | float) and not isinstance(value, bool):
            value = [str(value)]
        if not isinstance(value, list) or not value:
            self.error(line_of(value, line), f"{what} must be a non-empty list of strings")
            return None
        out: list[str] = []
        ok = True
        for i, item in enumerate(value):
            item_line = value.line_for(i) if isinstance(value, LList) else line
            if isinstance(item, bool) or not isinstance(item, str | int | float) or not str(item).strip():
                self.error(item_line, f"{what}[{i}] must be a non-empty string, got {_type(item)}")
                ok = False
                continue
            out.append(str(item))
        return out if ok else None

    def phrases(self, value: Any, line: int, what: str) -> PhraseSet | None:
        items = self.strings(value, line, what)
        if items is None:
            return None
        empty = [p for p in items if not canonical(p)]
        if empty:
            self.error(line_of(value, line), f"{what}: phrase {empty[0]!r} has no word once folded")
            return None
        return self.phrase_set(items)

    def fields(self, value: Any, line: int, what: str) -> tuple[str, ...] | None:
        items = self.strings(value, line, what)
        if items is None:
            return None
        bad = [f for f in items if f not in TEXT_FIELDS]
        if bad:
            self.error(line_of(value, line),
                       f"{what}: unknown field {bad[0]!r}; fields are {', '.join(TEXT_FIELDS)}")
            return None
        return tuple(dict.fromkeys(items))

    def number(self, value: Any, line: int, what: str, lo: float, hi: float) -> float | None:
        if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
            self.error(line, f"{what} must be a number between {lo} and {hi}, got {value!r}")
            return None
        return float(value)

    def price(self, value: Any, line: int, what: str) -> int | None:
        try:
            parsed = parse_vnd(value)
        except PriceError as exc:
            self.error(line, f"{what}: {exc}")
            return None
        if parsed is None or parsed <= 0:
            self.error(line, f"{what} must be a positive price, got {value!r}")
            return None
        return parsed

    def regexes(self, value: Any, line: int, what: str) -> list[RuleRegex] | None:
        items = self.strings(value, line, what)
        if items is None:
            return None
        compiled: list[RuleRegex] = []
        for i, pattern in enumerate(items):
            item_line = value.line_for(i) if isinstance(value, LList) else line
            try:
                compiled.append(RuleRegex(pattern))
            except RegexError as exc:
                self.error(item_line, f"{what}: bad regex {pattern!r}: {exc}")
                return None
        return compiled


def _type(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {value!r}"


# ---------------------------------------------------------------------------------- conditions

def _condition(f: _File, value: Any, line: int, what: str) -> Condition | None:
    node = f.mapping(value, line, what)
    if node is None:
        return None
    if not f.keys_ok(node, CONDITION_KEYS, what):
        return None
    operators = [op for op in CONDITION_OPERATORS if op in node]
    if len(operators) != 1:
        found = ", ".join(operators) if operators else "none"
        f.error(node.line, f"{what} needs exactly one of {', '.join(CONDITION_OPERATORS)} (found: {found})")
        return None
    op = operators[0]
    op_line = node.line_for(op)
    fields: tuple[str, ...] | None = None
    if "fields" in node:
        if op not in ("keywords", "regex"):
            f.error(node.line_for("fields"), f"{what}: 'fields' only goes with 'keywords' or 'regex'")
            return None
        fields = f.fields(node["fields"], node.line_for("fields"), f"{what}.fields")
        if fields is None:
            return None
    within_first = node.get("within_first")
    if "within_first" in node and (
        op != "keywords" or isinstance(within_first, bool) or not isinstance(within_first, int) or within_first < 1
    ):
        f.error(node.line_for("within_first"), f"{what}: within_first must be a whole number ≥ 1 next to 'keywords'")
        return None
    with_tones = node.get("written_with_tones", False)
    if "written_with_tones" in node and (op != "keywords" or not isinstance(with_tones, bool)):
        f.error(node.line_for("written_with_tones"), f"{what}: written_with_tones is true or false, next to 'keywords'")
        return None
    value = node[op]
    if op == "keywords":
        phrases = f.phrases(value, op_line, f"{what}.keywords")
        return PhraseCondition(phrases, fields, node.line, within_first, with_tones) if phrases is not None else None
    if op == "regex":
        patterns = f.regexes(value, op_line, f"{what}.regex")
        return RegexCondition(patterns, fields, node.line) if patterns is not None else None
    if op in ("any", "all"):
        if not isinstance(value, LList) or not value:
            f.error(line_of(value, op_line), f"{what}.{op} must be a non-empty list of conditions")
            return None
        children = [_condition(f, item, value.line_for(i), f"{what}.{op}[{i}]") for i, item in enumerate(value)]
        if any(child is None for child in children):
            return None
        kids = [c for c in children if c is not None]
        return AnyOf(kids, node.line) if op == "any" else AllOf(kids, node.line)
    if op == "not":
        child = _condition(f, value, op_line, f"{what}.not")
        return Not(child, node.line) if child is not None else None
    if op == "platform":
        platforms = f.strings(value, op_line, f"{what}.platform")
        if not platforms:
            return None
        return PlatformCondition(frozenset(p.strip().lower() for p in platforms), node.line)
    if op == "goods":
        wanted = f.strings(value, op_line, f"{what}.goods")
        if not wanted:
            return None
        unknown = [name for name in wanted if name not in f.goods.types]
        if unknown:
            known = ", ".join(sorted(f.goods.types)) or "none: no catalog file has 'goods:'"
            f.error(op_line, f"{what}.goods: unknown goods type {unknown[0]!r} (known: {known})")
            return None
        return GoodsCondition(f.goods, frozenset(wanted), node.line)
    named_fields = f.fields(value, op_line, f"{what}.{op}")
    if named_fields is None:
        return None
    if op == "seen":
        return SeenFields(named_fields, node.line)
    return EmptyFields(named_fields, node.line) if op == "empty" else PresentFields(named_fields, node.line)


# ---------------------------------------------------------------------------------- rules

def _rule(f: _File, kind: str, value: Any, line: int, index: int) -> Rule | None:
    what = f"rules[{index}]"
    node = f.mapping(value, line, what)
    if node is None:
        return None
    errors_before = len(f.errors)
    rule_id = node.get("id")
    if not isinstance(rule_id, str) or not _RULE_ID.match(rule_id):
        if "id" not in node:
            f.error(node.line, f"{what}: missing 'id'")
        else:
            f.error(node.line_for("id"),
                    f"{what}: id must be lower case letters, digits, '.', '_' or '-', got {rule_id!r}")
        rule_id = None
    else:
        what = f"rule {rule_id!r}"
    allowed = COMMON_RULE_KEYS | KIND_RULE_KEYS[kind]
    f.keys_ok(node, allowed, what)
    for required in ("kind", "severity", "message"):
        if required not in node:
            f.error(node.line, f"{what}: missing {required!r}")
    if kind in LEGAL_BASIS_REQUIRED and "legal_basis" not in node:
        f.error(node.line, f"{what}: missing 'legal_basis' (required for {kind} rules)")
    if "kind" in node and node["kind"] != kind:
        f.error(node.line_for("kind"), f"{what}: kind {node['kind']!r} in a {kind!r} file")
    severity = node.get("severity")
    if "severity" in node and severity not in SEVERITIES:
        f.error(node.line_for("severity"), f"{what}: severity must be one of {', '.join(SEVERITIES)}, got {severity!r}")
    message = node.get("message")
    if "message" in node and (not isinstance(message, str) or not message.strip()):
        f.error(node.line_for("message"), f"{what}: message must be non-empty text")
    legal = node.get("legal_basis")
    if "legal_basis" in node and (not isinstance(legal, str) or not legal.strip()):
        f.error(node.line_for("legal_basis"), f"{what}: legal_basis must be non-empty text")
    enabled = node.get("enabled", True)
    if not isinstance(enabled, bool):
        f.error(node.line_for("enabled"), f"{what}: enabled must be true or false")
    score = None
    if "score" in node:
        score = f.number(node["score"], node.line_for("score"), f"{what}.score", 0.0, 1.0)
    fields: tuple[str, ...] = ("title", "description")
    if "fields" in node:
        fields = f.fields(node["fields"], node.line_for("fields"), f"{what}.fields") or fields
    categories = exceptions = None
    if "categories" in node:
        categories = f.phrases(node["categories"], node.line_for("categories"), f"{what}.categories")
    if "exceptions" in node:
        exceptions = f.phrases(node["exceptions"], node.line_for("exceptions"), f"{what}.exceptions")

    suppressed_by: tuple[str, ...] = ()
    if "suppressed_by" in node:
        suppressed_by = tuple(f.strings(node["suppressed_by"], node.line_for("suppressed_by"), f"{what}.suppressed_by")
                              or ())

    match = scoring = price = None
    if kind in ("banned", "missing_origin") or (kind == "counterfeit" and "weights" not in node):
        if "match" not in node:
            hint = " (or 'weights' for a scored counterfeit rule)" if kind == "counterfeit" else ""
            f.error(node.line, f"{what}: missing 'match'{hint}")
        else:
            match = _condition(f, node["match"], node.line_for("match"), f"{what}.match")
        if kind == "counterfeit":
            for key in ("phrases", "threshold"):
                if key in node:
                    f.error(node.line_for(key), f"{what}: {key!r} only goes with 'weights'")
    elif kind == "counterfeit":
        if "match" in node:
            f.error(node.line_for("match"), f"{what}: a scored rule ('weights') has no 'match'")
        scoring = _scoring(f, node, what)
    else:
        price = _price(f, node, what)

    if len(f.errors) > errors_before or rule_id is None or enabled is False:
        return None
    return Rule(
        id=rule_id, kind=kind, severity=severity, message=message.strip(), path=f.path, line=node.line,
        legal_basis=legal.strip() if isinstance(legal, str) else None,
        description=node.get("description") if isinstance(node.get("description"), str) else None,
        score=score, fields=fields, categories=categories, exceptions=exceptions,
        match=match, scoring=scoring, price=price, suppressed_by=suppressed_by,
    )


def _scoring(f: _File, node: LDict, what: str) -> CounterfeitScoring | None:
    weights_node = f.mapping(node["weights"], node.line_for("weights"), f"{what}.weights")
    weights: dict[str, float] = {}
    if weights_node is not None and f.keys_ok(weights_node, set(WEIGHT_KEYS), f"{what}.weights"):
        for key in WEIGHT_KEYS:
            if key in weights_node:
                value = f.number(weights_node[key], weights_node.line_for(key), f"{what}.weights.{key}", 0, 1)
                if value is not None:
                    weights[key] = value
        if "brand" not in weights_node:
            f.error(weights_node.line, f"{what}.weights: missing 'brand'")
    threshold = None
    if "threshold" not in node:
        f.error(node.line, f"{what}: missing 'threshold'")
    else:
        threshold = f.number(node["threshold"], node.line_for("threshold"), f"{what}.threshold", 0.01, 1.0)
    groups: list[tuple[PhraseSet, tuple[str, ...] | None]] = []
    for gwhat, group in f.mapping_items(node, "phrases", PHRASE_GROUP_KEYS, what, "{keywords, tiers} groups"):
        if "keywords" not in group:
            f.error(group.line, f"{gwhat}: missing 'keywords'")
            continue
        phrases = f.phrases(group["keywords"], group.line_for("keywords"), f"{gwhat}.keywords")
        tiers = None
        if "tiers" in group:
            tiers_list = f.strings(group["tiers"], group.line_for("tiers"), f"{gwhat}.tiers")
            if tiers_list is not None:
                bad = [t for t in tiers_list if t not in TIERS]
                if bad:
                    f.error(group.line_for("tiers"),
                            f"{gwhat}.tiers: unknown tier {bad[0]!r}; tiers are {', '.join(TIERS)}")
                tiers = tuple(tiers_list)
        if phrases is not None:
            groups.append((phrases, tiers))
    if threshold is None or not weights:
        return None
    return CounterfeitScoring(weights=weights, threshold=threshold, phrases=groups)


PLACEHOLDER_KEYS = {"floors", "ceilings", "product_min", "contradiction"}
PEER_KEYS = {"ratio", "robust_z", "min_peers", "vehicle_max_age"}


def _price(f: _File, node: LDict, what: str) -> PriceConfig | None:
    direction = node.get("direction")
    if direction not in ("below", "above", "placeholder"):
        f.error(node.line_for("direction"),
                f"{what}: direction must be 'below', 'above' or 'placeholder', got {direction!r}")
        return None
    misplaced = PLACEHOLDER_KEYS if direction != "placeholder" else PEER_KEYS
    for key in sorted(misplaced & set(node)):
        f.error(node.line_for(key), f"{what}: {key!r} does not go with direction {direction!r}")
    if direction == "placeholder":
        return _placeholder(f, node, what)
    if "ratio" not in node:
        f.error(node.line, f"{what}: missing 'ratio'")
        return None
    lo, hi = (0.001, 0.999) if direction == "below" else (1.001, 1000.0)
    ratio = f.number(node["ratio"], node.line_for("ratio"), f"{what}.ratio ({direction})", lo, hi)
    robust_z = None
    if "robust_z" in node:
        zlo, zhi = (-100.0, -0.5) if direction == "below" else (0.5, 100.0)
        robust_z = f.number(node["robust_z"], node.line_for("robust_z"), f"{what}.robust_z ({direction})", zlo, zhi)
    min_peers = node.get("min_peers", 5)
    if isinstance(min_peers, bool) or not isinstance(min_peers, int) or min_peers < 1:
        f.error(node.line_for("min_peers"), f"{what}: min_peers must be a whole number ≥ 1, got {min_peers!r}")
        return None
    max_age = node.get("vehicle_max_age")
    if "vehicle_max_age" in node and (isinstance(max_age, bool) or not isinstance(max_age, int) or max_age < 1):
        f.error(node.line_for("vehicle_max_age"), f"{what}: vehicle_max_age must be a whole number of years ≥ 1")
        return None
    if ratio is None:
        return None
    return PriceConfig(direction=direction, ratio=ratio, robust_z=robust_z, min_peers=min_peers,
                       vehicle_max_age=max_age)


def _goods_prices(f: _File, node: LDict, key: str, what: str) -> dict[str, int]:
    """``{goods type: price}`` of a placeholder rule (``floors``, ``ceilings``)."""
    mapping = f.mapping(node[key], node.line_for(key), f"{what}.{key}")
    out: dict[str, int] = {}
    if mapping is None:
        return out
    for goods, value in mapping.items():
        line = mapping.line_for(goods)
        if str(goods) not in f.goods.types:
            f.error(line, f"{what}.{key}: unknown goods type {goods!r} (known: {', '.join(sorted(f.goods.types))})")
            continue
        price = f.price(value, line, f"{what}.{key}.{goods}")
        if price is not None:
            out[str(goods)] = price
    return out


def _placeholder(f: _File, node: LDict, what: str) -> PriceConfig:
    floors = _goods_prices(f, node, "floors", what) if "floors" in node else {}
    ceilings = _goods_prices(f, node, "ceilings", what) if "ceilings" in node else {}
    product_min = None
    if "product_min" in node:
        product_min = f.price(node["product_min"], node.line_for("product_min"), f"{what}.product_min")
    contradiction = None
    if "contradiction" in node:
        contradiction = f.number(node["contradiction"], node.line_for("contradiction"), f"{what}.contradiction",
                                 2.0, 1_000_000.0)
    return PriceConfig(direction="placeholder", ratio=None, robust_z=None, min_peers=0, floors=floors,
                       ceilings=ceilings, product_min=product_min, contradiction=contradiction)


# ---------------------------------------------------------------------------------- catalog

def _brands(f: _File, value: Any, line: int, catalog: Catalog, alias_owner: dict[str, str],
            pending_goods: list[tuple[_File, int, str, str]]) -> None:
    for _, what, node in f.entries(value, line_of(value, line), "brands"):
        before = len(f.errors)
        name = node.get("name")
        if not isinstance(name, str) or not name.strip():
            f.error(node.line, f"{what}: missing 'name'")
            continue
        what = f"brand {name!r}"
        f.keys_ok(node, BRAND_KEYS, what)
        if name in catalog.brands:
            first = catalog.brands[name]
            f.error(node.line_for("name"), f"{what}: defined twice (first at {first.path}:{first.line})")
        tier = node.get("tier", "mass")
        if tier not in TIERS:
            f.error(node.line_for("tier"), f"{what}: tier must be one of {', '.join(TIERS)}, got {tier!r}")
        aliases = [name]
        if "aliases" in node:
            aliases += f.strings(node["aliases"], node.line_for("aliases"), f"{what}.aliases") or []
        canon_aliases: list[str] = []
        written_aliases: dict[str, str] = {}
        """Each alias as the catalog writes it (tones kept: they decide matches), by its folded words."""
        for alias in aliases:
            canon = canonical(alias)
            if not canon:
                f.error(node.line_for("aliases"), f"{what}: alias {alias!r} has no word once folded")
                continue
            owner = alias_owner.get(canon)
            if owner is not None and owner != name:
                f.error(node.line_for("aliases"), f"{what}: alias {alias!r} already belongs to brand {owner!r}")
                continue
            canon_aliases.append(canon)
            written_aliases.setdefault(canon, alias)
        official_names = [f"{name} official", f"{name} flagship"]
        by_platform: dict[str, PhraseSet] = {}
        if "official_sellers" in node:
            raw_official = node["official_sellers"]
            owhat = f"{what}.official_sellers"
            if isinstance(raw_official, LDict):
                # {platform: [seller names]}: names that are official on that platform only; "any": all
                for platform, dup_line in raw_official.duplicates:
                    f.error(dup_line, f"duplicate platform {platform!r} in {owhat}")
                for platform, names in raw_official.items():
                    listed = f.strings(names, raw_official.line_for(platform), f"{owhat}.{platform}") or []
                    if str(platform) == "any":
                        official_names += listed
                    elif listed:
                        by_platform[str(platform)] = f.phrase_set(listed)
            else:
                official_names += f.strings(raw_official, node.line_for("official_sellers"), owhat) or []
        official = f.phrase_set(official_names)
        not_with = None
        if "not_with" in node:
            not_with = f.phrases(node["not_with"], node.line_for("not_with"), f"{what}.not_with")
        floors: list[tuple[PhraseSet | None, int]] = []
        for fwhat, floor_node in f.mapping_items(node, "floors", FLOOR_KEYS, what, "{min, keywords}"):
            if "min" not in floor_node:
                f.error(floor_node.line, f"{fwhat}: missing 'min'")
                continue
            minimum = f.price(floor_node["min"], floor_node.line_for("min"), f"{fwhat}.min")
            scope = None
            if "keywords" in floor_node:
                scope = f.phrases(floor_node["keywords"], floor_node.line_for("keywords"), f"{fwhat}.keywords")
            if minimum is not None:
                floors.append((scope, minimum))
        goods = node.get("goods")
        if goods is not None and (not isinstance(goods, str) or not goods.strip()):
            f.error(node.line_for("goods"), f"{what}: goods must be the name of a goods type, got {_type(goods)}")
        if len(f.errors) > before:
            continue
        if goods is not None:
            pending_goods.append((f, node.line_for("goods"), what, goods))
            f.goods.add_brand(tuple(written_aliases.values()), goods)
        for canon in canon_aliases:
            alias_owner[canon] = name
        catalog.brands[name] = Brand(
            name=name, tier=tier, aliases=tuple(written_aliases.values()), official_sellers=official,
            official_by_platform=by_platform,
            floors=floors, not_with=not_with, path=f.path, line=node.line,
        )


def _products(f: _File, value: Any, line: int, catalog: Catalog, pending: list[tuple[_File, Product]]) -> None:
    for _, what, node in f.entries(value, line_of(value, line), "products"):
        before = len(f.errors)
        key = node.get("key")
        if not isinstance(key, str) or not canonical(key):
            f.error(node.line, f"{what}: missing 'key'")
            continue
        name = key.strip()
        key = canonical(key)
        what = f"product {name!r}"
        f.keys_ok(node, PRODUCT_KEYS, what)
        if key in catalog.products:
            f.error(node.line_for("key"), f"{what}: defined twice")
        aliases = [key]
        if "aliases" in node:
            aliases += f.strings(node["aliases"], node.line_for("aliases"), f"{what}.aliases") or []
        patterns: list[RuleRegex] = []
        if "patterns" in node:
            patterns = f.regexes(node["patterns"], node.line_for("patterns"), f"{what}.patterns") or []
        floor = None
        if "floor" in node:
            floor = f.price(node["floor"], node.line_for("floor"), f"{what}.floor")
        exclude = None
        if "exclude" in node:
            exclude = f.phrases(node["exclude"], node.line_for("exclude"), f"{what}.exclude")
        brand = node.get("brand")
        if brand is not None and not isinstance(brand, str):
            f.error(node.line_for("brand"), f"{what}: brand must be a brand name")
            brand = None
        if len(f.errors) > before:
            continue
        product = Product(key=key, brand=brand, aliases=f.phrase_set(aliases), patterns=patterns, floor=floor,
                          exclude=exclude, path=f.path, line=node.line, name=name)
        catalog.products[key] = product
        pending.append((f, product))


def _goods(f: _File, value: Any, line: int) -> None:
    """``goods: {type: [words]}`` or ``{type: {words: [...], patterns: [...], takes_over: {goods, when}}}``."""
    node = f.mapping(value, line, "goods")
    if node is None:
        return
    takeovers: list[tuple[str, Any, int, str]] = []
    for goods, dup_line in node.duplicates:
        f.error(dup_line, f"duplicate goods type {goods!r}")
    for goods, entry in node.items():
        what = f"goods.{goods}"
        entry_line = node.line_for(goods)
        words: list[str] = []
        patterns: list[RuleRegex] = []
        if isinstance(entry, LDict):
            if not f.keys_ok(entry, GOODS_KEYS, what):
                continue
            if "words" in entry:
                words = f.strings(entry["words"], entry.line_for("words"), f"{what}.words") or []
            if "patterns" in entry:
                patterns = f.regexes(entry["patterns"], entry.line_for("patterns"), f"{what}.patterns") or []
            if "takes_over" in entry:
                takeovers.append((str(goods), entry["takes_over"], entry.line_for("takes_over"), what))
        else:
            words = f.strings(entry, entry_line, what) or []
        if not words and not patterns:
            f.error(entry_line, f"{what}: needs words (a list) or {{words, patterns}}")
            continue
        for word in words:
            if not canonical(word):
                f.error(entry_line, f"{what}: word {word!r} has no word once folded")
        clashes = f.goods.add_words(str(goods), [w for w in words if canonical(w)])
        for word in clashes:
            f.error(entry_line, f"{what}: word {word!r} already names another goods type")
        if patterns:
            f.goods.add_patterns(str(goods), patterns)
    for goods, raw, takeover_line, what in takeovers:
        takeover = f.mapping(raw, takeover_line, f"{what}.takes_over")
        if takeover is None or not f.keys_ok(takeover, TAKEOVER_KEYS, f"{what}.takes_over"):
            continue
        over = f.strings(takeover.get("goods"), takeover.line_for("goods"), f"{what}.takes_over.goods") or []
        markers = f.strings(takeover.get("when"), takeover.line_for("when"), f"{what}.takes_over.when") or []
        unknown = [name for name in over if name not in f.goods.types]
        if unknown or not over or not markers:
            f.error(takeover_line, f"{what}.takes_over needs goods (known types) and when (words); "
                                   f"unknown: {', '.join(unknown) or 'none'}")
            continue
        f.goods.add_takeover(goods, frozenset(over), markers)


# ---------------------------------------------------------------------------------- cases

def _case_listing(f: _File, value: Any, line: int, what: str, listing_id: str) -> Listing | None:
    node = f.mapping(value, line, what)
    if node is None:
        return None
    data = {**_CASE_DEFAULTS, "listing_id": listing_id, **node}
    try:
        return Listing.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first.get("loc", ())) or "listing"
        f.error(node.line_for(first["loc"][0]) if first.get("loc") else node.line,
                f"{what}: invalid listing field {loc}: {first.get('msg')}")
        return None


def _cases(f: _File, kind: str, value: Any, line: int, stem: str) -> list[CaseSpec]:
    out: list[CaseSpec] = []
    shape = " of {listing, match, no_match} entries"
    for i, what, node in f.entries(value, line_of(value, line), "cases", shape):
        before = len(f.errors)
        f.keys_ok(node, CASE_KEYS, what)
        if "listing" not in node:
            f.error(node.line, f"{what}: missing 'listing'")
            continue
        listing = _case_listing(f, node["listing"], node.line_for("listing"), f"{what}.listing", f"{stem}-{i}")
        peers: list[Listing] = []
        raw_peers = node.get("peers", LList())
        if not isinstance(raw_peers, LList):
            f.error(node.line_for("peers"), f"{what}.peers must be a list of listings")
            raw_peers = LList()
        for j, peer in enumerate(raw_peers):
            built = _case_listing(f, peer, raw_peers.line_for(j), f"{what}.peers[{j}]", f"{stem}-{i}-peer{j}")
            if built is not None:
                peers.append(built)
        if "peer_prices" in node and listing is not None:
            raw_prices = node["peer_prices"]
            if not isinstance(raw_prices, LList) or not raw_prices:
                f.error(node.line_for("peer_prices"), f"{what}.peer_prices must be a list of prices")
            else:
                for j, raw_price in enumerate(raw_prices):
                    price = f.price(raw_price, raw_prices.line_for(j), f"{what}.peer_prices[{j}]")
                    if price is not None:
                        peers.append(listing.model_copy(update={"price": price, "listing_id": f"{stem}-{i}-p{j}"}))
        match: tuple[str, ...] = ()
        no_match: tuple[str, ...] = ()
        no_flags = False
        expect: dict[str, Any] = {}
        if kind == "catalog":
            for key in ("match", "no_match"):
                if key in node:
                    f.error(node.line_for(key),
                            f"{what}: catalog cases check {', '.join(CATALOG_EXPECT)}, not {key!r}")
            for key in CATALOG_EXPECT:
                if key in node:
                    expected = node[key]
                    if expected is not None and not isinstance(expected, str):
                        f.error(node.line_for(key), f"{what}.{key} must be text or null")
                    expect[key] = canonical(expected) if key == "product_key" and expected else expected
            if not expect:
                f.error(node.line, f"{what}: a catalog case needs one of {', '.join(CATALOG_EXPECT)}")
        else:
            for key in CATALOG_EXPECT:
                if key in node:
                    f.error(node.line_for(key), f"{what}: {key!r} is for catalog cases; use match / no_match")
            if "match" in node:
                match = tuple(f.strings(node["match"], node.line_for("match"), f"{what}.match") or ())
            if "no_match" in node:
                no_match = tuple(f.strings(node["no_match"], node.line_for("no_match"), f"{what}.no_match") or ())
                if "*" in no_match:
                    no_flags = True
                    no_match = tuple(r for r in no_match if r != "*")
            if not match and not no_match and not no_flags:
                f.error(node.line, f"{what}: needs 'match' and/or 'no_match'")
            overlap = set(match) & set(no_match)
            if overlap:
                f.error(node.line, f"{what}: {sorted(overlap)[0]!r} is in both match and no_match")
        note = node.get("note") if isinstance(node.get("note"), str) else None
        if len(f.errors) > before or listing is None:
            continue
        out.append(CaseSpec(path=f.path, index=i, line=node.line, kind=kind, listing=listing, peers=peers,
                            match=match, no_match=no_match, no_flags_of_kind=no_flags, expect=expect, note=note))
    return out


# ---------------------------------------------------------------------------------- files

def _read(path: Path, shown: str, errors: list[RuleLoadError]) -> tuple[str, LDict] | None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        errors.append(RuleLoadError(shown, 0, f"cannot read rule file: {exc}"))
        return None
    try:
        data = load_located(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else 0
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        errors.append(RuleLoadError(shown, line, f"YAML syntax error: {problem}"))
        return None
    if not isinstance(data, LDict):
        errors.append(RuleLoadError(shown, line_of(data, 1),
                                    f"a rule file must be a mapping with 'kind', got {_type(data)}"))
        return None
    kind = data.get("kind")
    if kind not in FILE_KINDS:
        errors.append(RuleLoadError(shown, data.line_for("kind"),
                                    f"kind must be one of {', '.join(FILE_KINDS)}, got {kind!r}"))
        return None
    return text, data


def _empty_ruleset() -> RuleSet:
    return RuleSet(rules={}, catalog=Catalog(), cases=[], files=[], version=hashlib.sha256(b"").hexdigest()[:12],
                   registry=PhraseRegistry())


def load_rules(rules_dir: Path | str) -> LoadedRules:
    """Load every ``*.yaml``/``*.yml`` under ``rules_dir``; collect all errors, keep what is valid."""
    root = Path(rules_dir)
    errors: list[RuleLoadError] = []
    if not root.is_dir():
        errors.append(RuleLoadError(str(root), 0, "rules directory not found"))
        return LoadedRules(_empty_ruleset(), errors)
    paths = sorted({*root.rglob("*.yaml"), *root.rglob("*.yml")})
    loaded: list[tuple[Path, str, str, LDict]] = []
    for path in paths:
        shown = str(path)
        read = _read(path, shown, errors)
        if read is not None:
            loaded.append((path, shown, *read))
    if not paths:
        errors.append(RuleLoadError(str(root), 0, "no rule files (*.yaml) found"))

    digest = hashlib.sha256()
    catalog = Catalog()
    rules: dict[str, list[Rule]] = {kind: [] for kind in KINDS}
    seen_ids: dict[str, Rule] = {}
    cases: list[CaseSpec] = []
    alias_owner: dict[str, str] = {}
    pending_products: list[tuple[_File, Product]] = []
    files: list[str] = []
    registry = PhraseRegistry()
    goods = catalog.goods = GoodsIndex(registry)
    pending_goods: list[tuple[_File, int, str, str]] = []
    # catalogs first: products name brands, rules do not depend on order otherwise
    ordered = sorted(loaded, key=lambda item: (item[3]["kind"] != "catalog", str(item[0])))
    for path, shown, text, data in ordered:
        kind = data["kind"]
        f = _File(shown, errors, registry, goods)
        files.append(shown)
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + text.encode() + b"\0")
        if kind == "catalog":
            f.keys_ok(data, CATALOG_FILE_KEYS, "catalog file")
            if "brands" in data:
                _brands(f, data["brands"], data.line_for("brands"), catalog, alias_owner, pending_goods)
            if "goods" in data:
                _goods(f, data["goods"], data.line_for("goods"))
            if "products" in data:
                _products(f, data["products"], data.line_for("products"), catalog, pending_products)
            if "accessory_words" in data:
                words = f.strings(data["accessory_words"], data.line_for("accessory_words"), "accessory_words")
                catalog.accessory_words.extend(words or [])
        else:
            f.keys_ok(data, RULE_FILE_KEYS, f"{kind} file")
            raw_rules = data.get("rules")
            if not isinstance(raw_rules, LList) or not raw_rules:
                f.error(data.line_for("rules"), "'rules' must be a non-empty list of rules")
                raw_rules = LList()
            for i, item in enumerate(raw_rules):
                rule = _rule(f, kind, item, raw_rules.line_for(i), i)
                if rule is None:
                    continue
                if rule.id in seen_ids:
                    first = seen_ids[rule.id]
                    f.error(rule.line, f"rule id {rule.id!r} already defined at {first.location}")
                    continue
                seen_ids[rule.id] = rule
                rules[kind].append(rule)
        if "cases" not in data:
            f.error(data.line, "missing 'cases': every rule file carries its test cases")
        else:
            cases.extend(_cases(f, kind, data["cases"], data.line_for("cases"), path.stem))

    goods.ready()
    for f, goods_line, what, name in pending_goods:
        if name not in goods.types:
            known = ", ".join(sorted(goods.types)) or "none: no catalog file has 'goods:'"
            f.error(goods_line, f"{what}: unknown goods type {name!r} (known: {known})")
    for f, product in pending_products:
        if product.brand is not None and product.brand not in catalog.brands:
            f.error(product.line, f"product {product.key!r}: unknown brand {product.brand!r}")
            product.brand = None
    for rule in seen_ids.values():
        unknown = [rid for rid in rule.suppressed_by if rid not in seen_ids]
        if unknown:
            errors.append(RuleLoadError(rule.path, rule.line, f"rule {rule.id!r}: suppressed_by names unknown rule "
                                                              f"{unknown[0]!r}"))
            rule.suppressed_by = tuple(rid for rid in rule.suppressed_by if rid in seen_ids)
    valid_cases: list[CaseSpec] = []
    for case in cases:
        unknown = [rid for rid in (*case.match, *case.no_match) if rid not in seen_ids]
        if unknown:
            errors.append(RuleLoadError(case.path, case.line, f"cases[{case.index}]: unknown rule id {unknown[0]!r}"))
            continue
        valid_cases.append(case)
    ruleset = RuleSet(rules=rules, catalog=catalog, cases=valid_cases, files=files,
                      version=digest.hexdigest()[:12], registry=registry)
    return LoadedRules(ruleset, errors)
