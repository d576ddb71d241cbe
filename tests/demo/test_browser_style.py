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


def test_a_bad_upload_keeps_the_last_painting_and_says_why(app_url, tmp_path):
    """A file that is not a picture: the last painting stays (no red Error badges), the reason
    shows beside the button, and goes with the next good photo."""
    picture = save_picture(tmp_path / "street.png", (90, 60))
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"this is not a picture")
    with page_at(app_url, "Style") as page:
        page.locator("#style-upload input[type=file]").set_input_files(picture)
        page.locator("#style-btn").click()
        shown = wait_for_image(page, "#style-slider", timeout_ms=120_000).get_attribute("src")

        page.locator("#style-upload button[aria-label='Clear']").first.click()
        page.locator("#style-upload input[type=file]").set_input_files(str(broken))
        page.locator("#style-btn").click()
        sync_api.expect(page.locator("#style-status")).to_contain_text("cannot be painted", timeout=60_000)
        assert page.locator(".error").filter(has_text="Error").count() == 0
        assert wait_for_image(page, "#style-slider").get_attribute("src") == shown

        page.locator("#style-upload button[aria-label='Clear']").first.click()
        page.locator("#style-upload input[type=file]").set_input_files(picture)
        page.locator("#style-btn").click()
        sync_api.expect(page.locator("#style-status")).to_have_text("", timeout=60_000)
