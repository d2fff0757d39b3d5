"""verify_chain on its own: a good chain passes; each kind of tampering is reported with where it is."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from crawler.review.audit import verify_chain
from crawler.store.base import ReviewEntry
from crawler.store.reviews import entry_hash, new_entry

T0 = datetime(2025, 3, 1, tzinfo=UTC)


def chain(n: int = 5) -> list[ReviewEntry]:
    """A valid chain of ``n`` entries."""
    entries: list[ReviewEntry] = []
    for seq in range(1, n + 1):
        prev = entries[-1].hash if entries else None
        entries.append(new_entry(seq, prev, "tiki", str(seq % 2), "new", "confirmed", "an", T0 + timedelta(hours=seq),
                                 f"ghi chú {seq}"))  # fmt: skip
    return entries


def test_a_valid_chain_passes() -> None:
    entries = chain()
    report = verify_chain(entries)
    assert report.ok and report.checked == 5 and report.problems == []
    assert report.head == (5, entries[-1].hash)
    assert verify_chain([]).ok


@pytest.mark.parametrize("field", ["note", "by", "to_status", "platform", "listing_id", "at"])
def test_a_changed_field_is_detected(field: str) -> None:
    entries = chain()
    value = T0 if field == "at" else "x"
    entries[2] = replace(entries[2], **{field: value})
    report = verify_chain(entries)
    assert not report.ok and any("seq 3" in p and "entry changed" in p for p in report.problems)


def test_a_changed_entry_with_a_recomputed_hash_breaks_the_next_link() -> None:
    entries = chain()
    forged = replace(entries[1], note="sửa")
    entries[1] = replace(forged, hash=entry_hash(forged))
    report = verify_chain(entries)
    assert not report.ok and any("seq 3" in p and "prev_hash" in p for p in report.problems)


def test_removed_inserted_and_reordered_entries_are_detected() -> None:
    entries = chain()
    removed = verify_chain(entries[:2] + entries[3:])
    assert not removed.ok and any("entries 3 missing" in p for p in removed.problems)
    inserted = verify_chain([*entries[:3], entries[1], *entries[3:]])
    assert not inserted.ok and any("seq goes back" in p for p in inserted.problems)
    reordered = verify_chain([entries[0], entries[2], entries[1], *entries[3:]])
    assert not reordered.ok and len(reordered.problems) >= 2


def test_a_removed_tail_is_detected_against_the_recorded_head() -> None:
    entries = chain()
    head = verify_chain(entries).head
    assert head is not None
    assert verify_chain(entries, expected_head=head).ok
    short = verify_chain(entries[:3], expected_head=head)
    assert not short.ok and "entries removed" in short.problems[0]


def test_problem_list_is_capped() -> None:
    entries = [replace(entry, note="x") for entry in chain(30)]
    report = verify_chain(entries, limit=5)
    assert not report.ok and len(report.problems) == 6 and report.problems[-1].startswith("… and 25 more")
