"""Store URIs: scheme dispatch, password redaction, unreachable servers."""

from __future__ import annotations

import time

import pytest

from crawler.store import StoreError, open_store, redact_uri
from crawler.store.uri import hosts_of, scheme_of, scrub
from tests.mongo_server import free_port


@pytest.mark.parametrize(
    ("uri", "shown"),
    [
        ("mongodb://inspector:s3cr%40t@db1:27017,db2/lm?authSource=admin",
         "mongodb://inspector:***@db1:27017,db2/lm?authSource=admin"),
        ("mongodb+srv://u:p@cluster0.example.net/", "mongodb+srv://u:***@cluster0.example.net/"),
        ("mongodb://db1:27017/lm", "mongodb://db1:27017/lm"),
        ("postgres://admin:hunter2@pg/db", "postgres://admin:***@pg/db"),
        ("sqlite:///data/crawler.sqlite3", "sqlite:///data/crawler.sqlite3"),
    ],
)  # fmt: skip
def test_redact_uri(uri: str, shown: str) -> None:
    assert redact_uri(uri) == shown


def test_hosts_and_scheme() -> None:
    assert hosts_of("mongodb://u:p@db1:27017,db2:27018/lm?x=1") == "db1:27017,db2:27018"
    assert scheme_of("MongoDB+SRV://x") == "mongodb+srv"
    assert scheme_of("/just/a/path") == ""
    assert scrub("auth failed for s3cr@t", "mongodb://u:s3cr%40t@h/") == "auth failed for ***"


@pytest.mark.parametrize(
    "uri", ["postgres://admin:hunter2@pg/db", "mysql://root:hunter2@localhost/x", "/tmp/x.sqlite3", "data.db"]
)
def test_bad_scheme_is_a_store_error_without_the_password(uri: str) -> None:
    with pytest.raises(StoreError, match="unsupported store URI") as error:
        open_store(uri)
    assert "hunter2" not in str(error.value)


def test_bad_mongodb_uri_is_a_store_error() -> None:
    with pytest.raises(StoreError, match="bad MongoDB URI") as error:
        open_store("mongodb://user:hunter2@host:notaport/db")
    assert "hunter2" not in str(error.value)


def test_unreachable_mongodb_fails_fast_naming_the_host() -> None:
    port = free_port()
    started = time.monotonic()
    with pytest.raises(StoreError) as error:
        open_store(f"mongodb://inspector:hunter2@127.0.0.1:{port}/lm?serverSelectionTimeoutMS=800")
    assert time.monotonic() - started < 5
    assert f"127.0.0.1:{port}" in str(error.value) and "cannot reach MongoDB" in str(error.value)
    assert "hunter2" not in str(error.value)


def test_unreachable_mongodb_with_default_timeout_gives_up_within_seconds() -> None:
    port = free_port()
    started = time.monotonic()
    with pytest.raises(StoreError, match=f"127.0.0.1:{port}"):
        open_store(f"mongodb://127.0.0.1:{port}/lm")
    elapsed = time.monotonic() - started
    print(f"unreachable MongoDB reported after {elapsed:.1f}s")
    assert elapsed < 10
