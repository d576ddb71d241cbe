"""The Explore tab in a real browser: the turn slider moves the face, and a copied
link opened in a fresh browser shows the same face; the gallery, labels and preset fit on
screen, and a gallery page highlights only the face picked there.

Needs Debian's Chromium at /usr/bin/chromium and the playwright package; skipped otherwise.
"""
from __future__ import annotations

import io
import time

import numpy as np
import pytest
import torch
from PIL import Image

from tools.browser import wait_for_image

from ..helpers import TINY_CHECKPOINT
from .browser import BROWSER, chromium, keep_screenshot, page_at, serve_app, sync_api

pytestmark = BROWSER

LONG_PRESET = "man with glasses - man without glasses + woman without glasses"


@pytest.fixture
def app_url(tiny_checkpoint_dir, tmp_path):
    # An untrained generator draws near-uniform grey; a louder last layer makes
    # faces that differ by more than rounding, so a moved slider shows.
    from gan_core import get_model
    from gan_core.core.checkpoints import GENERATOR_FILE, load_weights, save_weights, write_json
    from gan_core.explore.presets import PRESETS_FILE

    path = tiny_checkpoint_dir / TINY_CHECKPOINT / GENERATOR_FILE
    generator = get_model("dcgan32").build_generator()
    load_weights(generator, path)
    last = [m for m in generator.modules() if isinstance(m, torch.nn.ConvTranspose2d)][-1]
    with torch.no_grad():
        last.weight.mul_(40.0)
    save_weights(path, generator)
    # A preset named as long as the shipped faces' longest, to see that its name fits.
    write_json(tiny_checkpoint_dir / TINY_CHECKPOINT / PRESETS_FILE,
               {"arithmetic": [{"name": LONG_PRESET, "a": [1], "b": [2], "c": [3]}]})
    yield from serve_app(tmp_path, {"GAN_CORE_CHECKPOINTS": str(tiny_checkpoint_dir)})


def _pixels(page, selector: str) -> np.ndarray:
    src = wait_for_image(page, selector).get_attribute("src")
    response = page.request.get(src)
    assert response.ok, src
    return np.asarray(Image.open(io.BytesIO(response.body())).convert("RGB"))


def _pixels_when(page, selector: str, wanted, timeout_s: float = 60.0) -> np.ndarray:
    """The image's pixels once `wanted(pixels)` holds (events may land in any order)."""
    deadline = time.monotonic() + timeout_s
    while True:
        pixels = _pixels(page, selector)
        if wanted(pixels) or time.monotonic() > deadline:
            return pixels
        page.wait_for_timeout(250)


def test_turn_slider_moves_the_face_and_a_copied_link_reproduces_it(app_url):
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 1000})
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=app_url.rstrip("/"))
        page = context.new_page()
        page.goto(app_url)
        page.get_by_role("tab", name="Explore").click()
        # The page's load event restores the view from the link and may select the default
        # sub-tab after a click that came too early (seen on a busy CI machine): click again
        # until the turn controls show.
        left_box = page.locator("#turn-left textarea, #turn-left input").first
        for _ in range(4):
            page.get_by_role("tab", name="Turn vector").click()
            try:
                left_box.wait_for(state="visible", timeout=10_000)
                break
            except sync_api.TimeoutError:
                continue
        for selector, seeds in (("#turn-left textarea, #turn-left input", "1, 2"),
                                ("#turn-right textarea, #turn-right input", "3, 4")):
            box = page.locator(selector).first
            box.fill(seeds)
            box.press("Enter")
        page.wait_for_function("() => location.search.includes('right=3,4')", timeout=30_000)
        before = _pixels(page, "#turn-image")

        page.locator("#turn-t input[type=range]").fill("1")
        page.wait_for_function("() => location.search.includes('turn_t=1')", timeout=30_000)
        after = _pixels_when(page, "#turn-image", lambda p: not np.array_equal(p, before))

        page.locator("#copy-link").click()
        page.wait_for_timeout(500)
        link = page.evaluate("navigator.clipboard.readText()")
        keep_screenshot(page, "explore_tab.png")

        fresh = browser.new_context(viewport={"width": 1280, "height": 1000})  # no shared state
        other = fresh.new_page()
        other.goto(link)
        reopened = _pixels_when(other, "#turn-image", lambda p: np.array_equal(p, after))
        turn_t_shown = other.locator("#turn-t input[type=number]").input_value()

    assert before.shape == after.shape == (32, 32, 3)
    assert not np.array_equal(before, after), "moving the slider did not change the face"
    assert "turn_t=1" in link and "left=1,2" in link and "tab=turn" in link
    np.testing.assert_array_equal(reopened, after)
    assert float(turn_t_shown) == 1.0


