"""Local servers the alert tests send to, in the test process on 127.0.0.1:

    with WebhookServer() as hook:      # an HTTP server on port 0 recording each POST
        hook.url                       # "http://127.0.0.1:PORT/hooks/T0KEN"
        hook.posts                     # [(path, headers, parsed JSON body), …]
    with SmtpServer(user="ops", password="pw") as smtp:   # aiosmtpd on a free port
        smtp.port, smtp.messages       # [email.message.Message, …]

Both stop when the ``with`` block ends (``shutdown`` / ``Controller.stop``). aiosmtpd warns when it
takes a login without TLS (a UserWarning): tests that log in filter it, :data:`NO_TLS_WARNING`.
"""

from __future__ import annotations

import ipaddress
import json
import ssl
import threading
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.mongo_server import free_port

NO_TLS_WARNING = "ignore:Requiring AUTH while not requiring TLS:UserWarning"


class WebhookServer:
    """An HTTP server recording the JSON bodies POSTed to it; answers ``status`` (200 by default)."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.posts: list[tuple[str, dict[str, str], Any]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                owner.posts.append((self.path, dict(self.headers), json.loads(body.decode("utf-8"))))
                self.send_response(owner.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/T0KEN"

    def __enter__(self) -> WebhookServer:
        self.thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


class _Recorder:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.original_content or envelope.content))
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (and its key), valid for a day: a test's STARTTLS server."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_path, key_path = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))  # fmt: skip
    return cert_path, key_path


class SmtpServer:
    """An SMTP server (aiosmtpd) recording each message; with ``user``, it requires that login; with
    ``tls`` (a certificate and its key), it requires STARTTLS before anything else."""

    def __init__(self, user: str = "", password: str = "", tls: tuple[Path, Path] | None = None) -> None:
        self.recorder = _Recorder()
        self.port = free_port()
        self.logins: list[str] = []
        options: dict[str, Any] = {}
        if user:

            def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
                ok = data.login.decode() == user and data.password.decode() == password
                self.logins.append(data.login.decode())
                return AuthResult(success=ok, handled=False)

            # login over plain TCP is what this local test server allows (aiosmtpd warns about it)
            options = {"authenticator": authenticate, "auth_required": True, "auth_require_tls": tls is not None}
        if tls is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(*tls)
            options |= {"tls_context": context, "require_starttls": True}
        self.controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port, server_hostname="localhost",
                                     **options)  # fmt: skip

    @property
    def messages(self) -> list[Message]:
        return self.recorder.messages

    @property
    def envelopes(self) -> list[tuple[str, list[str]]]:
        return self.recorder.envelopes

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.controller.stop()
