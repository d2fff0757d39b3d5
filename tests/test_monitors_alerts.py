"""Alert senders (crawler/monitors/alerts.py) against local servers: what a webhook and an e-mail carry,
every way sending fails (a clear AlertError, never the webhook's token), and safe alert text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawler.monitors.alerts import Alert, AlertError, SmtpConfig, post_webhook, send_email
from tests.alert_servers import NO_TLS_WARNING, SmtpServer, WebhookServer, self_signed
from tests.mongo_server import free_port

pytestmark = pytest.mark.filterwarnings(NO_TLS_WARNING)

ALERT = Alert(job="tiki-daily", spider="tiki", failed=["No listings: no listing came out of the crawl"], passed=10,
              counts={"pages": 1, "listings": 0, "flags": 0, "errors": 0}, host="crawler-1")  # fmt: skip


def test_alert_text() -> None:
    assert ALERT.text.splitlines() == [
        "[listing-monitor] tiki-daily: 1 monitor failed",
        "job tiki-daily, spider tiki, on crawler-1",
        "FAILED No listings: no listing came out of the crawl",
        "10 monitors passed",
        "pages 1, listings 0, flags 0, errors 0",
    ]


def test_webhook_gets_the_alert_as_json() -> None:
    with WebhookServer() as hook:
        post_webhook(hook.url, ALERT)
    (path, headers, body), = hook.posts
    assert path == "/hooks/T0KEN" and headers["User-Agent"] == "listing-monitor alerts"
    assert body == {"text": ALERT.text, "job": "tiki-daily", "spider": "tiki", "host": "crawler-1",
                    "failed": list(ALERT.failed), "passed": 10, "counts": dict(ALERT.counts)}  # fmt: skip


def test_webhook_failures_are_clear_and_keep_the_token_out() -> None:
    with WebhookServer(status=500) as hook, pytest.raises(AlertError) as failed:
        post_webhook(hook.url, ALERT)
    port = hook.server.server_address[1]
    assert str(failed.value) == f"http://127.0.0.1:{port} answered HTTP 500"
    closed = free_port()
    with pytest.raises(AlertError, match=rf"^http://127.0.0.1:{closed} unreachable: .*refused") as down:
        post_webhook(f"http://127.0.0.1:{closed}/hooks/T0KEN", ALERT, timeout=2)
    assert "T0KEN" not in str(down.value)
    with pytest.raises(AlertError, match="must be http"):
        post_webhook("file:///etc/passwd", ALERT)


def test_email_through_smtp_with_login() -> None:
    with SmtpServer(user="ops", password="s3cret") as smtp:
        config = SmtpConfig(host="127.0.0.1", port=smtp.port, sender="crawler@example.org",
                            to=("ops@example.org",), user="ops", password="s3cret")  # fmt: skip
        send_email(config, ALERT)
    message, = smtp.messages
    assert smtp.logins == ["ops"]
    assert message["Subject"] == ALERT.subject and message["To"] == "ops@example.org"
    assert message.get_payload(decode=True).decode().splitlines() == ALERT.text.splitlines()


def test_email_with_starttls_and_login(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A server that takes nothing before STARTTLS: the alert goes over TLS, the certificate checked
    against the system's CAs (here the test's own, through SSL_CERT_FILE, as ops would for a private CA)."""
    cert, key = self_signed(tmp_path)
    config = SmtpConfig(host="127.0.0.1", sender="crawler@example.org", to=("ops@example.org",),
                        starttls=True, user="ops", password="s3cret")  # fmt: skip
    with SmtpServer(user="ops", password="s3cret", tls=(cert, key)) as smtp:
        config = SmtpConfig(**{**config.__dict__, "port": smtp.port})
        with pytest.raises(AlertError, match="CERTIFICATE_VERIFY_FAILED"):
            send_email(config, ALERT)  # a certificate nobody vouches for: not sent
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))
        send_email(config, ALERT)
        plain = SmtpConfig(**{**config.__dict__, "starttls": False})
        with pytest.raises(AlertError, match="SMTP"):
            send_email(plain, ALERT)  # the server requires STARTTLS first
    message, = smtp.messages
    assert smtp.logins == ["ops"] and message["Subject"] == ALERT.subject


def test_email_failures_are_clear() -> None:
    with SmtpServer(user="ops", password="s3cret") as smtp:
        wrong = SmtpConfig(host="127.0.0.1", port=smtp.port, sender="a@example.org", to=("b@example.org",),
                           user="ops", password="wrong")  # fmt: skip
        with pytest.raises(AlertError, match=rf"^SMTP 127.0.0.1:{smtp.port}: SMTPAuthenticationError"):
            send_email(wrong, ALERT)
        plain = SmtpConfig(host="127.0.0.1", port=smtp.port, sender="a@example.org", to=("b@example.org",),
                           starttls=True)  # fmt: skip
        with pytest.raises(AlertError, match="STARTTLS extension not supported by server"):
            send_email(plain, ALERT)  # STARTTLS asked for, the server has none: not sent in the clear
        assert not smtp.messages
    with pytest.raises(AlertError, match="ALERT_SMTP_FROM and ALERT_SMTP_TO"):
        send_email(SmtpConfig(host="127.0.0.1"), ALERT)
    closed = free_port()
    with pytest.raises(AlertError, match=rf"^SMTP 127.0.0.1:{closed}: ConnectionRefusedError"):
        send_email(SmtpConfig(host="127.0.0.1", port=closed, sender="a@example.org", to=("b@example.org",),
                              timeout=2), ALERT)  # fmt: skip


def test_alert_text_is_safe() -> None:
    """Names that reach an alert (a job from a YAML file) cannot break its lines, headers or a terminal."""
    hostile = Alert(job="tiki\u202e\x1b[31m\nSubject: x", spider="tiki", failed=["A: line\r\nBcc: all@x"], passed=0)
    assert "\n" not in hostile.subject and "\x1b" not in hostile.subject and "\u202e" not in hostile.subject
    assert hostile.subject == "[listing-monitor] tiki\\u202e\\u001b[31m Subject: x: 1 monitor failed"
    assert all("\r" not in line and "\x1b" not in line for line in hostile.lines())
    assert "FAILED A: line Bcc: all@x" in hostile.lines()
    with WebhookServer() as hook:
        post_webhook(hook.url, hostile)
    (_, _, body), = hook.posts
    assert body["job"] == "tiki\\u202e\\u001b[31m Subject: x"
    assert json.dumps(body, ensure_ascii=False).isprintable()
