"""One real-browser test: start `python app.py`, click Generate in Chromium, see a grid.

Needs Debian's Chromium at /usr/bin/chromium (`apt-get install chromium`) and the
playwright Python package; skipped otherwise. Set SCREENSHOT_DIR to keep a screenshot.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from PIL import Image

from tools.browser import CHROMIUM, AppDidNotStart, launch_chromium, running_app, wait_for_image

sync_api = pytest.importorskip("playwright.sync_api")

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is not installed (apt-get install chromium)")]


@pytest.fixture
def app_url(tiny_checkpoint_dir, tmp_path):
    try:
        with running_app(tmp_path / "app.log", {"GAN_CORE_CHECKPOINTS": str(tiny_checkpoint_dir)}) as url:
            yield url
    except AppDidNotStart as exc:
        pytest.fail(str(exc))


def test_generate_shows_a_grid(app_url):
    with sync_api.sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(app_url)
            download_btn = page.locator("#download-png")
            sync_api.expect(download_btn).to_be_disabled()  # nothing to download yet
            page.locator("#generate-btn").click()
            grid_img = wait_for_image(page, "#grid")
            natural_width = grid_img.evaluate("img => img.naturalWidth")
            sync_api.expect(download_btn).to_be_enabled(timeout=10_000)
            with page.expect_download(timeout=30_000) as download_info:
                download_btn.click()
            download_name = download_info.value.suggested_filename
            with Image.open(download_info.value.path()) as png:
                download_size = png.size
            if os.environ.get("SCREENSHOT_DIR"):
                out = Path(os.environ["SCREENSHOT_DIR"])
                out.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(out / "generate_tab.png"), full_page=True)
        finally:
            browser.close()

    # 16 images (the default grid) of 32 px with 2 px borders: 4 * 34 + 2.
    assert natural_width == 138
    assert download_name == "tiny-dcgan32-seed0-16.png"
    assert download_size == (138, 138)
