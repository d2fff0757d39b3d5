"""DetectPipeline's memory in a long crawl: the engine's per-text caches bounded by DETECT_CACHE_ENTRIES
(same flags whatever the bound), the listings kept for the end-of-run price re-judgement compressed."""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy.utils.test import get_crawler

from bench.crawl import synthetic_listings
from crawler.detect import catalog, conditions, fields, phrases
from crawler.items import Listing
from pipelines.detect import DetectPipeline, _slim, _unslim

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def restore_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine's module-wide bounds as they were, after the test."""
    for module, name in ((phrases, "_SHARED_LIMIT"), (phrases, "_SPELT_LIMIT"), (fields, "_SHARED_LIMIT"),
                         (catalog, "_CACHE_LIMIT"), (conditions, "TITLE_MEMO_LIMIT")):  # fmt: skip
        monkeypatch.setattr(module, name, getattr(module, name))


def _pipeline(tmp_path: Path, entries: int) -> DetectPipeline:
    crawler = get_crawler(settings_dict={
        "RULES_DIR": str(REPO / "rules"), "STORE_URI": f"sqlite:///{tmp_path / f'store-{entries}.sqlite3'}",
        "DETECT_CACHE_ENTRIES": entries, "SPOOL_DIR": str(tmp_path / "spool"),
    })  # fmt: skip
    crawler.stats.open_spider()
    pipeline = DetectPipeline.from_crawler(crawler)
    pipeline.open_spider()
    return pipeline


def _listings() -> list[Listing]:
    return [Listing.model_validate(record) for record in synthetic_listings(120)]


@pytest.mark.usefixtures("restore_bounds")
def test_the_caches_stay_within_the_bound_and_the_flags_do_not_change(tmp_path: Path) -> None:
    unbounded = _pipeline(tmp_path, 0)
    expected = [unbounded.process_item(listing).flags for listing in _listings()]
    unbounded.close_spider()
    assert phrases._SHARED_LIMIT == 50_000  # 0: the engine's own bounds

    bounded = _pipeline(tmp_path, 25)
    got = [bounded.process_item(listing).flags for listing in _listings()]
    detector = bounded.detector
    sizes = {
        "phrase hits": len(detector.ruleset.registry._shared),
        "field texts": len(fields._SHARED),
        "brands": len(detector.index._brands_cache),
        "products": len(detector.index._product_cache),
        "identities": len(detector.identities._memo._cache),
    }
    bounded.close_spider()
    assert got == expected
    assert all(size <= 25 for size in sizes.values()), sizes
    assert sizes["phrase hits"] and sizes["identities"]  # the caches were used, within the bound


def test_a_kept_listing_takes_well_under_a_kilobyte_and_comes_back_whole() -> None:
    for listing in _listings()[:40]:
        listing.risk = max((flag.score for flag in listing.flags), default=0.0)
        kept = _slim(listing)
        assert isinstance(kept, bytes) and len(kept) < 800
        back = _unslim(kept)
        assert back.model_dump() == listing.model_copy(
            update={"description": None, "capture": None, "images": [], "evidence": None}).model_dump()
