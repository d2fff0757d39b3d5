"""The one schema every spider yields and every other part reads: Listing, Seller, Flag.

Spiders yield plain dicts with these field names; ``pipelines.normalize`` validates them into
:class:`Listing`. Prices may arrive as raw strings ("1.250.000₫", "Liên hệ") and are parsed by
``crawler.prices``; everything else is typed here once so that the rule engine, the store, the CLI
and the exports never guess at a field's shape. Unknown fields are ignored, so a file of listings
written by someone else (``crawler detect --input``) loads as long as the known fields fit.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel, field_validator, model_validator

from crawler.prices import MAX_VND, PriceError, parse_vnd

KINDS: tuple[str, ...] = ("banned", "counterfeit", "missing_origin", "price_anomaly")
Kind = Literal["banned", "counterfeit", "missing_origin", "price_anomaly"]
Severity = Literal["low", "medium", "high", "critical"]
ReviewStatus = Literal["new", "confirmed", "dismissed", "referred"]
TEXT_FIELDS: tuple[str, ...] = ("title", "description", "brand", "category", "origin", "seller")


def utcnow() -> datetime:
    """Timezone-aware now, truncated to milliseconds (what MongoDB keeps)."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, validate_assignment=False)


class Seller(_Model):
    """Who sells a listing, as the platform names them."""

    platform_id: str | None = Field(default=None, coerce_numbers_to_str=True)
    name: str | None = None
    url: str | None = None
    province: str | None = None
    official: bool = False
    phones: list[str] = Field(default_factory=list)
    """Phone numbers the seller published (E.164, ``+84…``), kept for seller-network analysis."""


class Match(_Model):
    """One span of the *original* text that a rule matched, quoted as evidence."""

    field: str
    text: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)


class Flag(_Model):
    """One rule's verdict on one listing."""

    rule_id: str
    kind: Kind
    severity: Severity = "medium"
    score: float = Field(ge=0.0, le=1.0)
    message: str
    matched: list[Match] = Field(default_factory=list)
    legal_basis: str | None = None
    rules_version: str | None = None


class PeerGroup(_Model):
    """The price summary of one product identity (:attr:`Listing.peer_key`) over stored listings:
    each seller counted once (its median price in the group), placeholder prices left out."""

    key: str
    listings: int = Field(ge=0)
    sellers: int = Field(ge=0)
    """Distinct sellers (each counted once in the median and MAD)."""
    median: float | None = None
    mad: float | None = None
    """Median absolute deviation of the sellers' prices from :attr:`median`."""
    sample: list[tuple[str, str, int]] = Field(default_factory=list)
    """A few peers as (listing key, seller name or id, price), for an inspector to look at."""
    members: list[tuple[str, str, str, int]] | None = Field(default=None, exclude=True)
    """Every member as (listing key, seller, seller name or id, price), by listing key, when the store
    hands them out (groups of at most ``crawler.store.peers.MEMBERS_LIMIT`` listings), else None; never
    serialised. ``seller`` is the store's identity (:class:`crawler.store.peers.Member`)."""


class PricePoint(_Model):
    price: int
    at: datetime


class Review(_Model):
    """An inspector's decision on a listing. Immutable: a new decision is a new Review (so that
    every unreviewed listing can share the one default instance instead of building its own)."""

    model_config = ConfigDict(frozen=True)

    status: ReviewStatus = "new"
    by: str | None = None
    at: datetime | None = None
    note: str | None = None


CAPTURE_KINDS: tuple[str, ...] = ("response", "list_page", "screenshot")
"""What a capture is: ``response`` (the listing's own detail JSON or page), ``list_page`` (the list or
search page that carried the listing's entry), ``screenshot`` (a rendered page, PNG)."""
CONTENT_TYPES: dict[str, str] = {
    ".json": "application/json", ".html": "text/html", ".png": "image/png", ".jpg": "image/jpeg",
    ".txt": "text/plain",
}
"""The content type of an evidence file by the extension its bytes call for (``crawler.evidence``)."""
_SHA_IN_REF = re.compile(r"([0-9a-f]{64})")


