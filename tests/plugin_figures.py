"""A pytest plugin: what tests marked ``figures`` print is shown at the end of the run.

pytest captures what a passing test prints, so the figures some tests compute (precision and recall
on the evaluation set, listings per second, the real samples' coverage) would never reach the
output of ``make test``. A test marked ``@pytest.mark.figures`` keeps printing them with ``print``
(as readable under ``pytest -s``); this plugin gathers the captured output of those that passed and
writes it in a "figures printed by the tests" section after the run (a failing test's output is
shown by pytest anyway).
"""

from __future__ import annotations

import pytest

MARK = "figures"
SECTION = "figures printed by the tests"


class FiguresSummary:
    """Collects marked tests' captured output during the run and writes it at the end."""

    def __init__(self) -> None:
        self.figures: list[tuple[str, str]] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Keep the captured output of a marked test that passed."""
        if report.when == "call" and report.passed and MARK in report.keywords:
            text = report.capstdout.strip("\n")
            if text.strip():
                self.figures.append((report.nodeid, text))

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        """Write every marked test's figures, under its node id."""
        if not self.figures:
            return
        terminalreporter.section(SECTION)
        for nodeid, text in self.figures:
            terminalreporter.write_line(nodeid)
            for line in text.splitlines():
                terminalreporter.write_line(f"    {line}")


def pytest_configure(config: pytest.Config) -> None:
    """Declare the marker and register the collector."""
    config.addinivalue_line("markers", f"{MARK}: what the test prints is shown in the run's figures section")
    config.pluginmanager.register(FiguresSummary(), "figures-summary")
