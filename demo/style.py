"""The "Style" tab: photos to paintings at any size with the Siamese GAN, tile by tile.

Upload a photo (or pick an example), choose a model, a working resolution and a method;
the photo at the working size and its painting show under a comparison slider, with the
seam score of both (is there a tile grid?) and a PNG to download. An accordion explains
the combo, the training trick that lets the generator work tile by tile without seams,
with a drawing made here (`combo_figure`, saved as docs/combo.png).

All the work is in gan_core.pipelines.style; the handlers here check, call and lay out.
They are plain functions, so tests can call them without a browser:

    >>> result = paint_photo("photo.png", "photo2painting-siamese", 1024, TILES)   # doctest: +SKIP
    >>> result.painting.size, result.seams                                         # doctest: +SKIP

`python -c "from demo.style import write_combo_figure; write_combo_figure()"` redraws docs/combo.png.
"""
from __future__ import annotations

import functools
import io
from dataclasses import dataclass
from pathlib import Path

import gradio as gr
import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFilter, ImageFont, ImageOps

import gan_core
from gan_core.core.errors import CheckpointError, DataError, ImageTooLargeError
from gan_core.core.hub import STYLE_TRANSFER
from gan_core.pipelines.style import MAX_WORKING_SIZE, load_picture, seam_score

from . import gpu as _gpu_module
from .files import named_png, png_file, write_file
from .generate import _input_error
from .gpu import best_device, gpu
from .upscale import EXAMPLES, _landscape, example_images

WORKING_SIZES = (512, 1024, 2048, 4096)  # px on the longest side; 4096 is gan_core's MAX_WORKING_SIZE
# 512 by default: the shipped model learnt from pictures shrunk to 256 px, so its tiles see
# about that scale there (at 1024 px each tile holds a quarter as much of the scene and the
# painting looks more like the photo), and it answers in about a second on a CPU.
DEFAULT_WORKING_SIZE = 512
# On a CPU one request holds the server for the whole translation. A freshly constructed
# TileTranslator(16, 2) translates a 1024x1024 picture tile by tile (64 px tiles) in
# 10.6-12.1 s on this 2-core CPU with torch's default 2 threads, measured with training
# runs beside it (load average ~7); with one thread, 2.3-2.7 s (two threads fight the
# other jobs for the cores). Time grows with the pixels: 2048 px is 10-45 s, 4096 px
# 40 s to 3 minutes, too long to make everyone else wait. Without a GPU the tab stops at
# 2048; the Python API (gan_core.load) goes up to 4096.
CPU_MAX_WORKING_SIZE = 2048
TILES, RESIZED = "Tiles (combo-trained, full detail)", "Resize down, translate, resize up (baseline)"
METHODS = {TILES: "tiles", RESIZED: "resized"}
COMBO_PNG = Path(__file__).resolve().parent.parent / "docs" / "combo.png"

NO_MODELS_MESSAGE = (
    "**No style-transfer model is installed yet**, so nothing can be painted. Train one with "
    "`python -m gan_core style train --photos ... --paintings ... --out runs/photo2painting` (see "
    "`python -m gan_core style train --help`), then copy the run's `export/` folder into `checkpoints/` "
    "(e.g. `cp -r runs/photo2painting/export checkpoints/photo2painting-siamese`), or point the "
    "`GAN_CORE_CHECKPOINTS` environment variable at a folder of checkpoints, and restart the app."
)

EXPLAIN = (
    "**Photos to paintings, at any size.** A small generator G turns photos into paintings one square "
    "tile at a time, without overlap, so a photo of any size costs memory for one row of tiles only. "
    "*Tiles* translates at full detail; the *baseline* shrinks the photo, translates it whole and enlarges "
    "the result (no seams, but little detail). The **seam score** is the mean difference between "
    "neighbouring pixels across tile borders divided by that inside tiles: 1.0 means tile borders are as "
    "smooth as anywhere else; above 1 a grid shows."
)

