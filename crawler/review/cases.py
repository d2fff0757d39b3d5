"""Case files: everything about one or more listings that an inspector hands to a case officer.

Layout of a case directory::

    summary.html, summary.md          readable summary (listing, flags and reasons, reviews, evidence)
    listings/<platform>_<id>/listing.json          the stored listing document
    listings/<platform>_<id>/flags.json            its flags (rule, kind, reason, matched text, legal basis)
    listings/<platform>_<id>/review_history.json   the audit entries of its reviews (hash-chained)
    listings/<platform>_<id>/evidence/<name>-<sha256>.<ext>   the ORIGINAL evidence bytes (not gzip)
    manifest.json                     tool, version, generated_at, listings, evidence states, every file's sha256
    SHA256SUMS                        ``sha256sum -c SHA256SUMS`` checks every file, manifest included

Evidence is copied only after it hashes to the sha256 recorded on the listing, and re-hashed after the
copy. The same store content and ``generated_at`` give byte-identical files (sorted keys, sorted file
lists, fixed chart/PNG-free output), so a case file can be regenerated and compared.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from crawler import __version__
from crawler.items import Listing
from crawler.review.evidence_check import EvidenceCheck, check_evidence
from crawler.review.exports import KIND_LABELS, STATUS_LABELS
from crawler.review.filters import show_time
from crawler.review.render import safe_text
from crawler.review.reports import TEMPLATES, md_cell

CASE_FORMAT = 1
MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class CaseError(Exception):
    """The case file cannot be written (e.g. the output directory is not empty)."""


@dataclass
class CaseListing:
    """One listing of a case, with its review history and evidence checks."""

    listing: Listing
    history: list[Any]
    evidence: list[EvidenceCheck]
    folder: str = ""
    copied: dict[str, str] = field(default_factory=dict)  # ref → path in the case


@dataclass
class CaseResult:
    """What was written: the files (path → sha256) and problems (evidence missing or changed)."""

    out_dir: Path
    files: dict[str, str]
    problems: list[str]


def folder_name(listing: Listing) -> str:
    """A safe, unique folder name for a listing (its id may hold '/', '..' or anything)."""
    readable = _UNSAFE_NAME.sub("_", f"{listing.platform}_{listing.listing_id}").strip("._")[:80] or "listing"
    if readable == f"{listing.platform}_{listing.listing_id}":
        return readable
    return f"{readable}-{hashlib.sha256(listing.key.encode()).hexdigest()[:8]}"


def _json(value: Any) -> bytes:
    def default(item: Any) -> Any:
        if isinstance(item, datetime):
            return item.isoformat()
        if dataclasses.is_dataclass(item) and not isinstance(item, type):
            return dataclasses.asdict(item)
        return str(item)

    return (json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, default=default) + "\n").encode()


def _history_docs(history: Sequence[Any]) -> list[dict[str, Any]]:
    return [dataclasses.asdict(entry) if dataclasses.is_dataclass(entry) else dict(entry) for entry in history]


class _Writer:
    """Writes files under the case directory and remembers each one's sha256."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files: dict[str, str] = {}

    def write(self, relative: str, data: bytes) -> str:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.files[relative] = hashlib.sha256(path.read_bytes()).hexdigest()
        return self.files[relative]


def _copy_evidence(writer: _Writer, case: CaseListing, problems: list[str]) -> list[dict[str, Any]]:
    records = []
    for check in case.evidence:
        record = {"listing": case.listing.key, "kind": check.label, "ref": check.ref, "sha256": check.sha256,
                  "state": check.state}
        if check.state == "ok" and check.data is not None:
            relative = f"listings/{case.folder}/evidence/{check.label.lower()}-{check.sha256}{check.suffix}"
            written = writer.write(relative, check.data)
            if written != check.sha256:
                record["state"] = "changed"
                problems.append(f"{case.listing.key}: {relative} hashes to {written} after copying")
            else:
                record["path"] = relative
                case.copied[check.ref] = relative
        else:
            problems.append(f"{case.listing.key}: {check.label.lower()} {check.ref} {check.state}: {check.detail}")
        records.append(record)
    return records


def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=StrictUndefined,
                       trim_blocks=True, lstrip_blocks=True)


def _safe_link(url: str | None) -> str | None:
    return url if isinstance(url, str) and url.lower().startswith(("http://", "https://")) else None


def _summary_md(cases: Sequence[CaseListing], generated_at: datetime) -> str:
    lines = ["# Hồ sơ vụ việc — tin đăng có dấu hiệu vi phạm", "",
             f"Lập lúc {show_time(generated_at)} (giờ Việt Nam), listing-monitor {__version__}.", ""]
    for case in cases:
        listing = case.listing
        lines += [f"## {md_cell(listing.key)}: {md_cell(listing.title)}", "",
                  "| Trường | Giá trị |", "|---|---|"]
        fields = [("Đường dẫn", listing.url), ("Giá (VNĐ)", listing.price), ("Thương hiệu", listing.brand),
                  ("Danh mục", listing.category), ("Xuất xứ", listing.origin), ("Người bán", listing.seller.name),
                  ("Mã người bán", listing.seller.platform_id), ("Tỉnh/thành phố", listing.seller.province),
                  ("Điểm rủi ro", f"{listing.risk:.2f}"),
                  ("Trạng thái xử lý", STATUS_LABELS.get(listing.review.status, listing.review.status)),
                  ("Phát hiện lần đầu", show_time(listing.first_seen)), ("Thấy lần cuối", show_time(listing.last_seen))]
        lines += [f"| {label} | {md_cell(value if value is not None else '—')} |" for label, value in fields]
        lines += ["", "### Dấu hiệu vi phạm", "", "| Loại | Quy tắc | Lý do | Nội dung vi phạm | Căn cứ pháp lý |",
                  "|---|---|---|---|---|"]
        for flag in listing.flags:
            matched = "; ".join(f"«{match.text}»" for match in flag.matched)
            lines.append(f"| {md_cell(KIND_LABELS.get(flag.kind, flag.kind))} | {md_cell(flag.rule_id)} | "
                         f"{md_cell(flag.message)} | {md_cell(matched)} | {md_cell(flag.legal_basis or '')} |")
        lines += ["", "### Lịch sử xử lý", ""]
        for entry in case.history:
            lines.append(f"- \\#{entry.seq} {show_time(entry.at)} {md_cell(entry.by)}: {entry.from_status} → "
                         f"{entry.to_status} {md_cell(entry.note or '')}")
        if not case.history:
            lines.append("- Chưa xử lý.")
        lines += ["", "### Chứng cứ", ""]
        for check in case.evidence:
            where = case.copied.get(check.ref, "không sao chép được")
            lines.append(f"- {check.label}: sha256 `{check.sha256}` — {check.state} — {md_cell(where)}")
        if not case.evidence:
            lines.append("- Không có chứng cứ lưu.")
        lines.append("")
    return "\n".join(lines)


