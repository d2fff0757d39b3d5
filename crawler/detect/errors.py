"""The one error type of rule loading: a located message, ``path:line: message``."""

from __future__ import annotations


class RuleLoadError(Exception):
    """A problem in a rule file, located by path and 1-based line (0 when no line applies)."""

    def __init__(self, path: str, line: int, message: str) -> None:
        super().__init__(path, line, message)
        self.path = path
        self.line = line
        self.message = message

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"

    def __repr__(self) -> str:
        return f"RuleLoadError({self.path!r}, {self.line!r}, {self.message!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RuleLoadError):
            return NotImplemented
        return (self.path, self.line, self.message) == (other.path, other.line, other.message)

    def __hash__(self) -> int:
        return hash((self.path, self.line, self.message))


class RuleFilesError(Exception):
    """Rule files with errors, where errors stop the run (a crawl, ``crawler detect``) unless
    ``RULES_ALLOW_ERRORS=1``: the message lists every error as ``path:line: message``."""

    def __init__(self, errors: list[RuleLoadError]) -> None:
        super().__init__(errors)
        self.errors = list(errors)

    def __str__(self) -> str:
        listed = "\n".join(f"  {error}" for error in self.errors)
        return (
            f"{len(self.errors)} rule file error(s); fix them or set RULES_ALLOW_ERRORS=1 to run with "
            f"the rules that loaded:\n{listed}"
        )


def rules_allow_errors() -> bool:
    """Whether ``RULES_ALLOW_ERRORS`` (environment) lets runs go on with the rules that loaded."""
    import os

    return os.environ.get("RULES_ALLOW_ERRORS", "").strip().lower() in {"1", "true", "yes", "on"}
