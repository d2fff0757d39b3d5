"""The spool and the write-ahead journal: where a crawl's writes wait when the store cannot take them.

Both are JSON Lines files under ``SPOOL_DIR`` whose every append is written and fsynced before it
returns, so what they hold survives a full disk elsewhere, SIGKILL and a power cut alike.

* The **journal** (``<spider>-<time>-<pid>.journal.jsonl``) gets each listing as it reaches the store
  pipeline, before the pipeline lets it go; it is emptied only once the store has committed the
  batch (or the batch is in the spool). The run holds an exclusive ``flock`` on it: a journal nobody
  holds is what a killed run left, and the next run (or ``crawler store import``) loads it.
* The **spool** (``<spider>-<time>.jsonl``) gets what the store refused: listings, the price flags
  re-judged at the end of the run, the crawl-run record. ``crawler store import FILE`` loads it.

A line is a listing document (what :meth:`Listing.to_document` gives), or a record naming its kind
in ``"_record"``: ``{"_record": "flags", "platform", "listing_id", "flags"}`` (a ``replace_flags``)
or ``{"_record": "crawl_run", "run": {...}}``.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from crawler.items import Flag, Listing

RECORD_KEY = "_record"
FLAGS_RECORD = "flags"
RUN_RECORD = "crawl_run"
JOURNAL_SUFFIX = ".journal.jsonl"
SPOOL_PATH_STAT = "store/spool_path"
"""The stat naming the run's spool file, once something was spooled (the end-of-crawl summary shows it)."""


class SpoolError(OSError):
    """A spool or journal write failed (a full disk, a read-only or missing directory)."""


def _line(record: dict[str, Any]) -> bytes:
    return (json.dumps(record, ensure_ascii=False, default=str) + "\n").encode()


def listing_record(listing: Listing) -> dict[str, Any]:
    """A listing's spool line (its store document)."""
    return listing.to_document()


def flags_record(platform: str, listing_id: str, flags: Iterable[Flag]) -> dict[str, Any]:
    """The spool line of a ``replace_flags`` the store could not take."""
    return {
        RECORD_KEY: FLAGS_RECORD,
        "platform": platform,
        "listing_id": listing_id,
        "flags": [flag.model_dump(mode="json") for flag in flags],
    }


def run_record(run: dict[str, Any]) -> dict[str, Any]:
    """The spool line of a crawl-run record the store could not take."""
    return {RECORD_KEY: RUN_RECORD, "run": run}


def append_durably(path: Path, records: Iterable[dict[str, Any]]) -> int:
    """Append ``records`` to ``path`` as JSON lines, fsynced before returning; how many were written.

    On a failure the file is cut back to its length before the call (no torn last line when the
    disk can still take that) and :class:`SpoolError` names the file and the OS error.
    """
    data = b"".join(_line(record) for record in records)
    if not data:
        return 0
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o640)
    except OSError as exc:
        raise SpoolError(exc.errno, f"cannot open spool file {path}: {exc.strerror or exc}") from exc
    try:
        _write_all(fd, data, path)
    finally:
        os.close(fd)
    return data.count(b"\n")


def _write_all(fd: int, data: bytes, path: Path, sync: bool = True) -> None:
    start = os.lseek(fd, 0, os.SEEK_END)
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        if sync:
            os.fsync(fd)
    except OSError as exc:
        with contextlib.suppress(OSError):  # else the import skips the torn last line and says so
            os.ftruncate(fd, start)
        raise SpoolError(exc.errno, f"spool write to {path} failed: {exc.strerror or exc}") from exc


class Journal:
    """A run's write-ahead journal: append each listing (fsynced), empty it once the store has it.

    Holds an exclusive ``flock`` while open, so that no other run takes it for a dead run's.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.pending = 0
        """Listings appended since the journal was last emptied."""
        # created under another name and locked before it is given its own, so that a run starting
        # meanwhile never takes it for a dead run's
        opening = path.with_name(path.name + ".new")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(opening, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o640)
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.rename(opening, path)
        except OSError as exc:
            raise SpoolError(exc.errno, f"cannot open journal {path}: {exc.strerror or exc}") from exc

    def append(self, record: dict[str, Any]) -> None:
        """Write one record and fsync it; :class:`SpoolError` when the disk refuses."""
        _write_all(self._fd, _line(record), self.path)
        self.pending += 1

    def write(self, record: dict[str, Any]) -> None:
        """Write one record without fsyncing it (:meth:`sync` does, for every record written before
        it: group commit, :mod:`crawler.group_sync`); :class:`SpoolError` when the disk refuses."""
        _write_all(self._fd, _line(record), self.path, sync=False)
        self.pending += 1

    def sync(self) -> None:
        """fsync what was written so far (safe to call from another thread while records are written);
        :class:`SpoolError` when the disk refuses."""
        try:
            os.fsync(self._fd)
        except OSError as exc:
            raise SpoolError(exc.errno, f"journal fsync of {self.path} failed: {exc.strerror or exc}") from exc

    def clear(self) -> None:
        """Empty the journal: everything it held is stored or spooled."""
        try:
            os.ftruncate(self._fd, 0)
            os.fsync(self._fd)
        except OSError as exc:
            raise SpoolError(exc.errno, f"cannot empty journal {self.path}: {exc.strerror or exc}") from exc
        self.pending = 0

    def close(self) -> None:
        """Release the journal; delete it when empty (a non-empty one waits for the next run)."""
        if self._fd < 0:
            return
        try:
            if os.fstat(self._fd).st_size == 0:
                self.path.unlink(missing_ok=True)
        finally:
            os.close(self._fd)  # releases the lock
            self._fd = -1


def orphan_journals(spool_dir: Path) -> Iterator[tuple[Path, int]]:
    """The journals under ``spool_dir`` no live run holds, each with its fd locked for the caller.

    The caller owns the fd (close it when done: that releases the lock). Empty orphans are deleted.
    """
    if not spool_dir.is_dir():
        return
    for path in sorted(spool_dir.glob("*" + JOURNAL_SUFFIX)):
        try:
            fd = os.open(path, os.O_RDWR)
        except OSError:
            continue  # gone meanwhile, or not ours to read
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)  # a live run's
            continue
        if os.fstat(fd).st_size == 0:
            path.unlink(missing_ok=True)
            os.close(fd)
            continue
        yield path, fd
