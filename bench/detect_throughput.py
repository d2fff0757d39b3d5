"""Throughput of ``crawler detect`` (``crawler.detect.batch.detect_file``) on synthetic listings.

Writes N synthetic listings (default 100,000; seeded, so every run sees the same file) as JSON
Lines, then times ``detect_file`` on it with the full rule packs and catalog — JSON parsing,
validation, both passes (peer prices, then flags) and the output included, rule loading not —
in a fresh process per run, on one core. Rates are listings per CPU second of that process
(``time.process_time``), so other load on a shared machine does not skew them; wall time is
printed too. Prints every run and the medians.

``--baseline DIR`` also times an older engine side by side: DIR holds ``crawler/detect/``,
``crawler/text.py``, ``rules/`` and, when the change touched it, ``crawler/items.py`` of that
version (a copy of the tree before a change); its modules shadow the current ones in the child
process, everything else is shared. Prints how far the median is from the issue's target,
:data:`TARGET` listings per CPU second on one core.

    python -m bench detect_throughput --n 100000 --runs 5 --baseline /tmp/old_engine
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TARGET = 10_000
"""Listings per CPU second the rule engine should reach on one core (issue 5)."""

_PRODUCTS = [
    ("iPhone 15 Pro Max {gb}GB VN/A", 28_000_000), ("iPhone 15 {gb}GB chính hãng", 19_000_000),
    ("Samsung Galaxy S24 Ultra 12GB/{gb}GB", 27_000_000), ("Tai nghe AirPods Pro 2 USB-C", 5_200_000),
    ("Nồi chiên không dầu Philips HD92{n} 4.1L", 2_300_000), ("Sữa Ensure Gold 850g hương vani", 820_000),
    ("Kem chống nắng La Roche-Posay Anthelios 50ml", 450_000), ("Máy chơi game Sony PS5 Slim", 12_500_000),
    ("Giày Nike Air Force 1 trắng size {size}", 2_600_000), ("Máy sấy tóc Dyson Supersonic HD08", 9_500_000),
    ("Sữa bột Friso Gold số {k} 850g", 560_000), ("Son kem lì 3CE Velvet Lip Tint màu {k}", 320_000),
]
_GENERIC = [
    "Áo thun nam cotton form rộng màu {color}", "Quần jean nữ lưng cao co giãn size {size}",
    "Bộ nồi inox 3 đáy {k} món", "Đèn pin siêu sáng sạc USB {n}W", "Ốp lưng iPhone 15 chống sốc màu {color}",
    "Dép quai ngang nam nữ đế êm size {size}", "Bình giữ nhiệt inox 304 dung tích {n}0ml",
    "Balo laptop chống nước {n} inch", "Khẩu trang y tế 4 lớp hộp {n}0 cái", "Thảm lau chân cotton {n}x60cm",
    "Cáp sạc nhanh Type-C {n}W dài 1m", "Kệ để giày {k} tầng lắp ghép", "Váy hoa nhí vintage dáng dài",
    "Bàn phím cơ gaming LED RGB {n} phím", "Nến thơm tinh dầu oải hương {n}0g", "Hạt điều rang muối {n}00g",
]
_PLANTED = [
    "Súng hơi PCP {n} bắn xa", "Túi G u c c i rep 1:1 mẫu {n}", "Thuốc lá điện tử pod {n}000 hơi",
    "Pháo bi nổ to hộp {n} viên", "Đồng hồ R0lex Submariner siêu cấp {n}", "Kem trộn trắng da không rõ nguồn gốc",
]
_SENTENCES = [
    "Sản phẩm mới {n}0%, bảo hành {k} tháng.", "Giao hàng toàn quốc, đổi trả trong {k} ngày.",
    "Chất liệu cao cấp, phù hợp đi làm, đi chơi, đi du lịch.", "Shop cam kết hàng giống hình {n}0%.",
    "Freeship đơn từ {n}0k, hỗ trợ kiểm tra hàng trước khi nhận.", "Kích thước: {n}x{k}x{n}{k} cm, nặng {k}00g.",
    "Màu sắc: {color}, có nhiều size cho bạn lựa chọn.", "Liên hệ shop qua chat để được tư vấn thêm.",
    "Hướng dẫn bảo quản: để nơi khô ráo, tránh ánh nắng trực tiếp.", "Đóng gói cẩn thận, chống sốc {k} lớp.",
    "Hàng có sẵn tại kho Hà Nội và TP. Hồ Chí Minh.", "Xuất xứ: {origin}.",
    "Mua {k} tặng 1, số lượng có hạn.", "Đánh giá 5 sao để nhận voucher {n}k cho lần mua sau.",
]
_COLORS = ["đen", "trắng", "xanh navy", "be", "hồng pastel", "xám", "đỏ đô"]
_ORIGINS = ["Việt Nam", "Trung Quốc", "Hàn Quốc", "Nhật Bản", "Thái Lan"]
_CATEGORIES = ["Thời trang nam", "Thời trang nữ", "Điện thoại & Phụ kiện", "Nhà cửa & Đời sống", "Sắc đẹp",
               "Mẹ & Bé", "Thiết bị điện tử", "Bách hóa online", "Thể thao & Du lịch"]
_PLATFORMS = ["shopee", "tiki", "lazada", "sendo", "chotot"]


def _fill(template: str, rng: random.Random) -> str:
    return template.format(
        n=rng.randint(1, 9), k=rng.randint(2, 12), gb=rng.choice((128, 256, 512)), size=rng.randint(35, 44),
        color=rng.choice(_COLORS), origin=rng.choice(_ORIGINS),
    )


def synthetic_listing(i: int, rng: random.Random, unique_title: bool = False) -> dict[str, object]:
    """One synthetic listing as a JSON-ready dict.

    Descriptions are (nearly) all different; titles come from a few templates (about 240 distinct
    in 100,000 listings, as when many sellers list the same products) unless ``unique_title``
    appends a per-listing model code, which defeats every per-title cache.
    """
    roll = rng.random()
    if roll < 0.02:
        title, base = _fill(rng.choice(_PLANTED), rng), rng.randint(100, 3000) * 1000
    elif roll < 0.40:
        template, base = rng.choice(_PRODUCTS)
        title = _fill(template, rng)
        base = int(base * rng.uniform(0.85, 1.15)) if rng.random() > 0.01 else int(base * rng.choice((0.1, 8)))
    else:
        title, base = _fill(rng.choice(_GENERIC), rng), rng.randint(30, 900) * 1000
    if unique_title:
        title = f"{title} mã SP{i:07d}"
    description = " ".join(_fill(s, rng) for s in rng.sample(_SENTENCES, rng.randint(3, 7)))
    platform = rng.choice(_PLATFORMS)
    return {
        "platform": platform, "listing_id": str(i), "url": f"https://{platform}.invalid/p/{i}",
        "title": title, "description": description, "price": base,
        "category": rng.choice(_CATEGORIES), "origin": rng.choice(_ORIGINS) if rng.random() < 0.6 else None,
        "seller": {"name": f"shop_{rng.randint(1, 5000)}", "official": rng.random() < 0.05},
        "sold_count": rng.randint(0, 5000),
    }


def write_listings(path: Path, n: int, seed: int = 7, unique_titles: bool = False) -> None:
    """Write ``n`` synthetic listings to ``path`` (JSON Lines)."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as handle:
        for i in range(n):
            handle.write(json.dumps(synthetic_listing(i, rng, unique_titles), ensure_ascii=False) + "\n")


