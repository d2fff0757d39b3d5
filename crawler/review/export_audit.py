"""The audit sidecar of an export: ``<file>.audit`` beside every CSV, XLSX and JSON export.

An export is handed on (to a case officer, a court); what it says must be tied to the review log it
was made from. The sidecar is a small JSON file::

    {"audit_head": "42:9f86…", "file": "vi-pham.csv", "format": "csv", "generated_at": "…",
     "rows": 120, "sha256": "<sha256 of vi-pham.csv>", "size": 48213, "tool": "listing-monitor 0.x",
     "filters": "kind=counterfeit"}

Why a sidecar and not a first comment line in the CSV: a ``# audit head`` line is read as a listing
row by Excel, LibreOffice and ``csv``/pandas readers unless each is told to skip it, and a CSV has no
standard comment syntax; the sidecar leaves the CSV a plain table every reader parses, and it also
pins the export's own sha256, so an edited export is caught too. JSON and XLSX exports carry the
head inside as well (``audit_head`` key, "Thông tin" sheet); the sidecar is written for every format
so checking is the same for all three:

    crawler audit verify --export vi-pham.csv     (the file's sha256, then the log against its head)
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from crawler import __version__
from crawler.review.render import safe_json

SUFFIX = ".audit"


def sidecar_path(export: Path) -> Path:
    """Where the sidecar of ``export`` is: the same name with ``.audit`` added."""
    return export.with_name(export.name + SUFFIX)


def _sha256(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def write_sidecar(export: Path, *, output_format: str, rows: int, audit_head: str, filters: str = "",
                  generated_at: datetime | None = None) -> Path:
    """Write ``<export>.audit`` for a finished export file; returns its path. Raises OSError."""
    digest, size = _sha256(export)
    moment = generated_at or datetime.now().astimezone()
    record = {
        "audit_head": audit_head,
        "file": export.name,
        "filters": filters,
        "format": output_format,
        "generated_at": moment.isoformat(timespec="seconds"),
        "rows": rows,
        "sha256": digest,
        "size": size,
        "tool": f"listing-monitor {__version__}",
    }
    path = sidecar_path(export)
    path.write_text(safe_json(record, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return path


@dataclass(frozen=True)
class ExportCheck:
    """What checking an export against its sidecar found: the head it records, and any problems."""

    audit_head: str | None
    problems: tuple[str, ...]


def check_export(export: Path) -> ExportCheck:
    """Read ``<export>.audit`` and check the export still hashes to the sha256 it records."""
    path = sidecar_path(export)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        head, recorded = record["audit_head"], record["sha256"]
        if not isinstance(head, str) or not isinstance(recorded, str):
            raise TypeError("audit_head and sha256 must be text")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return ExportCheck(None, (f"{path}: no readable audit sidecar ({exc})",))
    try:
        actual, _size = _sha256(export)
    except OSError as exc:
        return ExportCheck(head, (f"{export}: cannot read ({exc})",))
    if actual != recorded:
        return ExportCheck(head, (f"{export}: changed since it was exported (sha256 {actual}, the sidecar "
                                  f"records {recorded})",))
    return ExportCheck(head, ())
