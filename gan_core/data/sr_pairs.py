"""Training pairs for super-resolution: random HR crops and their bicubic LR versions.

The HR photos are decoded once and kept in memory as uint8 (BSDS500's 400 training
photos of 481x321 are 185 MB); every batch cuts fresh random crops from them, turns
them by a random flip and a multiple of 90 degrees, and shrinks each crop with PIL's
bicubic (`sr_metrics.bicubic_downscale`), the very degradation the benchmarks use.
All the randomness comes from a `torch.Generator` the caller owns, so a run that
saves the generator's state resumes with the same crops.

>>> import torch
>>> from gan_core.data.sr_pairs import SRPatches
>>> patches = SRPatches(["../shared/data/sr/BSDS500_train"], hr_size=96)      # doctest: +SKIP
>>> lr, hr = patches.batch(16, torch.Generator().manual_seed(0))              # doctest: +SKIP
>>> lr.shape, hr.shape                  # both in [-1, 1]                    # doctest: +SKIP
(torch.Size([16, 3, 24, 24]), torch.Size([16, 3, 96, 96]))
"""
from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from gan_core.core.errors import DataError
from gan_core.core.images import fit_side, from_uint8
from gan_core.data.image_set import _list_archive, _list_folder, open_image
from gan_core.evaluation.sr_metrics import bicubic_downscale

DECODE_THREADS = 4  # JPEG decoding releases the GIL: a few threads fill two cores
# Random rotations by 90 degrees and flips: the eight symmetries of the square, all
# as likely (photos have no preferred orientation at the scale of a 96 px crop).
AUGMENTATIONS = 8


