"""Small synthetic data for tests: no test needs ../shared or the network."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from tools.browser import free_port  # noqa: F401 - shared with the browser tests

TINY_CHECKPOINT = "tiny-dcgan32"
TINY_STYLE = "tiny-style"
REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"


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


def write_tiny_checkpoint(folder: Path, name: str | None = None, model: str = "dcgan32", draws: str = "faces") -> Path:
    """A loadable checkpoint with untrained (but seeded, so repeatable) weights; a face
    generator to the app unless `draws` says otherwise."""
    from gan_core import get_model
    from gan_core.core.checkpoints import CARD_FILE, GENERATOR_FILE, save_weights, write_json

    torch.manual_seed(0)
    generator = get_model(model).build_generator()
    save_weights(folder / GENERATOR_FILE, generator)
    write_json(folder / CARD_FILE, {
        "name": name or folder.name,
        "model": model,
        "description": f"An untrained {model} for tests",
        "draws": draws,
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


def smooth_picture(seed: int, size: tuple[int, int] = (150, 110)) -> np.ndarray:
    """An RGB uint8 array (h, w, 3) of gradients and a little noise, different per seed."""
    rng = np.random.default_rng(seed)
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w]
    arr = np.stack([(xx * 2 + seed * 40) % 256, (yy * 2) % 256, ((xx + yy) + seed * 9) % 256], -1).astype(np.float32)
    arr += rng.normal(0, 6, arr.shape)
    return np.clip(arr, 0, 255).astype(np.uint8)


def block_labels(seed: int, size: int = 64, block: int = 8) -> np.ndarray:
    """A facades class map of size x size made of block x block squares of random classes."""
    from gan_core.data.facades import PALETTE

    rng = np.random.default_rng(seed)
    cells = rng.integers(0, len(PALETTE), (size // block, size // block))
    return np.kron(cells, np.ones((block, block), dtype=np.int64))


def write_facades(root: Path, n: int = 6, size: int = 64) -> dict[str, np.ndarray]:
    """n facades photo/label pairs named 1.jpg ... n.jpg; label maps as JPEGs; returns the class maps."""
    from gan_core.data.facades import PALETTE

    colours = np.array([c for _, c in PALETTE], dtype=np.int16)
    (root / "photos").mkdir(parents=True)
    (root / "labels").mkdir()
    maps = {}
    for i in range(1, n + 1):
        classes = block_labels(i, size, block=16)
        photo = (classes[..., None] * 20 + np.arange(3) * 10).astype(np.uint8)
        Image.fromarray(photo).save(root / "photos" / f"{i}.jpg", quality=95)
        Image.fromarray(colours[classes].astype(np.uint8)).save(root / "labels" / f"{i}.jpg", quality=90)
        maps[f"{i}.jpg"] = classes
    return maps


def drawn_facades(n: int, size: int = 64, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Walls of a random colour with a grid of dark rectangles (the windows) of random
    size and spacing: uint8 photos (n, 3, size, size) and bool masks (n, size, size)."""
    g = torch.Generator().manual_seed(seed)
    photos = torch.empty(n, 3, size, size, dtype=torch.uint8)
    masks = torch.zeros(n, size, size, dtype=torch.bool)
    for i in range(n):
        wall = torch.randint(120, 230, (3,), generator=g)
        photos[i] = wall.view(3, 1, 1).to(torch.uint8)
        w, h = (int(v) for v in torch.randint(size // 16, size // 6, (2,), generator=g))
        step_x = w + int(torch.randint(3, 10, (1,), generator=g))
        step_y = h + int(torch.randint(4, 12, (1,), generator=g))
        glass = torch.randint(10, 80, (3,), generator=g).to(torch.uint8).view(3, 1, 1)
        for y in range(3, size - h, step_y):
            for x in range(2, size - w, step_x):
                photos[i, :, y:y + h, x:x + w] = glass
                masks[i, y:y + h, x:x + w] = True
    photos = (photos.float() + 8 * torch.randn(photos.shape, generator=g)).clamp(0, 255).to(torch.uint8)
    return photos, masks


def synthetic_faces(n: int = 160, size: int = 16, seed: int = 0):
    """An ImageSet of noise images; half carry a bright square (label "square"); "age" is the
    square's brightness level for the first half, unknown (NaN) for the rest."""
    from gan_core.data.image_set import ImageSet

    g = torch.Generator().manual_seed(seed)
    images = torch.randint(0, 120, (n, 3, size, size), generator=g, dtype=torch.uint8)
    square = (torch.arange(n) % 2).float()
    level = torch.randint(0, 4, (n,), generator=g).float()
    for i in range(n):
        if square[i]:
            x, y = (int(v) for v in torch.randint(0, size - 6, (2,), generator=g))
            images[i, :, y:y + 6, x:x + 6] = int(150 + 30 * level[i])
    age = torch.where(torch.arange(n) < n // 2, 20 + 10 * level, torch.full((n,), math.nan))
    return ImageSet(images=images, files=[f"img_{i:04d}.png" for i in range(n)],
                    labels={"square": square, "age": age, "race": level.clone()})


def write_style_domains(root: Path, n: int = 4, size: tuple[int, int] = (70, 60)) -> tuple[Path, Path]:
    """root/photos and root/paintings for style training: n smooth pictures each, the paintings
    posterised ("paint")."""
    photos, paintings = root / "photos", root / "paintings"
    photos.mkdir(parents=True)
    paintings.mkdir()
    for i in range(n):
        Image.fromarray(smooth_picture(i, size)).save(photos / f"p{i}.png")
        Image.fromarray((smooth_picture(10 + i, size) // 64 * 64 + 32).astype(np.uint8)).save(paintings / f"b{i}.png")
    return photos, paintings


def edged_picture(seed: int, size: tuple[int, int] = (52, 44)) -> np.ndarray:
    """Smooth gradients and a few edges: something an upscaler can learn a little from."""
    rng = np.random.default_rng(seed)
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w]
    arr = np.stack([(xx * 4 + seed * 30) % 256, (yy * 5) % 256, ((xx + yy) * 3) % 256], -1).astype(np.uint8)
    x, y = rng.integers(0, w // 2), rng.integers(0, h // 2)
    arr[y:y + h // 3, x:x + w // 3] = rng.integers(0, 255, 3)
    return arr


def sr_config(photos: Path, out: Path, **kw):
    """The tiny super-resolution run of the tests (2 blocks of 16 channels, 3 steps), `kw` on top."""
    from gan_core.training.sr import SRTrainConfig

    base = dict(data=[str(photos)], out=str(out), steps=3, blocks=2, channels=16, hr_size=32, batch_size=4,
                log_every=1, sample_every=2, checkpoint_every=2, device="cpu")
    return SRTrainConfig(**{**base, **kw})


def tiles_by_hand(G: torch.nn.Module, image: Image.Image, tile: int) -> np.ndarray:
    """`G` run on each tile of `image` (whole tiles only) on its own, the results put back
    in place: what tile-by-tile translation must give."""
    arr = np.asarray(image.convert("RGB"))
    h, w = arr.shape[:2]
    assert h % tile == 0 and w % tile == 0
    x = torch.from_numpy(arr.astype(np.float32) / 127.5 - 1).permute(2, 0, 1)
    out = np.zeros_like(arr)
    with torch.no_grad():
        for top in range(0, h, tile):
            for left in range(0, w, tile):
                y = G(x[None, :, top:top + tile, left:left + tile])[0].clamp(-1, 1)
                out[top:top + tile, left:left + tile] = ((y + 1) * 127.5).round().permute(1, 2, 0).numpy()
    return out


def pixel_difference(a, b) -> np.ndarray:
    """|a - b| per pixel and channel, without uint8 wrap-around."""
    return np.abs(np.asarray(a, np.int16) - np.asarray(b, np.int16))


def save_picture(path: Path, size: tuple[int, int] = (60, 40)) -> str:
    """smooth_picture(3, size) saved at `path`; returns the path as a string, as an upload gives it."""
    Image.fromarray(smooth_picture(3, size)).save(path)
    return str(path)


def unreadable_uploads(verb: str) -> list[tuple[bytes, str]]:
    """An empty file and a text file, each with the message a tab gives for it: "cannot be <verb>: ..."."""
    return [(b"", f"cannot be {verb}: empty file"),
            (b"this is text, not a picture", f"cannot be {verb}: not a readable image")]


def write_upload(path: Path, content: bytes) -> str:
    """`content` saved at `path`; returns the path as a string, as an upload gives it."""
    path.write_bytes(content)
    return str(path)
