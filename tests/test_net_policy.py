"""Tip-offs that cannot be turned inward: judging URLs and addresses (no real DNS: a fake resolver)."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from twisted.internet.error import DNSLookupError

from crawler.net_policy import (
    GuardedResolver,
    NetPolicyMiddleware,
    RefusedURL,
    address_problem,
    allowed_hosts,
    check_url_allowed,
    judge_url,
)
from tests.mockserver import REPO

NONE: frozenset[str] = frozenset()


def fake_dns(table: dict[str, list[str]]) -> Any:
    """A getaddrinfo that answers from ``table`` (and fails like the real one for anything else)."""

    def getaddrinfo(host: str, port: int, *args: Any) -> list[tuple[Any, ...]]:
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
                for a in table[host]]

    return getaddrinfo


@pytest.mark.parametrize(("address", "why"), [
    ("169.254.169.254", "link-local"),
    ("10.0.0.1", "private"),
    ("192.168.1.1", "private"),
    ("172.16.0.5", "private"),
    ("127.0.0.1", "loopback"),
    ("0.0.0.0", "unspecified"),
    ("224.0.0.1", "multicast"),
    ("100.64.0.1", "not a globally routable"),
    ("240.0.0.1", "private network"),
    ("::1", "loopback"),
    ("fd00::1", "private"),
    ("fe80::1", "link-local"),
    ("ff02::1", "multicast"),
    ("::", "unspecified"),
    ("::ffff:169.254.169.254", "carries IPv4 169.254.169.254, a link-local"),
    ("::ffff:127.0.0.1", "carries IPv4 127.0.0.1, a loopback"),
    ("2002:0a00:0001::1", "carries IPv4 10.0.0.1"),
    ("64:ff9b::a9fe:a9fe", "carries IPv4 169.254.169.254"),
])
def test_non_public_addresses_are_refused_with_the_reason(address: str, why: str) -> None:
    problem = address_problem(address)
    assert problem is not None and why in problem


@pytest.mark.parametrize("address", ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_pass(address: str) -> None:
    assert address_problem(address) is None


@pytest.mark.parametrize("url", [
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.1/admin",
    "http://[fd00::1]/",
    "http://[::ffff:a9fe:a9fe]/",
    "http://127.0.0.1:27017/",
    "http://0/",
])
def test_literal_addresses_are_judged_without_dns(url: str) -> None:
    verdict = judge_url(url, NONE, resolver=fake_dns({}))
    assert not verdict.allowed and verdict.reason


def test_every_address_of_a_name_is_judged_after_dns() -> None:
    dns = fake_dns({"shop.example": ["93.184.216.34", "10.0.0.1"], "good.example": ["93.184.216.34"]})
    verdict = judge_url("https://shop.example/p/1", NONE, resolver=dns)
    assert not verdict.allowed
    assert verdict.reason is not None and "shop.example resolves to 10.0.0.1" in verdict.reason
    assert "private" in verdict.reason and "ALLOWED_PRIVATE_HOSTS" in verdict.reason
    assert judge_url("https://good.example/p/1", NONE, resolver=dns).allowed


def test_listed_hosts_pass_and_others_on_the_same_address_do_not() -> None:
    dns = fake_dns({"localhost": ["127.0.0.1"]})
    allowed = allowed_hosts("127.0.0.1, localhost")
    assert judge_url("http://127.0.0.1:8080/tiki/x", allowed, resolver=dns).allowed
    assert judge_url("http://localhost:8080/tiki/x", allowed, resolver=dns).allowed
    assert not judge_url("http://[::1]:8080/", allowed, resolver=dns).allowed
    assert allowed_hosts(["[::1]", " "]) == frozenset({"::1"})


def test_other_schemes_are_refused() -> None:
    assert not judge_url("file:///etc/passwd", NONE).allowed
    assert not judge_url("ftp://ftp.example/x", NONE).allowed
    assert judge_url("about:blank", NONE).allowed


def test_check_url_allowed_names_host_address_and_why() -> None:
    dns = fake_dns({"evil.example": ["169.254.169.254"]})
    with pytest.raises(RefusedURL, match=r"evil\.example resolves to 169\.254\.169\.254: a link-local"):
        check_url_allowed("http://evil.example/x", NONE, resolver=dns)
    with pytest.raises(RefusedURL, match=r"cannot resolve nowhere\.example"):
        check_url_allowed("http://nowhere.example/x", NONE, resolver=dns)


def run(coro: Any) -> Any:
    return asyncio.new_event_loop().run_until_complete(coro)


def test_middleware_refuses_a_redirect_to_link_local() -> None:
    dns = fake_dns({"shop.example": ["93.184.216.34"]})
    middleware = NetPolicyMiddleware(NONE, resolver=dns)
    middleware._verdicts[("https", "shop.example", None)] = judge_url("https://shop.example/", NONE, dns)
    assert run(middleware.process_request(Request("https://shop.example/p/1"))) is None
    redirected = Request("http://169.254.169.254/latest/meta-data/",
                         meta={"redirect_urls": ["https://shop.example/p/1"]})
    middleware._verdicts[("http", "169.254.169.254", None)] = judge_url(redirected.url, NONE, dns)
    with pytest.raises(IgnoreRequest, match=r"redirected from https://shop\.example/p/1.*link-local"):
        run(middleware.process_request(redirected))


def test_resolver_refuses_a_rebound_answer() -> None:
    resolver = GuardedResolver.__new__(GuardedResolver)
    resolver.allowed = allowed_hosts("localhost")
    assert resolver._judge("93.184.216.34", "shop.example") == "93.184.216.34"
    assert resolver._judge("127.0.0.1", "localhost") == "127.0.0.1"
    with pytest.raises(DNSLookupError, match=r"refused shop\.example: resolves to 10\.0\.0\.1, a private"):
        resolver._judge("10.0.0.1", "shop.example")


@pytest.mark.slow
def test_the_resolver_refuses_the_address_the_download_would_connect_to(tmp_path: Path) -> None:
    """DNS rebinding: with the middleware's verdict out of the way (as if the name had resolved to a public
    address a moment before), Scrapy's own look-up still refuses an inward answer before connecting."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    command = [sys.executable, "-m", "scrapy", "fetch", "-s", "ROBOTSTXT_OBEY=0", "-s", "RETRY_ENABLED=0",
               "-s", 'DOWNLOADER_MIDDLEWARES={"crawler.net_policy.NetPolicyMiddleware": null}']
    env = {**os.environ, "ALLOWED_PRIVATE_HOSTS": "127.0.0.1"}  # "localhost" is not listed
    try:
        refused = subprocess.run([*command, f"http://localhost:{port}/secret"], cwd=REPO, env=env,
                                 capture_output=True, text=True, timeout=120, check=False)
        allowed = subprocess.run([*command, f"http://127.0.0.1:{port}/fine"], cwd=REPO, env=env,
                                 capture_output=True, text=True, timeout=120, check=False)
    finally:
        server.shutdown()
        server.server_close()
    assert "refused localhost: resolves to 127.0.0.1, a loopback address" in refused.stderr, refused.stderr[-2000:]
    assert hits == ["/fine"]  # the refused request never reached the server
    assert allowed.returncode == 0
