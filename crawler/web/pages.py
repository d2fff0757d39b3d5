"""Login, the queue of flagged listings with bulk actions, the dashboard, exports and reports.

Routes (roles in ``crawler.review.accounts``):

    GET  /login, POST /login        anyone (rate-limited, CSRF by a login cookie)
    POST /logout                    any logged-in user
    GET  /                          → /queue
    GET  /queue                     everyone: the ``flags list`` filters, riskiest first, paged
    POST /queue/bulk                reviewers (decisions), leads/admins (assignment): on a selection
    GET  /mine                      everyone: the listings assigned to me
    GET  /dashboard                 everyone
    GET  /downloads                 everyone: the export and report forms
    POST /downloads/export          everyone: CSV/XLSX/JSON as ``crawler export``
    POST /downloads/report          everyone: HTML/XLSX/Markdown as ``crawler report``
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.background import BackgroundTask
from starlette.responses import FileResponse

from crawler.items import KINDS
from crawler.review.accounts import ASSIGNERS, EVERYONE, REVIEWERS, AccountError, Session
from crawler.review.desk import DECISIONS, dashboard, decide, export_to, parse_key, queue_page, report_to
from crawler.review.exports import FORMATS as EXPORT_FORMATS
from crawler.review.filters import VN_TZ, FilterError, Filters
from crawler.review.periods import PERIODS
from crawler.review.reports import FORMATS as REPORT_FORMATS
from crawler.web import i18n
from crawler.web.app import page_lang, render, state_of
from crawler.web.auth import current_session, require
from crawler.web.security import safe_next
from crawler.web.svg import KIND_COLORS, stacked_bars

router = APIRouter()
FILTER_FIELDS: tuple[str, ...] = ("kind", "platform", "province", "seller", "status", "since", "until", "text",
                                  "rule", "min_risk", "source")
STATUSES: tuple[str, ...] = ("new", "confirmed", "dismissed", "referred")
MEDIA = {"csv": "text/csv; charset=utf-8", "json": "application/x-ndjson; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "html": "text/html; charset=utf-8", "md": "text/markdown; charset=utf-8",
         "zip": "application/zip"}


# -- login -------------------------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, next: str = "/queue") -> Response:
    """The login form (the only page an anonymous user sees)."""
    if await current_session(request):
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_form(request, next, error=None, status=200)


def _login_form(request: Request, next_path: str, *, error: str | None, status: int) -> Response:
    import secrets

    state = state_of(request)
    # the browser's own requests (a favicon answered by a redirect here) must not change the token of a
    # form already on screen: keep a well-formed token the browser holds
    held = request.cookies.get(state.login_cookie, "")
    token = held if re.fullmatch(r"[A-Za-z0-9_-]{32}", held) else secrets.token_urlsafe(24)
    response = render(request, "login.html", status=status, next=safe_next(next_path), error=error, login_csrf=token)
    response.set_cookie(state.login_cookie, token, max_age=3600, httponly=True, samesite="strict",
                        secure=state.config.secure_cookies, path="/")
    return response


@router.post("/login")
def login(request: Request, username: Annotated[str, Form(max_length=64)] = "",
          password: Annotated[str, Form(max_length=1024)] = "", csrf: Annotated[str, Form()] = "",
          next: Annotated[str, Form()] = "/queue") -> Response:
    """Check the password (argon2), start a session, set its cookie; 403 without the login form's token,
    429 after too many failures for this name from this address."""
    import hmac

    state = state_of(request)
    expected = request.cookies.get(state.login_cookie, "")
    if not expected or not hmac.compare_digest(csrf.encode(), expected.encode()):
        raise HTTPException(403, "bad_csrf")
    address = request.client.host if request.client else "?"
    lang = page_lang(request, None)
    wait = state.config.limiter.wait_seconds(username, address)
    if wait > 0:
        minutes = max(1, round(wait / 60))
        return _login_form(request, next, error=i18n.label("login_limited", lang, minutes=minutes), status=429)
    user = state.accounts.authenticate(username, password)
    if user is None:
        state.config.limiter.failed(username, address)
        return _login_form(request, next, error=i18n.label("login_failed", lang), status=401)
    state.config.limiter.succeeded(username, address)
    token = state.accounts.start_session(user)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(state.session_cookie, token, max_age=12 * 3600, httponly=True, samesite="strict",
                        secure=state.config.secure_cookies, path="/")
    response.delete_cookie(state.login_cookie, path="/", secure=state.config.secure_cookies, httponly=True,
                           samesite="strict")
    return response


@router.post("/logout")
def logout(request: Request, session: Annotated[Session, Depends(require(EVERYONE))]) -> Response:
    """End the session and forget its cookie."""
    state = state_of(request)
    state.accounts.end_session(session.token_hash)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(state.session_cookie, path="/", secure=state.config.secure_cookies, httponly=True,
                           samesite="strict")
    return response


@router.get("/")
def home(session: Annotated[Session, Depends(require(EVERYONE))]) -> Response:
    """The queue is the inspectors' home."""
    return RedirectResponse("/queue", status_code=303)


