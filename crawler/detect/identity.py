"""Product identity: which listings sell the *same* product, so that their prices can be compared.

A peer key is ``model|variant…`` read from the title:

- the model: for a vehicle named by its model word, that word and its variant ("vision", "wave
  alpha 110", "sh mode"; "Wave" alone names several models, none); else a catalog product
  ("iphone 15 pro max", "sua glico icreo so 0 800g"); else a strong model code
  ("hd9252", "wh1000xm5": letters and at least three digits, five characters or more); else the
  catalog brand followed by a weak code ("samsung|a55") or by a series word and a number
  ("xiaomi|note 13 pro", "xiaomi|purifier 4 lite"); else the brand with its size
  ("cetaphil|500ml": a brand's goods of one size sell in one price range);
- the variant: storage ("256gb"; of "8/256GB" the larger), volume ("750ml") and weight ("800g")
  unless a model code fixes them, pack size ("x6"), formula-milk stage ("so 1");
- for vehicles the model year ("đời 2022", "đk 2019", or a bare year), without which a vehicle has
  no peers (a 1981 Cub is not a 2023 one). New and second-hand goods share a group: a used phone at
  60% of the new price is within the rules' bounds (far below is under 40%), and on classified
  sites the two are rarely told apart in the title.

Generic titles ("Áo sơ mi nam", "Tai nghe bluetooth") have no key: they name no one product.
Neither do accessories, parts, services, books (their goods type says so) nor the titles the
catalog marks as accessories ("ốp lưng iPhone 15").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from crawler.detect.conditions import ListingText, TitleMemo
from crawler.detect.fields import FieldText

if TYPE_CHECKING:
    from crawler.detect.catalog import CatalogIndex, ProductHit
    from crawler.detect.goods import GoodsIndex
    from crawler.detect.phrases import Hit

__all__ = ["Identity", "IdentityReader", "model_year"]

NO_PEERS = frozenset({
    "accessories", "vehicle_parts", "services", "books", "real_estate", "fresh_food", "plants_animals",
    "not_goods", "household",
})
"""Goods types whose listings are never one product's peers."""
VEHICLES = frozenset({"vehicles", "cars"})

_UNIT = re.compile(
    r"^\d+(?:gb|tb|mb|ml|l|lit|g|gr|gram|kg|mah|w|kw|v|hz|inch|in|cm|mm|m|k|tr|h|p|x|mp|fps|cc|g\d|th|t|s|d|vnd|ngay|"
    r"thang|nam|pcs|c|mg|mcg|iu|pack|hop|goi|vien|chai|lon|tuyp|lit|m2|m3)$")
_YEAR = re.compile(r"^(?:19[5-9]\d|20[0-4]\d)$")
_CODE = re.compile(r"^(?=[a-z0-9]*[a-z])(?=[a-z0-9]*\d)[a-z0-9]+$")
_STORAGE = re.compile(r"\b(\d{1,4})\s*(gb|tb)\b|\b(?:ssd|rom|bo nho|dung luong)\s*(\d{2,4})()\b")
_BARE_STORAGE = re.compile(r"\b(64|128|256|512)\b")
_RAM_STORAGE = re.compile(r"\b\d{1,2}\s*(?:gb)?\s*/\s*(\d{2,4})\s*(gb|tb)?\b")
_VOLUME = re.compile(r"\b(\d{1,4}(?:[.,]\d{1,2})?)\s*(ml|l|lit|lít)\b")
_WEIGHT = re.compile(r"\b(\d{1,4}(?:[.,]\d{1,2})?)\s*(g|gr|gram|kg)\b")
_PACK = re.compile(r"\b(?:loc|thung|hop|combo|set|bo|x)\s*(\d{1,3})\b|\b(\d{1,3})\s*(?:hop|lon|chai|goi|tuyp)\b")
_STAGE = re.compile(r"\bso\s*([0-4])\b")
_MODEL_YEAR = re.compile(r"\b(?:doi|dk|dky|dang ky|sx|san xuat|model|nam)\s*[:\-]?\s*((?:19[5-9]|20[0-4])\d)\b")
_BARE_YEAR = re.compile(r"\b((?:19[5-9]|20[0-4])\d)\b")
GENERIC_VEHICLES = frozenset({
    "xe may", "xe tay ga", "xe ga", "xe so", "xe con", "xe con tay", "xe dien", "xe may dien", "xe dap dien", "mo to",
    "moto", "xe phan khoi lon", "pkl", "cao cao", "o to", "xe hoi", "xe o to", "xe van", "xe tai", "xe ban tai",
})
"""Vehicle words that name no model: they make no peer group on their own."""
_DISPLACEMENT = re.compile(
    r"^c?(?:50|70|81|100|110|125|135|150|155|160|175|250|300|400|500|600|650|750|800|900|1000)(?:i|cc)?$")
