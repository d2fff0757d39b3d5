"""Web UI accounts beside the store, on each backend (a SQLite file beside the store; MongoDB
collections over the wire to nx-27017): users, argon2 passwords, sessions, assignments; and the
``crawler users`` commands."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crawler.cli import app
from crawler.review.accounts import AccountError, Accounts, open_accounts_for
from crawler.store.accounts import accounts_path, open_accounts


@pytest.fixture(params=["sqlite", "nx-27017"])
def accounts_uri(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    from tests.conftest_store import backend_uri

    return next(backend_uri(request.param, request, tmp_path))


def test_accounts_file_sits_beside_a_sqlite_store(tmp_path: Path) -> None:
    assert accounts_path(str(tmp_path / "crawler.sqlite3")) == str(tmp_path / "crawler.accounts.sqlite3")
    with open_accounts(f"sqlite:///{tmp_path / 'crawler.sqlite3'}"):
        pass
    assert (tmp_path / "crawler.accounts.sqlite3").is_file()
    assert not (tmp_path / "crawler.sqlite3").exists()  # the listings store is not touched


def test_users_passwords_and_roles(accounts_uri: str) -> None:
    with open_accounts_for(accounts_uri) as accounts:
        user = accounts.add_user("lan", "inspector", "một mật khẩu dài")
        assert user.password_hash.startswith("$argon2id$") and "một" not in user.password_hash
        assert accounts.authenticate("lan", "một mật khẩu dài").name == "lan"  # type: ignore[union-attr]
        assert accounts.authenticate("lan", "một mật khẩu sai!") is None
        assert accounts.authenticate("nobody", "một mật khẩu dài") is None
        for name, role, password in (("lan", "inspector", "0123456789"), ("x y", "inspector", "0123456789"),
                                     ("ok", "boss", "0123456789"), ("ok", "admin", "short")):
            with pytest.raises(AccountError):
                accounts.add_user(name, role, password)
        accounts.set_active("lan", False)
        assert accounts.authenticate("lan", "một mật khẩu dài") is None
        assert [(u.name, u.role, u.active) for u in accounts.users()] == [("lan", "inspector", False)]


def test_sessions_end_at_logout_disable_and_expiry(accounts_uri: str) -> None:
    with open_accounts_for(accounts_uri) as accounts:
        user = accounts.add_user("minh", "lead", "0123456789ab")
        token = accounts.start_session(user)
        session = accounts.session(token)
        assert session is not None and session.user.name == "minh" and len(session.csrf) > 30
        assert accounts.session(token + "x") is None
        accounts.end_session(session.token_hash)
        assert accounts.session(token) is None
        token = accounts.start_session(user)
        accounts.set_active("minh", False)
        assert accounts.session(token) is None
        accounts.set_active("minh", True)
        assert accounts.session(token) is None  # disabling ended it for good
        expired = accounts.start_session(user, hours=-1)
        assert accounts.session(expired) is None


def test_sessions_keep_only_a_hash_of_the_token(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 's.sqlite3'}"
    with open_accounts_for(uri) as accounts:
        token = accounts.start_session(accounts.add_user("an", "analyst", "0123456789ab"))
    stored = sqlite3.connect(tmp_path / "s.accounts.sqlite3").execute("SELECT token_hash FROM sessions").fetchall()
    assert stored and token not in {row[0] for row in stored}


def test_assignments(accounts_uri: str) -> None:
    with open_accounts_for(accounts_uri) as accounts:
        accounts.add_user("lan", "inspector", "0123456789ab")
        accounts.add_user("an", "analyst", "0123456789ab")
        accounts.assign([("tiki", "1"), ("tiki", "2")], "lan", by="minh")
        assert sorted(accounts.assigned([("tiki", "1"), ("tiki", "3")])) == ["tiki:1"]
        assert [a.listing_id for a in accounts.assigned_to("lan")] == ["1", "2"]
        with pytest.raises(AccountError):
            accounts.assign([("tiki", "1")], "an", by="minh")  # an analyst does not review
        accounts.assign([("tiki", "1")], None, by="minh")
        assert [a.listing_id for a in accounts.assigned_to("lan")] == ["2"]


def test_users_commands(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    runner = CliRunner()
    added = runner.invoke(app, ["users", "add", "lan", "--role", "inspector", "--password-stdin", "--store", uri],
                          input="0123456789ab\n")
    assert added.exit_code == 0, added.output
    again = runner.invoke(app, ["users", "add", "lan", "--role", "admin", "--password-stdin", "--store", uri],
                          input="0123456789ab\n")
    assert again.exit_code == 2 and "already exists" in again.output
    short = runner.invoke(app, ["users", "add", "x", "--role", "admin", "--password-stdin", "--store", uri],
                          input="short\n")
    assert short.exit_code == 2 and "at least 10" in short.output
    assert runner.invoke(app, ["users", "disable", "lan", "--store", uri]).exit_code == 0
    listed = runner.invoke(app, ["users", "list", "--store", uri])
    assert "lan" in listed.output and "disabled" in listed.output
    assert runner.invoke(app, ["users", "disable", "ghost", "--store", uri]).exit_code == 8
    changed = runner.invoke(app, ["users", "password", "lan", "--password-stdin", "--store", uri],
                            input="a new password\n")
    assert changed.exit_code == 0, changed.output
    with open_accounts_for(uri) as accounts:
        assert isinstance(accounts, Accounts)
        assert accounts.authenticate("lan", "a new password") is None  # disabled
        accounts.set_active("lan", True)
        assert accounts.authenticate("lan", "a new password") is not None
        assert accounts.authenticate("lan", "0123456789ab") is None
