"""A model trained in the Train tab, opened from its link in a fresh browser and reloaded:
no error, the model selected in Explore's list, its gallery drawn; the Generate and
Forget lists hold it too. The snapshot is written where "Use in Explore" puts it
(demo/trained.py), as a run of a few hundred steps would leave it.

Needs Debian's Chromium at /usr/bin/chromium and the playwright package; skipped otherwise.
"""
from __future__ import annotations

import shutil

import pytest

from ..helpers import TINY_CHECKPOINT
from .browser import BROWSER, chromium, serve_app, sync_api

pytestmark = BROWSER

NAME = "trained-0123456789abcdef-600"


@pytest.fixture
def app_url(tiny_checkpoint_dir, tmp_path):
    # The app's temporary folder is tmp_path: its trained models are kept in gan-studio-trained there.
    shutil.copytree(tiny_checkpoint_dir / TINY_CHECKPOINT, tmp_path / "gan-studio-trained" / NAME)
    yield from serve_app(tmp_path, {"GAN_CORE_CHECKPOINTS": str(tiny_checkpoint_dir), "TMPDIR": str(tmp_path)})


def _errors(page) -> list[str]:
    return [t for t in page.locator("[data-testid=toast-body]").all_text_contents()
            if "error" in t.lower() or "not in the list" in t]


def _shows_the_trained_model(page, failed: list[int]) -> None:
    sync_api.expect(page.locator("#explore-model input")).to_have_value(
        "Trained here: tiny-dcgan32 (step 600)", timeout=60_000)
    page.locator("#explore-gallery img").nth(31).wait_for(timeout=60_000)
    page.wait_for_function("() => document.querySelector('#walk-image img')?.naturalWidth > 0", timeout=60_000)
    page.wait_for_timeout(1500)  # the load's other events: any error would show by now
    assert _errors(page) == [] and failed == []
    assert f"model={NAME}" in page.url


def test_a_trained_models_link_opens_it_in_a_fresh_browser_and_after_a_reload(app_url):
    with chromium() as browser:
        page = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()  # nothing shared
        failed = []
        page.on("response", lambda r: failed.append(r.status) if r.status >= 500 else None)
        page.goto(f"{app_url}?model={NAME}&tab=walk")
        _shows_the_trained_model(page, failed)

        page.reload()
        _shows_the_trained_model(page, failed)

        # The other tabs that list generators offer it too.
        for tab, dropdown in (("Generate", "#model"), ("Forget", "#forget-model")):
            page.get_by_role("tab", name=tab).click()
            page.locator(f"{dropdown} input").click()
            sync_api.expect(page.get_by_role("option", name="Trained here: tiny-dcgan32 (step 600)")).to_be_visible(
                timeout=30_000)
            page.keyboard.press("Escape")


def test_a_link_to_a_trained_model_the_server_no_longer_keeps_opens_the_default_with_a_warning(app_url):
    with chromium() as browser:
        page = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
        failed = []
        page.on("response", lambda r: failed.append(r.status) if r.status >= 500 else None)
        page.goto(f"{app_url}?model=trained-fedcba9876543210-600")
        toast = page.locator("[data-testid=toast-body]").first
        toast.wait_for(state="visible", timeout=60_000)
        sync_api.expect(toast).to_contain_text("no longer on this server", timeout=30_000)
        sync_api.expect(page.locator("#explore-model input")).to_have_value(TINY_CHECKPOINT, timeout=60_000)
        page.locator("#explore-gallery img").first.wait_for(timeout=60_000)
        assert failed == []
