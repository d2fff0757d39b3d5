"""Extra routes of the demo marketplace, one module per platform or page kind.

Every module here defines ``handle(handler, path, query) -> bool``: it answers the request with the
handler's helpers (``handler._json``, ``handler._html``, ``handler._send``, ``handler._malformed``,
``handler.market``, ``handler.base``) and returns True, or returns False to let the next route try.
The marketplace asks them, in module-name order, before its built-in Tiki and Shopee routes.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from functools import cache
from typing import Any

Route = Callable[[Any, str, dict[str, list[str]]], bool]


@cache
def extra_routes() -> tuple[Route, ...]:
    """The ``handle`` function of every module in this package, in module-name order."""
    routes: list[Route] = []
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name):
        if not module.name.startswith("_"):
            routes.append(importlib.import_module(f"{__name__}.{module.name}").handle)
    return tuple(routes)
