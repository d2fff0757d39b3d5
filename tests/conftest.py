"""Shared pytest fixtures: paths to the repo, the real samples in ../shared/eval/raw (when present);
the network guard: no test reaches a host outside 127.0.0.0/8 (``tests/netguard/sitecustomize.py``)."""

from __future__ import annotations

import atexit
import importlib.util
import os
import tempfile
from collections.abc import Generator, Iterator
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

# --- the network guard -------------------------------------------------------------------------------
# In this process and, through PYTHONPATH (its sitecustomize), in every Python subprocess a test starts:
# a DNS look-up or connection beyond loopback is refused and logged to NETGUARD_LOG; the test fails.
NETGUARD_DIR = Path(__file__).resolve().parent / "netguard"
_spec = importlib.util.spec_from_file_location("tests_netguard", NETGUARD_DIR / "sitecustomize.py")
assert _spec is not None and _spec.loader is not None
netguard = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(netguard)
if not os.environ.get(netguard.ENV):
    _log = tempfile.NamedTemporaryFile(prefix="netguard-", suffix=".log", delete=False)  # noqa: SIM115
    _log.close()
    os.environ[netguard.ENV] = _log.name
    atexit.register(lambda: Path(_log.name).unlink(missing_ok=True))
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(NETGUARD_DIR), *(part for part in os.environ.get("PYTHONPATH", "").split(os.pathsep) if part)]
)
netguard.install()


def _guard_size() -> int:
    log = Path(os.environ[netguard.ENV])
    return log.stat().st_size if log.exists() else 0


def _fail_if_refused(before: int) -> None:
    """Fail the running test phase when the guard refused a look-up or connection since ``before``."""
    if _guard_size() <= before:
        return
    with Path(os.environ[netguard.ENV]).open(encoding="utf-8", errors="replace") as handle:
        handle.seek(before)
        refused = handle.read().strip()
    pytest.fail(f"the test tried to reach a host outside 127.0.0.0/8 (pid, what, host):\n{refused}", pytrace=False)


def _guarded() -> Generator[None, None, None]:
    """Run one test phase (the hook's ``yield``) and fail it when it tried to reach beyond loopback."""
    before = _guard_size()
    result = yield
    _fail_if_refused(before)
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    return (yield from _guarded())


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    return (yield from _guarded())


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, None, None]:
    return (yield from _guarded())


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
