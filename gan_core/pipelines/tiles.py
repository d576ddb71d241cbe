"""Upscale a photo with a super-resolution network, tile by tile, seamlessly.

Any `model` mapping (N, 3, h, w) in [-1, 1] to (N, 3, scale*h, scale*w) in [-1, 1]
works (an `nn.Module` or a plain callable). The photo is cut into tiles of `tile`
px, each read with `overlap` px of context on every side (the photo is
reflect-padded, so border tiles have context too); the tiles' outputs are blended
with a raised-cosine window across each overlap, so no tile border shows.

>>> import torch.nn.functional as F
>>> from PIL import Image
>>> model = lambda x: F.interpolate(x, scale_factor=4, mode="bicubic", align_corners=False)
>>> upscale_image(model, Image.new("RGB", (37, 53), "teal"), tile=32, overlap=8).size
(148, 212)
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from PIL import Image

from gan_core.core.images import to_uint8
from gan_core.core.errors import ImageTooLargeError
from gan_core.data.image_set import read_image, upright_8bit

# Inputs over 4096 x 4096 (16.8 MP) are refused: at x4 that is a 268 MP, 805 MB
# result, past what a viewer, a browser or a PNG encoder handles comfortably.
MAX_INPUT_PIXELS = 4096 * 4096
FINISH_ROWS = 32  # HR rows normalised and pasted into the result at a time

ProgressFn = Callable[[int, int], None]


# ----------------------------------------------------------------------------- input


def _too_large(width: int, height: int, limit: int, scale: int) -> ImageTooLargeError:
    side = math.isqrt(limit)
    return ImageTooLargeError(
        f"image too large to upscale: {width}x{height} = {width * height:,} pixels, over the "
        f"limit of {limit:,} pixels (about {side}x{side}); the x{scale} result would be "
        f"{width * scale}x{height * scale}. Downscale it to at most {limit:,} pixels first.", width, height)


def _split(img: Image.Image) -> tuple[Image.Image, Image.Image | None, bool]:
    """(RGB, alpha or None, grayscale?) of an upright image of any mode. An upright RGB
    image comes back as itself, not a copy (a 12 MP photo is 48 MB): do not change it.

    Colours under transparent pixels are kept as stored, not composited: blending
    them with a background would leave halos along the alpha edges once upscaled."""
    img = upright_8bit(img)
    if img.mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    elif img.mode in ("PA", "RGBa", "La"):
        img = img.convert("RGBA" if img.mode != "La" else "LA")
    elif img.mode == "L" and "transparency" in img.info:
        img = img.convert("LA")
    elif img.mode == "RGB" and "transparency" in img.info:
        img = img.convert("RGBA")
    gray = img.mode in ("1", "L", "LA")
    alpha = img.getchannel("A") if img.mode in ("RGBA", "LA") else None
    return (img if img.mode == "RGB" else img.convert("RGB")), alpha, gray  # no copy of a 48 MB photo


def load_for_upscale(image: Image.Image | str | Path | bytes, *, scale: int = 4,
                     max_input_pixels: int = MAX_INPUT_PIXELS) -> tuple[Image.Image, Image.Image | None, bool]:
    """(RGB, alpha or None, grayscale?) of a PIL image, a path or file bytes.

    Paths and bytes are read once by `read_image`, which refuses empty, damaged and
    oversized files with a DataError and keeps the alpha channel. Raises
    ImageTooLargeError over `max_input_pixels`, before any pixel is decoded when given
    a file."""
    if isinstance(image, Image.Image):
        if image.width * image.height > max_input_pixels:
            raise _too_large(image.width, image.height, max_input_pixels, scale)
        return _split(image)
    try:
        return _split(read_image(image, max_pixels=max_input_pixels))
    except ImageTooLargeError as exc:  # say it with the upscaler's numbers
        raise _too_large(exc.width, exc.height, max_input_pixels, scale) from None


def _join(rgb: Image.Image, alpha: Image.Image | None, gray: bool) -> Image.Image:
    """Back to the input's mode family: L or LA for grayscale, RGB or RGBA otherwise."""
    if gray:
        rgb = rgb.convert("L")
    if alpha is not None:
        rgb.putalpha(alpha)  # in place when the mode already has alpha; else L->LA, RGB->RGBA
    return rgb


