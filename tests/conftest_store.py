"""Fixtures that give the store contract tests one fresh store per backend.

Backends: ``sqlite`` (a file in tmp_path, always), ``nx-27017`` (a MongoDB wire-protocol server
started once per session on 127.0.0.1, a fresh database per test) and ``mongodb`` (a real server,
only when env ``MONGODB_URI`` is set; a fresh database per test, dropped afterwards). Test modules
import the fixtures by name: ``from tests.conftest_store import nx_server, store, store_uri``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from crawler.store import Store, open_store
from tests.mongo_server import NxServer

BACKENDS = ("sqlite", "nx-27017", "mongodb")
MONGO_BACKENDS = ("nx-27017", "mongodb")


@pytest.fixture(scope="session")
def nx_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NxServer]:
    """One nx-27017 server for the whole session, stopped by its PID at the end."""
    with NxServer(tmp_path_factory.mktemp("nx-27017")) as server:
        yield server


def real_mongodb_uri(database: str) -> str:
    """``MONGODB_URI`` with its database replaced by ``database``; skips when the variable is unset."""
    uri = os.environ.get("MONGODB_URI")
    if not uri:
        pytest.skip("real MongoDB backend not tested: set MONGODB_URI=mongodb://host:port to run it")
    parts = urlsplit(uri)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, ""))


def drop_database(uri: str) -> None:
    """Drop a test database on a real server (best effort)."""
    from pymongo import MongoClient

    with MongoClient(uri, serverSelectionTimeoutMS=3000) as client:
        client.drop_database(client.get_default_database().name)


def backend_uri(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URI of a fresh, empty store on ``backend``."""
    database = "lm_test_" + uuid.uuid4().hex[:12]
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.sqlite3'}"
    elif backend == "nx-27017":
        yield request.getfixturevalue("nx_server").uri(database)
    else:
        uri = real_mongodb_uri(database)
        yield uri
        drop_database(uri)


@pytest.fixture(params=BACKENDS)
def store_uri(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh store URI for each backend in :data:`BACKENDS`."""
    yield from backend_uri(request.param, request, tmp_path)


@pytest.fixture(params=MONGO_BACKENDS)
def mongo_uri(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh store URI on each MongoDB backend (nx-27017, and a real server when configured)."""
    yield from backend_uri(request.param, request, tmp_path)


@pytest.fixture
def store(store_uri: str) -> Iterator[Store]:
    """An open, empty store on each backend; closed afterwards."""
    with open_store(store_uri) as opened:
        yield opened
