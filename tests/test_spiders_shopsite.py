"""Shop websites: schema.org Product markup (JSON-LD, microdata, RDFa), YAML site files, the crawl."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.items import Listing
from spiders.formats.shopsite import domain, extract_products, extract_with_selectors, item_list_urls, links
from spiders.sites import SiteError, load_site, load_site_file
from tests.mockserver import REPO

DATA = Path(__file__).parent / "data" / "spiders"
PAGE = "https://shop.example/shopsite/jsonld/san-pham/x"


def html(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def test_jsonld_product_field_by_field() -> None:
    errors: list[tuple[str, str]] = []
    [item] = extract_products(html("shopsite_jsonld.html"), PAGE, errors=errors)
    assert errors == []
    assert item["platform"] == "shop.example" and item["listing_id"] == "TD-0301"
    assert item["url"] == "https://shop.example/shopsite/jsonld/san-pham/tinh-dau-vape-xoai"
    assert item["title"] == "Tinh dầu vape 30ml vị xoài lạnh Salt Nic 35mg"
    assert item["price"] == 185000 and item["currency"] == "VND" and item["brand"] == "Juice Salt"
    assert item["origin"] == "Malaysia" and item["seller"]["name"] == "Vape Sài Gòn Store"
    assert item["images"] == ["https://shop.example/img/tinh-dau-vape-xoai-1.jpg",
                              "https://shop.example/img/tinh-dau-vape-xoai-2.jpg"]
    assert item["rating"] == 4.5
    Listing.model_validate(item)


def test_jsonld_graph_with_aggregate_offer_uses_low_price_and_url_as_id() -> None:
    [item] = extract_products(html("shopsite_jsonld_graph.html"), PAGE, platform="giadung")
    assert item["platform"] == "giadung" and item["price"] == 990000 and item["original_price"] is None
    assert item["listing_id"] == "/shopsite/jsonld/san-pham/noi-chien-khong-dau"
    assert item["origin"] == "Việt Nam" and item["brand"] == "Sunhouse"


def test_microdata_and_rdfa() -> None:
    [micro] = extract_products(html("shopsite_microdata.html"), "https://www.shop.example/sp/1")
    assert (micro["platform"], micro["listing_id"], micro["price"]) == ("shop.example", "TD-0301", 185000)
    assert micro["origin"] == "Malaysia"  # additionalProperty "Xuất xứ"
    assert micro["brand"] == "Juice Salt" and micro["images"] == ["https://www.shop.example/img/tinh-dau-vape-xoai.jpg"]
    [rdfa] = extract_products(html("shopsite_rdfa.html"), "https://shop.example/sp/om")
    assert rdfa["title"] == "Đồng hồ Omega Seamaster Diver 300M replica 1:1"
    assert rdfa["price"] == 4500000 and rdfa["brand"] == "Omega" and rdfa["listing_id"] == "/sp/om"


BOOK_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Đắc Nhân Tâm</title>
<script type="application/ld+json">{"@context": "https://schema.org", "@type": "Book",
 "name": "Đắc Nhân Tâm (bìa cứng)", "url": "/sach/dac-nhan-tam-p991.html?utm_source=fb&ref=2",
 "image": ["//cdn.nhasach.example/img/991.jpg"],
 "description": "&lt;p&gt;Sách &lt;b&gt;hay&lt;/b&gt; nhất&lt;/p&gt;&lt;p&gt;Bìa cứng&lt;/p&gt;",
 "brand": {"@type": "Brand", "name": "Đang cập nhật"}, "countryOfOrigin": "N/A", "category": "Updating",
 "offers": {"@type": "Offer", "price": "86000", "priceCurrency": "₫",
            "seller": {"@type": "Organization", "name": "Nhà Sách Phương Nam", "url": "/cua-hang/pnc"}}}
</script></head><body><h1>Đắc Nhân Tâm</h1></body></html>"""
OLD_MICRODATA = """<html><head><meta charset="utf-8"></head><body>
<div itemscope itemtype="http://data-vocabulary.org/Product">
 <h1 itemprop="name">Đồng hồ Casio MTP-1374L chính hãng</h1>
 <img itemprop="image" src="//static.dongho.example/casio-1374.jpg">
 <div itemprop="description"><p>Máy Nhật.</p><p>Bảo hành 1 năm.</p></div>
 <span itemprop="brand">Casio</span>
 <div itemprop="offerDetails" itemscope itemtype="http://data-vocabulary.org/Offer">
   <span itemprop="price">1.250.000</span> <span itemprop="currency">đ</span>
   <div itemprop="seller" itemscope itemtype="http://data-vocabulary.org/Organization">
     <span itemprop="name">Đồng Hồ Hải Triều</span></div>
 </div>
</div></body></html>"""