# -- the queue ---------------------------------------------------------------------------------------


def filters_from(values: dict[str, str]) -> tuple[Filters, dict[str, str]]:
    """The review ``Filters`` from query or form values (blank = not set; days as dd/mm/yyyy or ISO),
    and the values as the form shows them back. FilterError on a bad number."""
    shown = {name: (values.get(name) or "").strip()[:200] for name in FILTER_FIELDS}
    min_risk = None
    if shown["min_risk"]:
        try:
            min_risk = float(shown["min_risk"].replace(",", "."))
        except ValueError as exc:
            raise FilterError(f"min_risk {shown['min_risk']!r}: not a number between 0 and 1") from exc
    filters = Filters(
        kind=shown["kind"] or None, rule=shown["rule"] or None, platform=shown["platform"] or None,
        seller=shown["seller"] or None, province=shown["province"] or None, status=shown["status"] or None,
        min_risk=min_risk, since=i18n.parse_day(shown["since"]), until=i18n.parse_day(shown["until"]),
        text=shown["text"] or None, source=shown["source"] or None,
    )
    return filters, shown


def _page_number(text: str | None) -> int:
    if not text:
        return 1
    if not text.isdigit() or len(text) > 7:
        raise FilterError(f"page {text!r}: must be a whole number from 1")
    return max(1, int(text))


@router.get("/queue", response_class=HTMLResponse)
def queue(request: Request, session: Annotated[Session, Depends(require(EVERYONE))]) -> Response:
    """Flagged listings with the ``flags list`` filters, riskiest first, paged."""
    state = state_of(request)
    params = dict(request.query_params)
    error = None
    listing_page = None
    shown: dict[str, str] = {name: params.get(name, "") for name in FILTER_FIELDS}
    sort = params.get("sort") or "risk"
    try:
        filters, shown = filters_from(params)
        listing_page = queue_page(state.store, filters, page=_page_number(params.get("page")),
                                  per_page=state.config.per_page, sort=sort)
    except FilterError as exc:
        error = str(exc)
    assigned = {}
    if listing_page:
        keys = [(row.platform, row.listing_id) for row in listing_page.listings]
        assigned = state.accounts.assigned(keys)
    query = {name: value for name, value in shown.items() if value}
    if sort != "risk":
        query["sort"] = sort
    return render(
        request, "queue.html", status=400 if error else 200, error=error, result=listing_page, shown=shown,
        kinds=KINDS, statuses=STATUSES, assigned=assigned, query=urlencode(query), sort=sort,
        back="/queue" + (f"?{request.url.query}" if request.url.query else ""),
        can_review=session.user.role in REVIEWERS, can_assign=session.user.role in ASSIGNERS,
        inspectors=_inspectors(state) if session.user.role in ASSIGNERS else [],
        done=params.get("done"), failed=params.get("failed"), failures=params.get("why"),
    )


def _inspectors(state: Any) -> list[str]:
    return [user.name for user in state.accounts.users() if user.active and user.role in REVIEWERS]


@router.post("/queue/bulk")
def bulk(request: Request, session: Annotated[Session, Depends(require(REVIEWERS))],
         key: Annotated[list[str] | None, Form(max_length=300)] = None, action: Annotated[str, Form()] = "",
         note: Annotated[str, Form(max_length=4000)] = "", assignee: Annotated[str, Form(max_length=64)] = "",
         back: Annotated[str, Form()] = "/queue") -> Response:
    """Confirm / dismiss / refer / reopen or assign every selected listing; back to the queue with a count."""
    state = state_of(request)
    keys = list(dict.fromkeys(key or []))[:500]
    target = safe_next(back)
    if not keys:
        return _back(target, done=0, failed=0, why="nothing_selected")
    if action == "assign":
        if session.user.role not in ASSIGNERS:
            raise HTTPException(403, "forbidden")
        try:
            parsed = [parse_key(item) for item in keys]
            state.accounts.assign(parsed, assignee or None, by=session.user.name)
        except (FilterError, AccountError) as exc:
            return _back(target, done=0, failed=len(keys), why=str(exc))
        return _back(target, done=len(keys), failed=0)
    if action not in DECISIONS:
        raise HTTPException(400, "error")
    results = decide(state.store, keys, action, by=session.user.name, note=note.strip() or None)
    failed = [result for result in results if result.error]
    why = "; ".join(f"{result.key}: {result.error}" for result in failed[:3])
    return _back(target, done=len(results) - len(failed), failed=len(failed), why=why)


def _back(target: str, **counts: Any) -> Response:
    separator = "&" if "?" in target else "?"
    clean = {name: value for name, value in counts.items() if value not in (None, "")}
    return RedirectResponse(target + separator + urlencode(clean), status_code=303)


