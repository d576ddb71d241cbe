"""Bad input in a real browser: the last good images stay on screen (no red "Error" badges)
and the reason shows beside the control until the input is fixed.

Needs Debian's Chromium at /usr/bin/chromium and the playwright package; skipped otherwise.
"""
from __future__ import annotations

import pytest

from tools.browser import wait_for_image

from ..helpers import save_picture
from .browser import BROWSER, page_at, serve_app, sync_api

pytestmark = BROWSER


@pytest.fixture
def app_url(tiny_checkpoint_dir, tmp_path):
    yield from serve_app(tmp_path, {"GAN_CORE_CHECKPOINTS": str(tiny_checkpoint_dir)})


def _src(page, selector: str) -> str:
    return wait_for_image(page, selector).get_attribute("src")


def _type(page, elem_id: str, text: str) -> None:
    box = page.locator(f"#{elem_id} textarea, #{elem_id} input").first
    box.fill(text)
    box.press("Enter")


def _no_error_badges(page) -> None:
    assert page.locator(".error").filter(has_text="Error").count() == 0


def _sub_tab(page, name: str, control: str) -> None:
    # The page's load may select the linked sub-tab after an early click: click until it shows.
    for _ in range(4):
        page.get_by_role("tab", name=name).click()
        try:
            page.locator(f"#{control}").first.wait_for(state="visible", timeout=10_000)
            return
        except sync_api.TimeoutError:
            continue


def test_a_bad_waypoint_or_an_emptied_term_keeps_the_images_and_says_why(app_url):
    with page_at(app_url, "Explore", 1280, 1000) as page:
        _sub_tab(page, "Latent walk", "walk-waypoints")
        _type(page, "walk-waypoints", "1, 2")
        page.wait_for_function("() => location.search.includes('walk=1,2')", timeout=30_000)
        page.wait_for_timeout(1000)
        row = _src(page, "#walk-row")
        _refused_then_fixed(page, "walk-waypoints", "1, banana", "'banana' is not a seed", "1, 3",
                            status="#walk-status", images=("#walk-image", "#walk-row"))
        page.wait_for_function(f"() => document.querySelector('#walk-row img').src !== {row!r}", timeout=30_000)

        _sub_tab(page, "Face arithmetic", "arith-b")
        _refused_then_fixed(page, "arith-b", "", "B: give a face", "5",
                            status="#arith-status", images=("#arith-terms", "#arith-result"))


def _refused_then_fixed(page, field: str, bad: str, message: str, good: str, *, status: str, images: tuple):
    """Typing `bad` keeps every picture in `images` and says `message` in `status`, with no
    error badge; typing `good` clears the message."""
    before = tuple(_src(page, selector) for selector in images)
    _type(page, field, bad)
    sync_api.expect(page.locator(status)).to_contain_text(message, timeout=30_000)
    _no_error_badges(page)
    assert tuple(_src(page, selector) for selector in images) == before
    _type(page, field, good)
    sync_api.expect(page.locator(status)).to_have_text("", timeout=30_000)


def test_an_oversized_upload_keeps_the_last_upscaled_photo_and_says_why(app_url, tmp_path):
    """With "Shrink a larger photo to fit" unticked; ticked (the default), it is shrunk (test_upscale.py)."""
    small = save_picture(tmp_path / "small.png", (40, 32))
    big = save_picture(tmp_path / "big.png", (700, 700))  # over the 512x512 the network takes
    with page_at(app_url, "Upscale", 1280, 1000) as page:
        page.locator("#upscale-model input").click()
        page.get_by_role("option", name="bicubic", exact=True).click()
        page.locator("#upscale-shrink input").uncheck()
        page.locator("#upscale-upload input[type=file]").set_input_files(small)
        page.locator("#upscale-btn").click()
        shown = _src(page, "#upscale-slider")

        page.locator("#upscale-upload button[aria-label='Clear']").first.click()
        page.locator("#upscale-upload input[type=file]").set_input_files(big)
        page.locator("#upscale-btn").click()
        sync_api.expect(page.locator("#upscale-status")).to_contain_text("700x700", timeout=60_000)
        _no_error_badges(page)
        assert _src(page, "#upscale-slider") == shown

        page.locator("#upscale-upload button[aria-label='Clear']").first.click()
        page.locator("#upscale-upload input[type=file]").set_input_files(small)
        page.locator("#upscale-btn").click()
        sync_api.expect(page.locator("#upscale-status")).to_have_text("", timeout=60_000)
