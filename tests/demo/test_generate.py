"""The Generate tab's handlers, called as plain functions (no server, no browser)."""
from __future__ import annotations

import math

import gradio as gr
import numpy as np
import pytest
from PIL import Image

from demo import common
from demo import generate as tab

from ..helpers import TINY_CHECKPOINT

PADDING = 2  # gan_core.core.images.make_grid's default border between images


def pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGB"))


@pytest.mark.parametrize("grid_size", [1, 4, 9])
def test_grid_has_the_right_size(tiny_checkpoint_dir, grid_size):
    image, png_path = tab.generate(TINY_CHECKPOINT, 0, grid_size)
    side = math.isqrt(grid_size)
    expected = side * (32 + PADDING) + PADDING
    assert image.size == (expected, expected)
    with Image.open(png_path) as saved:
        assert saved.format == "PNG"
        assert np.array_equal(pixels(saved), pixels(image))


def test_same_seed_same_pixels_other_seed_other_pixels(tiny_checkpoint_dir):
    first, _ = tab.generate(TINY_CHECKPOINT, 7, 4)
    again, _ = tab.generate(TINY_CHECKPOINT, 7.0, 4)  # gr.Number may hand over a float
    other, _ = tab.generate(TINY_CHECKPOINT, 8, 4)
    assert np.array_equal(pixels(first), pixels(again))
    assert not np.array_equal(pixels(first), pixels(other))


def test_the_download_is_named_after_its_inputs(tiny_checkpoint_dir):
    _, png_path = tab.generate(TINY_CHECKPOINT, 3, 1)
    assert png_path.endswith(f"{TINY_CHECKPOINT}-seed3-1.png")


@pytest.mark.parametrize("seed, message", [
    (-1, "between 0 and"),
    (common.MAX_SEED + 1, "between 0 and"),
    (10**30, "between 0 and"),
    (1.5, "whole number"),
    (float("nan"), "whole number"),
    (None, "Enter a seed"),
])
def test_bad_seed_is_refused_clearly(tiny_checkpoint_dir, seed, message):
    with pytest.raises(gr.Error) as excinfo:
        tab.generate(TINY_CHECKPOINT, seed, 4)
    assert message in excinfo.value.message


@pytest.mark.parametrize("grid_size", [0, 5, 1000, None])
def test_bad_grid_size_is_refused(tiny_checkpoint_dir, grid_size):
    with pytest.raises(gr.Error, match="grid size"):
        tab.generate(TINY_CHECKPOINT, 0, grid_size)


def test_unknown_model_is_refused(tiny_checkpoint_dir):
    with pytest.raises(gr.Error) as excinfo:
        tab.generate("no-such-model", 0, 4)
    assert "Unknown model 'no-such-model'" in excinfo.value.message
    assert TINY_CHECKPOINT in excinfo.value.message  # says what is available


def test_no_checkpoints_gives_a_clear_message(no_checkpoints):
    with pytest.raises(gr.Error) as excinfo:
        tab.generate(None, 0, 4)
    assert "No trained model is available" in excinfo.value.message
    assert tab.model_card(None) == {}


def test_without_checkpoints_the_tab_says_so(no_checkpoints):
    from demo import build_app

    app = build_app()
    banners = [block for block in app.blocks.values() if getattr(block, "elem_id", None) == "no-models"]
    assert banners and "No trained model is available" in banners[0].value


def test_the_validator_flags_each_bad_input(tiny_checkpoint_dir):
    ok_model, bad_seed, bad_size = tab.validate_inputs(TINY_CHECKPOINT, -1, 5)
    assert ok_model["is_valid"]
    assert not bad_seed["is_valid"] and "between 0 and" in bad_seed["message"]
    assert not bad_size["is_valid"] and "grid size" in bad_size["message"]


def test_card_summary_shows_data_and_training(tiny_checkpoint_dir):
    summary = tab.card_summary(TINY_CHECKPOINT)
    assert TINY_CHECKPOINT in summary and "dcgan32" in summary
    assert "**Data:**" in summary and "no data: random weights" in summary
    assert "**Training:** 0 steps (0 epochs) in 0 s on none" in summary
    assert tab.model_card(TINY_CHECKPOINT)["model"] == "dcgan32"


# ----------------------------------------------------------------------------- the grid on load, seeds as typed


