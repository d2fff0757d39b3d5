"""Placeholder and absurd prices: a price that is no price, judged without any peers.

A price is a placeholder when it is:

- from 1 to 999 đ (0 đ is a gift or no price), or exactly 1,000 đ for goods that never cost that
  (one specific product, a vehicle, electronics): "1đ", "1.000đ" to get to the top of a
  price-sorted search;
- a typed pattern: one digit nine times or more ("111.111.111", "999.999.999"), "99.999.999"
  (999.999 and 11.111.111 are real prices), or a run of digits ("12.345", "123.456", "123.456.789");
- under the ``floors`` of the rule for its goods type (a motorbike at 1.250 đ), or under
  ``product_min`` for one specific product (a model with a peer key: an iPhone at 5.000 đ), or
  over its ``ceilings`` (a used scooter at 23 tỷ);
- contradicted by the listing's own text: every price the title or description states ("Giá bán
  6tr", "giá 350k") is at least ``contradiction`` times off the price field (6 tỷ); a number
  written without a unit may be in thousands ("giá 19.500" for 19,5 triệu).

Such a price is flagged ``price_anomaly.placeholder`` (low severity) and never counts in a peer
group's median.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from crawler.prices import PriceError, format_vnd, parse_vnd

if TYPE_CHECKING:
    from crawler.detect.catalog import CatalogIndex, ProductHit
    from crawler.detect.conditions import ListingText
    from crawler.detect.goods import GoodsHit
    from crawler.detect.identity import Identity, IdentityReader
    from crawler.detect.model import PriceConfig

__all__ = ["PlaceholderCheck", "specific_product", "stated_prices"]

_RUNS = ("1234567890", "9876543210")
_STATED = re.compile(
    r"\bgia(?: ban| chi| chi co| co| la| ban la| sale| uu dai| khuyen mai| moi| pass| thanh ly| chot| de| ca| ban chi)*"
    r"\s*[:\-=]?\s*((?:\d{1,3}(?:[.,]\d{3})+|\d+(?:[.,]\d+)?)\s*(?:(?:k|tr|trieu|ty|cu|nghin|ngan|d|vnd|dong)(?:\d{1,3})?(?!\w)|(?![\w/])))")
_HAS_UNIT = re.compile(r"[a-z]|\d[.,]\d{3}")
_UNIT_WORD = re.compile(r"(?:k|tr|trieu|ty|cu|nghin|ngan)(?:\d{1,3})?$")
"""Units that say the amount; "đ"/"vnd" after a bare number does not (sellers write thousands)."""
SPECIFIC_GOODS = frozenset({"electronics", "phones_computers", "vehicles", "cars", "e_cigarettes"})
"""Goods whose one model (a peer key) never sells for a few thousand đồng; a kitchen cloth may."""
HEAD_WORDS = 3
"""A goods word at most this many words into the title names the listing's goods (not its context)."""
_CHEAP_NEVER = frozenset({"vehicles", "cars", "electronics", "phones_computers"})
"""Goods that never sell at 1,000 đ (a charger does not; a sticker or a bag of sweets may)."""


def stated_prices(folded: str) -> list[tuple[int, bool]]:
    """The prices a folded text states ("gia ban 6tr", "gia: 1.250.000d"), in đồng, each with
    whether it has a unit; numbers without a unit or thousands separators ("giá 350") are not read."""
    found: list[tuple[int, bool]] = []
    for match in _STATED.finditer(folded):
        amount = match.group(1).strip()
        if not _HAS_UNIT.search(amount):
            continue
        try:
            value = parse_vnd(amount)
        except PriceError:
            continue
        if value:
            # k / tr / tỷ say the amount; "đ" after a bare number is often thousands ("10.800đ" for 10,8 triệu)
            found.append((value, _UNIT_WORD.search(amount) is not None))
    return found


def _agrees(stated: int, with_unit: bool, price: int, factor: float) -> bool:
    """A stated price within ``factor`` of the price; one written without a unit may be in thousands
    or millions ("giá 19.500" for 19,5 triệu, as Chợ Tốt sellers write)."""
    candidates = [stated] if with_unit else [stated, stated * 1_000, stated * 1_000_000]
    return any(max(c / price, price / c) < factor for c in candidates)


