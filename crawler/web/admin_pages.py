"""Accounts: the admin's user list (add, disable, enable) and each user's own settings.

Routes:

    GET  /admin/users, POST /admin/users, POST /admin/users/active     admins only
    GET  /account, POST /account/lang, POST /account/password           any logged-in user (their own)
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from crawler.review.accounts import ADMINS, EVERYONE, ROLES, AccountError, Session
from crawler.web.app import LANG_COOKIE, render, state_of
from crawler.web.auth import require

router = APIRouter()


def _users_page(request: Request, *, error: str | None = None, saved: bool = False, status: int = 200) -> Response:
    return render(request, "users.html", status=status, users=state_of(request).accounts.users(), roles=ROLES,
                  error=error, saved=saved)


@router.get("/admin/users", response_class=HTMLResponse)
def users(request: Request, session: Annotated[Session, Depends(require(ADMINS))]) -> Response:
    """Every account with its role and state."""
    return _users_page(request, saved=request.query_params.get("saved") == "1")


@router.post("/admin/users")
def add_user(request: Request, session: Annotated[Session, Depends(require(ADMINS))],
             name: Annotated[str, Form(max_length=64)], role: Annotated[str, Form()],
             password: Annotated[str, Form(max_length=1024)]) -> Response:
    """Create an account (the same rules as ``crawler users add``)."""
    try:
        state_of(request).accounts.add_user(name, role, password)
    except AccountError as exc:
        return _users_page(request, error=str(exc), status=400)
    return RedirectResponse("/admin/users?saved=1", status_code=303)


@router.post("/admin/users/active")
def set_active(request: Request, session: Annotated[Session, Depends(require(ADMINS))],
               name: Annotated[str, Form(max_length=64)], active: Annotated[str, Form()]) -> Response:
    """Disable (ending its sessions) or enable an account; an admin cannot disable themself."""
    if name == session.user.name and active != "1":
        return _users_page(request, error="you cannot disable your own account", status=400)
    try:
        state_of(request).accounts.set_active(name, active == "1")
    except AccountError as exc:
        return _users_page(request, error=str(exc), status=400)
    return RedirectResponse("/admin/users?saved=1", status_code=303)


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, session: Annotated[Session, Depends(require(EVERYONE))]) -> Response:
    """The user's language and password."""
    return render(request, "account.html", saved=request.query_params.get("saved") == "1", error=None)


@router.post("/account/lang")
def account_lang(request: Request, session: Annotated[Session, Depends(require(EVERYONE))],
                 lang: Annotated[str, Form()]) -> Response:
    """Keep the user's language (and set the language cookie to it)."""
    state = state_of(request)
    try:
        state.accounts.set_lang(session.user.name, lang)
    except AccountError as exc:
        return render(request, "account.html", status=400, saved=False, error=str(exc))
    response = RedirectResponse("/account?saved=1", status_code=303)
    response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, httponly=True, samesite="strict",
                        secure=state.config.secure_cookies)
    return response


@router.post("/account/password")
def account_password(request: Request, session: Annotated[Session, Depends(require(EVERYONE))],
                     current: Annotated[str, Form(max_length=1024)],
                     new: Annotated[str, Form(max_length=1024)]) -> Response:
    """A new password after the current one is checked; every session ends (log in again)."""
    state = state_of(request)
    if state.accounts.authenticate(session.user.name, current) is None:
        return render(request, "account.html", status=400, saved=False, error="wrong current password")
    try:
        state.accounts.set_password(session.user.name, new)
    except AccountError as exc:
        return render(request, "account.html", status=400, saved=False, error=str(exc))
    return RedirectResponse("/login", status_code=303)
