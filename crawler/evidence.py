"""Content-addressed evidence files: ``<root>/ab/cd/<sha256><suffix>``.

The sha256 is taken over the raw bytes (what the platform sent), so an inspector can prove that
a kept file is the response recorded on the listing; bodies are stored gzip-compressed. Writing the
same content twice is a no-op, and a file is written to a temporary name first and renamed, so a
crash never leaves a half-written piece of evidence under its final name.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

_PNG = b"\x89PNG\r\n\x1a\n"
_HTML_START = (b"<!doctype html", b"<html", b"<head", b"<body", b"<!--", b"<div", b"<meta", b"<script", b"<?xml")


def content_suffix(data: bytes) -> str:
    """The extension the bytes' real content type calls for: ``.json`` (it parses as JSON), ``.png``,
    ``.jpg``, ``.html`` (markup), else ``.txt``. What the server claimed does not decide it."""
    if data.startswith(_PNG):
        return ".png"
    if data.startswith(b"\xff\xd8\xff"):
        return ".jpg"
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head[:1] in (b"{", b"["):
        try:
            json.loads(data.decode("utf-8-sig"))
        except ValueError:
            pass
        else:
            return ".json"
    if head.startswith(_HTML_START) or b"<html" in data[:4096].lower():
        return ".html"
    return ".txt"


@dataclass(frozen=True)
class StoredBlob:
    """Where one piece of evidence went: ``ref`` is relative to the evidence root."""

    sha256: str
    ref: str
    size: int


class EvidenceBlobs:
    """A directory of content-addressed, gzip-compressed evidence files."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def put(self, data: bytes, suffix: str) -> StoredBlob:
        """Keep ``data`` (raw bytes) gzip-compressed as ``…/<sha256><suffix>.gz``."""
        digest = hashlib.sha256(data).hexdigest()
        ref = f"{digest[:2]}/{digest[2:4]}/{digest}{suffix}.gz"
        path = self.root / ref
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
                    gz.write(data)
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        return StoredBlob(sha256=digest, ref=ref, size=len(data))

    def read(self, ref: str) -> bytes:
        """The original bytes of a stored piece of evidence."""
        path = (self.root / ref).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError(f"evidence ref outside the evidence directory: {ref!r}")
        with gzip.open(path, "rb") as handle:
            return handle.read()

    def verify(self, ref: str, sha256: str) -> bool:
        """True when the stored file still hashes to the sha256 recorded for it."""
        return hashlib.sha256(self.read(ref)).hexdigest() == sha256