VEHICLE_ALIASES = {"ab": "air blade", "airblade": "air blade", "ex": "exciter"}
"""Short names sellers write for a model ("AB 125" is an Air Blade 125)."""
VEHICLE_VARIANTS = frozenset({
    "alpha", "rsx", "rs", "zx", "s", "a", "x", "neo", "fi", "mode", "super", "thai", "viet", "tau", "nhat",
    "gt", "v1", "v2", "v3", "abs", "sprint", "primavera", "lx", "gts", "club", "blade", "plus", "r", "pro", "rc",
})
"""Words after a vehicle's model word that name its variant ("Wave Alpha", "Dream Thái", "SH Mode")."""
SINGLE_ENGINE = frozenset({"vision", "janus", "grande", "klara", "latte", "freego", "feliz", "evo", "liberty"})
"""Models with one engine size: a displacement after the name is no variant."""
AMBIGUOUS_VEHICLES = frozenset({
    "wave", "dream", "future", "sirius", "jupiter", "sh", "exciter", "winner", "cub", "vespa", "air blade",
    "airblade", "lead", "satria", "raider", "cbr", "cb", "pcx", "click", "vario",
})
"""Model words that name several models until their variant is written ("Wave" is an Alpha or an RSX)."""
_SERIES_SUFFIX = frozenset({"pro", "max", "plus", "ultra", "mini", "lite", "promax", "se", "fe", "s"})
_STRONG_CODE_LEN = 5


def model_year(folded: str) -> str | None:
    """A vehicle's model year in a folded text: "đời / đk / dky / sx 20xx" first, else a bare year."""
    found = _MODEL_YEAR.search(folded) or _BARE_YEAR.search(folded)
    return found.group(1) if found else None


def _number(text: str) -> float:
    return float(text.replace(",", "."))


def _variant(folded: str, model: str, goods: str | None, coded: bool = False) -> list[str]:
    """Storage, volume, weight, pack size and milk stage named in the title, not already in the model.

    ``coded``: the model is a model code, which fixes the volume and weight ("CR-0675F" is the
    1.08 L cooker whether the title says so or not); storage and pack size still count.
    """
    parts: list[str] = []
    storages = [int(m.group(1) or m.group(3)) * (1024 if m.group(2) == "tb" else 1) for m in _STORAGE.finditer(folded)]
    storages += [int(m.group(1)) * (1024 if m.group(2) == "tb" else 1) for m in _RAM_STORAGE.finditer(folded)]
    if not storages and goods == "phones_computers":
        storages = [int(m.group(1)) for m in _BARE_STORAGE.finditer(folded)]  # "ip 14 promax 256"
    if storages:
        largest = max(storages)
        parts.append(f"{largest // 1024}tb" if largest >= 1024 and largest % 1024 == 0 else f"{largest}gb")
    volume = None if coded else _VOLUME.search(folded)
    if volume:
        amount = _number(volume.group(1)) * (1 if volume.group(2) == "ml" else 1000)
        parts.append(f"{amount:g}ml")
    weight = None if coded else _WEIGHT.search(folded)
    if weight and not storages:
        amount = _number(weight.group(1)) * (1000 if weight.group(2) == "kg" else 1)
        parts.append(f"{amount:g}g")
    pack = _PACK.search(folded)
    if pack:
        count = int(pack.group(1) or pack.group(2))
        if count > 1:
            parts.append(f"x{count}")
    if goods in ("food", "supplements"):
        stage = _STAGE.search(folded)
        if stage:
            parts.append(f"so {stage.group(1)}")
    spaced = f" {model.replace('|', ' ')} "
    return [part for part in parts if f" {part} " not in spaced and f" {part.removesuffix('ml')} " not in spaced]


