"""The "Upscale" tab: a photo four times larger with SRResNet / SRGAN, next to bicubic.

Upload a photo (or pick an example), choose a model; the result and bicubic show side
by side under a comparison slider, with zoomed crops of the centre (each pixel drawn
4x4, so the difference is visible), and a PNG to download. "Downscale first and score"
treats the upload as the ground truth: it is shrunk x4 with bicubic, upscaled back, and
the result is scored against the original (PSNR and SSIM on Y, the SR benchmarks' way).

All the work is in gan_core (sr_pipeline, upscale, sr_metrics); the handlers here check,
call and lay out. They are plain functions, so tests can call them without a browser:

    >>> result = upscale_photo("photo.png", "bicubic", score=True)   # doctest: +SKIP
    >>> result.output.size, result.scores                             # doctest: +SKIP
"""
from __future__ import annotations

import functools
import io
import math
from dataclasses import dataclass, field
from pathlib import Path

import gradio as gr
import numpy as np
from PIL import Image, ImageDraw

import gan_core
from gan_core.core.errors import CheckpointError, DataError, ImageTooLargeError
from gan_core.core.hub import SUPER_RESOLUTION
from gan_core.data.image_set import MIN_IMAGE_SIDE, read_image
from gan_core.evaluation.sr_metrics import bicubic_downscale, crop_to_multiple, psnr_y, ssim_y
from gan_core.pipelines.tiles import bicubic_upscale, load_for_upscale

from .files import ROOT, named_png, png_file, write_file
from .generate import _input_error, default_model
from .gpu import best_device, gpu

SCALE = 4
BICUBIC = "bicubic"
# Opened on: the PSNR model, whose output is faithful on any photo; the SRGANs add texture
# (and artefacts), and the face model is for faces.
PREFERRED_UPSCALER = "photo-srresnet-x4"
# One request holds the CPU for as long as the network runs: SRResNet does about 6,800
# input pixels a second on an idle 2-core CPU (256x256 in 9.7 s, bench/upscale_speed.py;
# 52 s with two training runs beside it), so 512x512 is 40 s or more. Larger photos are
# refused with a message; the Python API (gan_core.load) takes up to
# 4096x4096.
MAX_INPUT_PIXELS = 512 * 512
CROP_HR = 64  # side of the centre crop, in result pixels
ZOOM = 4  # each pixel of a crop drawn ZOOM x ZOOM (nearest), so the difference shows
BORDER = 4  # pixels shaved off each side before scoring, as the benchmarks do
# Scoring shrinks the photo x4 first, and the shrunk photo must still be upscalable (and
# the 11 px SSIM window fit inside the shaved border): 32 px a side at least.
MIN_SCORE_SIDE = max(MIN_IMAGE_SIDE * SCALE, 2 * BORDER + 11 + SCALE)
# Beside ROOT, not under it: ROOT's files are pruned after a day, and these must last.
EXAMPLES = ROOT.parent / "gan-studio-examples"
FACES_GRID = Path(__file__).resolve().parent.parent / "docs" / "faces-dcgan64-seed0.png"

NO_MODELS_MESSAGE = (
    "**No super-resolution model is available yet:** only bicubic can be shown. Train one with "
    "`python -m gan_core train-sr ...` (its `export/` folder is a checkpoint), copy it into `checkpoints/`, "
    "or point the `GAN_CORE_CHECKPOINTS` environment variable at a folder of checkpoints."
)

EXPLAIN = (
    "**x4 super-resolution.** SRResNet (Ledig et al. 2017) is a 16-block residual network that turns each "
    "input pixel into a 4x4 block; trained on pixel error it gives the sharpest *average* answer (high PSNR, "
    "a little smooth). SRGAN trains the same network against a discriminator, so it draws plausible texture "
    "instead (lower PSNR, more detail; the detail is invented). Bicubic interpolation is the baseline every "
    "method is compared to. *Downscale first and score* shrinks your photo x4, upscales it back and measures "
    "how close each result is to the original: PSNR in dB (higher is closer) and SSIM (1 is identical), on "
    f"brightness, {BORDER} pixels from the edges left out."
)


