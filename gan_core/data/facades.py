"""The CMP facades: rectified building photos with per-pixel class labels.

The data behind "forgetting to draw windows" (DCGAN paper, section 6.1): a facade
generator to ablate, and window masks to train the detector that tells whether a
generated facade still has windows (gan_core.pipelines.detector).

A data folder holds `photos/` and `labels/`: 256x256 JPEGs under the same file
names. A label map paints each class in one colour (PALETTE); the maps are JPEGs,
so edges and thin parts carry compression noise of tens of levels, and each pixel
is taken as the nearest palette colour.

The split is fixed by file name alone: a facade is held out when the first 32 bits
of the SHA-256 of its file name (`12.jpg`) are divisible by 8 (HELD_OUT_EVERY), i.e.
about one in eight, 49 of the 400 pix2pix facades. The rule needs no list and does
not move when files are added or missing.

>>> photos, masks, names = read_facades("../shared/data/facades", split="train")   # doctest: +SKIP
>>> photos.shape, masks.shape      # (351, 3, 256, 256) uint8, (351, 256, 256) bool  # doctest: +SKIP
>>> x, m = facade_crops(photos, masks, size=64, crops_per_image=8)                 # doctest: +SKIP

From the command line, a packed set of 64 px crops for `gan_core train`:

    python -m gan_core facades pack --data ../shared/data/facades --size 64 --crops 8 \\
        --split all --out data_pack/facades64.zip
    python -m gan_core train --model dcgan64 --data data_pack/facades64.zip --flip --out runs/facades
"""
from __future__ import annotations

import argparse
import hashlib
import re
import shlex
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from gan_core.data.image_set import IMAGE_EXTENSIONS, DataError, ImageSet, content_hash, open_image

# CMP facade classes and their label colours, in CMP's class order (measured from flat
# regions of the label maps; checked by eye against photos: windows are the (0, 128, 255)
# rectangles, blinds the yellow bars over them, shops the dark red band at street level).
PALETTE: tuple[tuple[str, tuple[int, int, int]], ...] = (
    ("background", (0, 0, 222)),
    ("facade", (0, 48, 255)),
    ("window", (0, 128, 255)),
    ("door", (0, 207, 255)),
    ("cornice", (32, 255, 224)),
    ("sill", (112, 254, 142)),
    ("balcony", (192, 255, 63)),
    ("blind", (255, 240, 0)),
    ("deco", (255, 159, 0)),
    ("molding", (255, 80, 0)),
    ("pillar", (254, 0, 0)),
    ("shop", (174, 0, 0)),
)
CLASS_NAMES = tuple(name for name, _ in PALETTE)
WINDOW = CLASS_NAMES.index("window")
PHOTO_SIZE = 256  # every CMP facade photo and label map is 256x256 (other square sizes are read too)
HELD_OUT_EVERY = 8  # about one facade in eight is held out (see the module docstring)
SPLITS = ("train", "held-out", "all")
# A crop's side is drawn from this fraction of the photo's side: at half the side a
# 64 px crop still shows a few whole windows, at the full side it is the whole facade.
CROP_SIDE = (0.5, 1.0)


def is_held_out(name: str) -> bool:
    """Whether the facade with this file name (`12.jpg`, no folder) is in the held-out split."""
    return int(hashlib.sha256(name.encode()).hexdigest()[:8], 16) % HELD_OUT_EVERY == 0


def decode_labels(rgb: np.ndarray | torch.Tensor) -> torch.Tensor:
    """Class indices (int64, (..., H, W)) of a colour label map (uint8, (..., H, W, 3)):
    each pixel becomes the class of the nearest palette colour (squared RGB distance),
    which undoes JPEG noise of any size short of half the gap between two colours."""
    x = torch.as_tensor(np.array(rgb, dtype=np.int32))  # a copy: PIL arrays are read-only
    palette = torch.tensor([c for _, c in PALETTE], dtype=torch.int32)       # (12, 3)
    # |x - p|^2 = |x|^2 - 2 x.p + |p|^2; |x|^2 is the same for every p, so it is left out
    score = x.reshape(-1, 3) @ palette.T * 2 - (palette ** 2).sum(1)         # (pixels, 12)
    return score.argmax(1).reshape(x.shape[:-1]).long()


