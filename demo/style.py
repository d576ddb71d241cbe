"""The "Style" tab: photos to paintings at any size with the Siamese GAN, tile by tile.

Upload a photo (or pick an example), choose a model, a working resolution and a method;
the photo at the working size and its painting show under a comparison slider, with the
seam score of both (is there a tile grid?) and a PNG to download. An accordion explains
the combo, the training trick that lets the generator work tile by tile without seams,
with a drawing made by demo/examples.py (`combo_figure`, saved as docs/combo.png).

All the work is in gan_core.pipelines.style; the handlers here check, call and lay out.
They are plain functions, so tests can call them without a browser:

    >>> result = paint_photo("photo.png", "photo2painting-siamese", 1024, TILES)   # doctest: +SKIP
    >>> result.painting.size, result.seams                                         # doctest: +SKIP
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import gradio as gr
import torch
from PIL import Image

import gan_core
from gan_core.core.errors import CheckpointError, DataError, ImageTooLargeError
from gan_core.core.hub import STYLE_TRANSFER
from gan_core.evaluation.painting_score import PAINTED, painting_probabilities
from gan_core.pipelines.style import MAX_WORKING_SIZE, load_picture, seam_score

from . import gpu as _gpu_module
from .common import check_name, duration, error_text, input_error, keep_on_error, quoted
from .examples import COMBO_PNG, combo_figure, style_examples
from .files import named_png, png_file
from .gpu import best_device, gpu

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


JUDGE = "photo-or-painting"  # the held-out measure of "painted" (gan_core.evaluation.painting_score)


@functools.lru_cache(maxsize=1)
def _judge():
    """The shipped photo-or-painting judge, or None when it is not installed (the tab then
    shows the seam score alone)."""
    from gan_core.core.hub import ATTRIBUTE_CLASSIFICATION

    if JUDGE not in gan_core.list_checkpoints(task=ATTRIBUTE_CLASSIFICATION):
        return None
    try:
        return gan_core.load(JUDGE, task=ATTRIBUTE_CLASSIFICATION).classifier
    except CheckpointError:
        return None


def _check_model(model_name: str | None) -> str:
    return check_name(model_name, gan_core.list_checkpoints(task=STYLE_TRANSFER), none_message=(
        "No style-transfer model is installed: train one with `python -m gan_core style train ...` and copy "
        "its export/ folder into checkpoints/ (see the note in the Style tab)."))


def _check_working_size(working_size) -> int:
    try:
        size = int(working_size)
    except (TypeError, ValueError):
        raise input_error(f"The working size must be a number of pixels, one of "
                           f"{', '.join(map(str, working_size_choices()))}; not {quoted(working_size)}.") from None
    cap = max_working_size()
    if size > cap:
        why = ("the most this server translates on its CPU (a 4096 px picture takes minutes there)"
               if cap < MAX_WORKING_SIZE else "the most the translator takes")
        raise input_error(f"A working size of {size} px is too large: {cap} px on the longest side is {why}. "
                           f"Choose one of {', '.join(map(str, working_size_choices()))}.")
    if size not in WORKING_SIZES:
        raise input_error(f"Choose a working size of {', '.join(map(str, working_size_choices()))} px, "
                           f"not {size}.")
    return size


def _check_method(method: str | None) -> str:
    if method in METHODS.values():
        return method
    if method in METHODS:
        return METHODS[method]
    raise input_error(f"Unknown method {quoted(method)}; choose '{TILES}' or '{RESIZED}'.")


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
                     f"in {duration(training.get('wall_time_s'))} on {training.get('hardware', '?')}")
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
    if seams.get("painting_share") is not None:
        line = (f"- **Painted:** {seams['painting_share']:.0%} of those photos, translated, are called paintings "
                "by the photo-or-painting judge")
        controls = [f"{what}: {seams[key]:.0%}" for key, what in (
            ("painting_share_photos", "the photos themselves"),
            ("painting_share_filtered_photos", "the photos with a cool cast and a soft focus"))
            if seams.get(key) is not None]
        if controls:
            line += f" ({'; '.join(controls)})"
        lines.append(line)
    return "\n".join(lines)


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
    painted: float | None = None  # the judge's painting probability for the painting (None: no judge)
    painted_photo: float | None = None  # the same for the photo


def _seams(image: Image.Image, tile: int) -> float | None:
    try:
        return seam_score(image, tile)
    except ValueError:  # a picture without a tile border (narrower than a tile both ways)
        return None


def _read(path, working_size: int) -> Image.Image:
    """The upload at the working size, read once by gan_core's checked reader."""
    if path is None or path == "":
        raise input_error("Upload a photo first (or pick one of the examples).")
    try:
        return load_picture(path if isinstance(path, Image.Image) else str(path), working_size)
    except ImageTooLargeError as exc:
        raise input_error(f"This photo is too large to paint: {error_text(exc)}") from None
    except DataError as exc:
        raise input_error(f"This file cannot be painted: {error_text(exc)}") from None


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
        raise gr.Error(f"Model {quoted(model_name)} could not be loaded: {error_text(exc)}") from None
    painting = painter(picture, working_size=None, method=how, progress_fn=progress_fn)
    painted = painted_photo = None
    judge = _judge()
    if judge is not None:
        painted, painted_photo = painting_probabilities(judge, [painting, picture]).tolist()
    return StyleResult(picture, painting, model_name, how, painter.tile,
                       _seams(painting, painter.tile), _seams(picture, painter.tile), painted, painted_photo)


