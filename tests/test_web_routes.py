"""The web UI over HTTP (FastAPI's TestClient): every route × every role, CSRF, role bypass, login
limits, cookies, headers, escaping of hostile listing text, evidence by id, downloads."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from crawler.review.accounts import open_accounts_for
from crawler.store import open_store
from crawler.web.app import WebConfig, create_app
from crawler.web.security import LoginLimiter
from tests.web_fixtures import HOSTILE_TITLE, PASSWORD, ROLES, USERS, WebData, build, copy, csrf_of

ANON = "anonymous"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> WebData:
    return build(tmp_path_factory.mktemp("web"))


@pytest.fixture
def data(built: WebData, tmp_path: Path) -> WebData:
    return copy(built, tmp_path)


@pytest.fixture
def app_for(data: WebData) -> Iterator[Callable[..., Any]]:
    """``app_for(**config)``: a new client; with no options, a new client of one shared app (each client
    is its own browser: its own cookies)."""
    running: list[TestClient] = []
    shared: list[Any] = []

    def make(**options: Any) -> TestClient:
        if not options and shared:
            return TestClient(shared[0], follow_redirects=False)
        config = WebConfig(store_uri=data.uri, evidence_dir=data.evidence_dir, **options)
        client = TestClient(create_app(config), follow_redirects=False)
        client.__enter__()  # runs the lifespan: the store closes at its exit
        running.append(client)
        if not options:
            shared.append(client.app)
        return client

    yield make
    for client in running:
        client.__exit__(None, None, None)


def login(client: TestClient, name: str, password: str = PASSWORD) -> Any:
    page = client.get("/login")
    return client.post("/login", data={"username": name, "password": password, "csrf": csrf_of(page.text),
                                       "next": "/queue"})


def quick_session(client: TestClient, role: str) -> str:
    """A session for the role's user made directly (no argon2 check: the login itself is tested
    below); returns its CSRF token."""
    if role == ANON:
        return "none"
    accounts = client.app.state.web.accounts  # type: ignore[attr-defined]
    client.cookies.set("lm_session", accounts.start_session(accounts.user(USERS[role])))
    return csrf_of(client.get("/account").text)


def as_role(client: TestClient, role: str) -> str:
    """Log ``client`` in as the role's user (a real login); returns the session's CSRF token."""
    if role == ANON:
        return "none"
    response = login(client, USERS[role])
    assert response.status_code == 303, response.text
    return csrf_of(client.get("/account").text)


# -- every route × every role ------------------------------------------------------------------------

OK_ALL = dict.fromkeys(ROLES, 200)
REVIEWERS_303 = {"inspector": 303, "lead": 303, "analyst": 403, "admin": 303}
ASSIGNERS_303 = {"inspector": 403, "lead": 303, "analyst": 403, "admin": 303}
ADMIN_ONLY = {"inspector": 403, "lead": 403, "analyst": 403, "admin": 200}
ADMIN_ONLY_303 = {"inspector": 403, "lead": 403, "analyst": 403, "admin": 303}

ROUTES: list[tuple[str, str, str, Callable[[WebData], dict[str, Any]], dict[str, int]]] = [
    # (method, path as requested, route template, form, status per role); anonymous: always 303 to /login
    ("GET", "/", "/", lambda d: {}, dict.fromkeys(ROLES, 303)),
    ("GET", "/queue", "/queue", lambda d: {}, OK_ALL),
    ("GET", "/queue?kind=counterfeit&since=01/01/2020", "/queue", lambda d: {}, OK_ALL),
    ("GET", "/mine", "/mine", lambda d: {}, OK_ALL),
    ("GET", "/dashboard", "/dashboard", lambda d: {}, OK_ALL),
    ("GET", "/downloads", "/downloads", lambda d: {}, OK_ALL),
    ("GET", "/listings/shopee:1", "/listings/{key:path}", lambda d: {}, OK_ALL),
    ("GET", "/account", "/account", lambda d: {}, OK_ALL),
    ("GET", "/network?listing=tiki:2", "/network", lambda d: {}, OK_ALL),
    ("GET", "/evidence/{html}?listing=shopee:1", "/evidence/{evidence_id}", lambda d: {}, OK_ALL),
    ("GET", "/admin/users", "/admin/users", lambda d: {}, ADMIN_ONLY),
    ("POST", "/review", "/review", lambda d: {"key": "tiki:2", "action": "confirmed", "note": "ok"}, REVIEWERS_303),
    ("POST", "/queue/bulk", "/queue/bulk", lambda d: {"key": ["tiki:2", "tiki:3"], "action": "referred"},
     REVIEWERS_303),
    ("POST", "/queue/bulk", "/queue/bulk", lambda d: {"key": ["tiki:2"], "action": "assign", "assignee": "lan"},
     ASSIGNERS_303),
    ("POST", "/assign", "/assign", lambda d: {"key": "tiki:2", "assignee": "lan"}, ASSIGNERS_303),
    ("POST", "/case", "/case", lambda d: {"key": ["shopee:1"]},
     {"inspector": 200, "lead": 200, "analyst": 403, "admin": 200}),
    ("POST", "/downloads/export", "/downloads/export", lambda d: {"format": "csv"}, OK_ALL),
    ("POST", "/downloads/report", "/downloads/report", lambda d: {"format": "md", "period": "quick"}, OK_ALL),
    ("POST", "/admin/users", "/admin/users", lambda d: {"name": "new.user", "role": "analyst",
                                                        "password": "0123456789ab"}, ADMIN_ONLY_303),
    ("POST", "/admin/users/active", "/admin/users/active", lambda d: {"name": "old", "active": "1"}, ADMIN_ONLY_303),
    ("POST", "/account/lang", "/account/lang", lambda d: {"lang": "en"}, dict.fromkeys(ROLES, 303)),
    ("POST", "/account/password", "/account/password", lambda d: {"current": "wrong", "new": "0123456789ab"},
     dict.fromkeys(ROLES, 400)),
    ("POST", "/logout", "/logout", lambda d: {}, dict.fromkeys(ROLES, 303)),
]
PUBLIC = {("GET", "/login"), ("POST", "/login"), ("GET", "/static")}


def _routes(routes: list[Any]) -> Iterator[Any]:
    """Every route, through included routers (FastAPI versions nest them differently)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _routes(inner.routes)
        else:
            yield route


