"""The demo marketplace: our demo listings served in Tiki's and Shopee's real API formats on 127.0.0.1.

    python -m crawler.demo.marketplace [--host 127.0.0.1] [--port 0] [--data FILE]
                                       [--shopee-format alternate|legacy|cards] [--raw-samples DIR]
                                       [--detail-fault 404|500|garbage|deep|bomb|drop] [--verbose]

Once it listens it prints exactly one line, ``LISTENING http://127.0.0.1:<port>``, and stops cleanly on
SIGTERM or SIGINT. Paths (each platform under its own prefix, so a spider's base URL is
``http://127.0.0.1:<port>/tiki`` or ``…/shopee``):

- ``/tiki/api/v2/products?q=&page=&limit=``        search (``data[]`` + ``paging``)
- ``/tiki/api/v2/products/{id}``                   product detail
- ``/shopee/api/v4/search/search_items?keyword=&newest=&limit=[&format=legacy|cards]``
  search; by default pages alternate between the 2022–23 ``items[].item_basic`` format (even pages)
  and the 2025–26 ``centralize_item_card`` format (odd pages)
- ``/shopee/api/v4/item/get?itemid=&shopid=``      item detail
- ``/shopee/api/v4/product/get_shop_info?shopid=`` shop name, location, official
- ``/tiki/<url_path>``, ``/tiki/cua-hang/<slug>``, ``/shopee/product/<shopid>/<itemid>``,
  ``/shopee/shop/<shopid>``: small HTML pages, so the links the API gives lead somewhere
- ``/robots.txt`` allows everything; any other path is a 404 JSON body.

More platforms come from the route plug-ins in ``crawler/demo/routes/`` (Lazada under ``/lazada``,
Sendo under ``/sendo``, ``/sendo_search`` and ``/sendo_detail``, Chợ Tốt under ``/chotot`` and
``/chotot_api``, Tiki's seller stores under ``/tiki_api`` and Tiki product pages with
``__NEXT_DATA__``), each serving our own listings from ``data/<platform>.jsonl``. With
``--raw-samples DIR`` (``../shared/eval/raw``) they also serve the real platform samples at the same
paths; see each route module's docstring for which request gets which file.

Keyword search matches every word of the folded keyword in the folded title; an empty keyword or
``*`` returns everything. Tokens in the keyword switch on deliberate faults for tests (the rest of
the keyword is searched as usual):

- ``__malformed__``         the search page body is truncated JSON;
- ``__error500__``          HTTP 500 the first time each distinct search URL is asked, then the page;
- ``__bad_price__``         prices are the text "giá sốc!!" in the page and in each item's next detail;
- ``__lienhe__``            prices are "Liên hệ" in the page and in each item's next detail;
- ``__malformed_detail__``  each returned item's next detail response is truncated JSON;
- ``__detail_down__``       each returned item's next 4 detail requests answer HTTP 503 (so the
                            retries fail too and Tiki falls back to the page's ``__NEXT_DATA__``);
- ``__429__``               HTTP 429 with ``Retry-After: 1`` the first time each distinct search URL is
                            asked (route plug-ins and Tiki), then the page;
- ``__html__``              Lazada's ajax URL answers the HTML listing page (``window.pageData``).

``--detail-fault F`` makes every detail request (Tiki's detail API and product pages, Sendo's and
Chợ Tốt's detail APIs, Shopee's ``item/get``, the shop sites' product pages: :data:`DETAIL_PATHS`) fail,
as a rate-limiting or blocking platform does, while list and search pages answer as usual: ``404`` /
``500`` (an HTTP error JSON), ``garbage`` (200 with bytes that are not JSON), ``deep`` (200 with JSON
nested 100,000 levels), ``bomb`` (200, gzip, 1 KiB on the wire and 4 MiB decompressed), ``drop``
(the connection closed without an answer).
"""

from __future__ import annotations

import argparse
import gzip
import html
import json
import re
import signal
import socket
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from crawler.demo.formats import shopee as shopee_format
from crawler.demo.formats import tiki as tiki_format
from crawler.demo.routes import extra_routes
from crawler.text import fold

DEFAULT_DATA = Path(__file__).resolve().parent / "data" / "listings.jsonl"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
FAULT_TOKENS = ("__malformed__", "__error500__", "__bad_price__", "__lienhe__", "__malformed_detail__",
                "__detail_down__", "__429__", "__html__")
