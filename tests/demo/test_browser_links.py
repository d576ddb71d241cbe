"""Links to the running app: an old link's `?page=` (which Gradio reads as a multipage route)
opens on its gallery page, and markup in a link shows as text in the warning, never as a link.

Needs Debian's Chromium at /usr/bin/chromium and the playwright package; skipped otherwise.
"""
from __future__ import annotations

import urllib.parse
import urllib.request

import pytest

from ..helpers import TINY_CHECKPOINT
from .browser import BROWSER, chromium, serve_app

pytestmark = BROWSER

LINK = '<a href="https://example.org/login">Session expired: click here</a>'


@pytest.fixture
def app_url(tiny_checkpoint_dir, tmp_path):
    yield from serve_app(tmp_path, {"GAN_CORE_CHECKPOINTS": str(tiny_checkpoint_dir)})


def test_old_gallery_links_open_instead_of_failing(app_url):
    for query, wanted in (("page=0", "gallery=0"), (f"model={TINY_CHECKPOINT}&page=1",
                                                      f"model={TINY_CHECKPOINT}&gallery=1")):
        with urllib.request.urlopen(app_url + "?" + query, timeout=30) as response:
            assert response.status == 200, query
            assert urllib.parse.urlsplit(response.url).query == wanted
    with urllib.request.urlopen(app_url + f"?model={TINY_CHECKPOINT}&gallery=1", timeout=30) as response:
        assert response.status == 200 and response.url.endswith("gallery=1")  # today's links: no redirect

    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(app_url + f"?model={TINY_CHECKPOINT}&page=1")
        number = page.locator("#explore-page input").first
        page.wait_for_function("el => el.value === '1'", arg=number.element_handle(), timeout=60_000)
        # Page 1 holds seeds 32..63: the gallery's first caption says so.
        caption = page.locator("#explore-gallery .caption-label, #explore-gallery figcaption").first
        caption.wait_for(state="attached", timeout=60_000)
        page.wait_for_function("() => location.search.includes('gallery=1')", timeout=30_000)
        first = caption.text_content().strip()
        assert "page=" not in page.evaluate("location.search")
    assert first == "32"


def test_markup_in_a_link_shows_as_text_in_the_warning(app_url):
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(app_url + "?" + urllib.parse.urlencode({"model": LINK}))
        toast = page.locator("[data-testid=toast-body]").first
        toast.wait_for(state="visible", timeout=60_000)
        page.wait_for_function("el => el.textContent.includes('Session expired')", arg=toast.element_handle(),
                               timeout=30_000)
        text = toast.text_content()
        links = toast.locator("a").count()
    assert links == 0
    assert "<a href=\"https://example.org/login\">" in text  # shown as typed, not as markup
