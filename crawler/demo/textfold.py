"""Fold Vietnamese text for the demo marketplace's keyword search and URL slugs.

Lower case, diacritics removed, "đ" → "d": "Sữa Bột" and "sua bot" match, as on the real sites.
"""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """``"Nồi Chiên Đa Năng"`` → ``"noi chien da nang"``."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
