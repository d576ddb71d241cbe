"""The "Upscale" tab: a photo four times larger with SRResNet / SRGAN, next to bicubic.

Upload a photo (or pick an example), choose a model; the result and bicubic show side
by side under a comparison slider, with zoomed crops of the centre (each pixel drawn
4x4, so the difference is visible), and a PNG to download. "Downscale first and score"
treats the upload as the ground truth: it is shrunk x4 with bicubic, upscaled back, and
the result is scored against the original (PSNR and SSIM on Y, the SR benchmarks' way).

All the work is in gan_core (pipelines.upscaler, pipelines.tiles, evaluation.sr_benchmarks);
the handlers here check, call and lay out. They are plain functions, so tests can call them without a browser:

    >>> result = upscale_photo("photo.png", "bicubic", score=True)   # doctest: +SKIP
    >>> result.output.size, result.scores                             # doctest: +SKIP
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import gradio as gr
from PIL import Image

import gan_core
from gan_core.core.errors import CheckpointError, DataError, ImageTooLargeError
from gan_core.core.hub import SUPER_RESOLUTION
from gan_core.data.image_set import MIN_IMAGE_SIDE, read_image
from gan_core.evaluation.sr_benchmarks import BORDER, MIN_SCORE_SIDE, SCALE, score_photo
from gan_core.pipelines.tiles import bicubic_upscale, output_mode
from gan_core.pipelines.upscaler import BICUBIC, DEFAULT_UPSCALER

from .common import check_name, default_model, input_error, keep_on_error
from .examples import upscale_examples
from .files import named_png, png_file
from .gpu import best_device, gpu

PREFERRED_UPSCALER = DEFAULT_UPSCALER
# One request holds the CPU for as long as the network runs: SRResNet does about 6,800
# input pixels a second on an idle 2-core CPU (256x256 in 9.7 s, bench/upscale_speed.py;
# 52 s with two training runs beside it), so 512x512 is 40 s or more. Larger photos are
# refused with a message; the Python API (gan_core.load) takes up to
# 4096x4096.
MAX_INPUT_PIXELS = 512 * 512
CROP_HR = 64  # side of the centre crop, in result pixels
ZOOM = 4  # each pixel of a crop drawn ZOOM x ZOOM (nearest), so the difference shows

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
    return check_name(model_name, model_choices())


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
    return input_error(
        f"This photo is {width}x{height} = {width * height:,} pixels; {what} at most {limit:,} pixels "
        f"(about {side}x{side}) so that one request does not hold the server for minutes. Downscale or crop "
        f"it first, or upscale large photos from Python: gan_core.load(...)(path).")


def _read(path) -> Image.Image:
    """The upload, read once by gan_core's checked reader (size checked from the header)."""
    if path is None or path == "":
        raise input_error("Upload a photo first (or pick one of the examples).")
    try:
        # Shown beside the result and written as PNG: in the result's mode family (L, LA, RGB, RGBA),
        # whatever the file's (palette, CMYK, LAB, 16-bit, float).
        if isinstance(path, Image.Image):
            return output_mode(path)
        return output_mode(read_image(path, max_pixels=MAX_INPUT_PIXELS * SCALE * SCALE))
    except ImageTooLargeError as exc:
        raise _too_large(exc.width, exc.height, MAX_INPUT_PIXELS * SCALE * SCALE,
                         "the Upscale tab reads photos of") from None
    except DataError as exc:
        raise input_error(f"This file cannot be upscaled: {exc}") from None


