"""The demo marketplace works each search out once: a crawl of 100,000 listings asks the same search
2,500 times (one page each), and every page must come from the same result, faults still armed per request."""

from __future__ import annotations

from crawler.demo.marketplace import DEFAULT_DATA, Marketplace, load_listings


def test_a_search_is_worked_out_once_and_answers_the_same() -> None:
    market = Marketplace(load_listings(DEFAULT_DATA))
    first, faults = market.search("tiki", "iPhone 15")
    again, _ = market.search("tiki", "iphone   15")  # the same folded words
    assert first and again is first  # the kept result, not a second pass over every listing
    assert all("iphone" in record["_folded"] and "15" in record["_folded"] for record in first)
    assert faults == set()
    faulty, armed = market.search("tiki", "iphone 15 __malformed__")
    assert faulty is first and armed == {"__malformed__"}  # the fault tokens are read per request
    everything, _ = market.search("tiki", "*")
    assert len(everything) == sum(1 for record in market.listings if record["platform"] == "tiki")
