"""Start the demo marketplace as a subprocess on 127.0.0.1 for a test (Scrapy's tests/mockserver idea).

    with MockServer() as base_url:          # "http://127.0.0.1:PORT"
        ...                                  # spiders use f"{base_url}/tiki" and f"{base_url}/shopee"

The process handling (LISTENING line, stop by PID, stderr kept) is crawler.demo.process's, which
``crawler demo`` uses too; here ``__enter__`` gives the base URL itself.
"""

from __future__ import annotations

from crawler.demo.process import REPO_ROOT, MarketplaceProcess

REPO = REPO_ROOT


class MockServer(MarketplaceProcess):
    """The demo marketplace in a subprocess; ``__enter__`` gives its base URL."""

    def __enter__(self) -> str:  # type: ignore[override]
        return self.start()
