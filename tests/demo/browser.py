"""What the real-browser tests share: their marks, the app on a free port, Chromium pages.

Needs Debian's Chromium at /usr/bin/chromium (`apt-get install chromium`) and the playwright
Python package; a test module importing this is skipped without playwright, and `BROWSER`
skips its tests without Chromium. Set SCREENSHOT_DIR to keep screenshots.
"""
from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest

from tools.browser import CHROMIUM, AppDidNotStart, launch_chromium, running_app

sync_api = pytest.importorskip("playwright.sync_api")

BROWSER = [pytest.mark.browser,
           pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is not installed (apt-get install chromium)")]


def serve_app(tmp_path: Path, env: dict[str, str]):
    """For a fixture to `yield from`: the URL of `python app.py` started with `env`, stopped afterwards;
    an app that does not start fails the test with its log."""
    try:
        with running_app(tmp_path / "app.log", env) as url:
            yield url
    except AppDidNotStart as exc:
        pytest.fail(str(exc))


@contextlib.contextmanager
def chromium():
    """A headless Chromium, closed afterwards."""
    with sync_api.sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            yield browser
        finally:
            browser.close()


@contextlib.contextmanager
def page_at(url: str, tab: str | None = None, width: int = 1280, height: int = 900):
    """A page of a fresh Chromium opened at `url`, on the tab named `tab` when one is given."""
    with chromium() as browser:
        page = browser.new_page(viewport={"width": width, "height": height})
        page.goto(url)
        if tab:
            page.get_by_role("tab", name=tab).click()
        yield page


def keep_screenshot(page, name: str) -> None:
    """A full-page screenshot under $SCREENSHOT_DIR, when that is set."""
    if os.environ.get("SCREENSHOT_DIR"):
        out = Path(os.environ["SCREENSHOT_DIR"])
        out.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out / name), full_page=True)
