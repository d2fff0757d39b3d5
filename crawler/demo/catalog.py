"""The demo marketplace's sellers and category paths, written by us (no real platform data).

Official stores carry real brand names only where their listings are clean; every other shop name is
invented. Category paths follow each platform's own naming (Tiki's breadcrumbs, Shopee's category
tree) and are joined with " > ", which is also how the spiders write ``Listing.category``.
"""

from __future__ import annotations

from typing import NamedTuple


class DemoSeller(NamedTuple):
    """One demo shop: id on its platform, display name, URL slug, province, official store or not."""

    platform_id: int
    name: str
    slug: str
    province: str | None
    official: bool


TIKI_SELLERS: dict[str, DemoSeller] = {
    "tiki_trading": DemoSeller(1, "Tiki Trading", "tiki-trading", None, True),
    "apple": DemoSeller(107, "Apple Flagship Store", "apple-flagship-store", None, True),
    "samsung": DemoSeller(113, "Samsung Official Store", "samsung-official-store", None, True),
    "philips": DemoSeller(205, "Philips Official Store", "philips-official-store", None, True),
    "abbott": DemoSeller(231, "Abbott Official Store", "abbott-official-store", None, True),
    "lrp": DemoSeller(246, "La Roche-Posay Official Store", "la-roche-posay-official-store", None, True),
    "nike": DemoSeller(258, "Nike Official Store", "nike-official-store", None, True),
    "innisfree": DemoSeller(277, "Innisfree Official Store", "innisfree-official-store", None, True),
    "phocongnghe": DemoSeller(16412, "Phố Công Nghệ 88", "pho-cong-nghe-88", None, False),
    "giadungsg": DemoSeller(28871, "Thế Giới Gia Dụng Sài Gòn", "the-gioi-gia-dung-sai-gon", None, False),
    "taman": DemoSeller(30517, "Nhà Thuốc Tâm An", "nha-thuoc-tam-an", None, False),
    "myphamhan": DemoSeller(41260, "Kho Mỹ Phẩm Hàn Store", "kho-my-pham-han-store", None, False),
    "bachhoa": DemoSeller(45733, "Bách Hóa Nhà Mình", "bach-hoa-nha-minh", None, False),
    "dochoi": DemoSeller(52018, "Đồ Chơi Bé Yêu", "do-choi-be-yeu", None, False),
    "thomoc": DemoSeller(57391, "Dụng Cụ Thợ Mộc Bình Dương", "dung-cu-tho-moc-binh-duong", None, False),
    "phukien3k": DemoSeller(61244, "Phụ Kiện 3K", "phu-kien-3k", None, False),
    "dongho_hn": DemoSeller(66802, "Đồng Hồ Thanh Lý Hà Thành", "dong-ho-thanh-ly-ha-thanh", None, False),
    "sneaker": DemoSeller(70115, "Giày Sneaker 1989", "giay-sneaker-1989", None, False),
    "tuixach": DemoSeller(73390, "Túi Xách Nàng Thơ", "tui-xach-nang-tho", None, False),
    "xachtay": DemoSeller(78821, "Hàng Xách Tay Uy Tín 247", "hang-xach-tay-uy-tin-247", None, False),
    "thoitrang": DemoSeller(80456, "Basic Men Store", "basic-men-store", None, False),
    "dienmay": DemoSeller(83907, "Điện Máy Gia Đình Việt", "dien-may-gia-dinh-viet", None, False),
    "suckhoe": DemoSeller(86114, "Sức Khỏe Vàng Pharmacy", "suc-khoe-vang-pharmacy", None, False),
    "luxury": DemoSeller(90233, "Luxury Brand Outlet VN", "luxury-brand-outlet-vn", None, False),
}

