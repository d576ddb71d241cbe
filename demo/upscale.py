"""The "Upscale" tab: a photo four times larger with a super-resolution network, next to
bicubic or another model.

Upload a photo (or pick an example), choose a model and what to compare it with; the two
results show under a comparison slider, with zoomed crops of the photo's most detailed
region (each pixel drawn 4x4, so the difference is visible), and a PNG to download. A
photo over the tab's size limit is shrunk to fit (said beside the result), unless the user
unticks that. "Downscale first and score" treats the upload as the ground truth: it is
shrunk x4 with bicubic, upscaled back, and the results are scored against the original
(PSNR and SSIM on Y, the SR benchmarks' way). Both modes accept the same files.

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
from gan_core.core.images import fit_within, most_detailed_box
from gan_core.pipelines.tiles import MAX_INPUT_PIXELS as MAX_READ_PIXELS
from gan_core.pipelines.tiles import bicubic_upscale, output_mode
from gan_core.pipelines.upscaler import BICUBIC, DEFAULT_UPSCALER

from .common import check_name, default_model, input_error, keep_on_error
from .examples import upscale_examples
from .files import named_png, png_file
from .gpu import best_device, gpu

PREFERRED_UPSCALER = DEFAULT_UPSCALER
# One request holds the CPU for as long as the network runs: LiteSR, the network of every
# shipped upscaler, does 256x256 in 1.0 s on an idle 2-core CPU (bench/upscale_speed.py), so
# 512x512 is about 4 s. Larger photos are shrunk to fit (or refused when the visitor
# unticks that); `python -m gan_core upscale` and gan_core.load take up to 4096x4096.
MAX_INPUT_PIXELS = 512 * 512
CROP_HR = 64  # side of the zoomed crop, in result pixels
ZOOM = 4  # each pixel of a crop drawn ZOOM x ZOOM (nearest), so the difference shows

NO_MODELS_MESSAGE = (
    "**No super-resolution model is available yet:** only bicubic can be shown. Train one with "
    "`python -m gan_core train-sr ...` (its `export/` folder is a checkpoint), copy it into `checkpoints/`, "
    "or point the `GAN_CORE_CHECKPOINTS` environment variable at a folder of checkpoints."
)

EXPLAIN = (
    "**x4 super-resolution.** Each model turns every pixel of the photo into a 4x4 block. LiteSR is a small "
    "residual network (8 blocks, 0.66 M weights) that works at the photo's own resolution and adds the missing "
    "detail to a smooth enlargement. Trained on pixel error (`photo-litesr-x4`) it gives the most faithful "
    "*average* answer (high PSNR, a little smooth). The `litesrgan` models were also trained against a "
    "discriminator, as SRGAN (Ledig et al. 2017) is, then blended with the faithful one: sharper edges, hair "
    "and stripes, about 1 dB lower PSNR, and some of the detail is invented; `faces-litesrgan-x4` learned on "
    "faces. Bicubic interpolation is the baseline every method is compared to. *Downscale first "
    "and score* shrinks your photo x4, upscales it back and measures how close each result is to the original: "
    "PSNR in dB (higher is closer) and SSIM (1 is identical), on "
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
                     + (f" + {loss['pixel_weight']:g} x pixel {loss.get('pixel_loss', 'mse').upper()}"
                        if loss.get("pixel_weight") else "")
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


INPUT_BLOCKS = "the input, each pixel a 4x4 block"


def slider_label(model_name: str | None, compare: str | None = BICUBIC) -> str:
    left = INPUT_BLOCKS if compare == model_name or not compare else compare
    return f"Left: {left} · right: {model_name} (drag to compare)"


def on_model_change(model_name: str | None, compare: str | None = BICUBIC):
    return model_summary(model_name), gr.ImageSlider(label=slider_label(model_name, compare))


def on_compare_change(model_name: str | None, compare: str | None):
    return gr.ImageSlider(label=slider_label(model_name, compare))


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
    compare: str = BICUBIC  # the method on the slider's left (the input itself when it is the model)
    compared: Image.Image | None = None  # its result
    compared_scores: tuple[float, float] | None = None
    note: str = ""  # what was done to the photo before upscaling (shrunk to fit), for the page


def _too_large(width: int, height: int, limit: int, what: str, hint: str) -> gr.Error:
    side = math.isqrt(limit)
    return input_error(f"This photo is {width}x{height} = {width * height:,} pixels; {what} at most {limit:,} "
                       f"pixels (about {side}x{side}). {hint}")


def _read(path) -> Image.Image:
    """The upload, read once by gan_core's checked reader (size checked from the header)."""
    if path is None or path == "":
        raise input_error("Upload a photo first (or pick one of the examples).")
    try:
        # Shown beside the result and written as PNG: in the result's mode family (L, LA, RGB, RGBA),
        # whatever the file's (palette, CMYK, LAB, 16-bit, float).
        if isinstance(path, Image.Image):
            return output_mode(path)
        return output_mode(read_image(path, max_pixels=MAX_READ_PIXELS))
    except ImageTooLargeError as exc:
        raise _too_large(exc.width, exc.height, MAX_READ_PIXELS, "the tab reads photos of",
                         "Shrink it first; `python -m gan_core upscale` has the same limit.") from None
    except DataError as exc:
        raise input_error(f"This file cannot be upscaled: {exc}") from None


