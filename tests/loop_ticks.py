"""How often the asyncio loop ticked while something ran: proof that a slow write or fsync did not block it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


async def ticks_while(work: Awaitable[T], every: float = 0.01) -> tuple[T, int]:
    """Await ``work`` while a task counts the loop's turns every ``every`` seconds; (its result, ticks)."""
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(every)
            ticks += 1

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    try:
        result = await work
    finally:
        task.cancel()
    return result, ticks
