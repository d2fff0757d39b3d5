"""A real ``redis-server`` (Debian package ``redis-server``) on 127.0.0.1 for a test, stopped by its PID.

    with RedisServer(tmp_path) as url:      # "redis://127.0.0.1:PORT/0"
        ...

The port is a free one (a socket bound to port 0 first), nothing is saved (``--save ''``,
``--appendonly no``), its files go to the given folder. :func:`redis_server_or_skip` finds the
program: missing, the test is skipped with the reason printed, except on CI (``CI`` set), where
``make test`` installs it (the Makefile's DEBIAN_PACKAGES) and its absence is a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

import pytest

START_TIMEOUT = 10.0


def redis_server_or_skip() -> str:
    """The ``redis-server`` program; skips the test (printing why) when missing, fails on CI."""
    found = shutil.which("redis-server") or next(
        (p for p in ("/usr/bin/redis-server", "/usr/sbin/redis-server") if os.access(p, os.X_OK)), None
    )
    if found:
        return found
    reason = "redis-server not found (install the Debian package redis-server; `make test` does)"
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: CI must run this test", pytrace=False)
    print(f"SKIP: {reason}")
    pytest.skip(reason)


def free_port() -> int:
    """A port nothing listens on now (bound to port 0, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisServer:
    """``redis-server`` on 127.0.0.1 in a subprocess; ``__enter__`` gives its URL."""

    def __init__(self, folder: Path, program: str | None = None) -> None:
        self.folder = folder
        self.program = program or redis_server_or_skip()
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.log = folder / "redis.log"

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        for _ in range(3):  # another process may take the free port between the probe and the start
            self.port = free_port()
            command = [self.program, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                       "--appendonly", "no", "--dir", str(self.folder), "--logfile", str(self.log)]
            self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if self._answers():
                return self.url
            self.stop()
        raise RuntimeError(f"redis-server did not start: {self.log.read_text(errors='replace')[-2000:]}")

    def _answers(self) -> bool:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline and self.process is not None and self.process.poll() is None:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(64).startswith(b"+PONG"):
                        return True
            except OSError:
                time.sleep(0.05)
        return False

    def stop(self) -> None:
        """Terminate the server by its PID (kill it if it does not stop in time)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)

    def __enter__(self) -> str:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
