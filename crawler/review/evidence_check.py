"""Is a listing's evidence still there, and does it still hash to what the listing recorded?

Used by ``crawler flags show`` (to tell the inspector) and by case files (to copy only verified
evidence). Evidence refs come from the store, which a listing's text never writes, but they are still
checked to stay inside the evidence directory (``EvidenceBlobs.read`` refuses anything else).
"""

from __future__ import annotations

import gzip
import hashlib
import re
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from crawler.evidence import EvidenceBlobs
from crawler.items import EvidenceCapture, Listing

State = Literal["ok", "missing", "changed", "unreadable"]
_SHA_IN_REF = re.compile(r"([0-9a-f]{64})")


KIND_LABELS = {"response": "Response", "list_page": "List page", "screenshot": "Screenshot"}


@dataclass
class EvidenceCheck:
    """One evidence file of a listing and what checking it found; ``data`` holds the bytes when ok."""

    label: str
    ref: str
    sha256: str
    suffix: str
    state: State
    detail: str
    data: bytes | None = None
    capture: EvidenceCapture | None = None
    """The capture recorded on the listing (kind, URL, HTTP status, when, content type)."""

    @property
    def kind(self) -> str:
        """The capture's kind (``response``, ``list_page``, ``screenshot``), safe for a file name."""
        kind = self.capture.kind if self.capture is not None else self.label.lower()
        return _SAFE_KIND.sub("_", kind)[:32] or "capture"


_SAFE_KIND = re.compile(r"[^a-z0-9_]+")


def evidence_files(listing: Listing) -> list[tuple[str, str, str, str, EvidenceCapture]]:
    """(label, ref, recorded sha256, suffix, capture) of every capture recorded on the listing, oldest
    first; a capture without a ref or sha256 (nothing to check) is left out."""
    files: list[tuple[str, str, str, str, EvidenceCapture]] = []
    for capture in listing.evidence or ():
        ref, sha256 = capture.ref, capture.sha256
        if not ref:
            continue
        if not sha256:
            found = _SHA_IN_REF.search(Path(ref).name)
            if not found:
                continue
            sha256 = found.group(1)
        suffix = Path(ref.removesuffix(".gz")).suffix or ".html"
        files.append((KIND_LABELS.get(capture.kind, capture.kind), ref, sha256, suffix, capture))
    return files


def check_one(blobs: EvidenceBlobs, label: str, ref: str, sha256: str, suffix: str,
              capture: EvidenceCapture | None = None) -> EvidenceCheck:
    """Read one evidence file and compare its sha256 with the recorded one."""
    path = blobs.root / ref
    if not path.is_file():
        return EvidenceCheck(label, ref, sha256, suffix, "missing", f"not found under {blobs.root}", capture=capture)
    try:
        data = blobs.read(ref)
    except (OSError, EOFError, ValueError, zlib.error, gzip.BadGzipFile) as exc:
        return EvidenceCheck(label, ref, sha256, suffix, "unreadable", f"{path}: {exc}", capture=capture)
    actual = hashlib.sha256(data).hexdigest()
    if actual != sha256:
        return EvidenceCheck(label, ref, sha256, suffix, "changed", f"file now hashes to {actual}", capture=capture)
    return EvidenceCheck(label, ref, sha256, suffix, "ok", f"present, sha256 matches ({len(data)} bytes)", data,
                         capture)


def check_evidence(listing: Listing, root: Path) -> list[EvidenceCheck]:
    """Check every capture recorded on ``listing`` (its whole history) against the files under ``root``."""
    blobs = EvidenceBlobs(root)
    return [check_one(blobs, *spec) for spec in evidence_files(listing)]
