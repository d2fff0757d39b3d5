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
from crawler.items import Listing

State = Literal["ok", "missing", "changed", "unreadable"]
_SHA_IN_REF = re.compile(r"([0-9a-f]{64})")


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


def evidence_files(listing: Listing) -> list[tuple[str, str, str, str]]:
    """(label, ref, recorded sha256, suffix) of every evidence file recorded on the listing."""
    evidence = listing.evidence
    files: list[tuple[str, str, str, str]] = []
    if evidence is None:
        return files
    if evidence.html_ref and evidence.html_sha256:
        suffix = Path(evidence.html_ref.removesuffix(".gz")).suffix or ".html"
        files.append(("Response", evidence.html_ref, evidence.html_sha256, suffix))
    if evidence.screenshot_ref:
        found = _SHA_IN_REF.search(Path(evidence.screenshot_ref).name)
        if found:
            files.append(("Screenshot", evidence.screenshot_ref, found.group(1), ".png"))
    return files


def check_one(blobs: EvidenceBlobs, label: str, ref: str, sha256: str, suffix: str) -> EvidenceCheck:
    """Read one evidence file and compare its sha256 with the recorded one."""
    path = blobs.root / ref
    if not path.is_file():
        return EvidenceCheck(label, ref, sha256, suffix, "missing", f"not found under {blobs.root}")
    try:
        data = blobs.read(ref)
    except (OSError, EOFError, ValueError, zlib.error, gzip.BadGzipFile) as exc:
        return EvidenceCheck(label, ref, sha256, suffix, "unreadable", f"{path}: {exc}")
    actual = hashlib.sha256(data).hexdigest()
    if actual != sha256:
        return EvidenceCheck(label, ref, sha256, suffix, "changed", f"file now hashes to {actual}")
    return EvidenceCheck(label, ref, sha256, suffix, "ok", f"present, sha256 matches ({len(data)} bytes)", data)


def check_evidence(listing: Listing, root: Path) -> list[EvidenceCheck]:
    """Check every evidence file recorded on ``listing`` against the files under ``root``."""
    blobs = EvidenceBlobs(root)
    return [check_one(blobs, *spec) for spec in evidence_files(listing)]
