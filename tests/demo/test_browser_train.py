"""The Train tab in a real browser: start a run on the built-in shapes, see
the curves, a sample grid beside real training images and the share of samples that
look like a shape arrive, stop it, and the checkpoint can be downloaded.

Needs Debian's Chromium at /usr/bin/chromium and the playwright package; skipped otherwise.
Set SCREENSHOT_DIR to keep a screenshot.
"""
from __future__ import annotations

import re
import zipfile

import pytest

from tools.browser import wait_for_image

from .browser import BROWSER, chromium, keep_screenshot, page_at, serve_app, sync_api

pytestmark = BROWSER


@pytest.fixture
def app_url(tiny_checkpoint_dir, tmp_path):
    yield from serve_app(tmp_path, {"GAN_CORE_CHECKPOINTS": str(tiny_checkpoint_dir),
                                                "TMPDIR": str(tmp_path)})


def _set_number(page, elem_id: str, value) -> None:
    box = page.locator(f"#{elem_id} input").first
    box.fill(str(value))
    box.press("Tab")


def test_start_watch_and_stop_a_run(app_url):
    with page_at(app_url, "Train", 1400, 1100) as page:
        sync_api.expect(page.locator("#train-stop")).to_be_disabled()
        idle_progress = page.locator("#train-progress").inner_text()
        _set_number(page, "train-steps", 2000)  # more than it gets to: the test stops it
        page.get_by_text("Hyperparameters").click()
        _set_number(page, "train-sample-every", 5)
        page.locator("#train-start").click()

        # The status turns to training, a grid arrives, the curves get drawn.
        # "images/s" appears with the first logged metrics, i.e. the first curve point.
        sync_api.expect(page.locator("#train-status")).to_contain_text("images/s", timeout=120_000)
        wait_for_image(page, "#train-samples", timeout_ms=120_000)
        wait_for_image(page, "#train-real", timeout_ms=60_000)  # real training images beside the samples
        page.locator("#train-losses canvas, #train-losses svg").first.wait_for(timeout=60_000)
        # The shapes judge's verdict on each grid: in the status line and as a curve.
        sync_api.expect(page.locator("#train-status")).to_contain_text("of samples look like a shape",
                                                                       timeout=60_000)
        page.locator("#train-shapes canvas, #train-shapes svg").first.wait_for(timeout=60_000)
        # Two curve points (steps 5 and 10) draw a line; stop after that.
        page.wait_for_function("() => /^\\s*([1-9][0-9]+) \\/ 2,000 steps/.test("
                               "document.querySelector('#train-progress').innerText)", timeout=120_000)
        sync_api.expect(page.locator("#train-stop")).to_be_enabled()
        page.locator("#train-stop").click()
        sync_api.expect(page.locator("#train-status")).to_contain_text("Stopped at step", timeout=120_000)
        status = page.locator("#train-status").inner_text()
        sync_api.expect(page.locator("#train-resume")).to_be_enabled()
        sync_api.expect(page.locator("#train-start")).to_be_enabled()
        sync_api.expect(page.locator("#train-download")).to_be_enabled()
        progress = page.locator("#train-progress").inner_text()
        keep_screenshot(page, "train_tab.png")
        with page.expect_download(timeout=60_000) as download_info:
            page.locator("#train-download").click()
        with zipfile.ZipFile(download_info.value.path()) as zf:
            names = {n.split("/", 1)[1] for n in zf.namelist()}

        # Use in Explore: the Explore tab opens on the new generator, its gallery drawn by it.
        page.locator("#train-use").click()
        sync_api.expect(page.locator("#explore-model input")).to_have_value(
            re.compile(r"^Yours: dcgan32-shapes \(step \d+\)$"), timeout=60_000)
        page.wait_for_function("() => location.search.includes('model=trained-')", timeout=60_000)
        gallery_images = page.locator("#explore-gallery img")
        gallery_images.first.wait_for(timeout=60_000)
        n_gallery = gallery_images.count()

    assert "0 / 0" not in idle_progress and "no run yet" in idle_progress
    step = int(status.split("Stopped at step")[1].split(".")[0].strip())
    assert 10 <= step < 2000, status
    assert f"{step:,} / 2,000 steps" in progress
    assert {"generator.safetensors", "model_card.json"} <= names
    assert n_gallery == 32


