"""The Generate tab in a real browser with a bad seed: the last grid stays on screen and the
reason shows by the seed box until a good seed is given (the event's validator).

Needs Debian's Chromium at /usr/bin/chromium and the playwright package; skipped otherwise.
"""
from __future__ import annotations

import pytest

from tools.browser import wait_for_image

from .browser import BROWSER, page_at, serve_app, sync_api

pytestmark = BROWSER


@pytest.fixture
def app_url(tiny_checkpoint_dir, tmp_path):
    yield from serve_app(tmp_path, {"GAN_CORE_CHECKPOINTS": str(tiny_checkpoint_dir)})


def test_a_bad_seed_keeps_the_grid_and_says_why(app_url):
    with page_at(app_url) as page:
        page.locator("#generate-btn").click()
        shown = wait_for_image(page, "#grid").get_attribute("src")
        seed = page.locator("#seed input").first
        seed.fill("-5")
        page.locator("#generate-btn").click()
        message = page.get_by_text("The seed must be between 0 and")
        sync_api.expect(message.first).to_be_visible(timeout=30_000)
        assert page.locator(".error").filter(has_text="Error").count() == 0
        assert wait_for_image(page, "#grid").get_attribute("src") == shown
        seed.fill("7")
        page.locator("#generate-btn").click()
        sync_api.expect(message).to_have_count(0, timeout=30_000)
        page.wait_for_function(f"() => document.querySelector('#grid img').src !== {shown!r}", timeout=30_000)
