"""Chợ Tốt on the demo marketplace: the gateway ad-listing and ad-detail APIs and ad pages.

- ``/chotot_api/v1/public/ad-listing?cg=C&q=K&account_id=A&limit=50&o=OFFSET``  ``{"total", "ads"}``
- ``/chotot_api/v2/public/ad-listing/<list_id>``                               ``{"ad", "parameters"}``
- ``/chotot/<list_id>.htm``, ``/chotot/user/<account>``                        small HTML pages

With ``--raw-samples``: ``cg=2020`` (motorbikes) serves the 4,671 ads of ``chotot/data2.csv`` (their raw
ad-listing fields; ``params`` parsed from its Python repr; ``ad_id`` stands in for the missing
``list_id``) and ``/v2/public/ad-listing/<ad_id>`` answers each of them with its ``params`` as
``parameters``.
"""

from __future__ import annotations

import ast
import csv
import re
from typing import Any

from crawler.demo.formats import chotot as fmt
from crawler.demo.marketplace import keyword_match
from crawler.demo.routes._common import int_param, param, raw_file, send_page

RAW_CATEGORY = "2020"
RAW_FIELDS = ("ad_id", "subject", "body", "region_name", "type", "price", "webp_image")


def raw_ads(handler: Any) -> list[dict[str, Any]]:
    """The ads of ``chotot/data2.csv`` as ad-listing objects (empty when not served)."""
    path = raw_file(handler, "chotot", "data2.csv")
    if path is None:
        return []

    def load() -> list[dict[str, Any]]:
        ads = []
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for row in csv.DictReader(handle):
                ad: dict[str, Any] = {key: row.get(key) for key in RAW_FIELDS}
                ad["list_id"] = row.get("ad_id")
                ad["company_ad"] = row.get("company_ad") == "True"
                try:
                    ad["params"] = ast.literal_eval(row.get("params") or "[]")
                except (ValueError, SyntaxError):
                    ad["params"] = []
                ads.append(ad)
        return ads

    return handler.market.cached(str(path), load)


def handle(handler: Any, path: str, query: dict[str, list[str]]) -> bool:
    """Answer Chợ Tốt requests; False for other paths."""
    if path == "/chotot_api/v1/public/ad-listing":
        _listing(handler, query)
        return True
    if m := re.fullmatch(r"/chotot_api/v2/public/ad-listing/(\d+)", path):
        record = next((r for r in handler.market.platform("chotot") if r["listing_id"] == m[1]), None)
        raw = None if record else next((a for a in raw_ads(handler) if a["list_id"] == m[1]), None)
        if record is not None:
            handler._json(fmt.detail(record))
        elif raw is not None:
            handler._json({"ad": raw, "parameters": raw["params"]})
        else:
            handler._json({"message": "Ad not found"}, 404)
        return True
    if path.startswith("/chotot/"):
        handler._html("Chợ Tốt", [path])
        return True
    return False


def _listing(handler: Any, query: dict[str, list[str]]) -> None:
    limit, offset = max(1, min(100, int_param(query, "limit", 20))), int_param(query, "o", 0)
    category = param(query, "cg")
    if category == RAW_CATEGORY and raw_ads(handler):
        ads = raw_ads(handler)
        handler._json(fmt.listing_page(ads[offset: offset + limit], len(ads)))
        return
    found, faults = keyword_match(handler.market.platform("chotot"), param(query, "q"))
    if category:
        found = [r for r in found if str(fmt.category_id(r)) == category]
    if account := param(query, "account_id"):
        found = [r for r in found if r["seller"]["platform_id"] == account]
    if handler.fault_response(faults):
        return
    send_page(handler, fmt.listing_page([fmt.ad(r) for r in found[offset: offset + limit]], len(found)), faults)
