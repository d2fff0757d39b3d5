"""Detection on the real listings of ``../shared/eval/raw``: flags per kind, rule and file, the hand verdicts, speed.

Every real sample file is read with the spiders' own format parsers (:mod:`bench.realdata`), each
``platform:listing_id`` once, and written as JSON Lines to a temporary file (never into the
repository). ``crawler detect``'s engine (:func:`crawler.detect.batch.detect_file`: both passes,
the file's listings being each other's price peers) then runs on it with the full rule packs.

Printed: flags per kind, per rule and per file; against the hand verdicts
(``tests/data/realworld/verdicts.jsonl``: one line per listing and kind, ``verdict`` ``yes`` when
the listing really is of that kind, ``no`` when it is not, ``found_by`` ``flag`` or ``search``)
the precision per kind, the judged listings the engine now misses, and the flags nobody has judged
yet; and the time taken. ``--runs N`` times N more runs, each in a fresh process on one core,
listings per CPU second (``--baseline DIR``: an older engine beside it, as in ``detect_throughput``).

    python -m bench realworld                     # figures, verdicts, one timing
    python -m bench realworld --runs 5            # the median of 5 timed runs
    python -m bench realworld --unjudged /tmp/u.jsonl   # flagged listings without a verdict, to judge
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from bench.detect_throughput import TARGET, _run_once
from bench.realdata import RAW_SAMPLES, real_listings

REPO = Path(__file__).resolve().parent.parent
VERDICTS = REPO / "tests" / "data" / "realworld" / "verdicts.jsonl"
KINDS = ("banned", "counterfeit", "missing_origin", "price_anomaly")


def load_verdicts(path: Path = VERDICTS) -> dict[tuple[str, str], dict[str, Any]]:
    """The hand verdicts by (``platform:listing_id``, kind); a later line for the same pair wins."""
    verdicts: dict[tuple[str, str], dict[str, Any]] = {}
    if not path.is_file():
        return verdicts
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            key = (f"{entry['platform']}:{entry['listing_id']}", entry["kind"])
            if entry["verdict"] not in ("yes", "no") or entry["kind"] not in KINDS:
                raise ValueError(f"verdict must be yes/no and kind one of {KINDS}")
        except (ValueError, KeyError, TypeError) as exc:
            raise SystemExit(f"{path}:{number}: bad verdict line: {exc}") from exc
        verdicts[key] = entry
    return verdicts


def write_real_listings(path: Path, root: Path = RAW_SAMPLES) -> dict[str, str]:
    """Write every distinct real listing to ``path`` (JSON Lines); returns each key's source file."""
    files: dict[str, str] = {}
    with path.open("w", encoding="utf-8") as handle:
        for name, listing in real_listings(root):
            files[listing.key] = name
            handle.write(json.dumps(listing.to_document(), ensure_ascii=False) + "\n")
    return files


def read_flags(path: Path) -> dict[str, list[dict[str, Any]]]:
    """``crawler detect`` output: the flags of each flagged listing by key."""
    flagged: dict[str, list[dict[str, Any]]] = {}
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            if record["flags"]:
                flagged[f"{record['platform']}:{record['listing_id']}"] = record["flags"]
    return flagged


