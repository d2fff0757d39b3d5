"""WAL checkpoints of a SQLite store in a background thread, off the writer's path.

In WAL mode every commit appends pages to the ``-wal`` file; a *checkpoint* copies them back into
the database file and syncs both (with ``synchronous = NORMAL``, the only syncs SQLite does). By
default the committing connection checkpoints itself once the WAL passes 1,000 pages, so every few
batches one bulk upsert waits for a copy of megabytes and two ``fsync`` calls: about a third of a
bulk upsert's wall-clock time on this store's rows.

:class:`Checkpointer` runs those checkpoints on its own connection in a daemon thread. SQLite runs a
checkpoint without the GIL, so it overlaps with the next batch's Python work on another core.
Checkpoints are ``PASSIVE``: they never wait for or block a writer or a reader. The writer keeps a
raised automatic checkpoint (:data:`WRITER_AUTOCHECKPOINT` pages) as a backstop: should this thread
fall behind or fail, the WAL still stops growing there. A failed checkpoint is logged and tried
again at the next commit; closing the store stops the thread and closes its connection first.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time

logger = logging.getLogger(__name__)

WRITER_AUTOCHECKPOINT = 8000
"""The writer's own automatic checkpoint, in pages (SQLite's default is 1000): the backstop."""
MIN_INTERVAL = 0.5
"""Seconds between two background checkpoints at most once (commits in between are folded into one)."""


class Checkpointer:
    """Passive WAL checkpoints of the database file ``path``, in a thread started on the first :meth:`poke`."""

    def __init__(self, path: str, *, min_interval: float = MIN_INTERVAL) -> None:
        self.path = path
        self.min_interval = min_interval
        self.checkpoints = 0
        """Checkpoints done (complete or not)."""
        self.failures = 0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def poke(self) -> None:
        """Tell the thread that a transaction was committed (starts it the first time)."""
        if self._thread is None:
            with self._lock:
                if self._thread is None and not self._stop.is_set():
                    self._thread = threading.Thread(target=self._run, name=f"wal-checkpoint {self.path}", daemon=True)
                    self._thread.start()
        self._wake.set()

    @property
    def running(self) -> bool:
        """Whether the thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def close(self) -> None:
        """Stop the thread (after the checkpoint it may be running) and close its connection."""
        with self._lock:
            self._stop.set()
            thread = self._thread
        self._wake.set()
        if thread is not None:
            thread.join()

    def _run(self) -> None:
        try:
            db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
        except sqlite3.Error as exc:
            logger.warning("SQLite store %s: no background checkpoints (%s); the writer checkpoints", self.path, exc)
            return
        try:
            db.execute("PRAGMA busy_timeout = 30000")
            while True:
                self._wake.wait()
                if self._stop.is_set():
                    return
                self._wake.clear()
                started = time.monotonic()
                self._checkpoint(db)
                # commits during the pause are folded into the next checkpoint
                if self._stop.wait(self.min_interval - (time.monotonic() - started)):
                    return
        finally:
            db.close()

    def _checkpoint(self, db: sqlite3.Connection) -> None:
        try:
            db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            self.checkpoints += 1
        except sqlite3.Error as exc:
            self.failures += 1
            logger.warning("SQLite store %s: background checkpoint failed (%s); retried at the next commit",
                           self.path, exc)  # fmt: skip
