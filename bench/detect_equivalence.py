"""Checks that a faster engine says exactly what an older one says (``--baseline DIR`` required).

Speed work on ``crawler/detect`` and ``crawler/text.py`` must change no output. This runs the
current engine and the one in DIR (a copy of the tree before the change: its ``crawler/detect``,
``crawler/text.py``, ``rules/``; as in ``detect_throughput``), each in a fresh process, over:

- the real listings of ``../shared/eval/raw`` (when the folder is there), the blind set and its dev
  files, the eval and detect sets, the demo data, and synthetic listings (default and unique titles);
- for each file: ``crawler detect``'s output (``detect_file``, byte for byte), every flag in full
  (kind, rule, severity, score, message, matched spans, legal basis: ``Flag.model_dump``) from
  ``Detector.detect_many`` over the file's own peers, and from ``Detector.detect`` one listing at a
  time on a sample, each listing's peer key, and ``Detector.explain`` on the flagged listings and a
  sample of the others;
- the rule files' own cases (``run_cases``) and their evasion transforms (``evasion_report``).

Prints, per part, whether both engines agree, and the first differences when they do not; exits 1
on any difference.

    python -m bench detect_equivalence --baseline /work/base12
    python -m bench detect_equivalence --baseline /work/base12 --quick   # fewer synthetic listings
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.detect_throughput import write_listings
from bench.realdata import RAW_SAMPLES

REPO = Path(__file__).resolve().parent.parent

_CHILD = r"""
import sys, os, json, hashlib
engine_dir, rules_dir, out_dir = sys.argv[1:4]
inputs = sys.argv[4:]
import crawler
if engine_dir:
    crawler.__path__.insert(0, os.path.join(engine_dir, "crawler"))
from crawler.detect.loader import load_rules
from crawler.detect.batch import detect_file, _listings
from crawler.detect.conditions import ListingText
from crawler.detect.engine import Detector
from crawler.detect.cases import run_cases
from crawler.detect.evasions import evasion_report

# the rules loaded by a relative path: the evasion transforms are seeded with each case's file path
os.chdir(os.path.dirname(os.path.abspath(rules_dir)))
rules_dir = os.path.basename(os.path.abspath(rules_dir))
ruleset = load_rules(rules_dir).ruleset

def dump(obj):
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, default=str)

def explanation(e):
    return [e.rule_id, e.kind, e.signal, e.present, e.weight, round(e.share, 9), e.detail,
            [m.model_dump() for m in e.matched]]

