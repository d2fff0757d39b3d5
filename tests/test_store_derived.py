"""Values the store derives from a listing: the folded search text."""

from __future__ import annotations

import random

from crawler.items import Listing
from crawler.store.derived import search_text
from crawler.text import fold

PIECES = ("Đồng hồ", "ROLEX", "  ", "\n", "\t", "chính hãng", "giá rẻ!!", "Ｇｕｃｃｉ", "s.ú.n.g", "", " x ", "Ⓐ", "é")


def test_search_text_is_the_folded_parts_joined_by_one_space() -> None:
    """``search_text`` folds the joined text once; that equals folding title and description apart."""
    rng = random.Random(11)
    for _ in range(2000):
        title = "".join(rng.choice(PIECES) for _ in range(rng.randrange(1, 6)))
        if not title.strip():
            continue
        description = rng.choice((None, "".join(rng.choice(PIECES) for _ in range(rng.randrange(0, 8)))))
        listing = Listing(platform="tiki", listing_id="1", url="https://tiki.vn/p/1", title=title,
                          description=description)  # fmt: skip
        parts = [fold(part) for part in (listing.title, listing.description) if part]
        assert search_text(listing) == " ".join(part for part in parts if part), (title, description)
