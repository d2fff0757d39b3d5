"""Group commit: one ``fsync`` in a worker thread for every write made before it started.

The store pipeline writes each listing to its journal on the crawl's thread and then waits, without
blocking the event loop, until an ``fsync`` begun after that write has finished
(:meth:`GroupSync.wait`). While one ``fsync`` runs, the listings written meanwhile wait for the next,
which then covers them all: a listing is still on disk before the pipeline lets it go, but a crawl
pays one ``fsync`` per few listings instead of one each, and the event loop keeps fetching and
parsing during it (an ``fsync`` took 0.25-6 ms on the development VM, the longer under load).

Used only inside a running asyncio loop (a crawl: Scrapy's asyncio reactor); without one the
pipeline syncs each write itself, as before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor


class GroupSync:
    """Run ``sync`` (an ``fsync``) in one worker thread on behalf of every waiter that asked before it began."""

    def __init__(self, sync: Callable[[], None], loop: asyncio.AbstractEventLoop) -> None:
        self._sync = sync
        self._loop = loop
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="journal-fsync")
        self._waiting: list[asyncio.Future[None]] = []
        self._running: asyncio.Future[None] | None = None
        self.syncs = 0
        """``sync`` calls started so far."""

    def wait(self) -> asyncio.Future[None]:
        """A future that completes once a ``sync`` started after this call has returned (with its
        exception when it raised). Call it after the write it is to cover."""
        future: asyncio.Future[None] = self._loop.create_future()
        self._waiting.append(future)
        if self._running is None:
            self._start()
        return future

    def _start(self) -> None:
        batch, self._waiting = self._waiting, []
        self.syncs += 1
        running = self._running = self._loop.run_in_executor(self._executor, self._sync)
        running.add_done_callback(lambda done: self._finished(done, batch))

    def _finished(self, done: asyncio.Future[None], batch: list[asyncio.Future[None]]) -> None:
        self._running = None
        error = asyncio.CancelledError() if done.cancelled() else done.exception()
        for future in batch:
            if future.done():
                continue
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(None)
        if self._waiting:
            self._start()

    @property
    def idle(self) -> bool:
        """No ``sync`` running and nobody waiting."""
        return self._running is None and not self._waiting

    def close(self) -> None:
        """Wait for a running ``sync`` to end and stop the worker thread."""
        self._executor.shutdown(wait=True)
