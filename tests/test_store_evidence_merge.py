"""The evidence rule both stores share (crawler/store/documents.py): append, never replace."""

from __future__ import annotations

import json

import pytest

from crawler.store.documents import append_evidence, append_evidence_json

OLD = {"url": "https://tiki.vn/p/1", "http_status": 200, "html_sha256": "a" * 64, "html_ref": "aa/aa/x.json.gz",
       "screenshot_ref": f"bb/bb/{'b' * 64}.png.gz", "captured_at": "2025-01-01T00:00:00.000Z"}


def test_new_captures_append_to_the_old_single_object_shape() -> None:
    new = [{"kind": "response", "sha256": "c" * 64}, {"kind": "response", "sha256": "a" * 64}]
    merged = append_evidence(OLD, new)
    assert [(c["kind"], c["sha256"]) for c in merged] == [
        ("response", "a" * 64), ("screenshot", "b" * 64), ("response", "c" * 64)]
    assert merged[0]["content_type"] == "application/json" and merged[0]["captured_at"] == OLD["captured_at"]
    assert append_evidence(merged, None) is merged and append_evidence(None, new[:1]) == new[:1]


def test_sqlite_function_keeps_unreadable_stored_evidence_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    new = json.dumps([{"kind": "response", "sha256": "c" * 64}])
    assert append_evidence_json(new, "{broken") == "{broken"
    assert "stored evidence unreadable" in caplog.text and "c" * 64 in caplog.text
    assert json.loads(append_evidence_json(new, json.dumps(OLD)) or "")[-1]["sha256"] == "c" * 64
    assert append_evidence_json(None, "[1]") == "[1]" and append_evidence_json(new, None) == new