def test_every_route_is_in_the_table(app_for: Callable[..., TestClient]) -> None:
    client = app_for()
    served = set()
    for route in _routes(client.app.routes):  # type: ignore[attr-defined]
        for method in getattr(route, "methods", None) or {"GET"}:
            if method != "HEAD":
                served.add((method, route.path))
    listed = {(method, template) for method, _, template, _, _ in ROUTES} | PUBLIC
    assert served == listed


def test_every_protected_route_checks_a_role(app_for: Callable[..., TestClient]) -> None:
    client = app_for()
    for route in _routes(client.app.routes):  # type: ignore[attr-defined]
        if (next(iter(getattr(route, "methods", {"GET"}))), route.path) in PUBLIC or route.path == "/static":
            continue
        checks = [dep.call for dep in route.dependant.dependencies if hasattr(dep.call, "roles")]
        assert checks, f"{route.path} has no role check"


@pytest.mark.parametrize("role", [ANON, *ROLES])
def test_route_by_role(role: str, app_for: Callable[..., TestClient], data: WebData) -> None:
    failures = []
    for method, path, _, form, expected in ROUTES:
        client = app_for()  # a fresh session per route: logout and password changes end it
        csrf = quick_session(client, role)
        url = path.format(html=data.html_id)
        response = client.get(url) if method == "GET" else client.post(url, data={**form(data), "csrf": csrf})
        want = 303 if role == ANON else expected[role]
        if response.status_code != want:
            failures.append(f"{method} {url} as {role}: {response.status_code}, expected {want}")
        elif role == ANON:
            assert response.headers["location"].startswith("/login")
    assert not failures, "\n".join(failures)


