"""verify_chain on its own: a good chain passes; each kind of tampering is reported with where it is."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from crawler.items import Listing
from crawler.review.audit import current_head, head_text, parse_head, status_problems, verify_chain
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


def test_a_rewritten_log_is_detected_even_when_it_grew_past_the_recorded_head() -> None:
    entries = chain()
    head = (3, entries[2].hash)
    assert verify_chain(entries, expected_head=head).ok  # the log grew from the anchor: fine
    other = chain(6)
    other = [replace(entry, note="khác") for entry in other]
    rebuilt: list[ReviewEntry] = []
    for entry in other:  # a whole new, internally valid chain
        fixed = replace(entry, prev_hash=rebuilt[-1].hash if rebuilt else entry.prev_hash)
        rebuilt.append(replace(fixed, hash=entry_hash(fixed)))
    assert verify_chain(rebuilt).ok
    report = verify_chain(rebuilt, expected_head=head)
    assert not report.ok and "log was rewritten" in report.problems[0]
    emptied = verify_chain([], expected_head=head)
    assert not emptied.ok and "ends at seq 0" in emptied.problems[0]


def test_head_text_round_trips_and_bad_anchors_are_refused() -> None:
    entries = chain()
    head = verify_chain(entries).head
    assert parse_head(head_text(head)) == head == current_head(entries)
    assert head_text(None) == "0:" + "0" * 64 and current_head([]) == (0, "0" * 64)
    for bad in ("5", "5:abc", "x:" + "0" * 64, "5:" + "g" * 64):
        with pytest.raises(ValueError, match="COUNT:HASH"):
            parse_head(bad)


def _stored(key: str, status: str) -> Listing:
    platform, listing_id = key.split(":")
    return Listing(platform=platform, listing_id=listing_id, url=f"https://{platform}.vn/{listing_id}", title="x",
                   review={"status": status, "by": "an"})


def test_statuses_are_cross_checked_against_the_log() -> None:
    log = [new_entry(1, None, "tiki", "1", "new", "confirmed", "an", T0, None)]
    log.append(new_entry(2, log[0].hash, "tiki", "1", "confirmed", "dismissed", "an", T0, None))
    agreeing = [_stored("tiki:1", "dismissed"), Listing(platform="tiki", listing_id="2", url="https://tiki.vn/2",
                                                          title="y")]
    assert status_problems(log, agreeing) == []
    edited = status_problems(log, [_stored("tiki:1", "confirmed")])  # changed directly in the database
    assert len(edited) == 1 and "tiki:1: stored review status 'confirmed', the log says 'dismissed'" in edited[0]
    imported = status_problems([], [_stored("shopee:9", "confirmed")])  # imported confirmed, no history
    assert imported == ["shopee:9: stored review status 'confirmed', no log entry (status changed or imported "
                        "outside the review log)"]
    jumped = [new_entry(1, None, "tiki", "1", "confirmed", "referred", "an", T0, None)]
    problems = status_problems(jumped, [_stored("tiki:1", "referred")])
    assert len(problems) == 1 and "from_status 'confirmed', but the log had left it 'new'" in problems[0]
    gone = status_problems(log, [])
    assert gone == ["tiki:1: has review log entries but is not in the store (listing removed)"]