def test_book_with_escaped_html_placeholders_and_a_tracking_query() -> None:
    [item] = extract_products(BOOK_PAGE, "https://nhasach.example/sach/dac-nhan-tam-p991.html?utm_source=fb")
    assert item["title"] == "Đắc Nhân Tâm (bìa cứng)" and item["listing_id"] == "/sach/dac-nhan-tam-p991.html"
    assert (item["price"], item["currency"]) == (86000, "VND")
    assert item["description"] == "Sách hay nhất\nBìa cứng"
    assert item["images"] == ["https://cdn.nhasach.example/img/991.jpg"]
    assert (item["brand"], item["origin"], item["category"]) == (None, None, None)  # placeholders are empty
    assert item["seller"] == {"name": "Nhà Sách Phương Nam", "platform_id": "https://nhasach.example/cua-hang/pnc",
                              "url": "https://nhasach.example/cua-hang/pnc"}
    Listing.model_validate(item)


def test_old_microdata_page_with_an_inline_seller() -> None:
    [item] = extract_products(OLD_MICRODATA, "https://www.dongho.example/casio-mtp-1374l?ref=home")
    assert (item["title"], item["price"], item["currency"]) == ("Đồng hồ Casio MTP-1374L chính hãng", 1250000, "VND")
    assert item["seller"]["name"] == "Đồng Hồ Hải Triều" and item["listing_id"] == "/casio-mtp-1374l"
    assert item["images"] == ["https://static.dongho.example/casio-1374.jpg"] and item["brand"] == "Casio"
    assert item["description"] == "Máy Nhật.\nBảo hành 1 năm."


def test_the_seller_is_never_the_domain() -> None:
    page = html("shopsite_jsonld.html").replace('"seller"', '"sold_by"')
    [item] = extract_products(page, PAGE)
    assert item["seller"] == {} and "seller" not in item["fields_seen"] and item["platform"] == "shop.example"
    fields = {"title": "h1::text", "brand": "span.b::text", "origin": "td::text"}
    item = extract_with_selectors("<h1>Ví da</h1><span class=b>N/A</span><td>Đang cập nhật</td>",
                                  "https://shop.example/sp/7?utm=x", fields, "shop", [], r"/sp/(\d+)")
    assert (item["listing_id"], item["brand"], item["origin"], item["seller"]) == ("7", None, None, {})


def test_item_list_links_and_pages_without_markup() -> None:
    urls = item_list_urls(html("shopsite_itemlist.html"), "https://shop.example/shopsite/jsonld/")
    assert len(urls) == 3 and urls[0].endswith("/san-pham/tinh-dau-vape-xoai")
    assert extract_products(html("shopsite_itemlist.html"), "https://shop.example/") == []
    assert extract_products("<html><script type='application/ld+json'>{broken", "https://x.vn/") == []
    assert domain("https://WWW.Example.vn:8443/a") == "example.vn"


def test_selectors_from_the_demo_site_yaml() -> None:
    site = load_site("demo_shop")
    assert site.platform == "demo_shop" and site.urls("http://h/p") == ["http://h/p/danh-muc/tat-ca"]
    errors: list[tuple[str, str]] = []
    item = extract_with_selectors(html("shopsite_plain.html"), "https://shop.example/shopsite/plain/sp/1001",
                                  site.fields, "demo_shop", errors, site.id_pattern)
    assert errors == []
    assert item["listing_id"] == "1001" and item["title"] == "Súng bắn bi sắt 6mm hợp kim tặng 500 viên"
    assert (item["price"], item["original_price"]) == (1250000, 1500000)
    assert item["origin"] == "Trung Quốc" and item["brand"] == "No brand" and item["category"] == "Đồ chơi ngoài trời"
    assert item["seller"]["name"] == "Shop Đồ Chơi Demo"
    assert item["images"] == ["https://shop.example/img/p1001.jpg"]
    bad_price = html("shopsite_plain.html").replace("1.250.000₫", "giá sốc!!")
    errors = []
    item = extract_with_selectors(bad_price, "https://s/sp/1001", site.fields, "demo_shop", errors, site.id_pattern)
    assert item["price"] is None and errors and errors[0][0] == "price"
    assert links("<a href='/a'>x</a><a href='mailto:z'>y</a>", "https://s/", "a::attr(href)") == ["https://s/a"]


