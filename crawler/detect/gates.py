"""Pre-filter gates: cheap tests that tell when a rule's match condition cannot be true.

Most conditions are phrase sets, whose anchors (a word, or a pair of adjacent words, of each
phrase) index the rules by word. A regular expression has no such words, so a rule holding one
used to run on every listing. :func:`required_literals` reads a compiled pattern's syntax tree and
derives the plain substrings a match must contain, as clauses (every clause needs one of its
substrings in the text): ``(?:xuat xu|nguon goc)\\s*[:\\-]\\s*(?:khong ro|chua ro)`` gives
``[{"xuat xu", "nguon goc"}, {"khong ro", "chua ro"}]``. A :class:`Gate` combines such clauses with
anchors under any/all, mirroring the condition tree; the detector then skips a rule whose gate is
shut, with a plain ``in`` per literal instead of the regex and the Python around it.

A gate only ever says "cannot match" when the condition really cannot: a pattern whose tree holds
something this module does not know gives no clause (the rule then runs on every listing).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import product
from typing import TYPE_CHECKING, Any

try:  # the parser behind ``re.compile``; named sre_parse before Python 3.11
    from re import _constants as _sre  # type: ignore[attr-defined]
    from re import _parser as _sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - Python < 3.11
    import sre_constants as _sre  # type: ignore[no-redef]
    import sre_parse as _sre_parse  # type: ignore[no-redef]

if TYPE_CHECKING:
    from crawler.detect.conditions import ListingText

__all__ = ["AllGate", "AnchorGate", "AnyGate", "Gate", "LiteralGate", "required_literals"]

Clause = frozenset[str]
"""Substrings of which a match contains at least one."""

MIN_LITERAL = 3
"""Literals shorter than this are not worth a clause (nearly every text holds them)."""
_MAX_CLAUSES = 4
_MAX_PRODUCT = 16

_REPEATS = {_sre.MAX_REPEAT, _sre.MIN_REPEAT, getattr(_sre, "POSSESSIVE_REPEAT", _sre.MAX_REPEAT)}


def required_literals(pattern: re.Pattern[str]) -> list[Clause]:
    """Clauses of literal substrings every match of ``pattern`` contains ([] when none is known).

    Literals are lower-cased under ``re.IGNORECASE`` (the text they are looked for in, normalised
    listing text, is lower case). Never raises: a tree it cannot read gives [].
    """
    ignore_case = bool(pattern.flags & re.IGNORECASE)
    try:
        tree = _sre_parse.parse(pattern.pattern, pattern.flags)
    except (re.error, TypeError, ValueError, RecursionError):  # pragma: no cover - compiled already
        return []
    try:
        clauses = _sequence(list(tree), ignore_case)
    except RecursionError:  # pragma: no cover - absurdly nested pattern
        return []
    return _best(clauses)


def _best(clauses: list[Clause]) -> list[Clause]:
    """The strongest clauses: fewest-and-longest literals first, duplicates dropped."""
    unique = list(dict.fromkeys(c for c in clauses if c))
    unique.sort(key=lambda c: (-min(map(len, c)), len(c)))
    return unique[:_MAX_CLAUSES]


def _sequence(items: Sequence[tuple[Any, Any]], ignore_case: bool) -> list[Clause]:
    """Clauses of a sequence of pattern items: runs of literal characters, and what sub-patterns
    that must occur require."""
    clauses: list[Clause] = []
    run: list[str] = []

    def flush() -> None:
        if len(run) >= MIN_LITERAL:
            clauses.append(frozenset(["".join(run)]))
        run.clear()

    for op, arg in items:
        if op is _sre.LITERAL:
            char = chr(arg)
            run.append(char.lower() if ignore_case else char)
            continue
        flush()
        if op is _sre.SUBPATTERN:
            clauses.extend(_sequence(list(arg[-1]), ignore_case))
        elif op is getattr(_sre, "ATOMIC_GROUP", None):
            clauses.extend(_sequence(list(arg), ignore_case))
        elif op in _REPEATS:
            minimum, _maximum, sub = arg
            if minimum >= 1:
                clauses.extend(_sequence(list(sub), ignore_case))
        elif op is _sre.BRANCH:
            clauses.extend(_branch(arg[1], ignore_case))
        # anything else (classes, anchors, assertions, back-references) requires no literal
    flush()
    return clauses


def _branch(branches: Sequence[Any], ignore_case: bool) -> list[Clause]:
    """Clauses of an alternation: true of every branch, so built from one clause of each."""
    options = [_best(_sequence(list(branch), ignore_case)) for branch in branches]
    if not options or any(not clauses for clauses in options):
        return []
    sizes = 1
    for clauses in options:
        sizes *= len(clauses)
    if sizes <= _MAX_PRODUCT:  # (a1 ∧ a2) ∨ (b1) = (a1 ∨ b1) ∧ (a2 ∨ b1)
        return [frozenset().union(*combo) for combo in product(*options)]
    return [frozenset().union(*(clauses[0] for clauses in options))]


class Gate:
    """A test on a listing's text that is false only when a condition cannot be true."""

    def open(self, text: ListingText, present: set[str] | frozenset[str], fields: tuple[str, ...]) -> bool:
        """Whether the condition may be true. ``present``: the pre-filter anchors the listing holds;
        ``fields``: the rule's default fields."""
        raise NotImplementedError  # pragma: no cover - abstract

    def anchor_words(self) -> frozenset[str]:
        """The anchors this gate reads from ``present`` (the detector must look for them)."""
        return frozenset()


class AnchorGate(Gate):
    """Open when the listing holds one of the anchors (words or word pairs)."""

    def __init__(self, anchors: frozenset[str]) -> None:
        self.anchors = anchors

    def open(self, text: ListingText, present: set[str] | frozenset[str], fields: tuple[str, ...]) -> bool:
        return not self.anchors.isdisjoint(present)

    def anchor_words(self) -> frozenset[str]:
        return self.anchors


class LiteralGate(Gate):
    """Open when every clause has one of its substrings in the normalised text of the fields."""

    def __init__(self, clauses: list[Clause], fields: tuple[str, ...] | None) -> None:
        self.clauses = clauses
        self.fields = fields
        self._ordered = [sorted(clause, key=len, reverse=True) for clause in clauses]

    def open(self, text: ListingText, present: set[str] | frozenset[str], fields: tuple[str, ...]) -> bool:
        # the fields' texts joined by a newline, which normalised text never holds; ``in`` is a
        # C substring search, several times faster here than a regex alternation
        joined = text.joined(self.fields or fields)
        for clause in self._ordered:
            for literal in clause:
                if literal in joined:
                    break
            else:
                return False
        return True


class AnyGate(Gate):
    """Open when one of its gates is."""

    def __init__(self, gates: list[Gate]) -> None:
        # the cheap set tests first
        self.gates = sorted(gates, key=lambda gate: not isinstance(gate, AnchorGate))

    def open(self, text: ListingText, present: set[str] | frozenset[str], fields: tuple[str, ...]) -> bool:
        for gate in self.gates:  # noqa: SIM110 - a loop: no generator per listing
            if gate.open(text, present, fields):
                return True
        return False

    def anchor_words(self) -> frozenset[str]:
        return frozenset().union(*(gate.anchor_words() for gate in self.gates))


class AllGate(AnyGate):
    """Open when all of its gates are."""

    def open(self, text: ListingText, present: set[str] | frozenset[str], fields: tuple[str, ...]) -> bool:
        for gate in self.gates:  # noqa: SIM110 - a loop: no generator per listing
            if not gate.open(text, present, fields):
                return False
        return True