@gpu(duration=60)
def upscale_photo(path, model_name: str | None, score: bool = False, progress_fn=None) -> UpscaleResult:
    """Upscale the photo at `path` (or a PIL image) x4 with `model_name` and bicubic.

    `score`: the photo is the ground truth; it is cropped to a multiple of 4, shrunk x4
    with bicubic, upscaled back, and both results are scored against it
    (gan_core.evaluation.sr_benchmarks.score_photo, as `evaluate-sr` does)."""
    model_name = _check_model(model_name)
    image = _read(path)
    if score and min(image.size) < MIN_SCORE_SIDE:
        raise input_error(f"This photo is {image.width}x{image.height}: too small to score; scoring needs at "
                          f"least {MIN_SCORE_SIDE} pixels a side (it is shrunk x{SCALE} first).")
    if min(image.size) < MIN_IMAGE_SIDE:
        raise input_error(f"This photo is {image.width}x{image.height}: too small, upscaling needs at least "
                          f"{MIN_IMAGE_SIDE} pixels a side.")
    # Score mode shrinks the photo x4 before the network sees it.
    limit = MAX_INPUT_PIXELS * SCALE * SCALE if score else MAX_INPUT_PIXELS
    if image.width * image.height > limit:
        raise _too_large(image.width, image.height, limit, "the Upscale tab scores photos of" if score
                         else "the network upscales")
    upscaler = None
    if model_name != BICUBIC:
        try:
            upscaler = functools.partial(_upscaler(model_name, best_device()), max_input_pixels=MAX_INPUT_PIXELS,
                                         progress_fn=progress_fn)
        except CheckpointError as exc:
            raise gr.Error(f"Model {model_name!r} could not be loaded: {exc}") from None
    if not score:
        bicubic = bicubic_upscale(image, SCALE)
        return UpscaleResult(image, bicubic, upscaler(image) if upscaler else bicubic, model=model_name)
    scored = score_photo(upscaler, image)
    return UpscaleResult(scored.input, scored.bicubic, scored.output, scored.original, model=model_name,
                         scores={BICUBIC: scored.bicubic_score, model_name: scored.score})


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
    """Upscale a photo 4x with a super-resolution GAN (SRGAN, SRResNet) or bicubic, and compare.

    Args:
        path: the photo (JPEG, PNG, WebP ...), as a file: at least 8 px a side, at most 262,144 pixels (512x512).
        model_name: the upscaler, one of the app's super-resolution models or "bicubic".
        score: if true, the photo is the ground truth: it is shrunk 4x, upscaled back and scored (PSNR in dB, SSIM); it may then be up to 16x larger and needs 32 px a side.

    Returns:
        A before/after pair of PNGs (bicubic then the model; for "bicubic", the input then bicubic), centre crops
        zoomed 4x, the scores (Markdown, empty without score), and the result as a PNG file.
    """
    result = upscale_photo(path, model_name, bool(score),
                           progress_fn=lambda done, total: progress(done / total, desc="upscaling tiles"))
    if result.model == BICUBIC:
        left = result.input.resize(result.bicubic.size, Image.Resampling.NEAREST)
    else:
        left = result.bicubic
    pair = (png_file(left, folder="upscaled"), png_file(result.output, folder="upscaled"))
    gallery = [(png_file(img, folder="upscaled"), caption) for img, caption in centre_crops(result)]
    return pair, gallery, scores_table(result), _download_file(result.output, path, result.model)


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
                examples = upscale_examples()
                if examples:
                    gr.Examples([[p] for p in examples], inputs=[upload], label="Examples (made by the app)")
                model = gr.Dropdown(choices, value=start, label="Model", elem_id="upscale-model")
                score = gr.Checkbox(False, label="Downscale first and score",
                                    info="Shrink the photo x4, upscale it back, compare with the original",
                                    elem_id="upscale-score")
                go = gr.Button("Upscale x4", variant="primary", elem_id="upscale-btn")
                # Why the last request was refused, until the next one works (the result stays).
                status = gr.Markdown("", elem_id="upscale-status", elem_classes="input-status")
                api = gr.Button(visible=False)  # never shown: the API endpoint, whose callers get the error
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
    # Tens of seconds of CPU each: one at a time.
    io = dict(inputs=[upload, model, score], concurrency_limit=1, concurrency_id="upscale")
    api.click(upscale_files, outputs=[slider, crops, scores, download], api_name="upscale", **io)
    # The page's button: a refused photo leaves the last result on screen and says why beside the button.
    go.click(keep_on_error(upscale_files, 4), outputs=[slider, crops, scores, download, status],
             api_visibility="private", **io)
