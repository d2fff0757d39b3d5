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
