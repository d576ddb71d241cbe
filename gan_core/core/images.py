"""Tensors <-> pictures: image grids and PIL conversion."""
from __future__ import annotations

import math

import numpy as np
import torch
from PIL import Image


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """(N, 3, H, W) floats, about [-1, 1] -> (N, H, W, 3) uint8, clamped and rounded.

    One float32 copy is made and worked on in place: the tiled upscaler converts bands
    of a large result this way, and its memory bound counts on no second copy."""
    x = images.detach().to("cpu", torch.float32, copy=True)
    x.clamp_(-1, 1).add_(1).mul_(127.5).round_()
    return x.to(torch.uint8).permute(0, 2, 3, 1).numpy()


def from_uint8(images: torch.Tensor) -> torch.Tensor:
    """uint8 pixels (0..255) -> float32 in [-1, 1], x / 127.5 - 1: the value range every net
    here takes and gives. A new tensor; one that is float already is taken as in [-1, 1]
    and only made float32. The inverse of `to_uint8`, up to rounding."""
    if images.dtype != torch.uint8:
        return images.float()
    return images.to(torch.float32).div_(127.5).sub_(1.0)


def to_pil(images: torch.Tensor) -> list[Image.Image]:
    return [Image.fromarray(a) for a in to_uint8(images)]


def make_grid(images: torch.Tensor, nrow: int | None = None, padding: int = 2, pad_value: int = 255) -> Image.Image:
    """A grid of (N, 3, H, W) images in [-1, 1], `nrow` per row (default: square)."""
    arr = to_uint8(images)
    n, h, w, _ = arr.shape
    nrow = nrow or max(1, math.ceil(math.sqrt(n)))
    rows = math.ceil(n / nrow)
    out = np.full((rows * (h + padding) + padding, nrow * (w + padding) + padding, 3), pad_value, np.uint8)
    for i in range(n):
        r, c = divmod(i, nrow)
        y, x = padding + r * (h + padding), padding + c * (w + padding)
        out[y:y + h, x:x + w] = arr[i]
    return Image.fromarray(out)


def fit_within(image: Image.Image, max_pixels: int) -> Image.Image:
    """`image` shrunk (Lanczos, aspect kept) to at most `max_pixels` pixels; unchanged when
    it already fits.

    >>> fit_within(Image.new("RGB", (1000, 500)), 100 * 100).size
    (141, 70)
    """
    if image.width * image.height <= max_pixels:
        return image
    factor = (max_pixels / (image.width * image.height)) ** 0.5
    size = (max(1, int(image.width * factor)), max(1, int(image.height * factor)))
    return image.resize(size, Image.Resampling.LANCZOS)


def fit_side(image: Image.Image, max_side: int) -> Image.Image:
    """`image` shrunk (Lanczos, aspect kept) so that its longer side is at most `max_side`
    pixels (a model's working scale); unchanged when it already fits.

    >>> fit_side(Image.new("RGB", (1024, 683)), 480).size
    (480, 320)
    """
    if max(image.size) <= max_side:
        return image
    k = max_side / max(image.size)
    return image.resize((round(image.width * k), round(image.height * k)), Image.Resampling.LANCZOS)


def most_detailed_box(image: Image.Image, side: int, step: int = 4) -> tuple[int, int, int, int]:
    """The `side` x `side` box (left, top, right, bottom) of `image` with the most detail:
    the largest sum of gradient magnitudes of its brightness, searched on a grid of `step`
    px (so a box drawn from it stays on a x`step` image's pixel grid). Where a zoomed crop
    of an upscaled photo shows what a method does: texture and edges, not a flat shirt.

    >>> im = Image.new("L", (64, 48), 128)
    >>> im.paste(0, (40, 30, 50, 40))                      # one dark square: the only detail
    >>> most_detailed_box(im, 16)
    (36, 28, 52, 44)
    """
    side = min(side, image.width, image.height)
    grey = np.asarray(image.convert("L"), np.float32)
    detail = np.zeros_like(grey)
    detail[:, 1:] += np.abs(np.diff(grey, axis=1))
    detail[1:, :] += np.abs(np.diff(grey, axis=0))
    total = np.pad(detail.cumsum(0).cumsum(1), ((1, 0), (1, 0)))  # summed-area table
    tops = np.arange(0, image.height - side + 1, step)
    lefts = np.arange(0, image.width - side + 1, step)
    sums = (total[tops[:, None] + side, lefts[None, :] + side] - total[tops[:, None], lefts[None, :] + side]
            - total[tops[:, None] + side, lefts[None, :]] + total[tops[:, None], lefts[None, :]])
    i, j = np.unravel_index(int(np.argmax(sums)), sums.shape)
    top, left = int(tops[i]), int(lefts[j])
    return left, top, left + side, top + side
