"""Spider middleware that attaches the response each listing came from, for evidence.

Every dict item a spider yields gets ``capture = {url, status, body[, screenshot]}``, the raw
response the listing was extracted from. ``pipelines.evidence`` keeps it (gzip, content-addressed)
for listings that get flagged and drops it for the rest, so spiders need not know about evidence.
A Playwright-rendered page can put PNG bytes in ``response.meta["screenshot"]``.
"""

from __future__ import annotations

from typing import Any

from scrapy.http import Response
from scrapy.spidermiddlewares.base import BaseSpiderMiddleware


class CaptureResponseMiddleware(BaseSpiderMiddleware):
    """Attach ``capture`` (the source response) to every dict item that has none."""

    def get_processed_item(self, item: Any, response: Response | None) -> Any:
        if response is None or not isinstance(item, dict) or item.get("capture") is not None:
            return item
        item["capture"] = {
            "url": response.url,
            "status": response.status,
            "body": response.body,
            "screenshot": response.meta.get("screenshot"),
        }
        return item
