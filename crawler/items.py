"""The one schema every spider yields and every other part reads: Listing, Seller, Flag.

Spiders yield plain dicts with these field names; ``pipelines.normalize`` validates them into
:class:`Listing`. Prices may arrive as raw strings ("1.250.000₫", "Liên hệ") and are parsed by
``crawler.prices``; everything else is typed here once so that the rule engine, the store, the CLI
and the exports never guess at a field's shape. Unknown fields are ignored, so a file of listings
written by someone else (``crawler detect --input``) loads as long as the known fields fit.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

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


class Evidence(_Model):
    """Where the captured response (and screenshot) of a flagged listing is kept."""

    url: str | None = None
    http_status: int | None = None
    html_sha256: str | None = None
    html_ref: str | None = None
    screenshot_ref: str | None = None
    captured_at: datetime | None = None


class Capture(BaseModel):
    """The raw response a listing came from; travels with the item, never stored as such."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    url: str
    status: int
    body: bytes
    screenshot: bytes | None = None
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
