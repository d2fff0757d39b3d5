"""Open the store a URI names: ``sqlite:///…`` (embedded default) or ``mongodb://…``."""

from __future__ import annotations

from pathlib import Path

from crawler.store.base import Store, StoreError, StoreNotFound
from crawler.store.uri import redact_uri, resolve_uri, scheme_of

_SQLITE_PREFIX = "sqlite:///"
_SQLITE_MEMORY = ("sqlite://:memory:", "sqlite:///:memory:")


def sqlite_path(uri: str) -> str:
    """The file path of a ``sqlite:`` URI: ``sqlite:///rel/path``, ``sqlite:////abs/path``, or
    ``":memory:"``; raises StoreError for anything else."""
    if uri in _SQLITE_MEMORY:
        return ":memory:"
    if not uri.startswith(_SQLITE_PREFIX) or len(uri) == len(_SQLITE_PREFIX):
        raise StoreError(
            f"bad SQLite store URI {uri!r}: use sqlite:///relative/path.sqlite3, "
            "sqlite:////absolute/path.sqlite3 or sqlite://:memory:"
        )
    return uri[len(_SQLITE_PREFIX) :]


def open_store(uri: str | None = None, *, create: bool = True) -> Store:
    """Open (creating directories, tables and indexes) the store named by ``uri``.

    With ``create=False`` (read-only commands) a SQLite file that does not exist is not created:
    :class:`StoreNotFound` names the path instead (a typo in ``--store`` must not read as "empty").

    ``None`` means env ``STORE_URI``, else ``sqlite:///data/crawler.sqlite3`` (relative to the
    working directory). Raises :class:`StoreError` for an unknown scheme, a bad path or an
    unreachable server; messages never contain the URI's password.
    """
    uri = resolve_uri(uri)
    if not isinstance(uri, str):
        raise StoreError(f"store URI must be text, got {type(uri).__name__}")
    scheme = scheme_of(uri)
    if scheme == "sqlite":
        from crawler.store.sqlite import SQLiteStore

        path = sqlite_path(uri)
        if not create and path != ":memory:" and not Path(path).is_file():
            raise StoreNotFound(
                f"no store at {Path(path).absolute()} (from {uri!r}): check --store or $STORE_URI; "
                "a crawl, `crawler demo` or `crawler store import` creates one"
            )
        return SQLiteStore(path)
    if scheme in ("mongodb", "mongodb+srv"):
        from crawler.store.mongo import MongoStore

        return MongoStore(uri)
    raise StoreError(
        f"unsupported store URI {redact_uri(uri)!r}: the scheme must be sqlite:// or mongodb:// (or mongodb+srv://)"
    )
