"""Build ``crawler/demo/data/listings.jsonl``, the demo marketplace's listings, deterministically.

Every title and description below was written by us in the way Vietnamese sellers write them
(shorthand, emoji, evasive spellings included). Ids, image hashes, sold counts, ratings and dates are
derived from the record's position with a fixed seed, so running this again gives the same bytes::

    python -m crawler.demo.build_data            # rewrite the committed file
    python -m crawler.demo.build_data --check    # exit 1 when the committed file is out of date

Each record is a Listing (``crawler.items``) plus ``expected_kinds``: the kinds it is meant to
trigger ([] for a clean listing). The marketplace never serves that label.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from crawler.demo.catalog import SHOPEE_SELLERS, TIKI_SELLERS, category_path

DATA_FILE = Path(__file__).resolve().parent / "data" / "listings.jsonl"
SEED = 20240601
PUBLIC_BASE = {"tiki": "https://tiki.vn", "shopee": "https://shopee.vn"}

T, S = "tiki", "shopee"
B, C, M, P = "banned", "counterfeit", "missing_origin", "price_anomaly"


def E(
    platform: str,
    seller: str,
    cat: str,
    title: str,
    price: int | None,
    *,
    origin: str | None = None,
    brand: str | None = None,
    desc: Iterable[str] = (),
    kinds: Iterable[str] = (),
    op: int | None = None,
) -> dict[str, Any]:
    """One hand-written listing before the derived fields are added."""
    return {
        "platform": platform, "seller": seller, "cat": cat, "title": title, "price": price,
        "origin": origin, "brand": brand, "desc": list(desc), "kinds": list(kinds), "op": op,
    }


# --- peer groups: the same product from many shops, a few at absurd prices ------------------------
def _group(
    titles: list[str], rows: list[tuple[str, str, int, int | None]], *, cat: str, origin: str, brand: str,
    desc: list[str], odd: dict[int, tuple[str, ...]],
) -> list[dict[str, Any]]:
    out = []
    for i, (platform, seller, price, op) in enumerate(rows):
        kinds = odd.get(i, ())
        out.append(E(platform, seller, cat, titles[i % len(titles)], price, origin=origin, brand=brand,
                     desc=[desc[i % len(desc)], desc[(i + 1) % len(desc)]], kinds=kinds, op=op))
    return out


PEERS: list[dict[str, Any]] = [
    *_group(
        [
            "Apple iPhone 15 Pro Max 256GB - Chính hãng VN/A",
            "iPhone 15 Pro Max 256GB Titan Tự Nhiên - Hàng chính hãng",
            "Điện thoại iPhone 15 Pro Max 256GB mới 100% nguyên seal",
            "iPhone 15 Pro Max 256GB Titan Xanh - bảo hành 12 tháng",
        ],
        [
            (T, "apple", 32_990_000, 34_990_000), (T, "tiki_trading", 29_990_000, 34_990_000),
            (T, "phocongnghe", 27_490_000, None), (T, "dienmay", 28_790_000, 30_990_000),
            (T, "phocongnghe", 28_190_000, None), (T, "phocongnghe", 299_000_000, None),
            (S, "apple", 31_990_000, 34_990_000), (S, "congnghe", 26_990_000, None),
            (S, "didong", 27_290_000, 29_990_000), (S, "congnghe", 27_890_000, None),
            (S, "didong", 26_490_000, None), (S, "didong", 3_900_000, 29_990_000),
        ],
        cat="phone", origin="Trung Quốc", brand="Apple",
        desc=[
            "Màn hình Super Retina XDR 6.7 inch, chip A17 Pro, khung viền Titan.",
            "Máy mới 100%, nguyên seal, chưa active. Xuất hóa đơn VAT theo yêu cầu.",
            "Camera chính 48MP, zoom quang học 5x, cổng USB-C.",
            "Bảo hành chính hãng 12 tháng tại trung tâm bảo hành Apple ủy quyền.",
        ],
        odd={5: (P,), 11: (P, C)},
    ),
    *_group(
        [
            "Tai nghe Apple AirPods Pro 2 (USB-C) - Chính hãng VN/A",
            "AirPods Pro 2 hộp sạc MagSafe USB-C - hàng chính hãng",
            "Tai nghe Bluetooth AirPods Pro 2 chống ồn chủ động",
        ],
        [
            (T, "apple", 6_190_000, 6_790_000), (T, "tiki_trading", 5_490_000, 6_790_000),
            (T, "phocongnghe", 4_990_000, None), (T, "dienmay", 5_290_000, 5_990_000),
            (T, "phocongnghe", 4_790_000, None), (T, "dienmay", 59_000_000, None),
            (S, "apple", 5_990_000, 6_790_000), (S, "congnghe", 4_890_000, None),
            (S, "didong", 5_090_000, 5_490_000), (S, "congnghe", 5_190_000, None),
            (S, "didong", 4_990_000, None), (S, "didong", 390_000, 6_790_000),
        ],
        cat="earphone", origin="Việt Nam", brand="Apple",
        desc=[
            "Chống ồn chủ động gấp 2 lần thế hệ trước, chế độ xuyên âm thích ứng.",
            "Hộp sạc MagSafe cổng USB-C, có loa tìm hộp sạc, chống nước IP54.",
            "Hàng chính hãng Apple Việt Nam, bảo hành 12 tháng 1 đổi 1.",
        ],
        odd={5: (P,), 11: (P, C)},
    ),
    *_group(
        [
            "Samsung Galaxy S24 Ultra 256GB - Hàng chính hãng",
            "Điện thoại Samsung Galaxy S24 Ultra 12GB/256GB Titan Đen",
            "Samsung Galaxy S24 Ultra 5G 256GB - BH 12 tháng",
        ],
        [
            (T, "samsung", 29_990_000, 33_990_000), (T, "tiki_trading", 26_990_000, 33_990_000),
            (T, "phocongnghe", 24_490_000, None), (T, "dienmay", 25_790_000, 27_990_000),
            (T, "phocongnghe", 23_990_000, None), (T, "dienmay", 250_000_000, None),
            (S, "samsung", 28_990_000, 33_990_000), (S, "congnghe", 24_990_000, None),
            (S, "didong", 24_290_000, 26_990_000), (S, "congnghe", 25_490_000, None),
            (S, "didong", 23_990_000, None), (S, "didong", 2_490_000, 26_990_000),
        ],
        cat="phone", origin="Việt Nam", brand="Samsung",
        desc=[
            "Màn hình Dynamic AMOLED 2X 6.8 inch, bút S Pen tích hợp, khung Titan.",
            "Camera 200MP, zoom quang học 5x, Galaxy AI dịch cuộc gọi trực tiếp.",
            "Máy mới nguyên hộp, bảo hành chính hãng Samsung Việt Nam.",
        ],
        odd={5: (P,), 11: (P, C)},
    ),
    *_group(
        [
            "Nồi chiên không dầu Philips HD9252/90 4.1L - Hàng chính hãng",
            "Nồi chiên không dầu Philips HD9252 dung tích 4.1 lít 1400W",
            "Nồi Chiên Không Dầu Philips HD9252/90 công nghệ Rapid Air",
        ],
        [
            (T, "philips", 2_690_000, 3_290_000), (T, "tiki_trading", 2_290_000, 3_290_000),
            (T, "giadungsg", 1_990_000, None), (T, "dienmay", 2_150_000, 2_590_000),
            (T, "giadungsg", 1_890_000, None), (T, "giadungsg", 199_000, 3_290_000),
            (S, "philips", 2_590_000, 3_290_000), (S, "giadung", 2_090_000, None),
            (S, "bep", 1_950_000, 2_490_000), (S, "giadung", 2_190_000, None),
            (S, "bep", 2_050_000, None), (S, "bep", 29_900_000, None),
        ],
        cat="airfryer", origin="Trung Quốc", brand="Philips",
        desc=[
            "Công nghệ Rapid Air chiên giòn ít dầu, giảm đến 90% chất béo.",
            "Dung tích 4.1L phù hợp gia đình 3-4 người, hẹn giờ 60 phút.",
            "Bảo hành 2 năm chính hãng Philips trên toàn quốc.",
        ],
        odd={5: (P,), 11: (P,)},
    ),
    *_group(
        [
            "Sữa bột Ensure Gold hương vani 850g",
            "Sữa Ensure Gold Abbott 850g bổ sung dinh dưỡng cho người lớn",
            "[Date mới] Sữa bột Ensure Gold vani lon 850g",
        ],
        [
            (T, "abbott", 929_000, 985_000), (T, "tiki_trading", 865_000, 985_000),
            (T, "bachhoa", 812_000, None), (T, "taman", 839_000, 899_000),
            (T, "bachhoa", 799_000, None), (T, "taman", 9_500_000, None),
            (S, "abbott", 899_000, 985_000), (S, "mevabe", 815_000, None),
            (S, "sieuthi", 845_000, 899_000), (S, "mevabe", 789_000, None),
            (S, "sieuthi", 829_000, None), (S, "mevabe", 95_000, 985_000),
        ],
        cat="milk", origin="Singapore", brand="Abbott",
        desc=[
            "Dinh dưỡng đầy đủ và cân đối với HMB giúp tăng cường sức khỏe cơ bắp.",
            "Hạn sử dụng còn dài, tem phụ tiếng Việt đầy đủ. Bảo quản nơi khô ráo.",
            "Pha 9 muỗng gạt với 200ml nước ấm, dùng 2 ly mỗi ngày.",
        ],
        odd={5: (P,), 11: (P,)},
    ),
    *_group(
        [
            "Kem chống nắng La Roche-Posay Anthelios UVMune 400 SPF50+ 50ml",
            "Kem Chống Nắng La Roche-Posay Anthelios Fluid Invisible 50ml",
            "Kem chống nắng La Roche Posay Anthelios kiểm soát dầu 50ml",
        ],
        [
            (T, "lrp", 545_000, 595_000), (T, "tiki_trading", 479_000, 595_000),
            (T, "myphamhan", 419_000, None), (T, "taman", 455_000, 520_000),
            (T, "myphamhan", 399_000, None), (T, "myphamhan", 35_000, 595_000),
            (S, "lrp", 525_000, 595_000), (S, "sieuthi", 459_000, None),
            (S, "mypham", 435_000, 520_000), (S, "mypham", 389_000, None),
            (S, "sieuthi", 472_000, None), (S, "mypham", 5_900_000, None),
        ],
        cat="sunscreen", origin="Pháp", brand="La Roche-Posay",
        desc=[
            "Chống nắng phổ rộng UVA/UVB, kết cấu mỏng nhẹ không nhờn rít, phù hợp da nhạy cảm.",
            "Hàng chính hãng có tem phụ nhập khẩu, date 2027.",
            "Thoa đều lên mặt 15 phút trước khi ra nắng, thoa lại sau mỗi 2 giờ.",
        ],
        odd={5: (P, C), 11: (P,)},
    ),
]

BANNED: list[dict[str, Any]] = [
    E(S, "vape", "vape", "Pod Vape Xlim Pro 30W chính hãng - Thuốc lá điện tử nhỏ gọn", 450_000,
      desc=["Máy pod nhỏ gọn, pin 1000mAh, sạc Type-C.", "Tặng kèm 1 đầu pod 0.8ohm, inbox shop để chọn màu."],
      kinds=[B, M]),
    E(S, "vape", "vape", "Tinh dầu vape 30ml vị xoài lạnh 🥭 Juice Salt Nic 35mg", 150_000,
      desc=["Tinh dầu salt nic 35mg vị xoài the lạnh, dùng cho mọi loại pod.", "Ship hỏa tốc nội thành HCM."],
      kinds=[B, M]),
    E(S, "vape", "vape", "t.h.u.ố.c l.á đ.i.ệ.n t.ử dùng 1 lần 6000 hơi 🚭 nhiều vị", 189_000,
      desc=["Hàng mới về đủ vị: nho, dâu, bạc hà. Hút hết bỏ, không cần sạc.",
            "Đóng gói kín đáo, không ghi tên sản phẩm ngoài hộp."],
      kinds=[B, M]),
    E(T, "xachtay", "vape", "Bộ máy IQOS Iluma One kèm 2 cây Heets vàng", 2_350_000, brand="OEM",
      desc=["Máy hàng xách tay Nhật, fullbox. Tặng 2 cây heets vị vàng.", "Bảo hành 3 tháng, lỗi 1 đổi 1."],
      kinds=[B]),  # "xách tay Nhật" states an origin (issue #13)
    E(S, "tiec", "party", "🔥🔥 Bóng cười 🎈 bình khí cười N2O 3.3L giao hỏa tốc nội thành 🔥", 690_000,
      desc=["Bình 3.3L kèm đầu van và 50 bóng bay, chuẩn đi bar, tiệc sinh nhật.",
            "Giao hỏa tốc trong 1h khu vực Q1, Q3, Q7."],
      kinds=[B, M]),  # an N2O cylinder, a packaged chemical, states no origin (issue #13)
    E(S, "tuve", "outdoor", "Súng bắn bi sắt 6mm hợp kim + tặng 500 viên đạn chì", 1_250_000, origin="Trung Quốc",
      desc=["Thân hợp kim nặng tay, lực bắn mạnh, có ray gắn ống ngắm.", "Tặng kèm 500 viên đạn chì 6mm."],
      kinds=[B]),
    E(S, "tuve", "outdoor", "S.ú.n.g h.ơ.i PCP nén khí bắn đạn chì 5.5 - hàng đẹp", 4_800_000,
      desc=["Bình nén khí 300bar, kèm bơm tay. Bao test trước khi giao.", "Liên hệ zalo để xem video thực tế."],
      kinds=[B]),
    E(T, "thomoc", "outdoor", "Dao bấm xếp gọn Thái Lan lưỡi thép 440C bỏ túi", 320_000, brand="OEM",
      origin="Thái Lan",
      desc=["Dao bấm lò xo bật nhanh, lưỡi 9cm thép 440C cực bén.", "Có khóa an toàn, kèm bao da đeo thắt lưng."],
      kinds=[B]),
    E(S, "tuve", "outdoor", "Roi điện tự vệ kèm đèn pin siêu sáng 2in1", 550_000, origin="Trung Quốc",
      desc=["Roi điện kích điện mạnh, tích hợp đèn pin siêu sáng chiếu xa 200m.", "Pin sạc dùng 7 ngày."],
      kinds=[B]),
    E(S, "tuve", "outdoor", "Bình xịt hơi cay tự vệ 60ml cho phái nữ", 120_000, origin="Hàn Quốc",
      desc=["Nhỏ gọn bỏ túi, xịt xa 3-4m. Hàng Hàn Quốc.", "Phù hợp chị em đi làm về khuya."],
      kinds=[B]),
    E(S, "phao", "party", "Pháo bi nổ to đón Tết - hộp 50 viên", 85_000,
      desc=["Pháo bi ném nổ giòn, hàng mới về chuẩn bị Tết.", "Ship kín đáo, không giao COD đơn dưới 2 hộp."],
      kinds=[B]),
    E(S, "phao", "party", "Pháo hoa nổ 36 ống tự chế giá xưởng, ship kín đáo", 1_100_000,
      desc=["Dàn 36 ống bắn liên hoàn lên trời nổ to, hiệu ứng đẹp.", "Ib shop để được giá sỉ."],
      kinds=[B]),
    E(S, "duoclieu", "fengshui", "Sừng tê giác mài bột nguyên chất chữa sốt, giải độc", None,
      desc=["Sừng tê giác thật 100%, mài sẵn thành bột, cân theo chỉ.", "Giá liên hệ, bao test."],
      kinds=[B]),
    E(S, "duoclieu", "supplement", "Cao hổ cốt nguyên chất 100g - hàng rừng Tây Bắc", 2_500_000, origin="Việt Nam",
      desc=["Cao hổ cốt nấu thủ công, bồi bổ gân cốt, xương khớp.", "Hàng hiếm, số lượng có hạn."],
      kinds=[B]),
    E(S, "thuoc", "medicine", "Amoxicillin 500mg hộp 100 viên - bán không cần đơn", 95_000, origin="Việt Nam",
      desc=["Kháng sinh Amoxicillin 500mg, hộp 10 vỉ x 10 viên.", "Giao nhanh, không cần đơn thuốc."],
      kinds=[B]),
    E(S, "thuoc", "medicine", "Cefuroxime 500mg vỉ 10 viên điều trị viêm họng", 65_000, origin="Ấn Độ",
      desc=["Kháng sinh thế hệ 2, hàng nhập khẩu Ấn Độ.", "Mua lẻ từng vỉ, không cần đơn bác sĩ."],
      kinds=[B]),
    E(S, "duoclieu", "misc", "Nấm thần khô (magic mushroom) 10g hàng Hà Lan", 1_500_000, origin="Hà Lan",
      desc=["Nấm thần sấy khô, đóng túi zip 10g.", "Chỉ bán cho khách quen, nhắn tin trước khi đặt."],
      kinds=[B]),
    E(S, "duoclieu", "misc", "Hạt giống c.ầ.n s.a tự trồng (420 🌿) ship toàn quốc", 300_000,
      desc=["Gói 5 hạt giống cần sa tỷ lệ nảy mầm cao.", "Hướng dẫn trồng trong nhà bằng đèn LED."],
      kinds=[B]),
    E(S, "giayto", "service", "Nhận làm bằng đại học, bằng lái xe giả phôi thật - bao kiểm tra", 3_500_000,
      desc=["Làm giấy tờ giả các loại: bằng đại học, bằng lái, CCCD.", "Phôi thật, dấu nổi, giao tận tay sau 3 ngày."],
      kinds=[B]),
    E(S, "camera", "camera", "Camera quay lén ngụy trang bút bi Full HD 1080p", 650_000, origin="Trung Quốc",
      desc=["Bút ghi hình Full HD, quay liên tục 90 phút, không đèn báo.", "Thẻ nhớ 32GB tặng kèm."],
      kinds=[B]),
    E(T, "phukien3k", "recorder", "Máy nghe lén siêu nhỏ lắp sim nghe từ xa không giới hạn", 890_000, brand="OEM",
      origin="Trung Quốc",
      desc=["Thiết bị nghe lén mini gắn sim, gọi vào là nghe được âm thanh xung quanh.", "Pin chờ 15 ngày."],
      kinds=[B]),
    E(T, "luxury", "fengshui", "Vòng tay ngà voi thật bọc bạc phong thủy", 3_200_000, brand="OEM",
      desc=["Ngà voi Châu Phi tự nhiên, có vân rõ, kèm giấy kiểm định.", "Hàng hiếm để lâu năm."],
      kinds=[B]),
]

COUNTERFEIT: list[dict[str, Any]] = [
    E(S, "rep", "bag", "Túi Gucci Marmont Matelassé size 26 rep 1:1 like auth full box", 1_250_000, brand="Gucci",
      desc=["Da bò thật, khóa đồng logo GG sắc nét, chuẩn 1:1 như chính hãng.", "Full box, dust bag, thẻ bảo hành."],
      kinds=[C]),
    E(S, "rep", "bag", "Túi LV Neverfull MM siêu cấp da thật, fullbox bill", 1_850_000, brand="Louis Vuitton",
      desc=["Hàng siêu cấp, canvas monogram chuẩn màu, chỉ may đều.", "Kèm bill, túi giấy, hộp."],
      kinds=[C]),
    E(S, "dongho", "watch", "Đồng hồ Rolex Submariner Date 41mm fake loại 1 máy Nhật", 3_500_000, brand="Rolex",
      desc=["Máy cơ Nhật chạy bền, kính sapphire, chống nước 3ATM.", "Fake loại 1, đeo không ai phân biệt."],
      kinds=[C]),
    E(S, "dongho", "watch", "Omega Seamaster Diver 300M replica cao cấp - bảo hành 1 năm", 2_900_000, brand="Omega",
      desc=["Replica cao cấp, mặt sóng biển, vành xoay gốm.", "Bảo hành máy 1 năm tại shop."],
      kinds=[C]),
    E(S, "sneaker", "shoes", "Giày Nike Air Force 1 trắng hàng f1 full size 36-44", 350_000, brand="Nike",
      desc=["Hàng f1 chuẩn form, đế khâu chắc chắn.", "Full size nam nữ 36-44, tặng kèm tất."], kinds=[C]),
    E(T, "sneaker", "shoes", "Giày Adidas Ultraboost 22 hàng VNXK xịn - đế boost êm", 590_000, brand="Adidas",
      desc=["Hàng VNXK rep 1:1, đế boost nguyên bản, vải primeknit co giãn.", "Đổi size thoải mái trong 7 ngày."],
      kinds=[C]),
    E(S, "rep", "perfume", "Nước hoa Chanel Coco Mademoiselle 100ml mirror chai thủy tinh", 450_000, brand="Chanel",
      origin="Pháp",
      desc=["Hàng mirror mùi chuẩn 95%, lưu hương 6-8 tiếng.", "Chai thủy tinh nặng tay, nắp từ tính."],
      kinds=[C]),
    E(T, "luxury", "perfume", "Nước hoa Dior Sauvage EDP 100ml - like auth 99%", 690_000, brand="Dior",
      origin="Pháp",
      desc=["Mùi hương nam tính, lưu hương lâu, like auth 99% khó phân biệt.", "Tặng kèm túi giấy Dior."],
      kinds=[C]),
    E(S, "rep", "belt", "Thắt lưng Hermès khóa H da bò siêu cấp", 790_000, brand="Hermès",
      desc=["Khóa H mạ vàng, da bò 2 mặt, siêu cấp như auth.", "Kèm hộp cam và túi vải."], kinds=[C]),
    E(T, "tuixach", "wallet", "Ví nữ Prada Saffiano rep 1:1 màu đen", 650_000, brand="Prada",
      desc=["Da saffiano vân chéo, logo tam giác sắc nét.", "Hàng rep 1:1 loại đẹp nhất."], kinds=[C]),
    E(S, "giadung", "hairdryer", "Máy sấy tóc Dyson Supersonic HD08 hàng f1 bảo hành 6 tháng", 890_000,
      brand="Dyson", origin="Trung Quốc",
      desc=["Công suất 1600W, 3 mức nhiệt, kèm 5 đầu sấy.", "Hàng f1 giống 99%, giá chỉ bằng 1/10 hàng hãng."],
      kinds=[C]),
    E(S, "rep", "bag", "Túi G u c c i Dionysus da thật 💯 hàng siêu cấp ✨", 1_450_000,
      desc=["💯 Da thật, khóa đầu hổ sắc nét ✨", "Hàng siêu cấp, ib shop xem ảnh thật 📸"], kinds=[C]),
    E(T, "luxury", "wallet", "Ví dài lou1s vu1tton Monogram nam nữ", 380_000, brand="OEM",
      desc=["Ví dài nhiều ngăn, canvas monogram.", "Hàng đẹp giá tốt, bao đổi trả."], kinds=[C]),
    E(S, "rep", "perfume", "Nước hoa Сhanel N°5 EDP 100ml", 520_000, origin="Pháp",
      desc=["Mùi hương cổ điển quyến rũ, lưu hương 8 tiếng.", "Giá sale sốc chỉ hôm nay."], kinds=[C]),
    E(S, "noidia", "lipstick", "Son ch4nel Rouge Allure Velvet màu 58 - hàng like auth", 180_000,
      desc=["Son lì mịn môi, màu đỏ thuần.", "Hàng like auth, vỏ nặng tay."], kinds=[C, M]),
    E(T, "luxury", "watch", "Đồng hồ nữ L.V Tambour mặt xà cừ - hàng mirror", 1_200_000, brand="OEM",
      origin="Thụy Sĩ",
      desc=["Mặt xà cừ, dây da bò, máy pin Nhật.", "Hàng mirror giống chính hãng đến từng chi tiết."], kinds=[C]),
    E(S, "noidia", "earphone", "Tai nghe AirPods Pro 2 rep 1:1 hổ vằn 1562M chip Airoha", 350_000,
      origin="Trung Quốc",
      desc=["Rep 1:1 hổ vằn, định vị đổi tên, chống ồn ANC.", "Bảo hành 3 tháng 1 đổi 1."], kinds=[C, P]),
    E(S, "noidia", "sunscreen", "Kem chống nắng Innisfree Daily UV Defense hàng f1 giá sỉ", 45_000,
      brand="Innisfree",
      desc=["Hàng f1 giống hãng, chống nắng tốt.", "Sỉ từ 10 tuýp giá còn 35k."], kinds=[C, M]),
]

MISSING_ORIGIN: list[dict[str, Any]] = [
    # "nội địa Trung" and "xách tay Nhật/Hàn" state an origin (issue #13): those listings are clean
    E(S, "noidia", "serum", "Serum Vitamin C trắng da nội địa Trung 30ml giá sỉ", 39_000,
      desc=["Serum vitamin C dưỡng trắng, mờ thâm sau 2 tuần.", "Hàng nội địa Trung, giá sỉ cho shop."],
      kinds=[]),  # "hàng nội địa Trung" states an origin, it admits nothing (issue #13)
    E(S, "xachtay", "babymilk", "Sữa bột Meiji số 9 nội địa Nhật 800g hàng xách tay", 520_000, brand="Meiji",
      desc=["Sữa Meiji số 9 cho bé từ 1-3 tuổi.", "Hàng xách tay Nhật, không có tem phụ."], kinds=[M]),
    E(S, "noidia", "bodycream", "Kem body trắng da cấp tốc 7 ngày - mẫu mới 2024", 75_000,
      desc=["Kem dưỡng trắng toàn thân, thấm nhanh không bết dính.",
            "Hàng không tem, không hóa đơn nên giá rẻ hơn shop khác."],
      kinds=[M]),
    E(T, "myphamhan", "lipstick", "Son kem lì Romand Juicy Lasting Tint hàng xách tay Hàn", 159_000, brand="Romand",
      desc=["Son tint bóng lâu trôi, màu cam đất.", "Hàng xách tay Hàn, bill mua tại store."], kinds=[]),
    E(S, "xachtay", "medical", "Máy đo huyết áp Omron HEM-7156 hàng xách tay Nhật không hóa đơn", 890_000,
      brand="Omron",
      desc=["Máy đo bắp tay, màn hình lớn, lưu 60 lần đo.", "Hàng xách tay không hóa đơn, bảo hành tại shop."],
      kinds=[M]),
    E(T, "suckhoe", "supplement", "Viên uống giảm cân thảo mộc Green Slim 60 viên", 250_000, brand="OEM",
      desc=["Hỗ trợ giảm cân an toàn từ thảo mộc thiên nhiên.", "Giảm 3-5kg sau 1 liệu trình."], kinds=[M]),
    E(S, "noidia", "supplement", "Viên uống trắng da Glutathione 600 không có tem phụ", 280_000,
      desc=["Viên uống trắng da từ bên trong, hộp 60 viên.", "Hàng không có tem phụ tiếng Việt."],
      kinds=[M]),
    E(T, "bachhoa", "candy", "Kẹo dẻo trái cây hình thú gói 500g", 85_000, brand="OEM",
      desc=["Kẹo dẻo nhiều vị trái cây, hình thú ngộ nghĩnh bé rất thích.", "Gói lớn 500g tiết kiệm."],
      kinds=[M]),
    E(S, "anvat", "snack", "Khô bò miếng cay loại 1 túi 500g nhà làm", 165_000,
      desc=["Khô bò miếng mềm, cay vừa, nhà làm không chất bảo quản.", "Hút chân không bảo quản 3 tháng."],
      kinds=[M]),
    E(S, "congnghe", "earphone", "Tai nghe bluetooth TWS Pro 6 pin trâu giá rẻ", 89_000,
      desc=["Kết nối bluetooth 5.3, pin 5 tiếng, cảm ứng chạm.", "Bảo hành 1 đổi 1 trong 30 ngày."],
      kinds=[M]),
    E(T, "phukien3k", "powerbank", "Sạc dự phòng 20000mAh sạc nhanh 22.5W màn hình LED", 229_000, brand="OEM",
      desc=["Dung lượng 20000mAh, sạc nhanh 22.5W, 2 cổng ra.", "Hàng nội địa Trung, bảo hành 6 tháng."],
      kinds=[]),
    E(S, "noidia", "facecream", "Kem dưỡng ẩm Bioaqua nội địa Trung 50g", 35_000, brand="Bioaqua",
      desc=["Kem dưỡng cấp ẩm cho da khô.", "Hàng nội địa Trung, date mới."], kinds=[]),
    E(T, "xachtay", "facecream", "Sữa rửa mặt Hada Labo Gokujyun hàng xách tay Nhật 100g", 125_000,
      brand="Hada Labo",
      desc=["Sữa rửa mặt tạo bọt dưỡng ẩm với Hyaluronic Acid.", "Hàng xách tay từ Nhật về."], kinds=[]),
    E(S, "mevabe", "babymilk", "Sữa bột Aptamil Đức số 1 800g xách tay", 690_000, brand="Aptamil",
      desc=["Sữa công thức cho bé 0-6 tháng.", "Mẹ đi Đức xách tay về, không tem phụ."], kinds=[M]),
    E(T, "dienmay", "medical", "Máy đo đường huyết tại nhà kèm 25 que thử", 350_000, brand="OEM",
      desc=["Đo nhanh trong 5 giây, bộ nhớ 500 kết quả.", "Tặng kèm 25 que thử và 25 kim chích."], kinds=[M]),
]

CLEAN: list[dict[str, Any]] = [
    # hard negatives for "banned"
    E(T, "thomoc", "tools", "Súng bắn keo nến 60W kèm 10 thanh keo", 129_000, brand="OEM", origin="Trung Quốc",
      desc=["Súng bắn keo nến nóng chảy nhanh, dùng cho đồ thủ công, dán gỗ, giấy.", "Tặng kèm 10 thanh keo 11mm."]),
    E(S, "tho", "tools", "Súng phun sơn điện cầm tay 800W bình 1000ml", 590_000, origin="Trung Quốc",
      desc=["Phun sơn tường, sơn gỗ, sơn cửa sắt đều màu.", "3 chế độ phun, vệ sinh dễ dàng."]),
    E(T, "thomoc", "tools", "Súng bắn đinh hơi F30 cho thợ mộc - đinh thẳng", 890_000, brand="OEM",
      origin="Trung Quốc",
      desc=["Dùng cho thợ mộc đóng khung tranh, nội thất gỗ.", "Áp lực làm việc 4-7 bar, dùng đinh F10-F30."]),
    E(S, "dochoi", "toy", "Súng nước đồ chơi cho bé dung tích 600ml", 79_000, origin="Trung Quốc",
      desc=["Súng nước nhựa an toàn cho bé đi biển, tắm hồ bơi.", "Bắn xa 6-8m."]),
    E(S, "tiec", "party", "Pháo giấy cầm tay 50cm bắn kim tuyến mừng sinh nhật", 25_000, origin="Việt Nam",
      desc=["Pháo giấy vặn tay bắn kim tuyến, không gây tiếng nổ.", "Phù hợp sinh nhật, khai trương, đám cưới."]),
    E(T, "dochoi", "party", "Pháo kim tuyến khai trương combo 10 ống 60cm", 189_000, brand="OEM", origin="Việt Nam",
      desc=["Ống pháo kim tuyến xoay tay, bắn cao 5-6m.", "An toàn, không dùng thuốc nổ."]),
    E(T, "dochoi", "party", "Pháo hoa giấy cầm tay (không nổ) 30cm đám cưới", 35_000, origin="Việt Nam",
      desc=["Pháo hoa giấy cầm tay, không nổ, không khói.", "Giấy màu rơi đẹp khi chụp ảnh cưới."]),
    E(T, "giadungsg", "knife", "Dao gọt hoa quả inox Lock&Lock lưỡi 9cm", 69_000, brand="LocknLock",
      origin="Trung Quốc",
      desc=["Lưỡi inox không gỉ, cán nhựa chống trượt.", "Kèm nắp bảo vệ lưỡi dao."]),
    E(T, "giadungsg", "diffuser", "Máy xông tinh dầu phun sương 500ml đèn LED 7 màu", 259_000, brand="OEM",
      origin="Trung Quốc",
      desc=["Máy xông tinh dầu siêu âm, tạo ẩm, khử mùi phòng.", "Tự ngắt khi hết nước, chạy êm."]),
    E(S, "giadung", "essential_oil", "Tinh dầu sả chanh nguyên chất 100ml xông phòng đuổi muỗi", 69_000,
      origin="Việt Nam",
      desc=["Tinh dầu sả chanh thiên nhiên, dùng cho máy xông hoặc pha nước lau nhà.", "Đuổi muỗi hiệu quả."]),
    E(T, "phocongnghe", "camera", "Camera an ninh gia đình Imou Ranger 2 1080P xoay 360", 590_000, brand="Imou",
      origin="Trung Quốc",
      desc=["Camera wifi trong nhà, xoay 360 độ, đàm thoại 2 chiều.", "Phát hiện chuyển động, báo về điện thoại."]),
    E(S, "giadung", "camera", "Camera an ninh gia đình wifi 3MP đàm thoại 2 chiều", 359_000, origin="Trung Quốc",
      desc=["Độ phân giải 3MP, hồng ngoại ban đêm 10m.", "Hỗ trợ thẻ nhớ đến 128GB."]),
    E(T, "tiki_trading", "flashlight", "Đèn pin siêu sáng sạc USB chống nước Zoom 5 chế độ", 145_000, brand="OEM",
      origin="Trung Quốc",
      desc=["Đèn pin LED siêu sáng chiếu xa 500m, zoom thu phóng.", "Sạc USB, chống nước IPX4."]),
    E(S, "tho", "tools", "Súng bắn đinh U cầm tay (bấm ghim gỗ) 3 trong 1", 119_000, origin="Trung Quốc",
      desc=["Bấm ghim bọc ghế, dán vải, đóng thùng gỗ.", "Tặng kèm 1000 đinh ghim."]),
    E(T, "giadungsg", "diffuser", "Máy xông tinh dầu gỗ mini 300ml", 189_000, origin="Trung Quốc",
      desc=["Vỏ vân gỗ sang trọng, điều khiển từ xa.", "Phù hợp phòng ngủ 15-20m2."]),
    E(S, "mevabe", "essential_oil", "Tinh dầu tràm Huế nguyên chất 100ml cho bé", 55_000, origin="Việt Nam",
      desc=["Tinh dầu tràm nguyên chất giữ ấm cho bé, xua muỗi.", "Cơ sở sản xuất tại Thừa Thiên Huế."]),
    E(T, "luxury", "fengshui", "Vòng tay trầm hương tự nhiên 108 hạt 6mm", 450_000, brand="OEM", origin="Việt Nam",
      desc=["Trầm hương tự nhiên Khánh Hòa, mùi thơm nhẹ.", "Kèm giấy chứng nhận và hộp quà."]),
    # hard negatives for "counterfeit"
    E(T, "nike", "shoes", "Giày Nike Air Force 1 '07 Nam - Trắng", 2_929_000, brand="Nike", origin="Việt Nam",
      op=2_929_000, desc=["Hàng chính hãng Nike, da thật, đế Air êm ái.", "Đổi size miễn phí trong 30 ngày."]),
    E(S, "nike", "shoes", "Nike Air Max 90 Nam - Hàng chính hãng", 3_519_000, brand="Nike", origin="Indonesia",
      desc=["Thiết kế kinh điển với đệm Air lộ thiên.", "Sản phẩm chính hãng phân phối bởi Nike Việt Nam."]),
    E(T, "tuixach", "bag", "Túi xách nữ da PU công sở thời trang Hàn Quốc", 229_000, brand="OEM",
      desc=["Da PU cao cấp chống nước, đựng vừa laptop 14 inch.", "Nhiều màu: đen, be, nâu."]),
    E(S, "thoitrang", "bag", "Túi đeo chéo nữ da PU mini dễ thương", 129_000,
      desc=["Túi nhỏ xinh đựng điện thoại, son, ví.", "Dây đeo điều chỉnh được."]),
    E(T, "dongho_hn", "watch", "Thanh lý đồng hồ Casio chính hãng MTP-1374L còn 95%", 650_000, brand="Casio",
      origin="Thái Lan",
      desc=["Đồng hồ Casio chính hãng mua tại Hải Triều, đeo ít còn 95%.", "Thanh lý kèm hộp và sổ bảo hành."]),
    E(T, "innisfree", "sunscreen", "Kem chống nắng Innisfree Daily UV Defense SPF36 50ml", 295_000,
      brand="Innisfree", origin="Hàn Quốc",
      desc=["Kem chống nắng dịu nhẹ, nâng tông tự nhiên.", "Hàng chính hãng Innisfree Việt Nam."]),
    E(S, "innisfree", "serum", "Serum Innisfree Green Tea Seed 80ml", 565_000, brand="Innisfree",
      origin="Hàn Quốc",
      desc=["Tinh chất trà xanh Jeju cấp ẩm sâu.", "Xuất xứ: Hàn Quốc. Hàng chính hãng có tem phụ."]),
    E(S, "congnghe", "phonecase", "Ốp bảo vệ AirPods Pro 2 silicon chống sốc kèm móc khóa", 39_000,
      desc=["Ốp silicon dẻo bảo vệ hộp sạc khỏi trầy xước.", "Nhiều màu pastel, kèm móc khóa."]),
    E(T, "apple", "watch", "Apple Watch SE 2 GPS 40mm viền nhôm dây cao su", 6_290_000, brand="Apple",
      origin="Việt Nam",
      desc=["Theo dõi sức khỏe, phát hiện té ngã, chống nước 50m.", "Hàng chính hãng Apple Việt Nam."]),
    E(S, "philips", "hairdryer", "Máy sấy tóc Philips BHD308 1600W", 459_000, brand="Philips", origin="Trung Quốc",
      desc=["Công suất 1600W, 3 chế độ nhiệt, ion dưỡng tóc.", "Bảo hành 2 năm chính hãng."]),
    E(T, "lrp", "facecream", "Nước tẩy trang La Roche-Posay Micellar Water Ultra 400ml", 495_000,
      brand="La Roche-Posay", origin="Pháp",
      desc=["Làm sạch lớp trang điểm, dịu nhẹ cho da nhạy cảm.", "Hàng chính hãng, có tem phụ."]),
    E(S, "lrp", "facecream", "Sữa rửa mặt La Roche-Posay Effaclar Gel 400ml", 445_000, brand="La Roche-Posay",
      origin="Pháp",
      desc=["Gel rửa mặt cho da dầu mụn, không xà phòng.", "Hàng chính hãng phân phối tại Việt Nam."]),
    E(S, "abbott", "babymilk", "Sữa bột Similac 5G số 4 900g", 629_000, brand="Abbott", origin="Ireland",
      desc=["Sữa công thức cho trẻ 2-6 tuổi với 5G dưỡng chất.", "Hàng chính hãng Abbott."]),
    E(T, "abbott", "milk", "Sữa Glucerna hương vani 850g cho người tiểu đường", 869_000, brand="Abbott",
      origin="Singapore",
      desc=["Dinh dưỡng chuyên biệt giúp ổn định đường huyết.", "Hàng chính hãng Abbott Việt Nam."]),
    # hard negatives for "missing_origin" and everyday clean goods
    E(S, "thoitrang", "tshirt", "Áo thun nam cổ tròn cotton 100% basic nhiều màu", 99_000,
      desc=["Cotton 100% co giãn 4 chiều, thấm hút mồ hôi.", "Size M-XXL, form regular."]),
    E(T, "thoitrang", "tshirt", "Áo polo nam vải cá sấu cotton co giãn", 189_000, brand="OEM",
      desc=["Vải cá sấu cotton mềm mát, không xù lông.", "Đủ size S-XXL."]),
    E(T, "myphamhan", "facecream", "Kem dưỡng ẩm &quot;Hàn Quốc&quot; cấp nước 24h &amp; sáng da 50ml", 215_000,
      brand="OEM", origin="Hàn Quốc",
      desc=["Kem dưỡng cấp nước 24h, kết cấu gel mát.", "Xuất xứ: Hàn Quốc. Date 2026."]),
    E(S, "mypham", "lipstick", "Son dưỡng môi có màu DHC Lip Cream 1.5g", 129_000, brand="DHC", origin="Nhật Bản",
      desc=["Son dưỡng chiết xuất dầu ô liu, giảm khô môi.", "Xuất xứ: Nhật Bản, có tem phụ nhập khẩu."]),
    E(T, "myphamhan", "serum", "Serum phục hồi da Klairs Midnight Blue 20ml - Xuất xứ: Hàn Quốc", 289_000,
      brand="Klairs", origin="Hàn Quốc",
      desc=["Tinh chất phục hồi da kích ứng, làm dịu mẩn đỏ.", "Hàng nhập khẩu chính ngạch có tem phụ."]),
    E(S, "anvat", "snack", "Bánh tráng trộn Tây Ninh túi 200g ăn liền", 25_000, origin="Việt Nam",
      desc=["Bánh tráng trộn sẵn sa tế, ruốc, hành phi.", "Cơ sở sản xuất tại Tây Ninh, có giấy ATTP."]),
    E(T, "bachhoa", "coffee", "Cà phê rang xay nguyên chất Buôn Ma Thuột 500g", 145_000, brand="OEM",
      origin="Việt Nam",
      desc=["100% Robusta Buôn Ma Thuột rang mộc.", "Pha phin hoặc pha máy đều ngon."]),
    E(T, "taman", "medical", "Máy đo huyết áp bắp tay Omron HEM-7156", None, brand="Omron", origin="Việt Nam",
      desc=["Máy đo huyết áp tự động, công nghệ Intellisense.", "Giá liên hệ nhà thuốc để có giá tốt nhất."]),
    E(S, "thuoc", "medical", "Nhiệt kế điện tử hồng ngoại đo trán Microlife FR1MF1", 690_000, brand="Microlife",
      origin="Thụy Sĩ",
      desc=["Đo nhiệt độ trán trong 1 giây, không tiếp xúc.", "Hàng chính hãng, bảo hành 2 năm."]),
    E(T, "tiki_trading", "bottle", "Bình giữ nhiệt inox 316 Elmich EL8315 480ml", 200_000, brand="Elmich",
      origin="Trung Quốc",
      desc=["Inox 316 an toàn, giữ nóng 12h, giữ lạnh 24h.", "Nắp bật một chạm tiện lợi."]),
    E(S, "bep", "kitchen", "Chảo chống dính Sunhouse 26cm đáy từ", 189_000, brand="Sunhouse", origin="Việt Nam",
      desc=["Lòng chảo chống dính 3 lớp, dùng được bếp từ.", "Bảo hành 12 tháng."]),
    E(T, "giadungsg", "kitchen", "Nồi cơm điện Sharp 1.8L KS-COM18V", 690_000, brand="Sharp", origin="Thái Lan",
      desc=["Lòng nồi chống dính 5 lớp, nấu cơm ngon.", "Giữ ấm 12 giờ."]),
    E(S, "thoitrang", "phonecase", "Ốp lưng điện thoại da bò handmade khắc tên theo yêu cầu", 150_000,
      desc=["Da bò thật khâu tay, khắc tên miễn phí.", "Có đủ dòng máy, nhắn shop chọn mẫu."]),
    E(T, "phukien3k", "powerbank", "Cáp sạc nhanh Type-C to Lightning 1m bọc dù", 79_000, brand="OEM",
      origin="Trung Quốc",
      desc=["Sạc nhanh PD 20W, dây bọc dù chống gãy.", "Bảo hành 6 tháng."]),
    E(S, "congnghe", "powerbank", "Sạc dự phòng Anker PowerCore 10000mAh PD 20W", 590_000, brand="Anker",
      origin="Trung Quốc",
      desc=["Nhỏ gọn 10000mAh, sạc nhanh PD 20W cho iPhone.",
            "<script>alert('xss')</script> Bảo hành 18 tháng <img src=x onerror=alert(1)> chính hãng."]),
    E(T, "tiki_trading", "books", "Sách Đắc Nhân Tâm (Bìa cứng) - First News", 86_000, brand="First News",
      desc=["Cuốn sách kinh điển về nghệ thuật giao tiếp và ứng xử.", "Bản dịch First News, bìa cứng."]),
    E(S, "dochoi", "toy", "Đồ chơi xếp hình nam châm 64 chi tiết cho bé", 215_000, origin="Trung Quốc",
      desc=["Khối nam châm nhiều màu, phát triển tư duy không gian.", "Nhựa ABS an toàn cho bé từ 3 tuổi."]),
    E(T, "dochoi", "toy", "Xe điều khiển từ xa địa hình 1:16 pin sạc", 399_000, brand="OEM", origin="Trung Quốc",
      desc=["Xe địa hình tốc độ 25km/h, leo dốc tốt.", "Pin sạc chạy 20 phút."]),
    E(T, "tiki_trading", "stationery", "Bút bi Thiên Long TL-027 hộp 20 cây", 65_000, brand="Thiên Long",
      origin="Việt Nam", desc=["Mực xanh ra đều, viết trơn.", "Hộp 20 cây tiết kiệm."]),
    E(T, "thoitrang", "tshirt", "Áo khoác gió nam 2 lớp chống nước có mũ", 259_000, brand="OEM",
      desc=["Vải gió 2 lớp chống nước nhẹ, lót lưới thoáng khí.", "Có mũ tháo rời."]),
    E(T, "thoitrang", "tshirt", "Quần short kaki nam túi hộp", 159_000,
      desc=["Kaki cotton co giãn nhẹ, 6 túi tiện lợi.", "Size 28-36."]),
    E(T, "sneaker", "shoes", "Giày thể thao nam Biti's Hunter X 'Dark Grey'", 899_000, brand="Biti's",
      origin="Việt Nam",
      desc=["Đế Lite-Foam siêu nhẹ, quai dệt thoáng khí.", "Hàng chính hãng Biti's."]),
    E(S, "thoitrang", "shoes", "Dép quai ngang nam đế cao su chống trượt", 69_000,
      desc=["Đế cao su đúc nguyên khối, đi mưa không trơn.", "Size 39-44."]),
    E(T, "dienmay", "misc", "Quạt đứng Senko 3 cánh DTS1609", 399_000, brand="Senko", origin="Việt Nam",
      desc=["Quạt đứng 3 cánh 47W, 3 tốc độ gió.", "Bảo hành 2 năm."]),
    E(T, "dienmay", "kitchen", "Ấm siêu tốc inox 1.8L tự ngắt khi sôi", 159_000, origin="Trung Quốc",
      desc=["Đun sôi 1.8L nước trong 5 phút, tự ngắt an toàn.", "Thân inox 304."]),
    E(T, "taman", "medicine", "Khẩu trang y tế 4 lớp hộp 50 cái", 35_000, brand="OEM", origin="Việt Nam",
      desc=["Khẩu trang y tế kháng khuẩn 4 lớp.", "Đạt tiêu chuẩn Bộ Y tế."]),
    E(S, "mevabe", "diaper", "Bỉm quần Bobby size L 68 miếng", 335_000, brand="Bobby", origin="Việt Nam",
      desc=["Thấm hút nhanh, khô thoáng suốt đêm.", "Cho bé 9-14kg."]),
    E(T, "innisfree", "facecream", "Mặt nạ đất sét Innisfree Super Volcanic 100ml", 320_000, brand="Innisfree",
      origin="Hàn Quốc",
      desc=["Mặt nạ tro núi lửa Jeju làm sạch lỗ chân lông.", "Hàng chính hãng."]),
    E(S, "innisfree", "facecream", "Sữa rửa mặt Innisfree Green Tea Foam Cleanser 150ml", 195_000,
      brand="Innisfree", origin="Hàn Quốc",
      desc=["Sữa rửa mặt trà xanh cấp ẩm, không khô căng.", "Xuất xứ: Hàn Quốc."]),
    E(S, "bep", "knife", "Dao gọt hoa quả \"siêu bén\" 3 món kèm bao 12''", 99_000, origin="Trung Quốc",
      desc=["Bộ 3 dao gọt \"siêu bén\" lưỡi gốm, kèm bao nhựa.", "Dài 12'' (30cm) cho dao lớn nhất."]),
    E(T, "giadungsg", "kitchen", "Bộ nồi inox 3 đáy Fivestar 5 chiếc nắp kính", 890_000, brand="Fivestar",
      origin="Việt Nam",
      desc=["Inox 430 ba đáy, dùng được mọi loại bếp.", "Bộ gồm 5 nồi từ 16-24cm."]),
    E(T, "phocongnghe", "earphone", "Tai nghe bluetooth Soundpeats Air3 Deluxe HS", 690_000, brand="Soundpeats",
      origin="Trung Quốc",
      desc=["Hỗ trợ LDAC, âm thanh Hi-Res, độ trễ thấp.", "Bảo hành 12 tháng."]),
    E(S, "sieuthi", "coffee", "Cà phê sữa đá hòa tan G7 3in1 hộp 18 gói", 59_000, brand="Trung Nguyên",
      origin="Việt Nam", desc=["Cà phê hòa tan 3in1 đậm vị.", "Hộp 18 gói x 16g."]),
    E(T, "bachhoa", "snack", "Hạt điều rang muối Bình Phước 500g loại A", 189_000, brand="OEM", origin="Việt Nam",
      desc=["Hạt điều rang muối vỏ lụa, giòn béo.", "Đóng hũ pet 500g."]),
    E(T, "bachhoa", "candy", "Kẹo gừng Huế dẻo thơm gói 300g", 45_000, origin="Việt Nam",
      desc=["Kẹo gừng dẻo cay nhẹ, làm ấm bụng.", "Đặc sản Huế."]),
    E(T, "dienmay", "airfryer", "Nồi chiên không dầu Lock&Lock EJF357 5.2L", 1_390_000, brand="LocknLock",
      origin="Trung Quốc",
      desc=["Dung tích 5.2L, điều khiển cảm ứng 8 chế độ.", "Bảo hành 12 tháng."]),
    E(S, "giadung", "bottle", "Bình giữ nhiệt Lock&Lock 450ml in tên", 245_000, brand="LocknLock",
      origin="Trung Quốc", desc=["Giữ nhiệt 12h, nắp chống tràn.", "In tên miễn phí."]),
    E(T, "tiki_trading", "books", "Sách Nhà Giả Kim - Paulo Coelho (tái bản)", 69_000, brand="Nhã Nam",
      desc=["Tiểu thuyết nổi tiếng về hành trình theo đuổi ước mơ.", "Bản dịch Nhã Nam."]),
    E(T, "samsung", "phone", "Samsung Galaxy A15 8GB/128GB - Hàng chính hãng", 4_490_000, brand="Samsung",
      origin="Việt Nam",
      desc=["Màn hình Super AMOLED 6.5 inch, pin 5000mAh.", "Bảo hành chính hãng 12 tháng."]),
    E(T, "philips", "hairdryer", "Máy sấy tóc Philips BHD300 1600W gấp gọn", 399_000, brand="Philips",
      origin="Trung Quốc", desc=["Thiết kế gấp gọn tiện mang theo.", "3 chế độ nhiệt và tốc độ."]),
    E(T, "nike", "tshirt", "Áo thun Nike Sportswear Club Nam - Đen", 790_000, brand="Nike", origin="Việt Nam",
      desc=["Cotton mềm mại, logo Swoosh thêu.", "Hàng chính hãng Nike."]),
]

TIKI_FOOTER = "Giá sản phẩm trên Tiki đã bao gồm thuế theo luật hiện hành."
SHOPEE_FOOTERS = (
    "📦 Giao hàng toàn quốc, được kiểm tra hàng trước khi thanh toán.",
    "✅ Cam kết hàng giống hình 100%. Shop phản hồi tin nhắn 8h-22h.",
    "🔄 Đổi trả trong 7 ngày nếu lỗi do nhà sản xuất.",
    "#giatot #freeship #hangmoi",
)


def _hexdigest(*parts: object) -> str:
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()


def _images(platform: str, listing_id: str, count: int) -> list[str]:
    out = []
    for n in range(count):
        h = _hexdigest(platform, listing_id, n)
        if platform == "tiki":
            out.append(f"https://salt.tikicdn.com/ts/product/{h[:2]}/{h[2:4]}/{h[4:6]}/{h[6:38]}.jpg")
        else:
            out.append(f"https://down-vn.img.susercontent.com/file/vn-11134207-7r98o-{h[:14]}")
    return out


def _slug(text: str) -> str:
    from crawler.text import fold

    words = "".join(ch if ch.isalnum() else " " for ch in fold(text)).split()
    return "-".join(words)[:90].strip("-")


def build() -> Iterator[dict[str, Any]]:
    """Every demo listing as a Listing-shaped dict plus ``expected_kinds``, in a fixed order."""
    rng = random.Random(SEED)
    specs = [*PEERS, *BANNED, *COUNTERFEIT, *MISSING_ORIGIN, *CLEAN]
    # interleave the sections deterministically so a page of results looks like a real search
    order = list(range(len(specs)))
    rng.shuffle(order)
    counters = {"tiki": 0, "shopee": 0}
    for index in order:
        spec = specs[index]
        platform = spec["platform"]
        n = counters[platform]
        counters[platform] += 1
        sellers = TIKI_SELLERS if platform == "tiki" else SHOPEE_SELLERS
        seller = sellers[spec["seller"]]
        brand = spec["brand"] if spec["brand"] or platform == "shopee" else "OEM"  # Tiki always names one
        desc = list(spec["desc"])
        if spec["origin"] and n % 3 == 0 and not any("Xuất xứ" in line for line in desc):
            desc.append(f"Xuất xứ: {spec['origin']}.")
        price, op = spec["price"], spec["op"]
        sold = rng.choice([None, 0, rng.randint(1, 60), rng.randint(60, 900), rng.randint(900, 25000)])
        if platform == "shopee" and sold is None:
            sold = 0  # Shopee always counts; Tiki sends quantity_sold null until something sells
        if platform == "tiki" and sold == 0:
            sold = None
        rating = round(rng.uniform(3.6, 5.0), 1) if sold else None
        if platform == "tiki":
            product_id = str(270_000_011 + n * 1_009)
            spid = int(product_id) + 2
            listing_id = f"{product_id}-{spid}"  # one seller's offer of the product (spiders.formats.tiki)
            url = f"{PUBLIC_BASE['tiki']}/{_slug(spec['title'])}-p{product_id}.html?spid={spid}"
            desc.append(TIKI_FOOTER)
            # Tiki always states an original price; it equals the price when there is no discount.
            original = None if price is None else max(op or price, price)
            seller_url = f"https://tiki.vn/cua-hang/{seller.slug}"
            posted_at = None
        else:
            listing_id = product_id = str(22_100_000_017 + n * 7_919_333)
            url = f"{PUBLIC_BASE['shopee']}/product/{seller.platform_id}/{listing_id}"
            desc.append(SHOPEE_FOOTERS[n % len(SHOPEE_FOOTERS)])
            original = op if (op and price is not None and op > price) else None
            seller_url = f"https://shopee.vn/shop/{seller.platform_id}"
            ctime = 1_696_118_400 + n * 86_400 * 3 + rng.randint(0, 86_399)
            posted_at = datetime.fromtimestamp(ctime, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        yield {
            "platform": platform,
            "listing_id": listing_id,
            "url": url,
            "title": spec["title"],
            "description": "\n".join(desc),
            "price": price,
            "original_price": original,
            "currency": "VND",
            "brand": brand,
            "category": category_path(platform, spec["cat"]),
            "origin": spec["origin"],
            "seller": {
                "platform_id": str(seller.platform_id),
                "name": seller.name,
                "url": seller_url,
                "province": seller.province,
                "official": seller.official,
            },
            "images": _images(platform, product_id, 2 + n % 3),
            "sold_count": sold,
            "rating": rating,
            "posted_at": posted_at,
            "expected_kinds": spec["kinds"],
        }


def render(records: Iterable[dict[str, Any]]) -> str:
    """The JSON Lines text of ``records`` (one object a line, UTF-8, keys in schema order)."""
    return "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)


def main(argv: list[str] | None = None) -> int:
    """Write (or with ``--check`` verify) the committed demo data file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the committed file is stale")
    parser.add_argument("--output", type=Path, default=DATA_FILE)
    args = parser.parse_args(argv)
    text = render(build())
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output}: out of date; run python -m crawler.demo.build_data", file=sys.stderr)
            return 1
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
