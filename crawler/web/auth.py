"""Who is asking, and may they: sessions from cookies, role checks and CSRF checks on every route.

Every route but the login page and static files depends on :func:`require` with the roles allowed
(``crawler.review.accounts``: REVIEWERS, ASSIGNERS, ADMINS, EVERYONE). Without a live session the
answer is a redirect to the login page; with a role not allowed, 403; a POST whose ``csrf`` form
field is not the session's token, 403 — checked before the route runs.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from urllib.parse import quote

from fastapi import HTTPException, Request
from starlette.concurrency import run_in_threadpool

from crawler.review.accounts import Session


class LoginRequired(Exception):
    """No live session: the handler redirects to ``/login?next=…``."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


async def current_session(request: Request) -> Session | None:
    """The request's live session (from its cookie), or None."""
    state = request.app.state.web
    token = request.cookies.get(state.session_cookie)
    if not token:
        return None
    return await run_in_threadpool(state.accounts.session, token)


def require(roles: frozenset[str]) -> Callable[[Request], Awaitable[Session]]:
    """A dependency: the session of a logged-in user whose role is in ``roles``, its CSRF token
    checked on POST; otherwise a redirect to log in (no session) or 403."""

    async def dependency(request: Request) -> Session:
        session = await current_session(request)
        if session is None:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise LoginRequired(target if request.method == "GET" else "/queue")
        request.state.session = session
        if session.user.role not in roles:
            raise HTTPException(403, "forbidden")
        if request.method not in ("GET", "HEAD"):
            form = await request.form()
            token = form.get("csrf")
            if not isinstance(token, str) or not hmac.compare_digest(token.encode(), session.csrf.encode()):
                raise HTTPException(403, "bad_csrf")
        return session

    dependency.roles = roles  # type: ignore[attr-defined]  # read by the route × role tests
    return dependency


def login_url(next_path: str) -> str:
    """``/login?next=…`` for a path of this site."""
    return "/login?next=" + quote(next_path, safe="/")
