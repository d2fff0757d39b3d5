"""The catalog index: fuzzy brand look-ups give what rapidfuzz gives over every alias."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest
from rapidfuzz import fuzz, process

from crawler.detect import load_rules
from crawler.detect.catalog import FUZZY_CUTOFF, CatalogIndex
from crawler.text import normalize

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def index() -> CatalogIndex:
    return CatalogIndex(load_rules(REPO / "rules").ruleset.catalog)


def _queries(index: CatalogIndex) -> list[tuple[str, int]]:
    """Word groups of real titles, misspelt aliases, and groups with model codes and digits."""
    rng = random.Random(5)
    words: list[str] = []
    for line in (REPO / "tests" / "data" / "eval" / "listings.jsonl").read_text(encoding="utf-8").splitlines():
        words += re.findall(r"[^\W_]+", normalize(json.loads(line)["title"]).text)
    queries: list[tuple[str, int]] = []
    for n_words in (1, 2, 3):
        for _ in range(300):
            start = rng.randrange(len(words) - n_words)
            queries.append((" ".join(words[start:start + n_words]), n_words))
        for alias in index._fuzzy[n_words]:
            chars = list(alias)
            chars[rng.randrange(len(chars))] = rng.choice("abcdefghijklmnopqrstuvwxyz0123456789")
            queries.append(("".join(chars), n_words))  # one letter wrong
            queries.append((alias + str(rng.randrange(10)), n_words))  # a digit added
        queries += [(f"sp{rng.randrange(10**7):07d}", n_words) for _ in range(20)]
    return queries


def test_pruned_fuzzy_lookup_equals_rapidfuzz_over_every_alias(index: CatalogIndex) -> None:
    """Aliases are left out by length and by the characters a query shares with them: never one
    that could have been the answer."""
    found = 0
    for query, n_words in _queries(index):
        best = process.extractOne(query, index._fuzzy[n_words], scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
        expected = best[0] if best else None
        assert index._fuzzy_lookup(query, n_words) == expected, (query, n_words)
        found += expected is not None
    assert found > 100  # the misspelt aliases are found


def _titles(index: CatalogIndex) -> list[str]:
    """Normalised real titles, synthetic unique titles, and texts of (misspelt) aliases, model codes
    and numbers, with assorted separators."""
    from bench.detect_throughput import synthetic_listing

    rng = random.Random(3)
    titles: list[str] = []
    for path in (REPO / "tests" / "data" / "eval" / "listings.jsonl",
                 REPO / "crawler" / "demo" / "data" / "listings.jsonl"):
        titles += [json.loads(line)["title"] for line in path.read_text(encoding="utf-8").splitlines()]
    titles += [str(synthetic_listing(i, rng, unique_title=True)["title"]) for i in range(500)]
    aliases = [alias for size in (1, 2, 3) for alias in index._fuzzy[size]]
    for _ in range(1500):
        parts = []
        for _ in range(rng.randint(1, 9)):
            roll = rng.random()
            if roll < 0.4:
                chars = list(rng.choice(aliases))
                chars[rng.randrange(len(chars))] = rng.choice("abcdefghijklmnopqrstuvwxyz0123456789")
                parts.append("".join(chars))
            elif roll < 0.6:
                parts.append(rng.choice(aliases))
            elif roll < 0.8:
                parts.append(f"sp{rng.randrange(10**7):07d}")
            else:
                parts.append(rng.choice(["ma", "15", "pro", "chinh hang", "2024", "x", "850g"]))
        titles.append("".join(part + rng.choice([" ", " ", "-", ". ", ", ", "/"]) for part in parts))
    return [normalize(title).text for title in titles]


def test_fuzzy_spans_by_window_equal_the_plain_definition() -> None:
    """Cached per window of three words (cold, then warm, then after the cache was cleared) against
    every group looked up in turn."""
    index = CatalogIndex(load_rules(REPO / "rules").ruleset.catalog)
    titles = _titles(index)
    found = 0
    for attempt in range(3):
        if attempt == 2:
            index._fuzzy_window_cache.clear()
        for title in titles:
            expected = index._fuzzy_spans_plain(title)
            assert index._fuzzy_spans(title) == expected, title
            found += bool(expected)
    assert found > 300


def test_fuzzy_lookup_with_model_codes_equals_rapidfuzz_over_every_alias(index: CatalogIndex) -> None:
    """Groups with model codes and digits next to words: the plain-alias bound leaves out no answer."""
    rng = random.Random(9)
    checked = 0
    for n_words in (1, 2, 3):
        for alias in index._fuzzy[n_words]:
            words = alias.split(" ")
            code = rng.choice([f"sp{rng.randrange(10**7):07d}", str(rng.randrange(1000)), "v30", "1000xm5"])
            position = rng.randrange(len(words))
            words[position] = rng.choice([code, words[position] + code[:1], words[position]])
            query = " ".join(words)
            best = process.extractOne(query, index._fuzzy[n_words], scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
            assert index._fuzzy_lookup(query, n_words) == (best[0] if best else None), (query, n_words)
            checked += best is not None
    assert checked > 100


def test_product_pattern_gate_skips_only_titles_no_pattern_matches(index: CatalogIndex) -> None:
    """The literal gate finds nothing only where no product pattern matches; products found with
    the gate equal those found without it."""
    from crawler.detect.conditions import ListingText
    from crawler.items import Listing

    gate = index._pattern_gate
    assert gate is not None
    patterns = [pattern for product in index._patterned for pattern in product.patterns]
    titles = _titles(index)
    for product in index._patterned:  # texts that do match, and near misses
        key = product.key
        titles += [key, key.replace(" ", ""), key + " 850 gr", key[: len(key) // 2]]
    matched = 0
    ungated = CatalogIndex(load_rules(REPO / "rules").ruleset.catalog)
    ungated._pattern_gate = None
    for title in titles:
        if gate.search(title) is None:
            assert not any(pattern.search(title) for pattern in patterns), title
        matched += any(pattern.search(title) for pattern in patterns)
        if not title.strip():
            continue
        listing = Listing(platform="x", listing_id="1", url="https://x.invalid/1", title=title)
        got, expected = index._product_in(ListingText(listing)), ungated._product_in(ListingText(listing))
        assert (got and (got.product.key, got.hit)) == (expected and (expected.product.key, expected.hit)), title
    assert matched > 5
