"""Case files: everything about one or more listings that an inspector hands to a case officer.

Layout of a case directory::

    summary.html, summary.md          readable summary (listing, flags and reasons, reviews, evidence)
    listings/<platform>_<id>/listing.json          the stored listing document
    listings/<platform>_<id>/flags.json            its flags (rule, kind, reason, matched text, legal basis)
    listings/<platform>_<id>/review_history.json   the audit entries of its reviews (hash-chained)
    listings/<platform>_<id>/evidence/<kind>-<sha256>.<ext>   the ORIGINAL evidence bytes (not gzip), one per
                                      capture of the listing's history (response, list_page, screenshot)
    manifest.json                     tool, version, generated_at, audit_head, listings, evidence states,
                                      every file's sha256
    SHA256SUMS                        ``sha256sum -c SHA256SUMS`` checks every file, manifest included

A case folder never holds a file a browser would run: the extension of an evidence copy comes from its
bytes' real content type (``.json``, ``.png``, ``.jpg``), and an HTML page is kept as ``.html.txt``
(its bytes unchanged, so it still hashes to the recorded sha256); the summary page is built only from
text escaped twice over (``safe_text``: control and bidi characters shown as ``\\uXXXX``, then Jinja2's
autoescape) under a Content-Security-Policy that runs no script. ``audit_head`` (``COUNT:HASH``) is the
review log's head when the case was written: ``crawler audit verify --expect COUNT:HASH`` on the store
proves that no review decision was later removed or rewritten. :func:`verify_case` refuses a file that
is a symlink, lies outside the folder or has an extension a browser would run.

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
from crawler.evidence import content_suffix
from crawler.items import Listing
from crawler.review.evidence_check import EvidenceCheck, check_evidence
from crawler.review.exports import KIND_LABELS, STATUS_LABELS
from crawler.review.filters import show_time
from crawler.review.render import safe_json, safe_text
from crawler.review.reports import TEMPLATES, md_cell

CASE_FORMAT = 1
MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
CASE_SUFFIXES = {".json": ".json", ".png": ".png", ".jpg": ".jpg", ".html": ".html.txt", ".txt": ".txt"}
"""The extension a copy gets in a case folder, by its bytes' real content type (HTML never runs)."""
BROWSER_RUNS = frozenset({".html", ".htm", ".xhtml", ".xht", ".shtml", ".svg", ".svgz", ".xml", ".xsl", ".xslt",
                          ".js", ".mjs", ".pdf", ".mht", ".mhtml", ".swf", ".hta"})
"""Extensions a browser renders as an active document (script, links, forms) when the file is opened."""
RUNNABLE_ALLOWED = frozenset({"summary.html"})


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

    return (safe_json(value, indent=2, sort_keys=True, default=default) + "\n").encode()


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
        capture = check.capture
        record = {"listing": case.listing.key, "kind": check.kind, "ref": check.ref, "sha256": check.sha256,
                  "state": check.state}
        if capture is not None:
            record.update(url=capture.url, http_status=capture.http_status, size=capture.size,
                          content_type=capture.content_type,
                          captured_at=capture.captured_at.isoformat() if capture.captured_at else None)
        if check.state == "ok" and check.data is not None:
            suffix = CASE_SUFFIXES.get(content_suffix(check.data), ".txt")
            relative = f"listings/{case.folder}/evidence/{check.kind}-{check.sha256}{suffix}"
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
    """Jinja2 with autoescape, and ``|t``: ``safe_text`` (control/bidi characters as visible escapes)."""
    environment = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True)
    environment.filters["t"] = safe_text
    return environment


def _safe_link(url: str | None) -> str | None:
    if isinstance(url, str) and url.lower().startswith(("http://", "https://")) and safe_text(url) == url:
        return url
    return None


