"""``crawler users add / list / disable / enable / password``: the web UI's accounts.

Accounts live beside the store: for ``sqlite:///data/crawler.sqlite3`` in
``data/crawler.accounts.sqlite3``; for MongoDB in the store database's ``web_users`` collection.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from crawler.commands.common import StoreOption, fail, out, store_uri
from crawler.exit_codes import ExitCode

if TYPE_CHECKING:
    from crawler.review.accounts import Accounts

users_app = typer.Typer(help="Accounts of the web UI (crawler web): add, list, disable.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add ``crawler users …`` to the root command."""
    app.add_typer(users_app, name="users")


def _accounts(store: str | None) -> Accounts:
    from crawler.review.accounts import open_accounts_for
    from crawler.store import StoreError

    try:
        return open_accounts_for(store_uri(store))
    except StoreError as exc:
        raise fail(str(exc), ExitCode.STORE_UNREACHABLE) from exc


def _read_password(stdin: bool) -> str:
    if stdin or not sys.stdin.isatty():
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="Login name: ASCII letters, digits, '.', '_', '@', '-'.")],
    role: Annotated[str, typer.Option(help="inspector, lead, analyst or admin.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from the first line of stdin.")
    ] = False,
    lang: Annotated[str, typer.Option(help="The user's language: vi or en.")] = "vi",
    store: StoreOption = None,
) -> None:
    """Add an account; the password is asked twice (or read from stdin), at least 10 characters.

    Roles: inspector (reviews), lead (reviews and assigns), analyst (reads, exports; decides nothing),
    admin (everything, and accounts).

    Examples:
      crawler users add lan --role inspector
      printf '%s\\n' "$PASSWORD" | crawler users add minh --role lead --password-stdin
    """
    from crawler.review.accounts import AccountError

    password = _read_password(password_stdin)
    with _accounts(store) as accounts:
        try:
            accounts.add_user(name, role, password, lang=lang)
        except AccountError as exc:
            raise fail(str(exc), ExitCode.USAGE) from exc
    out().print(f"user {name} added ({role})")


@users_app.command("list")
def users_list(store: StoreOption = None) -> None:
    """Every account: name, role, active or disabled, created."""
    with _accounts(store) as accounts:
        users = accounts.users()
    if not users:
        out().print("No accounts yet. Add one: crawler users add NAME --role inspector")
        return
    table = Table(title="Web UI accounts")
    for column in ("Name", "Role", "State", "Language", "Created"):
        table.add_column(column)
    for user in users:
        table.add_row(Text(user.name), user.role, "active" if user.active else "disabled", user.lang,
                      user.created_at[:10])
    out().print(table)


def _set_active(name: str, active: bool, store: str | None) -> None:
    from crawler.review.accounts import AccountError

    with _accounts(store) as accounts:
        try:
            accounts.set_active(name, active)
        except AccountError as exc:
            raise fail(str(exc), ExitCode.NOT_FOUND) from exc
    out().print(f"user {name} {'enabled' if active else 'disabled (its sessions ended)'}")


@users_app.command("disable")
def users_disable(name: Annotated[str, typer.Argument(help="Login name.")], store: StoreOption = None) -> None:
    """Disable an account at once: it cannot log in and its open sessions end."""
    _set_active(name, False, store)


@users_app.command("enable")
def users_enable(name: Annotated[str, typer.Argument(help="Login name.")], store: StoreOption = None) -> None:
    """Enable a disabled account again."""
    _set_active(name, True, store)


@users_app.command("password")
def users_password(
    name: Annotated[str, typer.Argument(help="Login name.")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read it from stdin.")] = False,
    store: StoreOption = None,
) -> None:
    """Set a new password (its sessions end)."""
    from crawler.review.accounts import AccountError

    password = _read_password(password_stdin)
    with _accounts(store) as accounts:
        try:
            accounts.set_password(name, password)
        except AccountError as exc:
            raise fail(str(exc), ExitCode.USAGE) from exc
    out().print(f"password of {name} changed")
