"""crawler.group_sync: one fsync in a worker thread covers every write made before it began."""

from __future__ import annotations

import asyncio
import errno
import threading
import time

import pytest

from crawler.group_sync import GroupSync
from tests.loop_ticks import ticks_while


class _Disk:
    """Counts writes; a sync records how many writes it covers (those made before it began)."""

    def __init__(self, seconds: float = 0.05, fail_first: bool = False) -> None:
        self.writes = 0
        self.covered: list[int] = []
        self.threads: set[str] = set()
        self.seconds = seconds
        self.fail_first = fail_first

    def sync(self) -> None:
        self.threads.add(threading.current_thread().name)
        began_with = self.writes
        time.sleep(self.seconds)
        if self.fail_first and not self.covered:
            self.covered.append(-1)
            raise OSError(errno.EIO, "I/O error")
        self.covered.append(began_with)


def test_one_sync_covers_every_write_made_before_it_began() -> None:
    disk = _Disk()

    async def main() -> list[int]:
        group = GroupSync(disk.sync, asyncio.get_running_loop())

        async def hand_over() -> int:
            disk.writes += 1
            mine = disk.writes
            await group.wait()
            assert max(disk.covered) >= mine  # released only by a sync that began after its write
            return mine

        first = [asyncio.create_task(hand_over()) for _ in range(20)]
        await asyncio.sleep(0.01)  # a sync is running now; these wait for the next one
        later = [asyncio.create_task(hand_over()) for _ in range(20)]
        done = await asyncio.gather(*first, *later)
        assert group.idle
        group.close()
        return done

    assert sorted(asyncio.run(main())) == list(range(1, 41))
    assert len(disk.covered) <= 3  # 40 writes, at most 3 fsyncs (one per group that formed meanwhile)
    assert disk.threads == {name for name in disk.threads if name.startswith("journal-fsync")}


def test_the_event_loop_runs_on_while_a_sync_takes_long() -> None:
    disk = _Disk(seconds=0.3)

    async def main() -> int:
        group = GroupSync(disk.sync, asyncio.get_running_loop())
        disk.writes += 1
        _, ticks = await ticks_while(group.wait())
        group.close()
        return ticks

    assert asyncio.run(main()) >= 10  # about 30 ticks: the loop was never blocked by the fsync


def test_a_failed_sync_fails_its_waiters_and_the_next_group_still_syncs() -> None:
    disk = _Disk(fail_first=True)

    async def main() -> tuple[list[object], list[object]]:
        group = GroupSync(disk.sync, asyncio.get_running_loop())
        first = [group.wait()]  # the first fsync starts at once, for this waiter alone
        later = [group.wait() for _ in range(3)]  # these wait for the next one
        results = await asyncio.gather(*first, return_exceptions=True), await asyncio.gather(*later)
        group.close()
        return results

    failed, later = asyncio.run(main())
    assert [type(result) for result in failed] == [OSError] and failed[0].errno == errno.EIO  # type: ignore[union-attr]
    assert later == [None, None, None]
    assert disk.covered[0] == -1 and len(disk.covered) == 2


@pytest.mark.parametrize("waiters", [1, 5])
def test_syncs_counts_the_fsyncs_started(waiters: int) -> None:
    disk = _Disk(seconds=0.0)

    async def main() -> int:
        group = GroupSync(disk.sync, asyncio.get_running_loop())
        await asyncio.gather(*(group.wait() for _ in range(waiters)))
        group.close()
        return group.syncs

    assert asyncio.run(main()) == len(disk.covered) >= 1
