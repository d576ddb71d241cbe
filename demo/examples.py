"""Pictures the app draws itself, so that no photo has to ship: the example inputs of the
Upscale and Style tabs, and the Style tab's drawing of the combo (docs/combo.png).

Example files are written once, beside the app's file folder (not under it: its files
are pruned after a day, and these must last).

`python -m demo.examples` redraws docs/combo.png.
"""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont, ImageOps

from .files import ROOT, write_file

EXAMPLES = ROOT.parent / "gan-studio-examples"
DOCS = Path(__file__).resolve().parent.parent / "docs"
FACES_GRID = DOCS / "faces-dcgan64-seed0.png"
COMBO_PNG = DOCS / "combo.png"


# ----------------------------------------------------------------------------- Upscale tab


def upscale_examples() -> list[str]:
    """Three small pictures made here (no photos in the repository): four faces from the
    shipped faces-dcgan64 sample grid, a drawing of letters and lines, and a
    procedural landscape. Written once under the app's file folder."""
    EXAMPLES.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, make in (("faces", _faces), ("letters", _letters), ("landscape", _landscape)):
        path = EXAMPLES / f"{name}.png"
        if not path.exists():
            image = make()
            if image is None:
                continue
            data = io.BytesIO()
            image.save(data, format="PNG")
            write_file(data.getvalue(), path)
        paths.append(str(path))
    return paths


def _faces() -> Image.Image | None:
    if not FACES_GRID.is_file():
        return None
    return Image.open(FACES_GRID).convert("RGB").crop((2, 2, 2 + 2 * 66, 2 + 2 * 66))  # 2x2 faces of 64 + border


def _letters() -> Image.Image:
    img = Image.new("RGB", (128, 96), (250, 248, 240))
    d = ImageDraw.Draw(img)
    d.text((6, 6), "GAN studio", fill=(20, 20, 20))
    d.text((6, 20), "x4 super-resolution", fill=(160, 30, 30))
    for i in range(8):  # converging lines: aliasing shows where they meet
        d.line((6, 40 + 6 * i, 122, 66), fill=(30, 60, 150), width=1)
    d.ellipse((80, 68, 120, 92), outline=(20, 120, 40), width=2)
    d.rectangle((10, 74, 50, 90), fill=(230, 180, 40), outline=(20, 20, 20))
    return img


def _landscape() -> Image.Image:
    h, w = 96, 128
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    rng = np.random.default_rng(4)
    sky = np.stack([120 + 0.6 * y, 170 + 0.5 * y, 235 - 0.2 * y], -1)
    ridge = 52 + 8 * np.sin(x / 11) + 4 * np.sin(x / 4.3)
    hills = np.stack([60 + 0 * y, 120 - 0.3 * (y - 50), 50 + 0 * y], -1) + rng.normal(0, 9, (h, w, 1))
    img = np.where((y > ridge)[..., None], hills, sky)
    sun = (x - 96) ** 2 + (y - 22) ** 2 < 100
    img[sun] = (255, 230, 120)
    for k in range(5):  # a fence: thin regular posts, a test of fine detail
        img[60:80, 10 + 8 * k:12 + 8 * k] = (90, 60, 30)
    img[64:66, 10:46] = (90, 60, 30)
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))


# ----------------------------------------------------------------------------- Style tab