@pytest.mark.parametrize(("text", "line", "message"), [
    ("base_url: https://x\nstart_urls: [/]\nlisting_links: a::attr(href)\nfield:\n  title: h1\n", 4, "unknown key"),
    ("base_url: https://x\nstart_urls: [/]\nlisting_links: 'a[[['\nfields:\n  title: h1\n", 3, "not a valid selector"),
    ("base_url: https://x\nstart_urls: [/]\nlisting_links: a\nfields:\n  price: .p\n", 4, "fields.title is required"),
    ("base_url: https://x\nstart_urls: [/]\nlisting_links: a\nfields:\n  title: h1\n  colour: .c\n", 6,
     "unknown field"),
    ("base_url: ftp://x\nstart_urls: [/]\nlisting_links: a\nfields: {title: h1}\n", 1, "http(s) URL"),
    ("base_url: https://x\nstart_urls: [/\nlisting_links: a\n", 3, "not valid YAML"),
    ("base_url: https://x\nstart_urls: []\nlisting_links: a\nfields: {title: h1}\n", 2, "non-empty list"),
    ("base_url: https://x\nstart_urls: [/]\nlisting_links: a\nid_pattern: '(('\nfields: {title: h1}\n", 4,
     "not a regex"),
    ("base_url: https://x\nstart_urls: [/]\nlisting_links: a\nfields: {title: 'xpath: //h1[@'}\n", 4,
     "not a valid selector"),
])
def test_yaml_errors_are_file_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SiteError) as info:
        load_site_file(path)
    assert str(info.value).startswith(f"{path}:{line}: ") and message in str(info.value)


def test_unknown_site_lists_the_known_ones(tmp_path: Path) -> None:
    (tmp_path / "alpha.yaml").write_text("x: 1\n", encoding="utf-8")
    with pytest.raises(SiteError, match="known sites: alpha"):
        load_site("beta", tmp_path)
    with pytest.raises(SiteError, match="site name"):
        load_site("../etc/passwd", tmp_path)


# --- end to end: scrapy crawl shopsite against the demo marketplace ---------------------------------


def crawl(base_url: str, out: Path, *args: str) -> tuple[list[dict], str]:
    command = [
        sys.executable, "-m", "scrapy", "crawl", "shopsite", *args,
        "-s", f"PLATFORM_BASE_URLS={json.dumps({'demo_shop': f'{base_url}/shopsite/plain'})}",
        "-s", "ITEM_PIPELINES={}", "-s", "SPIDER_MIDDLEWARES={}", "-s", "AUTOTHROTTLE_ENABLED=0",
        "-s", "DOWNLOAD_DELAY=0", "-s", "ROBOTSTXT_OBEY=0", "-O", str(out),
    ]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()], result.stderr


@pytest.mark.slow
def test_crawl_markup_pages_and_yaml_site(server: str, tmp_path: Path) -> None:
    urls = tmp_path / "urls.txt"
    urls.write_text(f"# shops to watch\n{server}/shopsite/microdata/san-pham/dong-ho-omega-seamaster\n"
                    f"{server}/shopsite/rdfa/san-pham/tinh-dau-vape-xoai\n{server}/shopsite/plain/sp/1001\n",
                    encoding="utf-8")
    items, log = crawl(server, tmp_path / "a.jsonl", "-a", f"url={server}/shopsite/jsonld/",
                       "-a", f"start_urls_file={urls}")
    by_title = {item["title"]: item for item in items}
    assert len(items) == 5, sorted(by_title)  # 3 via the ItemList, microdata, RDFa; the plain page has no markup
    assert {item["platform"] for item in items} == {"127.0.0.1"}
    omega = [i for i in items if "Omega" in i["title"]]
    assert {i["listing_id"] for i in omega} == {"OM-300"} and all(i["price"] == 4500000 for i in omega)
    assert f"{server}/shopsite/plain/sp/1001: no schema.org Product markup" in log
    for item in items:
        Listing.model_validate(item)

    items, log = crawl(server, tmp_path / "b.jsonl", "-a", "site=demo_shop", "-a", "max_pages=1")
    assert sorted(i["listing_id"] for i in items) == ["1001", "1002"]  # one page of two
    items, log = crawl(server, tmp_path / "c.jsonl", "-a", "site=demo_shop")
    got = {i["listing_id"]: i for i in items}
    assert sorted(got) == ["1001", "1002", "1003", "1004"] and "ERROR" not in log
    assert (got["1002"]["price"], got["1003"]["price"], got["1004"]["price"]) == (650000, None, 1200000)
    assert got["1001"]["origin"] == "Trung Quốc" and got["1002"]["origin"] is None
    assert {i["platform"] for i in items} == {"demo_shop"}
    assert got["1004"]["url"] == f"{server}/shopsite/plain/sp/1004"


@pytest.mark.slow
def test_bad_site_argument_is_a_clear_error(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "scrapy", "crawl", "shopsite", "-a", "site=no_such_site"]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode != 0 and "no such site file (known sites: demo_shop" in result.stderr
