"""Store URIs: which backend a URI names, and how to show one without its password."""

from __future__ import annotations

import os
import re

DEFAULT_URI = "sqlite:///data/crawler.sqlite3"
ENV_VAR = "STORE_URI"
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


def scheme_of(uri: str) -> str:
    """The URI's scheme in lower case (``""`` when it has none)."""
    match = _SCHEME.match(uri)
    return match.group(1).lower() if match else ""


def _split_authority(uri: str) -> tuple[str, str, str, str]:
    """(``scheme://``, userinfo, hosts, rest) of a URI; userinfo is everything before the last '@'."""
    match = _SCHEME.match(uri)
    head = match.group(0) if match else ""
    body = uri[len(head) :]
    end = len(body)
    for stop in ("/", "?"):
        index = body.find(stop, body.rfind("@") + 1 if "@" in body else 0)
        if index != -1:
            end = min(end, index)
    authority, rest = body[:end], body[end:]
    userinfo, at, hosts = authority.rpartition("@")
    return head, (userinfo if at else ""), (hosts if at else authority), rest


def redact_uri(uri: str) -> str:
    """The URI with any password replaced by ``***`` (safe to print or log)."""
    head, userinfo, hosts, rest = _split_authority(uri)
    if not userinfo:
        return uri
    user = userinfo.split(":", 1)[0]
    return f"{head}{user}:***@{hosts}{rest}"


def hosts_of(uri: str) -> str:
    """The ``host:port`` list of a server URI, as written."""
    return _split_authority(uri)[2] or "(no host)"


def password_of(uri: str) -> str | None:
    """The URI's password as written (to scrub it from library messages), or None."""
    userinfo = _split_authority(uri)[1]
    _, sep, password = userinfo.partition(":")
    return password if sep and password else None


def scrub(message: str, uri: str) -> str:
    """``message`` with the URI's password (raw or as written) replaced by ``***``."""
    password = password_of(uri)
    if password:
        from urllib.parse import unquote

        for secret in {password, unquote(password)}:
            message = message.replace(secret, "***")
    return message


def resolve_uri(uri: str | None) -> str:
    """The URI to open: the argument, else env ``STORE_URI``, else :data:`DEFAULT_URI`."""
    if uri:
        return uri
    return os.environ.get(ENV_VAR) or DEFAULT_URI