SHOPEE_SELLERS: dict[str, DemoSeller] = {
    "apple": DemoSeller(88201001, "Apple Flagship Store", "apple_flagship_store", "TP. Hồ Chí Minh", True),
    "samsung": DemoSeller(88201002, "samsung_official_store", "samsung_official_store", "Hà Nội", True),
    "philips": DemoSeller(88201003, "philips_officialstore", "philips_officialstore", "TP. Hồ Chí Minh", True),
    "lrp": DemoSeller(88201004, "larocheposay_officialstore", "larocheposay_officialstore",
                      "TP. Hồ Chí Minh", True),
    "abbott": DemoSeller(88201005, "abbott_official_store", "abbott_official_store", "TP. Hồ Chí Minh", True),
    "innisfree": DemoSeller(88201006, "innisfree_official", "innisfree_official", "TP. Hồ Chí Minh", True),
    "nike": DemoSeller(88201007, "nike_officialstore", "nike_officialstore", "TP. Hồ Chí Minh", True),
    "congnghe": DemoSeller(310045512, "congnghe_saigon", "congnghe_saigon", "TP. Hồ Chí Minh", False),
    "xachtay": DemoSeller(310089217, "hangxachtay.hn", "hangxachtay.hn", "Hà Nội", False),
    "vape": DemoSeller(320114873, "pod_chill_sg", "pod_chill_sg", "TP. Hồ Chí Minh", False),
    "tuve": DemoSeller(320251190, "shop_tuve_247", "shop_tuve_247", "Bình Dương", False),
    "phao": DemoSeller(330067425, "dochoi_tet_hn", "dochoi_tet_hn", "Hà Nội", False),
    "duoclieu": DemoSeller(330188312, "duoclieu_taybac", "duoclieu_taybac", "Lào Cai", False),
    "thuoc": DemoSeller(340022876, "thuoc_tot_online", "thuoc_tot_online", "Hà Nội", False),
    "camera": DemoSeller(340173359, "thietbi_mini_hn", "thietbi_mini_hn", "Hà Nội", False),
    "giayto": DemoSeller(350046618, "dichvu_nhanh_247", "dichvu_nhanh_247", "Đồng Nai", False),
    "rep": DemoSeller(350210094, "luxury.rep.store", "luxury.rep.store", "TP. Hồ Chí Minh", False),
    "sneaker": DemoSeller(360031457, "sneaker_f1_hcm", "sneaker_f1_hcm", "TP. Hồ Chí Minh", False),
    "dongho": DemoSeller(360118820, "dongho.sieucap", "dongho.sieucap", "Hà Nội", False),
    "noidia": DemoSeller(370054231, "mypham_noidia_trung", "mypham_noidia_trung", "Nước ngoài", False),
    "giadung": DemoSeller(370199065, "giadung_thongminh", "giadung_thongminh", "Hà Nội", False),
    "bep": DemoSeller(380012784, "bepnhaminh", "bepnhaminh", "Đà Nẵng", False),
    "dochoi": DemoSeller(380167340, "dochoi_tre_em_hp", "dochoi_tre_em_hp", "Hải Phòng", False),
    "thoitrang": DemoSeller(390045128, "thoitrang_nam_basic", "thoitrang_nam_basic", "TP. Hồ Chí Minh", False),
    "mevabe": DemoSeller(390213677, "mevabe_cantho", "mevabe_cantho", "Cần Thơ", False),
    "anvat": DemoSeller(400038451, "anvat_co_ba", "anvat_co_ba", "Đà Nẵng", False),
    "tiec": DemoSeller(400176023, "decor_tiec_xinh", "decor_tiec_xinh", "TP. Hồ Chí Minh", False),
    "tho": DemoSeller(410027716, "dungcu_tho_pro", "dungcu_tho_pro", "Bình Dương", False),
    "didong": DemoSeller(410155298, "didong_gia_kho", "didong_gia_kho", "TP. Hồ Chí Minh", False),
    "sieuthi": DemoSeller(420033190, "sieuthi_tienloi_hcm", "sieuthi_tienloi_hcm", "TP. Hồ Chí Minh", False),
    "mypham": DemoSeller(420118755, "mypham_chinhhang_hn", "mypham_chinhhang_hn", "Hà Nội", False),
}

