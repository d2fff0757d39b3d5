"""Rule regexes: compiled for RE2, a linear-time engine, and gated by the literals a match needs.

Analysts write regexes in rule files, and listing text is written by people who want to get past
them: a backtracking engine lets a pattern such as ``(a+)+$`` stall on a short title. Every rule
regex is compiled with RE2 (``google-re2``), whose matching time is linear in the text: a pattern
RE2 does not accept (look-arounds, back-references) is a rule-file error with its line, not a
slow rule. :class:`RuleRegex` also reads the pattern's syntax tree (:func:`required_literals`) for
the plain substrings every match must contain, as clauses (every clause needs one of its
substrings in the text): ``(?:xuat xu|nguon goc)\\s*[:\\-]\\s*(?:khong ro|chua ro)`` gives
``[{"xuat xu", "nguon goc"}, {"khong ro", "chua ro"}]``; a text without them is not searched at all
(a plain ``in`` per literal). A pattern whose tree holds something this module does not read gives
no clause: it is then tried on every text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import product
from typing import Any

import re2

try:  # the parser behind ``re.compile``; named sre_parse before Python 3.11
    from re import _constants as _sre  # type: ignore[attr-defined]
    from re import _parser as _sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - Python < 3.11
    import sre_constants as _sre  # type: ignore[no-redef]
    import sre_parse as _sre_parse  # type: ignore[no-redef]

__all__ = ["RegexError", "RegexSet", "RuleRegex", "required_literals"]

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


_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # a bad pattern is reported by the loader as file:line, not on stderr


class RegexError(ValueError):
    """A pattern RE2 does not accept (its message says why)."""


class RuleRegex:
    """One rule regex: RE2 for matching, the literals a match needs for a cheap pre-test."""

    __slots__ = ("_clauses", "compiled", "pattern")

    def __init__(self, pattern: str) -> None:
        try:
            self.compiled = re2.compile(pattern, options=_OPTIONS)
        except re2.error as exc:
            detail = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
            raise RegexError(f"not accepted by RE2, the linear-time engine rules run on: {detail}") from exc
        self.pattern = pattern
        try:
            clauses = required_literals(re.compile(pattern))
        except re.error:
            clauses = []
        self._clauses = [sorted(clause, key=len, reverse=True) for clause in clauses]

    def possible(self, text: str) -> bool:
        """False only when no match can be in ``text`` (a literal every match needs is missing)."""
        for clause in self._clauses:
            for literal in clause:
                if literal in text:
                    break
            else:
                return False
        return True

    def spans(self, text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
        """The spans of the non-empty matches in ``text[start:end]``."""
        if not self.possible(text):
            return []
        stop = len(text) if end is None else end
        return [m.span() for m in self.compiled.finditer(text, start, stop) if m.end() > m.start()]

    def search(self, text: str) -> tuple[int, int] | None:
        """The span of the first match in ``text``, None when there is none."""
        if not self.possible(text):
            return None
        match = self.compiled.search(text)
        return match.span() if match else None


class RegexSet:
    """Many rule regexes tried in one pass (an RE2 set): which of them match a text."""

    __slots__ = ("_set", "patterns")

    def __init__(self, patterns: list[RuleRegex]) -> None:
        self.patterns = patterns
        self._set = re2.Set.SearchSet(_OPTIONS)
        for pattern in patterns:
            self._set.Add(pattern.pattern)
        self._set.Compile()

    def matching(self, text: str) -> list[RuleRegex]:
        """The patterns that match somewhere in ``text``, in their order."""
        if not self.patterns:
            return []
        found = self._set.Match(text)
        return [self.patterns[index] for index in sorted(found)] if found else []
