"""Evasion transforms, and how the rules' own cases hold up under them (``crawler rules evasions``).

Sellers write around filters; a rule is only as good as its worst spelling. Every positive case of
every rule file (a listing that must match some rules, a catalog case that must find a brand) must
still match after each *evasion* transform of its title and description; every negative case must
still come out as it says after each *benign* transform (one that changes no meaning). A transform
that leaves a case's text as it was (teencode on a text without "không") does not count for it.

Transforms are deterministic (seeded per case) so that a failure can be reproduced.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from crawler.detect.cases import CaseResult, _run_catalog_case, _run_rule_case
from crawler.detect.engine import Detector
from crawler.detect.fields import vietnamese_shaped
from crawler.detect.model import CaseSpec, RuleSet
from crawler.items import Listing

__all__ = ["BENIGN", "EVASIONS", "TransformResult", "evasion_report", "transformed"]

Transform = Callable[[str, random.Random], str]
_WORD = re.compile(r"[^\W\d_]+")


def _words(text: str, fn: Callable[[str], str]) -> str:
    return _WORD.sub(lambda m: fn(m.group(0)), text)


def _split_inside(mark: str) -> Transform:
    """A symbol inside every word of two letters or more: "Gu.cci", "Th.uốc", "l.á"."""
    def apply(text: str, rng: random.Random) -> str:
        return _words(text, lambda w: w if len(w) < 2 else (lambda i: w[:i] + mark + w[i:])(rng.randint(1, len(w) - 1)))
    return apply


def _underscore_between(text: str, rng: random.Random) -> str:
    """Words joined by underscores: "Vans_Old_Skool"."""
    return re.sub(r"(?<=\w) (?=\w)", "_", text)


def _spaced_letters(text: str, rng: random.Random) -> str:
    """Letters spaced out, words split by an emoji or a symbol: "p h á o 💥 h o a"."""
    emoji = rng.choice(["💥", "🔥", "⭐", "•", "✨"])
    out: list[str] = []
    position = 0
    for match in _WORD.finditer(text):
        between = text[position:match.start()]
        if out and between.strip() == "":
            between = f" {emoji} "
        out.append(between)
        out.append(" ".join(match.group(0)))
        position = match.end()
    out.append(text[position:])
    return "".join(out)


_LEET = {"o": "0", "i": "1", "e": "3", "a": "4", "O": "0", "I": "1", "E": "3", "A": "4"}


def _leet(text: str, rng: random.Random) -> str:
    """Digits for letters in words of plain Latin letters: "T0m F0rd", "v4p3", "N1K3"."""
    return _words(text, lambda w: "".join(_LEET.get(c, c) for c in w) if w.isascii() and len(w) >= 3 else w)


def _strip_diacritics(text: str, rng: random.Random) -> str:
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


def _nfd(text: str, rng: random.Random) -> str:
    return unicodedata.normalize("NFD", text)


_MATH_STARTS = {"bold": (0x1D400, 0x1D41A, 0x1D7CE), "italic": (0x1D434, 0x1D44E, None),
                "script-bold": (0x1D4D0, 0x1D4EA, None), "double-struck": (0x1D538, 0x1D552, 0x1D7D8),
                "sans-bold": (0x1D5D4, 0x1D5EE, 0x1D7EC)}
_MATH_HOLES = {0x1D455: "ℎ", 0x1D53A: "ℂ", 0x1D53F: "ℍ", 0x1D545: "ℕ", 0x1D547: "ℙ", 0x1D548: "ℚ",
               0x1D549: "ℝ", 0x1D551: "ℤ"}


def _math_letters(text: str, rng: random.Random) -> str:
    """Mathematical bold / italic / script / double-struck / sans letters ("𝐕𝐀𝐍𝐒"), diacritics kept
    as combining marks."""
    upper, lower, digits = _MATH_STARTS[rng.choice(sorted(_MATH_STARTS))]
    out: list[str] = []
    for ch in unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D")):
        if "A" <= ch <= "Z":
            code = upper + ord(ch) - 65
        elif "a" <= ch <= "z":
            code = lower + ord(ch) - 97
        elif "0" <= ch <= "9" and digits is not None:
            code = digits + ord(ch) - 48
        else:
            out.append(ch)
            continue
        out.append(_MATH_HOLES.get(code, chr(code)))
    return "".join(out)


_ACUTE = {"a": "á", "e": "é", "i": "í", "o": "ó", "u": "ú", "y": "ý", "A": "Á", "E": "É", "I": "Í", "O": "Ó",
          "U": "Ú", "Y": "Ý"}


def _accents_added(text: str, rng: random.Random) -> str:
    """An acute accent on a vowel of every Latin word that is no Vietnamese syllable: "MineCráft",
    "Ádidas", "Vápe" (a Vietnamese word written without diacritics changes meaning with one)."""
    def accent(word: str) -> str:
        if not word.isascii() or vietnamese_shaped(word.lower()):
            return word
        vowels = [i for i, c in enumerate(word) if c in _ACUTE]
        if not vowels:
            return word
        i = rng.choice(vowels)
        return word[:i] + _ACUTE[word[i]] + word[i + 1:]
    return _words(text, accent)


def _zero_width(text: str, rng: random.Random) -> str:
    """A zero-width character inside every word of three letters or more."""
    marks = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"]
    return _words(text, lambda w: w if len(w) < 3 else (lambda i: w[:i] + rng.choice(marks) + w[i:])(
        rng.randint(1, len(w) - 1)))


def _upper(text: str, rng: random.Random) -> str:
    return text.upper()


_TEENCODE = [(r"\bkhông\b", "k"), (r"\bKhông\b", "K"), (r"\bhàng\b", "hàg"), (r"\bHàng\b", "Hàg"),
             (r"\bđược\b", "dc"), (r"\bxách tay\b", "xtay"), (r"\bsản phẩm\b", "sp")]


def _teencode(text: str, rng: random.Random) -> str:
    """Teencode: "k" for không, "hàg" for hàng, "dc" for được, "xtay" for xách tay, "sp" for sản phẩm."""
    for pattern, short in _TEENCODE:
        text = re.sub(pattern, short, text)
    return text


def _extra_spaces(text: str, rng: random.Random) -> str:
    return re.sub(r" ", "  ", text)


EVASIONS: dict[str, Transform] = {
    "dots_inside_words": _split_inside("."),
    "underscores_inside_words": _split_inside("_"),
    "underscores_between_words": _underscore_between,
    "letters_spaced_emoji_between": _spaced_letters,
    "digits_for_letters": _leet,
    "diacritics_stripped": _strip_diacritics,
    "nfd": _nfd,
    "math_letters": _math_letters,
    "accents_on_latin_words": _accents_added,
    "zero_width": _zero_width,
    "upper_case": _upper,
    "teencode": _teencode,
}
"""Transforms a positive case must survive."""
def _decorated(text: str, rng: random.Random) -> str:
    """Emoji and hashtags around the text, as shops decorate titles: "🔥🔥 … ✅ #freeship"."""
    return f"{rng.choice(['🔥🔥 ', '⚡ ', '[HOT] ', '✨ '])}{text}{rng.choice([' ✅', ' #freeship', ' 💯', ' ❤️'])}"


BENIGN: dict[str, Transform] = {
    "nfd": _nfd,
    "upper_case": _upper,
    "extra_spaces": _extra_spaces,
    "decorated": _decorated,
}
"""Transforms that change no meaning: a negative case must stay negative. (Zero-width characters
are not among them: they hide a word from filters, and a brand written with them counts as
spelt evasively.)"""


def transformed(case: CaseSpec, transform: Transform, seed: str) -> CaseSpec | None:
    """The case with its listing's and peers' titles and descriptions transformed; None when the
    transform changes nothing in the listing."""
    rng = random.Random(seed)

    def apply(listing: Listing) -> Listing:
        update = {name: transform(value, rng) for name in ("title", "description")
                  if isinstance(value := getattr(listing, name), str) and value}
        return listing.model_copy(update=update)

    listing = apply(case.listing)
    if (listing.title, listing.description) == (case.listing.title, case.listing.description):
        return None
    # a copy of the spec with the listing (NFC, as a Listing validated from a spider would be)
    listing = Listing.model_validate(listing.model_dump())
    peers = [Listing.model_validate(apply(peer).model_dump()) for peer in case.peers]
    return CaseSpec(path=case.path, index=case.index, line=case.line, kind=case.kind, listing=listing, peers=peers,
                    match=case.match, no_match=case.no_match, no_flags_of_kind=case.no_flags_of_kind,
                    expect=dict(case.expect), note=case.note)


@dataclass(slots=True)
class TransformResult:
    """How the cases held up under one transform."""

    name: str
    kind: str
    """"evasion" (positive cases) or "benign" (negative cases)."""
    applied: int = 0
    passed: int = 0
    failures: list[CaseResult] = field(default_factory=list)

    @property
    def rate(self) -> float:
        """Share of the cases it changed that still came out right (1.0 when it changed none)."""
        return self.passed / self.applied if self.applied else 1.0


def _positive(case: CaseSpec) -> bool:
    return bool(case.match) or (case.kind == "catalog" and case.expect.get("brand") is not None)


def _negative(case: CaseSpec) -> bool:
    return case.kind != "catalog" and not case.match


def _still_matches(detector: Detector, case: CaseSpec) -> CaseResult:
    """Run a positive case, keeping only what makes it positive (its ``match`` rules, its brand)."""
    if case.kind == "catalog":
        result = _run_catalog_case(detector, case)
        expected = case.expect["brand"]
        result.ok = expected in result.got["brands"]
        return result
    result = _run_rule_case(detector, case)
    result.ok = all(rule_id in result.got["flags"] for rule_id in case.match)
    return result


def evasion_report(ruleset: RuleSet, detector: Detector | None = None) -> list[TransformResult]:
    """Every evasion transform on every positive case, every benign one on every negative case."""
    detector = detector if detector is not None else Detector(ruleset)
    results: list[TransformResult] = []
    for group, transforms, wanted, run in (("evasion", EVASIONS, _positive, _still_matches),
                                           ("benign", BENIGN, _negative, _run_rule_case)):
        for name, transform in transforms.items():
            outcome = TransformResult(name, group)
            for case in ruleset.cases:
                if not wanted(case):
                    continue
                changed = transformed(case, transform, f"{name}:{case.path}:{case.index}")
                if changed is None:
                    continue
                result = run(detector, changed)
                outcome.applied += 1
                if result.ok:
                    outcome.passed += 1
                else:
                    outcome.failures.append(result)
            results.append(outcome)
    return results