def test_anonymous_sees_only_the_login_page(app_for: Callable[..., TestClient]) -> None:
    client = app_for()
    for path in ("/queue", "/listings/shopee:1", "/no/such/page", "/admin/users"):
        response = client.get(path)
        assert response.status_code == 303 and response.headers["location"].startswith("/login"), path
    page = client.get("/login")
    assert page.status_code == 200
    assert "Gucci" not in page.text and "shopee" not in page.text


# -- CSRF and role bypass ----------------------------------------------------------------------------


def _status(data: WebData, key: tuple[str, str]) -> tuple[str, int]:
    with open_store(data.uri) as store:
        listing = store.get_listing(*key)
        assert listing is not None
        return listing.review.status, len(store.review_history(*key))


@pytest.mark.parametrize("token", [None, "", "wrong-token"])
def test_post_without_the_right_csrf_token_is_refused(token: str | None, app_for: Callable[..., TestClient],
                                                      data: WebData) -> None:
    client = app_for()
    as_role(client, "admin")
    form: dict[str, Any] = {"key": "tiki:2", "action": "confirmed"}
    if token is not None:
        form["csrf"] = token
    assert client.post("/review", data=form).status_code == 403
    assert client.post("/queue/bulk", data={**form, "key": ["tiki:2"]}).status_code == 403
    assert client.post("/admin/users", data={"name": "x.y", "role": "admin", "password": "0123456789ab",
                                             **({"csrf": token} if token is not None else {})}).status_code == 403
    assert client.post("/logout", data={"csrf": token} if token is not None else {}).status_code == 403
    assert _status(data, ("tiki", "2")) == ("new", 0)
    with open_accounts_for(data.uri) as accounts:
        assert "x.y" not in [user.name for user in accounts.users()]
    assert client.get("/queue").status_code == 200  # still logged in


def test_csrf_token_of_another_session_is_refused(app_for: Callable[..., TestClient], data: WebData) -> None:
    mallory, victim = app_for(), app_for()
    token = as_role(mallory, "inspector")
    as_role(victim, "lead")
    assert victim.post("/review", data={"key": "tiki:2", "action": "confirmed", "csrf": token}).status_code == 403
    assert _status(data, ("tiki", "2")) == ("new", 0)


def test_login_form_needs_its_own_token(app_for: Callable[..., TestClient]) -> None:
    client = app_for()
    client.get("/login")
    response = client.post("/login", data={"username": "lan", "password": PASSWORD, "csrf": "forged"})
    assert response.status_code == 403
    assert client.get("/queue").status_code == 303


def test_an_analyst_cannot_review_assign_or_manage(app_for: Callable[..., TestClient], data: WebData) -> None:
    client = app_for()
    csrf = as_role(client, "analyst")
    assert client.post("/review", data={"key": "tiki:2", "action": "confirmed", "csrf": csrf}).status_code == 403
    assert client.post("/queue/bulk", data={"key": ["tiki:2"], "action": "dismissed", "csrf": csrf}).status_code == 403
    assert client.post("/assign", data={"key": "tiki:2", "assignee": "an", "csrf": csrf}).status_code == 403
    assert client.post("/admin/users", data={"name": "sneaky", "role": "admin", "password": "0123456789ab",
                                             "csrf": csrf}).status_code == 403
    assert _status(data, ("tiki", "2")) == ("new", 0)
    page = client.get("/listings/tiki:2").text
    assert 'action="/review"' not in page and 'action="/assign"' not in page  # no forms it may not use
    with open_accounts_for(data.uri) as accounts:
        assert accounts.assigned([("tiki", "2")]) == {}
        assert "sneaky" not in [user.name for user in accounts.users()]