def _natural_key(name: str) -> tuple:
    """`2.jpg` before `10.jpg`."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name))


def facade_names(root: str | Path, split: str = "all") -> list[str]:
    """File names present in both photos/ and labels/ of `root`, in natural order."""
    if split not in SPLITS:
        raise DataError(f"split must be one of {', '.join(SPLITS)}, not {split!r}")
    root = Path(root).expanduser()
    photos, labels = root / "photos", root / "labels"
    if not photos.is_dir() or not labels.is_dir():
        raise DataError(f"{root} must hold photos/ and labels/ folders (the CMP facades layout)")
    names = sorted((p.name for p in photos.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS
                    and (labels / p.name).is_file()), key=_natural_key)
    if split != "all":
        names = [n for n in names if is_held_out(n) == (split == "held-out")]
    if not names:
        raise DataError(f"no photo/label pairs of split {split!r} in {root} (a photo and a label map "
                        "of the same file name)")
    return names


def read_facades(root: str | Path, split: str = "all", classes: bool = False
                 ) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
    """Photos uint8 (N, 3, 256, 256), window masks bool (N, 256, 256) and file names (natural order).

    split: "train", "held-out" or "all" (see is_held_out).
    classes: return the class index map int64 (N, 256, 256) (see CLASS_NAMES) in place
        of the window mask.
    Raises DataError for a missing folder, an unreadable file, a photo and label map of
    different sizes, or photos that are not squares of one size."""
    root = Path(root).expanduser()
    names = facade_names(root, split)

    def read(name: str) -> tuple[np.ndarray, torch.Tensor]:
        try:
            photo = np.asarray(open_image(root / "photos" / name))
            label = np.asarray(open_image(root / "labels" / name))
        except DataError as exc:
            raise DataError(f"{root}/{{photos,labels}}/{name}: {exc}") from None
        if photo.shape != label.shape:
            raise DataError(f"{name}: photo {photo.shape[1]}x{photo.shape[0]} and label map "
                            f"{label.shape[1]}x{label.shape[0]} differ in size")
        return photo.transpose(2, 0, 1), decode_labels(label)

    with ThreadPoolExecutor(2) as pool:  # PIL decodes outside the GIL
        pairs = list(pool.map(read, names))
    sizes = {p.shape for p, _ in pairs}
    if len(sizes) > 1 or pairs[0][0].shape[1] != pairs[0][0].shape[2]:
        raise DataError(f"the photos of {root} must be squares of one size (CMP's are {PHOTO_SIZE}x{PHOTO_SIZE}); "
                        f"found {', '.join(f'{w}x{h}' for _, h, w in sorted(sizes))}")
    photos = torch.from_numpy(np.stack([p for p, _ in pairs]))                # (N, 3, 256, 256) uint8
    maps = torch.stack([m for _, m in pairs])                                 # (N, 256, 256) int64
    return photos, (maps if classes else maps == WINDOW), names


def crop_boxes(n: int, side: int, crops_per_image: int, seed: int = 0) -> torch.Tensor:
    """(n, crops_per_image, 3) int64 boxes (top, left, crop side) in a `side` square:
    the first crop of each image is the whole image, the others are squares whose side
    is uniform in CROP_SIDE of `side`, placed uniformly."""
    g = torch.Generator().manual_seed(seed)
    lo, hi = CROP_SIDE
    s = (side * (lo + (hi - lo) * torch.rand(n, crops_per_image, generator=g))).round().long()
    s[:, 0] = side
    top = (torch.rand(n, crops_per_image, generator=g) * (side - s + 1)).long()
    left = (torch.rand(n, crops_per_image, generator=g) * (side - s + 1)).long()
    return torch.stack([top, left, s], -1)


def facade_crops(photos: torch.Tensor, masks: torch.Tensor, size: int = 64, crops_per_image: int = 8,
                 seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Square crops resized to `size`: uint8 photos (N * k, 3, size, size) and bool masks
    (N * k, size, size), k = crops_per_image, image i's crops at rows i*k ... i*k+k-1.

    The first crop of each image is the whole image, the others random (crop_boxes),
    the same for the same seed. Photos are resized by area averaging (no aliasing of
    brick and window patterns); a mask pixel is set where over half of its area is window.
    """
    if photos.ndim != 4 or masks.shape != (photos.shape[0], *photos.shape[2:]):
        raise ValueError(f"photos (N, 3, H, W) and masks (N, H, W) expected, got {tuple(photos.shape)} "
                         f"and {tuple(masks.shape)}")
    n, _, h, w = photos.shape
    boxes = crop_boxes(n, min(h, w), crops_per_image, seed)
    out_x = torch.empty(n * crops_per_image, 3, size, size, dtype=torch.uint8)
    out_m = torch.empty(n * crops_per_image, size, size, dtype=torch.bool)
    for i in range(n):
        for k, box in enumerate(boxes[i].tolist()):
            x, m = crop_resize(photos[i], masks[i], box, size)
            out_x[i * crops_per_image + k] = x.round_().clamp_(0, 255).byte()
            out_m[i * crops_per_image + k] = m
    return out_x, out_m


