"""The Learn tab: the linear probe's results (DCGAN section 5.1) read from a checkpoint."""
from __future__ import annotations

import re

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
    assert "10,957 steps of CIFAR-10 in 2.4 h, in two runs" in row  # what the weights carry in all
    assert "earlier run's 800 steps (58 min), then 10,157 (26 epochs, 87 min)" in row
    del card["training"]["init_from"]
    row = next(line for line in learn.results_markdown(probe, card, "m").splitlines() if "its trained" in line)
    assert "10,157 steps (26 epochs) of CIFAR-10 in 87 min" in row and "earlier run" not in row


# A figure as text: 10,957 or 70.3; not the digits of a name (CIFAR-10, L2, dcgan32, 4x4, 2-core).
FIGURE = re.compile(r"(?<![\w.,-])\d+(?:,\d{3})*(?:\.\d+)?(?![\w-])")


def card_figures(card: dict) -> set[str]:
    """Every figure the card states, as the tab may write it: a count with thousands commas,
    a share as a percentage, seconds as minutes or hours, and the figures in its notes."""
    from demo.common import duration

    figures = set()

    def walk(value):
        if isinstance(value, dict):
            for key, item in value.items():
                figures.update(re.findall(r"\d+(?:,\d{3})*(?:\.\d+)?", str(key)))
                if key != "confusion":  # drawn as a picture, never written
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, str):
            figures.update(re.findall(r"\d+(?:,\d{3})*(?:\.\d+)?", value))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            figures.update({f"{value:,}", f"{value:g}", f"{value:.1f}", f"{value:.2f}", f"{100 * value:.1f}",
                            duration(value).split()[0]})

    walk(card)
    return figures


@pytest.mark.skipif(not (SHIPPED / CARD_FILE).is_file(), reason="the cifar10-dcgan32 checkpoint is not installed")
def test_every_figure_the_tab_states_is_in_the_model_card(tmp_path, monkeypatch):
    card = read_json(SHIPPED / CARD_FILE)
    probe = card["metrics"]["probe"]
    allowed = card_figures(card)
    # The one figure the tab works out: the gain of the trained over the untrained features.
    allowed.add(f"{100 * (probe['trained']['test_accuracy'] - probe['random']['test_accuracy']):.1f}")
    monkeypatch.setattr("demo.files.ROOT", tmp_path / "served")
    markdown, _ = learn.learn_view(str(SHIPPED))
    stated = FIGURE.findall(markdown)
    assert {"70.3", "10,957", "2.4", "10,157", "26", "87", "800", "58"} <= set(stated)  # the run, read
    assert [figure for figure in stated if figure not in allowed] == []


@pytest.mark.skipif(not (SHIPPED / CARD_FILE).is_file(), reason="the cifar10-dcgan32 checkpoint is not installed")
def test_the_readme_states_the_cards_figures_for_the_probed_model():
    """The README's probe table says what the Learn tab says, from the same card."""
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("## The discriminator as a feature extractor"):]
    rows = [line for line in section[:section.index("```")].splitlines()
            if line.startswith("| ") and "cifar10-dcgan32" in line or line.startswith("| the same network")]
    assert len(rows) == 3
    allowed = card_figures(read_json(SHIPPED / CARD_FILE))
    assert [figure for row in rows for figure in FIGURE.findall(row) if figure not in allowed] == []
    assert "10,957 steps" in rows[0] and "2.4 h" in rows[0]  # both runs, as the tab counts them


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
