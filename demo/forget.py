"""The "Forget" tab: make a generator forget to draw something (DCGAN paper, section 6.1).

Brush over a concept (windows, glasses, mouths) on a grid of samples, or let a
detector label it; a logistic regression ranks the units of a generator layer by how
much they predict the concept; dropping the top units shows whether the generator
stops drawing it. All the mathematics is in gan_core.explore.ablation; this module lays it out.
"""
from __future__ import annotations

import functools
import math

import gradio as gr
import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from PIL import Image

import gan_core
from gan_core.explore.ablation import ablate_units, change_outside, collect_features, concept_share, feature_layers, \
    fit_concept_units
from gan_core.core.hub import WINDOW_DETECTION
from gan_core.core.images import make_grid

from .common import check_generator, check_seed, default_model, input_error, whole_number
from .files import serve_files

GRID = 4  # the labelling canvas: GRID x GRID samples
CANVAS = 512  # px: each sample is drawn at CANVAS / GRID px, big enough to brush on
AUTO_SAMPLES = 150  # the paper's number of labelled samples, when a detector labels them
SHOW = 8  # samples in the before / after rows, from seeds the fit never saw
SHOW_OFFSET = 10_000
BAR_UNITS = 32  # units in the ranking plot
BRUSH = "rgba(255, 0, 80, 0.55)"
DETECTORS = {"window-detector": "windows"}  # detector checkpoint -> the concept it marks
# What a generator's card must say of its data for a detector to be offered on its samples: the
# window detector was trained on facade photos, and on faces it marks eyes as windows.
DETECTOR_DATA = {"window-detector": "facade"}
# The model the tab opens on when shipped: the generator the paper's experiment (and the detector) is for.
PREFERRED_MODEL = "facades-dcgan64"
NO_DETECTOR_NOTE = ("The window detector is offered only for a model trained on facades (its card's data "
                    "names them): on other pictures it marks what is not a window. Brush over the concept instead.")


EXPLAIN = """\
**Forgetting to draw windows** (DCGAN paper, section 6.1). Mark a concept on the samples (brush over
the windows of facades, or glasses or mouths on faces), or let a detector mark it. A logistic
regression then learns, at every position of the chosen layer, which of its feature maps (*units*)
are active where the concept is; units with a positive weight predict it. Dropping them (setting
them to zero everywhere) and drawing again shows whether the generator stops drawing the concept,
and what else it forgets on the way. Nothing is retrained: the weights are untouched.
"""


# ----------------------------------------------------------------------------- handlers


@functools.lru_cache(maxsize=8)
def _layers(model_name: str) -> list[tuple[str, tuple[int, int, int]]]:
    pipe = check_generator(model_name)
    return feature_layers(pipe.generator, pipe.latents(2, seed=0))


def layer_choices(model_name: str) -> gr.Dropdown:
    """The layers to fit, named with their shapes; the second-last by default (the paper
    used one of the generator's last layers)."""
    layers = _layers(model_name)
    choices = [(f"{name}: {c} maps of {h}x{w}", name) for name, (c, h, w) in layers]
    return gr.Dropdown(choices=choices, value=layers[-2][0] if len(layers) > 1 else layers[0][0])


def _check_layer(model_name: str, layer: str) -> tuple[int, int, int]:
    shapes = dict(_layers(model_name))
    if layer not in shapes:
        raise input_error(f"Choose a layer of {model_name}: one of {', '.join(shapes)}.")
    return shapes[layer]


def _tiles(images: torch.Tensor) -> Image.Image:
    """GRID x GRID images, no borders, scaled up to CANVAS px (sharp pixels)."""
    grid = make_grid(images[:GRID * GRID], nrow=GRID, padding=0)
    return grid.resize((CANVAS, CANVAS), Image.NEAREST)


def label_canvas(model_name: str, seed) -> dict:
    """Handler of "New samples": the samples to brush on, with no marks."""
    pipe = check_generator(model_name)
    seed = check_seed(seed)
    return {"background": _tiles(pipe.decode(pipe.latents(GRID * GRID, seed=seed))), "layers": [], "composite": None}


