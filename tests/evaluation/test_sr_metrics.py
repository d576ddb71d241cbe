"""The super-resolution metrics (gan_core.evaluation.sr_metrics): PSNR-Y, SSIM-Y, crops and sizes."""
from __future__ import annotations

import math

import numpy as np
import pytest
from PIL import Image

from gan_core.evaluation.sr_metrics import bicubic_downscale, crop_to_multiple, psnr_y, rgb_to_y, ssim_y
from gan_core.pipelines.tiles import bicubic_upscale


# ---- metrics ----------------------------------------------------------------------------------------

def flat(value, h: int = 32, w: int = 32) -> np.ndarray:
    return np.full((h, w, 3), value, np.uint8)


def test_rgb_to_y_known_colours():
    colours = {(0, 0, 0): 16.0, (255, 255, 255): 235.0, (255, 0, 0): 16 + 65.481,
               (0, 255, 0): 16 + 128.553, (0, 0, 255): 16 + 24.966}
    for rgb, y in colours.items():
        assert rgb_to_y(flat(rgb, 2, 3)) == pytest.approx(np.full((2, 3), y))
    assert rgb_to_y(Image.fromarray(flat((255, 0, 0)))).shape == (32, 32)  # PIL works too


def test_psnr_identical_is_inf():
    img = np.random.default_rng(0).integers(0, 256, (40, 40, 3), dtype=np.uint8)
    assert psnr_y(img, img) == math.inf


def test_psnr_of_known_error_matches_formula():
    # Every channel off by +-5 on a grey image: Y is off by 5 * 219/255 everywhere.
    hr = flat(128, 40, 40)
    sign = np.where(np.indices((40, 40)).sum(0) % 2 == 0, 5, -5)[..., None]
    sr = (hr.astype(int) + sign).astype(np.uint8)
    expected = 20 * math.log10(255 / (5 * 219 / 255))
    assert psnr_y(sr, hr) == pytest.approx(expected, abs=1e-9)
    assert psnr_y(Image.fromarray(sr), Image.fromarray(hr), border=0) == pytest.approx(expected, abs=1e-9)


def test_ssim_identical_one_and_different_low():
    rng = np.random.default_rng(1)
    x = np.linspace(0, 255, 48)
    grad = np.stack([np.add.outer(x, x) / 2] * 3, -1).astype(np.uint8)
    assert ssim_y(grad, grad) == pytest.approx(1.0)
    noise = rng.integers(0, 256, grad.shape, dtype=np.uint8)
    assert ssim_y(noise, grad) < 0.5
    slightly = np.clip(grad.astype(int) + rng.integers(-3, 4, grad.shape), 0, 255).astype(np.uint8)
    assert 0.5 < ssim_y(slightly, grad) < 1.0
    assert ssim_y(slightly, grad) == pytest.approx(ssim_y(grad, slightly))  # symmetric


def test_ssim_matches_a_direct_2d_window():
    # The separable filter gives the same local means as an explicit 11x11 Gaussian window.
    from gan_core.evaluation.sr_metrics import _filter_valid, _gaussian_window
    img = np.random.default_rng(2).random((15, 13))
    g = _gaussian_window()
    w2 = np.outer(g, g)
    direct = np.array([[np.sum(w2 * img[i:i + 11, j:j + 11]) for j in range(3)] for i in range(5)])
    assert _filter_valid(img, g) == pytest.approx(direct)
    assert w2.sum() == pytest.approx(1.0)


def test_metrics_reject_mismatched_sizes():
    with pytest.raises(ValueError, match="differ in size"):
        psnr_y(flat(0, 32, 32), flat(0, 32, 36))


def test_crop_and_bicubic_sizes_keep_type():
    arr = np.zeros((103, 98, 3), np.uint8)
    hr = crop_to_multiple(arr, 4)
    assert isinstance(hr, np.ndarray) and hr.shape == (100, 96, 3)
    lr = bicubic_downscale(hr, 4)
    assert lr.shape == (25, 24, 3) and lr.dtype == np.uint8
    assert bicubic_upscale(lr, 4).shape == (100, 96, 3)
    pil = crop_to_multiple(Image.fromarray(arr), 4)
    assert isinstance(pil, Image.Image) and pil.size == (96, 100)
    assert bicubic_downscale(pil, 4).size == (24, 25)