class SRPatches:
    """HR photos held in memory, served as random (LR, HR) crop pairs.

    `sources`: folders (searched recursively), image files, or .zip/.tar archives.
    Photos smaller than `hr_size` on a side, and unreadable files, are skipped and
    counted (`skipped`, `skipped_examples`). `max_images` keeps the first N by name.

    Attributes: `images` (list of uint8 H x W x 3 arrays), `files`, `content_hash`
    (what a resumed run checks), `description`.
    """

    def __init__(self, sources: list[str | Path], hr_size: int = 96, scale: int = 4, *,
                 max_images: int | None = None, augment: bool = True, rotate: bool = True,
                 max_side: int | None = None, progress: Callable[[int, int], None] | None = None):
        if hr_size % scale:
            raise ValueError(f"the HR crop ({hr_size} px) must be a multiple of the scale ({scale})")
        self.hr_size, self.scale, self.augment, self.rotate = hr_size, scale, augment, rotate
        self.sources = [str(s) for s in sources]
        entries = _entries(self.sources)
        if max_images is not None:
            entries = entries[:max_images]
        images: list[np.ndarray | None] = [None] * len(entries)
        reasons: list[str] = []

        def decode(i: int) -> None:
            name, read = entries[i]
            try:
                pic = open_image(read())
                if max_side is not None:  # e.g. photos to the paintings' scale
                    pic = fit_side(pic, max_side)
                img = np.asarray(pic, dtype=np.uint8)
            except DataError as exc:
                reasons.append(f"{name}: {exc}")
                return
            if min(img.shape[:2]) < hr_size:
                reasons.append(f"{name}: {img.shape[1]}x{img.shape[0]} is smaller than a {hr_size} px crop")
                return
            images[i] = img

        done = 0
        with ThreadPoolExecutor(DECODE_THREADS) as pool:
            for _ in pool.map(decode, range(len(entries))):
                done += 1
                if progress is not None:
                    progress(done, len(entries))
        kept = [i for i, img in enumerate(images) if img is not None]
        self.images: list[np.ndarray] = [images[i] for i in kept]
        self.files = [entries[i][0] for i in kept]
        self.skipped, self.skipped_examples = len(entries) - len(kept), sorted(reasons)[:5]
        if not self.images:
            why = f" ({self.skipped_examples[0]})" if self.skipped_examples else ""
            raise DataError(f"no usable photos in {', '.join(self.sources)}: need images of at least "
                            f"{hr_size} px a side{why}")
        digest = hashlib.sha256()
        for name, img in zip(self.files, self.images):
            digest.update(f"{name}:{img.shape}".encode())
            digest.update(img.tobytes())
        self.content_hash = digest.hexdigest()[:16]
        pixels = sum(img.shape[0] * img.shape[1] for img in self.images)
        self.description = (f"{len(self.images)} photos ({pixels / 1e6:.1f} MP) from {', '.join(self.sources)}; "
                            f"random {hr_size} px HR crops, LR by PIL bicubic x{scale}"
                            + ((", random flips and 90-degree rotations" if rotate else ", random mirroring")
                               if augment else "")
                            + (f"; photos over {max_side} px a side shrunk to it" if max_side else ""))

    def __len__(self) -> int:
        return len(self.images)

    def crop(self, index: int, top: int, left: int, turn: int = 0) -> np.ndarray:
        """One HR crop (hr_size x hr_size x 3 uint8): rot90 `turn % 4` times, mirrored when turn >= 4."""
        s = self.hr_size
        patch = self.images[index][top:top + s, left:left + s]
        patch = np.rot90(patch, turn % 4)
        return np.ascontiguousarray(patch[:, ::-1] if turn >= 4 else patch)

    def pair(self, hr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(LR, HR) uint8 arrays of one HR crop: the benchmarks' degradation."""
        return bicubic_downscale(hr, self.scale), hr

    def batch(self, n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """`n` random pairs: LR (n, 3, s/scale, s/scale) and HR (n, 3, s, s), floats in [-1, 1].

        Draws, from `generator` only: a photo, a position and one of the eight
        flips/rotations per crop."""
        lrs, hrs = [], []
        for hr in self.random_crops(n, generator):
            lr, hr = self.pair(hr)
            lrs.append(lr)
            hrs.append(hr)
        return to_tensor(np.stack(lrs)), to_tensor(np.stack(hrs))

    def random_crops(self, n: int, generator: torch.Generator) -> list[np.ndarray]:
        """`n` random HR crops (uint8 hr_size x hr_size x 3), drawing a photo, a position
        and one of the eight flips/rotations per crop from `generator` only."""
        which = torch.randint(len(self.images), (n,), generator=generator).tolist()
        where = torch.rand(n, 2, generator=generator).tolist()
        turns = torch.randint(AUGMENTATIONS, (n,), generator=generator).tolist()
        out = []
        for i, (fy, fx), turn in zip(which, where, turns):
            h, w = self.images[i].shape[:2]
            top, left = int(fy * (h - self.hr_size + 1)), int(fx * (w - self.hr_size + 1))
            if not self.rotate:  # mirror only: skies stay up
                turn = 4 * (turn % 2)
            out.append(self.crop(i, top, left, turn if self.augment else 0))
        return out

    def fixed_pairs(self, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        """`n` pairs that never change: the centre crop of n photos spread over the set
        (what the run's sample rows and validation PSNR show)."""
        picks = np.linspace(0, len(self.images) - 1, min(n, len(self.images))).round().astype(int)
        lrs, hrs = [], []
        for i in picks:
            h, w = self.images[i].shape[:2]
            lr, hr = self.pair(self.crop(int(i), (h - self.hr_size) // 2, (w - self.hr_size) // 2))
            lrs.append(lr)
            hrs.append(hr)
        return to_tensor(np.stack(lrs)), to_tensor(np.stack(hrs))

    def summary(self) -> dict:
        return {"description": self.description, "images": len(self.images), "sources": self.sources,
                "skipped": self.skipped, "hr_size": self.hr_size, "scale": self.scale,
                "content_hash": self.content_hash}


def to_tensor(batch: np.ndarray) -> torch.Tensor:
    """uint8 (N, H, W, 3) -> float (N, 3, H, W) in [-1, 1]."""
    return from_uint8(torch.from_numpy(batch).permute(0, 3, 1, 2)).contiguous()


def _entries(sources: list[str]) -> list[tuple[str, Callable[[], bytes | str]]]:
    """(name, reader) of every image in the sources, in a fixed order."""
    out: list[tuple[str, Callable[[], bytes | str]]] = []
    for src in sources:
        path = Path(src).expanduser()
        if path.is_dir():
            found = _list_folder(path, None, None)[0]
        elif path.is_file() and path.suffix.lower() in (".zip", ".tar", ".gz", ".tgz"):
            found = _list_archive(path, None, None)[0]
        elif path.is_file():
            out.append((path.name, lambda p=str(path): p))
            continue
        else:
            raise DataError(f"{src} not found: give a folder of photos, an image or a .zip/.tar of them")
        out += [(f"{path.name}/{e.name}", e.read) for e in found]  # unsafe members fail when read: counted
    if not out:
        raise DataError(f"no images found in {', '.join(sources)}")
    return out


__all__ = ["SRPatches", "to_tensor"]