COMBO_TEXT = """\
G translates SxS tiles. Trained on single tiles, it would have no reason to make neighbouring tiles agree,
and a large picture translated tile by tile would show a grid. **The combo:** during training a 2Sx2S crop
is cut into four SxS tiles, each translated by G on its own, and the four results are put back together;
the discriminator D only ever sees the reassembled image, so a seam is something it can see and punish, and
G learns to avoid it. At inference a photo of any size is translated tile by tile, without overlap.

D is a *Siamese* network: it maps an image to a vector. With A photo crops, B painting crops and AB = combo(A):

- **LossD1** = ‖D(B)‖²: paintings are pulled to the origin
- **LossD2** = max(0, m − ‖D(AB)‖)²: translated photos are pushed at least m away
- **LossD3 = LossG2** = 1 − cos(D(A1) − D(A2), D(AB1) − D(AB2)): what tells two photos apart still tells their
  translations apart, the same way (content is kept)
- **LossG1** = ‖D(AB)‖²: G pulls its translations in among the paintings

D minimises LossD1 + LossD2 + LossD3, G minimises LossG1 + LossG2.
"""


def _gpu_present() -> bool:
    """A GPU now, or one lent per call (ZeroGPU: `spaces` installed, CUDA inside @gpu only)."""
    return torch.cuda.is_available() or _gpu_module.spaces is not None


def max_working_size() -> int:
    return MAX_WORKING_SIZE if _gpu_present() else CPU_MAX_WORKING_SIZE


def working_size_choices() -> list[int]:
    return [s for s in WORKING_SIZES if s <= max_working_size()]


# ----------------------------------------------------------------------------- models


@functools.lru_cache(maxsize=4)
def _painter(name: str, device: str):
    return gan_core.load(name, device=device, task=STYLE_TRANSFER)


def _check_model(model_name: str | None) -> str:
    available = gan_core.list_checkpoints(task=STYLE_TRANSFER)
    if not available:
        raise _input_error("No style-transfer model is installed: train one with `python -m gan_core style train "
                           "...` and copy its export/ folder into checkpoints/ (see the note in the Style tab).")
    if not model_name:
        raise _input_error("Choose a model first.")
    if model_name not in available:  # names from a browser or the API: checked
        raise _input_error(f"Unknown model {model_name!r}; available: {', '.join(available)}.")
    return model_name


def _check_working_size(working_size) -> int:
    try:
        size = int(working_size)
    except (TypeError, ValueError):
        raise _input_error(f"The working size must be a number of pixels, one of "
                           f"{', '.join(map(str, working_size_choices()))}; not {working_size!r}.") from None
    cap = max_working_size()
    if size > cap:
        why = ("the most this server translates on its CPU (a 4096 px picture takes minutes there)"
               if cap < MAX_WORKING_SIZE else "the most the translator takes")
        raise _input_error(f"A working size of {size} px is too large: {cap} px on the longest side is {why}. "
                           f"Choose one of {', '.join(map(str, working_size_choices()))}.")
    if size not in WORKING_SIZES:
        raise _input_error(f"Choose a working size of {', '.join(map(str, working_size_choices()))} px, "
                           f"not {size}.")
    return size


def _check_method(method: str | None) -> str:
    if method in METHODS.values():
        return method
    if method in METHODS:
        return METHODS[method]
    raise _input_error(f"Unknown method {method!r}; choose {TILES!r} or {RESIZED!r}.")


