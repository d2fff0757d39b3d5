"""``crawler check URL``: the spider chosen by host, a tip-off crawled through the pipelines, its verdict."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import ClassVar

import pytest
from typer.testing import CliRunner

from crawler.check import CheckError, check_url, crawl_settings, spider_for_url
from crawler.cli import app
from crawler.crawl_process import crawl_command
from crawler.exit_codes import ExitCode
from crawler.store import open_store
from tests.http_threads import serving
from tests.spider_runs import expected


@pytest.mark.parametrize(("url", "spider"), [
    ("https://tiki.vn/kem-p123.html?spid=4", "tiki"),
    ("https://shopee.vn/product/1/2", "shopee"),
    ("https://www.lazada.vn/products/x-i1-s2.html", "lazada"),
    ("https://www.sendo.vn/x-37825800.html", "sendo"),
    ("https://xe.chotot.com/mua-ban-xe-may/131061275.htm", "chotot"),
    ("https://www.chotot.com/131061275.htm", "chotot"),
    ("https://shop-my-pham.vn/san-pham/kem-a", "shopsite"),
    ("https://nottiki.vn/x-p1.html", "shopsite"),
    ("http://127.0.0.1:8080/shop/x", "shopsite"),
])
def test_spider_from_the_host(url: str, spider: str) -> None:
    assert spider_for_url(url) == (spider, None)


def test_mock_urls_point_every_host_at_the_mock() -> None:
    spider, bases = spider_for_url("http://127.0.0.1:8080/sendo/x-37800005.html")
    assert spider == "sendo" and bases is not None
    assert bases["sendo_detail"] == "http://127.0.0.1:8080/sendo_detail"
    assert spider_for_url("http://localhost:9/chotot/1.htm")[0] == "chotot"
    with pytest.raises(CheckError, match="not an http"):
        spider_for_url("file:///etc/passwd")


def test_the_url_is_one_argument_never_a_shell_line(tmp_path: Path) -> None:
    url = "https://tiki.vn/a-p1.html?x=$(rm -rf ~);echo"
    command = crawl_command("tiki", {"url": url, "source": "tip-off"}, crawl_settings("sqlite:///x", None))
    assert f"url={url}" in command and "-a" in command and "source=tip-off" in command




SETTINGS = {"AUTOTHROTTLE_ENABLED": "0", "DOWNLOAD_DELAY": "0", "ROBOTSTXT_OBEY": "0", "SCREENSHOTS_ON_CHECK": "0"}
"""Screenshots on check are tested in tests/test_evidence_screenshots.py."""


@pytest.mark.slow
def test_tiki_tip_off_is_stored_with_its_verdict(server: str, tmp_path: Path) -> None:
    wanted = [w for w in expected(server, "tiki").values() if w.origin is None]
    target = wanted[0]
    store = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    with open_store(store) as history:  # full crawls of the spider: a one-listing tip-off is not compared with them
        for day in range(1, 4):
            at = datetime(2026, 12, day, tzinfo=UTC)
            history.record_crawl_run({"spider": "tiki", "started_at": at, "finished_at": at,
                                      "stats": {"item_scraped_count": 500}})  # fmt: skip
    result = check_url(target.url, store, {**SETTINGS, "EVIDENCE_DIR": str(tmp_path / "ev")})
    (listing,) = result.listings
    assert (listing.key, listing.source, listing.price, listing.url) == (
        f"tiki:{target.listing_id}", "tip-off", target.price, target.url)
    assert "missing_origin" in {flag.kind for flag in listing.flags} and listing.risk > 0
    assert listing.evidence is not None and len(listing.evidence[0].sha256 or "") == 64


@pytest.mark.slow
def test_cli_check_prints_flags_risk_and_evidence(server: str, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVIDENCE_DIR", str(tmp_path / "ev"))
    monkeypatch.setenv("ROBOTSTXT_OBEY", "0")
    monkeypatch.setenv("SCREENSHOTS_ON_CHECK", "0")
    store = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    url = f"{server}/chotot/131000005.htm"  # "Đồng hồ Rolex Submariner rep 1:1"
    result = CliRunner(env={"COLUMNS": "240"}).invoke(app, ["check", url, "--store", store])
    assert result.exit_code == 0, result.output
    assert "chotot:131000005" in result.output and "source: tip-off" in result.output
    assert "counterfeit [" in result.output and "risk: " in result.output
    assert re.search(r"(response|list_page) HTTP 200: sha256 [0-9a-f]{64}", result.output), result.output


@pytest.mark.slow
def test_cli_check_says_when_there_is_no_listing(server: str, tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'none.sqlite3'}"
    result = CliRunner().invoke(app, ["check", f"{server}/chotot/999.htm", "--store", store])
    assert result.exit_code == ExitCode.NOT_FOUND and "no listing found" in result.output


@pytest.mark.parametrize("url", [
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "http://10.0.0.1/admin",
    "http://[fd00::1]/",
    "http://127.0.0.1:27017/",  # the database's own port
    "http://[::ffff:169.254.169.254]/",
])
def test_check_refuses_inward_urls_before_crawling(url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLOWED_PRIVATE_HOSTS", "")  # production: no local test server listed
    store = tmp_path / "never.sqlite3"
    result = CliRunner(env={"COLUMNS": "240"}).invoke(app, ["check", url, "--store", f"sqlite:///{store}"])
    assert result.exit_code == 1
    assert "refused" in result.output and "ALLOWED_PRIVATE_HOSTS" in result.output
    assert any(why in result.output for why in ("link-local", "private", "loopback")), result.output
    assert not store.exists()  # nothing was crawled, nothing stored


class _Redirector(BaseHTTPRequestHandler):
    """A local (allowed) host that redirects to an inward address, counting what it is asked."""

    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).hits.append(self.path)
        target = {"/to-metadata": "http://169.254.169.254/latest/meta-data/", "/to-private": "http://10.0.0.1/admin",
                  "/to-db": "http://127.0.0.2:27017/"}.get(self.path)
        if target is None:
            self.send_response(404)
            self.end_headers()
            return
        self.send_response(302)
        self.send_header("Location", target)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def redirector() -> Iterator[str]:
    with serving(_Redirector) as base:
        yield base


@pytest.mark.parametrize(("path", "target", "why"), [
    ("/to-metadata", "http://169.254.169.254/latest/meta-data/", "a link-local"),
    ("/to-private", "http://10.0.0.1/admin", "a private network"),
    ("/to-db", "http://127.0.0.2:27017/", "a loopback"),
])
def test_a_redirect_to_an_inward_address_is_refused_without_connecting(
    redirector: str, path: str, target: str, why: str, tmp_path: Path
) -> None:
    log = tmp_path / "crawl.log"
    store = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    result = check_url(f"{redirector}{path}", store,
                       {**SETTINGS, "LOG_FILE": str(log), "RETRY_ENABLED": "0", "EVIDENCE_DIR": str(tmp_path / "ev")})
    assert result.listings == []
    text = log.read_text(encoding="utf-8")
    assert f"refused {target} (redirected from {redirector}{path}):" in text, text[-3000:]
    assert why in text and "'netpolicy/refused': 1" in text
    # refused in the downloader middleware, before any download handler: no connection was tried
    assert not any(word in text for word in ("ConnectError", "TCPTimedOut", "ConnectionRefused", "NoRouteError"))
    assert _Redirector.hits.count(path) == 1
