"""Does a picture look painted? The share of pictures the photo-or-painting judge calls paintings.

The judge (gan_core.training.painting_judge, shipped as `photo-or-painting`) scores CROP px
crops; a picture's score is the mean over a grid of up to GRID x GRID crops spread over it
(at the judge's working scale, its longer side shrunk to MAX_SIDE px), and it is called a
painting when that mean is over 0.5. What it can see: texture, edges and strokes of the
training paintings' kind (colour is jittered and often removed in its training). What it
cannot: another painter's style, or whether the picture is beautiful. A share is read
beside its control, the same photos through `photo_filter` (a cool cast and a soft focus,
which paints nothing): a style model that scores no higher than the filter has not shown
that it paints.

>>> import gan_core
>>> judge = gan_core.load("photo-or-painting").classifier                   # doctest: +SKIP
>>> painting_share(judge, [painting_1, photo_1])                            # doctest: +SKIP
0.5
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from PIL import Image, ImageFilter

from gan_core.core.images import fit_side, from_uint8
from gan_core.pipelines.style import MAX_SIDE  # the style model's working scale

CROP = 128
GRID = 4  # crops per side, spread evenly (overlapping when the picture is small)
PAINTING = "painting"
PAINTED = 0.5  # a mean crop probability over this is a painting
FILTER_BLUR = 1.5  # px, the control filter's Gaussian
FILTER_CAST = ((0.85, 0.95, 1.15), (0, 10, 30))  # the control filter's per-channel gain and offset (0-255)


def _as_array(picture: Image.Image | np.ndarray) -> np.ndarray:
    """uint8 H x W x 3 at the judge's scale (the longer side at most MAX_SIDE px)."""
    if isinstance(picture, np.ndarray):
        picture = Image.fromarray(picture)
    picture = picture.convert("RGB")
    picture = fit_side(picture, MAX_SIDE)
    if min(picture.size) < CROP:  # too small for one crop: enlarged to it
        k = CROP / min(picture.size)
        picture = picture.resize((max(CROP, round(picture.width * k)), max(CROP, round(picture.height * k))),
                                 Image.Resampling.BICUBIC)
    return np.asarray(picture, dtype=np.uint8)


def grid_crops(picture: np.ndarray) -> torch.Tensor:
    """(GRID^2, 3, CROP, CROP) uint8 crops spread evenly over the picture."""
    h, w = picture.shape[:2]
    tops = np.linspace(0, h - CROP, GRID).round().astype(int)
    lefts = np.linspace(0, w - CROP, GRID).round().astype(int)
    crops = [picture[t:t + CROP, l:l + CROP] for t in tops for l in lefts]
    return torch.from_numpy(np.stack(crops)).permute(0, 3, 1, 2).contiguous()


@torch.no_grad()
def painting_probabilities(judge, pictures: Sequence[Image.Image | np.ndarray]) -> torch.Tensor:
    """(N,) each picture's mean "painting" probability over its crops. `judge` is the
    AttributeClassifier of `photo-or-painting`."""
    was_training = judge.training
    judge.eval()
    device = next(judge.parameters()).device
    index = judge.names.index(PAINTING)
    out = []
    for picture in pictures:
        x = from_uint8(grid_crops(_as_array(picture))).to(device)
        out.append(torch.sigmoid(judge(x)[:, index].float()).mean().cpu())
    judge.train(was_training)
    return torch.stack(out) if out else torch.empty(0)


def photo_filter(picture: Image.Image | np.ndarray) -> Image.Image:
    """The control: `picture` with a cool colour cast and a FILTER_BLUR px Gaussian blur, the
    look a style model gets for free by shifting the palette and softening detail. (The first
    shipped judge, trained without blurred photos, called all 68 BSD68 photos so filtered
    paintings.)"""
    a = np.asarray(picture.convert("RGB") if isinstance(picture, Image.Image) else picture, dtype=np.float32)
    gain, offset = FILTER_CAST
    cast = Image.fromarray((a * np.float32(gain) + np.float32(offset)).clip(0, 255).astype(np.uint8))
    return cast.filter(ImageFilter.GaussianBlur(FILTER_BLUR))


def painting_share(judge, pictures: Sequence[Image.Image | np.ndarray]) -> float:
    """The share of `pictures` the judge calls paintings (mean crop probability over PAINTED)."""
    probs = painting_probabilities(judge, pictures)
    return float((probs > PAINTED).float().mean()) if len(probs) else float("nan")


__all__ = ["painting_probabilities", "painting_share", "photo_filter", "grid_crops", "CROP", "PAINTED", "PAINTING"]