def _method(name: str):
    """A callable image -> image x4 for a model name, or None for bicubic."""
    if name == BICUBIC:
        return None
    try:
        return _upscaler(name, best_device())
    except CheckpointError as exc:
        raise gr.Error(f"Model {name!r} could not be loaded: {exc}") from None


def fit_photo(image: Image.Image, limit: int, shrink: bool, score: bool) -> tuple[Image.Image, str]:
    """(the photo within `limit` pixels, a note saying what was done): shrunk to fit when
    `shrink`, else refused with a message that says how to go on."""
    if image.width * image.height <= limit:
        return image, ""
    what = "the tab scores photos of" if score else "the network upscales photos of"
    if not shrink:
        raise _too_large(image.width, image.height, limit, what,
                         "Tick “Shrink a larger photo to fit”, or upscale it at full size with "
                         "`python -m gan_core upscale`.")
    fitted = fit_within(image, limit)
    note = (f"Your photo ({image.width}x{image.height}) was shrunk to {fitted.width}x{fitted.height} to fit the "
            f"tab's limit of {limit:,} pixels. `python -m gan_core upscale` takes photos up to "
            f"{MAX_READ_PIXELS:,} pixels at full size.")
    return fitted, note


@gpu(duration=60)
def upscale_photo(path, model_name: str | None, score: bool = False, progress_fn=None, compare: str | None = BICUBIC,
                  shrink: bool = True) -> UpscaleResult:
    """Upscale the photo at `path` (or a PIL image) x4 with `model_name`, and with `compare`
    (bicubic by default) for the slider's other side.

    A photo over the tab's limit is shrunk to fit when `shrink` (said in `note`), else refused.
    `score`: the photo is the ground truth; it is cropped to a multiple of 4, shrunk x4
    with bicubic, upscaled back, and the results are scored against it
    (gan_core.evaluation.sr_benchmarks.score_photo, as `evaluate-sr` does)."""
    model_name = _check_model(model_name)
    compare = _check_model(compare or BICUBIC)
    image = _read(path)
    # Score mode shrinks the photo x4 before the network sees it.
    image, note = fit_photo(image, MAX_INPUT_PIXELS * SCALE * SCALE if score else MAX_INPUT_PIXELS, shrink, score)
    if score and min(image.size) < MIN_SCORE_SIDE:
        raise input_error(f"This photo is {image.width}x{image.height}: too small to score; scoring needs at "
                          f"least {MIN_SCORE_SIDE} pixels a side (it is shrunk x{SCALE} first). Untick “Downscale "
                          "first and score” to upscale it.")
    if min(image.size) < MIN_IMAGE_SIDE:
        raise input_error(f"This photo is {image.width}x{image.height}: too small, upscaling needs at least "
                          f"{MIN_IMAGE_SIDE} pixels a side.")
    upscaler, other = _method(model_name), _method(compare) if compare != model_name else None

    def run(method):
        return functools.partial(method, max_input_pixels=MAX_INPUT_PIXELS, progress_fn=progress_fn) if method else None

    if not score:
        bicubic = bicubic_upscale(image, SCALE)
        output = run(upscaler)(image) if upscaler else bicubic
        compared = None if compare == model_name else run(other)(image) if other else bicubic
        return UpscaleResult(image, bicubic, output, model=model_name, compare=compare, compared=compared, note=note)
    scored = score_photo(run(upscaler), image)
    result = UpscaleResult(scored.input, scored.bicubic, scored.output, scored.original, model=model_name,
                           scores={BICUBIC: scored.bicubic_score, model_name: scored.score}, compare=compare,
                           note=note)
    if compare not in (model_name, BICUBIC):
        other_scored = score_photo(run(other), image)
        result.compared, result.scores[compare] = other_scored.output, other_scored.score
    elif compare == BICUBIC:
        result.compared = scored.bicubic
    return result