def crop_resize(photo: torch.Tensor, mask: torch.Tensor, box: tuple[int, int, int], size: int
                ) -> tuple[torch.Tensor, torch.Tensor]:
    """One square crop `box` = (top, left, side) of a photo (3, H, W) and its mask (H, W),
    resized by area averaging: float photo (3, size, size) in the photo's units, and a
    bool mask (size, size), set where over half of a pixel's area is set."""
    top, left, s = box
    x = photo[None, :, top:top + s, left:left + s].float()                   # (1, 3, s, s)
    m = mask[None, None, top:top + s, left:left + s].float()                 # (1, 1, s, s)
    return F.interpolate(x, (size, size), mode="area")[0], F.interpolate(m, (size, size), mode="area")[0, 0] > 0.5


def resize_facades(photos: torch.Tensor, masks: torch.Tensor, size: int = 64) -> tuple[torch.Tensor, torch.Tensor]:
    """Whole photos and masks resized to `size` (each image's crop 0 of facade_crops):
    uint8 (N, 3, size, size) and bool (N, size, size). How held-out facades are scored."""
    x = F.interpolate(photos.float(), (size, size), mode="area").round_().clamp_(0, 255).byte()
    m = F.interpolate(masks[:, None].float(), (size, size), mode="area")[:, 0] > 0.5
    return x, m


def crop_set(root: str | Path, size: int = 64, crops_per_image: int = 8, split: str = "all",
             seed: int = 0) -> ImageSet:
    """The facades' crops as an ImageSet (files `12_c3.jpg`: crop 3 of 12.jpg), for
    data.pack_images and `gan_core train`."""
    photos, masks, names = read_facades(root, split)
    images, _ = facade_crops(photos, masks, size, crops_per_image, seed)
    files = [f"{Path(n).stem}_c{k}.jpg" for n in names for k in range(crops_per_image)]
    return ImageSet(images=images, files=files,
                    description=f"CMP facades ({Path(root).name}, split {split}): {len(names)} photos x "
                                f"{crops_per_image} crops (seed {seed}) = {len(files)} images at {size}x{size}",
                    content_hash=content_hash(images))


# ----------------------------------------------------------------------------- command line

EPILOG = """\
examples:
  # every facade, 8 crops each (the first the whole facade), 64 px: data for a facade GAN
  python -m gan_core facades pack --data ../shared/data/facades --size 64 --crops 8 --split all \\
      --out data_pack/facades64.zip
  python -m gan_core train --model dcgan64 --data data_pack/facades64.zip --flip --out runs/facades

  # the window detector, trained on the train split, scored on the held-out facades
  python -m gan_core facades detector --data ../shared/data/facades --out checkpoints/window-detector \\
      --steps 2500 --threads 1
"""