def test_an_inspector_cannot_assign_through_the_bulk_form(app_for: Callable[..., TestClient], data: WebData) -> None:
    client = app_for()
    csrf = as_role(client, "inspector")
    response = client.post("/queue/bulk", data={"key": ["tiki:2"], "action": "assign", "assignee": "lan",
                                                "csrf": csrf})
    assert response.status_code == 403
    with open_accounts_for(data.uri) as accounts:
        assert accounts.assigned([("tiki", "2")]) == {}


# -- login, sessions, cookies ------------------------------------------------------------------------


def test_login_sets_a_strict_httponly_cookie(app_for: Callable[..., TestClient]) -> None:
    response = login(app_for(), "lan")
    assert response.status_code == 303 and response.headers["location"] == "/queue"
    cookie = next(value for value in response.headers.get_list("set-cookie") if value.startswith("lm_session="))
    assert "HttpOnly" in cookie and "samesite=strict" in cookie.lower() and "Secure" not in cookie


def test_secure_cookies_off_loopback(app_for: Callable[..., TestClient]) -> None:
    client = app_for(secure_cookies=True)
    client.base_url = "https://testserver"  # type: ignore[assignment]
    response = login(client, "lan")
    cookie = next(value for value in response.headers.get_list("set-cookie") if "lm_session=" in value)
    assert cookie.startswith("__Host-lm_session=") and "Secure" in cookie and "HttpOnly" in cookie


def test_wrong_password_and_disabled_accounts_are_refused(app_for: Callable[..., TestClient]) -> None:
    client = app_for()
    assert login(client, "lan", "not the password").status_code == 401
    assert login(client, "old").status_code == 401
    assert login(client, "nobody").status_code == 401
    assert client.get("/queue").status_code == 303


def test_login_is_rate_limited_per_user_and_address(app_for: Callable[..., TestClient]) -> None:
    now = [1000.0]
    client = app_for(limiter=LoginLimiter(max_failures=5, window=900, clock=lambda: now[0]))
    for _ in range(5):
        assert login(client, "lan", "wrong password!").status_code == 401
    limited = login(client, "lan")  # even the right password waits
    assert limited.status_code == 429
    assert "Quá nhiều lần đăng nhập sai" in limited.text
    other = TestClient(client.app, follow_redirects=False)
    assert login(other, "minh").status_code == 303  # another user from the same address is not blocked
    now[0] += 901
    assert login(client, "lan").status_code == 303


def test_disabling_an_account_ends_its_sessions(app_for: Callable[..., TestClient], data: WebData) -> None:
    inspector, admin = app_for(), app_for()
    as_role(inspector, "inspector")
    csrf = as_role(admin, "admin")
    assert inspector.get("/queue").status_code == 200
    assert admin.post("/admin/users/active", data={"name": "lan", "active": "0", "csrf": csrf}).status_code == 303
    assert inspector.get("/queue").status_code == 303


def test_logout_ends_the_session(app_for: Callable[..., TestClient]) -> None:
    client = app_for()
    csrf = as_role(client, "inspector")
    cookie = client.cookies.get("lm_session")
    assert client.post("/logout", data={"csrf": csrf}).status_code == 303
    client.cookies.set("lm_session", cookie)  # replaying the old cookie does not work
    assert client.get("/queue").status_code == 303


def test_open_redirect_after_login_is_refused(app_for: Callable[..., TestClient]) -> None:
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        client = app_for()
        page = client.get("/login")
        response = client.post("/login", data={"username": "lan", "password": PASSWORD, "csrf": csrf_of(page.text),
                                               "next": target})
        assert response.headers["location"] == "/queue", target


# -- headers and hostile text ------------------------------------------------------------------------


