"""Render a demo listing in Chợ Tốt's gateway formats: ad-listing ``ads[]`` and ad detail.

Field names follow the raw ad-listing columns of ``eval/raw/chotot/data2.csv`` (``ad_id, subject, body,
region_name, company_ad, type, price, webp_image, params[{id, value, label}]``) plus the ids the
public URL needs (``list_id``) and the seller (``account_id, account_oid, account_name``); the detail
``/v2/public/ad-listing/{list_id}`` is ``{"ad": …, "parameters": [{id, value, label}]}`` with labels
such as "Xuất xứ" and "Hãng".
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

CATEGORIES = {"Xe máy": 2020, "Ô tô": 2010, "Điện thoại": 5010, "Đồng hồ": 3040, "Tủ lạnh": 9020,
              "Đồ dùng khác": 8000}


def category_id(record: dict[str, Any]) -> int:
    """The ``cg`` code of the record's category (8000 for anything else)."""
    return CATEGORIES.get(record.get("category") or "", 8000)


def _params(record: dict[str, Any]) -> list[dict[str, Any]]:
    params = [{"id": "condition_ad", "value": "Đã sử dụng", "label": "Tình trạng"}]
    if record.get("brand"):
        params.append({"id": "brand", "value": record["brand"], "label": "Hãng"})
    return params


def ad(record: dict[str, Any], *, full: bool = False) -> dict[str, Any]:
    """The listing as one ``ads[]`` entry (``full``: as the detail's ``ad`` object)."""
    list_id = int(record["listing_id"])
    seller = record["seller"]
    posted = datetime.fromisoformat(record["posted_at"].replace("Z", "+00:00")) if record.get("posted_at") else None
    entry: dict[str, Any] = {
        "ad_id": list_id + 40_000_000,
        "list_id": list_id,
        "list_time": int(posted.timestamp() * 1000) if posted else None,
        "account_id": int(seller["platform_id"]),
        "account_oid": seller["platform_id"],
        "account_name": seller.get("name"),
        "subject": record["title"],
        "body": record.get("description") or "",
        "category": category_id(record),
        "category_name": record.get("category"),
        "region_name": seller.get("province"),
        "area_name": "",
        "company_ad": False,
        "type": "s",
        "price": record["price"] or 0,
        "price_string": "Thỏa thuận" if record["price"] is None else f"{record['price']:,} đ".replace(",", "."),
        "image": record["images"][0] if record["images"] else "",
        "webp_image": record["images"][0] if record["images"] else "",
        "params": _params(record),
    }
    if full:
        entry["images"] = list(record["images"])
    return entry


def listing_page(ads: list[dict[str, Any]], total: int) -> dict[str, Any]:
    """One ``/v1/public/ad-listing`` page."""
    return {"total": total, "ads": ads}


def detail(record: dict[str, Any]) -> dict[str, Any]:
    """``/v2/public/ad-listing/{list_id}``: the ad and its labelled parameters."""
    parameters = _params(record)
    if record.get("origin"):
        parameters.append({"id": "origin", "value": record["origin"], "label": "Xuất xứ"})
    return {"ad": ad(record, full=True), "parameters": parameters,
            "ad_params": {p["id"]: p for p in parameters}}
