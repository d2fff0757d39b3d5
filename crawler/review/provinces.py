"""Vietnam's province names as inspectors type them → the names the store holds.

People write "HCM", "TP.HCM", "tp hcm", "Sài Gòn", "Ha Noi", "HN" or "Tỉnh Lào Cai"; the store keeps
the name a platform gave ("TP. Hồ Chí Minh", "Hà Nội", "Lào Cai") and matches it folded (case and
diacritics ignored). :func:`canonical_province` maps what was typed to that name before the query:
each of the 63 provinces and cities (the names platforms use), the 34 units of the 2025 merger (all
keep one of those names but Huế, mapped to "Thừa Thiên Huế"), and common abbreviations. Unknown
text is passed on unchanged (the store still matches it folded).
"""

from __future__ import annotations

import re

from crawler.text import fold

CITIES: tuple[str, ...] = ("Hà Nội", "TP. Hồ Chí Minh", "Hải Phòng", "Đà Nẵng", "Cần Thơ")
PROVINCES: tuple[str, ...] = (
    "An Giang", "Bà Rịa - Vũng Tàu", "Bắc Giang", "Bắc Kạn", "Bạc Liêu", "Bắc Ninh", "Bến Tre", "Bình Định",
    "Bình Dương", "Bình Phước", "Bình Thuận", "Cà Mau", "Cao Bằng", "Đắk Lắk", "Đắk Nông", "Điện Biên",
    "Đồng Nai", "Đồng Tháp", "Gia Lai", "Hà Giang", "Hà Nam", "Hà Tĩnh", "Hải Dương", "Hậu Giang", "Hòa Bình",
    "Hưng Yên", "Khánh Hòa", "Kiên Giang", "Kon Tum", "Lai Châu", "Lâm Đồng", "Lạng Sơn", "Lào Cai", "Long An",
    "Nam Định", "Nghệ An", "Ninh Bình", "Ninh Thuận", "Phú Thọ", "Phú Yên", "Quảng Bình", "Quảng Nam",
    "Quảng Ngãi", "Quảng Ninh", "Quảng Trị", "Sóc Trăng", "Sơn La", "Tây Ninh", "Thái Bình", "Thái Nguyên",
    "Thanh Hóa", "Thừa Thiên Huế", "Tiền Giang", "Trà Vinh", "Tuyên Quang", "Vĩnh Long", "Vĩnh Phúc", "Yên Bái",
)
NAMES: tuple[str, ...] = CITIES + PROVINCES
"""The 63 provinces and centrally-run cities, as the store holds them."""

MERGED_2025: tuple[str, ...] = (
    "Hà Nội", "Huế", "Hải Phòng", "Đà Nẵng", "TP. Hồ Chí Minh", "Cần Thơ", "Lai Châu", "Điện Biên", "Sơn La",
    "Lạng Sơn", "Quảng Ninh", "Thanh Hóa", "Nghệ An", "Hà Tĩnh", "Cao Bằng", "Tuyên Quang", "Lào Cai",
    "Thái Nguyên", "Phú Thọ", "Bắc Ninh", "Hưng Yên", "Ninh Bình", "Quảng Trị", "Quảng Ngãi", "Gia Lai",
    "Khánh Hòa", "Lâm Đồng", "Đắk Lắk", "Đồng Nai", "Tây Ninh", "Vĩnh Long", "Đồng Tháp", "Cà Mau", "An Giang",
)
"""The 34 provinces and cities from 1 July 2025 (Nghị quyết 202/2025/QH15)."""

ABBREVIATIONS: dict[str, str] = {
    "hn": "Hà Nội", "hanoi": "Hà Nội",
    "hcm": "TP. Hồ Chí Minh", "hcmc": "TP. Hồ Chí Minh", "tphcm": "TP. Hồ Chí Minh", "sg": "TP. Hồ Chí Minh",
    "saigon": "TP. Hồ Chí Minh", "hochiminhcity": "TP. Hồ Chí Minh",
    "hp": "Hải Phòng", "danang": "Đà Nẵng", "cantho": "Cần Thơ",
    "brvt": "Bà Rịa - Vũng Tàu", "vungtau": "Bà Rịa - Vũng Tàu",
    "hue": "Thừa Thiên Huế", "tthue": "Thừa Thiên Huế", "tth": "Thừa Thiên Huế",
    "daclac": "Đắk Lắk", "daknong": "Đắk Nông", "backan": "Bắc Kạn",
}

_PUNCTUATION = re.compile(r"[^\w]+")
_PREFIXES: tuple[tuple[str, ...], ...] = (("thanh", "pho"), ("tp",), ("tinh",), ("t",))


def province_key(text: str) -> str:
    """The comparison key: folded, punctuation and "Tỉnh"/"Thành phố"/"TP." dropped, no spaces."""
    words = _PUNCTUATION.sub(" ", fold(text)).replace("_", " ").split()
    for prefix in _PREFIXES:
        if len(words) > len(prefix) and tuple(words[: len(prefix)]) == prefix:
            words = words[len(prefix):]
            break
    return "".join(words)


def _table() -> dict[str, str]:
    table = {province_key(name): name for name in NAMES}
    table.update(ABBREVIATIONS)
    table.update({province_key(name): table[province_key(name)] for name in MERGED_2025 if province_key(name) in table})
    return table


_TABLE = _table()


def canonical_province(typed: str) -> str:
    """The store's name for the province ``typed`` names ("HCM" → "TP. Hồ Chí Minh"), else ``typed``."""
    key = province_key(typed)
    return _TABLE.get(key) or _TABLE.get(key.removeprefix("tp")) or typed