def detail_crops(result: UpscaleResult) -> list[tuple[Image.Image, str]]:
    """CROP_HR px of each result (and of the input and original) where the photo has the
    most detail (gan_core.core.images.most_detailed_box, on the input's pixel grid), zoomed
    ZOOM times with nearest neighbour: (image, caption) pairs for a gallery."""
    lr_box = most_detailed_box(result.input, CROP_HR // SCALE, step=1)
    box = tuple(v * SCALE for v in lr_box)
    side = box[2] - box[0]
    big = (side * ZOOM, side * ZOOM)
    near = Image.Resampling.NEAREST
    crops = [(result.input.crop(lr_box).resize(big, near), "input (each pixel a block)"),
             (result.bicubic.crop(box).resize(big, near), BICUBIC)]
    if result.compared is not None and result.compare not in (BICUBIC, result.model):
        crops.append((result.compared.crop(box).resize(big, near), result.compare))
    if result.model != BICUBIC:
        crops.append((result.output.crop(box).resize(big, near), result.model))
    if result.original is not None:
        crops.append((result.original.crop(box).resize(big, near), "original"))
    return crops


def scores_table(result: UpscaleResult) -> str:
    """What was done to the photo (if anything) and the score mode's Markdown table."""
    if not result.scores:
        return result.note
    lines = ([result.note, ""] if result.note else []) + [f"Scored against your photo ({result.original.width}x{result.original.height}), shrunk x{SCALE} "
             f"and upscaled back:", "", "| method | PSNR (dB) | SSIM |", "|---|---:|---:|"]
    lines += [f"| {name} | {p:.2f} | {s:.4f} |" for name, (p, s) in result.scores.items()]
    return "\n".join(lines)


def _download_file(image: Image.Image, path, model_name: str) -> str:
    """The result as a PNG named after the upload, in a folder named by its content
    (two people's `photo.jpg` never share a file)."""
    return named_png(image, path, "upscaled", f"x{SCALE}-{model_name}")


def upscale_files(path, model_name: str | None, score: bool = False, compare: str | None = BICUBIC,
                  shrink: bool = True, progress=gr.Progress()):
    """Upscale a photo 4x with a super-resolution model or bicubic, and compare it with another.

    Args:
        path: the photo (JPEG, PNG, WebP ...), as a file: at least 8 px a side (32 to score), at most 16,777,216 pixels (4096x4096).
        model_name: the upscaler, one of the app's super-resolution models or "bicubic".
        score: if true, the photo is the ground truth: it is shrunk 4x, upscaled back and scored (PSNR in dB, SSIM).
        compare: the method on the slider's left, a model or "bicubic" (default); the model itself shows the input.
        shrink: if true (default), a photo over 262,144 pixels (512x512; 16 times that to score) is shrunk to fit; if false it is refused.

    Returns:
        A before/after pair of PNGs (`compare`'s result, then the model's), crops of the most detailed region
        zoomed 4x, a Markdown note (the scores, and whether the photo was shrunk), and the result as a PNG file.
    """
    result = upscale_photo(path, model_name, bool(score),
                           progress_fn=lambda done, total: progress(done / total, desc="upscaling tiles"),
                           compare=compare, shrink=bool(shrink))
    if result.compared is None:
        left = result.input.resize(result.output.size, Image.Resampling.NEAREST)
    else:
        left = result.compared
    pair = (png_file(left, folder="upscaled"), png_file(result.output, folder="upscaled"))
    gallery = [(png_file(img, folder="upscaled"), caption) for img, caption in detail_crops(result)]
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
                upload = gr.File(label="A photo (JPEG, PNG, WebP...)",
                                 file_types=["image"], type="filepath", height=120, elem_id="upscale-upload")
                examples = upscale_examples()
                if examples:
                    gr.Examples([[p] for p in examples], inputs=[upload], label="Examples (made by the app)")
                model = gr.Dropdown(choices, value=start, label="Model", elem_id="upscale-model")
                compare = gr.Dropdown(choices, value=BICUBIC, label="Compare with (the slider's left side)",
                                      elem_id="upscale-compare")
                shrink = gr.Checkbox(True, label="Shrink a larger photo to fit",
                                     info=f"The network upscales up to {MAX_INPUT_PIXELS:,} pixels (about "
                                          f"{math.isqrt(MAX_INPUT_PIXELS)}x{math.isqrt(MAX_INPUT_PIXELS)}) here",
                                     elem_id="upscale-shrink")
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
                crops = gr.Gallery(label=f"The most detailed region, zoomed {ZOOM}x (each pixel a {ZOOM}x{ZOOM} block)",
                                   columns=4,
                                   height=300, object_fit="contain", elem_id="upscale-crops")
                scores = gr.Markdown(elem_id="upscale-scores")
                download = gr.File(label="Download the result (PNG)", interactive=False, elem_id="upscale-download")

    model.change(on_model_change, inputs=[model, compare], outputs=[card_md, slider], queue=False,
                 api_visibility="private")
    compare.change(on_compare_change, inputs=[model, compare], outputs=slider, queue=False, api_visibility="private")
    # Seconds to tens of seconds of CPU each: one at a time.
    io = dict(inputs=[upload, model, score, compare, shrink], concurrency_limit=1, concurrency_id="upscale")
    api.click(upscale_files, outputs=[slider, crops, scores, download], api_name="upscale", **io)
    # The page's button: a refused photo leaves the last result on screen and says why beside the button.
    go.click(keep_on_error(upscale_files, 4), outputs=[slider, crops, scores, download, status],
             api_visibility="private", **io)