def test_second_user_waits_in_line_and_a_closed_page_frees_the_server(app_url):
    """Two browsers: B waits with its place shown; closing A's page stops A's run, and B's starts."""
    with chromium() as browser:
        pages = []
        for _ in range(2):
            page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            page.goto(app_url)
            page.get_by_role("tab", name="Train").click()
            _set_number(page, "train-steps", 5000)
            pages.append(page)
        a, b = pages
        a.locator("#train-start").click()
        sync_api.expect(a.locator("#train-status")).to_contain_text("Training", timeout=120_000)
        b.locator("#train-start").click()
        sync_api.expect(b.locator("#train-status")).to_contain_text("Waiting in line: number 1",
                                                                     timeout=60_000)
        a.context.close()  # the page's session ends: its run saves a checkpoint and stops
        sync_api.expect(b.locator("#train-status")).to_contain_text("Training", timeout=120_000)
        b.locator("#train-stop").click()
        sync_api.expect(b.locator("#train-status")).to_contain_text("Stopped at step", timeout=120_000)


def test_a_reloaded_page_finds_its_run_and_resumes_it(app_url):
    """The browser keeps its owner key: after a reload the Train tab shows the run it
    started (stopped by the page's close, or still stopping) and Resume continues it."""
    with page_at(app_url, "Train", 1280, 900) as page:
        _set_number(page, "train-steps", 5000)
        page.locator("#train-start").click()
        sync_api.expect(page.locator("#train-status")).to_contain_text("Training", timeout=120_000)
        page.reload()
        page.get_by_role("tab", name="Train").click()
        sync_api.expect(page.locator("#train-status")).to_contain_text(
            re.compile("Training|Stopping|Stopped at step"), timeout=60_000)
        page.get_by_role("tab", name="Train").click()  # again: the page's load may open its linked tab
        if page.locator("#train-stop").is_enabled():
            page.locator("#train-stop").click()
        sync_api.expect(page.locator("#train-status")).to_contain_text("Stopped at step", timeout=120_000)
        sync_api.expect(page.locator("#train-resume")).to_be_enabled()
        page.locator("#train-resume").click()
        sync_api.expect(page.locator("#train-status")).to_contain_text(re.compile("Training|Preparing"),
                                                                      timeout=120_000)
        page.locator("#train-stop").click()
        sync_api.expect(page.locator("#train-status")).to_contain_text("Stopped at step", timeout=120_000)


def test_a_trained_model_survives_a_reload_and_opens_from_its_link_in_a_fresh_browser(app_url):
    """Train a few steps, Use in Explore; reload: the Train tab shows the run, its download and
    its model, and Explore the model; the page's link in a fresh browser opens it, no error."""
    with chromium() as browser:
        page = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
        failed = []
        page.on("response", lambda r: failed.append(r.status) if r.status >= 500 else None)
        page.goto(app_url)
        page.get_by_role("tab", name="Train").click()
        _set_number(page, "train-steps", 6)
        page.locator("#train-start").click()
        sync_api.expect(page.locator("#train-status")).to_contain_text("Finished 6 steps", timeout=180_000)
        page.locator("#train-use").click()
        page.wait_for_function("() => location.search.includes('model=trained-')", timeout=60_000)
        link = page.url
        label = re.compile(r"^(Yours|Trained here): dcgan32-shapes \(step 6\)$")

        page.reload()
        sync_api.expect(page.locator("#explore-model input")).to_have_value(label, timeout=60_000)
        page.locator("#explore-gallery img").nth(31).wait_for(timeout=60_000)
        page.get_by_role("tab", name="Train").click()
        sync_api.expect(page.locator("#train-status")).to_contain_text("Finished 6 steps", timeout=60_000)
        sync_api.expect(page.locator("#train-download")).to_be_enabled(timeout=30_000)
        sync_api.expect(page.locator("#train-use")).to_be_enabled()
        sync_api.expect(page.locator("#train-samples img").first).to_be_visible()

        fresh = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()  # nothing shared
        fresh.on("response", lambda r: failed.append(r.status) if r.status >= 500 else None)
        fresh.goto(link)
        sync_api.expect(fresh.locator("#explore-model input")).to_have_value(label, timeout=60_000)
        fresh.locator("#explore-gallery img").nth(31).wait_for(timeout=60_000)
        fresh.wait_for_timeout(1500)
        errors = [t for t in fresh.locator("[data-testid=toast-body]").all_text_contents() if "rror" in t]
    assert errors == [] and failed == []
