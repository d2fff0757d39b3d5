"""Who may import whom (DESIGN.md): data flows one way, and this test keeps it so.

- spiders/ → crawler.items, crawler.text, crawler.prices, and two leaf modules of the network side:
  crawler.net_policy (Chromium's own requests obey it) and crawler.screenshot_queue (the URLs the
  ``screenshots`` spider renders): never the rule engine or the store;
- crawler/detect/ → items, text, prices: a pure library, no Scrapy, no store;
- crawler/store/ → items (and the text/price utilities): no rules, no UI, no Scrapy;
- crawler/review/ → the store, never the rule engine or Scrapy;
- crawler/web/ → the review code, never the store (or a database driver) directly.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
UTILITIES = ("crawler.items", "crawler.text", "crawler.prices")

RULES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # area: (allowed project prefixes, forbidden third-party prefixes)
    "spiders": (("spiders", "crawler.net_policy", "crawler.screenshot_queue", *UTILITIES), ()),
    "crawler/detect": (("crawler.detect", *UTILITIES), ("scrapy",)),
    "crawler/store": (("crawler.store", *UTILITIES), ("scrapy",)),
    "crawler/review": (
        ("crawler.review", "crawler.store", "crawler.evidence", "crawler.__version__", "crawler", *UTILITIES),
        ("scrapy", "crawler.detect"),
    ),
    # the web UI reads and decides through the review code, never the store or a database directly
    "crawler/web": (("crawler.web", "crawler.review", "crawler.days", *UTILITIES), ("scrapy", "pymongo", "sqlite3")),
}
PROJECT = ("crawler", "spiders", "pipelines")


def _imports(path: Path) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


@pytest.mark.parametrize("area", sorted(RULES))
def test_imports_point_one_way(area: str) -> None:
    allowed, forbidden = RULES[area]
    files = sorted((REPO / area).rglob("*.py"))
    assert files, f"no Python files under {area}"
    problems = []
    for path in files:
        for line, name in _imports(path):
            if _within(name, PROJECT) and not _within(name, allowed):
                problems.append(f"{path.relative_to(REPO)}:{line}: imports {name}")
            if forbidden and _within(name, forbidden):
                problems.append(f"{path.relative_to(REPO)}:{line}: imports {name}")
    assert not problems, "\n".join(problems)
