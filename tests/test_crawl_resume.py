"""A crawl stopped with SIGTERM and resumed with the same ``JOBDIR`` fetches nothing twice and stores
every listing once (Scrapy's persistent scheduler queue and dupefilter, the store's journal).

Real ``scrapy crawl tiki`` processes against the demo marketplace with every pipeline on; what was
fetched is read from the marketplace's own request log (``--verbose``), not from the crawler.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from crawler.demo.process import MarketplaceProcess
from crawler.exit_codes import ExitCode
from crawler.store import open_store
from tests.mockserver import REPO
from tests.request_log import detail_targets, repeated, requested
from tests.spider_runs import logged_stat, store_crawl_command

pytestmark = pytest.mark.slow

LISTINGS = {"tiki": 95, "shopee": 104}
"""The demo data's listings per spider (crawler/demo/data/listings.jsonl), one detail request each."""


def _command(spider: str, base_url: str, workdir: Path, *settings: str) -> list[str]:
    return store_crawl_command(spider, base_url, workdir, {
        "JOBDIR": str(workdir / "jobs" / f"{spider}-all"), "STORE_BATCH_SIZE": "20",
    }, *settings)


@pytest.mark.parametrize("spider", ["tiki", "shopee"])
def test_sigterm_then_resume_fetches_nothing_twice_and_stores_every_listing_once(spider: str, tmp_path: Path) -> None:
    """Shopee also looks shops up (``get_shop_info``): the shops the first part looked up are not asked
    again (their names are in the spider's state, saved in JOBDIR)."""
    with MarketplaceProcess("--verbose") as market:
        # slow enough to be stopped part-way: one request at a time, 0.1 s apart
        slow = ("CONCURRENT_REQUESTS=1", "DOWNLOAD_DELAY=0.1")
        log_path = tmp_path / "first.log"
        with log_path.open("w") as log:
            first = subprocess.Popen(_command(spider, market.base_url, tmp_path, *slow), cwd=REPO, stdout=log,
                                     stderr=subprocess.STDOUT)  # fmt: skip
            try:
                deadline = time.monotonic() + 120
                while len(detail_targets(requested(market.stderr()), spider)) < 30 and first.poll() is None:
                    assert time.monotonic() < deadline, "the crawl fetched too little too slowly"
                    time.sleep(0.05)
                os.kill(first.pid, signal.SIGTERM)  # as `systemctl stop` or `docker stop` does
                first.wait(timeout=60)
            finally:
                if first.poll() is None:  # the test failed half-way: stopped by its PID
                    first.kill()
                    first.wait(10)
        first_log = log_path.read_text(errors="replace")
        assert first.returncode == ExitCode.INTERRUPTED, first_log[-3000:]
        assert "'finish_reason': 'shutdown'" in first_log
        before = requested(market.stderr())
        first_details = detail_targets(before, spider)
        assert 30 <= len(first_details) < LISTINGS[spider], "stopped too late to test a resume"
        first_stored = logged_stat(first_log, "store/inserted")
        assert first_stored == logged_stat(first_log, "item_scraped_count") > 0

        second = subprocess.run(_command(spider, market.base_url, tmp_path), cwd=REPO, capture_output=True, text=True,
                                timeout=300, check=False)  # fmt: skip
        assert second.returncode == ExitCode.OK, second.stderr[-3000:]
        everything = requested(market.stderr())
    after = everything[len(before):]
    print(f"resume {spider}: first run {len(before)} requests ({len(first_details)} details, {first_stored} stored), "
          f"second run {len(after)} requests")  # fmt: skip
    assert after, "the resumed crawl fetched nothing"
    assert not set(after) & set(before), f"fetched again: {sorted(set(after) & set(before))[:10]}"
    assert not repeated(everything), repeated(everything)
    assert len(detail_targets(everything, spider)) == LISTINGS[spider]
    with open_store(f"sqlite:///{tmp_path / 'store.sqlite3'}") as store:
        stored = [listing.listing_id for listing in store.iter_listings()]
    assert len(stored) == len(set(stored)) == LISTINGS[spider]
    # each listing inserted once over both runs: none fetched twice, none lost in between
    assert first_stored + logged_stat(second.stderr, "store/inserted") == LISTINGS[spider]
    assert logged_stat(second.stderr, "store/updated") == 0
