"""Public sale posts on the demo marketplace, in markup that resembles a public Facebook page or group.

- ``/facebook/<page>`` (e.g. ``/facebook/hang.xach.tay.gia.re``) and ``/facebook/groups/<id>``: a shell
  page whose script loads the posts from ``/facebook/ajax/posts?target=…&cursor=N`` three at a time,
  the first batch after load and the next ones when the page is scrolled to the bottom (infinite
  scroll), so only a browser sees them;
- each post is a ``div[role=article]`` with the author in ``h3 a``, the time in ``abbr[data-utime]``
  inside the permalink (``/posts/<id>`` on a page, ``/groups/<g>/permalink/<id>/`` in a group) and
  the text in ``div[data-ad-preview=message]``, as on Facebook.

The posts are written by us: free-text prices ("3tr8", "850k"), phone numbers in several spellings,
and some goods the rules flag (fireworks, vapes, an airgun).
"""

from __future__ import annotations

import json
from typing import Any

PAGE_POSTS: list[dict[str, Any]] = [
    {"id": "pfbid0001", "author": "Hàng Xách Tay Giá Rẻ", "handle": "hang.xach.tay.gia.re", "utime": 1732000000,
     "text": "Pod vape Xlim Pro 30W mới về 🔥 giá chỉ 850k\nShip toàn quốc, ib hoặc zalo 0912.345.678"},
    {"id": "pfbid0002", "author": "Hàng Xách Tay Giá Rẻ", "handle": "hang.xach.tay.gia.re", "utime": 1732086400,
     "text": "Thanh lý iPhone 12 Pro Max 128GB zin all, pin 89%\nGiá 3tr8 bao test 7 ngày. LH +84 987 654 321"},
    {"id": "pfbid0003", "author": "Hàng Xách Tay Giá Rẻ", "handle": "hang.xach.tay.gia.re", "utime": 1732172800,
     "text": "Pháo hoa 36 ống nổ to đón Tết 🎆 hàng có sẵn\nGiá 1.250.000đ/dàn, giao kín đáo. Gọi 0987-111-222"},
    {"id": "pfbid0004", "author": "Hàng Xách Tay Giá Rẻ", "handle": "hang.xach.tay.gia.re", "utime": 1732259200,
     "text": "Sữa Aptamil Đức số 1 xách tay, date xa\nInbox để có giá tốt nhất nhé cả nhà"},
    {"id": "pfbid0005", "author": "Hàng Xách Tay Giá Rẻ", "handle": "hang.xach.tay.gia.re", "utime": 1732345600,
     "text": "Túi LV Neverfull siêu cấp like auth 99%, fullbox\nChỉ 2 củ 5, số lượng có hạn. Zalo 0903 456 789"},
]
GROUP_POSTS: list[dict[str, Any]] = [
    {"id": "7101", "author": "Tuấn Airsoft", "uid": "100071234567", "utime": 1732400000,
     "text": "Súng bắn bi sắt 6mm hợp kim full phụ kiện\nGiá 1tr2, tặng 500 viên. Lh 0977 888 999"},
    {"id": "7102", "author": "Lan Mỹ Phẩm", "uid": "100079876543", "utime": 1732486400,
     "text": "Kem trộn trắng da cấp tốc 7 ngày hàng nội địa Trung\n350k/hũ, freeship từ 2 hũ"},
    {"id": "7103", "author": "Minh Đồng Hồ", "uid": "100070000001", "utime": 1732572800,
     "text": "Rolex Submariner rep 1:1 máy Nhật\nGiá 4tr500, bảo hành 1 năm, sđt 0868.123.456"},
]
BATCH = 3

