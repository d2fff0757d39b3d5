"""``python -m bench crawl`` in a tiny mode: it serves, crawls both variants, and prints a sane table.

Nothing here is timed: the figures are checked for shape and plausibility, not speed.
"""

from __future__ import annotations

import re

import pytest

from bench.crawl import _templates, listings_for, main, synthetic_listings


def _row(out: str, what: str) -> list[str]:
    for line in out.splitlines():
        if line.startswith(f"| {what} |"):
            return [cell.strip() for cell in line.strip("|").split("|")]
    raise AssertionError(f"no row {what!r} in:\n{out}")


def _number(cell: str) -> float:
    match = re.match(r"([\d,.]+)", cell)
    assert match, cell
    return float(match[1].replace(",", ""))


@pytest.mark.slow
def test_a_tiny_run_prints_both_variants_and_the_ratio(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--listings", "80", "--runs", "1"]) == 0
    captured = capsys.readouterr()
    out = captured.out
    assert re.search(r"crawl of 80 synthetic Tiki listings .* 2 cores|crawl of 80 synthetic Tiki listings", out)
    assert "| bare Scrapy (pipelines off): 1 runs, 82 pages, 80 listings |" in out  # 80 details + 2 search pages
    assert "| full pipeline: 1 runs, 82 pages, 80 listings |" in out
    for variant in ("bare", "full"):
        assert 0 < _number(_row(out, f"{variant}: pages/s (wall)")[1]) < 100_000
        wall = _number(_row(out, f"{variant}: wall time")[1])
        cpu = _number(_row(out, f"{variant}: CPU time of the crawl process")[1])
        assert cpu > 0 and 0 < wall < 600
        assert 30 < _number(_row(out, f"{variant}: peak RSS of the crawl process")[1]) < 2_000  # MB
    speed = _row(out, "full: pages/s (wall)")
    assert speed[3] == "≥ 0.90×" and 0 < _number(speed[2]) < 5
    assert _number(_row(out, "full: CPU time of the crawl process")[2]) < 1.5  # the pipelines cost CPU
    assert "[bare 1/1]" in captured.err and "[full 1/1]" in captured.err  # progress, one line per crawl


def test_the_synthetic_listings_are_stable_distinct_and_priced_near_their_template() -> None:
    made = list(synthetic_listings(300))
    assert made == list(synthetic_listings(300))
    for field in ("listing_id", "url", "title"):
        assert len({record[field] for record in made}) == 300
    templates = _templates()
    for i, record in enumerate(made):
        template = templates[i % len(templates)]
        product, spid = record["listing_id"].split("-")
        assert record["url"].endswith(f"-p{product}.html?spid={spid}") and record["title"].startswith(template["title"])
        if isinstance(template["price"], int) and template["price"] > 1_000:
            assert 0.89 * template["price"] <= record["price"] <= 1.11 * template["price"]
        assert "expected_kinds" not in record


def test_pages_give_enough_listings() -> None:
    assert listings_for(20_500) == 20_000  # 20,000 details + 500 search pages
    assert listings_for(41) == 40 and listings_for(1) == 1


def test_help_teaches_and_bad_arguments_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    text = capsys.readouterr().out
    for word in ("bare", "full", "--baseline", "--memory", "peak RSS", "politeness off", "CONCURRENT_ITEMS"):
        assert word in text
    assert main(["--variants", "turbo"]) == 2
    assert main(["--runs", "0"]) == 2
    assert "--variants: expected bare and/or full" in capsys.readouterr().err
