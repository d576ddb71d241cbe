"""Super-resolution evaluation: PSNR and SSIM on the luma (Y) channel, the bicubic degradation.

The conventions are the SR literature's (SRCNN onwards, SRGAN's tables included):
  * measure on Y of ITU-R BT.601 YCbCr, computed as MATLAB's `rgb2ycbcr` does,
    Y in [16, 235], kept as floats (MATLAB rounds Y to uint8 for uint8 input;
    the difference is a few hundredths of a dB);
  * shave `border` pixels (usually the scale factor) off every side first,
    because resizers treat the image edge differently;
  * SSIM with an 11 x 11 Gaussian window, sigma 1.5, K1 = 0.01, K2 = 0.03,
    L = 255, 'valid' filtering (Wang et al. 2004, their reference code);
  * bicubic degradation with PIL's BICUBIC (a = -0.5, antialiased when
    shrinking), as Python SR evaluation code does. MATLAB's `imresize` uses
    the same kernel but rounds and pads differently, so bicubic baselines
    measured here differ from MATLAB tables by up to a few tenths of a dB.

Images are uint8 RGB, either H x W x 3 numpy arrays or PIL images. Bicubic enlarging,
the baseline, is `gan_core.pipelines.tiles.bicubic_upscale`.
"""
from __future__ import annotations

import math

import numpy as np
from PIL import Image


# BT.601 luma for R, G, B in [0, 1], as MATLAB rgb2ycbcr (offset 16, range 219).
_Y_WEIGHTS = np.array([65.481, 128.553, 24.966])
SSIM_WINDOW = 11
SSIM_SIGMA = 1.5
_C1 = (0.01 * 255) ** 2
_C2 = (0.03 * 255) ** 2


def _as_array(img) -> np.ndarray:
    """uint8 H x W x 3 array from a PIL image or an array (alpha and grey handled)."""
    if isinstance(img, Image.Image):
        img = np.asarray(img.convert("RGB"))
    arr = np.asarray(img)
    if arr.ndim != 3 or arr.shape[2] != 3:
        raise ValueError(f"expected an H x W x 3 RGB image, got shape {arr.shape}")
    if arr.dtype != np.uint8:
        raise ValueError(f"expected uint8 pixels in [0, 255], got {arr.dtype}")
    return arr


def rgb_to_y(img) -> np.ndarray:
    """Y (H x W, float64, in [16, 235]) of a uint8 RGB image.

    Y = 16 + 65.481 R + 128.553 G + 24.966 B with R, G, B in [0, 1] (MATLAB
    rgb2ycbcr), not rounded.
    """
    return 16.0 + (_as_array(img).astype(np.float64) / 255.0) @ _Y_WEIGHTS


def _shave(y: np.ndarray, border: int) -> np.ndarray:
    return y[border:-border, border:-border] if border > 0 else y


def _pair(sr, hr, border: int) -> tuple[np.ndarray, np.ndarray]:
    a, b = _as_array(sr), _as_array(hr)
    if a.shape != b.shape:
        raise ValueError(f"images differ in size: {a.shape} vs {b.shape}")
    if min(a.shape[:2]) <= 2 * border:
        raise ValueError(f"image {a.shape[1]}x{a.shape[0]} is too small for a border of {border}")
    return _shave(rgb_to_y(a), border), _shave(rgb_to_y(b), border)


def psnr_y(sr, hr, border: int = 4) -> float:
    """PSNR in dB on Y, peak 255, after shaving `border` pixels off each side.

    Identical images give `math.inf` (no cap: an infinite PSNR is the honest
    answer, and averaging code should notice it rather than absorb a made-up 100 dB).
    """
    a, b = _pair(sr, hr, border)
    mse = float(np.mean((a - b) ** 2))
    return math.inf if mse == 0 else 10.0 * math.log10(255.0 ** 2 / mse)


def _gaussian_window(size: int = SSIM_WINDOW, sigma: float = SSIM_SIGMA) -> np.ndarray:
    x = np.arange(size) - (size - 1) / 2
    g = np.exp(-(x ** 2) / (2 * sigma ** 2))
    return g / g.sum()  # 1-D; the 2-D window is its outer product (separable)


def _filter_valid(img: np.ndarray, g: np.ndarray) -> np.ndarray:
    """2-D 'valid' correlation with the separable window g (x) g."""
    k = len(g)
    rows = sum(g[i] * img[i:img.shape[0] - k + 1 + i, :] for i in range(k))
    return sum(g[i] * rows[:, i:rows.shape[1] - k + 1 + i] for i in range(k))


def ssim_y(sr, hr, border: int = 4) -> float:
    """Mean SSIM on Y in [16, 235] after shaving `border` pixels off each side.

    Gaussian window 11 x 11, sigma 1.5, C1 = (0.01 * 255)^2, C2 = (0.03 * 255)^2,
    statistics over 'valid' window positions only (Wang et al.'s ssim_index.m).
    """
    a, b = _pair(sr, hr, border)
    if min(a.shape) < SSIM_WINDOW:
        raise ValueError(f"image is smaller than the {SSIM_WINDOW}-pixel SSIM window after the border")
    g = _gaussian_window()
    mu_a, mu_b = _filter_valid(a, g), _filter_valid(b, g)
    var_a = _filter_valid(a * a, g) - mu_a ** 2
    var_b = _filter_valid(b * b, g) - mu_b ** 2
    cov = _filter_valid(a * b, g) - mu_a * mu_b
    ssim_map = ((2 * mu_a * mu_b + _C1) * (2 * cov + _C2)) / (
        (mu_a ** 2 + mu_b ** 2 + _C1) * (var_a + var_b + _C2))
    return float(ssim_map.mean())


def _like_input(arr: np.ndarray, original):
    """Return a PIL image when given one, an array otherwise."""
    return Image.fromarray(arr) if isinstance(original, Image.Image) else arr


def crop_to_multiple(img, scale: int):
    """Crop the bottom and right edges so that both sides are multiples of `scale`
    (what SR benchmarks do to HR images before degrading them)."""
    arr = _as_array(img)
    h, w = arr.shape[0] - arr.shape[0] % scale, arr.shape[1] - arr.shape[1] % scale
    if h == 0 or w == 0:
        raise ValueError(f"image {arr.shape[1]}x{arr.shape[0]} is smaller than the scale {scale}")
    return _like_input(np.ascontiguousarray(arr[:h, :w]), img)


def bicubic_downscale(img, scale: int):
    """Shrink by `scale` with PIL bicubic (antialiased): W x H -> W/scale x H/scale.

    Crop with `crop_to_multiple` first: sizes are rounded down otherwise."""
    arr = _as_array(img)
    out = Image.fromarray(arr).resize((arr.shape[1] // scale, arr.shape[0] // scale), Image.Resampling.BICUBIC)
    return out if isinstance(img, Image.Image) else np.asarray(out)


__all__ = ["rgb_to_y", "psnr_y", "ssim_y", "crop_to_multiple", "bicubic_downscale"]
