"""Drive the real app in a real browser: start `python app.py`, open Debian's Chromium.

Shared by the browser tests and the README screenshot script.
"""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
# Headless, and no background traffic: the machine may have no network at all.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SERVER_START_TIMEOUT_S = 300  # importing torch and gradio takes a while on a busy small machine


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AppDidNotStart(RuntimeError):
    pass


@contextlib.contextmanager
def running_app(log_path: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """Start `python app.py` on a free port; yield its URL once it serves; stop it after."""
    port = free_port()
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONUNBUFFERED": "1", **(env or {})}
    env.pop("SPACE_ID", None)
    with serving(["app.py", "--host", "127.0.0.1", "--port", str(port)], port, log_path, env, REPO) as url:
        yield url


@contextlib.contextmanager
def serving(args: list[str], port: int, log_path: Path, env: dict[str, str], cwd: Path) -> Iterator[str]:
    """Run `python *args` in `cwd`, its output in `log_path`; yield the URL on `port` once it
    serves a page (AppDidNotStart if it exits or stays silent); stop it after."""
    with open(log_path, "w") as log_file:
        server = subprocess.Popen([sys.executable, *args], cwd=cwd, env=env, stdout=log_file,
                                  stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_until_served(url, server, log_path)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _wait_until_served(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AppDidNotStart(f"app.py exited with code {server.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise AppDidNotStart(f"app.py did not serve {url} within {SERVER_START_TIMEOUT_S} s:\n{log.read_text()[-3000:]}")


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def wait_for_image(page, selector: str, timeout_ms: int = 60_000):
    """The first <img> under `selector`, once loaded; returns its locator."""
    img = page.locator(f"{selector} img").first
    img.wait_for(state="visible", timeout=timeout_ms)
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=img.element_handle(),
                           timeout=timeout_ms)
    return img
