"""The store: the only code that talks to the database (see DESIGN.md, "Storage").

>>> with open_store("sqlite://:memory:") as store:
...     store.count_listings()
0
"""

from __future__ import annotations

from crawler.store.base import (
    UNKNOWN,
    FlagQuery,
    InvalidQuery,
    ReportData,
    ReviewEntry,
    SellerSummary,
    Store,
    StoreError,
    StoreNotFound,
    UpsertResult,
)
from crawler.store.factory import open_store
from crawler.store.uri import DEFAULT_URI, redact_uri

__all__ = [
    "DEFAULT_URI",
    "UNKNOWN",
    "FlagQuery",
    "InvalidQuery",
    "ReportData",
    "ReviewEntry",
    "SellerSummary",
    "Store",
    "StoreError",
    "StoreNotFound",
    "UpsertResult",
    "open_store",
    "redact_uri",
]
