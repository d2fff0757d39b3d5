"""Extract Listing fields from Chợ Tốt's gateway API (pure functions, no Scrapy).

- :func:`listing_ads` / :func:`extract_chotot_ad` — ``gateway.chotot.com/v1/public/ad-listing?cg=&limit=50&o=``
  answers ``{"total": N, "ads": [...]}``; an ad has ``list_id`` (the id in its public URL),
  ``ad_id, account_id, account_oid, account_name, subject, body`` (the seller's free text: the
  description), ``price`` (đồng), ``price_string, region_name, area_name, category_name,
  company_ad, image/webp_image, list_time`` (ms since epoch) and, with ``key_param_included=true``,
  ``params[] {id, value, label}``. Real samples: ``eval/raw/chotot/data2.csv`` (raw ad-listing fields
  flattened, ``params`` as a Python repr) and ``chotot_xe_may.csv`` (the same ads renamed).
- :func:`extract_chotot_detail` — ``/v2/public/ad-listing/{list_id}`` answers ``{"ad": {...},
  "parameters": [{id, value, label}], "ad_params": {id: {...}}}``; labels such as "Xuất xứ"
  (origin) and "Hãng" (brand) are read from there.

Chợ Tốt sellers are people and small shops: brand and origin exist only where the category has
such a parameter (vehicles, phones, …) and the seller filled it in. A parameter whose value is a
bare numeric code (the listing API's ``motorbikeorigin: "5"``) is not a name and is not used.
So ``fields_seen`` lists brand and origin only for an ad whose parameters hold that parameter (a code
does not count: the ad stated something we cannot read); the listing API's ``params`` are only the
category's key parameters (year, type, condition), the detail's ``parameters`` all of them.
"""

from __future__ import annotations

from typing import Any

from crawler.prices import parse_vnd
from spiders.formats.common import (
    FieldErrors,
    MissingField,
    carried,
    epoch_to_iso,
    field,
    required_text,
    text_or_none,
)

PLATFORM = "chotot"
ORIGIN_LABELS = ("xuất xứ", "nơi sản xuất", "xuat xu")
BRAND_LABELS = ("hãng", "thương hiệu", "hãng xe")
BRAND_IDS = ("carbrand", "motorbikebrand", "mobile_brand", "laptop_brand", "tablet_brand", "brand")
ORIGIN_IDS = ("carorigin", "motorbikeorigin", "origin")


def listing_ads(payload: dict[str, Any]) -> list[Any]:
    """The ``ads`` of one listing page; ValueError when there is no list."""
    ads = payload.get("ads")
    if not isinstance(ads, list):
        raise ValueError("no ads[] list")
    return ads


def ad_url(list_id: str, www_base: str) -> str:
    """The ad's public page: ``https://www.chotot.com/<list_id>.htm`` (on ``www_base``)."""
    return f"{www_base.rstrip('/')}/{list_id}.htm"