def build_case(
    cases: Sequence[CaseListing], out_dir: Path, *, generated_at: datetime, store_name: str = ""
) -> CaseResult:
    """Write the case directory for ``cases`` (each already holding its history and evidence checks)."""
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise CaseError(f"{out_dir} exists and is not an empty directory; choose a new --out")
    out_dir.mkdir(parents=True, exist_ok=True)
    writer = _Writer(out_dir)
    problems: list[str] = []
    evidence_records: list[dict[str, Any]] = []
    used: set[str] = set()
    for case in cases:
        case.folder = folder_name(case.listing)
        if case.folder in used:
            raise CaseError(f"listing {case.listing.key} given twice")
        used.add(case.folder)
        base = f"listings/{case.folder}"
        writer.write(f"{base}/listing.json", _json(case.listing.to_document()))
        writer.write(f"{base}/flags.json", _json([flag.model_dump(mode="json") for flag in case.listing.flags]))
        writer.write(f"{base}/review_history.json", _json(_history_docs(case.history)))
        evidence_records += _copy_evidence(writer, case, problems)
    html = _environment().get_template("case.html.j2").render(
        cases=cases, generated_at=show_time(generated_at), tool=f"listing-monitor {__version__}",
        kind_labels=KIND_LABELS, status_labels=STATUS_LABELS, show_time=show_time, safe_link=_safe_link,
        safe_text=safe_text,
    )
    writer.write("summary.html", html.encode())
    writer.write("summary.md", _summary_md(cases, generated_at).encode())
    manifest = {
        "case_format": CASE_FORMAT,
        "tool": "listing-monitor",
        "version": __version__,
        "generated_at": generated_at.isoformat(),
        "store": store_name,
        "listings": [case.listing.key for case in cases],
        "evidence": evidence_records,
        "problems": problems,
        "files": [{"path": path, "sha256": digest, "size": (out_dir / path).stat().st_size}
                  for path, digest in sorted(writer.files.items())],
    }
    writer.write(MANIFEST, _json(manifest))
    sums = "".join(f"{digest}  {path}\n" for path, digest in sorted(writer.files.items()))
    (out_dir / SUMS).write_text(sums, encoding="utf-8")
    return CaseResult(out_dir, dict(writer.files), problems)


def collect(store: Any, keys: Sequence[tuple[str, str]], evidence_root: Path) -> tuple[list[CaseListing], list[str]]:
    """Read each (platform, listing_id) with its history and evidence checks; also the keys not found."""
    found: list[CaseListing] = []
    missing: list[str] = []
    for platform, listing_id in keys:
        listing = store.get_listing(platform, listing_id)
        if listing is None:
            missing.append(f"{platform}:{listing_id}")
            continue
        history = store.review_history(platform, listing_id)
        found.append(CaseListing(listing, list(history), check_evidence(listing, evidence_root)))
    return found, missing


def verify_case(case_dir: Path) -> list[str]:
    """Problems with a case directory: files changed, missing or added since it was written."""
    problems: list[str] = []
    try:
        manifest = json.loads((case_dir / MANIFEST).read_text(encoding="utf-8"))
        listed = {item["path"]: item["sha256"] for item in manifest["files"]}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return [f"{case_dir / MANIFEST}: unreadable manifest: {exc}"]
    try:
        sums = dict(
            reversed(line.split("  ", 1)) for line in (case_dir / SUMS).read_text(encoding="utf-8").splitlines() if line
        )
    except (OSError, ValueError) as exc:
        return [f"{case_dir / SUMS}: unreadable: {exc}"]
    expected = {**listed, **sums}
    for path, digest in sorted(expected.items()):
        if Path(path).is_absolute() or ".." in Path(path).parts:
            problems.append(f"{path}: path outside the case directory")
            continue
        target = case_dir / path
        if not target.is_file():
            problems.append(f"{path}: missing")
        elif hashlib.sha256(target.read_bytes()).hexdigest() != digest:
            problems.append(f"{path}: changed (sha256 differs from the manifest)")
    for path in sorted(p.relative_to(case_dir).as_posix() for p in case_dir.rglob("*") if p.is_file()):
        if path not in expected and path != SUMS:
            problems.append(f"{path}: not in the manifest")
    for record in manifest.get("evidence", []):
        path = record.get("path")
        if path and not Path(path).name.endswith(f"{record.get('sha256')}{Path(path).suffix}"):
            problems.append(f"{path}: name does not carry its recorded sha256")
    return problems
