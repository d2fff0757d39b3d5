"""The tests' network guard (tests/netguard/sitecustomize.py, installed by tests/conftest.py): no DNS
look-up or connection beyond 127.0.0.0/8, in the pytest process and in the subprocesses tests start,
and the test that tried fails.

Each test here tries on purpose, checks what the guard did, then takes its lines back out of the
guard's log before it ends (so the test itself passes).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import _fail_if_refused, _guard_size, netguard
from tests.mockserver import REPO


class GuardLog:
    """The guard's log from the start of a test: what it refused since, and :meth:`forget` to take it back."""

    def __init__(self) -> None:
        self.path = Path(os.environ[netguard.ENV])
        self.before = _guard_size()

    def new_lines(self) -> str:
        with self.path.open(encoding="utf-8") as handle:
            handle.seek(self.before)
            return handle.read()

    def forget(self) -> None:
        os.truncate(self.path, self.before)


@pytest.fixture
def guard_log() -> Iterator[GuardLog]:
    log = GuardLog()
    yield log
    log.forget()  # also when the test failed before its own forget()


def test_dns_and_connections_beyond_loopback_are_refused_and_fail_the_test(guard_log: GuardLog) -> None:
    with pytest.raises(socket.gaierror, match="refused by the test network guard"):
        socket.getaddrinfo("tiki.vn", 443)
    with pytest.raises(socket.gaierror, match="refused by the test network guard"):
        socket.gethostbyname("api.tiki.vn")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1)
        with pytest.raises(OSError, match="refused by the test network guard"):
            sock.connect(("93.184.216.34", 80))
        assert sock.connect_ex(("8.8.8.8", 53)) != 0
    lines = guard_log.new_lines()
    assert "'tiki.vn'" in lines and "'api.tiki.vn'" in lines and "'93.184.216.34'" in lines and "'8.8.8.8'" in lines
    with pytest.raises(pytest.fail.Exception, match=r"outside 127\.0\.0\.0/8"):  # what the hooks do after a test
        _fail_if_refused(guard_log.before)
    guard_log.forget()


def test_loopback_stays_open(guard_log: GuardLog) -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        accepted = threading.Thread(target=lambda: server.accept()[0].close(), daemon=True)
        accepted.start()
        with socket.create_connection(("localhost", port), timeout=5):
            pass
        accepted.join(5)
    assert socket.getaddrinfo("127.0.0.2", 80) and socket.gethostbyname("localhost").startswith("127.")
    assert _guard_size() == guard_log.before


def test_subprocesses_are_guarded_too(guard_log: GuardLog) -> None:
    probe = subprocess.run(
        [sys.executable, "-c", "import socket; socket.getaddrinfo('shopee.vn', 443)"],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert probe.returncode != 0 and "refused by the test network guard" in probe.stderr
    assert "'shopee.vn'" in guard_log.new_lines()
    guard_log.forget()


@pytest.mark.slow
def test_a_crawl_of_the_real_site_is_refused(guard_log: GuardLog, tmp_path: Path) -> None:
    crawl = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "tiki", "-a", "keywords=iphone", "-s", "RETRY_TIMES=0",
         "-s", "ROBOTSTXT_OBEY=0", "-s", "ITEM_PIPELINES={}", "-s", f"SPOOL_DIR={tmp_path}"],
        cwd=REPO, capture_output=True, text=True, timeout=120, check=False,
    )
    assert "'tiki.vn'" in guard_log.new_lines(), crawl.stderr[-3000:]
    assert crawl.returncode != 0
    guard_log.forget()