class EvidenceCapture(_Model):
    """One kept capture of a listing: what was fetched (or rendered), when, and where its bytes are."""

    kind: str = "response"
    """One of :data:`CAPTURE_KINDS`."""
    url: str | None = None
    http_status: int | None = None
    sha256: str | None = None
    """Of the raw bytes (what the platform sent, or the PNG); the file is ``ref`` under EVIDENCE_DIR."""
    size: int | None = None
    captured_at: datetime | None = None
    content_type: str | None = None
    """The bytes' real content type (``application/json``, ``text/html``, ``image/png`` …)."""
    ref: str | None = None
    """Where the gzip-compressed bytes are, relative to the evidence directory (content-addressed)."""


def legacy_captures(value: dict[str, Any]) -> list[dict[str, Any]]:
    """A stored evidence object of the old single-capture shape (``html_sha256``, ``html_ref``,
    ``screenshot_ref``) as its captures: the response, then the screenshot. A dict of the new shape
    (one capture) is a list of itself."""
    if not {"html_sha256", "html_ref", "screenshot_ref"} & value.keys():
        return [value]
    common = {"url": value.get("url"), "captured_at": value.get("captured_at")}
    found: list[dict[str, Any]] = []
    html_ref, html_sha = value.get("html_ref"), value.get("html_sha256")
    if html_ref or html_sha:
        suffix = next((s for s in CONTENT_TYPES if isinstance(html_ref, str) and html_ref.endswith(f"{s}.gz")), None)
        found.append({**common, "kind": "response", "http_status": value.get("http_status"), "sha256": html_sha,
                      "ref": html_ref, "content_type": CONTENT_TYPES.get(suffix or "")})
    shot = value.get("screenshot_ref")
    if isinstance(shot, str) and shot:
        digest = _SHA_IN_REF.search(shot.rsplit("/", 1)[-1])
        found.append({**common, "kind": "screenshot", "sha256": digest.group(1) if digest else None, "ref": shot,
                      "content_type": "image/png"})
    return found


