"""Web UI accounts on MongoDB: ``web_users``, ``web_sessions``, ``web_assignments`` in the store's database.

Only whole-document inserts, replaces, finds and deletes (what nx-27017 handles like MongoDB); times
are ISO text. See :mod:`crawler.store.accounts`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC
from typing import Any, TypeVar

from pymongo import ASCENDING, MongoClient
from pymongo.errors import ConfigurationError, PyMongoError

from crawler.store.accounts import AccountStore, Assignment, SessionRecord, UserRecord
from crawler.store.base import StoreError
from crawler.store.uri import hosts_of, redact_uri, scrub

DEFAULT_DATABASE = "listing_monitor"
T = TypeVar("T")


class MongoAccounts(AccountStore):
    """Accounts in three collections of the store's MongoDB database."""

    def __init__(self, uri: str) -> None:
        self._uri = uri
        self.hosts = hosts_of(uri)
        options: dict[str, Any] = {"tz_aware": True, "tzinfo": UTC, "appname": "listing-monitor-web"}
        if "serverselectiontimeoutms" not in uri.lower():
            options["serverSelectionTimeoutMS"] = 5000
        try:
            self._client: MongoClient[dict[str, Any]] = MongoClient(uri, **options)
            db = self._client.get_default_database(default=DEFAULT_DATABASE)
        except (ConfigurationError, PyMongoError, ValueError, TypeError) as exc:
            raise StoreError(f"bad MongoDB URI {redact_uri(uri)}: {scrub(str(exc), uri)}") from exc
        self.users = db["web_users"]
        self.sessions = db["web_sessions"]
        self.assigned = db["web_assignments"]
        self._call("create indexes", self._indexes)

    def _indexes(self) -> None:
        self.users.create_index([("name", ASCENDING)], unique=True)
        self.sessions.create_index([("token_hash", ASCENDING)], unique=True)
        self.sessions.create_index([("name", ASCENDING)])
        self.assigned.create_index([("platform", ASCENDING), ("listing_id", ASCENDING)], unique=True)
        self.assigned.create_index([("assignee", ASCENDING)])

    def _call(self, what: str, operation: Callable[[], T]) -> T:
        try:
            return operation()
        except PyMongoError as exc:
            raise StoreError(f"MongoDB at {self.hosts}: accounts {what} failed: {scrub(str(exc), self._uri)}") from exc

    @staticmethod
    def _user(doc: dict[str, Any]) -> UserRecord:
        return UserRecord(doc["name"], doc["role"], doc["password_hash"], bool(doc["active"]), doc.get("lang", "vi"),
                          doc.get("created_at", ""))

    def get_user(self, name: str) -> UserRecord | None:
        doc = self._call("read user", lambda: self.users.find_one({"name": name}))
        return self._user(doc) if doc else None

    def put_user(self, user: UserRecord) -> None:
        doc = {"name": user.name, "role": user.role, "password_hash": user.password_hash, "active": user.active,
               "lang": user.lang, "created_at": user.created_at}
        self._call("write user", lambda: self.users.replace_one({"name": user.name}, doc, upsert=True))

    def list_users(self) -> list[UserRecord]:
        docs = self._call("list users", lambda: list(self.users.find({})))
        return sorted((self._user(doc) for doc in docs), key=lambda user: user.name)

    def put_session(self, session: SessionRecord) -> None:
        doc = vars(session).copy()
        self._call("write session", lambda: self.sessions.insert_one(doc))

    def get_session(self, token_hash: str) -> SessionRecord | None:
        doc = self._call("read session", lambda: self.sessions.find_one({"token_hash": token_hash}))
        if not doc:
            return None
        return SessionRecord(doc["token_hash"], doc["name"], doc["csrf"], doc["created_at"], doc["expires_at"])

    def delete_sessions(self, *, token_hash: str | None = None, name: str | None = None) -> int:
        if token_hash is not None:
            spec = {"token_hash": token_hash}
        elif name is not None:
            spec = {"name": name}
        else:
            return 0
        return self._call("delete sessions", lambda: self.sessions.delete_many(spec).deleted_count)

    def put_assignment(self, assignment: Assignment) -> None:
        doc = vars(assignment).copy()
        spec = {"platform": assignment.platform, "listing_id": assignment.listing_id}
        self._call("write assignment", lambda: self.assigned.replace_one(spec, doc, upsert=True))

    def delete_assignment(self, platform: str, listing_id: str) -> None:
        spec = {"platform": platform, "listing_id": listing_id}
        self._call("delete assignment", lambda: self.assigned.delete_one(spec))

    def assignments(
        self, keys: list[tuple[str, str]] | None = None, *, assignee: str | None = None
    ) -> list[Assignment]:
        spec: dict[str, Any] = {} if assignee is None else {"assignee": assignee}
        docs = self._call("read assignments", lambda: list(self.assigned.find(spec)))
        rows = sorted((Assignment(d["platform"], d["listing_id"], d["assignee"], d["by"], d["at"]) for d in docs),
                      key=lambda row: row.at)
        if keys is not None:
            wanted = set(keys)
            rows = [row for row in rows if (row.platform, row.listing_id) in wanted]
        return rows

    def close(self) -> None:
        self._client.close()
