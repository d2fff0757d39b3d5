"""The tests' network guard: no DNS look-up or connection beyond 127.0.0.0/8 (and ::1, localhost).

Every test process has it: pytest installs it in itself (``tests/conftest.py``) and puts this
directory first on ``PYTHONPATH``, so each Python subprocess a test starts (``scrapy crawl``, the
demo, the mock servers) runs it as its ``sitecustomize`` too. It is active only when
``NETGUARD_LOG`` names a file: a refused look-up or connection raises ``socket.gaierror`` / an
``OSError`` (``ENETUNREACH``) in the code that tried, and is appended to that file as one line
(``pid what host``), so the test that caused it fails even if the code swallowed the error.
"""

from __future__ import annotations

import errno
import os
import socket
from typing import Any

ENV = "NETGUARD_LOG"
LOCAL_NAMES = frozenset({"", "localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
_installed = False


def is_local(host: Any) -> bool:
    """Whether ``host`` (a name or address, str or bytes, None) is this machine's loopback."""
    if host is None:
        return True
    if isinstance(host, bytes | bytearray):
        host = bytes(host).decode("ascii", "replace")
    name = str(host).strip().strip("[]").lower().split("%", 1)[0].rstrip(".")
    if name in LOCAL_NAMES:
        return True
    import ipaddress

    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def _record(what: str, host: Any) -> None:
    path = os.environ.get(ENV)
    if not path:
        return
    line = f"{os.getpid()} {what} {host!r}\n"
    try:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(line)
    except OSError:
        pass


def _refused(what: str, host: Any) -> str:
    _record(what, host)
    return f"refused by the test network guard: {what} {host!r} is outside 127.0.0.0/8"


def install() -> None:
    """Patch the socket module's look-ups and ``socket.connect``/``connect_ex`` (idempotent)."""
    global _installed
    if _installed:
        return
    _installed = True
    getaddrinfo = socket.getaddrinfo
    gethostbyname = socket.gethostbyname
    gethostbyname_ex = socket.gethostbyname_ex
    gethostbyaddr = socket.gethostbyaddr
    connect = socket.socket.connect
    connect_ex = socket.socket.connect_ex

    def guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not is_local(host):
            raise socket.gaierror(socket.EAI_NONAME, _refused("DNS look-up of", host))
        return getaddrinfo(host, *args, **kwargs)

    def guarded_gethostbyname(host: Any) -> Any:
        if not is_local(host):
            raise socket.gaierror(socket.EAI_NONAME, _refused("DNS look-up of", host))
        return gethostbyname(host)

    def guarded_gethostbyname_ex(host: Any) -> Any:
        if not is_local(host):
            raise socket.gaierror(socket.EAI_NONAME, _refused("DNS look-up of", host))
        return gethostbyname_ex(host)

    def guarded_gethostbyaddr(host: Any) -> Any:
        if not is_local(host):
            raise socket.herror(1, _refused("reverse DNS look-up of", host))
        return gethostbyaddr(host)

    def _remote(sock: socket.socket, address: Any) -> Any:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple) and address:
            return None if is_local(address[0]) else address[0]
        return None

    def guarded_connect(self: socket.socket, address: Any) -> Any:
        host = _remote(self, address)
        if host is not None:
            raise OSError(errno.ENETUNREACH, _refused("connection to", host))
        return connect(self, address)

    def guarded_connect_ex(self: socket.socket, address: Any) -> Any:
        host = _remote(self, address)
        if host is not None:
            _refused("connection to", host)
            return errno.ENETUNREACH
        return connect_ex(self, address)

    socket.getaddrinfo = guarded_getaddrinfo
    socket.gethostbyname = guarded_gethostbyname
    socket.gethostbyname_ex = guarded_gethostbyname_ex
    socket.gethostbyaddr = guarded_gethostbyaddr
    socket.socket.connect = guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = guarded_connect_ex  # type: ignore[method-assign]


if os.environ.get(ENV):
    install()