def model_summary(model_name: str | None) -> str:
    """A few Markdown lines about the chosen model, from its card."""
    if not model_name:
        return ""
    try:
        painter = _painter(_check_model(model_name), "cpu")
    except (gr.Error, CheckpointError) as exc:
        return f"**{getattr(exc, 'message', exc)}**"
    card = painter.card
    config = card.get("config") or {}
    lines = [f"**{card.get('name', model_name)}**: {card.get('description', '')}"]
    combo = config.get("combo")
    lines.append(f"- **Tiles:** {painter.tile}x{painter.tile} px; "
                 + ("trained through the combo" if combo else "trained without the combo (the ablation)"
                    if combo is not None else "combo not recorded"))
    training = card.get("training") or {}
    if training.get("steps") is not None:
        lines.append(f"- **Training:** {training['steps']:,} steps of {config.get('batch_size', '?')} crops "
                     f"in {_duration(training.get('wall_time_s') or 0)} on {training.get('hardware', '?')}")
    seams = (card.get("metrics") or {}).get("seams") or {}
    if seams.get("seam_score") is not None:
        line = f"- **Seams** (photos it never saw, tile by tile): {seams['seam_score']:.3f}"
        if seams.get("seam_score_photos") is not None:
            line += f" (the photos themselves: {seams['seam_score_photos']:.3f})"
        if seams.get("seam_score_resized_baseline") is not None:
            line += f"; resized baseline {seams['seam_score_resized_baseline']:.3f}"
        if seams.get("combo") is not None:
            line += f"; combo: {'yes' if seams['combo'] else 'no'}"
        ablation = seams.get("without_combo") if isinstance(seams.get("without_combo"), dict) else {}
        if ablation.get("seam_score") is not None:
            line += f"; the same training without the combo: {ablation['seam_score']:.3f}"
        lines.append(line)
    return "\n".join(lines)


def _duration(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 60:.0f} min" if seconds >= 60 else f"{seconds:.0f} s"


# ----------------------------------------------------------------------------- the work


@dataclass
class StyleResult:
    """What one request produced."""

    picture: Image.Image  # the upload at the working size
    painting: Image.Image  # the same size
    model: str
    method: str  # "tiles" or "resized"
    tile: int
    seams: float | None  # seam score of the painting on the tile grid
    seams_photo: float | None  # the photo's own, on the same grid


def _seams(image: Image.Image, tile: int) -> float | None:
    try:
        return seam_score(image, tile)
    except ValueError:  # a picture without a tile border (narrower than a tile both ways)
        return None


def _read(path, working_size: int) -> Image.Image:
    """The upload at the working size, read once by gan_core's checked reader."""
    if path is None or path == "":
        raise _input_error("Upload a photo first (or pick one of the examples).")
    try:
        return load_picture(path if isinstance(path, Image.Image) else str(path), working_size)
    except ImageTooLargeError as exc:
        raise _input_error(f"This photo is too large to paint: {exc}") from None
    except DataError as exc:
        raise _input_error(f"This file cannot be painted: {exc}") from None


@gpu(duration=120)
def paint_photo(path, model_name: str | None, working_size=DEFAULT_WORKING_SIZE, method: str | None = TILES,
                progress_fn=None) -> StyleResult:
    """Translate the photo at `path` (or a PIL image) with `model_name` at `working_size`
    px on its longest side; `method` is TILES / "tiles" or RESIZED / "resized"."""
    model_name = _check_model(model_name)
    size = _check_working_size(working_size)
    how = _check_method(method)
    picture = _read(path, size)
    try:
        painter = _painter(model_name, best_device())
    except CheckpointError as exc:
        raise gr.Error(f"Model {model_name!r} could not be loaded: {exc}") from None
    painting = painter(picture, working_size=None, method=how, progress_fn=progress_fn)
    return StyleResult(picture, painting, model_name, how, painter.tile,
                       _seams(painting, painter.tile), _seams(picture, painter.tile))


def seams_text(result: StyleResult) -> str:
    """The seam scores as Markdown, with what they mean."""
    if result.seams is None:
        return "Seam score: the picture is too small to have a tile border."
    photo = f"{result.seams_photo:.3f}" if result.seams_photo is not None else "n/a"
    return (f"**Seam score** on the {result.tile} px tile grid: painting **{result.seams:.3f}**, your photo "
            f"{photo}. It is the mean difference between neighbouring pixels across tile borders divided by "
            "that inside tiles: 1.0 = tile borders as smooth as anywhere else, above 1 a grid shows.")


def _download_file(image: Image.Image, path, model_name: str, method: str, size: int) -> str:
    """The painting as a PNG named after the upload, in a folder named by its content
    (two people's `photo.jpg` never share a file)."""
    return named_png(image, path, "style", f"{model_name}-{method}-{size}px")