def mountain_lake(width: int = 960, height: int = 640, seed: int = 3) -> Image.Image:
    """A procedural landscape (sky and clouds, snowy ridges, pines, a lake that mirrors them):
    the kind of scene the paintings show, made here so no photo has to ship."""
    rng = np.random.default_rng(seed)
    h, w = height, width
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    def ridge(base, amp, octaves):
        line = np.full(w, base, np.float32)
        for k in range(octaves):
            f = 2 ** k
            phase = rng.uniform(0, 2 * np.pi, 2)
            line += amp / f * (np.sin(np.arange(w) * f / 90 + phase[0]) + 0.5 * np.sin(np.arange(w) * f / 37 + phase[1]))
        return line
    def smooth_noise(scale, sigma):
        n = rng.normal(0, 1, (h // scale + 2, w // scale + 2)).astype(np.float32)
        img = Image.fromarray(((n - n.min()) / (n.max() - n.min()) * 255).astype(np.uint8)).resize((w, h), Image.Resampling.BICUBIC)
        return np.asarray(img.filter(ImageFilter.GaussianBlur(sigma)), np.float32) / 255
    horizon = int(h * 0.62)
    t = y / horizon
    sky = np.stack([90 + 120 * t, 140 + 90 * t, 220 + 20 * t], -1)
    clouds = np.clip(smooth_noise(40, 6) * 1.8 - 0.9, 0, 1)[..., None] * (y < h * 0.4)[..., None]
    img = sky * (1 - clouds) + 250 * clouds
    far = ridge(h * 0.36, 40, 5)
    near = ridge(h * 0.48, 30, 6)
    rock = smooth_noise(8, 1)[..., None]
    far_c = np.array([120, 130, 165]) * (0.85 + 0.3 * rock)
    snow = (y < far[None, :] + 25)[..., None]
    far_c = np.where(snow, np.array([240, 242, 250]) * (0.9 + 0.1 * rock), far_c)
    img = np.where((y > far[None, :])[..., None], far_c, img)
    near_c = np.array([70, 95, 80]) * (0.8 + 0.4 * rock)
    img = np.where((y > near[None, :])[..., None], near_c, img)
    # a lake below the horizon: the scene mirrored, darker and rippled
    lake = y >= horizon
    src = np.clip(2 * horizon - y + 3 * np.sin(y / 3), 0, h - 1).astype(int)
    mirrored = img[src, x.astype(int)] * 0.75 + np.array([10, 20, 35])
    img = np.where(lake[..., None], mirrored, img)
    # a shore of grass and pine trees
    shore = horizon + 8 * np.sin(np.arange(w) / 70) - 4
    grass = np.array([60, 110, 50]) * (0.75 + 0.5 * smooth_noise(4, 1)[..., None])
    band = (y > shore[None, :]) & (y < shore[None, :] + 26)
    img = np.where(band[..., None], grass, img)
    for _ in range(26):
        cx = rng.uniform(0, w)
        base = np.interp(cx, np.arange(w), shore) + 6
        tall = rng.uniform(60, 150)
        half = tall * 0.22
        inside = (y < base) & (y > base - tall) & (np.abs(x - cx) < half * (y - (base - tall)) / tall)
        tone = rng.uniform(0.6, 1.0)
        img = np.where(inside[..., None], np.array([25, 60, 35]) * tone * (0.8 + 0.4 * rock), img)
    img += rng.normal(0, 3, img.shape)
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))


def style_examples() -> list[str]:
    """The Style tab's examples: the mountain lake (960x640), then the Upscale tab's. Written once."""
    path = EXAMPLES / "mountain-lake.png"
    if not path.exists():
        EXAMPLES.mkdir(parents=True, exist_ok=True)
        data = io.BytesIO()
        mountain_lake().save(data, format="PNG")
        write_file(data.getvalue(), path)
    return [str(path)] + upscale_examples()


# ----------------------------------------------------------------------------- the combo, drawn


def _font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # a Pillow without FreeType: the small bitmap font
        return ImageFont.load_default()


