"""Detector.detect on 3,000 synthetic listings: the planted flags, and only those (prints listings/s).

No timing is asserted (machines differ; the benchmark is ``python -m bench detect_throughput``);
the test checks that the flags found are the ones planted in the synthetic data.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from crawler.detect import Detector, load_rules
from crawler.items import Listing

RULES = Path(__file__).resolve().parent.parent / "rules"
N = 3_000

CLEAN = [
    "Áo thun nam cotton form rộng {n} màu", "Quần jean nữ lưng cao co giãn size {n}",
    "Nồi chiên không dầu Philips HD9252 {n}L chính hãng", "Sữa Ensure Gold 850g hương vani lốc {n}",
    "iPhone 15 Pro Max 256GB VN/A mới {n}%", "Giày sneaker nam đế cao {n}cm", "Ốp lưng iPhone 15 chống sốc {n}",
    "Bộ nồi inox 3 đáy {n} món", "Kem chống nắng La Roche-Posay Anthelios 50ml", "Đèn pin siêu sáng {n}W",
]
DESCRIPTION = ("Sản phẩm mới 100%, bảo hành 12 tháng. Giao hàng toàn quốc, đổi trả trong 7 ngày. "
               "Xuất xứ: Việt Nam. Chất liệu cao cấp, phù hợp đi làm, đi chơi. ") * 3
PLANTED = ["Súng hơi PCP {n}", "Túi G u c c i rep 1:1 mẫu {n}", "Thuốc lá điện tử pod {n} hơi"]


def synthetic(n: int, rng: random.Random) -> Listing:
    planted = n % 100 == 0
    template = PLANTED[(n // 100) % len(PLANTED)] if planted else rng.choice(CLEAN)
    return Listing(
        platform="synthetic", listing_id=str(n), url=f"https://synthetic.invalid/{n}",
        title=template.format(n=n % 97), description=DESCRIPTION, price=rng.randint(50, 40_000) * 1000,
        origin="Việt Nam" if n % 3 else None, seller={"name": f"Shop {n % 500}"},
    )


@pytest.mark.figures
def test_detect_throughput() -> None:
    detector = Detector(load_rules(RULES).ruleset)
    rng = random.Random(7)
    listings = [synthetic(n, rng) for n in range(N)]
    peers = detector.new_peer_stats()
    for listing in listings:
        peers.add(listing)
    start = time.perf_counter()
    banned: set[str] = set()
    planted_kinds: dict[str, set[str]] = {}
    for listing in listings:
        flags = detector.detect(listing, peers)
        if any(f.kind == "banned" for f in flags):
            banned.add(listing.listing_id)
        if int(listing.listing_id) % 100 == 0:
            planted_kinds[listing.listing_id] = {f.kind for f in flags}
    elapsed = time.perf_counter() - start
    print(f"\nDetector.detect: {N} listings in {elapsed:.2f}s = {N / elapsed:,.0f} listings/s "
          f"({len(peers.keys())} peer groups)")
    planted = {str(n) for n in range(N) if n % 100 == 0}
    assert banned == {n for n in planted if int(n) // 100 % 3 != 1}  # weapons and vape titles, nothing else
    assert all("counterfeit" in planted_kinds[n] for n in planted if int(n) // 100 % 3 == 1)
