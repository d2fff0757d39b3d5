"""VND price parsing: what Vietnamese sellers and platforms actually write.

``parse_vnd`` turns a raw price into whole đồng:

- formatted amounts: "1.250.000₫", "₫167,000", "2.460.000.000 đ", "99.000 VNĐ" (price-parser does
  the separators and currency signs);
- Vietnamese shorthand: "250k", "850K", "1tr2" (1,200,000), "3tr8", "3.5 triệu", "1 triệu 200",
  "2 tỷ", "1ty2", "15 củ" (slang for triệu), "500 nghìn"/"ngàn";
- integers and floats as platforms send them (Tiki sends đồng; Shopee's ×100000 integers go
  through :func:`from_shopee`).

"Liên hệ", "Thỏa thuận" and other price-on-request phrases mean *no price* and give ``None``; text
that holds no amount at all raises :class:`PriceError` naming the value, so the caller can report
where it came from and carry on.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

from price_parser import Price

SHOPEE_PRICE_FACTOR = 100_000
"""Shopee's API sends prices multiplied by 100000 (63000000000 == 630,000 VND)."""

MAX_VND = 1_000_000_000_000
"""One trillion đồng: anything above is a parsing accident, not a listing price."""


class PriceError(ValueError):
    """A price that could not be read; the message quotes the raw value."""


_NO_PRICE = (
    "lien he",
    "thoa thuan",
    "inbox",
    "ib",
    "call",
    "goi",
    "contact",
    "mien phi",
    "free",
    "tang",
)

_UNITS = {
    "k": 1_000,
    "nghin": 1_000,
    "ngan": 1_000,
    "ng": 1_000,
    "tr": 1_000_000,
    "trieu": 1_000_000,
    "cu": 1_000_000,
    "m": 1_000_000,
    "ty": 1_000_000_000,
    "ti": 1_000_000_000,
}
# "1tr2", "3 triệu 8", "1ty2", "3.5tr", "250k", "1 triệu 200 nghìn", "15 củ"
_SHORTHAND = re.compile(
    r"(?<![\w.,])(?P<num>\d+(?:[.,]\d+)?)\s*(?P<unit>trieu|tr|ty|ti|nghin|ngan|ng|cu|k|m)(?![a-z])"
    r"(?:\s*(?P<rest>\d{1,3})(?:\s*(?:nghin|ngan|k))?)?(?![\w])",
)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def _checked(amount: Decimal | int, raw: object) -> int:
    value = int(Decimal(amount).to_integral_value())
    if value < 0:
        raise PriceError(f"negative price {raw!r}")
    if value > MAX_VND:
        raise PriceError(f"implausible price {raw!r} (over {MAX_VND:,} VND)")
    return value


def _shorthand(folded: str, raw: object) -> int | None:
    match = _SHORTHAND.search(folded)
    if not match:
        return None
    unit = _UNITS[match["unit"]]
    try:
        amount = Decimal(match["num"].replace(",", "."))
    except InvalidOperation:  # pragma: no cover - the regex only lets digits through
        return None
    value = amount * unit
    rest = match["rest"]
    if rest and unit >= 1_000_000:
        # "1tr2" → 1.2 tr; "1tr250" → 1.25 tr; "1 triệu 200 nghìn" → 1.2 tr
        value += Decimal(rest) * unit / (10 ** len(rest))
    return _checked(value, raw)


def parse_vnd(raw: object) -> int | None:
    """Whole đồng from a raw price, ``None`` for "no price"; raises :class:`PriceError`."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise PriceError(f"not a price: {raw!r}")
    if isinstance(raw, int):
        return _checked(raw, raw)
    if isinstance(raw, float):
        if raw != raw:  # NaN
            raise PriceError("not a price: NaN")
        return _checked(Decimal(str(raw)), raw)
    if not isinstance(raw, str):
        raise PriceError(f"not a price: {raw!r}")
    text = raw.strip()
    if not text:
        return None
    folded = _fold(text)
    words = re.sub(r"[^a-z0-9 ]+", " ", folded).split()
    if not any(ch.isdigit() for ch in folded):
        if words and (" ".join(words) in _NO_PRICE or words[0] in _NO_PRICE or "lien he" in folded):
            return None
        raise PriceError(f"no amount in price {raw!r}")
    if re.match(r"^-\s*\d", folded):
        raise PriceError(f"negative price {raw!r}")
    shorthand = _shorthand(folded, raw)
    if shorthand is not None:
        return shorthand
    parsed = Price.fromstring(text, decimal_separator=None)
    if parsed.amount is None:
        raise PriceError(f"no amount in price {raw!r}")
    amount = parsed.amount
    # VND has no minor unit: "1.200" and "167,000" are thousands, never decimals.
    if amount != amount.to_integral_value() and re.search(r"\d[.,]\d{3}(?!\d)", text):
        amount = Decimal(re.sub(r"[.,]", "", re.search(r"\d[\d.,]*", text)[0]))
    return _checked(amount, raw)


def from_shopee(raw: int | str | None) -> int | None:
    """Shopee's ×100000 integer price → đồng; ``None``/negative sentinels (-1) → ``None``."""
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except (TypeError, ValueError) as exc:
        raise PriceError(f"not a Shopee price: {raw!r}") from exc
    if value < 0:
        return None
    return _checked(Decimal(value) / SHOPEE_PRICE_FACTOR, raw)


def format_vnd(value: int | None) -> str:
    """``1250000`` → ``"1.250.000₫"`` (how Vietnamese readers expect to see it)."""
    if value is None:
        return "—"
    return f"{value:,}".replace(",", ".") + "₫"