@dataclass(frozen=True, slots=True)
class Identity:
    """A listing's product identity: its peer key and what it was read from."""

    key: str
    hit: Hit | None
    """The span of the title that names the model (the product's name, the code)."""
    goods: str | None = None
    """The listing's goods type (``vehicles``, ``electronics``…), None when unknown."""
    year: int | None = None
    """A vehicle's model year."""


class IdentityReader:
    """Reads :class:`Identity` from listings with the catalog (products, brands) and the goods types."""

    def __init__(self, index: CatalogIndex, goods: GoodsIndex | None) -> None:
        self.index = index
        self.goods = goods
        self._memo = TitleMemo()

    def identity(self, text: ListingText, product: ProductHit | None = None) -> Identity | None:
        """The listing's identity, None when its title names no one product (cached per title)."""
        return self._memo.get(text, lambda: self._identity(text, product))

    def _identity(self, text: ListingText, product: ProductHit | None) -> Identity | None:
        goods_hit = self.goods.goods_of(text) if self.goods is not None else None
        goods = goods_hit.goods if goods_hit is not None else None
        if goods in NO_PEERS:
            return None
        if self.index.accessories.find(text, ("title",)):
            return None
        prepared = text.field("title")
        folded = prepared.folded
        if product is None:
            product = self.index.product_in(text)
        if product is not None and goods is not None and goods not in VEHICLES and self._vehicle_product(product):
            product = None  # "Kính Vision" is no Honda Vision
        words = prepared.words()
        code = _strong_code(_codes(words))
        brand_only = False
        vehicle_head = (goods in VEHICLES and goods_hit is not None and goods_hit.source == "title"
                        and goods_hit.hit is not None)
        if vehicle_head:
            product = None  # the model word and its variant name a vehicle better than the catalog's few keys
            code = None  # "SH Mode 125fi": the engine written like a code is no model code
        if product is not None and code is not None and code in product.product.key.replace(" ", "").replace("-", ""):
            product = None  # "sony wh 1000xm5" is the code "wh1000xm5", with or without the brand written
        if product is not None and (code is None or any(c.isdigit() for c in product.product.key)):
            model, hit = product.product.key, product.hit
            brand = self.index.catalog.brands.get(product.product.brand or "")
            if goods is None and brand is not None and self.goods is not None:
                goods = self.goods.brand_goods(brand.aliases)
        elif code is not None:
            # a model code names the model more exactly than a catalog product without one
            # ("nồi chiên không dầu philips" is every Philips air fryer; "hd9252" is one)
            model, hit = code, None
        elif vehicle_head and goods_hit is not None and goods_hit.hit is not None:
            found_vehicle = _vehicle_model(text, goods_hit.hit)
            if found_vehicle is None:
                return None
            model, hit = found_vehicle, goods_hit.hit
        else:
            found = self._model(text, words)
            if found is None:
                return None
            model, hit = found
            brand_only = "|" not in model
        vehicle = goods in VEHICLES
        variant = _variant(folded, model, goods, coded=model == code)
        if brand_only and not any(part.endswith(("ml", "g")) for part in variant):
            return None  # a brand alone is a product only with its size ("cetaphil|500ml")
        parts = [model, *variant]
        year = None
        if vehicle:
            year = model_year(folded)
            if year is None:
                return None
            parts.append(year)
        return Identity("|".join(parts), hit, goods, int(year) if year else None)

    def _vehicle_product(self, product: ProductHit) -> bool:
        brand = self.index.catalog.brands.get(product.product.brand or "")
        return brand is not None and self.goods is not None and self.goods.brand_goods(brand.aliases) in VEHICLES

    def _model(self, text: ListingText, words: list[str]) -> tuple[str, Hit | None] | None:
        """A model from a catalog brand in the title followed by a code ("samsung|a55") or by a
        series word and a number ("xiaomi|note 13 pro"); else the brand alone (a product only with
        its size: the caller checks)."""
        brand_hits = [b for b in self.index.brands_in(text, ("title",)) if b.similarity >= 1.0]
        if not brand_hits:
            return None
        brand = brand_hits[0]
        name = brand.brand.name.lower()
        first = min(brand.hits, key=lambda h: h.start)
        codes = _codes(words)
        if codes:
            return f"{name}|{codes[0]}", first
        # the word before the first number within four words, the number, its suffixes: "note 13 pro",
        # "purifier 4 lite" (not "smart air purifier": sellers drop the marketing words in front)
        after = FieldText.of(text.raw("title")[first.end:]).words()
        for index, word in enumerate(after[:4]):
            if word.isdigit() and 1 <= len(word) <= 4 and not _YEAR.match(word):
                if index == 0 or not after[index - 1].isalpha():
                    return name, first
                series = [after[index - 1], word]
                break
            if not word.isalpha():
                return name, first
        else:
            return name, first
        index += 1
        while index < len(after) and after[index] in _SERIES_SUFFIX and len(series) < 5:
            series.append(after[index])
            index += 1
        return f"{name}|{' '.join(series)}", first