def masks_from_canvas(editor: dict | None, size: int) -> torch.Tensor:
    """The brushed marks as one mask per sample: (GRID*GRID, size, size) in [0, 1]."""
    layers = (editor or {}).get("layers") or []
    marks = np.zeros((CANVAS, CANVAS), dtype=np.float32)
    for layer in layers:
        arr = np.asarray(layer.convert("RGBA") if isinstance(layer, Image.Image) else layer)
        if arr.ndim != 3 or arr.shape[-1] != 4:
            continue
        alpha = Image.fromarray(arr[..., 3]).resize((CANVAS, CANVAS), Image.NEAREST)
        marks = np.maximum(marks, (np.asarray(alpha) > 0).astype(np.float32))
    tile = CANVAS // GRID
    m = torch.from_numpy(marks).reshape(GRID, tile, GRID, tile).permute(0, 2, 1, 3).reshape(GRID * GRID, tile, tile)
    return F.adaptive_avg_pool2d(m[:, None], size)[:, 0]


def available_detectors() -> dict[str, str]:
    """Shipped concept detectors: checkpoint name -> concept."""
    shipped = gan_core.list_checkpoints(task=WINDOW_DETECTION)
    return {name: concept for name, concept in DETECTORS.items() if name in shipped}


def _data_text(model_name: str | None) -> str:
    """What a generator's card says of its data (description and dataset name), lower case."""
    try:
        card = check_generator(model_name).card
    except gr.Error:
        return ""
    data = card.get("data") if isinstance(card.get("data"), dict) else {}
    return " ".join(str(data.get(k) or "") for k in ("description", "dataset")).lower()


def detectors_for(model_name: str | None) -> dict[str, str]:
    """The shipped detectors that fit a generator's samples: those whose data word
    (DETECTOR_DATA) its card's data description or dataset name contains."""
    text = _data_text(model_name)
    return {name: concept for name, concept in available_detectors().items()
            if DETECTOR_DATA.get(name) and DETECTOR_DATA[name] in text}


def opening_model(models: list[str]) -> str | None:
    """The model the tab opens on: PREFERRED_MODEL when present, else the first model a
    detector fits, else the other tabs' default."""
    if PREFERRED_MODEL in models:
        return PREFERRED_MODEL
    return next((m for m in models if detectors_for(m)), default_model(models))


def _check_detector_fits(model_name: str, detector_name: str | None) -> None:
    if detector_name in available_detectors() and detector_name not in detectors_for(model_name):
        raise input_error(NO_DETECTOR_NOTE)


def detector_controls(model_name: str | None):
    """When the model changes: the detector's controls shown only for a model it fits
    (labels back to the brush otherwise), and the note saying why when it is hidden."""
    fits = detectors_for(model_name)
    shown = bool(fits)
    note = NO_DETECTOR_NOTE if (available_detectors() and model_name and not shown) else ""
    return (gr.Radio(visible=shown, value="brush"),
            gr.Dropdown(choices=list(fits), value=next(iter(fits), None), visible=shown),
            gr.Button(visible=shown), gr.Markdown(note, visible=bool(note)))


@functools.lru_cache(maxsize=2)
def _detector(name: str):
    return gan_core.load(name, task=WINDOW_DETECTION)


def detect(detector_name: str, images: torch.Tensor) -> torch.Tensor:
    """A detector's masks (N, H, W) for images (N, 3, H, W) in [-1, 1] of any size."""
    if detector_name not in available_detectors():
        raise input_error("No detector is available for this: brush over the concept instead.")
    return _detector(detector_name)(images).float()


def auto_label(model_name: str, seed, detector_name: str) -> dict:
    """Handler of "Auto-label": the detector's marks over the labelling grid."""
    pipe = check_generator(model_name)
    seed = check_seed(seed)
    _check_detector_fits(model_name, detector_name)
    images = pipe.decode(pipe.latents(GRID * GRID, seed=seed))
    masks = detect(detector_name, images)
    overlay = np.zeros((CANVAS, CANVAS, 4), dtype=np.uint8)
    big = make_grid(masks[:, None].expand(-1, 3, -1, -1) * 2 - 1, nrow=GRID, padding=0)
    on = np.asarray(big.resize((CANVAS, CANVAS), Image.NEAREST))[..., 0] > 127
    overlay[on] = (255, 0, 80, 140)
    return {"background": _tiles(images), "layers": [Image.fromarray(overlay, "RGBA")], "composite": None}


