"""EvidencePipeline + EvidenceBlobs: flagged listings keep their source response, content-addressed."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from crawler.evidence import EvidenceBlobs
from crawler.items import Flag, Listing
from pipelines.evidence import EvidencePipeline

BODY = '{"id": 1, "name": "Súng bắn bi"}'.encode()


def _listing(flagged: bool, keep: bool = False) -> Listing:
    flags = [Flag(rule_id="banned.weapons", kind="banned", score=0.95, message="vũ khí")] if flagged else []
    return Listing(
        platform="tiki",
        listing_id="1",
        url="https://tiki.vn/p1",
        title="Súng bắn bi",
        flags=flags,
        capture={"url": "https://tiki.vn/api/v2/products/1", "status": 200, "body": BODY, "keep": keep},
    )


@pytest.fixture
def pipeline(tmp_path: Path) -> EvidencePipeline:
    crawler = get_crawler(settings_dict={"EVIDENCE_DIR": str(tmp_path / "evidence")})
    crawler.stats.open_spider()
    return EvidencePipeline.from_crawler(crawler)


def test_flagged_listing_keeps_response_by_sha256(pipeline: EvidencePipeline, tmp_path: Path) -> None:
    listing = pipeline.process_item(_listing(flagged=True))
    digest = hashlib.sha256(BODY).hexdigest()
    assert listing.capture is None
    assert listing.evidence is not None and len(listing.evidence) == 1
    capture = listing.evidence[0]
    assert capture.kind == "response" and capture.sha256 == digest and capture.size == len(BODY)
    assert capture.http_status == 200 and capture.content_type == "application/json"
    assert capture.url == "https://tiki.vn/api/v2/products/1" and capture.captured_at is not None
    stored = tmp_path / "evidence" / digest[:2] / digest[2:4] / f"{digest}.json.gz"  # JSON kept as .json
    assert capture.ref == str(stored.relative_to(tmp_path / "evidence"))
    assert gzip.decompress(stored.read_bytes()) == BODY
    assert "capture" not in listing.to_document()


def test_unflagged_listing_keeps_nothing(pipeline: EvidencePipeline, tmp_path: Path) -> None:
    listing = pipeline.process_item(_listing(flagged=False))
    assert listing.evidence is None and listing.capture is None
    assert not (tmp_path / "evidence").exists()


def test_listing_marked_keep_is_kept(pipeline: EvidencePipeline) -> None:
    assert pipeline.process_item(_listing(flagged=False, keep=True)).evidence is not None


def test_switched_off() -> None:
    with pytest.raises(NotConfigured):
        EvidencePipeline.from_crawler(get_crawler(settings_dict={"EVIDENCE_ENABLED": False}))


def test_blobs_dedupe_verify_and_refuse_paths_outside(tmp_path: Path) -> None:
    blobs = EvidenceBlobs(tmp_path)
    first = blobs.put(b"abc", ".html")
    second = blobs.put(b"abc", ".html")
    assert first == second
    assert blobs.read(first.ref) == b"abc"
    assert blobs.verify(first.ref, first.sha256)
    (tmp_path / first.ref).write_bytes(gzip.compress(b"tampered"))
    assert not blobs.verify(first.ref, first.sha256)
    with pytest.raises(ValueError, match="outside"):
        blobs.read("../../etc/passwd")
