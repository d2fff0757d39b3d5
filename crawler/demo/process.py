"""The demo marketplace as a subprocess on 127.0.0.1, for ``crawler demo`` and the tests.

    with MarketplaceProcess() as market:   # started with --host 127.0.0.1 --port 0
        market.base_url                     # "http://127.0.0.1:PORT", read from its LISTENING line

It is stopped by the PID it was started with (terminate, then kill if it does not stop in time). Its
stderr goes to a temporary file, so it can never block on a full pipe, and is kept in
``stderr_text`` when it stops (and quoted when it fails to start).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from types import TracebackType

REPO_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 20.0
STOP_TIMEOUT = 5.0


class MarketplaceStartError(RuntimeError):
    """The marketplace did not print its LISTENING line; the message quotes what it said."""


class MarketplaceProcess:
    """The demo marketplace in a subprocess; extra ``args`` go to its command line after the defaults."""

    def __init__(self, *args: str, data: Path | None = None, start_timeout: float = START_TIMEOUT) -> None:
        self.args = list(args)
        self.start_timeout = start_timeout
        """Seconds to wait for the LISTENING line (a big ``data`` file takes longer to load)."""
        if data is not None:
            self.args += ["--data", str(data)]
        self.process: subprocess.Popen[str] | None = None
        self.base_url = ""
        self.stderr_text = ""
        """The server's stderr, kept when it stops."""
        self._stderr = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # noqa: SIM115 - closed in __exit__

    def start(self) -> str:
        """Start the server and return its base URL; raises :class:`MarketplaceStartError`."""
        command = [sys.executable, "-m", "crawler.demo.marketplace", "--host", "127.0.0.1", "--port", "0", *self.args]
        self.process = subprocess.Popen(
            command, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=self._stderr, text=True, encoding="utf-8"
        )
        line = self._first_line()
        if not line.startswith("LISTENING http://"):
            self.stop()
            raise MarketplaceStartError(f"marketplace did not start: {line!r}\n{self.stderr()[-2000:]}")
        self.base_url = line.split()[1]
        return self.base_url

    @property
    def pid(self) -> int | None:
        """The server's process id, once started."""
        return self.process.pid if self.process is not None else None

    def _first_line(self) -> str:
        assert self.process is not None and self.process.stdout is not None
        stdout = self.process.stdout
        result: list[str] = []
        reader = threading.Thread(target=lambda: result.append(stdout.readline().strip()), daemon=True)
        reader.start()
        reader.join(self.start_timeout)
        return result[0] if result else f"(nothing within {self.start_timeout:.0f}s)"

    def stop(self) -> int | None:
        """Terminate the server by its PID; kill it if it does not stop in time. Returns its exit code."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(STOP_TIMEOUT)
        if self.process.stdout is not None:
            self.process.stdout.close()
        return self.process.returncode

    def stderr(self) -> str:
        """What the server wrote to stderr so far."""
        self._stderr.seek(0)
        return self._stderr.read()

    def __enter__(self) -> MarketplaceProcess:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
        self.stderr_text = self.stderr()
        self._stderr.close()