class Evidence(RootModel[list[EvidenceCapture]]):
    """A listing's evidence: the history of its captures, oldest first (a new capture appends, see
    ``crawler.store.documents.append_evidence``). Serialised as a JSON list; a stored object of the
    old single-capture shape reads as its captures (:func:`legacy_captures`)."""

    @model_validator(mode="before")
    @classmethod
    def _legacy(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return legacy_captures(value)
        return value

    def __iter__(self) -> Iterator[EvidenceCapture]:  # type: ignore[override]
        return iter(self.root)

    def __len__(self) -> int:
        return len(self.root)

    def __getitem__(self, index: int) -> EvidenceCapture:
        return self.root[index]

    @property
    def captures(self) -> list[EvidenceCapture]:
        """Every capture, oldest first."""
        return self.root

    def of_kind(self, *kinds: str) -> list[EvidenceCapture]:
        """The captures of these kinds, oldest first."""
        return [capture for capture in self.root if capture.kind in kinds]

    def latest(self, *kinds: str) -> EvidenceCapture | None:
        """The newest capture of these kinds (any kind when none given), None when there is none."""
        found = [capture for capture in self.root if not kinds or capture.kind in kinds]
        return found[-1] if found else None


class Capture(BaseModel):
    """The raw response a listing came from; travels with the item, never stored as such."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    url: str
    status: int
    body: bytes
    screenshot: bytes | None = None
    kind: str = "response"
    """``response`` (the listing's own detail) or ``list_page`` (the page that carried its entry)."""
    keep: bool = False
    """Keep as evidence even when unflagged (the detect pipeline may flag it at the end of the run)."""


_OWN_TEXT_FIELDS = tuple(name for name in TEXT_FIELDS if name != "seller")
"""The text fields held by the listing itself (``seller`` is the seller's name)."""
Price = Annotated[int | None, Field(ge=0)]
_BLANK_IS_NONE = ("brand", "category", "origin", "description")
_NFC_FIELDS = ("title", "description", "brand", "category", "origin")


class Listing(_Model):
    """A listing on one platform, keyed by (platform, listing_id). See DESIGN.md's data model."""

    platform: str = Field(min_length=1)
    listing_id: str = Field(min_length=1, coerce_numbers_to_str=True)
    url: str = Field(min_length=1)
    title: str = Field(min_length=1)
    description: str | None = None
    price: Price = None
    original_price: Price = None
    currency: str = "VND"
    brand: str | None = None
    category: str | None = None
    origin: str | None = None
    seller: Seller = Field(default_factory=Seller)
    images: list[str] = Field(default_factory=list)
    sold_count: int | None = Field(default=None, ge=0)
    rating: float | None = Field(default=None, ge=0, le=5)
    posted_at: datetime | None = None
    source: str = "crawl"
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    price_history: list[PricePoint] = Field(default_factory=list)
    flags: list[Flag] = Field(default_factory=list)
    risk: float = 0.0
    review: Review = Review()
    evidence: Evidence | None = None
    """The listing's captures, oldest first (None: nothing kept); a re-crawl appends, never replaces."""
    fields_seen: list[str] | None = None
    """The Listing fields this listing's source carries, set by the spider per source format (a
    search card carries no origin, a product page does): ``missing_origin`` only judges a field the
    source carried. None when unknown (a file given to ``crawler detect``, an import): the listing
    is then taken as complete, its empty fields empty."""
    partial: bool = False
    """Known only from a list page so far (its detail request failed, or waits for the next crawl)."""
    peer_key: str | None = None
    """The product identity its price is compared within (brand + model + variant, + model year for
    vehicles: ``"apple|iphone 15 pro max|256gb"``), set by detection; None when the title names no
    one product. The store keeps per-key price summaries by it."""
    capture: Capture | None = Field(default=None, exclude=True, repr=False)

    @field_validator("price", "original_price", mode="before")
    @classmethod
    def _parse_price(cls, value: Any) -> Any:
        if type(value) is int and 0 <= value <= MAX_VND:
            return value  # what parse_vnd gives, without its checks' cost (most prices are ints)
        if value is None:
            return value
        try:
            return parse_vnd(value)  # a JSON true/false is refused here, not read as 1/0 đồng
        except PriceError as exc:
            raise ValueError(str(exc)) from exc

    @field_validator("evidence", mode="after")
    @classmethod
    def _no_empty_evidence(cls, value: Evidence | None) -> Evidence | None:
        return value if value is not None and len(value) else None

    @model_validator(mode="after")
    def _tidy(self) -> Listing:
        # Blank optional texts are absent (whitespace is already stripped), and the risk is at
        # least the highest flag score: one Python call per listing instead of one per field.
        fields = self.__dict__
        for name in _BLANK_IS_NONE:
            if fields[name] == "":
                fields[name] = None
        # NFC first: "Súng" typed as S + u + combining acute is the same text as precomposed "Súng"
        # (rules, search and evidence offsets all read the composed form)
        for name in _NFC_FIELDS:
            value = fields[name]
            if value is not None and not value.isascii() and not unicodedata.is_normalized("NFC", value):
                fields[name] = unicodedata.normalize("NFC", value)
        seller = self.seller
        if seller.name is not None and not seller.name.isascii() and not unicodedata.is_normalized("NFC", seller.name):
            seller.name = unicodedata.normalize("NFC", seller.name)
        if self.flags:
            self.risk = max(self.risk, max(flag.score for flag in self.flags))
        return self

    @property
    def key(self) -> str:
        """The listing's id across the product: ``platform:listing_id``."""
        return f"{self.platform}:{self.listing_id}"

    def field_text(self, field: str) -> str:
        """The text of one matchable field (``seller`` is the seller's name), '' when absent."""
        if field == "seller":
            return self.seller.name or ""
        value = getattr(self, field, None)
        return value if isinstance(value, str) else ""

    def field_texts(self) -> dict[str, str]:
        """:meth:`field_text` of every field of :data:`TEXT_FIELDS`, in that order (one call for
        all: the rule engine reads them for every listing)."""
        fields = self.__dict__
        texts = {name: value if isinstance(value := fields.get(name), str) else "" for name in _OWN_TEXT_FIELDS}
        texts["seller"] = self.seller.name or ""
        return texts

    def to_document(self) -> dict[str, Any]:
        """The JSON-safe document the store keeps (no capture, datetimes as ISO strings)."""
        return self.model_dump(mode="json")


def split_key(key: str) -> tuple[str, str]:
    """``"tiki:123"`` → ``("tiki", "123")``; raises ValueError on a key without a platform."""
    platform, sep, listing_id = key.partition(":")
    if not sep or not platform or not listing_id:
        raise ValueError(f"not a listing key (platform:listing_id): {key!r}")
    return platform, listing_id