DETAIL_FAULTS = {"__bad_price__", "__lienhe__", "__malformed_detail__"}
DOWN_TIMES = 4
PRICE_OVERRIDES = {"__bad_price__": "giá sốc!!", "__lienhe__": "Liên hệ"}
SHOPEE_FORMATS = ("alternate", "legacy", "cards")
DETAIL_FAULTS_ALL = ("404", "500", "garbage", "deep", "bomb", "drop")
DETAIL_PATHS = re.compile(
    r"/tiki/api/v2/products/\d+|/tiki/(?:.*-)?p\d+\.html|/sendo_detail/full/\d+|/shopee/api/v4/item/get"
    r"|/chotot_api/v2/public/ad-listing/\d+|/shopsite/plain/sp/\d+|/shopsite/jsonld/san-pham/[\w-]+"
)
"""The detail requests ``--detail-fault`` makes fail."""
REQUIRED = ("platform", "listing_id", "url", "title", "seller", "images")
SEARCH_CACHE = 1_024
"""Searches whose results the marketplace keeps (a crawl of 100,000 listings asks the same one 2,500 times)."""


def detail_key(record: dict[str, Any]) -> str:
    """The id a detail request names: a Tiki listing id is ``<product id>-<spid>``, the rest are as is."""
    return str(record["listing_id"]).split("-", 1)[0]


class DataError(ValueError):
    """The data file cannot be served; the message names file:line."""


DATA_DIR = DEFAULT_DATA.parent


def load_listings(path: Path, platforms: tuple[str, ...] = ("tiki", "shopee")) -> list[dict[str, Any]]:
    """Read the demo listings (JSON Lines); bad lines are reported as file:line on stderr and skipped."""
    records: list[dict[str, Any]] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            print(f"{path}:{number}: not JSON ({exc.msg}); skipped", file=sys.stderr)
            continue
        missing = [key for key in REQUIRED if not isinstance(record, dict) or key not in record]
        if missing or record.get("platform") not in platforms:
            print(f"{path}:{number}: not a {'/'.join(platforms)} listing (missing {missing}); skipped",
                  file=sys.stderr)
            continue
        record.pop("expected_kinds", None)  # the label never leaves the server
        record["_folded"] = fold(record["title"])
        records.append(record)
    return records


def keyword_match(records: list[dict[str, Any]], keyword: str) -> tuple[list[dict[str, Any]], set[str]]:
    """Records whose folded title holds every word of ``keyword``, and the fault tokens in it."""
    words = fold(keyword or "").split()
    faults = {w for w in words if w in FAULT_TOKENS}
    words = [w for w in words if w not in FAULT_TOKENS and w != "*"]
    return [r for r in records if all(w in r["_folded"] for w in words)], faults


