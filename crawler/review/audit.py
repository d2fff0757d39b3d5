"""Check the review log's hash chain: ``crawler audit verify``.

Every entry carries the hash of the entry before it (``prev_hash``) and its own hash over all its
other fields (``crawler.store.reviews.entry_hash``); entries are numbered 1, 2, 3, … (``seq``).
:func:`verify_chain` walks the log in the order given and reports each break:

- a changed entry: its recomputed hash differs from the stored one;
- a removed entry: a gap in ``seq``, and the next entry's ``prev_hash`` names a hash not seen;
- an inserted entry: ``seq`` repeated or out of step, ``prev_hash`` not the previous entry's hash;
- reordered entries: ``seq`` going backwards (or, when ``seq`` values were swapped, hash mismatches).

Removing the *last* entries leaves a shorter valid chain; pass the head recorded elsewhere
(``expected_head``: its count and hash, written as ``COUNT:HASH`` in every export and case file and
printed by ``crawler audit verify``) to detect that as well: the log must still hold that entry,
unchanged (a longer log that grew from it passes).

The log is also the only way a listing's review status may change, so :func:`status_problems`
replays it and compares every listing's stored status with the status the log gives it: a status
changed directly in the database, or a listing imported already "confirmed" with no log entry, is
reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from crawler.items import Listing
from crawler.store.base import GENESIS_HASH, ReviewEntry
from crawler.store.reviews import entry_hash

Head = tuple[int, str]
"""(count, hash) of the newest entry of the log; (0, GENESIS_HASH) for an empty log."""
EMPTY_HEAD: Head = (0, GENESIS_HASH)
_HEAD_TEXT = re.compile(r"(\d+):([0-9a-f]{64})")


def head_text(head: Head | None) -> str:
    """``COUNT:HASH``, the form an anchor is written in (exports, case files, ``audit verify``)."""
    count, digest = head or EMPTY_HEAD
    return f"{count}:{digest}"


def parse_head(text: str) -> Head:
    """A head from ``COUNT:HASH``; raises ``ValueError`` naming the expected form."""
    found = _HEAD_TEXT.fullmatch(text.strip().lower())
    if not found:
        raise ValueError(f"{text!r} is not COUNT:HASH (a number, a colon and 64 hex digits)")
    return int(found.group(1)), found.group(2)


def current_head(entries: Iterable[ReviewEntry]) -> Head:
    """The head of a log (its last entry's seq and hash), as stored, without checking the chain."""
    head = EMPTY_HEAD
    for entry in entries:
        head = (entry.seq, entry.hash)
    return head


@dataclass
class AuditReport:
    """The outcome of :func:`verify_chain`: ``ok`` when no problem was found."""

    ok: bool
    checked: int
    problems: list[str] = field(default_factory=list)
    head: Head = EMPTY_HEAD
    """(seq, hash) of the last entry checked, to record for a later check of the tail."""


def verify_chain(entries: Iterable[ReviewEntry], *, expected_head: Head | None = None, limit: int = 100) -> AuditReport:
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
    head: Head = EMPTY_HEAD
    at_expected: str | None = GENESIS_HASH if expected_head is not None and expected_head[0] == 0 else None
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
        if expected_head is not None and entry.seq == expected_head[0] and at_expected is None:
            at_expected = entry.hash
    if expected_head is not None:
        seq, digest = expected_head
        if head[0] < seq:
            problem(f"the log ends at seq {head[0]}, the recorded head is {seq} (entries removed)")
        elif at_expected is None:
            problem(f"the log holds no entry seq {seq}, the recorded head: the log was rewritten")
        elif at_expected != digest:
            problem(f"entry seq {seq} is not the recorded head (hash {digest[:12]}…): the log was rewritten")
    if total > len(problems):
        problems.append(f"… and {total - len(problems)} more problems")
    return AuditReport(ok=total == 0, checked=checked, problems=problems, head=head)


def status_problems(entries: Iterable[ReviewEntry], listings: Iterable[Listing], *, limit: int = 100) -> list[str]:
    """Replay the log and compare each listing's stored review status with the status it gives.

    Reported: an entry whose ``from_status`` is not the status the log left the listing in (a status
    changed outside the log, then reviewed), a listing whose stored status differs from the log's
    (``new`` when the log has no entry for it), and log entries of a listing the store no longer has.
    """
    problems: list[str] = []
    logged: dict[tuple[str, str], str] = {}
    for entry in entries:
        key = (entry.platform, entry.listing_id)
        before = logged.get(key, "new")
        if entry.from_status != before:
            problems.append(f"entry seq {entry.seq} ({entry.platform}:{entry.listing_id}): from_status "
                            f"{entry.from_status!r}, but the log had left it {before!r} "
                            "(status changed outside the log)")
        logged[key] = entry.to_status
    seen: set[tuple[str, str]] = set()
    for listing in listings:
        key = (listing.platform, listing.listing_id)
        seen.add(key)
        expected = logged.get(key, "new")
        if listing.review.status != expected:
            why = "no log entry" if key not in logged else f"the log says {expected!r}"
            problems.append(f"{listing.key}: stored review status {listing.review.status!r}, {why} "
                            "(status changed or imported outside the review log)")
    for platform, listing_id in sorted(set(logged) - seen):
        problems.append(f"{platform}:{listing_id}: has review log entries but is not in the store (listing removed)")
    if len(problems) > limit:
        problems = [*problems[:limit], f"… and {len(problems) - limit} more problems"]
    return problems
