"""Shared pytest fixtures: paths to the repo, the real samples in ../shared/eval/raw (when present)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# every test server runs on 127.0.0.1: let the net policy (crawler/net_policy.py) reach it; crawl
# subprocesses inherit this, a test of the refusal itself passes its own allow-list
os.environ.setdefault("ALLOWED_PRIVATE_HOSTS", "127.0.0.1,localhost")

# the store backends' fixtures (SQLite, nx-27017 over the wire, a real MongoDB when MONGODB_URI is set),
# one nx-27017 server shared by the whole session
from tests.conftest_store import mongo_uri, nx_server, store, store_uri  # noqa: F401

# what tests marked ``figures`` print is shown at the end of the run (see the plugin's docstring)
pytest_plugins = ["tests.plugin_figures"]

REPO = Path(__file__).resolve().parent.parent
RAW_SAMPLES = REPO.parent / "shared" / "eval" / "raw"


@pytest.fixture
def raw_samples() -> Path:
    """The real platform responses kept outside the repo; skip (with the reason) when absent."""
    if not RAW_SAMPLES.is_dir():
        pytest.skip(f"real samples not found at {RAW_SAMPLES} (they live in ../shared/eval/raw)")
    return RAW_SAMPLES


@pytest.fixture(scope="module")
def server(request: pytest.FixtureRequest) -> Iterator[str]:
    """The demo marketplace for one test module, on 127.0.0.1; its base URL.

    A module that sets ``SERVE_RAW_SAMPLES = True`` also gets the real samples served at the
    platforms' paths, when ../shared/eval/raw is there.
    """
    from tests.mockserver import MockServer

    args = []
    if getattr(request.module, "SERVE_RAW_SAMPLES", False) and RAW_SAMPLES.is_dir():
        args = ["--raw-samples", str(RAW_SAMPLES)]
    with MockServer(*args) as base_url:
        yield base_url