def test_the_grid_of_a_model_is_drawn_without_a_click(tiny_checkpoint_dir):
    path, download = tab.model_grid(TINY_CHECKPOINT, 0, 16)
    with Image.open(path) as shown:
        assert np.array_equal(pixels(shown), pixels(tab.generate(TINY_CHECKPOINT, 0, 16)[0]))
    assert download.interactive is True and download.value["orig_name"] == "tiny-dcgan32-seed0-16.png"


@pytest.mark.parametrize("model, seed, size", [(None, 0, 16), ("nope", 0, 16), (TINY_CHECKPOINT, 3.7, 16),
                                               (TINY_CHECKPOINT, None, 16), (TINY_CHECKPOINT, 0, 5)])
def test_no_grid_rather_than_another_models_grid(tiny_checkpoint_dir, model, seed, size):
    # A model change with a bad box clears the picture (the message comes with Generate).
    path, download = tab.model_grid(model, seed, size)
    assert path is None and download.interactive is False


@pytest.mark.parametrize("typed, shown", [(1e30, "not 1e+30."), (10**30, "not 1e+30."), (3.7, "not 3.7."),
                                          (4.5, "not 4.5."), (-2.0, "not -2.")])
def test_a_seed_is_echoed_as_typed(typed, shown):
    with pytest.raises(gr.Error) as excinfo:
        common.check_seed(typed)
    assert excinfo.value.message.endswith(shown)
    assert "19884624838656" not in excinfo.value.message


def test_a_whole_number_box_refuses_what_is_not_whole_instead_of_rounding_it():
    box = common.whole_number(0)
    assert box.api_info() == {"type": "integer"}  # what the API tells its callers
    assert box.preprocess(4) == 4 and box.preprocess(7) == 7
    assert box.preprocess(3.7) == 3.7  # not 4: the check below refuses it
    assert box.preprocess(1e30) == 1e30  # not 1000000000000000019884624838656
    with pytest.raises(gr.Error, match="whole number"):
        common.check_seed(box.preprocess(3.7))
    # gr.Number(precision=0) rounds before any check could see it: what the tabs used.
    assert gr.Number(0, precision=0).preprocess(3.7) == 4


WHOLE_BOXES = {"seed", "forget-seed", "explore-page", "arith-noise", "train-steps", "train-batch",
               "train-sample-every"}


def test_every_whole_number_box_passes_what_was_typed(tiny_checkpoint_dir):
    from demo.app import build_app
    app = build_app()
    numbers = [b for b in app.blocks.values() if isinstance(b, gr.Number)]
    boxes = {b.elem_id: b for b in numbers if b.elem_id in WHOLE_BOXES}
    assert set(boxes) == WHOLE_BOXES
    assert all(b.precision is None and b.api_info() == {"type": "integer"} for b in boxes.values())
    assert not [b.elem_id for b in numbers if b.precision == 0]  # no box rounds behind the user's back


def test_the_full_card_names_no_server_folder(tiny_checkpoint_dir):
    card_path = tiny_checkpoint_dir / TINY_CHECKPOINT / "model_card.json"
    import json
    card = json.loads(card_path.read_text())
    card["data"]["sources"] = ["../shared/data/faces/celeba", "/srv/data/utkface"]
    card["data"]["description"] = "faces from ../shared/data/faces/celeba"
    card["training"]["command"] = "python -m gan_core train --data ../shared/data/faces/celeba"
    card_path.write_text(json.dumps(card))
    shown = str(tab.model_card(TINY_CHECKPOINT)) + tab.card_summary(TINY_CHECKPOINT)
    assert "shared" not in shown and "/srv" not in shown and "celeba" in shown and "utkface" in shown


def test_the_training_line_says_when_a_model_went_on_from_an_earlier_run():
    from demo.generate import _training_summary

    once = {"steps": 1200, "epochs": 10.46, "wall_time_s": 5400, "hardware": "2-core CPU"}
    assert "earlier run" not in _training_summary(once)
    twice = {**once, "init_from": {"checkpoint": "checkpoints/faces-dcgan64", "steps": 2400}}
    assert _training_summary(twice).endswith("2-core CPU, going on from an earlier run's 2,400 steps")
    assert _training_summary({}) == "no details recorded"
