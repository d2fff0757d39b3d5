"""Third pipeline: keep the response a flagged listing came from, as evidence.

For a listing with flags (or one the detect pipeline marked ``capture.keep``) the raw response body
is stored gzip-compressed and content-addressed under ``EVIDENCE_DIR`` (``ab/cd/<sha256>.html.gz``, or
``.json.gz`` for an API's JSON: the bytes' real content type decides the extension),
a Playwright screenshot likewise (``….png.gz``), and the listing's ``evidence`` gets one capture per
file (kind ``response``/``list_page``/``screenshot``, URL, HTTP status, sha256, size, content type,
when): the store appends them to the captures it already holds, so earlier evidence stays referenced.
The raw capture is dropped from every listing afterwards so it never reaches the store. Switch off
with ``EVIDENCE_ENABLED=0``. Stats: ``evidence/kept``, ``evidence/errors``.
"""

from __future__ import annotations

import logging
from typing import Self

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from crawler.evidence import EvidenceBlobs, content_suffix
from crawler.items import CONTENT_TYPES, Evidence, EvidenceCapture, Listing, utcnow

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
            captures = [self.keep(capture.body, kind=capture.kind, url=capture.url, status=capture.status)]
            if capture.screenshot:
                captures.append(self.keep(capture.screenshot, kind="screenshot", url=capture.url, status=None))
        except OSError as exc:
            self.stats.inc_value("evidence/errors")
            logger.error("%s: evidence not kept for %s: %s", capture.url, listing.key, exc)
            return listing
        listing.evidence = Evidence(captures)
        self.stats.inc_value("evidence/kept")
        return listing

    def keep(self, data: bytes, *, kind: str, url: str, status: int | None) -> EvidenceCapture:
        """Store ``data`` (content-addressed) and describe it as one capture; raises OSError."""
        return capture_record(self.blobs, data, kind=kind, url=url, status=status)


def capture_record(blobs: EvidenceBlobs, data: bytes, *, kind: str, url: str | None,
                   status: int | None) -> EvidenceCapture:
    """Keep ``data`` under ``blobs`` (gzip, content-addressed, the extension of its real content type)
    and return the capture to append to a listing's evidence; raises OSError when it cannot be written."""
    suffix = content_suffix(data)
    blob = blobs.put(data, suffix)
    return EvidenceCapture(kind=kind, url=url, http_status=status, sha256=blob.sha256, size=blob.size,
                           captured_at=utcnow(), content_type=CONTENT_TYPES.get(suffix), ref=blob.ref)