# ----------------------------------------------------------------------------- models


def model_choices() -> list[str]:
    """The SR checkpoints, then bicubic (always there)."""
    return gan_core.list_checkpoints(task=SUPER_RESOLUTION) + [BICUBIC]


@functools.lru_cache(maxsize=4)
def _upscaler(name: str, device: str):
    return gan_core.load(name, device=device, task=SUPER_RESOLUTION)


def _check_model(model_name: str | None) -> str:
    if not model_name:
        raise _input_error("Choose a model first.")
    # names from a browser: checked
    if model_name != BICUBIC and model_name not in gan_core.list_checkpoints(task=SUPER_RESOLUTION):
        raise _input_error(f"Unknown model {model_name!r}; available: {', '.join(model_choices())}.")
    return model_name


def model_summary(model_name: str | None) -> str:
    """A few Markdown lines about the chosen model, from its card."""
    if model_name == BICUBIC or not model_name:
        return "**bicubic**: PIL's bicubic interpolation (a = -0.5), no learning."
    try:
        card = _upscaler(_check_model(model_name), "cpu").card
    except (gr.Error, CheckpointError) as exc:
        return f"**{getattr(exc, 'message', exc)}**"
    lines = [f"**{card.get('name', model_name)}**: {card.get('description', '')}"]
    loss = card.get("loss") or {}
    if loss.get("content"):
        lines.append(f"- **Loss:** {loss['content']} content loss"
                     + (f" + {loss['pixel_weight']:g} x pixel MSE" if loss.get("pixel_weight") else "")
                     + (f" + {loss['adversarial_weight']:g} x adversarial" if loss.get("adversarial_weight") else ""))
    training = card.get("training") or {}
    if training.get("steps") is not None:
        hours = (training.get("wall_time_s") or 0) / 3600
        lines.append(f"- **Training:** {training['steps']:,} steps of {card.get('config', {}).get('batch_size', '?')} "
                     f"crops in {hours:.1f} h on {training.get('hardware', '?')}")
    sets = ((card.get("metrics") or {}).get("evaluation") or {}).get("sets") or {}
    for name, s in sets.items():
        lines.append(f"- **{name}:** {s['psnr']:.2f} dB / SSIM {s['ssim']:.3f} "
                     f"(bicubic {s['bicubic_psnr']:.2f} dB / {s['bicubic_ssim']:.3f})")
    return "\n".join(lines)


def slider_label(model_name: str | None) -> str:
    if model_name == BICUBIC:
        return "Left: the input, each pixel a 4x4 block · right: bicubic (drag to compare)"
    return f"Left: bicubic · right: {model_name} (drag to compare)"


def on_model_change(model_name: str | None):
    return model_summary(model_name), gr.ImageSlider(label=slider_label(model_name))


# ----------------------------------------------------------------------------- the work


@dataclass
class UpscaleResult:
    """What one request produced; `scores` is filled in score mode only."""

    input: Image.Image  # what the network saw (the shrunk photo in score mode)
    bicubic: Image.Image
    output: Image.Image  # the chosen model's result (bicubic itself when the model is bicubic)
    original: Image.Image | None = None  # score mode: the upload, cropped to a multiple of 4
    scores: dict[str, tuple[float, float]] = field(default_factory=dict)  # method -> (PSNR dB, SSIM)
    model: str = BICUBIC


def _too_large(width: int, height: int, limit: int, what: str) -> gr.Error:
    side = math.isqrt(limit)
    return _input_error(
        f"This photo is {width}x{height} = {width * height:,} pixels; {what} at most {limit:,} pixels "
        f"(about {side}x{side}) so that one request does not hold the server for minutes. Downscale or crop "
        f"it first, or upscale large photos from Python: gan_core.load(...)(path).")


