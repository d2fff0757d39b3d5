"""Listing.field_texts: every matchable field's text in one call, as field_text gives each."""

from __future__ import annotations

import pytest

from crawler.items import TEXT_FIELDS, Listing


@pytest.mark.parametrize("extra", [
    {},
    {"description": "Mô tả", "brand": "Gucci", "category": "Túi", "origin": "Ý", "seller": {"name": "shop A"}},
    {"description": "   ", "brand": "", "category": None, "seller": {"name": None, "official": True}},
    {"origin": "  Việt Nam  ", "seller": {"platform_id": 12}},
])
def test_field_texts_equal_field_text_of_each_field(extra: dict[str, object]) -> None:
    listing = Listing.model_validate({"platform": "t", "listing_id": 1, "url": "u", "title": " Áo ", **extra})
    texts = listing.field_texts()
    assert list(texts) == list(TEXT_FIELDS)
    assert texts == {name: listing.field_text(name) for name in TEXT_FIELDS}


def test_field_texts_of_a_constructed_listing_without_some_fields() -> None:
    listing = Listing.model_construct(platform="t", listing_id="1", url="u", title="x")
    assert listing.field_texts() == {name: listing.field_text(name) for name in TEXT_FIELDS}
