"""The catalog index: the deletion index finds every alias word rapidfuzz would; brands are found in
every spelling; look-alike words, official sellers and accessories are honoured."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from rapidfuzz import fuzz

from crawler.detect import Detector, load_rules
from crawler.detect.catalog import FUZZY_CUTOFF, CatalogIndex
from crawler.detect.conditions import ListingText
from crawler.items import Listing

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def index() -> CatalogIndex:
    return Detector(load_rules(REPO / "rules").ruleset).index


def _long_words(index: CatalogIndex) -> list[str]:
    return sorted({word for words in index._deletes.values() for word in words})


def test_the_deletion_index_finds_what_rapidfuzz_finds_over_every_alias_word(index: CatalogIndex) -> None:
    words = _long_words(index)
    assert len(words) > 100
    rng = random.Random(5)
    letters = "abcdefghijklmnopqrstuvwxyz"
    queries = []
    for word in words:
        chars = list(word)
        for _ in range(rng.randint(1, 2)):  # one or two letters wrong, missing or added
            i = rng.randrange(len(chars))
            edit = rng.choice(["sub", "del", "add"])
            if edit == "sub":
                chars[i] = rng.choice(letters)
            elif edit == "del" and len(chars) > 1:
                del chars[i]
            else:
                chars.insert(i, rng.choice(letters))
        queries.append("".join(chars))
    queries += ["".join(rng.choice(letters) for _ in range(rng.randint(5, 12))) for _ in range(500)]
    found = 0
    for query in queries:
        if query in words:
            continue
        best = max((fuzz.ratio(query, word) for word in words if word != query), default=0.0)
        got = index.fuzzy_word(query)
        if best >= FUZZY_CUTOFF:
            assert got is not None and fuzz.ratio(query, got) == best, query
            found += 1
        else:
            assert got is None, query
    assert found > 100


@pytest.mark.parametrize(("title", "brand"), [
    ("Giày Balenciga Triple S", "Balenciaga"),           # a letter missing
    ("Túi Louis Vuiton Neverfull", "Louis Vuitton"),
    ("Túi louisvuiton nữ", "Louis Vuitton"),             # run together and misspelt
    ("Túi G u c c i", "Gucci"), ("Túi Gu.cci", "Gucci"), ("Túi 𝐆𝐔𝐂𝐂𝐈", "Gucci"), ("Ví Сһаnеl", "Chanel"),
    ("Ví ch4nel", "Chanel"),
])
def test_brands_are_found_in_every_spelling(index: CatalogIndex, title: str, brand: str) -> None:
    listing = Listing(platform="t", listing_id="1", url="u", title=title)
    assert brand in {hit.brand.name for hit in index.brands_in(ListingText(listing))}


@pytest.mark.parametrize(("title", "evasive"), [
    ("Túi Gucci Marmont", False), ("Túi 𝐆𝐔𝐂𝐂𝐈 Marmont", False), ("Túi GUCCI", False),
    ("Túi G u c c i", True), ("Túi Gu.cci", True), ("Túi Gucсi", True), ("Túi Gu\u200bcci", True), ("Túi gucc1", True),
])
def test_only_spellings_that_hide_the_name_count_as_evasive(index: CatalogIndex, title: str, evasive: bool) -> None:
    listing = Listing(platform="t", listing_id="1", url="u", title=title)
    (hit,) = [h for h in index.brands_in(ListingText(listing)) if h.brand.name == "Gucci"]
    assert hit.evasive is evasive


def test_look_alike_words_are_not_the_brand(index: CatalogIndex) -> None:
    listing = Listing(platform="t", listing_id="1", url="u", title="Viên uống dầu cá Omega 3 DHA")
    assert "Omega" not in {hit.brand.name for hit in index.brands_in(ListingText(listing))}


def test_accessories_name_no_product(index: CatalogIndex) -> None:
    phone = Listing(platform="t", listing_id="1", url="u", title="iPhone 15 Pro Max 256GB")
    case = Listing(platform="t", listing_id="2", url="u", title="Ốp lưng iPhone 15 Pro Max 256GB")
    assert index.product_in(ListingText(phone)) is not None
    assert index.product_in(ListingText(case)) is None
