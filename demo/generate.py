"""The "Generate" tab: pick a shipped model and a seed, get a grid of samples.

Everything here is UI: sampling, seeding and grid layout live in gan_core.
The event handlers are plain functions so tests can call them directly.
"""
from __future__ import annotations

import functools
import math
import random

import gradio as gr
from PIL import Image

import gan_core
from gan_core.core.errors import CheckpointError
from gan_core.core.hub import GAN, REPO_CHECKPOINTS

from . import trained
from .files import png_file

GRID_SIZES = [1, 4, 9, 16, 36, 64]
DEFAULT_GRID_SIZE = 16
# torch accepts 64-bit seeds; 32 bits are plenty and survive JSON/JavaScript intact.
MAX_SEED = 2**32 - 1

NO_MODELS_MESSAGE = (
    "**No trained model is available yet.** Train one with `python -m gan_core train ...` "
    "(its `export/` folder is a checkpoint), copy it into `checkpoints/`, "
    "or point the `GAN_CORE_CHECKPOINTS` environment variable at a folder of checkpoints."
)


def _input_error(message: str) -> gr.Error:
    # A user's typo is not a server fault: show it, but keep the traceback out of the log.
    return gr.Error(message, print_exception=False)


# The shipped model the tabs open on: the face generator the Explore tab's presets are for.
PREFERRED_MODEL = "faces-dcgan64"


def default_model(models: list[str], preferred: str = PREFERRED_MODEL) -> str | None:
    """The model a tab opens on: the operator's first (from $GAN_CORE_CHECKPOINTS, listed
    first), else `preferred` when shipped, else the first."""
    if not models:
        return None
    if not (REPO_CHECKPOINTS / models[0]).is_dir():
        return models[0]
    return preferred if preferred in models else models[0]


def model_location(name: str):
    """What gan_core.load takes for a model name: a shipped name, or the folder of a
    model trained in the Train tab (a snapshot that never changes under its name)."""
    return trained.path(name) if trained.is_trained(name) else name


@functools.lru_cache(maxsize=8)
def load_pipeline(name: str) -> gan_core.GeneratorPipeline:
    """Each model is read from disk once per process."""
    return gan_core.load(model_location(name), task=GAN)


def _check_model_name(model_name: str | None) -> str:
    if trained.is_trained(model_name):
        return model_name
    available = gan_core.list_checkpoints()
    if not available:
        raise _input_error("No trained model is available: add a checkpoint first (see the note in the Generate tab).")
    if not model_name:
        raise _input_error("Choose a model first.")
    if model_name not in available:
        raise _input_error(f"Unknown model {model_name!r}; available: {', '.join(available)}.")
    return model_name


def _check_model(model_name: str | None) -> gan_core.GeneratorPipeline:
    _check_model_name(model_name)
    try:
        return load_pipeline(model_name)
    except CheckpointError as exc:
        raise gr.Error(f"Model {model_name!r} could not be loaded: {exc}") from None


def _check_seed(seed) -> int:
    if seed is None or seed == "":
        raise _input_error(f"Enter a seed: a whole number from 0 to {MAX_SEED}.")
    if isinstance(seed, bool) or not isinstance(seed, (int, float)) or not math.isfinite(seed) or seed != int(seed):
        raise _input_error(f"The seed must be a whole number, not {seed!r}.")
    if not 0 <= int(seed) <= MAX_SEED:
        raise _input_error(f"The seed must be between 0 and {MAX_SEED}, not {int(seed)}.")
    return int(seed)


def _check_grid_size(grid_size) -> int:
    try:
        size = int(grid_size)
    except (TypeError, ValueError):
        size = None
    if size not in GRID_SIZES:
        raise _input_error(f"The grid size must be one of {', '.join(map(str, GRID_SIZES))}, not {grid_size!r}.")
    return size


def validate_inputs(model_name: str | None, seed: int | float | None, grid_size: int) -> list[dict]:
    """Validator of the Generate event, run before it: a message under each bad
    input, and the previous grid stays on screen."""
    return [_validity(_check_model_name, model_name), _validity(_check_seed, seed),
            _validity(_check_grid_size, grid_size)]


def _validity(check, value) -> dict:
    try:
        check(value)
    except gr.Error as exc:
        return gr.validate(False, exc.message)
    return gr.validate(True, "")


def generate(model_name: str | None, seed: int | float | None, grid_size: int) -> tuple[Image.Image, str]:
    """Handler of the Generate button: (grid image, path of the same grid as a PNG).

    Bad input raises gr.Error with a message saying what to fix. In the app,
    validate_inputs catches it first; the checks here guard API callers."""
    seed = _check_seed(seed)
    num_images = _check_grid_size(grid_size)
    pipe = _check_model(model_name)
    grid = pipe.grid(num_images, seed=seed)
    return grid, png_file(grid, f"{model_name}-seed{seed}-{num_images}.png", folder="downloads")


