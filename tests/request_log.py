"""What the demo marketplace fetched: its ``--verbose`` request log (stderr), as request targets.

    with MarketplaceProcess("--verbose") as market:
        ...
        targets = requested(market.stderr())     # ["/tiki/api/v2/products?limit=40&q=%2A&page=1", …]

``robots.txt`` is left out: every crawl asks for it once, resumed or not.
"""

from __future__ import annotations

import re
from collections import Counter

REQUEST_LINE = re.compile(r'^\S+ - - \[[^\]]*\] "(?:GET|HEAD) (\S+) HTTP/1\.[01]" (\d{3}) ', re.MULTILINE)


def requested(log: str) -> list[str]:
    """Every request target the server answered, in order (``/robots.txt`` left out)."""
    return [target for target, _ in REQUEST_LINE.findall(log) if target != "/robots.txt"]


DETAILS = {"tiki": r"/tiki/api/v2/products/\d+", "shopee": r"/shopee/api/v4/item/get\?"}
"""The detail request of one listing, per spider (one per listing on the demo marketplace)."""


def detail_targets(targets: list[str], spider: str = "tiki") -> list[str]:
    """The detail requests of ``spider`` among ``targets`` (one per listing)."""
    return [target for target in targets if re.match(DETAILS[spider], target)]


def repeated(targets: list[str]) -> dict[str, int]:
    """The targets asked more than once, with how many times."""
    return {target: count for target, count in Counter(targets).items() if count > 1}
