"""The web UI's accounts: users, login sessions and listing assignments, beside the listings store.

Kept apart from the listings schema on purpose (its version and migrations stay the listings'):

- SQLite store ``data/crawler.sqlite3`` → a separate file beside it, ``data/crawler.accounts.sqlite3``
  (:func:`accounts_path`); a ``:memory:`` store → a private in-memory database;
- MongoDB store → the collections ``web_users``, ``web_sessions`` and ``web_assignments`` of the store's
  own database (:mod:`crawler.store.accounts_mongo`).

Both hold plain records; password hashing, roles and session rules live in ``crawler.review.accounts``.
Times are ISO 8601 text in UTC (both backends alike). Store exports (``crawler store export``) do not
include accounts: password hashes and sessions never leave the machine in a listings export.
"""

from __future__ import annotations

import sqlite3
import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from crawler.store.base import StoreError
from crawler.store.factory import sqlite_path
from crawler.store.uri import resolve_uri, scheme_of


@dataclass
class UserRecord:
    """One account. ``password_hash`` is an argon2 hash (never a password)."""

    name: str
    role: str
    password_hash: str
    active: bool = True
    lang: str = "vi"
    created_at: str = ""


@dataclass
class SessionRecord:
    """One login session; ``token_hash`` is the sha256 of the cookie's token (the token is never stored)."""

    token_hash: str
    name: str
    csrf: str
    created_at: str
    expires_at: str


@dataclass
class Assignment:
    """Which inspector a listing is assigned to, by whom and when."""

    platform: str
    listing_id: str
    assignee: str
    by: str
    at: str


class AccountStore(ABC):
    """Users, sessions and assignments; one implementation per store backend. A context manager."""

    @abstractmethod
    def get_user(self, name: str) -> UserRecord | None:
        """The account named ``name`` (exact), or None."""

    @abstractmethod
    def put_user(self, user: UserRecord) -> None:
        """Insert or replace the account ``user.name``."""

    @abstractmethod
    def list_users(self) -> list[UserRecord]:
        """Every account, by name."""

    @abstractmethod
    def put_session(self, session: SessionRecord) -> None:
        """Keep a new session."""

    @abstractmethod
    def get_session(self, token_hash: str) -> SessionRecord | None:
        """The session with this token hash, or None."""

    @abstractmethod
    def delete_sessions(self, *, token_hash: str | None = None, name: str | None = None) -> int:
        """Remove one session (by token hash) or every session of a user; how many went."""

    @abstractmethod
    def put_assignment(self, assignment: Assignment) -> None:
        """Assign a listing (replacing any earlier assignment of it)."""

    @abstractmethod
    def delete_assignment(self, platform: str, listing_id: str) -> None:
        """Unassign a listing (nothing when it was not assigned)."""

    @abstractmethod
    def assignments(
        self, keys: list[tuple[str, str]] | None = None, *, assignee: str | None = None
    ) -> list[Assignment]:
        """Assignments of these listings (all when None), of one assignee when given."""

    @abstractmethod
    def close(self) -> None:
        """Release the connection."""

    def __enter__(self) -> AccountStore:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def accounts_path(store_path: str) -> str:
    """The accounts file beside a SQLite store: ``x/crawler.sqlite3`` → ``x/crawler.accounts.sqlite3``."""
    if store_path == ":memory:":
        return ":memory:"
    path = Path(store_path)
    return str(path.with_name(f"{path.stem}.accounts{path.suffix or '.sqlite3'}"))


_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS users (name TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT NOT NULL,"
    " active INTEGER NOT NULL, lang TEXT NOT NULL, created_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS sessions (token_hash TEXT PRIMARY KEY, name TEXT NOT NULL, csrf TEXT NOT NULL,"
    " created_at TEXT NOT NULL, expires_at TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS sessions_name ON sessions (name)",
    "CREATE TABLE IF NOT EXISTS assignments (platform TEXT NOT NULL, listing_id TEXT NOT NULL,"
    " assignee TEXT NOT NULL, by TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (platform, listing_id))",
    "CREATE INDEX IF NOT EXISTS assignments_assignee ON assignments (assignee)",
)