@dataclass
class Marketplace:
    """The served state: listings per platform and the one-shot faults armed by test keywords."""

    listings: list[dict[str, Any]]
    shopee_format: str = "alternate"
    raw_samples: Path | None = None
    """The real samples directory (``--raw-samples``), served by the route plug-ins; None: not served."""
    detail_fault: str | None = None
    """How every detail request fails (``--detail-fault``); None: details answer."""
    extra: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _detail_faults: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    _failed_once: set[str] = field(default_factory=set)
    _down: dict[tuple[str, str], int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_id = {(r["platform"], detail_key(r)): r for r in self.listings}
        self._cache: dict[str, Any] = {}
        self._searches: dict[tuple[str, tuple[str, ...]], list[dict[str, Any]]] = {}

    def platform(self, name: str) -> list[dict[str, Any]]:
        """Our listings of a plug-in platform (``data/<name>.jsonl``), loaded once."""
        with self._lock:
            if name not in self.extra:
                self.extra[name] = load_listings(DATA_DIR / f"{name}.jsonl", (name,))
                for record in self.extra[name]:
                    self.by_id[(name, detail_key(record))] = record
            return self.extra[name]

    def cached(self, key: str, load: Any) -> Any:
        """``load()`` once per key (the raw samples are parsed on first use)."""
        with self._lock:
            if key not in self._cache:
                self._cache[key] = load()
            return self._cache[key]

    def search(self, platform: str, keyword: str) -> tuple[list[dict[str, Any]], set[str]]:
        """Listings of ``platform`` whose folded title holds every keyword word; and the fault tokens."""
        words = fold(keyword or "").split()
        faults = {w for w in words if w in FAULT_TOKENS}
        words = [w for w in words if w not in FAULT_TOKENS and w != "*"]
        key = (platform, tuple(words))
        found = self._searches.get(key)
        if found is None:  # the listings never change: each search is worked out once (a page is a slice)
            found = [r for r in self.listings if r["platform"] == platform and all(w in r["_folded"] for w in words)]
            with self._lock:
                if len(self._searches) >= SEARCH_CACHE:
                    self._searches.clear()
                self._searches[key] = found
        return found, faults

    def arm(self, platform: str, records: list[dict[str, Any]], faults: set[str]) -> None:
        """Make the next detail request of each record fail the way ``faults`` say."""
        if "__detail_down__" in faults:
            with self._lock:
                for record in records:
                    self._down[(platform, detail_key(record))] = DOWN_TIMES
        detail_faults = faults & DETAIL_FAULTS
        if not detail_faults:
            return
        with self._lock:
            for record in records:
                self._detail_faults.setdefault((platform, detail_key(record)), set()).update(detail_faults)

    def is_down(self, platform: str, listing_id: str) -> bool:
        """Whether this detail request should fail with 503 (``__detail_down__``; counts down)."""
        with self._lock:
            left = self._down.get((platform, listing_id), 0)
            if left:
                self._down[(platform, listing_id)] = left - 1
            return left > 0

    def take_faults(self, platform: str, listing_id: str) -> set[str]:
        """The faults armed for one detail request (consumed)."""
        with self._lock:
            return self._detail_faults.pop((platform, listing_id), set())

    def first_failure(self, key: str) -> bool:
        """True the first time ``key`` is seen (the HTTP 500 fault), False afterwards."""
        with self._lock:
            if key in self._failed_once:
                return False
            self._failed_once.add(key)
            return True


def _price_override(faults: set[str]) -> str | None:
    for token, value in PRICE_OVERRIDES.items():
        if token in faults:
            return value
    return None


class _BadRequest(Exception):
    pass


def _int_param(query: dict[str, list[str]], name: str, default: int, low: int, high: int) -> int:
    raw = query.get(name, [str(default)])[0]
    try:
        value = int(raw)
    except ValueError as exc:
        raise _BadRequest(f"{name} must be an integer, got {raw!r}") from exc
    if not low <= value <= high:
        raise _BadRequest(f"{name} must be between {low} and {high}, got {value}")
    return value


class Handler(BaseHTTPRequestHandler):
    """Routes one request; the marketplace state is on ``self.server.market``."""

    server_version = "DemoMarketplace/1.0"
    protocol_version = "HTTP/1.1"
    verbose = False

    @property
    def market(self) -> Marketplace:
        return self.server.market  # type: ignore[attr-defined]

    @property
    def base(self) -> str:
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        return f"http://{host}"

    def log_message(self, format: str, *args: Any) -> None:
        if self.verbose:
            super().log_message(format, *args)

    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, payload: Any, status: int = 200) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self._send(status, body, "application/json; charset=utf-8")

    def _malformed(self, payload: Any) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self._send(200, body[: max(1, len(body) // 2)], "application/json; charset=utf-8")

    def _html(self, title: str, lines: list[str], status: int = 200) -> None:
        items = "".join(f"<p>{html.escape(line)}</p>" for line in lines)
        page = f"<!doctype html><html lang=vi><meta charset=utf-8><title>{html.escape(title)}</title>" \
               f"<h1>{html.escape(title)}</h1>{items}</html>"
        self._send(status, page.encode("utf-8"), "text/html; charset=utf-8")

    def _not_found(self, what: str) -> None:
        self._json({"error": {"code": 404, "message": f"not found: {what}"}}, 404)

    def fault_response(self, faults: set[str]) -> bool:
        """Answer the search-level faults (``__error500__``, ``__429__``) if armed; True when answered."""
        if "__429__" in faults and self.market.first_failure("429 " + self.path):
            body = json.dumps({"error": {"code": 429, "message": "too many requests (demo fault)"}}).encode()
            self._send(429, body, "application/json", {"Retry-After": "1"})
            return True
        if "__error500__" in faults and self.market.first_failure(self.path):
            self._json({"error": {"code": 500, "message": "internal error (demo fault)"}}, 500)
            return True
        return False

    def _detail_fault(self, fault: str) -> None:
        """Answer a detail request the way ``--detail-fault`` says."""
        if fault in ("404", "500"):
            self._json({"error": {"code": int(fault), "message": "detail unavailable (demo fault)"}}, int(fault))
        elif fault == "garbage":
            self._send(200, b"\x00\x8b\xffnot JSON at all <html>", "application/json")
        elif fault == "deep":
            self._send(200, b"[" * 100_000 + b"]" * 100_000, "application/json")
        elif fault == "bomb":
            body = gzip.compress(b" " * (4 * 1024 * 1024) + b"{}")
            self._send(200, body, "application/json", {"Content-Encoding": "gzip"})
        else:  # drop
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = parse_qs(url.query, keep_blank_values=True)
        path = url.path
        if self.market.detail_fault and DETAIL_PATHS.fullmatch(path):
            self._detail_fault(self.market.detail_fault)
            return
        try:
            if any(route(self, path, query) for route in extra_routes()):
                return
            if path == "/robots.txt":
                self._send(200, b"User-agent: *\nAllow: /\n", "text/plain; charset=utf-8")
            elif path == "/tiki/api/v2/products":
                self._tiki_search(query)
            elif m := re.fullmatch(r"/tiki/api/v2/products/(\d+)", path):
                self._tiki_detail(m[1])
            elif path == "/shopee/api/v4/search/search_items":
                self._shopee_search(query)
            elif path == "/shopee/api/v4/item/get":
                self._shopee_item(query)
            elif path == "/shopee/api/v4/product/get_shop_info":
                self._shopee_shop(query)
            elif m := re.fullmatch(r"/tiki/(?:.*-)?p(\d+)\.html", path):
                self._page("tiki", m[1])
            elif m := re.fullmatch(r"/shopee/product/\d+/(\d+)", path):
                self._page("shopee", m[1])
            elif m := re.fullmatch(r"/(tiki)/cua-hang/([\w.-]+)|/(shopee)/shop/(\d+)", path):
                self._shop(m[1] or m[3], m[2] or m[4])
            else:
                self._not_found(path)
        except _BadRequest as exc:
            self._json({"error": {"code": 400, "message": str(exc)}}, 400)

    # --- Tiki ---------------------------------------------------------------------------------
    def _tiki_search(self, query: dict[str, list[str]]) -> None:
        page = _int_param(query, "page", 1, 1, 10_000)
        limit = _int_param(query, "limit", 40, 1, 100)
        found, faults = self.market.search("tiki", query.get("q", [""])[0])
        if self.fault_response(faults):
            return
        chunk = found[(page - 1) * limit: page * limit]
        override = _price_override(faults)
        items = [tiki_format.search_item(r, (page - 1) * limit + i + 1, price_override=override)
                 for i, r in enumerate(chunk)]
        payload = tiki_format.search_page(items, total=len(found), page=page, limit=limit)
        self.market.arm("tiki", chunk, faults)
        if "__malformed__" in faults:
            self._malformed(payload)
        else:
            self._json(payload)

    def _tiki_detail(self, product_id: str) -> None:
        record = self.market.by_id.get(("tiki", product_id))
        if record is None:
            self._not_found(f"product {product_id}")
            return
        if self.market.is_down("tiki", product_id):
            self._json({"error": {"code": 503, "message": "service unavailable (demo fault)"}}, 503)
            return
        faults = self.market.take_faults("tiki", product_id)
        payload = tiki_format.detail(record, self.base + "/tiki", price_override=_price_override(faults))
        if "__malformed_detail__" in faults:
            self._malformed(payload)
        else:
            self._json(payload)

    # --- Shopee -------------------------------------------------------------------------------
    def _shopee_search(self, query: dict[str, list[str]]) -> None:
        newest = _int_param(query, "newest", 0, 0, 1_000_000)
        limit = _int_param(query, "limit", 60, 1, 100)
        wanted = query.get("format", [self.market.shopee_format])[0]
        if wanted not in SHOPEE_FORMATS:
            raise _BadRequest(f"format must be one of {', '.join(SHOPEE_FORMATS)}, got {wanted!r}")
        found, faults = self.market.search("shopee", query.get("keyword", [""])[0])
        if "__error500__" in faults and self.market.first_failure(self.path):
            self._json({"error": 500, "error_msg": "internal error (demo fault)"}, 500)
            return
        chunk = found[newest: newest + limit]
        cards = wanted == "cards" or (wanted == "alternate" and (newest // limit) % 2 == 1)
        override = _price_override(faults)
        render = shopee_format.item_card if cards else shopee_format.item_basic
        entries = [render(r, price_override=override) for r in chunk]
        payload = shopee_format.search_response(
            entries, cards=cards, total=len(found), nomore=newest + limit >= len(found)
        )
        self.market.arm("shopee", chunk, faults)
        if "__malformed__" in faults:
            self._malformed(payload)
        else:
            self._json(payload)

    def _shopee_item(self, query: dict[str, list[str]]) -> None:
        itemid = query.get("itemid", [""])[0]
        shopid = query.get("shopid", [""])[0]
        record = self.market.by_id.get(("shopee", itemid))
        if record is None or str(record["seller"]["platform_id"]) != shopid:
            self._json({"error": 4, "error_msg": "item not found", "data": None})
            return
        faults = self.market.take_faults("shopee", itemid)
        payload = shopee_format.item_get(record, price_override=_price_override(faults))
        if "__malformed_detail__" in faults:
            self._malformed(payload)
        else:
            self._json(payload)

    def _shopee_shop(self, query: dict[str, list[str]]) -> None:
        shopid = query.get("shopid", [""])[0]
        for record in self.market.listings:
            if record["platform"] == "shopee" and str(record["seller"]["platform_id"]) == shopid:
                self._json(shopee_format.shop_info(record["seller"]))
                return
        self._json({"error": 4, "error_msg": "shop not found", "data": None})

    # --- HTML pages ---------------------------------------------------------------------------
    def _page(self, platform: str, listing_id: str) -> None:
        record = self.market.by_id.get((platform, listing_id))
        if record is None:
            self._html("Không tìm thấy sản phẩm", [f"{platform} {listing_id}"], 404)
            return
        price = record["price"]
        lines = [
            f"Giá: {price:,}₫".replace(",", ".") if price is not None else "Giá: Liên hệ",
            f"Người bán: {record['seller'].get('name')}",
            *(record.get("description") or "").split("\n"),
        ]
        self._html(record["title"], lines)

    def _shop(self, platform: str, key: str) -> None:
        for record in self.market.listings:
            seller = record["seller"]
            if record["platform"] == platform and key in (str(seller["platform_id"]), seller["url"].rsplit("/", 1)[-1]):
                titles = [r["title"] for r in self.market.listings
                          if r["platform"] == platform and r["seller"]["platform_id"] == seller["platform_id"]]
                self._html(seller.get("name") or key, titles)
                return
        self._html("Không tìm thấy cửa hàng", [key], 404)


class MarketplaceServer(ThreadingHTTPServer):
    """A threading HTTP server that carries the marketplace state."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], market: Marketplace) -> None:
        super().__init__(address, Handler)
        self.market = market


def make_server(host: str = "127.0.0.1", port: int = 0, data: Path = DEFAULT_DATA,
                shopee_format: str = "alternate", raw_samples: Path | None = None,
                detail_fault: str | None = None) -> MarketplaceServer:
    """A bound (not yet serving) marketplace server; port 0 picks a free port."""
    if host not in LOOPBACK:
        raise DataError(f"--host must be a loopback address ({', '.join(sorted(LOOPBACK))}), got {host!r}")
    if raw_samples is not None and not raw_samples.is_dir():
        raise DataError(f"--raw-samples {raw_samples}: not a directory")
    market = Marketplace(load_listings(data), shopee_format, raw_samples, detail_fault)
    return MarketplaceServer((host, port), market)


def main(argv: list[str] | None = None) -> int:
    """Run the marketplace until SIGTERM/SIGINT."""
    parser = argparse.ArgumentParser(prog="python -m crawler.demo.marketplace", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="JSON Lines listings to serve")
    parser.add_argument("--shopee-format", choices=SHOPEE_FORMATS, default="alternate")
    parser.add_argument("--raw-samples", type=Path, default=None,
                        help="also serve the real samples of this directory (../shared/eval/raw)")
    parser.add_argument("--detail-fault", choices=DETAIL_FAULTS_ALL, default=None,
                        help="make every detail request fail this way (list and search pages still answer)")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)
    Handler.verbose = args.verbose
    try:
        server = make_server(args.host, args.port, args.data, args.shopee_format, args.raw_samples,
                             args.detail_fault)
    except (DataError, OSError) as exc:
        print(f"marketplace: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    shown = f"[{host}]" if ":" in str(host) else host
    print(f"LISTENING http://{shown}:{port}", flush=True)
    print(f"marketplace: {len(server.market.listings)} listings from {args.data}", file=sys.stderr, flush=True)
    while not stop.wait(0.5):
        pass
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
