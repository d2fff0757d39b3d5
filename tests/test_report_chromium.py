"""The HTML report opens in Chromium and its charts render (screenshot + Playwright image check). Slow."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy
import pytest
from typer.testing import CliRunner

from crawler.cli import app
from crawler.items import Flag, Listing
from crawler.store import open_store

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHART_BLUE = (0x24, 0x71, 0xA3)
pytestmark = pytest.mark.slow


def _report(tmp_path: Path) -> Path:
    uri = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    kinds = ("banned", "counterfeit", "missing_origin", "price_anomaly")
    listings = [
        Listing(platform=("tiki", "shopee", "lazada")[n % 3], listing_id=str(n), url=f"https://x.vn/{n}",
                title=f"<img src=x onerror=alert({n})> tin {n}", price=100_000 + n,
                category=("Mỹ phẩm", "Đồng hồ", "Thực phẩm")[n % 3],
                seller={"name": f"<img src=x onerror=alert({n})> Shop {n % 4}", "platform_id": str(n % 4),
                        "province": ("Hà Nội", "Đà Nẵng")[n % 2]},
                flags=[Flag(rule_id=f"r.{n % 4}", kind=kinds[n % 4], score=0.5 + n / 100, message="lý do")])  # type: ignore[arg-type]
        for n in range(24)
    ]
    with open_store(uri) as store:
        store.upsert_listings(listings)
        for n in range(0, 24, 3):
            store.apply_review(listings[n].platform, str(n), "confirmed" if n % 2 else "dismissed", by="test")
    path = tmp_path / "report.html"
    result = CliRunner().invoke(app, ["report", "--period", "6m", "--out", str(path), "--store", uri])
    assert result.exit_code == 0, result.output
    return path


def test_report_renders_in_chromium_with_charts(tmp_path: Path) -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium (make test does)")
    from PIL import Image

    report = _report(tmp_path)
    shot = tmp_path / "shot.png"
    subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
         f"--screenshot={shot}", "--window-size=1280,2000", report.as_uri()],
        check=True, capture_output=True, timeout=90,
    )
    image = Image.open(shot).convert("RGB")
    assert image.size == (1280, 2000)
    pixels = numpy.asarray(image, dtype=numpy.int32).reshape(-1, 3)
    assert len(numpy.unique(pixels, axis=0)) > 200  # text, tables and charts, not a blank or error page
    blue = int((numpy.abs(pixels - numpy.array(CHART_BLUE)).sum(axis=1) < 30).sum())
    assert blue > 20_000  # the bar charts' bars are drawn


def test_report_images_load_in_a_browser(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    report = _report(tmp_path)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("dialog", lambda dialog: errors.append("dialog: " + dialog.message))
            page.goto(report.as_uri())
            images = page.evaluate("Array.from(document.images).map(i => [i.alt, i.complete, i.naturalWidth])")
            heading = page.inner_text("h1")
        finally:
            browser.close()
    assert heading.casefold() == "báo cáo kết quả giám sát thương mại điện tử"
    assert len(images) >= 6
    assert all(complete and width > 100 for _, complete, width in images), images
    assert not errors  # the hostile titles never ran