def _summary_md(cases: Sequence[CaseListing], generated_at: datetime, audit_head: str) -> str:
    lines = ["# Hồ sơ vụ việc — tin đăng có dấu hiệu vi phạm", "",
             f"Lập lúc {show_time(generated_at)} (giờ Việt Nam), listing-monitor {__version__}.", "",
             f"audit head: `{md_cell(audit_head)}` (kiểm tra: `crawler audit verify --expect {md_cell(audit_head)}`)",
             ""]
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
            lines.append(f"- \\#{entry.seq} {show_time(entry.at)} {md_cell(entry.by)}: {md_cell(entry.from_status)} → "
                         f"{md_cell(entry.to_status)} {md_cell(entry.note or '')}")
        if not case.history:
            lines.append("- Chưa xử lý.")
        lines += ["", "### Chứng cứ", ""]
        for check in case.evidence:
            where = case.copied.get(check.ref, "không sao chép được")
            when = show_time(check.capture.captured_at) if check.capture is not None else "—"
            url = md_cell(check.capture.url or "") if check.capture is not None else ""
            lines.append(f"- {when} {check.label}: sha256 `{check.sha256}` — {check.state} — {md_cell(where)} {url}"
                         .rstrip())
        if not case.evidence:
            lines.append("- Không có chứng cứ lưu.")
        lines.append("")
    return "\n".join(lines)


def build_case(
    cases: Sequence[CaseListing], out_dir: Path, *, generated_at: datetime, store_name: str = "",
    audit_head: str = "",
) -> CaseResult:
    """Write the case directory for ``cases`` (each already holding its history and evidence checks);
    ``audit_head`` is the review log's ``COUNT:HASH`` (``crawler.review.audit.head_text``)."""
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
        safe_text=safe_text, audit_head=audit_head or "—",
    )
    writer.write("summary.html", html.encode())
    writer.write("summary.md", _summary_md(cases, generated_at, audit_head or "—").encode())
    manifest = {
        "case_format": CASE_FORMAT,
        "tool": "listing-monitor",
        "version": __version__,
        "generated_at": generated_at.isoformat(),
        "store": store_name,
        "audit_head": audit_head,
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


def _placement_problem(case_dir: Path, path: str) -> str | None:
    """Why ``path`` (relative) is not a plain file inside ``case_dir``, or None."""
    relative = Path(path)
    if relative.is_absolute() or ".." in relative.parts:
        return f"{path}: path outside the case directory"
    current = case_dir
    for part in relative.parts:
        current = current / part
        if current.is_symlink():
            target = safe_text(str(current.readlink()))
            return f"{path}: is a symlink (to {target}); evidence must be a plain file in the folder"
    root = case_dir.resolve()
    if root not in (case_dir / relative).resolve().parents:
        return f"{path}: resolves outside the case directory"
    return None


def _runs_in_a_browser(path: str) -> bool:
    suffixes = [suffix.lower() for suffix in Path(path).suffixes]
    return path not in RUNNABLE_ALLOWED and bool(suffixes) and suffixes[-1] in BROWSER_RUNS


def verify_case(case_dir: Path) -> list[str]:
    """Problems with a case directory: files changed, missing or added since it was written, a symlink
    or a file outside the folder, a file a browser would run."""
    problems: list[str] = []
    for name in (MANIFEST, SUMS):
        if (case_dir / name).is_symlink():
            problems.append(f"{name}: is a symlink; a case file holds plain files only")
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
        placement = _placement_problem(case_dir, path)
        if placement:
            problems.append(placement)
            continue
        if _runs_in_a_browser(path):
            problems.append(f"{path}: a browser would run this file (only .json, .png, .jpg, .txt, .md evidence)")
        target = case_dir / path
        if not target.is_file():
            problems.append(f"{path}: missing")
        elif hashlib.sha256(target.read_bytes()).hexdigest() != digest:
            problems.append(f"{path}: changed (sha256 differs from the manifest)")
    for found in sorted(case_dir.rglob("*")):
        path = found.relative_to(case_dir).as_posix()
        if found.is_symlink() and path not in expected:
            problems.append(f"{path}: a symlink not in the manifest")
        elif found.is_file() and path not in expected and path != SUMS:
            problems.append(f"{path}: not in the manifest")
    for record in manifest.get("evidence", []):
        path = record.get("path")
        if path and f"-{record.get('sha256')}." not in Path(path).name:
            problems.append(f"{path}: name does not carry its recorded sha256")
    return problems
