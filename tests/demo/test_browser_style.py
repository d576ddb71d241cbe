"""The Style tab in a real browser: upload a photo, press Paint, see the comparison slider,
the seam score and the download.

Needs Debian's Chromium at /usr/bin/chromium and the playwright package; skipped otherwise.
"""
from __future__ import annotations

import pytest

from tools.browser import wait_for_image

from ..helpers import save_picture
from .browser import BROWSER, page_at, serve_app, sync_api

pytestmark = BROWSER


@pytest.fixture
def app_url(style_checkpoint, tmp_path):
    yield from serve_app(tmp_path, {"GAN_CORE_CHECKPOINTS": str(style_checkpoint), "OMP_NUM_THREADS": "1"})


def test_the_style_tab_in_a_real_browser(app_url, tmp_path):
    """Upload a photo in Chromium, press Paint: the slider shows both pictures, the seam
    score appears, and the download is the painting."""
    picture = save_picture(tmp_path / "street.png", (90, 60))
    with page_at(app_url, "Style") as page:
        page.locator("#style-upload input[type=file]").set_input_files(picture)
        page.locator("#style-size").get_by_text("512 px", exact=True).click()
        page.locator("#style-btn").click()
        wait_for_image(page, "#style-slider", timeout_ms=120_000)
        sync_api.expect(page.locator("#style-seams")).to_contain_text("Seam score", timeout=30_000)
        shown = page.locator("#style-slider img").count()
        href = page.locator("#style-download a").first.get_attribute("href")
    assert shown == 2  # the photo and the painting, under the comparison slider
    assert href and "street" in href and href.endswith(".png")
