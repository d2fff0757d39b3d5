"""Words and formats of the web UI: Vietnamese first, English on request.

:func:`label` gives a label in the page's language (``vi`` unless ``?lang=en``, the ``lang`` cookie or
the user's setting says ``en``); dates are ``dd/mm/yyyy`` in Vietnam time and prices ``1.250.000 ₫``
in both languages (the inspectors' forms), :func:`parse_day` reads ``dd/mm/yyyy`` or ``yyyy-mm-dd``.
"""

from __future__ import annotations

from datetime import date, datetime

from crawler.days import DAY_FORMAT, TIME_FORMAT, read_day
from crawler.review.filters import local

LANGS: tuple[str, ...] = ("vi", "en")

_LABELS: dict[str, tuple[str, str]] = {
    "app": ("Giám sát tin đăng", "Listing monitor"),
    "login": ("Đăng nhập", "Log in"),
    "logout": ("Đăng xuất", "Log out"),
    "username": ("Tên đăng nhập", "User name"),
    "password": ("Mật khẩu", "Password"),
    "login_failed": ("Sai tên đăng nhập hoặc mật khẩu.", "Wrong user name or password."),
    "login_limited": ("Quá nhiều lần đăng nhập sai. Vui lòng thử lại sau {minutes} phút.",
                      "Too many failed logins. Try again in {minutes} minutes."),
    "queue": ("Hàng đợi", "Queue"),
    "queue_title": ("Tin đăng bị gắn cờ", "Flagged listings"),
    "dashboard": ("Tổng quan", "Dashboard"),
    "downloads": ("Xuất dữ liệu & báo cáo", "Exports & reports"),
    "mine": ("Việc được giao", "Assigned to me"),
    "users": ("Tài khoản", "Accounts"),
    "account": ("Cài đặt", "Settings"),
    "filter": ("Lọc", "Filter"),
    "clear": ("Xoá bộ lọc", "Clear filters"),
    "kind": ("Loại vi phạm", "Kind"),
    "platform": ("Sàn", "Platform"),
    "province": ("Tỉnh/thành", "Province"),
    "seller": ("Người bán", "Seller"),
    "status": ("Trạng thái", "Status"),
    "since": ("Từ ngày", "From"),
    "until": ("Đến ngày", "To"),
    "text": ("Từ khoá", "Words"),
    "rule": ("Mã quy tắc", "Rule id"),
    "min_risk": ("Rủi ro tối thiểu", "Minimum risk"),
    "any": ("Tất cả", "Any"),
    "sort": ("Sắp xếp", "Sort"),
    "sort_risk": ("Rủi ro cao trước", "Riskiest first"),
    "sort_newest": ("Mới thấy trước", "Newest first"),
    "risk": ("Rủi ro", "Risk"),
    "title": ("Tiêu đề", "Title"),
    "price": ("Giá", "Price"),
    "original_price": ("Giá gốc", "Original price"),
    "last_seen": ("Thấy lần cuối", "Last seen"),
    "first_seen": ("Thấy lần đầu", "First seen"),
    "assigned": ("Giao cho", "Assigned to"),
    "matches": ("{total} tin đăng khớp — trang {page}/{pages}", "{total} listings match — page {page} of {pages}"),
    "no_rows": ("Không có tin đăng nào khớp bộ lọc.", "No flagged listing matches these filters."),
    "prev": ("‹ Trang trước", "‹ Previous"),
    "next": ("Trang sau ›", "Next ›"),
    "selected": ("Với các tin đã chọn:", "With the selected listings:"),
    "select_all": ("Chọn tất cả", "Select all"),
    "apply": ("Thực hiện", "Apply"),
    "note": ("Ghi chú", "Note"),
    "note_hint": ("Lý do quyết định (lưu vào nhật ký kiểm tra)", "Why (kept in the audit log)"),
    "confirm": ("Xác nhận vi phạm", "Confirm"),
    "dismiss": ("Loại bỏ", "Dismiss"),
    "refer": ("Chuyển cơ quan khác", "Refer"),
    "reopen": ("Mở lại", "Reopen"),
    "assign": ("Giao việc", "Assign"),
    "assign_to": ("Giao cho thanh tra viên", "Assign to inspector"),
    "unassign": ("— bỏ giao —", "— unassign —"),
    "case_file": ("Tạo hồ sơ vụ việc (.zip)", "Case file (.zip)"),
    "done": ("Đã xử lý {ok} tin đăng.", "{ok} listings done."),
    "failed": ("{failed} tin đăng không xử lý được.", "{failed} listings could not be done."),
    "listing": ("Tin đăng", "Listing"),
    "fields": ("Thông tin", "Fields"),
    "url": ("Đường dẫn", "URL"),
    "brand": ("Thương hiệu", "Brand"),
    "category": ("Danh mục", "Category"),
    "origin": ("Xuất xứ", "Origin"),
    "not_stated": ("(không ghi)", "(not stated)"),
    "source": ("Nguồn", "Source"),
    "source_crawl": ("Thu thập tự động", "Crawl"),
    "source_tip-off": ("Tin báo", "Tip-off"),
    "description": ("Mô tả", "Description"),
    "flags": ("Cờ vi phạm", "Flags"),
    "reason": ("Lý do", "Reason"),
    "score": ("Điểm", "Score"),
    "severity": ("Mức độ", "Severity"),
    "severity_low": ("thấp", "low"),
    "severity_medium": ("trung bình", "medium"),
    "severity_high": ("cao", "high"),
    "severity_critical": ("nghiêm trọng", "critical"),
    "legal_basis": ("Căn cứ pháp lý", "Legal basis"),
    "matched": ("Đoạn khớp", "Matched text"),
    "peer_group": ("Nhóm so sánh giá", "Price peer group"),
    "median": ("Giá trung vị", "Median price"),
    "mad": ("Độ lệch trung vị", "Median deviation"),
    "sellers_n": ("Số người bán", "Sellers"),
    "listings_n": ("Số tin đăng", "Listings"),
    "price_history": ("Lịch sử giá", "Price history"),
    "one_price": ("Chỉ thấy một mức giá.", "One price seen."),
    "seller_info": ("Người bán", "Seller"),
    "official": ("Gian hàng chính hãng", "Official store"),
    "phones": ("Điện thoại", "Phones"),
    "other_listings": ("Tin đăng khác của người bán", "The seller's other listings"),
    "none": ("Không có.", "None."),
    "network": ("Mạng lưới người bán liên quan", "Linked sellers"),
    "shares": ("dùng chung", "shares"),
    "network_open": ("Tìm người bán dùng chung điện thoại, tên shop, ảnh, đường dẫn",
                     "Find sellers sharing phones, shop names, images, URLs"),
    "network_start": ("Người bán này", "This seller"),
    "network_none": ("Không tìm thấy người bán nào liên quan.", "No linked seller found."),
    "network_ignored": ("Bỏ qua (quá nhiều người bán dùng chung)", "Ignored (shared by too many sellers)"),
    "shows": ("Thông tin người bán công khai", "What the seller shows"),
    "hops": ("bước", "hops"),
    "evidence": ("Chứng cứ", "Evidence"),
    "captured": ("Thu thập lúc", "Captured"),
    "screenshot": ("Ảnh chụp màn hình", "Screenshot"),
    "response": ("Nội dung phản hồi (tải về)", "Response body (download)"),
    "no_evidence": ("Chưa lưu chứng cứ.", "No evidence kept."),
    "history": ("Nhật ký xét duyệt", "Review history"),
    "no_history": ("Chưa có quyết định nào.", "No decision yet."),
    "by": ("Người quyết định", "By"),
    "at": ("Thời điểm", "When"),
    "from_to": ("Trạng thái", "Status"),
    "decide": ("Quyết định", "Decision"),
    "kinds_by_week": ("Cờ theo loại, theo tuần", "Flags per kind, by week"),
    "platforms_by_week": ("Cờ theo sàn, theo tuần", "Flags per platform, by week"),
    "backlog": ("Tồn đọng xét duyệt", "Review backlog"),
    "backlog_new": ("Chờ xét duyệt", "Waiting for review"),
    "backlog_old": ("Chờ quá 7 ngày", "Waiting over 7 days"),
    "top_sellers": ("Người bán nhiều vi phạm nhất", "Top sellers"),
    "confirmed_n": ("Đã xác nhận", "Confirmed"),
    "flagged_n": ("Bị gắn cờ", "Flagged"),
    "runs": ("Các lần thu thập gần nhất", "Last crawl runs"),
    "spider": ("Trình thu thập", "Spider"),
    "started": ("Bắt đầu", "Started"),
    "finished": ("Kết thúc", "Finished"),
    "items": ("Tin thu được", "Items"),
    "errors": ("Lỗi", "Errors"),
    "export": ("Xuất danh sách", "Export listings"),
    "format": ("Định dạng", "Format"),
    "all_listings": ("Cả tin không bị gắn cờ", "Include unflagged listings"),
    "download": ("Tải về", "Download"),
    "report": ("Báo cáo", "Report"),
    "period": ("Kỳ báo cáo", "Period"),
    "from_day": ("Từ ngày", "From"),
    "to_day": ("Đến ngày", "To"),
    "day_hint": ("dd/mm/yyyy", "dd/mm/yyyy"),
    "role": ("Vai trò", "Role"),
    "active": ("Đang hoạt động", "Active"),
    "disabled": ("Đã khoá", "Disabled"),
    "disable": ("Khoá", "Disable"),
    "enable": ("Mở khoá", "Enable"),
    "add_user": ("Thêm tài khoản", "Add account"),
    "created": ("Ngày tạo", "Created"),
    "language": ("Ngôn ngữ", "Language"),
    "save": ("Lưu", "Save"),
    "change_password": ("Đổi mật khẩu", "Change password"),
    "current_password": ("Mật khẩu hiện tại", "Current password"),
    "new_password": ("Mật khẩu mới", "New password"),
    "saved": ("Đã lưu.", "Saved."),
    "error": ("Lỗi", "Error"),
    "forbidden": ("Tài khoản của bạn không có quyền thực hiện việc này.", "Your account may not do this."),
    "not_found": ("Không tìm thấy.", "Not found."),
    "bad_csrf": ("Biểu mẫu đã hết hạn hoặc không hợp lệ. Hãy tải lại trang và thử lại.",
                 "The form expired or is not valid. Reload the page and try again."),
    "back": ("Quay lại", "Back"),
    "store_error": ("Không đọc/ghi được cơ sở dữ liệu. Báo cho bộ phận vận hành; thử lại sau.",
                    "The database cannot be read or written. Tell the operators; try again later."),
    "evidence_changed": ("Tệp chứng cứ không còn khớp mã sha256 đã ghi.",
                         "The evidence file no longer matches its sha256."),
    "nothing_selected": ("Chưa chọn tin đăng nào.", "No listing selected."),
    "signed_in_as": ("Đăng nhập:", "Signed in:"),
    "open_listing": ("Mở trên sàn", "Open on the platform"),
}
KIND_LABELS: dict[str, tuple[str, str]] = {
    "banned": ("Hàng cấm", "Banned"),
    "counterfeit": ("Hàng giả", "Counterfeit"),
    "missing_origin": ("Không rõ nguồn gốc", "Missing origin"),
    "price_anomaly": ("Giá bất thường", "Price anomaly"),
}
STATUS_LABELS: dict[str, tuple[str, str]] = {
    "new": ("Chờ xét duyệt", "New"),
    "confirmed": ("Xác nhận vi phạm", "Confirmed"),
    "dismissed": ("Đã loại bỏ", "Dismissed"),
    "referred": ("Đã chuyển", "Referred"),
}
ROLE_LABELS: dict[str, tuple[str, str]] = {
    "inspector": ("Thanh tra viên", "Inspector"),
    "lead": ("Trưởng nhóm", "Lead"),
    "analyst": ("Phân tích viên", "Analyst"),
    "admin": ("Quản trị", "Admin"),
}
PERIOD_LABELS: dict[str, tuple[str, str]] = {
    "quick": ("Báo cáo nhanh (7 ngày)", "Quick (7 days)"),
    "6m": ("Định kỳ 06 tháng", "6 months"),
    "1y": ("01 năm", "1 year"),
    "custom": ("Đột xuất (từ ngày … đến ngày)", "Custom (from … to)"),
}


