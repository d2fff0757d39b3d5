"""Start and stop a MongoDB wire-protocol server (nx-27017, backed by SQLite) for tests.

The server runs as a subprocess on 127.0.0.1 with port 0; its log line ``Listening on
127.0.0.1:<port>`` gives the address. Each logical database is a separate in-memory SQLite
database (``--data-dir memory``), so a test isolates itself by using a fresh database name.
The server is stopped by its PID. Run ``python -m tests.mongo_server`` to start one by hand.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from types import TracebackType

_LISTENING = re.compile(r"Listening on 127\.0\.0\.1:(\d+)")


class NxServerError(RuntimeError):
    """The test server did not start; the message carries the tail of its log."""


class NxServer:
    """One nx-27017 subprocess; a context manager. ``uri(name)`` gives a database's URI."""

    def __init__(self, workdir: Path | None = None, *, in_memory: bool = True) -> None:
        self._tmp = None if workdir else tempfile.TemporaryDirectory(prefix="nx27017-")
        self.workdir = Path(workdir or self._tmp.name)  # type: ignore[union-attr]
        self.in_memory = in_memory
        self.port: int | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.output = self.workdir / "nx-27017.out"

    def start(self, timeout: float = 30.0) -> NxServer:
        """Start the server and wait until it accepts connections; raises NxServerError."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        data = "memory" if self.in_memory else str(self.workdir / "data")
        command = [
            sys.executable, "-m", "nx_27017.nx_27017",
            "--host", "127.0.0.1", "--port", "0", "--data-dir", data,
            "--pid-file", str(self.workdir / "nx-27017.pid"),
            "--log-file", str(self.workdir / "nx-27017.log"),
        ]  # fmt: skip
        with self.output.open("wb") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=self.workdir)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise NxServerError(f"nx-27017 exited with {self.process.returncode}:\n{self._tail()}")
            match = _LISTENING.search(self.output.read_text(errors="replace"))
            if match and self._accepts(int(match.group(1))):
                self.port = int(match.group(1))
                return self
            time.sleep(0.05)
        self.stop()
        raise NxServerError(f"nx-27017 did not listen within {timeout:.0f}s:\n{self._tail()}")

    @staticmethod
    def _accepts(port: int) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            return False

    def _tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.output.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no output)"

    def uri(self, database: str | None = None) -> str:
        """``mongodb://127.0.0.1:<port>/<database>``; a fresh random database name by default."""
        if self.port is None:
            raise NxServerError("nx-27017 is not running")
        return f"mongodb://127.0.0.1:{self.port}/{database or 'test_' + uuid.uuid4().hex[:12]}"

    def stop(self) -> None:
        """Stop the server by its PID (SIGTERM, then SIGKILL after 5 s); idempotent."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        self.port = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> NxServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (just released by the OS)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


if __name__ == "__main__":
    import signal

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stop the server too on `kill <pid>`
    with NxServer() as server:
        print(f"nx-27017 (pid {server.process.pid}) at {server.uri('listing_monitor')}; Ctrl-C stops it")  # type: ignore[union-attr]
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