def test_security_headers_on_every_page(app_for: Callable[..., TestClient]) -> None:
    client = app_for()
    as_role(client, "inspector")
    for path in ("/login", "/queue", "/listings/shopee:1", "/dashboard"):
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"


def test_pages_hold_no_inline_script_or_style(app_for: Callable[..., TestClient]) -> None:
    client = app_for()
    as_role(client, "admin")
    for path in ("/login", "/queue", "/listings/shopee:1", "/dashboard", "/downloads", "/admin/users", "/mine"):
        html = client.get(path).text
        assert not re.search(r"<script(?![^>]*\bsrc=\"/static/)", html), path
        assert " style=" not in html and "<style" not in html
        assert not re.search(r"<[^>]*\son[a-z]+\s*=", html), path  # no inline event handler


def test_hostile_title_is_escaped_and_bidi_made_visible(app_for: Callable[..., TestClient]) -> None:
    client = app_for()
    as_role(client, "inspector")
    for path in ("/queue", "/listings/shopee:1"):
        html = client.get(path).text
        assert "<script>window.__pwned" not in html
        assert "&lt;script&gt;window.__pwned" in html
        assert "\u202e" not in html and "\\u202egnp.exe" in html
        assert "Shop <b>" not in html and "Shop &lt;b&gt;Hàng Hiệu&lt;/b&gt;" in html


def test_listing_page_highlights_the_match_and_shows_vnd_and_dates(app_for: Callable[..., TestClient]) -> None:
    client = app_for()
    as_role(client, "inspector")
    html = client.get("/listings/shopee:1").text
    assert "<mark>Gucci</mark>" in html
    assert "1.250.000\u00a0₫" in html
    assert re.search(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}", html)
    assert "Xác nhận vi phạm" in html
    english = client.get("/listings/shopee:1?lang=en").text
    assert ">Confirm<" in english and "Price history" in english


# -- the queue ---------------------------------------------------------------------------------------


def test_queue_filters_sort_by_risk_and_page(app_for: Callable[..., TestClient]) -> None:
    client = app_for()
    as_role(client, "inspector")
    html = client.get("/queue").text
    keys = re.findall(r'name="key" value="([^"]+)"', html)
    assert keys == ["shopee:1", "tiki:2", "tiki:3"]  # riskiest first, unflagged shopee:4 left out
    assert re.findall(r'name="key" value="([^"]+)"', client.get("/queue?kind=banned").text) == ["tiki:2"]
    assert re.findall(r'name="key" value="([^"]+)"', client.get("/queue?province=ha+noi").text) == ["tiki:2", "tiki:3"]
    recent = client.get("/queue?since=" + __import__("datetime").date.today().strftime("%d/%m/%Y")).text
    assert re.findall(r'name="key" value="([^"]+)"', recent) == ["shopee:1", "tiki:2"]
    assert re.findall(r'name="key" value="([^"]+)"', client.get("/queue?text=gucci").text) == ["shopee:1"]
    assert re.findall(r'name="key" value="([^"]+)"', client.get("/queue?rule=origin.missing").text) == ["tiki:3"]
    assert re.findall(r'name="key" value="([^"]+)"', client.get("/queue?seller=88").text) == ["tiki:2", "tiki:3"]
    assert re.findall(r'name="key" value="([^"]+)"', client.get("/queue?min_risk=0,7").text) == ["shopee:1", "tiki:2"]
    assert re.findall(r'name="key" value="([^"]+)"', client.get("/queue?source=tip-off").text) == []
    assert re.findall(r'name="key" value="([^"]+)"', client.get("/queue?status=new&platform=tiki").text) == [
        "tiki:2", "tiki:3"]


@pytest.mark.parametrize("query", ["since=31/02/2026", "kind=nothing", "page=99999999999999999999", "page=-1",
                                   "min_risk=lots", "since=2026-05-01&until=2026-04-01"])
