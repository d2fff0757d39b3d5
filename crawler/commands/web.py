"""``crawler web``: the inspectors' web UI on the store (127.0.0.1:8000 unless told otherwise)."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated

import typer

from crawler.commands.common import StoreOption, fail, out, store_uri
from crawler.exit_codes import ExitCode


def register(app: typer.Typer) -> None:
    """Add ``crawler web`` to the root command."""
    app.command("web")(web)


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def web(
    host: Annotated[str, typer.Option(help="Address to listen on. Anything but 127.0.0.1 needs HTTPS in front.")]
    = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on.")] = 8000,
    evidence_dir: Annotated[
        Path | None,
        typer.Option(help="Evidence directory. Default: $EVIDENCE_DIR or data/evidence.", show_default=False),
    ] = None,
    secure_cookies: Annotated[
        bool | None,
        typer.Option("--secure-cookies/--no-secure-cookies",
                     help="Secure cookies (sent over HTTPS only). Default: on unless --host is loopback."),
    ] = None,
    forwarded_allow_ips: Annotated[
        str, typer.Option(help="Reverse proxies trusted for X-Forwarded-Proto/For (comma-separated).")
    ] = "127.0.0.1",
    store: StoreOption = None,
) -> None:
    """Serve the inspectors' web UI: queue, listing pages with evidence, decisions, dashboard, exports.

    Log in with an account made by ``crawler users add``. On 127.0.0.1 it runs over plain HTTP; on any
    other address, put an HTTPS reverse proxy in front (the login cookie is Secure there).

    Examples:
      crawler users add lan --role inspector
      crawler web                                   then open http://127.0.0.1:8000
      crawler web --host 0.0.0.0 --port 8080        behind an HTTPS proxy
    """
    import uvicorn

    from crawler.commands.flags import evidence_dir as default_evidence
    from crawler.store import StoreError, StoreNotFound, redact_uri
    from crawler.web.app import WebConfig, create_app

    secure = (not is_loopback(host)) if secure_cookies is None else secure_cookies
    config = WebConfig(store_uri=store_uri(store), evidence_dir=default_evidence(evidence_dir), secure_cookies=secure)
    try:
        application = create_app(config)
    except StoreNotFound as exc:
        raise fail(str(exc), ExitCode.NOT_FOUND) from exc
    except StoreError as exc:
        raise fail(str(exc), ExitCode.STORE_UNREACHABLE) from exc
    where = f"http://{host}:{port}" if port else f"http://{host} on a free port (uvicorn names it below)"
    out().print(f"Web UI on {where}; store {redact_uri(config.store_uri)}; cookies "
                f"{'Secure (serve it over HTTPS)' if secure else 'for plain HTTP on loopback'}; Ctrl-C stops it")
    uvicorn.run(application, host=host, port=port, proxy_headers=True, forwarded_allow_ips=forwarded_allow_ips,
                log_level="info", server_header=False)
