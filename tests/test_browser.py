"""One real-browser test: start `python app.py`, click Generate in Chromium, see a grid.

Needs Debian's Chromium at /usr/bin/chromium (`apt-get install chromium`) and the
playwright Python package; skipped otherwise. Set SCREENSHOT_DIR to keep a screenshot.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from PIL import Image

from .helpers import free_port

sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SERVER_START_TIMEOUT_S = 120  # importing torch and gradio takes a while on a busy small machine

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is not installed (apt-get install chromium)")]


def wait_until_served(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"app.py exited with code {server.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"app.py did not serve {url} within {SERVER_START_TIMEOUT_S} s:\n{log.read_text()[-3000:]}")


@pytest.fixture
def app_url(tiny_checkpoint_dir, tmp_path):
    port = free_port()
    env = {**os.environ, "GAN_CORE_CHECKPOINTS": str(tiny_checkpoint_dir),
           "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONUNBUFFERED": "1"}
    env.pop("SPACE_ID", None)
    log = tmp_path / "app.log"
    with open(log, "w") as log_file:
        server = subprocess.Popen([sys.executable, "app.py", "--host", "127.0.0.1", "--port", str(port)],
                                  cwd=REPO, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_until_served(url, server, log)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def test_generate_shows_a_grid(app_url):
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(app_url)
            download_btn = page.locator("#download-png")
            sync_api.expect(download_btn).to_be_disabled()  # nothing to download yet
            page.locator("#generate-btn").click()
            grid_img = page.locator("#grid img").first
            grid_img.wait_for(state="visible", timeout=60_000)
            page.wait_for_function("img => img.complete && img.naturalWidth > 0",
                                   arg=grid_img.element_handle(), timeout=30_000)
            natural_width = grid_img.evaluate("img => img.naturalWidth")
            sync_api.expect(download_btn).to_be_enabled(timeout=10_000)
            with page.expect_download(timeout=30_000) as download_info:
                download_btn.click()
            download_name = download_info.value.suggested_filename
            with Image.open(download_info.value.path()) as png:
                download_size = png.size
            if os.environ.get("SCREENSHOT_DIR"):
                out = Path(os.environ["SCREENSHOT_DIR"])
                out.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(out / "generate_tab.png"), full_page=True)
        finally:
            browser.close()

    # 16 images (the default grid) of 32 px with 2 px borders: 4 * 34 + 2.
    assert natural_width == 138
    assert download_name == "tiny-dcgan32-seed0-16.png"
    assert download_size == (138, 138)