class SQLiteAccounts(AccountStore):
    """Accounts in their own SQLite file (see the module docstring)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.RLock()
        try:
            if path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
            self._db.execute("PRAGMA busy_timeout = 30000")
            for statement in _SCHEMA:
                self._db.execute(statement)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open the accounts file {path}: {exc}") from exc

    def _run(self, what: str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                cursor = self._db.execute(sql, params)
                return cursor.fetchall() if cursor.description else [(cursor.rowcount,)]
            except sqlite3.Error as exc:
                raise StoreError(f"accounts file {self.path}: {what} failed: {exc}") from exc

    def get_user(self, name: str) -> UserRecord | None:
        rows = self._run("read user", "SELECT name, role, password_hash, active, lang, created_at FROM users"
                         " WHERE name = ?", (name,))
        return UserRecord(*rows[0][:3], bool(rows[0][3]), *rows[0][4:]) if rows else None

    def put_user(self, user: UserRecord) -> None:
        self._run("write user", "INSERT OR REPLACE INTO users VALUES (?, ?, ?, ?, ?, ?)",
                  (user.name, user.role, user.password_hash, int(user.active), user.lang, user.created_at))

    def list_users(self) -> list[UserRecord]:
        rows = self._run("list users", "SELECT name, role, password_hash, active, lang, created_at FROM users"
                         " ORDER BY name")
        return [UserRecord(*row[:3], bool(row[3]), *row[4:]) for row in rows]

    def put_session(self, session: SessionRecord) -> None:
        self._run("write session", "INSERT INTO sessions VALUES (?, ?, ?, ?, ?)",
                  (session.token_hash, session.name, session.csrf, session.created_at, session.expires_at))

    def get_session(self, token_hash: str) -> SessionRecord | None:
        rows = self._run("read session", "SELECT token_hash, name, csrf, created_at, expires_at FROM sessions"
                         " WHERE token_hash = ?", (token_hash,))
        return SessionRecord(*rows[0]) if rows else None

    def delete_sessions(self, *, token_hash: str | None = None, name: str | None = None) -> int:
        if token_hash is not None:
            return self._run("delete session", "DELETE FROM sessions WHERE token_hash = ?", (token_hash,))[0][0]
        if name is not None:
            return self._run("delete sessions", "DELETE FROM sessions WHERE name = ?", (name,))[0][0]
        return 0

    def put_assignment(self, assignment: Assignment) -> None:
        self._run("write assignment", "INSERT OR REPLACE INTO assignments VALUES (?, ?, ?, ?, ?)",
                  (assignment.platform, assignment.listing_id, assignment.assignee, assignment.by, assignment.at))

    def delete_assignment(self, platform: str, listing_id: str) -> None:
        self._run("delete assignment", "DELETE FROM assignments WHERE platform = ? AND listing_id = ?",
                  (platform, listing_id))

    def assignments(
        self, keys: list[tuple[str, str]] | None = None, *, assignee: str | None = None
    ) -> list[Assignment]:
        sql = "SELECT platform, listing_id, assignee, by, at FROM assignments"
        params: tuple[Any, ...] = ()
        if assignee is not None:
            sql += " WHERE assignee = ?"
            params = (assignee,)
        rows = [Assignment(*row) for row in self._run("read assignments", sql + " ORDER BY at", params)]
        if keys is not None:
            wanted = set(keys)
            rows = [row for row in rows if (row.platform, row.listing_id) in wanted]
        return rows

    def close(self) -> None:
        with self._lock:
            self._db.close()


def open_accounts(uri: str | None = None) -> AccountStore:
    """The accounts that go with the store named by ``uri`` (see the module docstring); StoreError
    for an unknown scheme or an unreachable server."""
    uri = resolve_uri(uri)
    scheme = scheme_of(uri)
    if scheme == "sqlite":
        return SQLiteAccounts(accounts_path(sqlite_path(uri)))
    if scheme in ("mongodb", "mongodb+srv"):
        from crawler.store.accounts_mongo import MongoAccounts

        return MongoAccounts(uri)
    raise StoreError(f"unsupported store URI scheme {scheme!r} for accounts: use sqlite:// or mongodb://")
