"""tests/plugin_figures.py: a marked test's printed figures reach the run's output; others' do not."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]


def test_marked_tests_print_their_figures_after_the_run(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.figures
        def test_marked():
            print("precision 0.97 recall 0.91")

        def test_unmarked():
            print("not a figure")

        @pytest.mark.figures
        def test_marked_silent():
            pass
        """
    )
    result = pytester.runpytest("-p", "tests.plugin_figures")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["*figures printed by the tests*", "*::test_marked", "    precision 0.97 recall 0.91"])
    assert "not a figure" not in result.stdout.str()
    assert "test_marked_silent" not in result.stdout.str()


def test_no_section_without_figures(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_plain():\n    print('x')\n")
    result = pytester.runpytest("-p", "tests.plugin_figures")
    result.assert_outcomes(passed=1)
    assert "figures printed by the tests" not in result.stdout.str()