def _vehicle_model(text: ListingText, hit: Hit) -> str | None:
    """A vehicle's model from the goods word that named it and the variant words after it ("Vision",
    "SH 150i", "Wave Alpha", "Dream Thái"); None for a word that names no model ("xe máy") or one
    that names several without its variant ("Wave", "Dream", "SH")."""
    words = FieldText.of(text.raw("title")[hit.start:hit.end]).words()
    name = " ".join(words)
    if name in GENERIC_VEHICLES:
        return None
    words = [VEHICLE_ALIASES.get(word, word) for word in words]
    if " ".join(words) not in SINGLE_ENGINE:
        # "Wave Alpha", "SH 150i", "CBR 650": the variant words after the model's name ("Vision 110"
        # is just the Vision: its one engine is no variant)
        for word in FieldText.of(text.raw("title")[hit.end:]).words()[:2]:
            if not (_DISPLACEMENT.match(word) or word in VEHICLE_VARIANTS):
                break
            words.append(word)
    words = [word.removesuffix("cc") if _DISPLACEMENT.match(word) else word for word in words]
    model = " ".join(words)
    if model in AMBIGUOUS_VEHICLES:
        return None
    return model


def _codes(words: list[str]) -> list[str]:
    """The model codes among a title's folded words: letters and digits mixed, no unit, no year; a
    short letter prefix written apart joins the code ("wh 1000xm5" → "wh1000xm5")."""
    codes: list[str] = []
    for i, word in enumerate(words):
        if not _CODE.match(word) or _UNIT.match(word) or _YEAR.match(word):
            continue
        previous = words[i - 1] if i > 0 else ""
        if previous.isalpha() and len(previous) <= 3 and word[0].isdigit():
            codes.append(previous + word)
        else:
            codes.append(word)
    return codes


def _strong_code(codes: list[str]) -> str | None:
    """The first code that names a model on its own: five characters or more, three digits or more."""
    for code in codes:
        digits = sum(c.isdigit() for c in code)
        if len(code) >= _STRONG_CODE_LEN and 3 <= digits < len(code):
            return code
    return None