def fit_units(model_name: str, layer: str, seed, editor: dict | None, source: str, detector_name: str | None):
    """Handler of "Fit": (fit as a dict for the page, summary, ranking plot, drop slider).

    source "brush": the marks on the GRID x GRID canvas; "detector": AUTO_SAMPLES samples
    from `seed` on, labelled by the detector."""
    pipe = check_generator(model_name)
    seed = check_seed(seed)
    c, h, w = _check_layer(model_name, layer)
    size = pipe.spec.image_size
    if source == "detector":
        _check_detector_fits(model_name, detector_name)
        latents = pipe.latents(AUTO_SAMPLES, seed=seed)
        masks = detect(detector_name, pipe.decode(latents))
        how = f"{AUTO_SAMPLES} samples labelled by {detector_name}"
    else:
        latents = pipe.latents(GRID * GRID, seed=seed)
        masks = masks_from_canvas(editor, size)
        how = f"the {GRID * GRID} samples you marked"
    if masks.sum() == 0:
        raise input_error("Nothing is marked: brush over the concept on some samples (or auto-label), then fit.")
    if masks.mean() > 0.9:
        raise input_error("Almost everything is marked: brush over the concept only, so the fit can tell it "
                           "from the rest.")
    try:
        fit = fit_concept_units(collect_features(pipe.generator, layer, latents), masks)
    except ValueError as exc:
        raise input_error(str(exc)) from None
    n_pos = len(fit.positive_units)
    summary = (f"**{n_pos} of {c} units** of `{layer}` have a positive weight (they predict the concept), "
               f"fitted on {how}; the fit tells concept from not-concept with a balanced accuracy of "
               f"{fit.accuracy:.0%} ({fit.positives:,} of {fit.positions:,} positions on the concept).")
    top = fit.ranking[:BAR_UNITS]
    frame = pd.DataFrame({"unit": [str(u) for u in top], "weight": [float(fit.weights[u]) for u in top]})
    shown = f"all {c}" if c <= BAR_UNITS else f"the top {BAR_UNITS} of {c}"
    plot = gr.BarPlot(frame, title=f"Units by weight ({shown})")
    state = {"model": model_name, "layer": layer, "ranking": fit.ranking, "positive": n_pos,
             "weights": [round(float(v), 5) for v in fit.weights]}
    return state, summary, plot, gr.Slider(minimum=0, maximum=c, value=n_pos, step=1, interactive=True)


def render_ablation(model_name: str, fit: dict | None, n_drop, seed, detector_name: str | None = None):
    """Handler of the drop slider: (row before, row after, numbers)."""
    pipe = check_generator(model_name)
    seed = check_seed(seed)
    if not fit or fit.get("model") != model_name:
        raise input_error("Fit first: mark the concept and press Fit.")
    try:
        n_drop = int(n_drop)
    except (TypeError, ValueError):
        raise input_error("The number of units to drop must be a whole number.") from None
    if not 0 <= n_drop <= len(fit["ranking"]):
        raise input_error(f"Drop between 0 and {len(fit['ranking'])} units.")
    units = fit["ranking"][:n_drop]
    latents = pipe.latents(SHOW, seed=seed + SHOW_OFFSET)
    before = pipe.decode(latents)
    with ablate_units(pipe.generator, fit["layer"], units):
        after = pipe.decode(latents)
    lines = [f"Dropped the top **{n_drop}** units of `{fit['layer']}` "
             f"({'all with a positive weight' if n_drop == fit['positive'] else 'ranked by weight'}), "
             f"on {SHOW} samples the fit never saw."]
    if detector_name and detector_name in detectors_for(model_name):
        masks_before, masks_after = detect(detector_name, before), detect(detector_name, after)
        share_b, share_a = concept_share(masks_before), concept_share(masks_after)
        drop = 1 - share_a / share_b if share_b > 0 else math.nan
        change = "" if not math.isfinite(drop) else f" ({drop:.0%} fewer)" if drop >= 0 else f" ({-drop:.0%} more)"
        lines.append(f"- **{DETECTORS[detector_name]}** ({detector_name}): {share_b:.1%} of pixels before, "
                     f"{share_a:.1%} after{change}")
        lines.append(f"- **The rest of the image** changed by {change_outside(before, after, masks_before):.3f} "
                     "on average (pixel values from -1 to 1)")
    else:
        lines.append(f"- **Whole image** changed by {(after - before).abs().mean():.3f} on average "
                     "(pixel values from -1 to 1); a detector for the concept would measure it alone")
    return make_grid(before, nrow=SHOW), make_grid(after, nrow=SHOW), "\n".join(lines)


