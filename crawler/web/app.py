"""Build the web application: its configuration, shared state, templates and error pages.

``create_app(WebConfig(...))`` opens the store and the accounts once (closed at shutdown) and mounts
the routes of :mod:`crawler.web.pages`, :mod:`crawler.web.listing_pages` and
:mod:`crawler.web.admin_pages`. Templates render with autoescape on, and every value a template
prints goes through :func:`shown` first: control and bidi characters of listing text (U+202E …)
appear as visible ``\\u202e`` escapes, exactly as on the CLI.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup
from starlette.exceptions import HTTPException as StarletteHTTPException

from crawler.review.accounts import Accounts, Session, open_accounts_for
from crawler.review.desk import ReviewStore, StoreError, open_review_store
from crawler.review.render import safe_text
from crawler.web import i18n
from crawler.web.auth import LoginRequired, current_session, login_url
from crawler.web.security import LoginLimiter, cookie_name, safe_link, security_headers

HERE = Path(__file__).resolve().parent
LANG_COOKIE = "lm_lang"


@dataclass
class WebConfig:
    """How ``crawler web`` runs: which store, where evidence lives, whether cookies are Secure."""

    store_uri: str
    evidence_dir: Path = Path("data/evidence")
    secure_cookies: bool = False
    """Secure (and ``__Host-``) cookies: on for any address but loopback (serve over HTTPS there)."""
    per_page: int = 25
    limiter: LoginLimiter = field(default_factory=LoginLimiter)


@dataclass
class WebState:
    """What every request shares: the store, the accounts, the templates, the login limiter."""

    config: WebConfig
    store: ReviewStore
    accounts: Accounts
    templates: Environment
    session_cookie: str
    login_cookie: str
    network_cache: dict[str, Any] = field(default_factory=dict)
    network_lock: threading.Lock = field(default_factory=threading.Lock)


def shown(value: Any) -> Any:
    """What a template prints: markup as it is, anything else as safe text (escaped by autoescape)."""
    if isinstance(value, Markup) or value is None:
        return "" if value is None else value
    if isinstance(value, str):
        return safe_text(value, single_line=False)
    return value


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True, finalize=shown,
                      trim_blocks=True, lstrip_blocks=True)
    env.globals.update(vnd=i18n.vnd, day=i18n.day, when=i18n.when, day_of_text=i18n.day_of_text, safe_link=safe_link,
                       safe_text=safe_text, show_day_input=i18n.show_day_input)
    return env


def page_lang(request: Request, session: Session | None) -> str:
    """``?lang=``, else the language cookie, else the user's setting, else Vietnamese."""
    for value in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE),
                  session.user.lang if session else None):
        if value in i18n.LANGS:
            return value
    return "vi"


def render(request: Request, template: str, *, status: int = 200, session: Session | None = None,
           **context: Any) -> HTMLResponse:
    """Render a page in the request's language, with the session's CSRF token for its forms."""
    state: WebState = request.app.state.web
    session = session or getattr(request.state, "session", None)
    lang = page_lang(request, session)

    def t(key: str, **values: Any) -> str:
        return i18n.label(key, lang, **values)

    other = "en" if lang == "vi" else "vi"
    params = [(name, value) for name, value in request.query_params.multi_items() if name != "lang"]
    lang_url = request.url.path + "?" + urlencode([*params, ("lang", other)])
    html = state.templates.get_template(template).render(
        lang_url=lang_url,
        request=request, session=session, user=session.user if session else None, lang=lang, t=t,
        csrf=session.csrf if session else "", kind_label=lambda kind: i18n.kind_label(kind, lang),
        status_label=lambda status: i18n.status_label(status, lang),
        role_label=lambda role: i18n.role_label(role, lang), path=request.url.path, **context,
    )
    response = HTMLResponse(html, status_code=status)
    asked = request.query_params.get("lang")
    if asked in i18n.LANGS:
        response.set_cookie(LANG_COOKIE, asked, max_age=365 * 86400, httponly=True, samesite="strict",
                            secure=state.config.secure_cookies)
    return response


def state_of(request: Request) -> WebState:
    """The application's shared :class:`WebState`."""
    return request.app.state.web


def create_app(config: WebConfig) -> FastAPI:
    """The web application over ``config.store_uri`` (store and accounts opened at startup)."""
    from crawler.web import admin_pages, listing_pages, pages

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        app.state.web.store.close()
        app.state.web.accounts.close()

    app = FastAPI(title="Listing monitor", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.web = WebState(
        config=config, store=open_review_store(config.store_uri), accounts=open_accounts_for(config.store_uri),
        templates=_environment(), session_cookie=cookie_name("lm_session", config.secure_cookies),
        login_cookie=cookie_name("lm_login", config.secure_cookies),
    )
    app.middleware("http")(security_headers)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(pages.router)
    app.include_router(listing_pages.router)
    app.include_router(admin_pages.router)

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(login_url(exc.next_path), status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        session = await current_session(request)
        if session is None and exc.status_code == 404:
            return RedirectResponse("/login", status_code=303)  # an anonymous user sees only the login page
        key = exc.detail if isinstance(exc.detail, str) else "error"
        key = {404: "not_found", 405: "error"}.get(exc.status_code, key)
        return render(request, "error.html", status=exc.status_code, session=session, message_key=key,
                      code=exc.status_code)

    @app.exception_handler(StoreError)
    async def _store_down(request: Request, exc: StoreError) -> Response:
        session = getattr(request.state, "session", None)
        return render(request, "error.html", status=503, session=session, message_key="store_error", code=503,
                      detail=str(exc))

    @app.exception_handler(RequestValidationError)
    async def _bad_request(request: Request, exc: RequestValidationError) -> Response:
        session = await current_session(request)
        if session is None:
            return RedirectResponse("/login", status_code=303)
        fields = ", ".join(".".join(str(part) for part in error.get("loc", ())[1:]) for error in exc.errors())
        return render(request, "error.html", status=400, session=session, message_key="error",
                      code=400, detail=f"invalid: {fields}")

    return app
