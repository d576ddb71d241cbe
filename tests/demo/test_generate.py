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
