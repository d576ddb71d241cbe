"""One real-browser test: start `python app.py`, click Generate in Chromium, see a grid.

Needs Debian's Chromium at /usr/bin/chromium (`apt-get install chromium`) and the
playwright Python package; skipped otherwise. Set SCREENSHOT_DIR to keep a screenshot.
"""
from __future__ import annotations

import pytest
from PIL import Image

from tools.browser import wait_for_image

from .browser import BROWSER, keep_screenshot, page_at, serve_app, sync_api

pytestmark = BROWSER


@pytest.fixture
def app_url(tiny_checkpoint_dir, tmp_path):
    yield from serve_app(tmp_path, {"GAN_CORE_CHECKPOINTS": str(tiny_checkpoint_dir)})


def test_generate_shows_a_grid(app_url):
    with page_at(app_url) as page:
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
        keep_screenshot(page, "generate_tab.png")

    # 16 images (the default grid) of 32 px with 2 px borders: 4 * 34 + 2.
    assert natural_width == 138
    assert download_name == "tiny-dcgan32-seed0-16.png"
    assert download_size == (138, 138)
