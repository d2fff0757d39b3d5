"""``python -m bench``: --help lists the benchmarks without running them; an unknown name is an error."""

from __future__ import annotations

import pytest

from bench.__main__ import main


def test_help_lists_the_benchmarks_and_runs_none(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "detect_throughput" in out and "store_scale" in out
    assert "listings/s" not in out  # nothing was measured


def test_an_unknown_benchmark_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["no_such_bench"]) == 2
    assert "unknown benchmark 'no_such_bench'" in capsys.readouterr().err
