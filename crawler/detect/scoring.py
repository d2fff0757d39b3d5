"""Precision and recall of the rules on a labelled file of listings (``crawler rules score``).

A labelled file is JSON Lines in the Listing schema plus ``expected_kinds`` (the kinds the listing
really is, ``[]`` for a clean one) and, optionally, ``group`` and ``evasion`` tags (what the case
is about, which trick it uses; several evasions joined by "+"). The rules run on the whole file as
``crawler detect`` runs them (the file's listings are each other's price peers), and every listing
× kind is counted: flagged and labelled (true positive), flagged only (false positive), labelled
only (false negative). Recall is also broken down by tag, so a weak group or evasion shows without
reading the cases one by one.
"""

from __future__ import annotations

import json
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from crawler.detect.batch import detect_file
from crawler.detect.model import RuleSet
from crawler.items import KINDS

__all__ = ["KindScore", "LabelledScore", "Mismatch", "read_flagged", "score_labelled", "score_output"]


@dataclass(slots=True)
class KindScore:
    """One kind's counts over a labelled file."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        """Share of flags that are right (1.0 when nothing was flagged)."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        """Share of labelled listings flagged (1.0 when none is labelled)."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


@dataclass(slots=True)
class Mismatch:
    """A listing × kind where the rules and the label disagree."""

    key: str
    kind: str
    flagged: bool
    title: str
    group: str
    evasion: str


@dataclass(slots=True)
class LabelledScore:
    """What :func:`score_labelled` found."""

    listings: int
    kinds: dict[str, KindScore]
    by_tag: dict[str, dict[str, list[int]]]
    """For "group" and "evasion": tag → [labelled positives, of them flagged] (positives of any kind)."""
    mismatches: list[Mismatch] = field(default_factory=list)

    def rows(self) -> list[tuple[str, float, float, int, int, int]]:
        """(kind, precision, recall, TP, FP, FN) per kind."""
        return [(k, s.precision, s.recall, s.tp, s.fp, s.fn) for k, s in self.kinds.items()]


def read_flagged(output: Path) -> dict[str, set[str]]:
    """``crawler detect`` output: the kinds flagged on each listing, by ``platform:listing_id``."""
    got: dict[str, set[str]] = {}
    with output.open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            got[f"{record['platform']}:{record['listing_id']}"] = {flag["kind"] for flag in record["flags"]}
    return got


def score_output(labelled: Path, got: dict[str, set[str]]) -> LabelledScore:
    """Score detection results (kinds per listing key) against a labelled file."""
    kinds = {kind: KindScore() for kind in KINDS}
    by_tag: dict[str, dict[str, list[int]]] = {"group": defaultdict(lambda: [0, 0]),
                                               "evasion": defaultdict(lambda: [0, 0])}
    mismatches: list[Mismatch] = []
    count = 0
    with labelled.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            record = json.loads(line)
            count += 1
            key = f"{record['platform']}:{record['listing_id']}"
            expected = set(record.get("expected_kinds") or ())
            flagged = got.get(key, set())
            group, evasion = str(record.get("group") or "—"), str(record.get("evasion") or "none")
            for kind in KINDS:
                want, have = kind in expected, kind in flagged
                score = kinds[kind]
                score.tp += want and have
                score.fp += have and not want
                score.fn += want and not have
                if want != have:
                    mismatches.append(Mismatch(key, kind, have, record.get("title", ""), group, evasion))
            if expected:
                caught = bool(expected & flagged)
                for tag_kind, tags in (("group", [group]), ("evasion", evasion.split("+"))):
                    for tag in tags:
                        by_tag[tag_kind][tag][0] += 1
                        by_tag[tag_kind][tag][1] += caught
    return LabelledScore(count, kinds, {k: dict(v) for k, v in by_tag.items()}, mismatches)


def score_labelled(labelled: Path | str, rules_dir: Path | str, ruleset: RuleSet | None = None) -> LabelledScore:
    """Run the rules on a labelled file (as ``crawler detect`` does) and score them."""
    labelled = Path(labelled)
    with tempfile.TemporaryDirectory() as tmp:
        output = Path(tmp) / "flags.jsonl"
        detect_file(labelled, output, rules_dir, ruleset=ruleset)
        return score_output(labelled, read_flagged(output))
