"""Background WAL checkpoints of the SQLite store: they run, they fail safely, they stop on close."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crawler.items import Listing
from crawler.store import open_store
from crawler.store.sqlite import SQLiteStore
from crawler.store.sqlite_checkpoint import WRITER_AUTOCHECKPOINT, Checkpointer

T0 = datetime(2025, 3, 1, tzinfo=UTC)


def batch(start: int, count: int, price: int = 100_000) -> list[Listing]:
    """``count`` tiki listings with ids from ``start``."""
    return [
        Listing(platform="tiki", listing_id=str(i), url=f"https://tiki.vn/p/{i}", title=f"Sản phẩm số {i}",
                description="Mô tả " * 40, price=price)
        for i in range(start, start + count)
    ]  # fmt: skip


def wait_for(condition: object, timeout: float = 10.0) -> bool:
    """Poll ``condition()`` until true or ``timeout`` seconds passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.02)
    return False


def checkpoint_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("wal-checkpoint")]


def test_commits_are_checkpointed_in_the_background(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    with open_store(f"sqlite:///{path}") as store:
        assert isinstance(store, SQLiteStore)
        checkpointer = store._checkpointer
        assert checkpointer is not None
        assert store._db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == WRITER_AUTOCHECKPOINT
        for start in range(0, 3000, 500):
            store.upsert_listings(batch(start, 500), seen_at=T0)
        assert checkpointer.running
        assert wait_for(lambda: checkpointer.checkpoints >= 1), "no background checkpoint within 10 s"
        assert checkpointer.failures == 0
        # after the last checkpoint the database file itself holds the pages (read without the WAL)
        store.upsert_listings(batch(0, 10, price=90_000), seen_at=T0 + timedelta(days=1))
        done = checkpointer.checkpoints
        assert wait_for(lambda: checkpointer.checkpoints > done)
    assert not checkpointer.running
    assert not (tmp_path / "s.sqlite3-wal").exists() or (tmp_path / "s.sqlite3-wal").stat().st_size == 0
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("SELECT count(*) FROM listings").fetchone()[0] == 3000
    with open_store(f"sqlite:///{path}") as store:
        again = store.get_listing("tiki", "3")
        assert again is not None and again.price == 90_000
        assert [point.price for point in again.price_history] == [100_000, 90_000]


def test_reading_starts_no_thread(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    with open_store(f"sqlite:///{path}") as store:
        store.upsert_listings(batch(0, 5), seen_at=T0)
    before = len(checkpoint_threads())
    with open_store(f"sqlite:///{path}") as store:
        assert store.count_listings() == 5
        assert store._checkpointer is not None and not store._checkpointer.running
        assert len(checkpoint_threads()) == before


def test_an_in_memory_store_has_no_checkpointer() -> None:
    with open_store("sqlite://:memory:") as store:
        store.upsert_listings(batch(0, 5), seen_at=T0)
        assert store._checkpointer is None  # type: ignore[attr-defined]


def test_a_failing_checkpoint_is_logged_and_the_thread_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    garbage = tmp_path / "not-a-database.sqlite3"
    garbage.write_bytes(b"this is not a SQLite file" * 100)
    checkpointer = Checkpointer(str(garbage), min_interval=0.01)
    with caplog.at_level(logging.WARNING, logger="crawler.store.sqlite_checkpoint"):
        checkpointer.poke()
        assert wait_for(lambda: checkpointer.failures >= 1)
        checkpointer.poke()
        assert wait_for(lambda: checkpointer.failures >= 2), "the thread stopped after a failure"
        assert checkpointer.running
        checkpointer.close()
    assert not checkpointer.running
    assert checkpointer.checkpoints == 0
    assert str(garbage) in caplog.text and "background checkpoint failed" in caplog.text


def test_writes_go_on_while_checkpoints_run(tmp_path: Path) -> None:
    """Many small commits with checkpoints as often as possible: every write lands, the file stays sound."""
    path = tmp_path / "s.sqlite3"
    with open_store(f"sqlite:///{path}") as store:
        assert isinstance(store, SQLiteStore) and store._checkpointer is not None
        store._checkpointer.min_interval = 0.0
        for start in range(0, 2000, 50):
            store.upsert_listings(batch(start, 50), seen_at=T0)
            store.upsert_listings(batch(start, 50, price=120_000), seen_at=T0 + timedelta(hours=1))
        assert store.count_listings() == 2000
        assert store._checkpointer.checkpoints >= 1
        assert store._checkpointer.failures == 0
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        prices = db.execute("SELECT count(*) FROM listings WHERE history LIKE '%120000%'").fetchone()[0]
        assert prices == 2000
