"""Screenshots of the app for the README, taken in the real browser.

    python tools/screenshots.py            # writes docs/*.png

Needs Debian's Chromium (/usr/bin/chromium) and the shipped checkpoints.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.sync_api import sync_playwright  # noqa: E402

from tools.browser import REPO, launch_chromium, running_app, wait_for_image  # noqa: E402

DOCS = REPO / "docs"
# (file, link query, an image to wait for): the Explore tab as a shared link opens it.
EXPLORE_VIEWS = [
    ("explore_turn.png", "model=faces-dcgan64&tab=turn&subject=42&turn_t=1", "#turn-image"),
    ("explore_arithmetic.png", "model=faces-dcgan64&tab=arithmetic", "#arith-result"),
]


def main() -> None:
    DOCS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, running_app(Path(tmp) / "app.log") as url, \
            sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(url)
        page.locator("#grid-size").get_by_text("36", exact=True).click()
        page.locator("#generate-btn").click()
        wait_for_image(page, "#grid")
        page.wait_for_timeout(500)
        page.screenshot(path=str(DOCS / "generate_tab.png"), full_page=True)
        for name, query, image in EXPLORE_VIEWS:
            page.goto(url + "?" + query)
            wait_for_image(page, image)
            page.wait_for_timeout(1500)  # the other panels finish drawing
            page.screenshot(path=str(DOCS / name), full_page=True)
        browser.close()
    for name in ["generate_tab.png"] + [v[0] for v in EXPLORE_VIEWS]:
        print(f"wrote {DOCS / name}")


if __name__ == "__main__":
    main()
