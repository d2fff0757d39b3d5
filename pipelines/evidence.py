"""Third pipeline: keep the response a flagged listing came from, as evidence.

For a listing with flags (or one the detect pipeline marked ``capture.keep``) the raw response body
is stored gzip-compressed and content-addressed under ``EVIDENCE_DIR`` (``ab/cd/<sha256>.html.gz``, or
``.json.gz`` for an API's JSON: the bytes' real content type decides the extension),
a Playwright screenshot likewise (``….png.gz``), and the listing records URL, HTTP status, sha256
and when it was captured. The capture is dropped from every listing afterwards so it never reaches
the store. Switch off with ``EVIDENCE_ENABLED=0``. Stats: ``evidence/kept``, ``evidence/errors``.
"""

from __future__ import annotations

import logging
from typing import Self

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from crawler.evidence import EvidenceBlobs, content_suffix
from crawler.items import Evidence, Listing, utcnow

logger = logging.getLogger(__name__)


class EvidencePipeline:
    """Store the source response of flagged listings; strip captures from all listings."""

    def __init__(self, crawler: Crawler, evidence_dir: str) -> None:
        self.stats = crawler.stats
        self.blobs = EvidenceBlobs(evidence_dir)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("EVIDENCE_ENABLED", True):
            raise NotConfigured("EVIDENCE_ENABLED is off")
        return cls(crawler, crawler.settings.get("EVIDENCE_DIR", "data/evidence"))

    def process_item(self, listing: Listing) -> Listing:
        capture, listing.capture = listing.capture, None
        if capture is None or not (listing.flags or capture.keep):
            return listing
        try:
            page = self.blobs.put(capture.body, content_suffix(capture.body))
            shot = self.blobs.put(capture.screenshot, ".png") if capture.screenshot else None
        except OSError as exc:
            self.stats.inc_value("evidence/errors")
            logger.error("%s: evidence not kept for %s: %s", capture.url, listing.key, exc)
            return listing
        listing.evidence = Evidence(
            url=capture.url,
            http_status=capture.status,
            html_sha256=page.sha256,
            html_ref=page.ref,
            screenshot_ref=shot.ref if shot else None,
            captured_at=utcnow(),
        )
        self.stats.inc_value("evidence/kept")
        return listing
