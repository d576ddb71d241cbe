"""The files the app hands to Gradio: PNGs, animations and downloads, in one temp folder.

Each is written under a temporary name and renamed into place, so a concurrent request
for the same file never gets half of it (Gradio rewrites a returned PIL image in place
in its cache; a returned file it copies atomically). Files older than a day are pruned,
at most once an hour, so a long-running server does not fill its disk.
"""
from __future__ import annotations

import functools
import hashlib
import io
import os
import tempfile
import time
from pathlib import Path

from PIL import Image

ROOT = Path(tempfile.gettempdir()) / "gan-studio"
MAX_AGE_S = 24 * 3600  # as long as Gradio keeps its own cached copies (delete_cache in demo/app.py)
PRUNE_EVERY_S = 3600
_last_prune = 0.0


def write_file(data: bytes, path: Path) -> str:
    """`data` at `path`, written atomically; returns the path as a string."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=path.suffix, dir=path.parent)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)
    _prune_now_and_then()
    return str(path)


def png_file(image: Image.Image, name: str | None = None, folder: str = "images") -> str:
    """`image` as a PNG under ROOT/folder, named `name` or by its content."""
    data = io.BytesIO()
    image.save(data, format="PNG")
    data = data.getvalue()
    path = ROOT / folder / (name or f"{hashlib.sha1(data).hexdigest()[:20]}.png")
    if name is None and path.exists():
        try:
            os.utime(path)  # handed out again: not old, whatever its age
            return str(path)  # same name, same content
        except OSError:
            pass  # pruned meanwhile: write it again
    return write_file(data, path)


def named_png(image: Image.Image, upload, folder: str, suffix: str) -> str:
    """`image` as a PNG named after the upload (`<stem>-<suffix>.png`), in a folder named by
    its content, so two people's `photo.jpg` never share a file."""
    data = io.BytesIO()
    image.save(data, format="PNG")
    data = data.getvalue()
    stem = Path(upload).stem if isinstance(upload, (str, Path)) else "photo"
    stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in stem)[:60] or "photo"
    return write_file(data, ROOT / folder / hashlib.sha1(data).hexdigest()[:16] / f"{stem}-{suffix}.png")


def serve_files(fn):
    """The event handler for `fn`: the PIL images it returns become PNG files."""
    @functools.wraps(fn)
    def handler(*args, **kwargs):
        out = fn(*args, **kwargs)
        return tuple(png_file(x) if isinstance(x, Image.Image) else x for x in out)
    return handler


def _prune_now_and_then() -> None:
    global _last_prune
    now = time.time()
    if now - _last_prune < PRUNE_EVERY_S:
        return
    _last_prune = now
    for path in ROOT.rglob("*"):
        try:
            if path.is_file() and now - path.stat().st_mtime > MAX_AGE_S:
                path.unlink()
        except OSError:
            pass  # another request removed or replaced it meanwhile