def score_verdicts(
    flagged: dict[str, list[dict[str, Any]]], verdicts: dict[tuple[str, str], dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Per kind: flags judged right / wrong, flags not judged, judged offences missed (and of those
    found by searching the data, how many are now caught)."""
    kinds_of = {key: {flag["kind"] for flag in flags} for key, flags in flagged.items()}
    out: dict[str, dict[str, Any]] = {}
    for kind in KINDS:
        right = wrong = 0
        unjudged: list[str] = []
        for key, kinds in kinds_of.items():
            if kind not in kinds:
                continue
            verdict = verdicts.get((key, kind))
            if verdict is None:
                unjudged.append(key)
            elif verdict["verdict"] == "yes":
                right += 1
            else:
                wrong += 1
        offences = [key for (key, k), v in verdicts.items() if k == kind and v["verdict"] == "yes"]
        missed = [key for key in offences if kind not in kinds_of.get(key, set())]
        searched = [key for key in offences if verdicts[(key, kind)].get("found_by") == "search"]
        caught = [key for key in searched if kind in kinds_of.get(key, set())]
        out[kind] = {
            "right": right, "wrong": wrong, "unjudged": unjudged, "offences": len(offences),
            "missed": missed, "searched": len(searched), "caught": len(caught),
            "precision": right / (right + wrong) if right + wrong else None,
            "recall": (len(offences) - len(missed)) / len(offences) if offences else None,
        }
    return out


def _table(title: str, counter: Counter[str]) -> None:
    print(f"\n| {title} | flags |\n|---|---:|")
    for name, count in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"| {name} | {count} |")


def _figure(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def print_verdicts(scores: dict[str, dict[str, Any]]) -> None:
    """The verdict table: precision per kind, offences judged, missed, search misses caught."""
    print("\n| kind | flags judged right | wrong | precision | not judged | offences judged | missed | recall "
          "| misses found by search, now caught |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for kind, s in scores.items():
        print(f"| {kind} | {s['right']} | {s['wrong']} | {_figure(s['precision'])} | {len(s['unjudged'])} "
              f"| {s['offences']} | {len(s['missed'])} | {_figure(s['recall'])} | {s['caught']} of {s['searched']} |")


def main(argv: list[str]) -> int:
    """Run detection on the real listings; print flags, verdict figures and time."""
    parser = argparse.ArgumentParser(prog="python -m bench realworld", description=__doc__.splitlines()[0])
    parser.add_argument("--raw", type=Path, default=RAW_SAMPLES, help="the real samples folder")
    parser.add_argument("--rules", type=Path, default=REPO / "rules", help="rule packs (default rules/)")
    parser.add_argument("--verdicts", type=Path, default=VERDICTS, help="hand verdicts (JSON Lines)")
    parser.add_argument("--runs", type=int, default=0, help="timed runs in fresh processes (default 0)")
    parser.add_argument("--baseline", type=Path, help="directory with an older crawler/detect, crawler/text.py, rules/")
    parser.add_argument("--unjudged", type=Path, help="write the flagged listings without a verdict here (JSONL)")
    parser.add_argument("--flags", type=Path, help="also keep the detect output here (JSONL)")
    parser.add_argument("--missed", action="store_true", help="list the judged offences the engine misses")
    args = parser.parse_args(argv)
    if not args.raw.is_dir():
        print(f"real samples not found at {args.raw}", file=sys.stderr)
        return 2

    from crawler.detect.batch import detect_file
    from crawler.detect.loader import load_rules

    with tempfile.TemporaryDirectory() as tmp:
        data, output = Path(tmp) / "real.jsonl", Path(tmp) / "flags.jsonl"
        files = write_real_listings(data, args.raw)
        loaded = load_rules(args.rules)
        for error in loaded.errors:
            print(f"{error}", file=sys.stderr)
        start, cpu = time.perf_counter(), time.process_time()
        summary = detect_file(data, output, args.rules, ruleset=loaded.ruleset)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        flagged = read_flags(output)
        if args.flags:
            args.flags.write_bytes(output.read_bytes())
        by_rule: Counter[str] = Counter()
        by_file: Counter[str] = Counter()
        by_kind: Counter[str] = Counter()
        for key, flags in flagged.items():
            for flag in flags:
                by_rule[flag["rule_id"]] += 1
                by_kind[flag["kind"]] += 1
                by_file[f"{files[key]} ({flag['kind']})"] += 1
        print(f"{summary.read} real listings from {len(set(files.values()))} files, {len(flagged)} flagged, "
              f"{sum(by_kind.values())} flags; detection {cpu:.2f}s CPU = {summary.read / cpu:,.0f} listings "
              f"per CPU second ({elapsed:.2f}s wall), rules {summary.rules_version}")
        _table("kind", by_kind)
        _table("rule", by_rule)
        _table("file (kind)", by_file)

        verdicts = load_verdicts(args.verdicts)
        scores = score_verdicts(flagged, verdicts)
        print(f"\nhand verdicts: {len(verdicts)} in {args.verdicts}")
        print_verdicts(scores)
        if args.missed:
            for kind, s in scores.items():
                for key in s["missed"]:
                    print(f"missed {kind}: {key} — {verdicts[(key, kind)].get('why', '')}")
        if args.unjudged:
            write_unjudged(args.unjudged, data, flagged, scores)

        if args.runs:
            engines: list[tuple[str, str, Path]] = [("current", "", args.rules)]
            if args.baseline is not None:
                engines.insert(0, ("baseline", str(args.baseline), args.baseline / "rules"))
            rates: dict[str, list[float]] = defaultdict(list)
            for run in range(args.runs):
                for name, engine_dir, rules_dir in engines:
                    read, elapsed, cpu, flagged_count, kinds = _run_once(engine_dir, rules_dir, data)
                    rates[name].append(read / cpu)
                    print(f"run {run + 1} {name:8s}: {read} listings, {cpu:.2f}s CPU = {read / cpu:,.0f}/s "
                          f"(wall {elapsed:.2f}s), {flagged_count} flagged {kinds}", flush=True)
            for name, values in rates.items():
                print(f"median {name}: {statistics.median(values):,.0f} real listings per CPU second "
                      f"over {args.runs} runs (target {TARGET:,}/s)")
    return 0


def write_unjudged(path: Path, data: Path, flagged: dict[str, list[dict[str, Any]]],
                   scores: dict[str, dict[str, Any]]) -> None:
    """Write each flagged listing that has a flag without a verdict, with its flags, for judging."""
    wanted = {key for s in scores.values() for key in s["unjudged"]}
    with data.open(encoding="utf-8") as source, path.open("w", encoding="utf-8") as out:
        for line in source:
            listing = json.loads(line)
            key = f"{listing['platform']}:{listing['listing_id']}"
            if key in wanted:
                listing["flags"] = flagged[key]
                out.write(json.dumps(listing, ensure_ascii=False) + "\n")
    print(f"{len(wanted)} listings with unjudged flags written to {path}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
