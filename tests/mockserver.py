"""Start the demo marketplace as a subprocess on 127.0.0.1 for a test (Scrapy's tests/mockserver idea).

    with MockServer() as base_url:          # "http://127.0.0.1:PORT"
        ...                                  # spiders use f"{base_url}/tiki" and f"{base_url}/shopee"

The server prints ``LISTENING http://127.0.0.1:PORT`` once ready; it is stopped by its PID
(terminate, wait, kill on timeout). Its stderr goes to a temporary file, shown when it fails to start.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path
from types import TracebackType

REPO = Path(__file__).resolve().parent.parent
START_TIMEOUT = 20.0
STOP_TIMEOUT = 5.0


class MockServer:
    """The demo marketplace in a subprocess; ``__enter__`` gives its base URL."""

    def __init__(self, *args: str, data: Path | None = None) -> None:
        self.args = list(args)
        if data is not None:
            self.args += ["--data", str(data)]
        self.process: subprocess.Popen[str] | None = None
        self.base_url = ""
        self.stderr_text = ""
        """The server's stderr, kept when it stops."""
        self._stderr = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # noqa: SIM115 - closed in __exit__

    def __enter__(self) -> str:
        command = [sys.executable, "-m", "crawler.demo.marketplace", "--host", "127.0.0.1", "--port", "0", *self.args]
        self.process = subprocess.Popen(
            command, cwd=REPO, stdout=subprocess.PIPE, stderr=self._stderr, text=True, encoding="utf-8"
        )
        line = self._first_line()
        if not line.startswith("LISTENING http://"):
            self.stop()
            self._stderr.seek(0)
            raise RuntimeError(f"marketplace did not start: {line!r}\n{self._stderr.read()[-2000:]}")
        self.base_url = line.split()[1]
        return self.base_url

    def _first_line(self) -> str:
        assert self.process is not None and self.process.stdout is not None
        result: list[str] = []

        def read() -> None:
            result.append(self.process.stdout.readline().strip())  # type: ignore[union-attr]

        import threading

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(START_TIMEOUT)
        return result[0] if result else f"(nothing within {START_TIMEOUT:.0f}s)"

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

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
        self.stderr_text = self.stderr()
        self._stderr.close()
