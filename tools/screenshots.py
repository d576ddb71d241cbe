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
    ("explore_walk.png", "model=faces-dcgan64&tab=walk&walk=13,42,7&walk_t=0.3&frames=10", "#walk-image"),
    ("explore_turn.png", "model=faces-dcgan64&tab=turn&subject=42&turn_t=1", "#turn-image"),
    ("explore_arithmetic.png", "model=faces-dcgan64&tab=arithmetic", "#arith-result"),
    ("explore_attributes.png", "model=faces-dcgan64&tab=attributes&subject=42&attribute=Smiling&attribute_t=1",
     "#attr-image"),
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
        _photo_tab(page, url, Path(tmp))
        page.goto(url)
        page.get_by_role("tab", name="About").click()
        page.wait_for_timeout(1000)
        page.screenshot(path=str(DOCS / "about_tab.png"), full_page=True)
        browser.close()
    for name in ["generate_tab.png"] + [v[0] for v in EXPLORE_VIEWS] + ["explore_photo.png", "about_tab.png"]:
        print(f"wrote {DOCS / name}")


def _photo_tab(page, url: str, tmp: Path) -> None:
    """Project a stand-in photo: a generated face, mirrored, shifted and enlarged to 256 px
    (no real person's photo goes into the docs)."""
    import gan_core
    from PIL import Image

    face = gan_core.load("faces-dcgan64")(1, seed=123)[0].transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    photo = Image.new("RGB", (72, 72), (200, 200, 200))
    photo.paste(face, (6, 4))
    path = tmp / "photo.png"
    photo.resize((256, 256), Image.Resampling.BICUBIC).save(path)
    page.goto(url + "?model=faces-dcgan64&tab=photo")
    page.locator("#photo-upload input[type=file]").set_input_files(str(path))
    page.wait_for_timeout(1000)
    page.locator("#photo-project").click()
    wait_for_image(page, "#photo-recon", timeout_ms=300_000)
    page.wait_for_timeout(1500)
    page.screenshot(path=str(DOCS / "explore_photo.png"), full_page=True)


if __name__ == "__main__":
    main()
