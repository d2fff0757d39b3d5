"""``crawler web`` as a user starts it: a real process on 127.0.0.1 (port 0), answering with its
security headers; stopped by its PID; a missing store is a clear error, not a server."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from crawler.store import open_store

REPO = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "COLUMNS": "200", "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}


def test_crawler_web_serves_on_loopback_and_stops(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    with open_store(uri):
        pass
    process = subprocess.Popen(
        [sys.executable, "-c", "from crawler.cli import main; main()", "web", "--port", "0", "--store", uri],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env=ENV,
    )
    try:
        deadline = time.monotonic() + 60
        seen = ""
        found = None
        while found is None:
            assert time.monotonic() < deadline and process.poll() is None, seen
            line = process.stdout.readline()  # type: ignore[union-attr]
            seen += line
            found = re.search(r"Uvicorn running on http://127\.0\.0\.1:(\d+)", line)
        with urllib.request.urlopen(f"http://127.0.0.1:{found.group(1)}/login", timeout=10) as response:
            assert response.status == 200
            assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
            assert "Đăng nhập" in response.read().decode("utf-8")
        assert "cookies for plain HTTP on loopback" in seen
    finally:
        os.kill(process.pid, signal.SIGTERM)
        process.wait(timeout=20)


def test_crawler_web_without_a_store_says_so(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", "from crawler.cli import main; main()", "web", "--store",
         f"sqlite:///{tmp_path / 'none.sqlite3'}"],
        capture_output=True, text=True, timeout=60,
        env=ENV,
    )
    assert result.returncode == 8
    assert "no store at" in result.stderr and "Traceback" not in result.stderr