def test_bad_filters_are_a_clear_message(query: str, app_for: Callable[..., TestClient]) -> None:
    client = app_for()
    as_role(client, "inspector")
    response = client.get(f"/queue?{query}")
    assert response.status_code == 400
    assert 'class="alert alert-error"' in response.text and "Traceback" not in response.text


def test_page_past_the_end_is_empty_not_an_error(app_for: Callable[..., TestClient]) -> None:
    client = app_for()
    as_role(client, "inspector")
    response = client.get("/queue?page=40")
    assert response.status_code == 200 and "Không có tin đăng nào khớp" in response.text


# -- decisions and the audit log ---------------------------------------------------------------------


def test_decision_goes_to_the_audit_log_as_the_logged_in_user(app_for: Callable[..., TestClient],
                                                               data: WebData) -> None:
    client = app_for()
    csrf = as_role(client, "inspector")
    response = client.post("/review", data={"key": "shopee:1", "action": "confirmed", "note": "Hàng giả", "csrf": csrf})
    assert response.status_code == 303
    with open_store(data.uri) as store:
        history = store.review_history("shopee", "1")
    assert [(e.by, e.from_status, e.to_status, e.note) for e in history] == [("lan", "new", "confirmed", "Hàng giả")]
    page = client.get(response.headers["location"]).text
    assert re.search(r"<td>lan</td><td>Chờ xét duyệt → Xác nhận vi phạm</td><td>Hàng giả</td>", page)


def test_bulk_decision_on_a_selection(app_for: Callable[..., TestClient], data: WebData) -> None:
    client = app_for()
    csrf = as_role(client, "lead")
    response = client.post("/queue/bulk", data={"key": ["tiki:2", "tiki:3", "tiki:nope"], "action": "dismissed",
                                                "note": "đúng quy định", "csrf": csrf, "back": "/queue?kind=banned"})
    assert response.status_code == 303
    assert response.headers["location"].startswith("/queue?kind=banned&done=2&failed=1")
    assert _status(data, ("tiki", "2")) == ("dismissed", 1)
    assert _status(data, ("tiki", "3")) == ("dismissed", 1)


def test_lead_assigns_and_the_inspector_sees_it(app_for: Callable[..., TestClient], data: WebData) -> None:
    lead, inspector = app_for(), app_for()
    csrf = as_role(lead, "lead")
    assert lead.post("/assign", data={"key": "tiki:2", "assignee": "lan", "csrf": csrf}).status_code == 303
    assert lead.post("/assign", data={"key": "tiki:3", "assignee": "an", "csrf": csrf}).headers["location"].endswith(
        "cannot%20review%20listings%20%28role%20analyst%2C%20active%29")  # an analyst cannot be assigned
    as_role(inspector, "inspector")
    mine = inspector.get("/mine").text
    assert "Súng bắn điện" in mine and "Mỹ phẩm" not in mine
    assert ">lan</td>" in inspector.get("/queue").text


# -- evidence ----------------------------------------------------------------------------------------


def test_screenshot_is_an_image_and_the_response_only_a_download(app_for: Callable[..., TestClient],
                                                                 data: WebData) -> None:
    client = app_for()
    as_role(client, "analyst")
    shot = client.get(f"/evidence/{data.shot_id}?listing=shopee:1")
    assert shot.status_code == 200 and shot.headers["content-type"] == "image/png"
    assert shot.content.startswith(b"\x89PNG")
    body = client.get(f"/evidence/{data.html_id}?listing=shopee:1")
    assert body.status_code == 200
    assert body.headers["content-type"] == "text/plain; charset=utf-8"
    assert body.headers["content-disposition"].startswith("attachment;")
    assert "sandbox" in body.headers["content-security-policy"]
    assert body.content == b"<html><script>alert('evidence')</script><h1>Gucci</h1></html>"