def output_mode(image: Image.Image) -> Image.Image:
    """An image of any mode (palette, CMYK, LAB, 16-bit, float...) in the mode family an
    upscaled result has: L, LA, RGB or RGBA, what a PNG shows everywhere."""
    return _join(*_split(image))


# ----------------------------------------------------------------------------- tiling


def tile_spans(length: int, tile: int) -> list[tuple[int, int]]:
    """Tile cores along one axis: `length` split into ceil(length / tile) near-equal
    spans, so no tile is a thin sliver (a sliver has little context, and the same
    tile size throughout keeps the network's work even)."""
    n = max(1, math.ceil(length / tile))
    cuts = [round(i * length / n) for i in range(n + 1)]
    return list(zip(cuts[:-1], cuts[1:]))


def _ramp(n: int, margin: int) -> torch.Tensor:
    """1-D blending weights for a window of `n` HR pixels whose first and last
    2*`margin` pixels overlap its neighbours.

    Across the 2*margin overlap the weight is 0 for the outer quarter (the network
    sees padding there and its output is least trustworthy), then rises as a raised
    cosine to 1 over the middle half. The rise is symmetric, f(t) + f(1 - t) = 1, so
    two neighbours' weights sum to 1 across their overlap."""
    if margin == 0:
        return torch.ones(n)
    d = torch.arange(n, dtype=torch.float32) + 0.5
    t = torch.minimum(d, n - d) / (2 * margin)  # distance to the nearer edge, in overlaps
    u = ((t - 0.25) / 0.5).clamp(0, 1)
    return 0.5 - 0.5 * torch.cos(math.pi * u)


def _padded_window(rgb: Image.Image, left: int, top: int, right: int, bottom: int) -> np.ndarray:
    """Pixels [top, bottom) x [left, right) of `rgb` as a uint8 H x W x 3 array, with
    the rows and columns outside the photo mirrored in (numpy's "reflect").

    Reflect padding gives border tiles real-looking context, so the network's own
    border behaviour (zero padding, darkened edges) falls in the discarded margin. Each
    window is cut from the photo as it is needed, so no padded copy of the whole photo
    is held. The part inside the photo always reaches one row past the pad (a window
    overlaps the photo by at least one tile row), so mirroring the cut equals mirroring
    the photo; np.pad mirrors repeatedly when the pad exceeds it, so tiny photos work."""
    inner = (max(left, 0), max(top, 0), min(right, rgb.width), min(bottom, rgb.height))
    cut = np.array(rgb.crop(inner), dtype=np.uint8)  # writable, as torch.from_numpy wants
    pad = ((inner[1] - top, bottom - inner[3]), (inner[0] - left, right - inner[2]), (0, 0))
    return np.pad(cut, pad, mode="reflect") if any(a or b for a, b in pad[:2]) else cut


def memory_estimate(width: int, height: int, *, scale: int = 4, tile: int = 128,
                    overlap: int = 16, alpha: bool = False) -> int:
    """Peak bytes `upscale_image` holds for a width x height input (beyond the model and
    the input itself).

    The result is the one full-size buffer: a PIL RGB/RGBA image, 4 bytes per pixel
    (Pillow pads RGB to 4). Tile outputs are accumulated in float32 over one band of
    tile rows only, allocated once and rolled in place (the blending weights are
    separable, so their sums are a row and a column vector, not a plane); each band's
    finished rows are normalised, converted to uint8 and pasted into the result,
    FINISH_ROWS rows at a time. A float32 sum and weight over the whole result would be
    16 bytes per pixel, 3 GB for a 4000x3000 photo. Each tile's input is cut from the
    photo when needed, so no padded copy of it is held. For 4000x3000 at x4, tile 128,
    overlap 16 this is about 0.9 GB: 768 MB result, 121 MB band, 24 MB while finishing
    rows; 1.1 GB with an alpha channel. The process adds the runtime's own (torch
    itself is about 500 MB resident; the network and its scratch, about 100 MB).

    >>> round(memory_estimate(4000, 3000) / 1e9, 1)
    0.9
    """
    hr_w, hr_h = width * scale, height * scale
    band_lr = max(b - a for a, b in tile_spans(height, tile)) + 2 * overlap
    band_w = (width + 2 * overlap) * scale
    result = hr_w * hr_h * 4
    band = band_lr * scale * band_w * 3 * 4 + (band_lr * scale + band_w) * 4  # float32 sums, weight vectors
    finishing = min(FINISH_ROWS, band_lr * scale) * hr_w * (3 * 4 * 3 + 3 + 4)  # weights, divide, clamp, uint8, strip
    alpha_bytes = hr_w * hr_h + width * height if alpha else 0  # bicubic alpha, L
    tile_bytes = (tile + 2 * overlap) ** 2 * 3 * 4 * (1 + scale * scale) * 3
    return result + band + finishing + alpha_bytes + tile_bytes