_SHELL = """<!doctype html><html lang=vi><head><meta charset=utf-8><title>%(title)s | Facebook</title>
<style>body{font-family:Helvetica,Arial,sans-serif;background:#f0f2f5;margin:0}
[role=feed]{width:600px;margin:20px auto}[role=article]{background:#fff;border-radius:8px;padding:12px;
margin-bottom:16px;min-height:380px}h3{margin:0 0 4px;font-size:15px}abbr{color:#65676b;font-size:13px}
[data-ad-preview=message]{margin-top:12px;font-size:15px;line-height:1.4}</style></head>
<body><div role=banner><h1>%(title)s</h1></div><div role=main><div role=feed id=feed></div>
<div id=loading>Đang tải…</div></div>
<script>
const target = %(target)s, feed = document.getElementById("feed");
let cursor = 0, busy = false, done = false;
function esc(s) { const d = document.createElement("div"); d.textContent = s; return d.innerHTML; }
function render(p) {
  const a = document.createElement("div");
  a.setAttribute("role", "article");
  a.setAttribute("aria-posinset", String(feed.children.length + 1));
  const lines = p.text.split("\\n").map(l => "<div dir=auto>" + esc(l) + "</div>").join("");
  a.innerHTML = "<h3><strong><a href='" + p.author_url + "'>" + esc(p.author) + "</a></strong></h3>" +
    "<span><a href='" + p.permalink + "' aria-label='" + esc(p.when) + "'><abbr data-utime='" + p.utime +
    "'>" + esc(p.when) + "</abbr></a></span>" +
    "<div data-ad-preview=message data-ad-comet-preview=message>" + lines + "</div>";
  feed.appendChild(a);
}
async function more() {
  if (busy || done) return;
  busy = true;
  const r = await fetch("/facebook/ajax/posts?target=" + encodeURIComponent(target) + "&cursor=" + cursor);
  const data = await r.json();
  data.posts.forEach(render);
  cursor = data.next_cursor; done = data.next_cursor === null; busy = false;
  if (done) document.getElementById("loading").textContent = "";
}
window.addEventListener("load", () => setTimeout(more, 50));
window.addEventListener("scroll", () => {
  if (window.innerHeight + window.scrollY >= document.body.scrollHeight - 200) more();
});
</script></body></html>"""


def _posts(target: str) -> list[dict[str, Any]]:
    if target.startswith("groups/"):
        group = target.split("/", 1)[1]
        return [{**p, "author_url": f"/facebook/groups/{group}/user/{p['uid']}/",
                 "permalink": f"/facebook/groups/{group}/permalink/{p['id']}/"} for p in GROUP_POSTS]
    return [{**p, "author_url": f"/facebook/{p['handle']}",
             "permalink": f"/facebook/{target}/posts/{p['id']}"} for p in PAGE_POSTS]


def _feed(handler: Any, query: dict[str, list[str]]) -> None:
    target = query.get("target", [""])[0]
    try:
        cursor = max(0, int(query.get("cursor", ["0"])[0]))
    except ValueError:
        handler._json({"error": "cursor must be an integer"}, 400)
        return
    posts = _posts(target)
    chunk = [{**p, "when": f"{(cursor + i + 1) * 3} giờ"} for i, p in enumerate(posts[cursor: cursor + BATCH])]
    following = cursor + BATCH if cursor + BATCH < len(posts) else None
    handler._json({"posts": chunk, "next_cursor": following})


def handle(handler: Any, path: str, query: dict[str, list[str]]) -> bool:
    """Answer ``/facebook/…`` pages and their post feed; False for anything else."""
    if not path.startswith("/facebook/"):
        return False
    rest = path[len("/facebook/"):].strip("/")
    if rest == "ajax/posts":
        _feed(handler, query)
        return True
    parts = rest.split("/")
    if (len(parts) == 1 and parts[0] and parts[0] != "ajax") or (len(parts) == 2 and parts[0] == "groups"):
        title = "Nhóm mua bán " + parts[1] if parts[0] == "groups" else parts[0]
        page = _SHELL % {"title": title, "target": json.dumps(rest, ensure_ascii=False)}
        handler._send(200, page.encode("utf-8"), "text/html; charset=utf-8")
        return True
    return False
