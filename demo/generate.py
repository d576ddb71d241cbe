"""The "Generate" tab: pick a shipped model and a seed, get a grid of samples.

Everything here is UI: sampling, seeding and grid layout live in gan_core.
The event handlers are plain functions so tests can call them directly.
"""
from __future__ import annotations

import random

import gradio as gr
from PIL import Image

import gan_core
from gan_core.core.errors import CheckpointError

from . import trained
from .common import (MAX_SEED, check_generator, check_generator_name, check_seed, default_model, duration, input_error,
                     load_pipeline, quote_user_text, quoted, whole_number, without_folders)
from .files import png_file

GRID_SIZES = [1, 4, 9, 16, 36, 64]
DEFAULT_GRID_SIZE = 16

NO_MODELS_MESSAGE = (
    "**No trained model is available yet.** Train one with `python -m gan_core train ...` "
    "(its `export/` folder is a checkpoint), copy it into `checkpoints/`, "
    "or point the `GAN_CORE_CHECKPOINTS` environment variable at a folder of checkpoints."
)


def _check_grid_size(grid_size) -> int:
    try:
        size = int(grid_size)
    except (TypeError, ValueError):
        size = None
    if size not in GRID_SIZES:
        raise input_error(f"The grid size must be one of {', '.join(map(str, GRID_SIZES))}, not {quoted(grid_size)}.")
    return size


