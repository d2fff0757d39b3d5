"""A listing checked twice keeps both captures: the history grows, the first stays readable and verifiable.

A tiny shop site on 127.0.0.1 serves one product page (schema.org Product markup) whose text changes
between the two ``crawler check`` runs; both are crawled through the real pipelines into a real store.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import ClassVar

import pytest

from crawler.check import check_url
from crawler.evidence import EvidenceBlobs
from crawler.store import open_store
from tests.http_threads import serving

SETTINGS = {"AUTOTHROTTLE_ENABLED": "0", "DOWNLOAD_DELAY": "0", "ROBOTSTXT_OBEY": "0", "RETRY_ENABLED": "0",
            "SCREENSHOTS_ON_CHECK": "0"}


def product_page(description: str) -> bytes:
    product = {"@context": "https://schema.org", "@type": "Product", "name": "Súng bắn bi sắt + 500 viên đạn chì",
               "sku": "sung-1", "description": description,
               "offers": {"@type": "Offer", "price": "850000", "priceCurrency": "VND"}}
    return (f"<!doctype html><html><head><title>Súng</title><script type=\"application/ld+json\">"
            f"{json.dumps(product, ensure_ascii=False)}</script></head><body><h1>Súng bắn bi</h1></body></html>"
            ).encode()


class _Shop(BaseHTTPRequestHandler):
    body: ClassVar[bytes] = b""

    def do_GET(self) -> None:
        if self.path != "/san-pham/sung-1":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def shop() -> Iterator[str]:
    with serving(_Shop) as base:
        yield base + "/san-pham/sung-1"


@pytest.mark.slow
def test_a_second_check_with_changed_content_appends_a_capture(shop: str, tmp_path: Path) -> None:
    evidence_dir = tmp_path / "evidence"
    store = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    settings = {**SETTINGS, "EVIDENCE_DIR": str(evidence_dir)}
    _Shop.body = product_page("Hàng mới về, bắn bi sắt cực mạnh")
    (first,) = check_url(shop, store, settings).listings
    assert first.flags and first.evidence is not None and len(first.evidence) == 1
    _Shop.body = product_page("Giảm giá! Còn 3 khẩu, inbox")
    (second,) = check_url(shop, store, settings).listings
    again_body = _Shop.body
    (third,) = check_url(shop, store, settings).listings  # identical bytes: no duplicate capture
    assert second.evidence is not None and len(second.evidence) == 2
    assert third.evidence is not None and [c.sha256 for c in third.evidence] == [c.sha256 for c in second.evidence]
    old, new = second.evidence
    assert old.sha256 == first.evidence[0].sha256 and old.captured_at == first.evidence[0].captured_at
    assert old.sha256 != new.sha256 and old.kind == new.kind == "response" and old.content_type == "text/html"
    blobs = EvidenceBlobs(evidence_dir)
    assert blobs.verify(old.ref, old.sha256) and blobs.verify(new.ref, new.sha256)
    assert "bắn bi sắt cực mạnh" in blobs.read(old.ref).decode() and blobs.read(new.ref) == again_body
    with open_store(store) as opened:
        stored = opened.get_listing(first.platform, first.listing_id)
    assert stored is not None and stored.evidence is not None and len(stored.evidence) == 2