# ----------------------------------------------------------------------------- API


@torch.inference_mode()
def upscale_rgb(model, rgb: Image.Image, *, scale: int = 4, tile: int = 128, overlap: int = 16,
                device: str | torch.device = "cpu", progress_fn: ProgressFn | None = None,
                out_mode: str = "RGB") -> Image.Image:
    """Upscale an RGB PIL image with `model`, tile by tile (see `upscale_image`).
    `out_mode` "RGBA" makes room for an alpha channel without copying the result."""
    if scale < 1 or tile < 1 or overlap < 0:
        raise ValueError(f"scale and tile must be >= 1 and overlap >= 0 (got {scale}, {tile}, {overlap})")
    width, height = rgb.size
    o, s = overlap, scale
    rows, cols = tile_spans(height, tile), tile_spans(width, tile)
    total, done = len(rows) * len(cols), 0
    dtype = next((p.dtype for p in getattr(model, "parameters", lambda: iter(()))()
                  if p.is_floating_point()), torch.float32)
    was_training = getattr(model, "training", None)
    if was_training:
        model.eval()  # batch norm and dropout in inference mode; restored below
    result = Image.new(out_mode, (width * s, height * s))
    band_w = (width + 2 * o) * s
    # The blending weights are separable (w = wy x wx, the same wx for every tile row),
    # so their sum over tiles is too: a row vector and a column vector, not a float32
    # plane as large as the band.
    col_weight = torch.zeros(band_w)
    for x0, x1 in cols:
        col_weight[x0 * s:(x1 + 2 * o) * s] += _ramp((x1 - x0 + 2 * o) * s, o * s)
    # One band of HR rows, allocated once for the tallest row of tiles and rolled in
    # place: rows [band_top, band_top + filled) in padded coordinates.
    band_rows = max(y1 - y0 for y0, y1 in rows) * s + 2 * o * s
    acc = torch.zeros(3, band_rows, band_w)
    row_weight = torch.zeros(band_rows)
    band_top, filled = 0, 0
    try:
        for r, (y0, y1) in enumerate(rows):
            win_top, win_bot = y0 * s, (y1 + 2 * o) * s  # padded LR rows [y0, y1 + 2o)
            filled = max(filled, win_bot - band_top)
            wy = _ramp(win_bot - win_top, o * s)
            top = win_top - band_top
            row_weight[top:top + len(wy)] += wy
            for x0, x1 in cols:
                patch = torch.from_numpy(_padded_window(rgb, x0 - o, y0 - o, x1 + o, y1 + o))
                x = patch.permute(2, 0, 1)[None].to(device=device, dtype=dtype).div_(127.5).sub_(1)
                # A patch cut from the HWC array is channels-last already; this keeps it so
                # whatever the dtype cast did, as oneDNN's CPU convolutions prefer that layout.
                x = x.contiguous(memory_format=torch.channels_last)
                y = model(x)
                want = (1, 3, x.shape[2] * s, x.shape[3] * s)
                if tuple(y.shape) != want:
                    raise ValueError(f"the model turned a {tuple(x.shape)} tile into {tuple(y.shape)}, "
                                     f"expected {want}: is scale={s} right for this model?")
                w = wy[:, None] * _ramp(want[3], o * s)[None, :]
                left = x0 * s
                acc[:, top:top + want[2], left:left + want[3]].addcmul_(y[0].float().cpu(), w)
                done += 1
                if progress_fn is not None:
                    progress_fn(done, total)
            # Rows above the next window's top get no more contributions: finish them.
            finish = rows[r + 1][0] * s if r + 1 < len(rows) else band_top + filled
            n = finish - band_top
            lo, hi = max(band_top, o * s), min(finish, (height + o) * s)  # visible rows
            cols_vis = slice(o * s, (width + o) * s)
            for a in range(lo - band_top, hi - band_top, FINISH_ROWS):  # a few rows at a time: small copies
                b = min(a + FINISH_ROWS, hi - band_top)
                norm = (row_weight[a:b, None] * col_weight[None, cols_vis]).clamp_min_(1e-12)
                strip = acc[:, a:b, cols_vis] / norm
                result.paste(Image.fromarray(to_uint8(strip[None])[0], "RGB"), (0, band_top + a - o * s))
                del strip, norm
            # Roll: the unfinished rows (the next window's overlap) move to the top, the rest is cleared.
            keep = filled - n
            acc[:, :keep] = acc[:, n:filled].clone()
            acc[:, keep:].zero_()
            row_weight[:keep] = row_weight[n:filled].clone()
            row_weight[keep:].zero_()
            band_top, filled = finish, keep
    finally:
        if was_training:
            model.train()
    return result


