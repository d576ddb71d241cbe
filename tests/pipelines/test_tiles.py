"""Tiled super-resolution upscaling: seams, memory, input modes and limits."""
from __future__ import annotations

import io
import json
import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

from gan_core.core.errors import DataError, ImageTooLargeError
from gan_core.pipelines.tiles import MAX_INPUT_PIXELS, bicubic_upscale, memory_estimate, tile_spans, upscale_image

from ..helpers import REPO


class Bicubic(nn.Module):
    """A stand-in x4 network: plain bicubic interpolation (receptive field 4 px)."""

    def forward(self, x):
        return F.interpolate(x, scale_factor=4, mode="bicubic", align_corners=False)


class DarkBorders(Bicubic):
    """Bicubic plus what zero padding does to a real network: output darkened
    near its own borders (within ~3 HR px), so each tile's edges show unless blended."""

    def forward(self, x):
        y = super().forward(x)
        h, w = y.shape[-2:]
        dy = torch.minimum(torch.arange(h), torch.arange(h).flip(0)).float()
        dx = torch.minimum(torch.arange(w), torch.arange(w).flip(0)).float()
        d = torch.minimum(dy[:, None], dx[None, :])
        return (y + 1) * (1 - 0.15 * torch.exp(-d / 3)) - 1


def smooth_photo(w: int, h: int, seed: int = 0) -> Image.Image:
    """Low-frequency colour noise: gradients even across the picture, like a photo's."""
    rng = np.random.default_rng(seed)
    small = Image.fromarray(rng.integers(0, 256, (h // 12 + 2, w // 12 + 2, 3), dtype=np.uint8))
    return small.resize((w, h), Image.Resampling.BICUBIC)


def untiled(model, img: Image.Image) -> np.ndarray:
    x = torch.from_numpy(np.array(img, dtype=np.uint8)).permute(2, 0, 1)[None].float() / 127.5 - 1
    with torch.no_grad():
        y = model(x).clamp(-1, 1)[0]
    return y.add(1).mul(127.5).round().byte().permute(1, 2, 0).numpy()


def test_tiled_matches_untiled_bicubic():
    img = smooth_photo(150, 101)
    tiled = np.asarray(upscale_image(Bicubic(), img, tile=32, overlap=8)).astype(int)
    full = untiled(Bicubic(), img).astype(int)
    assert tiled.shape == full.shape == (404, 600, 3)
    # Away from the photo's own border the tiles see the same pixels as the whole
    # image (bicubic reads 2 LR px each side, far less than the overlap), so only the
    # rounding of a weighted sum of equal values can differ: at most 1 level. At the
    # border the tiles see reflected pixels where the untiled call clamps: 8 HR px.
    inner = np.abs(tiled - full)[8:-8, 8:-8]
    assert inner.max() <= 1, inner.max()


def seam_ratio(out: np.ndarray, tile: int, scale: int = 4) -> float:
    """Mean |gradient| across tile-border lines / mean |gradient| across lines
    inside tiles, over both axes."""
    o = out.astype(np.float64)
    ratios = []
    for axis, length in ((1, o.shape[1] // scale), (0, o.shape[0] // scale)):
        spans = tile_spans(length, tile)
        borders = [a * scale for a, _ in spans[1:]]
        inside = [a * scale + k for a, b in spans for k in range(8, (b - a) * scale - 8, 8)]
        g = np.abs(np.diff(o, axis=axis))  # g[i] is the step between lines i and i+1
        take = (lambda idx: g[:, [i - 1 for i in idx]]) if axis == 1 else (lambda idx: g[[i - 1 for i in idx]])
        ratios.append(take(borders).mean() / take(inside).mean())
    return max(ratios)


class RandomConvNet(nn.Module):
    """Bicubic plus a small random residual conv net: a 7 px receptive field and
    zero padding, whose output near a tile's edge differs from the same spot
    seen inside a larger tile."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.body = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.Tanh(), nn.Conv2d(8, 8, 3, padding=1),
                                  nn.Tanh(), nn.Conv2d(8, 3, 3, padding=1))

    def forward(self, x):
        y = F.interpolate(x, scale_factor=4, mode="bicubic", align_corners=False)
        return y + 0.3 * self.body(y)


@pytest.mark.parametrize("model", [DarkBorders(), RandomConvNet()], ids=["dark-borders", "random-conv"])
def test_no_visible_seams_with_blending_and_the_measure_can_fail(model):
    img = smooth_photo(96, 96, seed=3)
    blended = seam_ratio(np.asarray(upscale_image(model, img, tile=32, overlap=8)), 32)
    hard = seam_ratio(np.asarray(upscale_image(model, img, tile=32, overlap=0)), 32)
    print(f"seam ratio: blended {blended:.3f}, overlap=0 {hard:.3f}")
    assert blended < 1.2
    assert hard > 2.0  # without overlap each tile's darkened edges meet at every border


def test_non_multiple_size_and_progress():
    calls = []
    out = upscale_image(Bicubic(), smooth_photo(37, 53), tile=16, overlap=4,
                        progress_fn=lambda done, total: calls.append((done, total)))
    assert out.size == (148, 212) and out.mode == "RGB"
    total = len(tile_spans(53, 16)) * len(tile_spans(37, 16))
    assert calls == [(i, total) for i in range(1, total + 1)]


def test_tiny_image_smaller_than_overlap():
    assert upscale_image(Bicubic(), Image.new("RGB", (3, 2), "red"), tile=128, overlap=16).size == (12, 8)


def test_rgba_keeps_upscaled_alpha():
    img = smooth_photo(40, 30).convert("RGBA")
    alpha = np.zeros((30, 40), np.uint8)
    alpha[:, 20:] = 255
    img.putalpha(Image.fromarray(alpha))
    out = upscale_image(Bicubic(), img, tile=16, overlap=4)
    assert out.mode == "RGBA" and out.size == (160, 120)
    a = np.asarray(out.getchannel("A"))
    assert (a[:, :70] == 0).all() and (a[:, 90:] == 255).all()
    assert np.array_equal(a, np.asarray(Image.fromarray(alpha).resize((160, 120), Image.Resampling.BICUBIC)))
    # Colour is the stored colour, not composited on white, under transparent pixels too.
    rgb = np.asarray(out.convert("RGB")).astype(int)
    assert np.abs(rgb - untiled(Bicubic(), img.convert("RGB")).astype(int))[8:-8, 8:-8].max() <= 1


def test_grayscale_stays_grayscale():
    img = smooth_photo(30, 20).convert("L")
    out = upscale_image(Bicubic(), img, tile=16, overlap=4)
    assert out.mode == "L" and out.size == (120, 80)
    la = img.convert("LA")
    out = upscale_image(Bicubic(), la, tile=16, overlap=4)
    assert out.mode == "LA" and out.size == (120, 80)


def test_16bit_and_palette_pngs_from_paths(tmp_path):
    ramp = np.tile(np.linspace(0, 65535, 24), (16, 1)).astype(np.uint16)  # dark left, bright right
    p16 = tmp_path / "deep.png"
    Image.fromarray(ramp).save(p16)
    assert Image.open(p16).mode.startswith("I")
    out = upscale_image(Bicubic(), p16, tile=16, overlap=4)
    assert out.mode == "L" and out.size == (96, 64)
    px = np.asarray(out).astype(int)
    assert px[:, :8].mean() < 20 and px[:, -8:].mean() > 235  # 16-bit range scaled to 8 bits

    pal = tmp_path / "palette.png"
    smooth_photo(24, 16).convert("P", palette=Image.Palette.ADAPTIVE).save(pal)
    out = upscale_image(Bicubic(), pal.read_bytes(), tile=16, overlap=4)
    assert out.mode == "RGB" and out.size == (96, 64)

    tpal = tmp_path / "palette_alpha.png"
    p = Image.new("P", (24, 16), 1)
    p.putpalette([0, 0, 0, 255, 0, 0])
    p.paste(0, (0, 0, 12, 16))
    p.save(tpal, transparency=0)
    out = upscale_image(Bicubic(), str(tpal), tile=16, overlap=4)
    assert out.mode == "RGBA"
    a = np.asarray(out.getchannel("A"))
    assert (a[:, :40] == 0).all() and (a[:, 56:] == 255).all()


def test_exif_rotated_jpeg_comes_out_upright(tmp_path):
    arr = np.zeros((20, 40, 3), np.uint8)
    arr[:, :20] = (255, 0, 0)  # stored: red left, blue right, landscape
    arr[:, 20:] = (0, 0, 255)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 clockwise to view"
    path = tmp_path / "phone.jpg"
    Image.fromarray(arr).save(path, exif=exif, quality=95)
    out = np.asarray(upscale_image(Bicubic(), path, tile=16, overlap=4))
    assert out.shape == (160, 80, 3)  # portrait once upright
    # Rotated clockwise, the stored left (red) becomes the top.
    assert out[:60, :, 0].mean() > 200 and out[100:, :, 2].mean() > 200


def test_too_large_input_refused():
    big = Image.new("L", (4097, 4096))
    assert big.width * big.height > MAX_INPUT_PIXELS
    with pytest.raises(ImageTooLargeError, match=r"16,777,216 pixels.*Downscale") as err:
        upscale_image(Bicubic(), big)
    assert isinstance(err.value, ValueError) and isinstance(err.value, DataError)
    buf = io.BytesIO()
    Image.new("RGB", (50, 40)).save(buf, "PNG")
    with pytest.raises(ImageTooLargeError, match="50x40"):
        upscale_image(Bicubic(), buf.getvalue(), max_input_pixels=1000)


def test_damaged_file_gets_data_error():
    with pytest.raises(DataError):
        upscale_image(Bicubic(), b"")
    with pytest.raises(DataError):
        upscale_image(Bicubic(), b"\x89PNG\r\n\x1a\n garbage")


def test_wrong_scale_model_is_explained():
    with pytest.raises(ValueError, match="scale=2"):
        upscale_image(Bicubic(), Image.new("RGB", (20, 20)), scale=2, tile=16, overlap=4)


def test_cmyk_and_training_mode_model():
    model = RandomConvNet().train()
    assert upscale_image(model, Image.new("CMYK", (10, 10)), tile=8, overlap=2).mode == "RGB"
    assert model.training  # put back as it was


def test_bicubic_upscale_matches_modes():
    assert bicubic_upscale(Image.new("RGBA", (37, 53)), 4).size == (148, 212)
    assert bicubic_upscale(Image.new("RGBA", (5, 5)), 4).mode == "RGBA"
    assert bicubic_upscale(Image.new("L", (5, 5)), 2).mode == "L"


def test_memory_estimate_for_a_12_megapixel_photo():
    est = memory_estimate(4000, 3000)
    assert est < 1.5e9  # under the 2 GB budget with room to spare
    # The alternative it avoids: float32 sum and weight over the whole result.
    assert est < 16000 * 12000 * 4 * 4 * 0.5


_MEASURE = r"""
import json, resource, sys
import numpy as np, torch, torch.nn as nn
from PIL import Image
from gan_core.pipelines.tiles import upscale_image
torch.set_num_threads(1)
img = Image.fromarray(np.random.default_rng(0).integers(0, 256, (750, 1000, 3), dtype=np.uint8))
model = nn.Upsample(scale_factor=4, mode="nearest")
upscale_image(model, Image.new("RGB", (40, 40)), tile=32, overlap=4)  # warm up torch's allocator
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
out = upscale_image(model, img, tile=128, overlap=16)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"peak_growth": after - before, "size": out.size}))
"""


@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss in KiB is Linux's")
def test_measured_peak_memory_within_estimate():
    """Peak RSS growth while upscaling 1000x750 -> 4000x3000 stays within the
    estimate, and well under a whole-result float32 accumulator (192 MB + 48 MB)."""
    res = subprocess.run([sys.executable, "-c", _MEASURE], cwd=REPO, capture_output=True, text=True,
                         timeout=300, check=True)
    got = json.loads(res.stdout.strip().splitlines()[-1])
    assert got["size"] == [4000, 3000]
    est = memory_estimate(1000, 750)
    print(f"peak growth {got['peak_growth'] / 1e6:.0f} MB, estimate {est / 1e6:.0f} MB")
    assert got["peak_growth"] < est * 1.2 + 20e6
    assert got["peak_growth"] < 4000 * 3000 * (4 * 4 + 4) * 0.6