# ----------------------------------------------------------------------------- layout


def build_forget_tab() -> gr.Dropdown:
    """The tab's components and events; returns the model dropdown (the page's load lists
    every generator the server has in it)."""
    models = gan_core.list_checkpoints()
    start = opening_model(models)
    detectors = detectors_for(start)
    with gr.Tab("Forget", id="forget"):
        gr.Markdown(EXPLAIN)
        fit_state = gr.State(None)
        with gr.Row(equal_height=False):
            with gr.Column(scale=1, min_width=280):
                model = gr.Dropdown(models, value=start, label="Model", elem_id="forget-model")
                layer = gr.Dropdown([], label="Layer", elem_id="forget-layer")
                seed = whole_number(0, label="Samples from seed", elem_id="forget-seed")
                new = gr.Button("New samples", elem_id="forget-new")
                source = gr.Radio([("My brush marks", "brush"), ("A detector (150 samples)", "detector")],
                                  value="brush", label="Labels from", elem_id="forget-source",
                                  visible=bool(detectors))
                detector = gr.Dropdown(list(detectors), value=next(iter(detectors), None), label="Detector",
                                       visible=bool(detectors), elem_id="forget-detector")
                auto = gr.Button("Auto-label with the detector", visible=bool(detectors), elem_id="forget-auto")
                no_detector = gr.Markdown(visible=False, elem_id="forget-no-detector")
                fit_btn = gr.Button("Fit", variant="primary", elem_id="forget-fit")
            with gr.Column(scale=2, min_width=360):
                canvas = gr.ImageEditor(label="Pick the brush (left), then paint over the concept on any samples", type="pil",
                                        image_mode="RGBA", sources=(), transforms=(), layers=False,
                                        brush=gr.Brush(colors=[BRUSH], default_color=BRUSH, color_mode="fixed",
                                                       default_size=12),
                                        canvas_size=(CANVAS, CANVAS), fixed_canvas=True, height=CANVAS + 90,
                                        elem_id="forget-canvas")
        summary = gr.Markdown(elem_id="forget-summary")
        ranking = gr.BarPlot(None, x="unit", y="weight", title="Units by weight", sort="-y",
                             height=220, elem_id="forget-ranking")
        drop = gr.Slider(0, 1, value=0, step=1, label="Units to drop (default: all with a positive weight)",
                         interactive=False, elem_id="forget-drop")
        before = gr.Image(label="Before", type="pil", interactive=False, elem_classes="pixelated", height=200,
                          elem_id="forget-before")
        after = gr.Image(label="After dropping the units", type="pil", interactive=False, elem_classes="pixelated",
                         height=200, elem_id="forget-after")
        numbers = gr.Markdown(elem_id="forget-numbers")

    private = dict(api_visibility="private")
    # No triggers: when the page loads and whenever the inputs change.
    gr.on(None, lambda m: layer_choices(m) if m else gr.Dropdown(choices=[]), model, layer, **private)
    gr.on(None, detector_controls, model, [source, detector, auto, no_detector], **private)
    gr.on(None, label_canvas, [model, seed], canvas, trigger_mode="always_last", **private)
    new.click(label_canvas, [model, seed], canvas, **private)
    auto.click(auto_label, [model, seed, detector], canvas, **private).then(lambda: "detector", None, source,
                                                                           **private)
    fitted = fit_btn.click(fit_units, [model, layer, seed, canvas, source, detector],
                           [fit_state, summary, ranking, drop], concurrency_limit=1, **private)
    shown = dict(fn=serve_files(render_ablation), inputs=[model, fit_state, drop, seed, detector],
                 outputs=[before, after, numbers])
    fitted.success(**shown, **private)
    drop.release(**shown, trigger_mode="always_last", **private)
    return model
