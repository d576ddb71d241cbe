"""The Forget tab in a real browser: choose the shipped facades generator, let the shipped
window detector label the samples, press Fit, and see the ranking of units, the samples
before and after dropping the top units, and the share of windows before and after.

Needs Debian's Chromium at /usr/bin/chromium and the playwright package; skipped otherwise.
Set SCREENSHOT_DIR to keep a screenshot.
"""
from __future__ import annotations

import re

import pytest

from gan_core.core.hub import REPO_CHECKPOINTS
from tools.browser import wait_for_image

from .browser import BROWSER, keep_screenshot, page_at, serve_app, sync_api

GENERATOR, DETECTOR = "facades-dcgan64", "window-detector"

pytestmark = [*BROWSER,
              pytest.mark.skipif(not all((REPO_CHECKPOINTS / name).is_dir() for name in (GENERATOR, DETECTOR)),
                                 reason=f"the shipped {GENERATOR} and {DETECTOR} checkpoints are needed")]

SHARE = re.compile(r"windows \(window-detector\): (\d+\.\d)% of pixels before, (\d+\.\d)% after")


@pytest.fixture
def app_url(tmp_path):
    # Only the shipped checkpoints (no $GAN_CORE_CHECKPOINTS from the caller), one thread:
    # the fit draws 150 samples and runs the detector on them.
    env = {"GAN_CORE_CHECKPOINTS": "", "OMP_NUM_THREADS": "1", "TMPDIR": str(tmp_path)}
    yield from serve_app(tmp_path, env)


def _a_served_picture(response) -> bool:
    return "/gradio_api/file=" in response.url and response.url.endswith((".webp", ".png"))


def _natural_size(img) -> tuple[int, int]:
    return tuple(img.evaluate("img => [img.naturalWidth, img.naturalHeight]"))


def test_auto_label_fit_and_drop_the_window_units(app_url):
    with page_at(app_url, "Forget", 1400, 1100) as page:

        # Choose the facades generator; its layers fill the layer dropdown.
        page.locator("#forget-model input").first.click()
        page.get_by_role("option", name=GENERATOR, exact=True).click()
        sync_api.expect(page.locator("#forget-model input").first).to_have_value(GENERATOR)
        sync_api.expect(page.locator("#forget-layer input").first).to_have_value(
            re.compile(r"maps of \d+x\d+"), timeout=60_000)
        # The 4x4 samples to label: the editor draws them on a WebGL canvas (no <img> to
        # look at), after fetching the picture the server made.
        with page.expect_response(_a_served_picture, timeout=60_000) as samples:
            page.locator("#forget-new").click()
        samples_ok = samples.value.ok
        page.locator("#forget-canvas canvas").first.wait_for(timeout=30_000)

        # The detector marks the windows; the labels now come from it.
        page.locator("#forget-auto").click()
        sync_api.expect(page.locator("#forget-source input[value=detector]")).to_be_checked(timeout=60_000)

        page.locator("#forget-fit").click()
        summary = page.locator("#forget-summary")
        sync_api.expect(summary).to_contain_text("have a positive weight", timeout=120_000)
        sync_api.expect(summary).to_contain_text(f"150 samples labelled by {DETECTOR}")
        page.locator("#forget-ranking canvas, #forget-ranking svg").first.wait_for(timeout=60_000)
        ranking_box = page.locator("#forget-ranking canvas, #forget-ranking svg").first.bounding_box()

        # A successful fit draws the rows before and after dropping every positive unit.
        numbers = page.locator("#forget-numbers")
        sync_api.expect(numbers).to_contain_text("% after", timeout=120_000)
        before = _natural_size(wait_for_image(page, "#forget-before", timeout_ms=60_000))
        after = _natural_size(wait_for_image(page, "#forget-after", timeout_ms=60_000))
        summary_text, numbers_text = summary.inner_text(), numbers.inner_text()
        n_positive = int(re.search(r"(\d+) of (\d+) units", summary_text).group(1))
        drop_box = page.locator("#forget-drop input[type=number]").first
        slider_value = drop_box.input_value()

        # Drop no unit at all (the slider's box, then leave it: a release): the same share twice.
        drop_box.fill("0")
        drop_box.press("Tab")
        sync_api.expect(numbers).to_contain_text("Dropped the top 0 units", timeout=60_000)
        wait_for_image(page, "#forget-after", timeout_ms=60_000)
        none_dropped_text = numbers.inner_text()
        keep_screenshot(page, "forget_tab.png")

    assert samples_ok
    assert 0 < n_positive and int(slider_value) == n_positive
    assert f"Dropped the top {n_positive} units" in numbers_text
    share = SHARE.search(numbers_text)
    assert share, numbers_text
    share_before, share_after = float(share.group(1)), float(share.group(2))
    assert share_before > 0  # the facades have windows, and the detector sees them
    assert share_after != share_before  # dropping the units changed what the generator draws
    none_dropped = SHARE.search(none_dropped_text)
    assert none_dropped, none_dropped_text
    assert none_dropped.group(1) == none_dropped.group(2) == share.group(1)  # the same 8 samples
    assert "changed by 0.000" in none_dropped_text
    # 8 samples of 64 px in one row, 2 px borders: 8 * 66 + 2 wide, 66 + 2 high.
    assert before == after == (530, 68)
    assert ranking_box and ranking_box["width"] > 100 and ranking_box["height"] > 50


def test_the_tab_opens_on_facades_and_offers_the_detector_only_there(app_url):
    with page_at(app_url, "Forget", 1400, 1100) as page:
        model = page.locator("#forget-model input").first
        sync_api.expect(model).to_have_value(GENERATOR, timeout=60_000)
        sync_api.expect(page.locator("#forget-auto")).to_be_visible(timeout=60_000)
        sync_api.expect(page.locator("#forget-source")).to_be_visible()

        model.click()
        page.get_by_role("option", name="faces-dcgan64", exact=True).click()
        sync_api.expect(page.locator("#forget-auto")).to_be_hidden(timeout=60_000)
        sync_api.expect(page.locator("#forget-source")).to_be_hidden()
        sync_api.expect(page.locator("#forget-no-detector")).to_contain_text("trained on facades", timeout=30_000)