for index, path in enumerate(inputs):
    name = os.path.basename(os.path.dirname(path)) + "/" + os.path.basename(path)
    tag = f"{index:02d}"
    detect_file(path, os.path.join(out_dir, f"{tag}.output.jsonl"), rules_dir, ruleset=ruleset)
    detector = Detector(ruleset)
    with open(path, encoding="utf-8", errors="replace") as handle:
        listings = [x for x in _listings(handle, name, warn=False) if x is not None]
    peers = detector.new_peer_stats()
    texts = []
    for listing in listings:
        text = ListingText(listing)
        peers.add(listing, text=text)
        texts.append(text)
    with open(os.path.join(out_dir, f"{tag}.flags.jsonl"), "w", encoding="utf-8") as out:
        for start in range(0, len(texts), 256):
            chunk = texts[start:start + 256]
            for text, flags in zip(chunk, detector.detect_many(chunk, peers)):
                out.write(dump([text.listing.key, [f.model_dump() for f in flags]]) + "\n")
    # a fresh detector, one listing at a time (the pipeline's way), on a sample; peer keys; explain
    single = Detector(ruleset)
    with open(os.path.join(out_dir, f"{tag}.single.jsonl"), "w", encoding="utf-8") as out:
        for position, listing in enumerate(listings):
            key = single.peer_key(listing)
            record = [listing.key, key]
            if position % 5 == 0:
                record.append([f.model_dump() for f in single.detect(listing, peers)])
            out.write(dump(record) + "\n")
    flagged = set()
    with open(os.path.join(out_dir, f"{tag}.output.jsonl"), encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            if record["flags"]:
                flagged.add(record["platform"] + ":" + record["listing_id"])
    with open(os.path.join(out_dir, f"{tag}.explain.jsonl"), "w", encoding="utf-8") as out:
        for position, listing in enumerate(listings):
            if listing.key in flagged or position % 23 == 0:
                out.write(dump([listing.key, [explanation(e) for e in detector.explain(listing, peers)]]) + "\n")

with open(os.path.join(out_dir, "cases.jsonl"), "w", encoding="utf-8") as out:
    for result in run_cases(ruleset):
        out.write(dump([result.file, result.index, result.ok, result.got, result.problems]) + "\n")
with open(os.path.join(out_dir, "evasions.jsonl"), "w", encoding="utf-8") as out:
    for result in evasion_report(ruleset):
        out.write(dump([result.kind, result.name, result.passed, result.applied,
                        [[f.title, f.problems] for f in result.failures]]) + "\n")
"""


def _inputs(tmp: Path, raw: Path, synthetic: int) -> list[Path]:
    data = REPO / "tests" / "data"
    files: list[Path] = []
    if raw.is_dir():
        from bench.realworld import write_real_listings

        real = tmp / "real" / "listings.jsonl"
        real.parent.mkdir()
        write_real_listings(real, raw)
        files.append(real)
    else:
        print(f"real samples not found at {raw}: compared without them", file=sys.stderr)
    files += sorted((data / "blind").glob("*.jsonl"))
    files += [data / "eval" / "listings.jsonl", data / "detect" / "listings.jsonl"]
    files += sorted((REPO / "crawler" / "demo" / "data").glob("*.jsonl"))
    for unique in (False, True):
        path = tmp / ("synthetic-unique" if unique else "synthetic") / "listings.jsonl"
        path.parent.mkdir()
        write_listings(path, synthetic, seed=11, unique_titles=unique)
        files.append(path)
    return files


def _run(engine_dir: str, rules_dir: Path, out_dir: Path, inputs: list[Path]) -> None:
    out_dir.mkdir(parents=True)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, engine_dir, str(rules_dir), str(out_dir), *map(str, inputs)],
        capture_output=True, text=True, env=env, cwd=REPO, check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"equivalence child ({engine_dir or 'current'}) failed:\n{proc.stderr[-3000:]}")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def _first_differences(old: Path, new: Path, show: int) -> list[str]:
    old_lines = old.read_text(encoding="utf-8").splitlines()
    new_lines = new.read_text(encoding="utf-8").splitlines()
    out: list[str] = []
    if len(old_lines) != len(new_lines):
        out.append(f"    {len(old_lines)} lines before, {len(new_lines)} after")
    for number, (a, b) in enumerate(zip(old_lines, new_lines, strict=False), start=1):
        if a != b:
            out.append(f"    line {number}:\n      before {a[:600]}\n      after  {b[:600]}")
            if len(out) >= show:
                break
    return out


def main(argv: list[str]) -> int:
    """Run both engines over every input, compare every output, print the verdict per part."""
    parser = argparse.ArgumentParser(prog="python -m bench detect_equivalence",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, help="the older crawler/detect, crawler/text.py, rules/")
    parser.add_argument("--raw", type=Path, default=RAW_SAMPLES, help="the real samples folder")
    parser.add_argument("--synthetic", type=int, default=20_000, help="synthetic listings of each kind (default 20000)")
    parser.add_argument("--quick", action="store_true", help="2,000 synthetic listings of each kind")
    parser.add_argument("--show", type=int, default=3, help="differences shown per part")
    args = parser.parse_args(argv)
    if args.baseline is None:
        print("detect_equivalence: skipped (needs --baseline DIR, the engine to compare with)")
        return 0
    synthetic = 2_000 if args.quick else args.synthetic
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        inputs = _inputs(tmp, args.raw, synthetic)
        _run(str(args.baseline), args.baseline / "rules", tmp / "before", inputs)
        _run("", REPO / "rules", tmp / "after", inputs)
        names = {f"{index:02d}": f"{path.parent.name}/{path.name}" for index, path in enumerate(inputs)}
        differ = 0
        for before in sorted((tmp / "before").iterdir()):
            after = tmp / "after" / before.name
            tag, _, part = before.name.partition(".")
            label = f"{names.get(tag, tag)} {part.removesuffix('.jsonl')}" if tag in names else before.name
            lines = len(before.read_text(encoding="utf-8").splitlines())
            if after.is_file() and _digest(before) == _digest(after):
                print(f"same      {label} ({lines} lines, sha {_digest(before)})")
                continue
            differ += 1
            print(f"DIFFERENT {label}")
            if after.is_file():
                print("\n".join(_first_differences(before, after, args.show)))
        print(f"{'all identical' if not differ else f'{differ} parts differ'} "
              f"({len(inputs)} inputs, baseline {args.baseline})")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