def _parser(prog: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description="CMP facades: packed crops for a facade GAN, and a "
                                "window detector trained on the label maps.",
                                epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    k = sub.add_parser("pack", help="write facade crops as a .zip of JPEGs for `gan_core train --data`",
                       description="Random square crops of the facade photos (the first of each the whole "
                                   "photo), resized by area averaging, written with data.pack_images.")
    k.add_argument("--data", required=True, metavar="FOLDER", help="folder with photos/ and labels/")
    k.add_argument("--size", type=int, default=64, help="crop size in pixels (64)")
    k.add_argument("--crops", type=int, default=8, metavar="K", help="crops per photo, the first the whole photo (8)")
    k.add_argument("--split", choices=SPLITS, default="all",
                   help="train, held-out or all (default; a GAN may see every facade)")
    k.add_argument("--seed", type=int, default=0, help="seed of the crop boxes (0)")
    k.add_argument("--quality", type=int, default=92, help="JPEG quality (92)")
    k.add_argument("--out", required=True, help="the .zip to write")

    d = sub.add_parser("detector", help="train the window detector and score it on the held-out facades",
                       description="A tiny U-Net (gan_core/pipelines/detector.py; gan_core/training/detector.py trains "
                                   "it) trained on random crops of the "
                                   "train split's facades; window IoU on the held-out facades, each resized "
                                   "whole to 64 px; weights and a card written to --out.")
    d.add_argument("--data", required=True, metavar="FOLDER", help="folder with photos/ and labels/")
    d.add_argument("--out", required=True, help="folder for detector.safetensors and model_card.json")
    d.add_argument("--steps", type=int, default=2500, help="optimisation steps (2500)")
    d.add_argument("--batch-size", type=int, default=16, help="crops a step (16)")
    d.add_argument("--lr", type=float, default=2e-3, help="Adam learning rate (2e-3, cosine decay to 0)")
    d.add_argument("--width", type=int, default=16, help="channels of the first level; x2, x4 below (16)")
    d.add_argument("--seed", type=int, default=0)
    d.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice; on a CPU shared with "
                   "other jobs, 1 can be several times faster than 2)")
    d.add_argument("--hardware-note", help="words added to the card's hardware line (e.g. shared with other runs)")
    return p


def main(argv: list[str] | None = None, prog: str = "python -m gan_core facades") -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = _parser(prog).parse_args(argv)
    command = " ".join(shlex.quote(a) for a in ["python", "-m", "gan_core", "facades", *argv])
    from gan_core.cli import run_reporting_errors

    return run_reporting_errors(lambda: _pack(args) if args.command == "pack" else _detector(args, command))


def _pack(args) -> int:
    from gan_core.data.image_set import pack_images

    if args.size < 8 or args.crops < 1:
        raise ValueError("--size must be at least 8 and --crops at least 1")
    ds = crop_set(args.data, args.size, args.crops, args.split, args.seed)
    path = pack_images(ds, args.out, quality=args.quality)
    print(f"wrote {len(ds)} images ({path.stat().st_size / 2**20:.1f} MB) to {path}: {ds.description}")
    return 0


def _detector(args, command: str) -> int:
    from gan_core.training.detector import save_detector, train_window_detector

    if args.threads:
        torch.set_num_threads(args.threads)
    detector, report = train_window_detector(args.data, steps=args.steps, batch_size=args.batch_size, lr=args.lr,
                                             width=args.width, seed=args.seed,
                                             log=lambda message: print(message, file=sys.stderr))
    save_detector(args.out, detector, report, command=command, hardware_note=args.hardware_note)
    print(f"held-out window IoU {report.metrics['held_out_iou']:.3f} (every pixel called window: "
          f"{report.metrics['all_window_iou']:.3f}); written to {args.out}")
    return 0
