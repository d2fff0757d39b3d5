"""``crawler rules validate / test / explain / diff / score / evasions``: the analysts' tools for the rule packs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from crawler.commands.common import StoreOption, default_rules, err, fail, load_rules_or_exit, open_store_or_exit, out
from crawler.exit_codes import ExitCode
from crawler.items import Listing
from crawler.review.render import safe_text

if TYPE_CHECKING:
    from crawler.detect import Detector, PeerStats, RuleSet

rules_app = typer.Typer(
    help="Rule packs in rules/: validate, test, explain a listing, diff two versions, score on labelled "
         "listings, check them against evasive spellings.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    """Add ``crawler rules …`` to the root command."""
    app.add_typer(rules_app, name="rules")


@rules_app.command("validate")
def rules_validate(
    rules_dir: Annotated[Path | None, typer.Argument(help="Rule packs directory (default rules/).")] = None,
) -> None:
    """Load every rule file and report every error as FILE:LINE: what is wrong (exit 3 when there is one)."""
    from crawler.detect import load_rules

    directory = rules_dir or default_rules()
    if not directory.is_dir():
        raise fail(f"{directory}: not a directory", 2)
    loaded = load_rules(directory)
    for error in loaded.errors:
        err().print(Text(str(error), style="red"))
    count = len(loaded.ruleset.all_rules())
    if loaded.errors:
        raise fail(f"{len(loaded.errors)} error(s); {count} rules loaded from {directory}", ExitCode.RULES)
    out().print(f"{count} rules loaded from {directory}, no errors (version {loaded.ruleset.version})")


@rules_app.command("test")
def rules_test(
    rules_dir: Annotated[Path | None, typer.Argument(help="Rule packs directory (default rules/).")] = None,
) -> None:
    """Run every rule file's cases: listings that must and must not match.

    Exits 3 on a rule file error or a failed case.
    """
    from crawler.detect import load_rules, run_cases

    directory = rules_dir or default_rules()
    loaded = load_rules(directory)
    for error in loaded.errors:
        err().print(Text(str(error), style="red"))
    results = run_cases(loaded.ruleset)
    failed = [result for result in results if not result.ok]
    for result in failed:
        err().print(Text(f"FAIL {safe_text(str(result))}", style="red"))
    out().print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    if failed or loaded.errors:
        raise typer.Exit(ExitCode.RULES)


# ---------------------------------------------------------------------------------- explain / diff

def _read_listings(path: Path) -> tuple[list[Listing], list[str]]:
    """Listings of a JSON file (one object or a list) or a JSON Lines file; problems as path:line."""
    import json

    from pydantic import ValidationError

    listings: list[Listing] = []
    problems: list[str] = []
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        return [], [f"{path}: cannot read: {exc}"]
    records: list[tuple[int, object]] = []
    try:
        whole = json.loads(text)
    except json.JSONDecodeError:
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                records.append((number, json.loads(line)))
            except json.JSONDecodeError as exc:
                problems.append(f"{path}:{number}: not JSON: {exc.msg}")
    else:
        items = whole if isinstance(whole, list) else [whole]
        records = [(1, item) for item in items]
    for number, record in records:
        if not isinstance(record, dict):
            problems.append(f"{path}:{number}: not a JSON object")
            continue
        record.setdefault("platform", "file")
        record.setdefault("listing_id", f"line{number}")
        record.setdefault("url", f"file:{path.name}#{number}")
        try:
            listings.append(Listing.model_validate(record))
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = ".".join(str(p) for p in first.get("loc", ())) or "listing"
            problems.append(f"{path}:{number}: invalid listing field {loc}: {first.get('msg')}")
    return listings, problems


def _load_or_exit(directory: Path, *, lenient: bool = False) -> RuleSet:
    """The rule set of ``directory``; a rule file error exits 3 unless ``lenient`` (``rules diff``
    previews an edit in progress: its errors are printed and the rules that load are compared)."""
    if not lenient:
        return load_rules_or_exit(directory).ruleset
    from crawler.detect import load_rules

    if not directory.is_dir():
        raise fail(f"{directory}: not a rules directory", ExitCode.USAGE)
    loaded = load_rules(directory)
    for error in loaded.errors:
        err().print(Text(f"{error} (skipped)", style="yellow"))
    return loaded.ruleset


@rules_app.command("explain")
def rules_explain(
    listing: Annotated[
        str, typer.Option("--listing", help="A JSON/JSONL listing file, or a listing URL in the store.")
    ],
    rules_dir: Annotated[Path | None, typer.Option("--rules", help="Rule packs directory (default rules/).")] = None,
    store: StoreOption = None,
) -> None:
    """Why each rule fires or not on a listing: matched spans (as written), signals and score shares.

    A FILE's listings are also each other's price peers; for a URL (or platform:listing_id) the
    listing comes from the store and its price is compared with the store's summary of its peer
    group (key, distinct sellers, median, MAD, a few of the peers: all named in the output).

    Examples: crawler rules explain --listing listing.json
              crawler rules explain --listing tiki:271425984
    """
    from crawler.detect import Detector

    detector = Detector(_load_or_exit(rules_dir or default_rules()))
    stored_key = re.fullmatch(r"([a-z0-9_]+):(\S+)", listing)
    if listing.startswith(("http://", "https://")) or stored_key:
        targets: list[Listing] = []
        with open_store_or_exit(store) as opened:
            peers = detector.new_peer_stats(stored=opened.peer_groups)
            if stored_key and not listing.startswith(("http://", "https://")):
                found = opened.get_listing(stored_key.group(1), stored_key.group(2))
                targets = [found] if found is not None else []
            else:
                targets = [candidate for candidate in opened.iter_listings() if candidate.url == listing]
            if not targets:
                raise fail(f"{safe_text(listing)}: no such listing in the store")
            for target in targets:
                _print_explanation(detector, target, peers)
        return
    path = Path(listing)
    if not path.is_file():
        raise fail(f"{path}: no such file (give a JSON/JSONL listing file, a listing URL or platform:listing_id)", 2)
    targets, problems = _read_listings(path)
    for problem in problems:
        err().print(Text(problem, style="yellow"))
    if not targets:
        raise fail(f"{path}: no valid listing")
    peers = detector.new_peer_stats()
    for target in targets:
        peers.add(target)
    for target in targets:
        _print_explanation(detector, target, peers)


def _print_explanation(detector: Detector, listing: Listing, peers: PeerStats) -> None:
    from rich.table import Table

    flags = detector.detect(listing, peers)
    console = out()
    console.print(Text(f"{listing.key}  {safe_text(listing.title, limit=120)}", style="bold"))
    table = Table(show_lines=False)
    for column in ("rule", "signal", "present", "weight", "share", "detail", "matched (original text)"):
        table.add_column(column)
    for item in detector.explain(listing, peers):
        spans = "; ".join(f"{m.field}[{m.start}:{m.end}] {safe_text(m.text)!r}" for m in item.matched)
        table.add_row(
            item.rule_id, item.signal, "yes" if item.present else "no", f"{item.weight:.2f}",
            f"{item.share:.0%}", Text(safe_text(item.detail, limit=400)), Text(spans),
        )
    console.print(table)
    if flags:
        for flag in flags:
            console.print(Text(f"FLAG {flag.kind} {flag.rule_id} score {flag.score:.2f}: {safe_text(flag.message)}"))
    else:
        console.print("no flags")


def _listings_on(source: str | None) -> list[Listing]:
    """Listings of a JSON/JSONL file, or of a store (URI; default: the configured store)."""
    if source is not None and Path(source).is_file():
        listings, problems = _read_listings(Path(source))
        for problem in problems:
            err().print(Text(problem, style="yellow"))
        return listings
    with open_store_or_exit(source) as opened:
        return list(opened.iter_listings())


def flag_changes(old: RuleSet, new: RuleSet, listings: list[Listing]) -> list[tuple[Listing, set[str], set[str]]]:
    """Per listing: the rule ids that the ``new`` rules add and remove compared with ``old``.

    Both rule sets see the same price peers (the listings themselves). Unchanged listings are left out.
    """
    from crawler.detect import Detector

    changes = []
    detectors = [Detector(old), Detector(new)]
    peer_sets = [d.new_peer_stats() for d in detectors]
    for peers in peer_sets:
        for listing in listings:
            peers.add(listing)
    for listing in listings:
        before, after = ({f.rule_id for f in d.detect(listing, p)} for d, p in zip(detectors, peer_sets, strict=True))
        if before != after:
            changes.append((listing, after - before, before - after))
    return changes


@rules_app.command("diff")
def rules_diff(
    old: Annotated[Path, typer.Option("--old", help="Rule packs before the change.")],
    new: Annotated[Path, typer.Option("--new", help="Rule packs after the change.")],
    on: Annotated[
        str | None, typer.Option("--on", help="Listings: a JSON/JSONL file or a store URI (default: the store).")
    ] = None,
) -> None:
    """Which listings gain or lose which flags if the rules change from OLD to NEW.

    Example: crawler rules diff --old rules.orig --new rules --on listings.jsonl
    """
    from collections import Counter

    old_rules, new_rules = _load_or_exit(old, lenient=True), _load_or_exit(new, lenient=True)
    listings = _listings_on(on)
    changes = flag_changes(old_rules, new_rules, listings)
    gained: Counter[str] = Counter()
    lost: Counter[str] = Counter()
    console = out()
    for listing, added, removed in changes:
        parts = [f"+{rule}" for rule in sorted(added)] + [f"-{rule}" for rule in sorted(removed)]
        console.print(Text(f"{listing.key}  {' '.join(parts)}  {safe_text(listing.title, limit=80)}"))
        gained.update(added)
        lost.update(removed)
    for rule in sorted(set(gained) | set(lost)):
        console.print(Text(f"{rule}: +{gained[rule]} -{lost[rule]}"))
    console.print(
        f"{len(listings)} listings, {len(changes)} changed "
        f"(rules {old_rules.version} → {new_rules.version})"
    )


# ---------------------------------------------------------------------------------- score / evasions

@rules_app.command("score")
def rules_score(
    labelled: Annotated[Path, typer.Argument(help="Labelled listings (JSON Lines with expected_kinds).")],
    rules_dir: Annotated[Path | None, typer.Option("--rules", help="Rule packs directory (default rules/).")] = None,
    by: Annotated[str | None, typer.Option(help="Also break recall down by this tag: group or evasion.")] = None,
    misses: Annotated[bool, typer.Option("--misses", help="List each listing where rules and label disagree.")] = False,
) -> None:
    """Precision and recall of the rules on a labelled file of listings, per kind.

    Each line is a listing plus ``expected_kinds`` (the kinds it really is, [] for a clean one) and
    optionally ``group`` / ``evasion`` tags. The rules run on the whole file as ``crawler detect``
    runs them (its listings are each other's price peers).
    """
    from crawler.detect.scoring import score_labelled

    if by not in (None, "group", "evasion"):
        raise fail(f"--by must be group or evasion, not {by!r}", 2)
    if not labelled.is_file():
        raise fail(f"{labelled}: no such file", 2)
    directory = rules_dir or default_rules()
    ruleset = _load_or_exit(directory)
    score = score_labelled(labelled, directory, ruleset)
    console = out()
    console.print(f"{score.listings} labelled listings in {labelled}, rules {ruleset.version}")
    console.print(f"{'kind':16s} {'precision':>9s} {'recall':>7s} {'TP':>5s} {'FP':>5s} {'FN':>5s}")
    for kind, precision, recall, tp, fp, fn in score.rows():
        console.print(f"{kind:16s} {precision:9.3f} {recall:7.3f} {tp:5d} {fp:5d} {fn:5d}")
    if by is not None:
        console.print(f"\nrecall by {by} (listings labelled with some kind, of them flagged with one)")
        for tag, (total, caught) in sorted(score.by_tag[by].items(), key=lambda kv: kv[1][1] / kv[1][0]):
            console.print(Text(f"  {safe_text(tag):32s} {caught:4d}/{total:<4d} {caught / total:.2f}"))
    if misses:
        for miss in score.mismatches:
            tag = "FP" if miss.flagged else "FN"
            console.print(Text(f"  {tag} {miss.kind:15s} {miss.key}  {safe_text(miss.title)[:100]}"))


@rules_app.command("evasions")
def rules_evasions(
    rules_dir: Annotated[Path | None, typer.Argument(help="Rule packs directory (default rules/).")] = None,
    show: Annotated[int, typer.Option(help="Failing cases to show per transform.")] = 3,
) -> None:
    """How the rule files' own cases hold up when sellers spell around the rules.

    Every positive case must still match after each evasion transform of its title and
    description (dots or underscores inside words, letters spaced out with emoji, digits for
    letters, no diacritics, NFD, fancy letters, accents on Latin words, zero-width characters,
    upper case, teencode); every negative case must stay negative after benign ones.
    """
    from crawler.detect.evasions import evasion_report

    ruleset = _load_or_exit(rules_dir or default_rules())
    console = out()
    console.print(f"{'':8s} {'transform':30s} {'passed':>7s} {'cases':>6s} {'rate':>6s}")
    for result in evasion_report(ruleset):
        console.print(f"{result.kind:8s} {result.name:30s} {result.passed:7d} {result.applied:6d} {result.rate:6.1%}")
        for failure in result.failures[:show]:
            console.print(Text(f"           {safe_text(failure.title)[:90]} — {'; '.join(failure.problems[:1])}"))