def validate_inputs(model_name: str | None, seed: int | float | None, grid_size: int) -> list[dict]:
    """Validator of the Generate event, run before it: a message under each bad
    input, and the previous grid stays on screen."""
    return [_validity(check_generator_name, model_name), _validity(check_seed, seed),
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
    seed = check_seed(seed)
    num_images = _check_grid_size(grid_size)
    pipe = check_generator(model_name)
    grid = pipe.grid(num_images, seed=seed)
    return grid, png_file(grid, f"{model_name}-seed{seed}-{num_images}.png", folder="downloads")


# The Generate event returns the grid's PNG file for both the picture and the download: Gradio copies
# a returned file into its cache atomically, where it would rewrite a returned PIL image in place,
# a race between two people asking for the same grid. The docstring is the API's and MCP tool's.
def generate_files(model_name: str | None, seed: int | float | None, grid_size: int) -> tuple[str, str]:
    """Sample a square grid of images from a trained GAN generator; the same model, seed and size give the same grid.

    Args:
        model_name: the generator, one of the app's models (faces-dcgan64: 64x64 px faces; cifar10-dcgan32: 32x32 px CIFAR-10 objects).
        seed: a whole number from 0 to 4294967295 naming the random latent vectors; image k of seed s is the same in every grid size.
        grid_size: how many images, one of 1, 4, 9, 16, 36, 64 (a square grid, 2 px gaps).

    Returns:
        The grid as a PNG file, and the same file to download.
    """
    _, path = generate(model_name, seed, grid_size)
    return path, path


def model_grid(model_name: str | None, seed, grid_size):
    """When the page opens and whenever the model changes: the grid of that model for the
    seed and size in the boxes (the seed-0 grid of a fresh page), so the picture under a
    model's card is always that model's. Nothing (an empty picture, no download) when there
    is no model or a box holds a bad value: the message comes when Generate is pressed."""
    try:
        path, _ = generate_files(model_name, seed, grid_size)
    except gr.Error:
        return None, gr.DownloadButton(value=None, interactive=False)
    return path, gr.DownloadButton(value=path, interactive=True)


def random_seed() -> int:
    return random.randint(0, MAX_SEED)


# ----------------------------------------------------------------------------- model card


def model_card(model_name: str | None) -> dict:
    """The full model card, or {} when there is none to show."""
    if not model_name or (model_name not in gan_core.list_checkpoints() and not trained.is_trained(model_name)):
        return {}
    try:
        return _without_folders(load_pipeline(model_name).card)
    except CheckpointError:
        return {}


def _without_folders(value):
    """A card with the folders taken out of every text in it (its data's `sources` name the
    server's folders): what the page shows of a card."""
    if isinstance(value, dict):
        return {k: _without_folders(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_folders(v) for v in value]
    return without_folders(value) if isinstance(value, str) else value


def show_model_card(model_name: str | None) -> tuple[str, dict]:
    return card_summary(model_name), model_card(model_name)


def card_summary(model_name: str | None) -> str:
    """A few Markdown lines: what the model is, what it saw, how it was trained."""
    if not gan_core.list_checkpoints() and not trained.is_trained(model_name):
        return ""  # the tab's banner already says so
    if not model_name:
        return "Choose a model to see its card."
    try:
        card = check_generator(model_name).card
    except gr.Error as exc:
        return f"**{exc.message}**"
    # A model trained in the Train tab has a card made from what its user typed and uploaded:
    # every text of a card is escaped before it is Markdown.
    lines = [f"**{quote_user_text(card.get('name', model_name), 120)}** · `{_code(card.get('model', '?'))}`"
             + (f" — {quote_user_text(card['description'], 500)}" if card.get("description") else "")]
    data = card.get("data") if isinstance(card.get("data"), dict) else {}
    if data:
        images = f"{data['images']:,} images" if isinstance(data.get("images"), int) else ""
        described = quote_user_text(without_folders(data["description"]), 500) if data.get("description") else ""
        lines.append("- **Data:** " + " — ".join(s for s in (images, described) if s))
    training = card.get("training") if isinstance(card.get("training"), dict) else {}
    if training:
        lines.append("- **Training:** " + _training_summary(training))
        if training.get("command"):
            lines.append(f"- **Command:** `{_code(without_folders(training['command']), 500)}`")
    return "\n".join(lines)


def _code(value, limit: int = 60) -> str:
    """Text for inside a Markdown `code span` (where markup is not read): no backtick to end
    it early, one line, at most `limit` characters."""
    text = " ".join(str(value).replace("`", "'").split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _training_summary(training: dict) -> str:
    parts = []
    if isinstance(training.get("steps"), int):
        parts.append(f"{training['steps']:,} steps")
    if isinstance(training.get("epochs"), (int, float)):
        parts.append(f"({training['epochs']:g} epochs)")
    if training.get("wall_time_s") is not None:
        parts.append(f"in {duration(training['wall_time_s'])}")
    if training.get("hardware"):
        parts.append(f"on {quote_user_text(training['hardware'], 120)}")
    origin = training.get("init_from")
    if parts and isinstance(origin, dict) and isinstance(origin.get("steps"), int):
        # A run started --init-from another: say so, or the card's steps read as the whole training.
        parts[-1] += f", going on from an earlier run's {origin['steps']:,} steps"
    return " ".join(parts) or "no details recorded"


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
                    # No minimum/maximum here: check_seed says what is wrong more clearly.
                    seed = whole_number(0, label="Seed", scale=3, elem_id="seed")
                    dice = gr.Button("Random", scale=1, min_width=90, size="md", elem_id="random-seed")
                grid_size = gr.Radio(GRID_SIZES, value=DEFAULT_GRID_SIZE, label="Images in the grid",
                                     elem_id="grid-size")
                generate_btn = gr.Button("Generate", variant="primary", elem_id="generate-btn",
                                         interactive=bool(models))
                download = gr.DownloadButton("Download PNG", interactive=False, elem_id="download-png")
                # The grid is drawn when the page opens (the model's seed-0 grid) and again for each model chosen.
            with gr.Column(scale=2, min_width=320):
                grid = gr.Image(label="Samples", type="pil", format="png", interactive=False,
                                buttons=["fullscreen"], height=520, elem_id="grid")
                card_md = gr.Markdown(elem_id="card-summary")
                with gr.Accordion("Full model card", open=False):
                    card_json = gr.JSON(show_label=False)

    # No triggers: runs when the page loads and whenever the model changes.
    gr.on(None, show_model_card, inputs=model, outputs=[card_md, card_json], api_visibility="private").then(
        model_grid, inputs=[model, seed, grid_size], outputs=[grid, download], api_visibility="private")
    dice.click(random_seed, outputs=seed, queue=False, api_visibility="private")
    gr.on([generate_btn.click, seed.submit], generate_files, inputs=[model, seed, grid_size],
          outputs=[grid, download], api_name="generate", validator=validate_inputs
          ).success(lambda: gr.DownloadButton(interactive=True), outputs=download, queue=False,
                    api_visibility="private")  # nothing to download before the first grid
    return model