def generate_files(model_name: str | None, seed: int | float | None, grid_size: int) -> tuple[str, str]:
    """The Generate event: the grid's PNG file for both the picture and the download.
    Gradio copies a returned file into its cache atomically, where it would rewrite a
    returned PIL image in place, a race between two people asking for the same grid."""
    _, path = generate(model_name, seed, grid_size)
    return path, path


def random_seed() -> int:
    return random.randint(0, MAX_SEED)


# ----------------------------------------------------------------------------- model card


def model_card(model_name: str | None) -> dict:
    """The full model card, or {} when there is none to show."""
    if not model_name or (model_name not in gan_core.list_checkpoints() and not trained.is_trained(model_name)):
        return {}
    try:
        return load_pipeline(model_name).card
    except CheckpointError:
        return {}


def show_model_card(model_name: str | None) -> tuple[str, dict]:
    return card_summary(model_name), model_card(model_name)


def card_summary(model_name: str | None) -> str:
    """A few Markdown lines: what the model is, what it saw, how it was trained."""
    if not gan_core.list_checkpoints() and not trained.is_trained(model_name):
        return ""  # the tab's banner already says so
    if not model_name:
        return "Choose a model to see its card."
    try:
        card = _check_model(model_name).card
    except gr.Error as exc:
        return f"**{exc.message}**"
    lines = [f"**{card.get('name', model_name)}** · `{card.get('model', '?')}`"
             + (f" — {card['description']}" if card.get("description") else "")]
    data = card.get("data") or {}
    if data:
        images = f"{data['images']:,} images" if isinstance(data.get("images"), int) else ""
        lines.append("- **Data:** " + " — ".join(s for s in (images, data.get("description", "")) if s))
    training = card.get("training") or {}
    if training:
        lines.append("- **Training:** " + _training_summary(training))
        if training.get("command"):
            lines.append(f"- **Command:** `{training['command']}`")
    return "\n".join(lines)


def _training_summary(training: dict) -> str:
    parts = []
    if training.get("steps") is not None:
        parts.append(f"{training['steps']:,} steps")
    if training.get("epochs") is not None:
        parts.append(f"({training['epochs']:g} epochs)")
    if training.get("wall_time_s") is not None:
        parts.append(f"in {_duration(training['wall_time_s'])}")
    if training.get("hardware"):
        parts.append(f"on {training['hardware']}")
    return " ".join(parts) or "no details recorded"


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


# ----------------------------------------------------------------------------- layout


def build_generate_tab() -> gr.Dropdown:
    """The tab's components and events; call inside a gr.Blocks context. Returns the
    model dropdown, which the Train tab fills with a model trained there."""
    models = gan_core.list_checkpoints()
    with gr.Tab("Generate", id="generate"):
        if not models:
            gr.Markdown(NO_MODELS_MESSAGE, elem_id="no-models")
        with gr.Row(equal_height=False):
            with gr.Column(scale=1, min_width=260):
                model = gr.Dropdown(models, value=default_model(models), label="Model",
                                    interactive=bool(models), elem_id="model")
                with gr.Row(equal_height=True):
                    # No minimum/maximum here: _check_seed says what is wrong more clearly.
                    seed = gr.Number(0, label="Seed", precision=0, scale=3, elem_id="seed")
                    dice = gr.Button("Random", scale=1, min_width=90, size="md", elem_id="random-seed")
                grid_size = gr.Radio(GRID_SIZES, value=DEFAULT_GRID_SIZE, label="Images in the grid",
                                     elem_id="grid-size")
                generate_btn = gr.Button("Generate", variant="primary", elem_id="generate-btn",
                                         interactive=bool(models))
                download = gr.DownloadButton("Download PNG", interactive=False, elem_id="download-png")
            with gr.Column(scale=2, min_width=320):
                grid = gr.Image(label="Samples", type="pil", format="png", interactive=False,
                                buttons=["fullscreen"], height=520, elem_id="grid")
                card_md = gr.Markdown(elem_id="card-summary")
                with gr.Accordion("Full model card", open=False):
                    card_json = gr.JSON(show_label=False)

    # No triggers: runs when the page loads and whenever the model changes.
    gr.on(None, show_model_card, inputs=model, outputs=[card_md, card_json], api_visibility="private")
    dice.click(random_seed, outputs=seed, queue=False, api_visibility="private")
    gr.on([generate_btn.click, seed.submit], generate_files, inputs=[model, seed, grid_size],
          outputs=[grid, download], api_name="generate", validator=validate_inputs
          ).success(lambda: gr.DownloadButton(interactive=True), outputs=download, queue=False,
                    api_visibility="private")  # nothing to download before the first grid
    return model
