"""Accounts of the web UI: roles, argon2 passwords, login sessions, and assignment of listings.

Roles (what each may do; the web UI checks them on every route):

- ``inspector`` — read the queue, listings, evidence, dashboard; confirm / dismiss / refer; exports,
  reports and case files;
- ``lead`` — an inspector who also assigns listings to inspectors;
- ``analyst`` — reads everything an inspector reads and downloads exports and reports; decides nothing;
- ``admin`` — everything a lead does, and manages accounts.

Passwords are hashed with argon2id (argon2-cffi's defaults, re-hashed on login when they change);
a session is a random token kept by the browser, of which only the sha256 is stored, with its own
CSRF token; it lasts :data:`SESSION_HOURS` hours, and ends at logout or when the account is disabled.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from crawler.store.accounts import AccountStore, Assignment, SessionRecord, UserRecord, open_accounts

ROLES: tuple[str, ...] = ("inspector", "lead", "analyst", "admin")
REVIEWERS = frozenset({"inspector", "lead", "admin"})
"""Roles that may confirm, dismiss, refer (and build case files)."""
ASSIGNERS = frozenset({"lead", "admin"})
ADMINS = frozenset({"admin"})
EVERYONE = frozenset(ROLES)
SESSION_HOURS = 12
MIN_PASSWORD = 10
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
_hasher = PasswordHasher()
# verified against when the user does not exist, so a wrong name costs as long as a wrong password
_DUMMY_HASH = _hasher.hash("not a password of anyone")


class AccountError(ValueError):
    """A request about accounts the user must fix (bad name, role, password, unknown user)."""


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def token_hash(token: str) -> str:
    """What is stored of a session token: its sha256 (hex)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_name(name: str) -> str:
    """A login name: ASCII letters, digits and ``._@-``, 1–64 characters (AccountError otherwise)."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise AccountError(f"user name {name!r}: use 1–64 ASCII letters, digits, '.', '_', '@' or '-'")
    return name


def check_password(password: str) -> str:
    """A password of at least :data:`MIN_PASSWORD` characters (AccountError otherwise)."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise AccountError(f"a password needs at least {MIN_PASSWORD} characters")
    return password


@dataclass
class Session:
    """A logged-in user as a request sees it."""

    user: UserRecord
    csrf: str
    token_hash: str


class Accounts:
    """Account operations over an :class:`~crawler.store.accounts.AccountStore`."""

    def __init__(self, store: AccountStore) -> None:
        self.store = store

    # -- users -----------------------------------------------------------------------------------

    def add_user(self, name: str, role: str, password: str, *, lang: str = "vi") -> UserRecord:
        """Create an account (AccountError when the name is taken or a value is bad)."""
        check_name(name)
        if role not in ROLES:
            raise AccountError(f"unknown role {role!r}; use one of: {', '.join(ROLES)}")
        check_password(password)
        if self.store.get_user(name) is not None:
            raise AccountError(f"user {name!r} already exists")
        user = UserRecord(name, role, _hasher.hash(password), True, lang if lang in ("vi", "en") else "vi",
                          _iso(_now()))
        self.store.put_user(user)
        return user

    def users(self) -> list[UserRecord]:
        """Every account, by name."""
        return self.store.list_users()

    def user(self, name: str) -> UserRecord:
        """The account ``name`` (AccountError when there is none)."""
        found = self.store.get_user(name)
        if found is None:
            raise AccountError(f"no user {name!r}")
        return found

    def set_active(self, name: str, active: bool) -> UserRecord:
        """Enable or disable an account; disabling ends its sessions at once."""
        user = self.user(name)
        user.active = active
        self.store.put_user(user)
        if not active:
            self.store.delete_sessions(name=name)
        return user

    def set_lang(self, name: str, lang: str) -> None:
        """The user's language setting (``vi`` or ``en``)."""
        if lang not in ("vi", "en"):
            raise AccountError(f"unknown language {lang!r} (vi or en)")
        user = self.user(name)
        user.lang = lang
        self.store.put_user(user)

    def set_password(self, name: str, password: str) -> None:
        """A new password; every session of the user ends."""
        check_password(password)
        user = self.user(name)
        user.password_hash = _hasher.hash(password)
        self.store.put_user(user)
        self.store.delete_sessions(name=name)

    def authenticate(self, name: str, password: str) -> UserRecord | None:
        """The active account when ``password`` is its password, else None (same cost either way)."""
        user = self.store.get_user(name) if isinstance(name, str) and _NAME.fullmatch(name or "") else None
        try:
            _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if user is None or not user.active:
            return None
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = _hasher.hash(password)
            self.store.put_user(user)
        return user

    # -- sessions --------------------------------------------------------------------------------

    def start_session(self, user: UserRecord, *, hours: int = SESSION_HOURS) -> str:
        """A new session for ``user``; returns the token for the cookie (only its hash is kept)."""
        token = secrets.token_urlsafe(32)
        now = _now()
        self.store.put_session(SessionRecord(token_hash(token), user.name, secrets.token_urlsafe(32), _iso(now),
                                             _iso(now + timedelta(hours=hours))))
        return token

    def session(self, token: str | None) -> Session | None:
        """The live session of a cookie token: not expired, its account active; else None."""
        if not token or len(token) > 200:
            return None
        digest = token_hash(token)
        record = self.store.get_session(digest)
        if record is None:
            return None
        if datetime.fromisoformat(record.expires_at) <= _now():
            self.store.delete_sessions(token_hash=digest)
            return None
        user = self.store.get_user(record.name)
        if user is None or not user.active:
            return None
        return Session(user, record.csrf, digest)

    def end_session(self, token_hash_value: str) -> None:
        """Log out: forget the session."""
        self.store.delete_sessions(token_hash=token_hash_value)

    # -- assignments -----------------------------------------------------------------------------

    def assign(self, keys: list[tuple[str, str]], assignee: str | None, *, by: str) -> None:
        """Assign listings to an active inspector or lead (None: unassign); AccountError otherwise."""
        if assignee:
            user = self.user(assignee)
            if not user.active or user.role not in REVIEWERS:
                raise AccountError(f"{assignee!r} cannot review listings (role {user.role}, "
                                   f"{'active' if user.active else 'disabled'})")
        for platform, listing_id in keys:
            if assignee:
                self.store.put_assignment(Assignment(platform, listing_id, assignee, by, _iso(_now())))
            else:
                self.store.delete_assignment(platform, listing_id)

    def assigned(self, keys: list[tuple[str, str]]) -> dict[str, Assignment]:
        """``platform:listing_id`` → assignment, for those of ``keys`` that are assigned."""
        return {f"{a.platform}:{a.listing_id}": a for a in self.store.assignments(keys)}

    def assigned_to(self, name: str) -> list[Assignment]:
        """Every listing assigned to ``name``, oldest assignment first."""
        return self.store.assignments(assignee=name)

    def close(self) -> None:
        """Close the underlying account store."""
        self.store.close()

    def __enter__(self) -> Accounts:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_accounts_for(uri: str | None) -> Accounts:
    """The :class:`Accounts` that go with the store named by ``uri``."""
    return Accounts(open_accounts(uri))
