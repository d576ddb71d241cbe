"""The Learn tab: the linear probe's results (DCGAN section 5.1) read from a checkpoint."""
from __future__ import annotations

import gradio as gr
import numpy as np
import pytest
from PIL import Image

from demo import learn
from gan_core.core.checkpoints import CARD_FILE, read_json, write_json
from gan_core.evaluation.probe import KMEANS_ACCURACY, PAPER_ACCURACY, PROBE_CONFUSION_FILE, confusion_image

from ..helpers import REPO, only_checkpoints_in, write_tiny_checkpoint

SHIPPED = REPO / "checkpoints" / "cifar10-dcgan32"
PROBE = {"class_names": ["a", "b"], "train_images": 10, "validation_images": 2, "test_images": 4,
         "trained": {"test_accuracy": 0.75, "l2": 0.01, "feature_dim": 7168, "confusion": [[2, 0], [1, 1]]},
         "random": {"test_accuracy": 0.5}}


@pytest.fixture
def checkpoint(tmp_path, monkeypatch):
    monkeypatch.setattr("demo.files.ROOT", tmp_path / "served")
    return write_tiny_checkpoint(tmp_path / "tiny-probe")


def pixels(path_or_image) -> np.ndarray:
    image = path_or_image if isinstance(path_or_image, Image.Image) else Image.open(path_or_image)
    return np.asarray(image.convert("RGB"))


def test_without_a_checkpoint_or_results_it_says_what_is_missing(checkpoint, tmp_path):
    markdown, picture = learn.learn_view(str(tmp_path / "nothing-here"))
    assert "No probe results" in markdown and "not installed" in markdown and picture is None
    markdown, picture = learn.learn_view(str(checkpoint))  # a checkpoint, but never probed
    assert "No probe results" in markdown and "python -m gan_core probe" in markdown and picture is None


def test_results_in_the_card_and_the_saved_matrix_are_shown(checkpoint):
    card = read_json(checkpoint / CARD_FILE)
    card["metrics"]["probe"] = PROBE
    write_json(checkpoint / CARD_FILE, card)
    saved = Image.fromarray(np.random.default_rng(0).integers(0, 255, (60, 80, 3), dtype=np.uint8))
    saved.save(checkpoint / PROBE_CONFUSION_FILE)
    markdown, picture = learn.learn_view(str(checkpoint))
    rows = {line.split(" | ")[0].lstrip("| "): line for line in markdown.splitlines() if line.startswith("| ")}
    assert f"{100 * PAPER_ACCURACY:.1f} %" in rows["DCGAN paper: its discriminator"]
    assert f"{100 * KMEANS_ACCURACY:.1f} %" in rows["K-means, 1 layer, 4,800 features (the paper's baseline)"]
    assert "| 75.0 % |" in rows["`tiny-probe`: its trained discriminator"]
    assert "| 50.0 % |" in rows["`tiny-probe`: the same discriminator, untrained"]
    assert "7,168 features" in markdown and "+25.0 points" in markdown
    assert np.array_equal(pixels(picture), pixels(saved))  # the saved picture, not another


def test_the_matrix_is_drawn_from_the_numbers_when_its_picture_is_missing_or_damaged(checkpoint):
    write_json(checkpoint / learn.PROBE_RESULTS_FILE, PROBE)
    drawn = confusion_image(PROBE["trained"]["confusion"], PROBE["class_names"], title="test accuracy 75.0 %")
    _, picture = learn.learn_view(str(checkpoint))
    assert np.array_equal(pixels(picture), pixels(drawn))
    (checkpoint / PROBE_CONFUSION_FILE).write_bytes(b"not a png")
    _, picture = learn.learn_view(str(checkpoint))
    assert np.array_equal(pixels(picture), pixels(drawn))


def test_the_table_counts_the_run_a_model_was_started_from():
    """A model trained on --init-from another: the table names both runs' budgets."""
    probe = {"trained": {"test_accuracy": 0.7, "l2": 0.03, "feature_dim": 7168}, "random": None}
    card = {"training": {"epochs": 26.0, "steps": 10157, "wall_time_s": 5205.3, "hardware": "2-core CPU",
                         "init_from": {"checkpoint": "c", "steps": 800, "wall_time_s": 3509.1, "initial_seed": 0}}}
    row = next(line for line in learn.results_markdown(probe, card, "m").splitlines() if "its trained" in line)
    assert "10,157 steps), 87 min" in row and "earlier run's 800 steps (58 min)" in row
    del card["training"]["init_from"]
    assert "earlier run" not in learn.results_markdown(probe, card, "m")


@pytest.mark.skipif(not (SHIPPED / CARD_FILE).is_file(), reason="the cifar10-dcgan32 checkpoint is not installed")
def test_the_shipped_probe_results_reach_the_tab(tmp_path, monkeypatch):
    probe = read_json(SHIPPED / CARD_FILE)["metrics"]["probe"]
    assert probe["train_images"] == 50000 and probe["test_images"] == 10000
    assert np.array(probe["trained"]["confusion"]).sum() == 10000
    monkeypatch.setattr("demo.files.ROOT", tmp_path / "served")
    markdown, picture = learn.learn_view(str(SHIPPED))
    for score in (probe["trained"], probe["random"]):
        assert f"{100 * score['test_accuracy']:.1f} %" in markdown
    assert np.array_equal(pixels(picture), pixels(SHIPPED / PROBE_CONFUSION_FILE))


def test_the_tab_builds_with_its_results_and_matrix(tmp_path, monkeypatch):
    monkeypatch.setattr("demo.files.ROOT", tmp_path / "served")
    root = only_checkpoints_in(tmp_path / "checkpoints", monkeypatch)
    write_json(write_tiny_checkpoint(root / learn.LEARN_CHECKPOINT) / learn.PROBE_RESULTS_FILE, PROBE)
    with gr.Blocks() as app:
        learn.build_learn_tab()
    blocks = {getattr(b, "elem_id", None): b for b in app.blocks.values()}
    assert "| 75.0 % |" in blocks["learn-results"].value
    assert blocks["learn-confusion"].visible is True


def test_the_tab_builds_without_results(tmp_path, monkeypatch):
    only_checkpoints_in(tmp_path / "checkpoints", monkeypatch)
    with gr.Blocks() as app:
        learn.build_learn_tab()
    blocks = {getattr(b, "elem_id", None): b for b in app.blocks.values()}
    assert "not installed" in blocks["learn-results"].value and blocks["learn-confusion"].visible is False
