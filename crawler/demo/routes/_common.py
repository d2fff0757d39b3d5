"""What the platform route plug-ins share: slugs, query parameters, paging, the raw-sample files."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from crawler.text import fold


def slug(text: str) -> str:
    """``"Zinus Official Store"`` → ``"zinus-official-store"``."""
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")


def param(query: dict[str, list[str]], name: str, default: str = "") -> str:
    """The first value of a query parameter."""
    return query.get(name, [default])[0]


def int_param(query: dict[str, list[str]], name: str, default: int) -> int:
    """An integer query parameter; the default when absent or not a number (the real sites are lenient)."""
    try:
        return max(0, int(param(query, name, str(default))))
    except ValueError:
        return default


def raw_file(handler: Any, *parts: str) -> Path | None:
    """A file of the real samples (``--raw-samples``), or None when not served / absent."""
    root = handler.market.raw_samples
    if root is None:
        return None
    path = Path(root, *parts)
    return path if path.is_file() else None


def raw_json(handler: Any, *parts: str) -> Any:
    """A real-sample JSON file, parsed once per server; None when not served."""
    path = raw_file(handler, *parts)
    if path is None:
        return None
    return handler.market.cached(str(path), lambda: json.loads(path.read_text(encoding="utf-8")))


def send_page(handler: Any, payload: Any, faults: set[str]) -> None:
    """A listing page, truncated when ``__malformed__`` is armed."""
    if "__malformed__" in faults:
        handler._malformed(payload)
    else:
        handler._json(payload)
