"""Alerts when a crawl's monitors failed: a webhook (HTTP POST of JSON) and e-mail through SMTP.

Both are spidermon actions (:class:`WebhookAlert`, :class:`EmailAlert`), run by the monitor suite
when a monitor failed, each only when configured (settings ``ALERT_WEBHOOK_URL``; ``ALERT_SMTP_HOST``
with ``ALERT_SMTP_FROM`` and ``ALERT_SMTP_TO``). An alert that cannot be sent is logged at ERROR
(``alert by webhook not sent: …``), counted in the stats (``alerts/failed``) and the crawl goes on;
one that was sent is in ``alerts/sent``.

What an alert says (:class:`Alert`) is built from the job and spider names, the monitors' reasons
(numbers, field and setting names) and counts: never from listing or seller text. Every string still
passes :func:`crawler.review.render.safe_text` (control and bidi characters escaped, one line) and the
JSON body :func:`crawler.review.render.safe_json`. The webhook URL comes from ops' settings, never from
a listing; logs name only its scheme and host (its path may hold a token).
"""

from __future__ import annotations

import logging
import smtplib
import socket
import ssl
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any, Self
from urllib.parse import urlsplit

from spidermon.core.actions import Action

from crawler.crawl_end import errors_by_cause
from crawler.items import KINDS
from crawler.request_outcomes import PAGES
from crawler.review.render import safe_json, safe_text

logger = logging.getLogger(__name__)

SENT_STAT = "alerts/sent"
FAILED_STAT = "alerts/failed"
DEFAULT_TIMEOUT = 10.0
USER_AGENT = "listing-monitor alerts"


class AlertError(Exception):
    """An alert could not be sent; the message says where and why (never the webhook's path)."""


@dataclass(frozen=True)
class Alert:
    """What one alert says: which crawl, which monitors failed and why, and a few counts."""

    job: str
    spider: str
    failed: Sequence[str]
    passed: int
    counts: Mapping[str, int] = field(default_factory=dict)
    host: str = field(default_factory=socket.gethostname)

    @property
    def subject(self) -> str:
        count = len(self.failed)
        return safe_text(
            f"[listing-monitor] {self.job}: {count} monitor{'s' if count != 1 else ''} failed", limit=200
        )

    def lines(self) -> list[str]:
        """The alert's text, one safe line each."""
        out = [self.subject, f"job {self.job}, spider {self.spider}, on {self.host}"]
        out += [f"FAILED {reason}" for reason in self.failed]
        out.append(f"{self.passed} monitors passed")
        if self.counts:
            out.append(", ".join(f"{name} {value}" for name, value in self.counts.items()))
        return [safe_text(line, limit=1000) for line in out]

    @property
    def text(self) -> str:
        return "\n".join(self.lines())

    def payload(self) -> dict[str, Any]:
        """The webhook's JSON body: ``text`` (what chat webhooks such as Slack or Mattermost show) and fields."""
        return {
            "text": self.text,
            "job": safe_text(self.job, limit=200),
            "spider": safe_text(self.spider, limit=200),
            "host": safe_text(self.host, limit=200),
            "failed": [safe_text(reason, limit=1000) for reason in self.failed],
            "passed": self.passed,
            "counts": dict(self.counts),
        }


def crawl_counts(stats: Mapping[str, Any]) -> dict[str, int]:
    """The few counts an alert shows: pages, listings, flags, errors."""

    def number(key: str) -> int:
        value = stats.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else 0

    return {
        "pages": number(PAGES),
        "listings": number("item_scraped_count"),
        "flags": sum(number(f"detect/flagged/{kind}") for kind in KINDS),
        "errors": sum(errors_by_cause(stats).values()),
    }