def seams_text(result: StyleResult) -> str:
    """The seam scores and the judge's verdicts as Markdown, with what they mean."""
    if result.seams is None:
        text = "Seam score: the picture is too small to have a tile border."
    else:
        photo = f"{result.seams_photo:.3f}" if result.seams_photo is not None else "n/a"
        text = (f"**Seam score** on the {result.tile} px tile grid: painting **{result.seams:.3f}**, your photo "
                f"{photo}. It is the mean difference between neighbouring pixels across tile borders divided by "
                "that inside tiles: 1.0 = tile borders as smooth as anywhere else, above 1 a grid shows.")
    if result.painted is not None:
        verdict = "a painting" if result.painted > PAINTED else "a photo"
        text += (f"\n\n**Painted?** The photo-or-painting judge (trained here on photos and the training "
                 f"paintings' painter, never on a translation) gives the painting **{result.painted:.2f}** "
                 f"({verdict}; over {PAINTED:g} is a painting) and your photo {result.painted_photo:.2f}. It sees "
                 "texture, edges and strokes, not colour alone, and knows one painter's style.")
    return text


def _download_file(image: Image.Image, path, model_name: str, method: str, size: int) -> str:
    """The painting as a PNG named after the upload, in a folder named by its content
    (two people's `photo.jpg` never share a file)."""
    return named_png(image, path, "style", f"{model_name}-{method}-{size}px")


def style_files(path, model_name: str | None, working_size=DEFAULT_WORKING_SIZE, method: str | None = TILES,
                progress=gr.Progress()):
    """Paint a photo in the style of a photo-to-painting GAN, tile by tile at full detail or resized.

    Args:
        path: the photo (JPEG, PNG, WebP ...), as a file.
        model_name: the photo-to-painting model, one of the app's style models (photo2painting-siamese).
        working_size: the painting's longest side in px: 512, 1024 or 2048 (4096 only with a GPU); the photo is resized to it.
        method: "Tiles (combo-trained, full detail)" (or "tiles") or "Resize down, translate, resize up (baseline)" (or "resized").

    Returns:
        A before/after pair of PNGs (the photo at the working size, the painting), the seam score (Markdown: 1.0
        means tile borders as smooth as elsewhere), and the painting as a PNG file.
    """
    result = paint_photo(path, model_name, working_size, method,
                         progress_fn=lambda done, total: progress(done / total, desc="painting rows of tiles"))
    pair = (png_file(result.picture, folder="style"), png_file(result.painting, folder="style"))
    size = max(result.picture.size)
    return pair, seams_text(result), _download_file(result.painting, path, result.model, result.method, size)


# ----------------------------------------------------------------------------- layout


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
                # Why the last request was refused, until the next one works (the result stays).
                status = gr.Markdown("", elem_id="style-status", elem_classes="input-status")
                api = gr.Button(visible=False)  # never shown: the API endpoint, whose callers get the error
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

    model.change(model_summary, inputs=model, outputs=card_md, queue=False, api_visibility="private")
    # Seconds to a minute of CPU each: one at a time.
    io = dict(inputs=[upload, model, size, method], concurrency_limit=1, concurrency_id="style")
    api.click(style_files, outputs=[slider, seams, download], api_name="style", **io)
    # The page's button: a refused photo leaves the last result on screen and says why beside the button.
    go.click(keep_on_error(style_files, 3), outputs=[slider, seams, download, status],
             api_visibility="private", **io)
