"""The progress line (crawler/progress.py): its text from the stats, its rates over the interval, off at
PROGRESS_INTERVAL=0, and in a real crawl's log with the crawl's counts."""

from __future__ import annotations

import itertools
import logging
import re
from pathlib import Path

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from crawler.progress import ProgressLog, progress_line
from tests.test_cli_exit_codes import last_summary, scrapy_crawl, tiki_on

STATS = {"crawl/pages": 120, "response_received_count": 123, "item_scraped_count": 95,
         "detect/flagged/banned": 4, "detect/flagged/counterfeit": 6, "crawl/errors/http/404": 2,
         "crawl/errors/download/TimeoutError": 1}  # fmt: skip


def test_the_line_says_pages_listings_flags_errors_and_rates() -> None:
    assert progress_line(STATS, 240, 190.4) == (
        "Progress: 120 pages (240/min), 95 listings (190/min), flags 10 (banned 4, counterfeit 6), errors 3"
    )
    assert progress_line({}, 0, 0) == "Progress: 0 pages (0/min), 0 listings (0/min), flags 0, errors 0"


def test_rates_are_over_the_last_interval(caplog: pytest.LogCaptureFixture) -> None:
    crawler = get_crawler(settings_dict={"PROGRESS_INTERVAL": 30})
    crawler.stats.open_spider()
    progress = ProgressLog.from_crawler(crawler)
    crawler.stats.set_value("crawl/pages", 10)
    crawler.stats.set_value("item_scraped_count", 4)
    with caplog.at_level(logging.INFO, logger="crawler.progress"):
        progress.log(None)
        for key, value in STATS.items():
            crawler.stats.set_value(key, value)
        progress.log(None)
    assert [record.getMessage() for record in caplog.records] == [
        "Progress: 10 pages (20/min), 4 listings (8/min), flags 0, errors 0",
        "Progress: 120 pages (220/min), 95 listings (182/min), flags 10 (banned 4, counterfeit 6), errors 3",
    ]


def test_interval_zero_switches_it_off() -> None:
    with pytest.raises(NotConfigured):
        ProgressLog.from_crawler(get_crawler(settings_dict={"PROGRESS_INTERVAL": 0}))


LINE = re.compile(r"\[crawler\.progress\] INFO: Progress: (\d+) pages \(\d+/min\), (\d+) listings \(\d+/min\), "
                  r"flags (\d+)(?: \([a-z_ \d,]+\))?, errors (\d+)$", re.MULTILINE)  # fmt: skip


@pytest.mark.slow
def test_a_crawl_logs_its_progress(server: str, tmp_path: Path) -> None:
    result = scrapy_crawl("tiki", tmp_path, "-a", "keywords=*", bases=tiki_on(server), PROGRESS_INTERVAL="0.2",
                          CONCURRENT_REQUESTS="2", DOWNLOAD_DELAY="0.01")  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Crawled 0 pages" not in result.stderr  # Scrapy's own LogStats line is replaced
    lines = [tuple(map(int, match)) for match in LINE.findall(result.stderr)]
    assert len(lines) >= 3, result.stderr[-3000:]
    summary = last_summary(result.stderr)
    pages, listings = (int(n) for n in re.search(r"pages: (\d+) fetched.*\n  listings: (\d+)", summary).groups())
    flags = sum(int(n) for n in re.findall(r" (\d+)", summary.split("flags: ")[1].splitlines()[0]))
    # each line counts what the crawl had done so far: never backwards, never past the totals
    for before, after in itertools.pairwise(lines):
        assert all(a <= b for a, b in zip(before, after, strict=True)), lines
    assert all(p <= pages and n <= listings and f <= flags and e == 0 for p, n, f, e in lines)
    assert any(0 < n < listings for _, n, _, _ in lines) and any(f > 0 for _, _, f, _ in lines)