def _read(path) -> Image.Image:
    """The upload, read once by gan_core's checked reader (size checked from the header)."""
    if path is None or path == "":
        raise _input_error("Upload a photo first (or pick one of the examples).")
    if isinstance(path, Image.Image):
        return path
    try:
        return read_image(path, max_pixels=MAX_INPUT_PIXELS * SCALE * SCALE)
    except ImageTooLargeError as exc:
        raise _too_large(exc.width, exc.height, MAX_INPUT_PIXELS * SCALE * SCALE,
                         "the Upscale tab reads photos of") from None
    except DataError as exc:
        raise _input_error(f"This file cannot be upscaled: {exc}") from None


@gpu(duration=60)
def upscale_photo(path, model_name: str | None, score: bool = False, progress_fn=None) -> UpscaleResult:
    """Upscale the photo at `path` (or a PIL image) x4 with `model_name` and bicubic.

    `score`: the photo is the ground truth; it is cropped to a multiple of 4, shrunk x4
    with bicubic, upscaled back, and both results are scored against it."""
    model_name = _check_model(model_name)
    image = _read(path)
    original = None
    if score:
        rgb = load_for_upscale(image, max_input_pixels=MAX_INPUT_PIXELS * SCALE * SCALE)[0]
        if min(rgb.size) < MIN_SCORE_SIDE:
            raise _input_error(f"This photo is {rgb.width}x{rgb.height}: too small to score; scoring needs at "
                               f"least {MIN_SCORE_SIDE} pixels a side (it is shrunk x{SCALE} first).")
        original = crop_to_multiple(rgb, SCALE)
        image = bicubic_downscale(original, SCALE)
    if min(image.size) < MIN_IMAGE_SIDE:
        raise _input_error(f"This photo is {image.width}x{image.height}: too small, upscaling needs at least "
                           f"{MIN_IMAGE_SIDE} pixels a side.")
    if image.width * image.height > MAX_INPUT_PIXELS:
        raise _too_large(image.width, image.height, MAX_INPUT_PIXELS,
                         "the network upscales" + (" (after shrinking it x4)" if score else ""))
    bicubic = bicubic_upscale(image, SCALE)
    if model_name == BICUBIC:
        output = bicubic
    else:
        try:
            up = _upscaler(model_name, best_device())
        except CheckpointError as exc:
            raise gr.Error(f"Model {model_name!r} could not be loaded: {exc}") from None
        output = up(image, max_input_pixels=MAX_INPUT_PIXELS, progress_fn=progress_fn)
    result = UpscaleResult(image, bicubic, output, original, model=model_name)
    if original is not None:
        for name, img in ((BICUBIC, bicubic), (model_name, output)):
            result.scores[name] = (psnr_y(img.convert("RGB"), original, border=BORDER),
                                   ssim_y(img.convert("RGB"), original, border=BORDER))
    return result