@pytest.mark.parametrize("url", [
    "/evidence/{other}?listing=shopee:1",  # another listing's evidence
    "/evidence/{html}?listing=tiki:2",
    "/evidence/" + "0" * 64 + "?listing=shopee:1",
    "/evidence/..%2F..%2Fetc%2Fpasswd?listing=shopee:1",
    "/evidence/{html}?listing=shopee:999",
    "/evidence/{html}?listing=nonsense",
])
def test_evidence_of_another_listing_or_a_path_is_404(url: str, app_for: Callable[..., TestClient],
                                                      data: WebData) -> None:
    client = app_for()
    as_role(client, "inspector")
    assert client.get(url.format(other=data.other_html_id, html=data.html_id)).status_code == 404


def test_changed_evidence_is_not_served(app_for: Callable[..., TestClient], data: WebData) -> None:
    import gzip

    client = app_for()
    as_role(client, "inspector")
    path = next(data.evidence_dir.rglob(f"{data.html_id}*"))
    path.write_bytes(gzip.compress(b"<html>edited</html>"))
    assert client.get(f"/evidence/{data.html_id}?listing=shopee:1").status_code == 409


# -- downloads: the CLI's code -----------------------------------------------------------------------


def test_export_report_and_case_downloads(app_for: Callable[..., TestClient]) -> None:
    client = app_for()
    csrf = as_role(client, "inspector")
    xlsx = client.post("/downloads/export", data={"format": "xlsx", "kind": "banned", "csrf": csrf})
    assert xlsx.status_code == 200 and xlsx.headers["content-disposition"].startswith("attachment;")
    assert xlsx.content.startswith(b"PK")
    csv_text = client.post("/downloads/export", data={"format": "csv", "csrf": csrf}).content.decode("utf-8-sig")
    assert "shopee:1" in csv_text and "tiki:3" in csv_text and "shopee:4" not in csv_text
    report = client.post("/downloads/report", data={"format": "html", "period": "quick", "csrf": csrf})
    assert report.status_code == 200 and "attachment" in report.headers["content-disposition"]
    assert "Báo cáo" in report.text
    case = client.post("/case", data={"key": ["shopee:1"], "csrf": csrf})
    assert case.status_code == 200 and case.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(case.content)).namelist()
    assert "manifest.json" in names and "SHA256SUMS" in names
    assert any("/evidence/" in name for name in names)
    bad = client.post("/downloads/report", data={"format": "html", "period": "custom", "from_day": "31/12/2026",
                                                  "to_day": "01/01/2026", "csrf": csrf})
    assert bad.status_code == 303 and "error=" in bad.headers["location"]


def test_dashboard_counts(app_for: Callable[..., TestClient]) -> None:
    client = app_for()
    as_role(client, "lead")
    html = client.get("/dashboard").text
    assert re.search(r'<span class="tile-n">3</span><span>Chờ xét duyệt</span>', html)
    assert re.search(r'<span class="tile-n">1</span><span>Chờ quá 7 ngày</span>', html)
    assert "<svg" in html and "Cửa hàng B" in html
    assert len(re.findall(r"<title>\d\d/\d\d — tiki: 1</title>", html)) == 2  # this week, and 20 days ago
    assert len(re.findall(r"<title>\d\d/\d\d — shopee: 1</title>", html)) == 1  # unflagged ones not counted
    assert len(re.findall(r"<title>\d\d/\d\d — Hàng cấm: 1</title>", html)) == 1


def test_hostile_title_constant_is_hostile() -> None:
    assert "<script>" in HOSTILE_TITLE and "\u202e" in HOSTILE_TITLE


def test_the_browsers_own_requests_do_not_spoil_the_login_form(app_for: Callable[..., TestClient]) -> None:
    client = app_for()
    form = client.get("/login")
    assert client.get("/favicon.ico").status_code == 303  # answered by a redirect to /login …
    client.get("/login")  # … which the browser follows: the form on screen must still work
    response = client.post("/login", data={"username": "lan", "password": PASSWORD, "csrf": csrf_of(form.text)})
    assert response.status_code == 303 and response.headers["location"] == "/queue"


