"""The screenshot queue: flagged listings crawled over an API, waiting for a rendered page capture.

An API response is the platform's data, not what a buyer saw. A listing crawled over an API (Tiki,
Sendo, Chợ Tốt, Lazada's JSON, Shopee in API mode) that gets flagged ``banned`` or ``counterfeit`` is
queued here by ``pipelines.evidence`` (a small file write: the crawl never waits for a browser); the
``screenshots`` spider (``crawler evidence capture``) later renders each queued listing's public page
in Chromium and appends a ``screenshot`` capture to its evidence. ``crawler check URL`` queues and
captures its listing at once.

The queue is a folder, ``<EVIDENCE_DIR>/screenshot-queue/``, with one JSON file per listing, named by
the sha256 of its key (listing text never builds a path): queuing a listing twice keeps one entry,
several crawls may queue at once (each file is written to a temporary name and renamed), and a drained
entry is deleted. An entry whose capture failed keeps its count of ``attempts`` and the last error;
after :data:`MAX_ATTEMPTS` it moves to ``failed/`` (listed by ``crawler evidence queue``).

The URL rendered is the listing URL the spider recorded, and only when its host is one of the
platform's own (:func:`page_url_problem`: the platform's domains, or the host its
``PLATFORM_BASE_URLS`` entry points at, for the demo and tests); the screenshot crawl then applies
the net policy to it and to every request the page makes.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from crawler.items import Listing, utcnow

QUEUE_DIR = "screenshot-queue"
FAILED_DIR = "failed"
MAX_ATTEMPTS = 3
SCREENSHOT_KINDS = frozenset({"banned", "counterfeit"})
"""Flag kinds that queue a screenshot."""
PLATFORM_DOMAINS: dict[str, tuple[str, ...]] = {
    "tiki": ("tiki.vn",),
    "shopee": ("shopee.vn",),
    "lazada": ("lazada.vn",),
    "sendo": ("sendo.vn",),
    "chotot": ("chotot.com",),
}
"""The API-crawled platforms and the domains their public listing pages live on."""


@dataclass
class QueueEntry:
    """One listing waiting for its screenshot."""

    platform: str
    listing_id: str
    url: str
    kinds: list[str] = field(default_factory=list)
    queued_at: str = ""
    attempts: int = 0
    last_error: str | None = None

    @property
    def key(self) -> str:
        """``platform:listing_id``."""
        return f"{self.platform}:{self.listing_id}"


def wants_screenshot(listing: Listing, has_screenshot: bool) -> bool:
    """Whether a listing should be queued: an API platform's, flagged banned or counterfeit, and its
    capture holds no rendered screenshot already."""
    return (not has_screenshot and listing.platform in PLATFORM_DOMAINS
            and any(flag.kind in SCREENSHOT_KINDS for flag in listing.flags))


def platform_hosts(platform: str, bases: Mapping[str, Any] | None = None) -> tuple[str, ...]:
    """The hosts a platform's public pages may be on: its domains, and the host of its
    ``PLATFORM_BASE_URLS`` entry when one is set (the demo marketplace, a test server)."""
    hosts = list(PLATFORM_DOMAINS.get(platform, ()))
    base = (bases or {}).get(platform)
    if isinstance(base, str) and (host := urlsplit(base).hostname):
        hosts.append(host.lower())
    return tuple(hosts)


def page_url_problem(platform: str, url: str, bases: Mapping[str, Any] | None = None) -> str | None:
    """Why ``url`` is not a page of ``platform`` to render (None when it is): http(s), and its host one
    of :func:`platform_hosts` (a domain's subdomains included)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return f"{parts.scheme or 'no'} scheme: only http(s) pages are rendered"
    host = (parts.hostname or "").lower()
    hosts = platform_hosts(platform, bases)
    if not hosts:
        return f"no known hosts for platform {platform!r}"
    if any(host == known or host.endswith("." + known) for known in hosts):
        return None
    return f"host {host or '(none)'} is not one of {platform}'s ({', '.join(hosts)})"


class ScreenshotQueue:
    """The queue folder under an evidence directory (see the module docstring)."""

    def __init__(self, evidence_dir: Path | str) -> None:
        self.root = Path(evidence_dir) / QUEUE_DIR

    @staticmethod
    def _name(platform: str, listing_id: str) -> str:
        return hashlib.sha256(f"{platform}:{listing_id}".encode()).hexdigest() + ".json"

    def _write(self, path: Path, entry: QueueEntry) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(asdict(entry), handle, ensure_ascii=False)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def add(self, listing: Listing) -> QueueEntry:
        """Queue ``listing`` (its recorded URL, its flag kinds); an entry already queued is kept as it
        is. Raises OSError when the folder cannot be written."""
        path = self.root / self._name(listing.platform, listing.listing_id)
        kinds = sorted({flag.kind for flag in listing.flags})
        entry = QueueEntry(listing.platform, listing.listing_id, listing.url, kinds, utcnow().isoformat())
        if not path.exists():
            self._write(path, entry)
        return entry

    def _read(self, path: Path) -> QueueEntry | None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return QueueEntry(**{key: data[key] for key in QueueEntry.__dataclass_fields__ if key in data})
        except (OSError, ValueError, TypeError):
            return None

    def entries(self, limit: int | None = None, keys: set[str] | None = None) -> Iterator[QueueEntry]:
        """Queued entries, oldest queued first (at most ``limit``; only ``keys`` when given)."""
        found = []
        for path in sorted(self.root.glob("*.json")) if self.root.is_dir() else ():
            entry = self._read(path)
            if entry is not None and (keys is None or entry.key in keys):
                found.append(entry)
        found.sort(key=lambda entry: entry.queued_at)
        yield from found[:limit] if limit is not None else found

    def failed_entries(self) -> list[QueueEntry]:
        """The entries given up on after :data:`MAX_ATTEMPTS`."""
        folder = self.root / FAILED_DIR
        paths = sorted(folder.glob("*.json")) if folder.is_dir() else []
        return [entry for path in paths if (entry := self._read(path)) is not None]

    def __len__(self) -> int:
        return sum(1 for _ in self.root.glob("*.json")) if self.root.is_dir() else 0

    def done(self, entry: QueueEntry) -> None:
        """The screenshot of ``entry`` was appended: drop it from the queue."""
        (self.root / self._name(entry.platform, entry.listing_id)).unlink(missing_ok=True)

    def failed(self, entry: QueueEntry, error: str) -> bool:
        """Record a failed attempt; True when the entry was given up on (moved to ``failed/``)."""
        path = self.root / self._name(entry.platform, entry.listing_id)
        entry.attempts += 1
        entry.last_error = error
        if entry.attempts >= MAX_ATTEMPTS:
            self._write(self.root / FAILED_DIR / path.name, entry)
            path.unlink(missing_ok=True)
            return True
        self._write(path, entry)
        return False


def run_capture(
    evidence_dir: Path | str,
    store_uri: str,
    *,
    limit: int | None = None,
    keys: set[str] | None = None,
    settings: Mapping[str, str] | None = None,
    on_line: Any = None,
    timeout: float | None = None,
) -> int:
    """Run ``scrapy crawl screenshots`` in a subprocess (an argument list, never a shell line) and return
    its exit code; ``on_line(text)`` gets each progress line (``screenshot N/M key: …``) as it comes.
    Raises ``subprocess.TimeoutExpired`` after ``timeout`` seconds (the crawl is stopped)."""
    import contextlib
    import signal
    import subprocess
    import threading

    from crawler.crawl_process import PROJECT_ROOT, crawl_command

    args: dict[str, str] = {}
    if limit is not None:
        args["limit"] = str(limit)
    if keys:
        args["keys"] = ",".join(sorted(keys))
    chosen = {"EVIDENCE_DIR": str(evidence_dir), **(settings or {})}
    env = dict(os.environ, SCRAPY_SETTINGS_MODULE="crawler.settings", STORE_URI=store_uri)  # not on argv
    # its own process group: on timeout the crawl and the Chromium it started are stopped together
    process = subprocess.Popen(crawl_command("screenshots", args, chosen), cwd=PROJECT_ROOT, env=env,
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               text=True, errors="replace", start_new_session=True)

    def stop() -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)

    timer = threading.Timer(timeout, stop) if timeout else None
    if timer is not None:
        timer.start()
    tail: list[str] = []
    try:
        assert process.stderr is not None
        for line in process.stderr:
            tail = [*tail[-39:], line.rstrip("\n")]
            if on_line is not None and (" screenshot " in line or "screenshots:" in line or "ERROR" in line):
                on_line(line.rstrip("\n"))
        code = process.wait()
    except BaseException:  # Ctrl-C / SIGTERM of the command: its own session does not get the signal
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        raise
    finally:
        if timer is not None:
            timer.cancel()
    if timeout and code == -9:
        raise subprocess.TimeoutExpired("scrapy crawl screenshots", timeout, "\n".join(tail))
    return code
