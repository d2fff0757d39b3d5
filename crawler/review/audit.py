"""Check the review log's hash chain: ``crawler audit verify``.

Every entry carries the hash of the entry before it (``prev_hash``) and its own hash over all its
other fields (``crawler.store.reviews.entry_hash``); entries are numbered 1, 2, 3, … (``seq``).
:func:`verify_chain` walks the log in the order given and reports each break:

- a changed entry: its recomputed hash differs from the stored one;
- a removed entry: a gap in ``seq``, and the next entry's ``prev_hash`` names a hash not seen;
- an inserted entry: ``seq`` repeated or out of step, ``prev_hash`` not the previous entry's hash;
- reordered entries: ``seq`` going backwards (or, when ``seq`` values were swapped, hash mismatches).

Removing the *last* entries leaves a shorter valid chain; pass the head recorded elsewhere
(``expected_head``: its seq and hash, e.g. printed in the last report) to detect that as well.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from crawler.store.base import GENESIS_HASH, ReviewEntry
from crawler.store.reviews import entry_hash


@dataclass
class AuditReport:
    """The outcome of :func:`verify_chain`: ``ok`` when no problem was found."""

    ok: bool
    checked: int
    problems: list[str] = field(default_factory=list)
    head: tuple[int, str] | None = None
    """(seq, hash) of the last entry checked, to record for a later check of the tail."""


def verify_chain(
    entries: Iterable[ReviewEntry], *, expected_head: tuple[int, str] | None = None, limit: int = 100
) -> AuditReport:
    """Check ``entries`` (the whole log, in stored order) link up; at most ``limit`` problems listed."""
    problems: list[str] = []
    total = 0

    def problem(text: str) -> None:
        nonlocal total
        total += 1
        if len(problems) < limit:
            problems.append(text)

    checked = 0
    expected_seq = 1
    prev_hash = GENESIS_HASH
    head: tuple[int, str] | None = None
    for entry in entries:
        checked += 1
        where = f"entry seq {entry.seq} ({entry.platform}:{entry.listing_id}, {entry.at.isoformat()})"
        if entry.seq != expected_seq:
            if entry.seq > expected_seq:
                gap = f"{expected_seq}" if entry.seq == expected_seq + 1 else f"{expected_seq}–{entry.seq - 1}"
                problem(f"{where}: entries {gap} missing (removed?)")
            else:
                problem(f"{where}: seq goes back from {expected_seq - 1} (entry inserted or reordered)")
        if entry.prev_hash != prev_hash:
            problem(f"{where}: prev_hash does not match the entry before it (entry removed, inserted or reordered)")
        actual = entry_hash(entry)
        if actual != entry.hash:
            problem(f"{where}: content does not match its hash (entry changed)")
        expected_seq = max(expected_seq, entry.seq + 1)
        prev_hash = entry.hash
        head = (entry.seq, entry.hash)
    if expected_head is not None and head != tuple(expected_head):
        seq, digest = expected_head
        if head is None or head[0] < seq:
            problem(f"the log ends at seq {head[0] if head else 0}, the recorded head is {seq} (entries removed)")
        elif head[0] == seq and head[1] != digest:
            problem(f"entry seq {seq} is not the recorded head (hash {digest[:12]}…): the log was rewritten")
    if total > len(problems):
        problems.append(f"… and {total - len(problems)} more problems")
    return AuditReport(ok=total == 0, checked=checked, problems=problems, head=head)