def test_demo_ends_by_telling_how_to_open_the_web_ui(tmp_path: Path) -> None:
    from rich.console import Console

    from crawler.demo.runner import print_summary

    uri = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    console = Console(record=True, width=80)  # a narrow terminal: the commands still come out whole, to copy
    print_summary(uri, console, [])
    text = console.export_text()
    assert f"crawler users add thanhtra --role lead --store {uri}" in text
    assert f"crawler web --store {uri}" in text and "http://127.0.0.1:8000" in text
    assert text.rstrip().endswith("log in as thanhtra")


def test_queue_sorts_newest_first_on_request_and_keeps_it_across_pages(app_for: Callable[..., TestClient]) -> None:
    client = app_for()
    as_role(client, "inspector")
    html = client.get("/queue?sort=newest&lang=en").text
    assert re.findall(r'name="key" value="([^"]+)"', html)[-1] == "tiki:3"  # seen 20 days ago: last
    assert '<option value="newest" selected>' in html
    assert 'href="/queue?sort=newest&amp;lang=vi"' in html  # the language switch keeps the filters


def test_the_web_ui_on_mongodb(mongo_uri: str, tmp_path: Path) -> None:
    """The same pages and decisions over the wire on a MongoDB store (accounts in its database)."""
    from crawler.items import Flag, Listing

    with open_store(mongo_uri) as store:
        store.upsert_listings([Listing(platform="tiki", listing_id="9", url="https://tiki.vn/9", title="Súng hơi",
                                       price=2_000_000, flags=[Flag(rule_id="banned.guns", kind="banned", score=0.8,
                                                                    message="Vũ khí")])])
    with open_accounts_for(mongo_uri) as accounts:
        accounts.add_user("lan", "inspector", PASSWORD)
    web = create_app(WebConfig(store_uri=mongo_uri, evidence_dir=tmp_path))
    with TestClient(web, follow_redirects=False) as client:
        assert login(client, "lan").status_code == 303
        assert "Súng hơi" in client.get("/queue?kind=banned").text
        csrf = csrf_of(client.get("/listings/tiki:9").text)
        assert client.post("/review", data={"key": "tiki:9", "action": "dismissed", "csrf": csrf}).status_code == 303
        assert client.get("/dashboard").status_code == 200
    with open_store(mongo_uri) as store:
        assert [(e.by, e.to_status) for e in store.review_history("tiki", "9")] == [("lan", "dismissed")]


def test_a_store_failure_is_a_clear_page_not_a_traceback(app_for: Callable[..., TestClient]) -> None:
    client = app_for()
    as_role(client, "inspector")
    client.app.state.web.store.close()  # type: ignore[attr-defined]  # the database goes away
    response = client.get("/queue")
    assert response.status_code == 503
    assert "Không đọc/ghi được cơ sở dữ liệu" in response.text and "SQLite store" in response.text
    assert "Traceback" not in response.text


def test_hostile_url_and_attribute_breakout_stay_text(app_for: Callable[..., TestClient]) -> None:
    client = app_for()
    as_role(client, "inspector")
    html = client.get("/listings/shopee:5").text
    assert 'href="javascript:' not in html and "javascript:alert(document.cookie)" in html  # shown, not linked
    assert 'onmouseover="x' not in html and "&#34; onmouseover=&#34;x" in html


def test_seller_network_page(app_for: Callable[..., TestClient]) -> None:
    client = app_for()
    as_role(client, "inspector")
    assert 'href="/network?listing=tiki%3A2"' in client.get("/listings/tiki:2").text
    html = client.get("/network?listing=tiki:2").text
    assert "tiki:88" in html and "shop_name" in html  # the seller and what it shows
    assert client.get("/network?listing=tiki:999").status_code == 404
