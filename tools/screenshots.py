"""Screenshots of the app for the README, taken in the real browser.

    python tools/screenshots.py                 # writes docs/*.png
    python tools/screenshots.py --only train    # just the Train tab (a real run of a few minutes)

Needs Debian's Chromium (/usr/bin/chromium) and the shipped checkpoints.
"""
from __future__ import annotations

import argparse
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
    ("explore_celeb28.png", "model=faces-celeb28&tab=attributes&subject=7&attribute=Smiling&attribute_t=1",
     "#attr-image"),
]


def palettize(path: Path) -> None:
    """Store a screenshot with a 256-colour palette (dithered): a page of flat colours,
    text and a few small pictures looks the same and takes about 40 % of the bytes, which
    keeps the repository small enough to travel to a GPU machine with its data."""
    from PIL import Image

    with Image.open(path) as img:
        small = img.convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.FLOYDSTEINBERG)
    small.save(path, optimize=True)


TABS = ("generate", "celeb28", "explore", "photo", "train", "upscale", "style", "forget", "learn", "about")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Retake the README's screenshots in the real browser.")
    parser.add_argument("--only", nargs="+", choices=TABS, default=list(TABS),
                        help="take only these (the train shot runs a real training of a few minutes)")
    only = set(parser.parse_args(argv).only)
    DOCS.mkdir(exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as tmp, running_app(Path(tmp) / "app.log") as url, \
            sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1280, "height": 900})

        def shoot(name: str) -> None:
            page.screenshot(path=str(DOCS / name), full_page=True)
            palettize(DOCS / name)
            written.append(name)

        for tab in (t for t in TABS if t in only):
            if tab == "explore":
                for name, query, image in EXPLORE_VIEWS:
                    page.goto(url + "?" + query)
                    wait_for_image(page, image)
                    page.wait_for_timeout(1500)  # the other panels finish drawing
                    shoot(name)
            else:
                name, prepare = SHOTS[tab]
                prepare(page, url, Path(tmp))
                shoot(name)
        browser.close()
    for name in written:
        print(f"wrote {DOCS / name}")


def _generate_tab(page, url: str, tmp: Path) -> None:
    """A 6x6 grid of the default model."""
    page.goto(url)
    page.locator("#grid-size").get_by_text("36", exact=True).click()
    page.locator("#generate-btn").click()
    wait_for_image(page, "#grid")
    page.wait_for_timeout(500)


def _generate_celeb28(page, url: str, tmp: Path) -> None:
    """A 6x6 grid of faces-celeb28, chosen in the model list."""
    page.goto(url)
    page.locator("#model input").first.click()
    page.get_by_role("option", name="faces-celeb28", exact=True).click()
    page.wait_for_timeout(2000)  # the chosen model's grid is drawn
    page.locator("#grid-size").get_by_text("36", exact=True).click()
    page.locator("#generate-btn").click()
    wait_for_image(page, "#grid")
    page.wait_for_timeout(1000)


def _learn_tab(page, url: str, tmp: Path) -> None:
    """The Learn tab with its probe's confusion matrix drawn."""
    page.goto(url)
    page.get_by_role("tab", name="Learn").click()
    wait_for_image(page, "#learn-confusion")
    page.wait_for_timeout(1000)


def _about_tab(page, url: str, tmp: Path) -> None:
    page.goto(url)
    page.get_by_role("tab", name="About").click()
    page.wait_for_timeout(1000)


def _train_tab(page, url: str, tmp: Path) -> None:
    """The classroom run: the Train tab's defaults (gan_core.training.recipes.CLASSROOM on the
    built-in shapes), photographed when it ends, minutes on a CPU."""
    page.goto(url)
    page.get_by_role("tab", name="Train").click()
    page.locator("#train-start").click()
    page.locator("#train-status").get_by_text("Finished").wait_for(timeout=3600_000)
    page.wait_for_timeout(2000)


def _upscale_tab(page, url: str, tmp: Path) -> None:
    """The Upscale tab with its default model (photo-litesr-x4) against photo-litesrgan-x4 on a
    generated face (64 px, so no real person's photo goes into the docs) taken to 256 px."""
    import gan_core

    path = tmp / "face.png"
    gan_core.load("faces-dcgan64")(1, seed=123)[0].save(path)
    page.goto(url)
    page.get_by_role("tab", name="Upscale").click()
    page.locator("#upscale-upload input[type=file]").set_input_files(str(path))
    page.locator("#upscale-compare input").first.click()
    page.get_by_role("option", name="photo-litesrgan-x4", exact=True).click()
    page.wait_for_timeout(1000)
    page.locator("#upscale-btn").click()
    wait_for_image(page, "#upscale-slider", timeout_ms=300_000)
    page.wait_for_timeout(2000)


def _forget_tab(page, url: str, tmp: Path) -> None:
    """The Forget tab with facades-dcgan64: the window detector labels the samples, the fit
    ranks main.8's units (the tab's default layer), and the rows show every unit with a
    positive weight dropped."""
    page.goto(url)
    page.get_by_role("tab", name="Forget").click()
    page.locator("#forget-model input").first.click()
    page.get_by_role("option", name="facades-dcgan64", exact=True).click()
    page.locator("#forget-layer input").first.wait_for(timeout=60_000)
    page.wait_for_timeout(2000)  # the layer list of the chosen generator
    page.locator("#forget-new").click()
    page.locator("#forget-canvas canvas").first.wait_for(timeout=60_000)
    page.wait_for_timeout(2000)
    page.locator("#forget-auto").click()
    page.locator("#forget-source input[value=detector]").wait_for(timeout=60_000)
    page.wait_for_timeout(3000)
    page.locator("#forget-fit").click()
    page.locator("#forget-numbers").get_by_text("% after").wait_for(timeout=300_000)
    wait_for_image(page, "#forget-after", timeout_ms=120_000)
    page.wait_for_timeout(2000)


def _style_tab(page, url: str, tmp: Path) -> None:
    """The Style tab on the procedural mountain lake (its first example) at its default
    working size, tile by tile."""
    from demo.examples import mountain_lake

    path = tmp / "mountain-lake.png"
    mountain_lake().save(path)
    page.goto(url)
    page.get_by_role("tab", name="Style").click()
    page.locator("#style-upload input[type=file]").set_input_files(str(path))
    page.wait_for_timeout(1000)
    page.locator("#style-btn").click()
    wait_for_image(page, "#style-slider", timeout_ms=600_000)
    page.wait_for_timeout(2000)


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


# Each tab but Explore (several shared links): its picture and what sets the page up for it.
SHOTS = {
    "generate": ("generate_tab.png", _generate_tab),
    "celeb28": ("generate_celeb28.png", _generate_celeb28),
    "photo": ("explore_photo.png", _photo_tab),
    "train": ("train_tab.png", _train_tab),
    "upscale": ("upscale_tab.png", _upscale_tab),
    "style": ("style_tab.png", _style_tab),
    "forget": ("forget_tab.png", _forget_tab),
    "learn": ("learn_tab.png", _learn_tab),
    "about": ("about_tab.png", _about_tab),
}


if __name__ == "__main__":
    main()
