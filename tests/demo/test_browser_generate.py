"""Real-browser tests of the Generate tab: start `python app.py`, open it in Chromium.

Needs Debian's Chromium at /usr/bin/chromium (`apt-get install chromium`) and the
playwright Python package; skipped otherwise. Set SCREENSHOT_DIR to keep a screenshot.
"""
from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

import gan_core
from tools.browser import wait_for_image

from ..helpers import TINY_CHECKPOINT, write_tiny_checkpoint
from .browser import BROWSER, keep_screenshot, page_at, serve_app, sync_api

pytestmark = BROWSER

OTHER = "tiny-dcgan64"  # a second model, of another size: its grid cannot be taken for the first's


@pytest.fixture
def app_url(tiny_checkpoint_dir, tmp_path):
    write_tiny_checkpoint(tiny_checkpoint_dir / OTHER, model="dcgan64")
    yield from serve_app(tmp_path, {"GAN_CORE_CHECKPOINTS": str(tiny_checkpoint_dir)})


def _shown_pixels(page, img) -> np.ndarray:
    """The picture the page shows, fetched from the server as the browser did."""
    response = page.request.get(img.evaluate("img => img.src"))
    assert response.ok
    return np.asarray(Image.open(io.BytesIO(response.body())).convert("RGB"))


def _seed0_grid(folder) -> np.ndarray:
    return np.asarray(gan_core.load(str(folder)).grid(16, seed=0).convert("RGB"))


def test_the_grid_shows_on_load_and_follows_the_model(app_url, tiny_checkpoint_dir):
    with page_at(app_url) as page:
        # No click: the default model's seed-0 grid is there when the page opens, ready to download.
        sync_api.expect(page.locator("#model input").first).to_have_value(TINY_CHECKPOINT, timeout=60_000)
        first_img = wait_for_image(page, "#grid")
        first_src = first_img.evaluate("img => img.src")
        first = _shown_pixels(page, first_img)
        sync_api.expect(page.locator("#download-png")).to_be_enabled(timeout=10_000)

        # Another model: its own grid replaces the first model's under its card.
        page.locator("#model input").first.click()
        page.get_by_role("option", name=OTHER, exact=True).click()
        sync_api.expect(page.locator("#card-summary")).to_contain_text(OTHER, timeout=60_000)
        page.wait_for_function("src => { const img = document.querySelector('#grid img');"
                               " return img && img.src !== src && img.complete && img.naturalWidth > 0; }",
                               arg=first_src, timeout=60_000)
        second = _shown_pixels(page, wait_for_image(page, "#grid"))
        keep_screenshot(page, "generate_tab_on_load.png")

    assert first.shape == (138, 138, 3)  # 16 images of 32 px with 2 px borders: 4 * 34 + 2
    np.testing.assert_array_equal(first, _seed0_grid(tiny_checkpoint_dir / TINY_CHECKPOINT))
    assert second.shape == (266, 266, 3)  # 16 images of 64 px
    np.testing.assert_array_equal(second, _seed0_grid(tiny_checkpoint_dir / OTHER))


def test_generate_shows_a_grid(app_url):
    with page_at(app_url) as page:
        download_btn = page.locator("#download-png")
        wait_for_image(page, "#grid")  # the grid shown on load
        page.locator("#seed input").first.fill("5")
        page.locator("#generate-btn").click()
        sync_api.expect(download_btn).to_be_enabled(timeout=10_000)
        page.wait_for_function("() => { const img = document.querySelector('#grid img');"
                               " return img && img.src.includes('seed5') && img.complete && img.naturalWidth > 0; }",
                               timeout=60_000)
        grid_img = wait_for_image(page, "#grid")
        natural_width = grid_img.evaluate("img => img.naturalWidth")
        with page.expect_download(timeout=30_000) as download_info:
            download_btn.click()
        download_name = download_info.value.suggested_filename
        with Image.open(download_info.value.path()) as png:
            download_size = png.size
        keep_screenshot(page, "generate_tab.png")

    # 16 images (the default grid) of 32 px with 2 px borders: 4 * 34 + 2.
    assert natural_width == 138
    assert download_name == "tiny-dcgan32-seed5-16.png"
    assert download_size == (138, 138)


@pytest.mark.parametrize("typed, said", [("3.7", "not 3.7"), ("1e30", "not 1e+30")])
def test_a_seed_is_refused_as_typed_not_rounded(app_url, typed, said):
    with page_at(app_url) as page:
        first_src = wait_for_image(page, "#grid").evaluate("img => img.src")
        page.locator("#seed input").first.fill(typed)
        page.locator("#generate-btn").click()
        sync_api.expect(page.get_by_text(said).first).to_be_visible(timeout=30_000)
        message = page.get_by_text(said).first.inner_text()
        src = page.locator("#grid img").first.evaluate("img => img.src")
    assert "whole number" in message or "between 0 and" in message
    assert "19884624838656" not in message
    assert src == first_src  # the grid on screen stays
