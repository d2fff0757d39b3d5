"""Detection over a JSON Lines file of listings (``crawler detect --input``).

Input: one listing per line in the :class:`~crawler.items.Listing` schema (unknown fields ignored).
A line that is not JSON or not a valid listing is reported on stderr as ``input:line: what is
wrong`` and skipped; the rest goes on. Peer prices come from the file's own listings plus
``extra_peers`` (first pass); flags are written in a second pass, one line per valid listing:

    {"listing_id": ..., "platform": ..., "flags": [{"kind", "rule_id", "score", "message",
     "matched": [{"field", "text", "start", "end"}]}], "risk": <max score, 0 without flags>}

That output format is a stable contract. Each line is parsed and validated once: the first pass
keeps the valid listings (and their prepared titles) for the second, so memory grows with the
file (about 4 kB per listing: 570 MB peak for 100,000 listings against 170 MB before).
"""

from __future__ import annotations

import contextlib
import gc
import json
import shutil
import sys
import tempfile
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from json.encoder import encode_basestring
from pathlib import Path
from typing import IO, Any, TextIO

from pydantic import ValidationError

from crawler.detect.conditions import ListingText
from crawler.detect.engine import Detector
from crawler.detect.loader import load_rules
from crawler.detect.model import RuleSet
from crawler.detect.peers import StoredGroups
from crawler.items import Flag, Listing

__all__ = ["DetectSummary", "detect_file", "flag_record", "output_record"]


@dataclass(slots=True)
class DetectSummary:
    """What a :func:`detect_file` run did."""

    read: int = 0
    """Listings read and valid."""
    bad_lines: int = 0
    written: int = 0
    flagged: int = 0
    flags_by_kind: Counter[str] = field(default_factory=Counter)
    flags_by_rule: Counter[str] = field(default_factory=Counter)
    rule_errors: int = 0
    rules_version: str = ""
    peer_groups: int = 0


_YOUNG_THRESHOLD = 200_000
_CHUNK = 256


def flag_record(flag: Flag) -> dict[str, Any]:
    """One flag in the output contract's shape."""
    return {
        "kind": flag.kind,
        "rule_id": flag.rule_id,
        "score": flag.score,
        "message": flag.message,
        "matched": [{"field": m.field, "text": m.text, "start": m.start, "end": m.end} for m in flag.matched],
    }


def output_record(listing: Listing, flags: list[Flag]) -> dict[str, Any]:
    """One output line (as a dict) for a listing and its flags."""
    return {
        "listing_id": listing.listing_id,
        "platform": listing.platform,
        "flags": [flag_record(f) for f in flags],
        "risk": max((f.score for f in flags), default=0),
    }