@router.get("/mine", response_class=HTMLResponse)
def mine(request: Request, session: Annotated[Session, Depends(require(EVERYONE))]) -> Response:
    """The listings assigned to the logged-in user, oldest assignment first."""
    state = state_of(request)
    rows = []
    for assignment in state.accounts.assigned_to(session.user.name):
        listing = state.store.get_listing(assignment.platform, assignment.listing_id)
        if listing is not None:
            rows.append((listing, assignment))
    return render(request, "mine.html", rows=rows)


# -- dashboard ---------------------------------------------------------------------------------------


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard_page(request: Request, session: Annotated[Session, Depends(require(EVERYONE))]) -> Response:
    """Flags per kind and platform by week, the review backlog, top sellers, the last crawl runs."""
    state = state_of(request)
    lang = page_lang(request, session)
    data = dashboard(state.store, datetime.now(VN_TZ).date())
    kinds = stacked_bars(data.weeks, data.kinds_by_week, [(kind, i18n.kind_label(kind, lang)) for kind in KINDS],
                         colors=KIND_COLORS)
    platforms = stacked_bars(data.weeks, data.platforms_by_week, [(name, name) for name in data.platforms])
    runs = [_run_row(run) for run in data.runs]
    return render(request, "dashboard.html", data=data, kinds_chart=kinds, platforms_chart=platforms, runs=runs,
                  statuses=STATUSES)


def _run_row(run: dict[str, Any]) -> dict[str, Any]:
    stats = run.get("stats") or {}
    errors = run.get("errors")
    return {
        "spider": run.get("spider") or "—", "started": run.get("started_at"), "finished": run.get("finished_at"),
        "items": stats.get("item_scraped_count", stats.get("items", "—")) if isinstance(stats, dict) else "—",
        "errors": len(errors) if isinstance(errors, list) else (errors or 0),
    }


# -- downloads ---------------------------------------------------------------------------------------


@router.get("/downloads", response_class=HTMLResponse)
def downloads(request: Request, session: Annotated[Session, Depends(require(EVERYONE))]) -> Response:
    """The export form (the queue's filters) and the report form (period, days, format)."""
    return render(request, "downloads.html", kinds=KINDS, statuses=STATUSES, export_formats=EXPORT_FORMATS,
                  report_formats=REPORT_FORMATS, periods=list(PERIODS), error=request.query_params.get("error"),
                  period_label=lambda period: i18n.period_label(period, page_lang(request, session)))


def _download(path: Path, folder: Path, filename: str, output_format: str) -> FileResponse:
    import shutil

    return FileResponse(path, media_type=MEDIA[output_format], filename=filename,
                        content_disposition_type="attachment",
                        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True))


@router.post("/downloads/export")
async def export_download(request: Request, session: Annotated[Session, Depends(require(EVERYONE))]) -> Response:
    """The listings matching the filters, as ``crawler export`` writes them (a download)."""
    from starlette.concurrency import run_in_threadpool

    form = await request.form()
    values = {name: str(form.get(name) or "") for name in (*FILTER_FIELDS, "format", "all")}
    output_format = values["format"] or "xlsx"
    if output_format not in EXPORT_FORMATS:
        raise HTTPException(400, "error")
    try:
        filters, _ = filters_from(values)
    except FilterError as exc:
        return _back("/downloads", error=str(exc))
    filters.flagged_only = values["all"] != "1"
    folder = Path(tempfile.mkdtemp(prefix="lm-export-"))
    path = folder / f"tin-dang.{output_format}"
    try:
        await run_in_threadpool(export_to, state_of(request).store, filters, path, output_format)
    except FilterError as exc:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
        return _back("/downloads", error=str(exc))
    stamp = datetime.now(VN_TZ).strftime("%Y%m%d-%H%M")
    return _download(path, folder, f"tin-dang-{stamp}.{output_format}", output_format)


@router.post("/downloads/report")
def report_download(request: Request, session: Annotated[Session, Depends(require(EVERYONE))],
                    period: Annotated[str, Form()] = "quick", from_day: Annotated[str, Form(max_length=20)] = "",
                    to_day: Annotated[str, Form(max_length=20)] = "",
                    output_format: Annotated[str, Form(alias="format")] = "html") -> Response:
    """The report ``crawler report`` writes for the period (a download)."""
    import shutil

    if output_format not in REPORT_FORMATS or period not in PERIODS:
        raise HTTPException(400, "error")
    folder = Path(tempfile.mkdtemp(prefix="lm-report-"))
    path = folder / f"bao-cao.{output_format}"
    try:
        report_to(state_of(request).store, period, i18n.parse_day(from_day), i18n.parse_day(to_day),
                  datetime.now(VN_TZ).date(), path, output_format)
    except FilterError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        return _back("/downloads", error=str(exc))
    return _download(path, folder, f"bao-cao-{period}.{output_format}", output_format)


def filters_dict(filters: Filters) -> dict[str, Any]:
    """The filters as a dict (for templates and tests)."""
    return asdict(filters)