# category key → (Tiki breadcrumb path, Shopee category path)
CATEGORIES: dict[str, tuple[str, str]] = {
    "phone": ("Điện Thoại - Máy Tính Bảng > Điện thoại Smartphone", "Điện Thoại & Phụ Kiện > Điện thoại"),
    "earphone": (
        "Thiết Bị Số - Phụ Kiện Số > Thiết bị âm thanh và phụ kiện > Tai nghe bluetooth",
        "Thiết Bị Điện Tử > Thiết bị âm thanh > Tai nghe nhét tai",
    ),
    "phonecase": (
        "Thiết Bị Số - Phụ Kiện Số > Phụ kiện điện thoại và máy tính bảng > Ốp lưng - Bao da",
        "Điện Thoại & Phụ Kiện > Vỏ, Bao & Ốp lưng",
    ),
    "powerbank": (
        "Thiết Bị Số - Phụ Kiện Số > Phụ kiện điện thoại và máy tính bảng > Pin sạc dự phòng",
        "Điện Thoại & Phụ Kiện > Sạc dự phòng",
    ),
    "airfryer": (
        "Điện Gia Dụng > Đồ dùng nhà bếp > Nồi chiên không dầu",
        "Thiết Bị Điện Gia Dụng > Đồ gia dụng nhà bếp > Nồi chiên không dầu",
    ),
    "milk": (
        "Bách Hóa Online > Sữa và sản phẩm từ sữa > Sữa bột người lớn",
        "Bách Hóa Online > Sữa & sản phẩm từ sữa > Sữa bột",
    ),
    "babymilk": (
        "Đồ Chơi - Mẹ & Bé > Dinh dưỡng cho bé > Sữa bột cho bé",
        "Mẹ & Bé > Sữa công thức & Thực phẩm cho bé > Sữa công thức",
    ),
    "sunscreen": (
        "Làm Đẹp - Sức Khỏe > Chăm sóc da mặt > Kem chống nắng",
        "Sắc Đẹp > Chăm sóc da mặt > Kem chống nắng cho mặt",
    ),
    "serum": (
        "Làm Đẹp - Sức Khỏe > Chăm sóc da mặt > Serum, tinh chất",
        "Sắc Đẹp > Chăm sóc da mặt > Tinh chất dưỡng (serum)",
    ),
    "facecream": (
        "Làm Đẹp - Sức Khỏe > Chăm sóc da mặt > Kem dưỡng da",
        "Sắc Đẹp > Chăm sóc da mặt > Kem dưỡng",
    ),
    "lipstick": ("Làm Đẹp - Sức Khỏe > Trang điểm > Son môi", "Sắc Đẹp > Trang điểm > Son môi"),
    "bodycream": (
        "Làm Đẹp - Sức Khỏe > Chăm sóc cơ thể > Dưỡng thể",
        "Sắc Đẹp > Tắm & Chăm sóc cơ thể > Kem dưỡng thể",
    ),
    "perfume": ("Làm Đẹp - Sức Khỏe > Nước hoa > Nước hoa nữ", "Sắc Đẹp > Nước hoa > Nước hoa nữ"),
    "supplement": (
        "Làm Đẹp - Sức Khỏe > Thực phẩm chức năng > Hỗ trợ giảm cân",
        "Sức Khỏe > Thực phẩm chức năng > Hỗ trợ giảm cân",
    ),
    "medical": (
        "Làm Đẹp - Sức Khỏe > Thiết bị y tế > Máy đo huyết áp",
        "Sức Khỏe > Vật tư y tế > Máy đo huyết áp",
    ),
    "medicine": ("Làm Đẹp - Sức Khỏe > Thiết bị y tế > Dụng cụ y tế khác", "Sức Khỏe > Vật tư y tế > Khác"),
    "candy": ("Bách Hóa Online > Bánh kẹo > Kẹo", "Bách Hóa Online > Bánh kẹo > Kẹo"),
    "snack": ("Bách Hóa Online > Đồ ăn vặt > Khô bò, khô gà", "Bách Hóa Online > Đồ ăn vặt > Khô & Thịt khô"),
    "misc": (
        "Nhà Cửa - Đời Sống > Dụng cụ và thiết bị tiện ích > Khác",
        "Nhà Cửa & Đời Sống > Dụng cụ & Thiết bị tiện ích > Khác",
    ),
    "outdoor": (
        "Thể Thao - Dã Ngoại > Dụng cụ dã ngoại > Dụng cụ sinh tồn",
        "Thể Thao & Du Lịch > Dụng cụ thể thao & dã ngoại > Dụng cụ sinh tồn",
    ),
    "toy": ("Đồ Chơi - Mẹ & Bé > Đồ chơi > Đồ chơi vận động", "Đồ Chơi > Đồ chơi ngoài trời > Súng nước"),
    "knife": ("Nhà Cửa - Đời Sống > Dụng cụ nhà bếp > Dao, kéo", "Nhà Cửa & Đời Sống > Dụng cụ nhà bếp > Dao kéo"),
    "tools": (
        "Nhà Cửa - Đời Sống > Dụng cụ và thiết bị tiện ích > Dụng cụ cầm tay",
        "Nhà Cửa & Đời Sống > Dụng cụ & Thiết bị tiện ích > Dụng cụ cầm tay",
    ),
    "party": (
        "Nhà Cửa - Đời Sống > Trang trí nhà cửa > Đồ trang trí tiệc",
        "Nhà Cửa & Đời Sống > Đồ dùng tiệc > Đồ trang trí tiệc",
    ),
    "camera": (
        "Máy Ảnh - Máy Quay Phim > Camera giám sát > Camera IP",
        "Máy Ảnh & Máy Quay Phim > Camera giám sát > Camera IP",
    ),
    "recorder": (
        "Thiết Bị Số - Phụ Kiện Số > Thiết bị âm thanh và phụ kiện > Máy ghi âm",
        "Thiết Bị Điện Tử > Thiết bị âm thanh > Máy ghi âm",
    ),
    "bag": ("Túi thời trang nữ > Túi xách tay nữ", "Túi Ví Nữ > Túi xách tay"),
    "wallet": ("Túi thời trang nữ > Ví nữ", "Túi Ví Nữ > Ví"),
    "watch": ("Đồng hồ và Trang sức > Đồng hồ nam", "Đồng Hồ > Đồng hồ nam"),
    "shoes": ("Giày - Dép nam > Giày thể thao nam", "Giày Dép Nam > Giày thể thao/ Sneakers"),
    "tshirt": ("Thời trang nam > Áo thun nam", "Thời Trang Nam > Áo thun"),
    "belt": ("Phụ kiện thời trang > Thắt lưng nam", "Phụ Kiện Thời Trang > Thắt lưng"),
    "hairdryer": (
        "Điện Gia Dụng > Thiết bị chăm sóc cá nhân > Máy sấy tóc",
        "Sắc Đẹp > Dụng cụ làm đẹp > Máy sấy tóc",
    ),
    "diffuser": (
        "Điện Gia Dụng > Thiết bị gia đình > Máy xông tinh dầu",
        "Nhà Cửa & Đời Sống > Tinh dầu thơm & Máy xông > Máy xông tinh dầu",
    ),
    "essential_oil": (
        "Làm Đẹp - Sức Khỏe > Tinh dầu > Tinh dầu thiên nhiên",
        "Nhà Cửa & Đời Sống > Tinh dầu thơm & Máy xông > Tinh dầu",
    ),
    "flashlight": (
        "Nhà Cửa - Đời Sống > Dụng cụ và thiết bị tiện ích > Đèn pin",
        "Thể Thao & Du Lịch > Dụng cụ thể thao & dã ngoại > Đèn pin",
    ),
    "bottle": (
        "Nhà Cửa - Đời Sống > Đồ dùng phòng ăn > Bình giữ nhiệt",
        "Nhà Cửa & Đời Sống > Dụng cụ nhà bếp > Bình giữ nhiệt",
    ),
    "kitchen": (
        "Nhà Cửa - Đời Sống > Dụng cụ nhà bếp > Nồi, chảo",
        "Nhà Cửa & Đời Sống > Dụng cụ nhà bếp > Nồi & Chảo",
    ),
    "books": (
        "Nhà Sách Tiki > Sách tiếng Việt > Sách kỹ năng sống",
        "Nhà Sách Online > Sách tiếng Việt > Kỹ năng sống",
    ),
    "service": ("Voucher - Dịch vụ > Dịch vụ khác", "Voucher & Dịch vụ > Dịch vụ khác"),
    "fengshui": (
        "Nhà Cửa - Đời Sống > Đồ thờ cúng > Vật phẩm phong thủy",
        "Nhà Cửa & Đời Sống > Đồ thờ cúng & Phong thủy > Vật phẩm phong thủy",
    ),
    "vape": ("Nhà Cửa - Đời Sống > Dụng cụ và thiết bị tiện ích > Khác", "Nhà Cửa & Đời Sống > Khác"),
    "coffee": ("Bách Hóa Online > Đồ uống > Cà phê", "Bách Hóa Online > Đồ uống > Cà phê"),
    "diaper": ("Đồ Chơi - Mẹ & Bé > Tã, Bỉm > Tã quần", "Mẹ & Bé > Tã & Bô em bé > Tã quần"),
    "stationery": ("Văn phòng phẩm > Dụng cụ văn phòng > Bút", "Nhà Sách Online > Văn phòng phẩm > Bút các loại"),
}


def category_path(platform: str, key: str) -> str:
    """The category path of ``key`` as ``platform`` names it."""
    tiki, shopee = CATEGORIES[key]
    return tiki if platform == "tiki" else shopee