def _pick(pair: tuple[str, str] | None, lang: str, fallback: str) -> str:
    if pair is None:
        return fallback
    return pair[1] if lang == "en" else pair[0]


def label(key: str, lang: str, **values: object) -> str:
    """The label ``key`` in ``lang`` with ``{name}`` fields filled in; the key itself when unknown."""
    text = _pick(_LABELS.get(key), lang, key)
    return text.format(**values) if values else text


def kind_label(kind: str, lang: str) -> str:
    """A flag kind's name."""
    return _pick(KIND_LABELS.get(kind), lang, kind)


def status_label(status: str, lang: str) -> str:
    """A review status's name."""
    return _pick(STATUS_LABELS.get(status), lang, status)


def role_label(role: str, lang: str) -> str:
    """A role's name."""
    return _pick(ROLE_LABELS.get(role), lang, role)


def period_label(period: str, lang: str) -> str:
    """A report period's name."""
    return _pick(PERIOD_LABELS.get(period), lang, period)


def vnd(value: int | float | None) -> str:
    """``1250000`` → ``1.250.000 ₫`` (a no-break space before the sign); ``—`` when unknown."""
    if value is None:
        return "—"
    return f"{round(value):,}".replace(",", ".") + "\u00a0₫"


def day(moment: datetime | date | None) -> str:
    """``dd/mm/yyyy`` (Vietnam time for a datetime), or ``—``."""
    if moment is None:
        return "—"
    if isinstance(moment, datetime):
        moment = local(moment)
    return moment.strftime(DAY_FORMAT)


def day_of_text(text: str | None) -> str:
    """``dd/mm/yyyy`` of an ISO 8601 time kept as text (accounts, assignments), or ``—``."""
    try:
        return day(datetime.fromisoformat(text)) if text else "—"
    except ValueError:
        return "—"


def when(moment: datetime | None) -> str:
    """``dd/mm/yyyy HH:MM`` in Vietnam time, or ``—``."""
    shown = local(moment)
    return shown.strftime(TIME_FORMAT) if shown else "—"


def parse_day(text: str | None) -> str | None:
    """A day typed as ``dd/mm/yyyy`` (or ``yyyy-mm-dd``) → ``yyyy-mm-dd`` for the review filters; None
    when empty. Anything else is passed on unchanged, so that the filters' own error names it."""
    if text is None or not text.strip():
        return None
    text = text.strip()
    try:
        return read_day(text).isoformat()
    except ValueError:
        return text


def show_day_input(iso: str | None) -> str:
    """A ``yyyy-mm-dd`` filter value as the form shows it again (``dd/mm/yyyy``)."""
    if not iso:
        return ""
    try:
        return f"{date.fromisoformat(iso):%d/%m/%Y}"
    except ValueError:
        return iso