def _typed_pattern(price: int) -> bool:
    """One digit nine times or more, eight nines, or a run from its start ("12.345", "123.456.789",
    "987.654": "34.567.890" is a dealer's gimmick on a real price)."""
    digits = str(price)
    if len(set(digits)) == 1 and (len(digits) >= 9 or (len(digits) == 8 and digits[0] == "9")):
        return True
    return len(digits) >= 5 and any(run.startswith(digits) for run in _RUNS)


def specific_product(product: ProductHit | None, identity: Identity | None) -> bool:
    """Whether a listing names one specific product that never sells for a few thousand đồng: a
    catalog product, or a model (peer key) of electronics or vehicles."""
    return product is not None or (identity is not None and identity.goods in SPECIFIC_GOODS)


class PlaceholderCheck:
    """The ``direction: placeholder`` rule's test, shared by the detector and the peer statistics."""

    def __init__(self, config: PriceConfig | None, index: CatalogIndex, identities: IdentityReader) -> None:
        self.config = config
        self.index = index
        self.identities = identities

    def reason_for(self, text: ListingText, product: ProductHit | None = None) -> str | None:
        """:meth:`reason` for a listing: its goods type, and whether it names one specific product."""
        if self.config is None or text.listing.price is None:
            return None
        if product is None:
            product = self.index.product_in(text)
        # the peer pass and the flag pass both ask: computed once per listing text and product
        key = (id(self), "placeholder")
        known = text.memo.get(key)
        if known is not None and known[0] is product:  # type: ignore[index]
            return known[1]  # type: ignore[index,return-value]
        goods_index = self.index.catalog.goods
        goods = goods_index.goods_of(text) if goods_index is not None else None
        found = self.reason(text, goods, specific_product(product, self.identities.identity(text, product)))
        text.memo[key] = (product, found)
        return found

    def reason(self, text: ListingText, goods_hit: GoodsHit | None, specific: bool) -> str | None:
        """Why the listing's price is a placeholder (in words, for the flag), None when it is not.

        The goods type's floor and ceiling apply only when the title names the goods up front
        (within its first words) or by the brand: "Bộ chống định vị GPS ô tô" is no car.
        """
        config = self.config
        price = text.listing.price
        if config is None or price is None:
            return None
        goods = goods_hit.goods if goods_hit is not None else None
        named_up_front = goods_hit is not None and (
            goods_hit.source == "brand" or (goods_hit.source == "title" and goods_hit.hit is not None
                                            and 0 <= goods_hit.hit.word <= HEAD_WORDS))
        if price == 0:
            return None  # a gift, or "liên hệ" sent as 0: no price, not a placeholder
        if price < 1_000:
            return f"giá {format_vnd(price)} dưới 1.000₫"
        if price == 1_000 and (specific or goods in _CHEAP_NEVER):
            return "giá 1.000₫ cho hàng không bao giờ có giá đó"
        if _typed_pattern(price):
            return f"giá {format_vnd(price)} là dãy số gõ cho có"
        if specific and config.product_min and price < config.product_min:
            return f"giá {format_vnd(price)} dưới {format_vnd(config.product_min)} cho một mẫu sản phẩm cụ thể"
        if goods is not None:
            floor = config.floors.get(goods)
            # only the category says what it is: believe it for prices a hundred times under the floor
            if floor is not None and price < (floor if named_up_front else floor / 100):
                return f"giá {format_vnd(price)} dưới {format_vnd(floor)} (mức tối thiểu cho loại hàng {goods})"
            ceiling = config.ceilings.get(goods)
            if ceiling is not None and price > (ceiling if named_up_front else ceiling * 100):
                return f"giá {format_vnd(price)} trên {format_vnd(ceiling)} (mức tối đa cho loại hàng {goods})"
        if config.contradiction:
            folded = text.field("title").folded + "\n" + text.field("description").folded
            stated = stated_prices(folded)
            if stated and not any(_agrees(p, unit, price, config.contradiction) for p, unit in stated):
                return f"tin ghi giá {format_vnd(stated[0][0])}, khác xa giá niêm yết {format_vnd(price)}"
        return None