def where(url: str) -> str:
    """``scheme://host:port`` of a URL, for messages (a webhook's path or query may hold a token)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"


def post_webhook(url: str, alert: Alert, timeout: float = DEFAULT_TIMEOUT) -> None:
    """POST the alert as JSON to ``url``; :class:`AlertError` unless it answers 2xx."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise AlertError(f"ALERT_WEBHOOK_URL must be http(s)://…, got a {urlsplit(url).scheme or 'relative'} URL")
    body = safe_json(alert.payload()).encode("utf-8")
    request = urllib.request.Request(
        url, data=body, method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # the scheme is checked above
            status = response.status
    except urllib.error.HTTPError as exc:
        raise AlertError(f"{where(url)} answered HTTP {exc.code}") from exc
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise AlertError(f"{where(url)} unreachable: {reason}") from exc
    if not 200 <= status < 300:
        raise AlertError(f"{where(url)} answered HTTP {status}")


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how e-mail alerts go (settings ``ALERT_SMTP_*``)."""

    host: str
    port: int = 25
    sender: str = ""
    to: tuple[str, ...] = ()
    starttls: bool = False
    user: str = ""
    password: str = ""
    timeout: float = DEFAULT_TIMEOUT

    @classmethod
    def from_settings(cls, settings: Any) -> Self | None:
        """The configuration, or None when ``ALERT_SMTP_HOST`` is not set."""
        host = str(settings.get("ALERT_SMTP_HOST") or "").strip()
        if not host:
            return None
        return cls(
            host=host,
            port=settings.getint("ALERT_SMTP_PORT", 25),
            sender=str(settings.get("ALERT_SMTP_FROM") or "").strip(),
            to=tuple(address.strip() for address in settings.getlist("ALERT_SMTP_TO") if address.strip()),
            starttls=settings.getbool("ALERT_SMTP_STARTTLS", False),
            user=str(settings.get("ALERT_SMTP_USER") or ""),
            password=str(settings.get("ALERT_SMTP_PASSWORD") or ""),
            timeout=settings.getfloat("ALERT_TIMEOUT", DEFAULT_TIMEOUT),
        )


def email_message(config: SmtpConfig, alert: Alert) -> EmailMessage:
    """The alert as a plain-text e-mail."""
    message = EmailMessage()
    message["Subject"] = alert.subject
    message["From"] = config.sender
    message["To"] = ", ".join(config.to)
    message.set_content(alert.text + "\n")
    return message


def send_email(config: SmtpConfig, alert: Alert) -> None:
    """Send the alert through the SMTP server (STARTTLS and login when configured); :class:`AlertError`
    when it cannot."""
    if not config.sender or not config.to:
        raise AlertError("ALERT_SMTP_FROM and ALERT_SMTP_TO must be set with ALERT_SMTP_HOST")
    server = f"{config.host}:{config.port}"
    try:
        # EHLO with the host name (getfqdn, smtplib's default, would ask the DNS)
        with smtplib.SMTP(config.host, config.port, local_hostname=socket.gethostname(),
                          timeout=config.timeout) as smtp:  # fmt: skip
            if config.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if config.user:
                smtp.login(config.user, config.password)
            refused = smtp.send_message(email_message(config, alert))
    except (smtplib.SMTPException, OSError) as exc:
        raise AlertError(f"SMTP {server}: {type(exc).__name__}: {exc}") from exc
    if refused:
        raise AlertError(f"SMTP {server} refused {', '.join(sorted(refused))}")


class AlertAction(Action):
    """A spidermon action that sends the suite's alert one way; failures are logged, never raised."""

    channel = "alert"

    def run_action(self) -> None:
        alert = self.data["alert_factory"](self.result)
        stats = self.data["crawler"].stats
        try:
            self.send(alert)
        except AlertError as exc:
            logger.error("alert by %s not sent: %s", self.channel, exc)
            stats.set_value(FAILED_STAT, [*(stats.get_value(FAILED_STAT) or []), f"{self.channel}: {exc}"])
            return
        logger.info("alert sent by %s", self.channel)
        stats.set_value(SENT_STAT, [*(stats.get_value(SENT_STAT) or []), self.channel])

    def send(self, alert: Alert) -> None:
        raise NotImplementedError


class WebhookAlert(AlertAction):
    """POST the alert as JSON to ``ALERT_WEBHOOK_URL``."""

    channel = "webhook"

    def __init__(self, url: str, timeout: float = DEFAULT_TIMEOUT) -> None:
        super().__init__()
        self.url = url
        self.timeout = timeout

    def send(self, alert: Alert) -> None:
        post_webhook(self.url, alert, self.timeout)


class EmailAlert(AlertAction):
    """Send the alert by e-mail through ``ALERT_SMTP_HOST``."""

    channel = "email"

    def __init__(self, config: SmtpConfig) -> None:
        super().__init__()
        self.config = config

    def send(self, alert: Alert) -> None:
        send_email(self.config, alert)


def configured_alerts(settings: Any) -> list[AlertAction]:
    """The alert actions the settings configure (none when neither a webhook nor SMTP is set)."""
    actions: list[AlertAction] = []
    url = str(settings.get("ALERT_WEBHOOK_URL") or "").strip()
    if url:
        actions.append(WebhookAlert(url, settings.getfloat("ALERT_TIMEOUT", DEFAULT_TIMEOUT)))
    smtp = SmtpConfig.from_settings(settings)
    if smtp is not None:
        actions.append(EmailAlert(smtp))
    return actions