def _arrow(d: ImageDraw.ImageDraw, start, end, fill=(60, 60, 60), width=2, head=8) -> None:
    (x0, y0), (x1, y1) = start, end
    d.line((x0, y0, x1, y1), fill=fill, width=width)
    length = max(((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5, 1e-6)
    ux, uy = (x1 - x0) / length, (y1 - y0) / length
    left = (x1 - head * ux - head * 0.6 * uy, y1 - head * uy + head * 0.6 * ux)
    right = (x1 - head * ux + head * 0.6 * uy, y1 - head * uy - head * 0.6 * ux)
    d.polygon([(x1, y1), left, right], fill=fill)


def _paint(tile: Image.Image) -> Image.Image:
    """A stand-in for G: posterised and warmer (the same for every tile, as a trained G would be)."""
    return Image.blend(ImageOps.posterize(tile, 2), Image.new("RGB", tile.size, (230, 160, 70)), 0.25)


def combo_figure() -> Image.Image:
    """The combo, drawn with PIL: a 2Sx2S crop, cut into four SxS tiles, each through G,
    reassembled, into the Siamese D, which outputs a vector."""
    t = 72  # a tile, drawn
    W, H = 1150, 430
    img = Image.new("RGB", (W, H), "white")
    d = ImageDraw.Draw(img)
    font, small, big = _font(16), _font(13), _font(22)
    ink, accent = (30, 30, 30), (190, 60, 40)

    crop = _landscape().crop((16, 0, 112, 96)).resize((2 * t, 2 * t), Image.Resampling.BICUBIC)
    cy = 60 + (4 * t + 3 * 14) // 2  # the figure's middle line
    cx0, cy0 = 20, cy - t
    img.paste(crop, (cx0, cy0))
    d.rectangle((cx0, cy0, cx0 + 2 * t, cy0 + 2 * t), outline=ink, width=2)
    d.line((cx0 + t, cy0, cx0 + t, cy0 + 2 * t), fill=(255, 255, 255), width=1)
    d.line((cx0, cy0 + t, cx0 + 2 * t, cy0 + t), fill=(255, 255, 255), width=1)
    d.text((cx0, cy0 - 44), "A: a 2S x 2S photo crop", fill=ink, font=font)
    d.text((cx0, cy0 + 2 * t + 8), "cut into four", fill=ink, font=small)
    d.text((cx0, cy0 + 2 * t + 24), "S x S tiles", fill=ink, font=small)

    quarters = [crop.crop((c * t, r * t, (c + 1) * t, (r + 1) * t)) for r in range(2) for c in range(2)]
    painted = [_paint(q) for q in quarters]
    tx, gx, px = 230, 350, 460  # columns: tiles, G, translated tiles
    ys = [60 + i * (t + 14) for i in range(4)]
    d.text((tx - 6, 22), "four tiles", fill=ink, font=font)
    d.text((gx - 18, 22), "G, one tile", fill=ink, font=font)
    d.text((gx - 18, 40), "at a time", fill=ink, font=small)
    d.text((px - 4, 22), "translated", fill=ink, font=font)
    for y, q, p in zip(ys, quarters, painted):
        _arrow(d, (cx0 + 2 * t + 6, cy), (tx - 6, y + t // 2), fill=(150, 150, 150), width=1)
        img.paste(q, (tx, y))
        d.rectangle((tx, y, tx + t, y + t), outline=ink)
        _arrow(d, (tx + t + 4, y + t // 2), (gx - 4, y + t // 2))
        d.rounded_rectangle((gx, y + 14, gx + 60, y + t - 14), radius=8, fill=(225, 235, 250), outline=(40, 80, 160),
                            width=2)
        d.text((gx + 30, y + t // 2), "G", fill=(40, 80, 160), font=big, anchor="mm")
        _arrow(d, (gx + 64, y + t // 2), (px - 4, y + t // 2))
        img.paste(p, (px, y))
        d.rectangle((px, y, px + t, y + t), outline=ink)

    ax, ay = 600, cy - t  # the reassembled combo AB
    for i, (y, p) in enumerate(zip(ys, painted)):
        r, c = divmod(i, 2)
        _arrow(d, (px + t + 4, y + t // 2), (ax + c * t + t // 2 - 10, ay + r * t + t // 2), fill=(150, 150, 150),
               width=1)
    for i, p in enumerate(painted):
        r, c = divmod(i, 2)
        img.paste(p, (ax + c * t, ay + r * t))
    d.rectangle((ax, ay, ax + 2 * t, ay + 2 * t), outline=ink, width=2)
    d.line((ax + t, ay - 6, ax + t, ay + 2 * t + 6), fill=accent, width=1)  # where seams would be
    d.line((ax - 6, ay + t, ax + 2 * t + 6, ay + t), fill=accent, width=1)
    d.text((ax, ay - 44), "AB: put back together", fill=ink, font=font)
    d.text((ax, ay + 2 * t + 8), "a seam would show", fill=accent, font=small)
    d.text((ax, ay + 2 * t + 24), "on the red lines", fill=accent, font=small)

    dx = ax + 2 * t + 50  # the Siamese discriminator: a funnel
    _arrow(d, (ax + 2 * t + 6, cy), (dx - 4, cy))
    d.polygon([(dx, cy - 70), (dx + 110, cy - 28), (dx + 110, cy + 28), (dx, cy + 70)], fill=(235, 225, 245),
              outline=(110, 60, 150), width=2)
    d.text((dx + 50, cy - 8), "Siamese", fill=(110, 60, 150), font=font, anchor="mm")
    d.text((dx + 50, cy + 12), "D", fill=(110, 60, 150), font=big, anchor="mm")
    d.text((dx - 10, cy + 80), "sees only the", fill=ink, font=small)
    d.text((dx - 10, cy + 96), "reassembled image", fill=ink, font=small)

    vx, cell, n = dx + 160, 16, 8  # the output vector
    _arrow(d, (dx + 114, cy), (vx - 6, cy))
    top = cy - n * cell // 2
    shades = [90, 170, 60, 210, 130, 40, 190, 110]
    for i, s in enumerate(shades):
        d.rectangle((vx, top + i * cell, vx + cell, top + (i + 1) * cell), fill=(s, s, 230 - s // 3), outline=ink)
    d.text((vx - 10, top - 48), "D(AB):", fill=ink, font=font)
    d.text((vx - 10, top - 29), "a vector", fill=ink, font=font)
    nx = vx + cell + 16
    notes = ["paintings B: D(B) near 0", "D pushes ||D(AB)|| past m", "G pulls ||D(AB)|| to 0",
             "differences between", "photos keep their", "direction: content"]
    for i, line in enumerate(notes):
        d.text((nx, top + i * 20 - 8), line, fill=ink, font=small)
    d.text((20, H - 28), "Training: the combo. Inference: a photo of any size, translated S x S tile by tile, "
           "without overlap.", fill=(90, 90, 90), font=small)
    return img


def write_combo_figure(path: Path = COMBO_PNG) -> str:
    """Draw the combo and save it as a PNG (docs/combo.png by default)."""
    data = io.BytesIO()
    combo_figure().save(data, format="PNG", optimize=True)
    return write_file(data.getvalue(), Path(path))


if __name__ == "__main__":
    print(write_combo_figure())
