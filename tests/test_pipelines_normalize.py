"""NormalizePipeline: dict items → Listing; bad fields are dropped and reported, not the listing."""

from __future__ import annotations

import logging

import pytest
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from crawler.items import Listing
from pipelines.normalize import NormalizePipeline


@pytest.fixture
def pipeline() -> NormalizePipeline:
    crawler = get_crawler()
    crawler.stats.open_spider()
    return NormalizePipeline.from_crawler(crawler)


def _item(**fields: object) -> dict[str, object]:
    base = {"platform": "shopee", "listing_id": "9", "url": "https://shopee.vn/p-i.1.9", "title": "Kem chống nắng"}
    return base | fields


def test_valid_item_becomes_listing(pipeline: NormalizePipeline) -> None:
    listing = pipeline.process_item(_item(price="250k", capture={"url": "u", "status": 200, "body": b"{}"}))
    assert isinstance(listing, Listing)
    assert listing.price == 250_000
    assert listing.capture is not None and listing.capture.body == b"{}"
    assert pipeline.stats.get_value("normalize/valid") == 1


def test_bad_fields_are_logged_with_url_and_field_and_removed(
    pipeline: NormalizePipeline, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    listing = pipeline.process_item(_item(price="giá sốc!!", rating=9, seller={"name": "Shop A", "official": "?"}))
    assert listing.price is None and listing.rating is None
    assert listing.seller.name == "Shop A"
    messages = "\n".join(record.getMessage() for record in caplog.records)
    assert "https://shopee.vn/p-i.1.9 field=price" in messages
    assert "field=rating" in messages
    assert "field=seller.official" in messages
    assert pipeline.stats.get_value("normalize/invalid_field/price") == 1


def test_price_on_request_is_not_an_error(pipeline: NormalizePipeline) -> None:
    assert pipeline.process_item(_item(price="Liên hệ")).price is None
    assert pipeline.stats.get_value("normalize/invalid_field/price") is None


@pytest.mark.parametrize("missing", ["title", "listing_id", "url"])
def test_item_without_identity_is_dropped_with_reason(pipeline: NormalizePipeline, missing: str) -> None:
    item = _item()
    item.pop(missing)
    with pytest.raises(DropItem, match=f"field={missing}"):
        pipeline.process_item(item)
    assert pipeline.stats.get_value("normalize/dropped") == 1


def test_non_dict_output_is_dropped(pipeline: NormalizePipeline) -> None:
    with pytest.raises(DropItem, match="not a listing"):
        pipeline.process_item(["not", "an", "item"])


def test_field_coverage_and_invalid_listings_are_counted(pipeline: NormalizePipeline) -> None:
    """The monitors' counters: every item seen, the four compared fields of each valid listing, and
    listings kept with an unreadable field (once each, however many fields)."""
    pipeline.process_item(_item(price=250_000, origin="Việt Nam", seller={"name": "Shop A"}))
    pipeline.process_item(_item(listing_id="10", seller={"platform_id": "77"}))
    pipeline.process_item(_item(listing_id="11", price="giá sốc!!", rating=9))
    with pytest.raises(DropItem):
        pipeline.process_item({"platform": "shopee", "listing_id": "12", "url": "https://shopee.vn/x"})
    pipeline.process_item(Listing.model_validate(_item(listing_id="13", price=1)))
    stats = pipeline.stats.get_stats()
    assert {key: value for key, value in stats.items() if key.startswith("fields/")} == {
        "fields/listings": 5, "fields/present/title": 4, "fields/present/price": 2, "fields/present/seller": 2,
        "fields/present/origin": 1,
    }  # fmt: skip
    assert stats["normalize/with_invalid_fields"] == 1
