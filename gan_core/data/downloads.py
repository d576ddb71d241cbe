"""Public data sets fetched through torchvision, for machines that are online.

>>> from gan_core.data.downloads import fetch_cifar10
>>> fetch_cifar10("frogs.zip", classes=["frog"])                # doctest: +SKIP
PosixPath('frogs.zip')

The result is a zip of PNGs in class folders (`train/frog/00017.png`), the layout
`gan_core.data.image_set.load_images` reads, so a run trained on it resumes and reproduces
offline. torchvision keeps the downloaded archive in `cache` (checked against its
MD5) and reads CIFAR-10's batches with pickle: only that verified archive is
unpickled, never anything a user supplies.
"""
from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

from gan_core.core.checkpoints import atomic_write
from gan_core.core.errors import DataError

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def default_download_cache() -> Path:
    return Path.home() / ".cache" / "gan_core" / "downloads"


def _plain_reason(exc: BaseException) -> str:
    """Why a download failed, as plain words for a person: urllib's `<urlopen error [Errno -3]
    Temporary failure in name resolution>` becomes `[Errno -3] Temporary failure in name
    resolution`; no angle brackets (a web page reads them as a tag), no folder of this machine."""
    reason = getattr(exc, "reason", None) or exc
    text = str(reason) or type(exc).__name__
    text = re.sub(r"(?<![\w.~:/\\-])(?:[A-Za-z]:)?(?:[\w.~-]*[\\/])+(?=[\w.-])", "", text)  # paths -> names
    text = " ".join(text.replace("<", " ").replace(">", " ").split())
    return text if len(text) <= 160 else text[:159] + "…"


def fetch_cifar10(dest: str | Path, classes: list[str] | None = None, split: str = "train",
                  cache: str | Path | None = None, dataset_cls=None) -> Path:
    """CIFAR-10's `split` ("train": 50,000 images, "test": 10,000), only `classes`
    if given, written to `dest` as a zip of PNGs. DataError when it cannot be had."""
    unknown = sorted(set(classes or []) - set(CIFAR10_CLASSES))
    if unknown:
        raise DataError(f"CIFAR-10 has no class {', '.join(unknown)}; its classes: {', '.join(CIFAR10_CLASSES)}")
    if split not in ("train", "test"):
        raise DataError(f"CIFAR-10 splits are 'train' and 'test', not {split!r}")
    if dataset_cls is None:
        try:
            from torchvision.datasets import CIFAR10 as dataset_cls
        except Exception as exc:  # torchvision missing, or built for another torch
            raise DataError(f"CIFAR-10 download needs torchvision, which does not import here ({exc})") from None
    cache = Path(cache) if cache is not None else default_download_cache()
    try:
        ds = dataset_cls(root=str(cache), train=split == "train", download=True)
    except Exception as exc:  # URLError, timeouts, checksum mismatch: all mean "not available now"
        raise DataError(f"CIFAR-10 could not be downloaded ({_plain_reason(exc)}); this machine may be offline. "
                        "Upload a .zip of images instead, or use the built-in shapes") from None
    data = np.asarray(ds.data, dtype=np.uint8)
    targets = np.asarray(ds.targets)
    wanted = [CIFAR10_CLASSES.index(c) for c in classes] if classes else range(len(CIFAR10_CLASSES))
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)

    def write(tmp: str) -> None:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as zf:  # PNGs do not compress further
            for i in np.flatnonzero(np.isin(targets, list(wanted))):
                buf = io.BytesIO()
                Image.fromarray(data[i]).save(buf, "PNG")
                zf.writestr(f"{split}/{CIFAR10_CLASSES[targets[i]]}/{i:05d}.png", buf.getvalue())

    atomic_write(dest, write)
    return dest