def upscale_image(model, image: Image.Image | str | Path | bytes, *, scale: int = 4, tile: int = 128,
                  overlap: int = 16, device: str | torch.device = "cpu",
                  max_input_pixels: int = MAX_INPUT_PIXELS,
                  progress_fn: ProgressFn | None = None) -> Image.Image:
    """Upscale a photo `scale` times with a super-resolution `model`.

    `image`: a PIL image, a path or file bytes (files are checked by `open_image`).
    EXIF orientation is applied; 16-bit, palette and CMYK images are converted.
    The result keeps the input's mode family: RGB for colour, L for grayscale
    (the network sees the gray replicated to RGB; its output is turned back to luma),
    RGBA / LA with the alpha channel upscaled by bicubic and re-attached.

    `model` runs on tiles of `tile` px with `overlap` px of context per side, one
    tile at a time, under inference mode, on `device` (where the model must already
    be). `progress_fn(done, total)` is called after each tile. Peak memory is about
    `memory_estimate(width, height)`: 0.9 GB for a 4000x3000 photo.

    Raises ImageTooLargeError (a ValueError) over `max_input_pixels`.

    >>> import torch.nn as nn
    >>> from PIL import Image
    >>> up = upscale_image(nn.Upsample(scale_factor=4), Image.new("LA", (10, 7)), tile=8)
    >>> up.mode, up.size
    ('LA', (40, 28))
    """
    rgb, alpha, gray = load_for_upscale(image, scale=scale, max_input_pixels=max_input_pixels)
    out = upscale_rgb(model, rgb, scale=scale, tile=tile, overlap=overlap, device=device,
                      progress_fn=progress_fn, out_mode="RGBA" if alpha is not None and not gray else "RGB")
    del rgb
    if alpha is not None:
        alpha = alpha.resize(out.size, Image.Resampling.BICUBIC)
    return _join(out, alpha, gray)


def bicubic_upscale(image: Image.Image | np.ndarray | str | Path | bytes, scale: int = 4, *,
                    max_input_pixels: int = MAX_INPUT_PIXELS) -> Image.Image | np.ndarray:
    """The same photo enlarged with plain bicubic interpolation (PIL's, a = -0.5): the
    baseline every super-resolution method is compared to, with `upscale_image`'s input
    handling and output mode. A uint8 H x W x 3 array gives an array.

    >>> from PIL import Image
    >>> bicubic_upscale(Image.new("RGB", (37, 53)), 4).size
    (148, 212)
    """
    if isinstance(image, np.ndarray):
        return np.asarray(bicubic_upscale(Image.fromarray(image), scale, max_input_pixels=max_input_pixels))
    rgb, alpha, gray = load_for_upscale(image, scale=scale, max_input_pixels=max_input_pixels)
    size = (rgb.width * scale, rgb.height * scale)
    out = rgb.resize(size, Image.Resampling.BICUBIC)
    return _join(out, alpha.resize(size, Image.Resampling.BICUBIC) if alpha is not None else None, gray)