def style_files(path, model_name: str | None, working_size=DEFAULT_WORKING_SIZE, method: str | None = TILES,
                progress=gr.Progress()):
    """The Paint event: (slider pair of PNG paths: photo at the working size, painting;
    seam scores Markdown; PNG download)."""
    result = paint_photo(path, model_name, working_size, method,
                         progress_fn=lambda done, total: progress(done / total, desc="painting rows of tiles"))
    pair = (png_file(result.picture, folder="style"), png_file(result.painting, folder="style"))
    size = max(result.picture.size)
    return pair, seams_text(result), _download_file(result.painting, path, result.model, result.method, size)


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


# ----------------------------------------------------------------------------- layout


def on_model_change(model_name: str | None) -> str:
    return model_summary(model_name)


# ----------------------------------------------------------------------------- examples


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
    """The mountain lake (960x640), then the Upscale tab's small examples. Written once."""
    path = EXAMPLES / "mountain-lake.png"
    if not path.exists():
        EXAMPLES.mkdir(parents=True, exist_ok=True)
        data = io.BytesIO()
        mountain_lake().save(data, format="PNG")
        write_file(data.getvalue(), path)
    return [str(path)] + example_images()


def build_style_tab() -> None:
    """The tab's components and events; call inside a gr.Blocks context."""
    choices = gan_core.list_checkpoints(task=STYLE_TRANSFER)
    sizes = working_size_choices()
    with gr.Tab("Style", id="style"):
        if not choices:
            gr.Markdown(NO_MODELS_MESSAGE, elem_id="no-style-models")
        gr.Markdown(EXPLAIN)
        with gr.Row(equal_height=False):
            with gr.Column(scale=1, min_width=260):
                # A file, not gr.Image: only gan_core's checked reader opens what users send.
                upload = gr.File(label="A photo (JPEG, PNG, WebP...)", file_types=["image"], type="filepath",
                                 height=120, elem_id="style-upload")
                examples = style_examples()
                if examples:
                    gr.Examples([[p] for p in examples], inputs=[upload], label="Examples (made by the app)")
                model = gr.Dropdown(choices, value=choices[0] if choices else None, label="Model",
                                    elem_id="style-model")
                size = gr.Radio([(f"{s} px", s) for s in sizes], value=DEFAULT_WORKING_SIZE,
                                label="Working resolution (longest side)",
                                info=None if _gpu_present() else f"Up to {CPU_MAX_WORKING_SIZE} px on this CPU "
                                                                 "server (2048 px: up to about a minute)",
                                elem_id="style-size")
                method = gr.Radio(list(METHODS), value=TILES, label="Method", elem_id="style-method")
                go = gr.Button("Paint", variant="primary", elem_id="style-btn")
                card_md = gr.Markdown(model_summary(choices[0]) if choices else "", elem_id="style-card")
            with gr.Column(scale=2, min_width=320):
                slider = gr.ImageSlider(label="Left: your photo at the working size · right: the painting "
                                              "(drag to compare)", type="filepath", format="png",
                                        interactive=False, max_height=640, elem_id="style-slider",
                                        buttons=["fullscreen"])
                seams = gr.Markdown(elem_id="style-seams")
                download = gr.File(label="Download the painting (PNG)", interactive=False, elem_id="style-download")
        with gr.Accordion("How the combo works", open=False, elem_id="style-combo"):
            figure = str(COMBO_PNG) if COMBO_PNG.is_file() else combo_figure()
            gr.Image(figure, interactive=False, show_label=False, format="png", elem_id="style-combo-figure",
                     buttons=["fullscreen"])
            gr.Markdown(COMBO_TEXT)

    model.change(on_model_change, inputs=model, outputs=card_md, queue=False, api_visibility="private")
    go.click(style_files, inputs=[upload, model, size, method], outputs=[slider, seams, download],
             api_name="style", concurrency_limit=1)  # seconds to a minute of CPU each: one at a time


if __name__ == "__main__":
    print(write_combo_figure())
