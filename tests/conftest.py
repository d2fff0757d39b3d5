"""Shared pytest fixtures: paths to the repo, the real samples in ../shared/eval/raw (when present)."""

from __future__ import annotations

from pathlib import Path

import pytest

# the store backends' fixtures (SQLite, nx-27017 over the wire, a real MongoDB when MONGODB_URI is set),
# one nx-27017 server shared by the whole session
from tests.conftest_store import mongo_uri, nx_server, store, store_uri  # noqa: F401

REPO = Path(__file__).resolve().parent.parent
RAW_SAMPLES = REPO.parent / "shared" / "eval" / "raw"


@pytest.fixture
def raw_samples() -> Path:
    """The real platform responses kept outside the repo; skip (with the reason) when absent."""
    if not RAW_SAMPLES.is_dir():
        pytest.skip(f"real samples not found at {RAW_SAMPLES} (they live in ../shared/eval/raw)")
    return RAW_SAMPLES