# The text of every shown image, gallery or file label that overlaps what follows it in its block.
LABELS_OVER_CONTENT_JS = """() => [...document.querySelectorAll('label[data-testid="block-label"]')]
    .filter(label => label.offsetParent !== null)
    .filter(label => {
        const a = label.getBoundingClientRect();
        for (let next = label.nextElementSibling; next; next = next.nextElementSibling) {
            const b = next.getBoundingClientRect();
            if (b.width && b.height && a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom)
                return true;
        }
        return false;
    }).map(label => label.textContent.trim())"""

# The gallery's layout: how far its last face reaches below its visible box (px, <= 0 when
# whole), and the bottoms of the gallery's column and of the column beside it.
GALLERY_BOX_JS = """() => {
    const gallery = document.querySelector('#explore-gallery');
    const visible = gallery.querySelector('.grid-wrap').getBoundingClientRect();
    const faces = [...gallery.querySelectorAll('.thumbnail-item')].map(f => f.getBoundingClientRect());
    const [left, right] = [...gallery.parentElement.closest('.row').children].map(c => c.getBoundingClientRect());
    return {overhang: Math.max(...faces.map(f => f.bottom)) - Math.min(visible.bottom, gallery.getBoundingClientRect().bottom),
            left: left.bottom, right: right.bottom};
}"""

HIGHLIGHTED_JS = """() => [...document.querySelectorAll('#explore-gallery .thumbnail-item')]
    .flatMap((face, i) => face.classList.contains('selected') ? [i] : [])"""


def _gallery_page(page, number: int) -> None:
    box = page.locator("#explore-page input").first
    box.fill(str(number))
    box.press("Enter")
    first = page.locator("#explore-gallery .caption-label, #explore-gallery figcaption").first
    sync_api.expect(first).to_have_text(str(32 * number), timeout=60_000)
    page.wait_for_timeout(500)  # the highlight comes with the page's faces


def test_the_gallery_labels_and_preset_fit_and_the_highlight_follows_the_picked_face(app_url):
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(app_url + "?tab=arithmetic")
        page.get_by_role("tab", name="Explore").click()
        wait_for_image(page, "#arith-result")
        page.locator("#explore-gallery .thumbnail-item img").nth(31).wait_for(timeout=60_000)
        page.wait_for_timeout(1000)
        keep_screenshot(page, "explore_layout.png")
        gallery = page.evaluate(GALLERY_BOX_JS)
        explore_labels = page.evaluate(LABELS_OVER_CONTENT_JS)
        preset = page.locator("#arith-preset input").first
        preset_text = preset.input_value()
        preset_fits = page.evaluate("el => el.scrollWidth <= el.clientWidth", preset.element_handle())

        page.locator("#explore-gallery .thumbnail-item").nth(5).click()
        sync_api.expect(page.locator("#subject input, #subject textarea").first).to_have_value("5", timeout=30_000)
        _gallery_page(page, 1)
        highlighted_elsewhere = page.evaluate(HIGHLIGHTED_JS)
        _gallery_page(page, 0)
        highlighted_back = page.evaluate(HIGHLIGHTED_JS)

        page.get_by_role("tab", name="Upscale").click()
        page.locator("#upscale-upload").wait_for(state="visible", timeout=30_000)
        upscale_labels = page.evaluate(LABELS_OVER_CONTENT_JS)

    assert gallery["overhang"] <= 1, f"the gallery's last row is cut by {gallery['overhang']:.0f} px"
    assert gallery["left"] >= gallery["right"] - 8, "a blank band under the gallery, beside a taller column"
    assert explore_labels == [] and upscale_labels == [], "labels over pictures or drop zones"
    assert preset_text == LONG_PRESET and preset_fits, "the preset's name is cut short"
    assert highlighted_elsewhere == [], "another page highlights a face that was not picked"
    assert highlighted_back == [5]


def test_the_face_only_tools_hide_for_a_generator_that_draws_no_faces_and_say_why(app_url):
    with page_at(app_url, "Explore", 1280, 1000) as page:
        page.get_by_role("tab", name="Turn vector").wait_for(state="visible", timeout=30_000)
        page.locator("#explore-model input").click()
        page.get_by_role("option", name="cifar10-frogs-keras32", exact=True).click()
        sync_api.expect(page.locator("#explore-face-note")).to_contain_text("draws CIFAR-10 frogs", timeout=30_000)
        for name in ("Turn vector", "Attribute sliders", "Your photo"):
            sync_api.expect(page.get_by_role("tab", name=name)).to_have_count(0)
        sync_api.expect(page.get_by_role("tab", name="Latent walk")).to_be_visible()
        page.locator("#explore-model input").click()
        page.get_by_role("option", name="tiny-dcgan32", exact=True).click()
        sync_api.expect(page.get_by_role("tab", name="Your photo")).to_be_visible(timeout=30_000)
        sync_api.expect(page.locator("#explore-face-note")).to_be_hidden()