def _describe(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors()[:3]:
        loc = ".".join(str(p) for p in error.get("loc", ())) or "listing"
        parts.append(f"{loc}: {error.get('msg')}")
    more = f" (+{exc.error_count() - 3} more)" if exc.error_count() > 3 else ""
    return "invalid listing: " + "; ".join(parts) + more


def _listings(handle: IO[str], name: str, warn: bool) -> Iterator[Listing | None]:
    validate_json = Listing.__pydantic_validator__.validate_json  # what model_validate_json calls
    for number, line in enumerate(handle, start=1):
        if not line or line.isspace():
            continue
        try:
            # fast path: pydantic parses the JSON itself; anything it rejects takes the path below,
            # which gives the same result as before and the message for the warning
            yield validate_json(line)
            continue
        except ValidationError:
            pass
        problem = None
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            problem = f"not JSON: {exc.msg} (column {exc.colno})"
        else:
            if not isinstance(data, dict):
                problem = f"not a JSON object but {type(data).__name__}"
            else:
                try:
                    yield Listing.model_validate(data)
                    continue
                except ValidationError as exc:
                    problem = _describe(exc)
        if warn:
            print(f"{name}:{number}: {problem}", file=sys.stderr)
        yield None  # a placeholder: counted as a bad line


def detect_file(
    input_path: Path | str,
    output_path: Path | str | None,
    rules_dir: Path | str,
    extra_peers: Iterable[Listing] = (),
    *,
    ruleset: RuleSet | None = None,
    stored: StoredGroups | None = None,
) -> DetectSummary:
    """Flag every listing of a JSON Lines file; write one result line each (stdout when no output).

    ``input_path`` may be ``"-"`` for stdin (spooled to a temporary file for the two passes).
    ``ruleset`` skips loading ``rules_dir`` (rule errors are reported on stderr otherwise).
    ``stored``: the store's peer summaries (``store.peer_groups``), compared with beside the file's.
    """
    summary = DetectSummary()
    if ruleset is None:
        loaded = load_rules(rules_dir)
        for error in loaded.errors:
            print(f"{error} (rule skipped)", file=sys.stderr)
        summary.rule_errors = len(loaded.errors)
        ruleset = loaded.ruleset
    summary.rules_version = ruleset.version

    spooled: Path | None = None
    name = str(input_path)
    if name == "-":
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".jsonl", delete=False) as tmp:
            shutil.copyfileobj(sys.stdin, tmp)
            spooled = Path(tmp.name)
        source = spooled
        name = "<stdin>"
    else:
        source = Path(input_path)
    frozen = False
    thresholds = gc.get_threshold()
    # Each listing allocates a few dozen container objects and keeps them: with the default
    # threshold (700) the young generation is collected every ~20 listings, for nothing to free.
    gc.set_threshold(max(thresholds[0], _YOUNG_THRESHOLD), *thresholds[1:])
    try:
        # built under the raised threshold too, and frozen: its indexes are as long-lived as the run
        detector = Detector(ruleset)
        gc.freeze()
        frozen = True
        peers = detector.new_peer_stats(stored=stored)
        for listing in extra_peers:
            peers.add(listing)
        kept: deque[ListingText] = deque()
        with source.open(encoding="utf-8", errors="replace") as handle:
            parsed = _listings(handle, name, warn=True)
            # in chunks: a chunk's lines are parsed in one loop, then its listings counted as peers
            while chunk := list(islice(parsed, _CHUNK)):
                for listing in chunk:
                    if listing is None:
                        summary.bad_lines += 1
                        continue
                    summary.read += 1
                    text = ListingText(listing)
                    peers.add(listing, text=text)
                    kept.append(text)
                # The kept listings are long-lived: leave them out of the garbage collector's
                # passes, which would otherwise walk all of them again and again. After every
                # chunk (a freeze only moves the generations' lists, whatever their length): the
                # young generation then never fills up, and no pass walks a listing even once.
                gc.freeze()
                frozen = True
        summary.peer_groups = len(peers.keys())
        peers.prefetch(peers.keys())  # the store's summaries of the file's groups, in one call
        len_kept = len(kept)
        gc.freeze()
        frozen = True

        with contextlib.ExitStack() as stack:
            if output_path is None or str(output_path) == "-":
                out: TextIO = sys.stdout
            else:
                out = stack.enter_context(Path(output_path).open("w", encoding="utf-8"))
            dumps = json.JSONEncoder(ensure_ascii=False).encode
            quote = encode_basestring  # what dumps does with a str, without the method call
            write = out.write
            detect_many = detector.detect_many
            by_kind, by_rule = summary.flags_by_kind, summary.flags_by_rule
            while kept:
                # chunks of listings, detected stage by stage (Detector.detect_many), and dropped
                # once done: their caches hold the prepared fields
                chunk = [kept.popleft() for _ in range(min(_CHUNK, len(kept)))]
                lines: list[str] = []
                for text, flags in zip(chunk, detect_many(chunk, peers), strict=True):
                    listing = text.listing
                    if flags:
                        lines.append(dumps(output_record(listing, flags)))
                        summary.flagged += 1
                        for flag in flags:
                            by_kind[flag.kind] += 1
                            by_rule[flag.rule_id] += 1
                    else:  # most listings: the same line as dumps(output_record(listing, [])) gives
                        lines.append(f'{{"listing_id": {quote(listing.listing_id)}, '
                                     f'"platform": {quote(listing.platform)}, "flags": [], "risk": 0}}')
                lines.append("")
                write("\n".join(lines))  # one write per chunk
                gc.freeze()  # what the chunk left in the caches, out of the collector's passes (as above)
            summary.written += len_kept
            out.flush()
    finally:
        gc.set_threshold(*thresholds)
        if frozen:
            gc.unfreeze()
        if spooled is not None:
            spooled.unlink(missing_ok=True)
    return summary
