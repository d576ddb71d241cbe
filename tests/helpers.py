"""Small synthetic data for tests: no test needs ../shared or the network."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image

from tools.browser import free_port  # noqa: F401 - shared with the browser tests

TINY_CHECKPOINT = "tiny-dcgan32"
SHARED_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


def make_image(path: Path, seed: int, size: tuple[int, int] = (40, 48), fmt: str | None = None) -> Path:
    """A random-ish picture: a coloured square on a gradient, different per seed."""
    rng = np.random.default_rng(seed)
    w, h = size
    arr = np.zeros((h, w, 3), np.uint8)
    arr[..., 0] = np.linspace(0, 255, w, dtype=np.uint8)[None, :]
    arr[..., 1] = rng.integers(0, 255)
    x, y = rng.integers(0, w // 2), rng.integers(0, h // 2)
    arr[y:y + h // 3, x:x + w // 3] = rng.integers(0, 255, 3)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(arr).save(path, format=fmt)
    return path


def make_folder(root: Path, n: int, sub: str = "", ext: str = ".png", start: int = 0) -> list[Path]:
    return [make_image(root / sub / f"img_{i:04d}{ext}", start + i) for i in range(n)]


def write_tiny_checkpoint(folder: Path, name: str | None = None, model: str = "dcgan32") -> Path:
    """A loadable checkpoint with untrained (but seeded, so repeatable) weights."""
    from gan_core import get_model
    from gan_core.core.checkpoints import CARD_FILE, GENERATOR_FILE, save_weights, write_json

    torch.manual_seed(0)
    generator = get_model(model).build_generator()
    save_weights(folder / GENERATOR_FILE, generator)
    write_json(folder / CARD_FILE, {
        "name": name or folder.name,
        "model": model,
        "description": f"An untrained {model} for tests",
        "data": {"description": "no data: random weights", "images": 0},
        "training": {"command": "pytest", "steps": 0, "epochs": 0, "wall_time_s": 0.0, "hardware": "none"},
        "metrics": {},
        "files": {"generator": GENERATOR_FILE},
    })
    return folder


def only_checkpoints_in(root: Path, monkeypatch) -> Path:
    """Make `root` (created if missing) the only place checkpoints are found: GAN_CORE_CHECKPOINTS
    points at it and the repository's shipped checkpoints are hidden. Returns `root`."""
    import gan_core.core.hub

    root.mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("GAN_CORE_CHECKPOINTS", str(root))
    monkeypatch.setattr(gan_core.core.hub, "REPO_CHECKPOINTS", root.parent / "no-shipped-checkpoints")
    return root
