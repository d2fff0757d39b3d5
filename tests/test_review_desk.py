"""The review desk the web UI goes through: evidence captures (one or a history of several), evidence
looked up by id among a listing's own files, match highlighting, queue paging limits, web formats."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crawler.evidence import EvidenceBlobs
from crawler.items import Evidence, EvidenceCapture, Listing
from crawler.review.desk import captures, evidence_file, queue_page
from crawler.review.filters import FilterError, Filters
from crawler.store import open_store
from crawler.web.i18n import parse_day, vnd, when
from crawler.web.listing_pages import segments

NOW = datetime(2026, 4, 30, 2, 0, tzinfo=UTC)


def _listing() -> Listing:
    return Listing(platform="tiki", listing_id="1", url="https://tiki.vn/1", title="x")


def test_the_evidence_history_newest_first_files_by_id_only(tmp_path: Path) -> None:
    blobs = EvidenceBlobs(tmp_path)
    old, new = blobs.put(b"old page", ".html"), blobs.put(b"new page", ".html")
    shot = blobs.put(b"\x89PNG\r\n\x1a\nimage", ".png")
    single = _listing()
    single.evidence = Evidence([EvidenceCapture(sha256=new.sha256, ref=new.ref, captured_at=NOW)])
    assert [[f.id for f in c.files] for c in captures(single)] == [[new.sha256]]
    history = _listing()
    history.evidence = Evidence([
        EvidenceCapture(url="u", http_status=200, sha256=old.sha256, ref=old.ref, captured_at=NOW - timedelta(days=3)),
        EvidenceCapture(url="u", http_status=200, sha256=new.sha256, ref=new.ref, captured_at=NOW),
        EvidenceCapture(kind="screenshot", url="u", sha256=shot.sha256, ref=shot.ref,
                        captured_at=NOW + timedelta(hours=1)),
        EvidenceCapture(url="u", sha256="not-a-sha", ref=old.ref, captured_at=NOW),  # never offered
    ])
    views = captures(history)
    assert [(view.files[0].id, view.files[0].label) for view in views] == [
        (shot.sha256, "screenshot"), (new.sha256, "response"), (old.sha256, "response")]  # newest first
    found = evidence_file(history, old.sha256, tmp_path)
    assert found is not None and found[1].state == "ok" and found[1].data == b"old page"
    assert evidence_file(history, "../" + old.ref, tmp_path) is None
    assert evidence_file(single, old.sha256, tmp_path) is None  # not this listing's file
    # an old single-capture evidence object (stored before the history) still reads as its captures
    legacy = Listing.model_validate({**_listing().model_dump(mode="json"), "evidence": {
        "url": "u", "http_status": 200, "html_sha256": new.sha256, "html_ref": new.ref,
        "screenshot_ref": shot.ref, "captured_at": NOW.isoformat()}})
    assert sorted(f.label for view in captures(legacy) for f in view.files) == ["response", "screenshot"]


def test_segments_highlight_clamped_and_merged_spans() -> None:
    assert segments("Túi Gucci rẻ", [(4, 9)]) == [("Túi ", False), ("Gucci", True), (" rẻ", False)]
    assert segments("abcdef", [(1, 3), (2, 4), (10, 20), (5, 5)]) == [("a", False), ("bcd", True), ("ef", False)]


def test_queue_page_limits(tmp_path: Path) -> None:
    with open_store(f"sqlite:///{tmp_path / 's.sqlite3'}") as store:
        assert queue_page(store, Filters(), page=3).listings == []
        with pytest.raises(FilterError, match="page 0"):
            queue_page(store, Filters(), page=0)
        with pytest.raises(FilterError, match="must be between"):
            queue_page(store, Filters(), page=10**18)


def test_web_formats() -> None:
    assert vnd(1_250_000) == "1.250.000\u00a0₫" and vnd(None) == "—"
    assert when(NOW) == "30/04/2026 09:00"  # Vietnam time
    assert parse_day("05/04/2026") == "2026-04-05" and parse_day("2026-04-05") == "2026-04-05"
    assert parse_day("31/02/2026") == "31/02/2026"  # left for the filters to refuse, naming it
    assert parse_day("  ") is None
