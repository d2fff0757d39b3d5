"""First pipeline: validate what a spider yielded into a :class:`crawler.items.Listing`.

A listing is only dropped when it cannot be a listing at all (no platform, id, url or title); the
reason is logged with the URL and counted (``normalize/dropped``). A bad value in any other field
(a price such as "Liên hệ!!", a rating of 7) is logged as ``URL field=NAME: what is wrong``, counted
(``normalize/invalid_field/NAME``) and left empty, and the listing goes on: a suspicious listing
with an unreadable price is still a suspicious listing (it counts once in ``normalize/with_invalid_fields``).

Field coverage, for the end-of-crawl monitors (:mod:`crawler.monitors`): every item that reaches the
pipeline counts in ``fields/listings``; each valid listing with a title, a price, a seller (name or
platform id) and an origin counts in ``fields/present/title`` … ``fields/present/origin``. A dropped
item counts as having none of them. Four checks per listing: the counters cost O(1).
"""

from __future__ import annotations

import logging
from typing import Any, Self

from pydantic import ValidationError
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from crawler.items import Listing

logger = logging.getLogger(__name__)

REQUIRED_FIELDS = frozenset({"platform", "listing_id", "url", "title"})

COVERAGE_FIELDS: tuple[str, ...] = ("title", "price", "seller", "origin")
"""The fields whose coverage the monitors compare with the job's history."""
FIELDS_LISTINGS = "fields/listings"
FIELDS_PRESENT = "fields/present/"


def present_fields(listing: Listing) -> list[str]:
    """Which of :data:`COVERAGE_FIELDS` the listing has (a seller by name or platform id)."""
    seller = listing.seller
    checks = (bool(listing.title), listing.price is not None, bool(seller.name or seller.platform_id),
              bool(listing.origin))
    return [name for name, present in zip(COVERAGE_FIELDS, checks, strict=True) if present]


def _drop_path(data: dict[str, Any], loc: tuple[int | str, ...]) -> None:
    """Remove the value at ``loc`` (a pydantic error location) from nested dicts/lists."""
    target: Any = data
    for step in loc[:-1]:
        try:
            target = target[step]
        except (KeyError, IndexError, TypeError):
            return
    last = loc[-1]
    if isinstance(target, dict):
        target.pop(last, None)
    elif isinstance(target, list) and isinstance(last, int) and 0 <= last < len(target):
        target[last] = None
        target[:] = [value for value in target if value is not None]


def _describe(error: dict[str, Any]) -> tuple[str, str]:
    field = ".".join(str(step) for step in error["loc"]) or "listing"
    message = error["msg"].removeprefix("Value error, ")
    return field, f"{message} (got {error.get('input')!r:.80})"


class NormalizePipeline:
    """Validate dict items into ``Listing``; salvage what can be salvaged, drop what cannot."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def _covered(self, listing: Listing) -> Listing:
        for name in present_fields(listing):
            self.stats.inc_value(FIELDS_PRESENT + name)
        return listing

    def process_item(self, item: Any) -> Listing:
        self.stats.inc_value(FIELDS_LISTINGS)
        if isinstance(item, Listing):
            return self._covered(item)
        if not isinstance(item, dict):
            raise DropItem(f"not a listing: {type(item).__name__}")
        data = dict(item)
        url = data.get("url") or (data.get("capture") or {}).get("url") or "?"
        salvaged = False
        for _attempt in range(3):
            try:
                listing = Listing.model_validate(data)
            except ValidationError as exc:
                errors = exc.errors()
                fatal = [err for err in errors if err["loc"] and err["loc"][0] in REQUIRED_FIELDS]
                if fatal or not errors:
                    self.stats.inc_value("normalize/dropped")
                    reasons = "; ".join("field={}: {}".format(*_describe(err)) for err in fatal or errors)
                    raise DropItem(f"{url}: not a valid listing: {reasons}") from exc
                for err in errors:
                    field, message = _describe(err)
                    logger.warning("%s field=%s: %s; kept the listing without it", url, field, message)
                    self.stats.inc_value(f"normalize/invalid_field/{err['loc'][0]}")
                    _drop_path(data, err["loc"])
                salvaged = True
                continue
            self.stats.inc_value("normalize/valid")
            if salvaged:
                self.stats.inc_value("normalize/with_invalid_fields")
            return self._covered(listing)
        self.stats.inc_value("normalize/dropped")
        raise DropItem(f"{url}: not a valid listing after removing its invalid fields")
