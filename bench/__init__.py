"""Benchmarks (``make bench`` = ``python -m bench``); each ``bench/*.py`` module with ``main()`` is one."""