_CHILD = r"""
import sys, time, os
engine_dir, rules_dir, input_path = sys.argv[1:4]
import crawler
if engine_dir:
    crawler.__path__.insert(0, os.path.join(engine_dir, "crawler"))
from crawler.detect.loader import load_rules
from crawler.detect.batch import detect_file
ruleset = load_rules(rules_dir).ruleset
start = time.perf_counter(); cpu = time.process_time()
summary = detect_file(input_path, os.devnull, rules_dir, ruleset=ruleset)
elapsed = time.perf_counter() - start; cpu = time.process_time() - cpu
print(summary.read, elapsed, cpu, summary.flagged, dict(summary.flags_by_kind))
"""


def _run_once(engine_dir: str, rules_dir: Path, data: Path) -> tuple[int, float, float, int, str]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, engine_dir, str(rules_dir), str(data)],
        capture_output=True, text=True, env=env, cwd=REPO, check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"benchmark child failed:\n{proc.stderr[-2000:]}")
    read, elapsed, cpu, flagged, kinds = proc.stdout.strip().split(" ", 4)
    return int(read), float(elapsed), float(cpu), int(flagged), kinds


def main(argv: list[str]) -> int:
    """Generate the listings, time the engine(s), print the runs and medians."""
    parser = argparse.ArgumentParser(prog="python -m bench detect_throughput", description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="synthetic listings (default 100000)")
    parser.add_argument("--runs", type=int, default=3, help="runs per engine (default 3)")
    parser.add_argument("--baseline", type=Path, help="directory with an older crawler/detect, crawler/text.py, rules/")
    parser.add_argument("--rules", type=Path, default=REPO / "rules", help="rule packs of the current engine")
    parser.add_argument("--unique-titles", action="store_true",
                        help="give every listing its own title (no per-title cache helps)")
    args = parser.parse_args(argv)

    engines: list[tuple[str, str, Path]] = [("current", "", args.rules)]
    if args.baseline is not None:
        engines.insert(0, ("baseline", str(args.baseline), args.baseline / "rules"))
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "listings.jsonl"
        write_listings(data, args.n, unique_titles=args.unique_titles)
        rates: dict[str, list[float]] = {name: [] for name, _, _ in engines}
        wall_rates: dict[str, list[float]] = {name: [] for name, _, _ in engines}
        for run in range(args.runs):
            for name, engine_dir, rules_dir in engines:  # interleaved: both see the same machine load
                read, elapsed, cpu, flagged, kinds = _run_once(engine_dir, rules_dir, data)
                rates[name].append(read / cpu)
                wall_rates[name].append(read / elapsed)
                print(f"run {run + 1} {name:8s}: {read} listings, {cpu:.2f}s CPU = {read / cpu:,.0f}/s "
                      f"(wall {elapsed:.2f}s = {read / elapsed:,.0f}/s), {flagged} flagged {kinds}", flush=True)
    medians = {name: statistics.median(values) for name, values in rates.items()}
    walls = {name: statistics.median(values) for name, values in wall_rates.items()}
    for name, value in medians.items():
        print(f"median {name}: {value:,.0f} listings/s (per CPU second), {walls[name]:,.0f}/s wall-clock, "
              f"over {args.runs} runs of {args.n}")
    verdict = "reached" if medians["current"] >= TARGET else "not reached"
    print(f"target {TARGET:,}/s per CPU second: {verdict} ({medians['current'] / TARGET:.0%} of it)")
    if "baseline" in medians:
        print(f"ratio current/baseline: {medians['current'] / medians['baseline']:.2f}x per CPU second, "
              f"{walls['current'] / walls['baseline']:.2f}x wall-clock")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