def _params(*sources: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for source in sources:
        if isinstance(source, dict):
            source = list(source.values())
        for entry in source or []:
            if isinstance(entry, dict):
                found.append(entry)
    return found


def _param(params: list[dict[str, Any]], ids: tuple[str, ...], labels: tuple[str, ...]) -> str | None:
    for entry in params:
        label = str(entry.get("label") or "").strip().lower()
        if entry.get("id") in ids or any(label.startswith(wanted) for wanted in labels):
            value = entry.get("value")
            text = text_or_none(value if isinstance(value, str) else None if value is None else str(value))
            if text and not text.isdigit():
                return text
    return None


def _has_param(params: list[dict[str, Any]], ids: tuple[str, ...], labels: tuple[str, ...]) -> bool:
    """Whether the parameters hold this one, with a name or nothing in it (a bare code is neither)."""
    for entry in params:
        label = str(entry.get("label") or "").strip().lower()
        if entry.get("id") in ids or any(label.startswith(wanted) for wanted in labels):
            value = entry.get("value")
            if value is None or not str(value).strip().isdigit():
                return True
    return False


_AD_PLACES: dict[str, tuple[str, ...]] = {
    "description": ("body",), "price": ("price", "price_string"), "category": ("category_name",),
    "images": ("images", "image", "webp_image"), "posted_at": ("list_time",),
    "seller": ("account_oid", "account_id", "account_name"),
}


def _fields_seen(ad: dict[str, Any], params: list[dict[str, Any]]) -> list[str]:
    names = [name for name, keys in _AD_PLACES.items() if any(key in ad for key in keys)]
    if _has_param(params, BRAND_IDS, BRAND_LABELS):
        names.append("brand")
    if _has_param(params, ORIGIN_IDS, ORIGIN_LABELS):
        names.append("origin")
    return carried("title", *names)


def _price(ad: dict[str, Any]) -> int | None:
    price = ad.get("price")
    if price in (None, "", 0, "0"):
        return parse_vnd(ad.get("price_string")) if ad.get("price_string") else None
    return parse_vnd(price)


def _posted(ad: dict[str, Any]) -> str | None:
    stamp = ad.get("list_time")
    if stamp in (None, ""):
        return None
    seconds = int(stamp)
    return epoch_to_iso(seconds // 1000 if seconds > 10**11 else seconds)


def _images(ad: dict[str, Any]) -> list[str]:
    images = [i for i in ad.get("images") or [] if isinstance(i, str) and i]
    if not images:
        images = [ad[key] for key in ("image", "webp_image") if isinstance(ad.get(key), str) and ad[key]][:1]
    return images


def _province(ad: dict[str, Any]) -> str | None:
    return text_or_none(ad.get("region_name")) or text_or_none(ad.get("region_name_v3"))


def _listing_id(ad: dict[str, Any]) -> str:
    if ad.get("list_id") not in (None, ""):
        return required_text(ad.get("list_id"), "list_id")
    # some exports (data2.csv) kept only ad_id; the public URL needs list_id, ad_id still names the ad
    if ad.get("ad_id") not in (None, ""):
        return required_text(ad.get("ad_id"), "ad_id")
    raise MissingField("list_id is missing")


def extract_chotot_ad(
    ad: dict[str, Any], www_base: str, errors: FieldErrors | None = None, parameters: Any = None
) -> dict[str, Any]:
    """One ad (listing or detail ``ad`` object) → Listing fields; ``parameters`` from the detail if any.

    Raises :class:`spiders.formats.common.MissingField` when the ad has no id or subject.
    """
    listing_id = _listing_id(ad)
    params = _params(parameters, ad.get("params"))
    account = ad.get("account_oid") or ad.get("account_id")
    category = text_or_none(ad.get("category_name")) if isinstance(ad.get("category_name"), str) else None
    return {
        "platform": PLATFORM,
        "listing_id": listing_id,
        "title": required_text(ad.get("subject"), "subject"),
        "url": ad_url(listing_id, www_base),
        "description": field(errors, "description", text_or_none, ad.get("body")),
        "price": field(errors, "price", _price, ad),
        "currency": "VND",
        "brand": field(errors, "brand", _param, params, BRAND_IDS, BRAND_LABELS),
        "origin": field(errors, "origin", _param, params, ORIGIN_IDS, ORIGIN_LABELS),
        "category": category,
        "images": _images(ad),
        "posted_at": field(errors, "posted_at", _posted, ad),
        "seller": {
            "platform_id": str(account) if account not in (None, "") else None,
            "name": field(errors, "seller.name", text_or_none, ad.get("account_name")),
            "url": f"{www_base.rstrip('/')}/user/{account}" if account not in (None, "") else None,
            "province": field(errors, "seller.province", _province, ad),
            "official": False,
        },
        "fields_seen": _fields_seen(ad, params),
    }


def extract_chotot_detail(payload: dict[str, Any], www_base: str, errors: FieldErrors | None = None) -> dict[str, Any]:
    """``/v2/public/ad-listing/{list_id}`` → Listing fields (``ad`` with ``parameters``/``ad_params``).

    Raises :class:`spiders.formats.common.MissingField` when there is no ad, id or subject.
    """
    ad = payload.get("ad")
    if not isinstance(ad, dict):
        raise MissingField("ad is missing")
    parameters = _params(payload.get("parameters"), payload.get("ad_params"))
    return extract_chotot_ad(ad, www_base, errors, parameters)
