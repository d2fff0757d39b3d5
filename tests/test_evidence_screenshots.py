"""Screenshots for listings crawled over an API: queued by the crawl, taken by ``crawler evidence capture``
with Debian's Chromium, appended to the listing's evidence; and Chromium's own requests obey the net policy.

Against the demo marketplace and a small local page server, with real Chromium (slow).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import ClassVar

import pytest
from typer.testing import CliRunner

from crawler.check import check_url
from crawler.cli import app
from crawler.evidence import EvidenceBlobs
from crawler.items import Flag, Listing
from crawler.net_policy import BrowserRequestPolicy
from crawler.screenshot_queue import ScreenshotQueue, page_url_problem, run_capture, wants_screenshot
from crawler.store import open_store
from tests.http_threads import serving
from tests.spider_runs import mock_bases

SETTINGS = {"AUTOTHROTTLE_ENABLED": "0", "DOWNLOAD_DELAY": "0", "ROBOTSTXT_OBEY": "0"}
PNG = b"\x89PNG\r\n\x1a\n"


def _flagged(platform: str, url: str, kind: str = "counterfeit") -> Listing:
    return Listing(platform=platform, listing_id="1", url=url, title="Đồng hồ Rolex rep 1:1",
                   flags=[Flag(rule_id=f"{kind}.x", kind=kind, score=0.9, message="x")])  # type: ignore[arg-type]


def test_which_listings_are_queued_and_which_urls_are_rendered() -> None:
    assert wants_screenshot(_flagged("tiki", "https://tiki.vn/p"), has_screenshot=False)
    assert not wants_screenshot(_flagged("tiki", "https://tiki.vn/p"), has_screenshot=True)  # a browser crawl
    assert not wants_screenshot(_flagged("tiki", "https://tiki.vn/p", "missing_origin"), has_screenshot=False)
    assert not wants_screenshot(_flagged("shop-x.vn", "https://shop-x.vn/p"), has_screenshot=False)
    assert page_url_problem("chotot", "https://xe.chotot.com/mua-ban/1.htm") is None
    assert page_url_problem("tiki", "http://127.0.0.1:9/tiki/p", {"tiki": "http://127.0.0.1:9/tiki"}) is None
    # a listing URL the platform's data pointed elsewhere is never rendered
    assert "not one of tiki's" in (page_url_problem("tiki", "http://169.254.169.254/latest") or "")
    assert "not one of tiki's" in (page_url_problem("tiki", "https://tiki.vn.evil.example/p") or "")
    assert "scheme" in (page_url_problem("tiki", "file:///etc/passwd") or "")


def test_the_queue_keeps_one_entry_per_listing_and_gives_up_after_three_failures(tmp_path: Path) -> None:
    queue = ScreenshotQueue(tmp_path)
    listing = _flagged("tiki", "https://tiki.vn/p").model_copy(update={"listing_id": "../../etc/x"})
    queue.add(listing)
    queue.add(listing)
    (entry,) = queue.entries()
    assert len(queue) == 1 and entry.key == "tiki:../../etc/x"
    assert all(path.parent == queue.root for path in queue.root.glob("*.json"))  # the key never builds a path
    assert not queue.failed(entry, "timeout") and not queue.failed(entry, "timeout")
    assert queue.failed(entry, "refused") and len(queue) == 0
    (gone,) = queue.failed_entries()
    assert gone.attempts == 3 and gone.last_error == "refused"


def test_browser_policy_aborts_inward_requests_and_lets_listed_hosts_through() -> None:
    import asyncio

    policy = BrowserRequestPolicy(frozenset({"127.0.0.1"}))

    def request(url: str) -> object:
        return type("R", (), {"url": url, "resource_type": "image"})()

    async def judge() -> list[bool]:
        return [await policy(request(url)) for url in (
            "http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/x.js", "http://[fd00::1]/",
            "http://127.0.0.2:27017/", "http://127.0.0.1:8080/ok.png", "data:image/png;base64,AAAA",
        )]

    assert asyncio.run(judge()) == [True, True, True, True, False, False]
    assert policy.refused == 4


@pytest.mark.slow
def test_an_api_listing_flagged_counterfeit_gets_a_screenshot_appended(
    server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    evidence_dir = tmp_path / "evidence"
    store = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    monkeypatch.setenv("PLATFORM_BASE_URLS", json.dumps(mock_bases(server)))
    url = f"{server}/chotot/131000005.htm"  # "Đồng hồ Rolex Submariner rep 1:1", over Chợ Tốt's API
    (listing,) = check_url(url, store, {**SETTINGS, "EVIDENCE_DIR": str(evidence_dir),
                                        "SCREENSHOTS_ON_CHECK": "0"}).listings
    assert "counterfeit" in {flag.kind for flag in listing.flags}
    assert listing.evidence is not None and [c.kind for c in listing.evidence] == ["response"]
    (entry,) = ScreenshotQueue(evidence_dir).entries()  # queued by the crawl, not taken by it
    assert entry.key == listing.key and entry.url == listing.url
    result = CliRunner(env={"COLUMNS": "200"}).invoke(
        app, ["evidence", "capture", "--store", store, "--evidence-dir", str(evidence_dir)])
    assert result.exit_code == 0, result.output
    assert f"screenshot 1/1 {listing.key}: ok" in result.output and "every screenshot taken" in result.output
    with open_store(store) as opened:
        stored = opened.get_listing(listing.platform, listing.listing_id)
    assert stored is not None and stored.evidence is not None
    assert [c.kind for c in stored.evidence] == ["response", "screenshot"]
    first, shot = stored.evidence
    assert first.sha256 == listing.evidence[0].sha256  # the API response is still there
    assert shot.content_type == "image/png" and shot.url == listing.url and shot.ref.endswith(".png.gz")
    blobs = EvidenceBlobs(evidence_dir)
    assert blobs.verify(shot.ref, shot.sha256) and blobs.read(shot.ref).startswith(PNG)
    assert stored.last_seen == listing.last_seen  # being rendered is not being seen by a crawl
    assert len(ScreenshotQueue(evidence_dir)) == 0
    shown = CliRunner(env={"COLUMNS": "200"}).invoke(
        app, ["flags", "show", listing.key, "--store", store, "--evidence-dir", str(evidence_dir)])
    assert "#2 screenshot" in shown.output and shown.output.count("present, sha256 matches") == 2
    empty = CliRunner().invoke(app, ["evidence", "capture", "--store", store, "--evidence-dir", str(evidence_dir)])
    assert empty.exit_code == 0 and "empty" in empty.output


@pytest.mark.slow
def test_check_takes_a_screenshot_at_once(server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    evidence_dir = tmp_path / "evidence"
    store = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    monkeypatch.setenv("EVIDENCE_DIR", str(evidence_dir))
    monkeypatch.setenv("ROBOTSTXT_OBEY", "0")
    url = f"{server}/chotot/131000005.htm"
    result = CliRunner(env={"COLUMNS": "240"}).invoke(app, ["check", url, "--store", store])
    assert result.exit_code == 0, result.output
    assert "screenshot HTTP 200: sha256 " in result.output, result.output
    with open_store(store) as opened:
        stored = opened.get_listing("chotot", "131000005")
    assert stored is not None and stored.evidence is not None
    shot = stored.evidence.latest("screenshot")
    assert shot is not None and EvidenceBlobs(evidence_dir).verify(shot.ref, shot.sha256)


class _Page(BaseHTTPRequestHandler):
    """A listing page whose markup and script point at inward addresses, and one allowed local image."""

    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).hits.append(self.path)
        port = self.server.server_address[1]
        if self.path == "/tiki/p-2.html":  # an allowed image that redirects the browser inward
            body = f"<!doctype html><html><body><img src='http://127.0.0.1:{port}/redirect.png'></body></html>".encode()
            kind = "text/html; charset=utf-8"
        elif self.path == "/tiki/p-1.html":
            body = (f"<!doctype html><html><body><h1>Súng bắn bi</h1>"
                    f"<img src='http://169.254.169.254/latest/meta-data/x.png'>"
                    f"<script src='http://10.0.0.1/steal.js'></script>"
                    f"<img src='http://127.0.0.1:{port}/ok.png'>"
                    f"<script>fetch('http://[fd00::1]/api').catch(() => 0);"
                    f"fetch('http://127.0.0.1:{port}/ok.json').catch(() => 0);</script></body></html>").encode()
            kind = "text/html; charset=utf-8"
        elif self.path == "/redirect.png":  # an allowed host redirecting the browser inward
            self.send_response(302)
            self.send_header("Location", "http://127.0.0.2:9/redirected.png")  # refused, never leaves the host
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        elif self.path in ("/ok.png", "/ok.json"):
            body, kind = b"{}", "application/json"
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def page_server() -> Iterator[str]:
    with serving(_Page) as base:
        yield base


@pytest.mark.slow
def test_chromium_requests_to_inward_addresses_are_aborted(page_server: str, tmp_path: Path) -> None:
    evidence_dir = tmp_path / "evidence"
    store = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    listing = _flagged("tiki", f"{page_server}/tiki/p-1.html", "banned")
    redirected = _flagged("tiki", f"{page_server}/tiki/p-2.html", "banned").model_copy(update={"listing_id": "2"})
    with open_store(store) as opened:
        opened.upsert_listings([listing, redirected])
    ScreenshotQueue(evidence_dir).add(listing)
    ScreenshotQueue(evidence_dir).add(redirected)
    log = tmp_path / "capture.log"
    code = run_capture(evidence_dir, store, timeout=180,
                       settings={"PLATFORM_BASE_URLS": json.dumps({"tiki": f"{page_server}/tiki"}),
                                 "ALLOWED_PRIVATE_HOSTS": "127.0.0.1", "LOG_FILE": str(log)})
    text = log.read_text(encoding="utf-8")
    for url, why in (("http://169.254.169.254/latest/meta-data/x.png", "link-local"),
                     ("http://10.0.0.1/steal.js", "private network"), ("http://[fd00::1]/api", "private network")):
        assert f"browser refused {url}" in text and why in text, (url, text[-3000:])
    assert "/ok.png" in _Page.hits and "/ok.json" in _Page.hits  # the listed local host still works
    with open_store(store) as opened:
        kept = opened.get_listing("tiki", "1")
        other = opened.get_listing("tiki", "2")
    assert kept is not None and kept.evidence is not None and kept.evidence.latest("screenshot") is not None
    # a redirect hop Chromium follows itself (Playwright routes no redirect): detected, logged, nothing kept
    assert "browser was redirected to refused http://127.0.0.2:9/redirected.png" in text, text[-3000:]
    assert "a loopback address" in text
    assert other is not None and other.evidence is None
    assert code == 13, text[-3000:]  # EVIDENCE_INCOMPLETE: tiki:2 stays queued
    (left,) = ScreenshotQueue(evidence_dir).entries()
    assert left.key == "tiki:2" and "redirected to a refused address" in (left.last_error or "")