def centre_crops(result: UpscaleResult) -> list[tuple[Image.Image, str]]:
    """The centre CROP_HR px of each result (and of the input and original), zoomed
    ZOOM times with nearest neighbour: (image, caption) pairs for a gallery."""
    w, h = result.output.size
    side = min(CROP_HR, w, h)
    left, top = (w - side) // 2 // SCALE * SCALE, (h - side) // 2 // SCALE * SCALE  # on the input's grid
    box = (left, top, left + side, top + side)
    big = (side * ZOOM, side * ZOOM)
    near = Image.Resampling.NEAREST
    lr_box = tuple(v // SCALE for v in box)
    crops = [(result.input.crop(lr_box).resize(big, near), "input (each pixel a block)"),
             (result.bicubic.crop(box).resize(big, near), BICUBIC)]
    if result.model != BICUBIC:
        crops.append((result.output.crop(box).resize(big, near), result.model))
    if result.original is not None:
        crops.append((result.original.crop(box).resize(big, near), "original"))
    return crops


def scores_table(result: UpscaleResult) -> str:
    """The score mode's Markdown table (empty without scores)."""
    if not result.scores:
        return ""
    lines = [f"Scored against your photo ({result.original.width}x{result.original.height}), shrunk x{SCALE} "
             f"and upscaled back:", "", "| method | PSNR (dB) | SSIM |", "|---|---:|---:|"]
    lines += [f"| {name} | {p:.2f} | {s:.4f} |" for name, (p, s) in result.scores.items()]
    return "\n".join(lines)


def _download_file(image: Image.Image, path, model_name: str) -> str:
    """The result as a PNG named after the upload, in a folder named by its content
    (two people's `photo.jpg` never share a file)."""
    return named_png(image, path, "upscaled", f"x{SCALE}-{model_name}")


def upscale_files(path, model_name: str | None, score: bool = False, progress=gr.Progress()):
    """The Upscale event: (slider pair of PNG paths, crop gallery, scores Markdown, PNG download).

    In bicubic mode the slider compares the input (each pixel a block) with bicubic;
    otherwise bicubic with the model."""
    result = upscale_photo(path, model_name, bool(score),
                           progress_fn=lambda done, total: progress(done / total, desc="upscaling tiles"))
    if result.model == BICUBIC:
        left = result.input.resize(result.bicubic.size, Image.Resampling.NEAREST)
    else:
        left = result.bicubic
    pair = (png_file(left, folder="upscaled"), png_file(result.output, folder="upscaled"))
    gallery = [(png_file(img, folder="upscaled"), caption) for img, caption in centre_crops(result)]
    return pair, gallery, scores_table(result), _download_file(result.output, path, result.model)


# ----------------------------------------------------------------------------- examples


def example_images() -> list[str]:
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


# ----------------------------------------------------------------------------- layout


def build_upscale_tab() -> None:
    """The tab's components and events; call inside a gr.Blocks context."""
    choices = model_choices()
    start = default_model(choices[:-1], PREFERRED_UPSCALER) or BICUBIC
    with gr.Tab("Upscale", id="upscale"):
        if choices == [BICUBIC]:
            gr.Markdown(NO_MODELS_MESSAGE, elem_id="no-sr-models")
        gr.Markdown(EXPLAIN)
        with gr.Row(equal_height=False):
            with gr.Column(scale=1, min_width=260):
                # A file, not gr.Image: only gan_core's checked reader opens what users send.
                upload = gr.File(label=f"A photo (JPEG, PNG, WebP...; up to {MAX_INPUT_PIXELS:,} pixels)",
                                 file_types=["image"], type="filepath", height=120, elem_id="upscale-upload")
                examples = example_images()
                if examples:
                    gr.Examples([[p] for p in examples], inputs=[upload], label="Examples (made by the app)")
                model = gr.Dropdown(choices, value=start, label="Model", elem_id="upscale-model")
                score = gr.Checkbox(False, label="Downscale first and score",
                                    info="Shrink the photo x4, upscale it back, compare with the original",
                                    elem_id="upscale-score")
                go = gr.Button("Upscale x4", variant="primary", elem_id="upscale-btn")
                card_md = gr.Markdown(model_summary(start), elem_id="upscale-card")
            with gr.Column(scale=2, min_width=320):
                slider = gr.ImageSlider(label=slider_label(start), type="filepath",
                                        format="png", interactive=False, max_height=640, elem_id="upscale-slider",
                                        buttons=["fullscreen"])
                crops = gr.Gallery(label=f"Centre, zoomed {ZOOM}x (each pixel a {ZOOM}x{ZOOM} block)", columns=4,
                                   height=300, object_fit="contain", elem_id="upscale-crops")
                scores = gr.Markdown(elem_id="upscale-scores")
                download = gr.File(label="Download the result (PNG)", interactive=False, elem_id="upscale-download")

    model.change(on_model_change, inputs=model, outputs=[card_md, slider], queue=False, api_visibility="private")
    go.click(upscale_files, inputs=[upload, model, score], outputs=[slider, crops, scores, download],
             api_name="upscale", concurrency_limit=1)  # tens of seconds of CPU each: one at a time
