"""Run every benchmark module of ``bench/`` (each module with a ``main(argv)`` function), in name order.

``python -m bench`` runs them all; ``python -m bench detect_throughput --n 20000`` runs one with
its own arguments; ``python -m bench --help`` lists them (``python -m bench NAME --help``: its options).
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def _modules() -> list[str]:
    here = Path(__file__).resolve().parent
    return sorted(
        info.name for info in pkgutil.iter_modules([str(here)])
        if not info.name.startswith("_")
    )


def _usage(names: list[str]) -> str:
    lines = ["usage: python -m bench [NAME [OPTIONS]]", "",
             "Runs every benchmark, or the one named with its own options (NAME --help lists them).", "",
             "benchmarks:"]
    for name in names:
        doc = (importlib.import_module(f"bench.{name}").__doc__ or "").strip().splitlines()
        lines.append(f"  {name:<20} {doc[0] if doc else ''}")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    """Run the named benchmark (with the remaining arguments) or all of them."""
    names = _modules()
    if argv and argv[0] in names:
        return int(importlib.import_module(f"bench.{argv[0]}").main(argv[1:]) or 0)
    if argv and argv[0] in ("-h", "--help"):
        print(_usage(names))
        return 0
    if argv:
        print(f"unknown benchmark {argv[0]!r}\n\n{_usage(names)}", file=sys.stderr)
        return 2
    status = 0
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        if hasattr(module, "main"):
            print(f"== bench.{name}", flush=True)
            status |= int(module.main([]) or 0)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
