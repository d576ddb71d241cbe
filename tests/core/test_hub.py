"""The checkpoint hub: one way to find, open and list checkpoints of every task, and
gan_core.load giving each task's pipeline."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

import gan_core
from gan_core.core.checkpoints import CARD_FILE, GENERATOR_FILE, save_weights, write_json
from gan_core.core.errors import CheckpointError
from gan_core.core.hub import (ATTRIBUTE_CLASSIFICATION, GAN, SHAPE_CLASSIFICATION, STYLE_TRANSFER, SUPER_RESOLUTION,
                               TASKS, WINDOW_DETECTION, checkpoint_name, find_checkpoint, list_checkpoints, open_checkpoint,
                               weights_file)
from gan_core.models.attribute_classifier import AttributeClassifier, AttributeHead
from gan_core.models.shape_classifier import ShapeClassifier
from gan_core.models.siamese import TileTranslator
from gan_core.models.srgan import SRResNet
from gan_core.models.window_detector import WindowDetector
from gan_core.pipelines.classifier import AttributeClassifierPipeline
from gan_core.pipelines.detector import DETECTOR_FILE, WindowDetectorPipeline
from gan_core.pipelines.generator import GeneratorPipeline
from gan_core.pipelines.shape_classifier import CLASSIFIER_FILE as SHAPE_FILE, ShapeClassifierPipeline
from gan_core.pipelines.style import StyleTransfer
from gan_core.pipelines.upscaler import Upscaler
from gan_core.training.attributes import save_classifier

from ..helpers import only_checkpoints_in, write_tiny_checkpoint


def _write(folder: Path, card: dict, weights: str, module: torch.nn.Module) -> Path:
    torch.manual_seed(0)
    save_weights(folder / weights, module)
    write_json(folder / CARD_FILE, {"name": folder.name, **card})
    return folder


@pytest.fixture
def every_kind(tmp_path, monkeypatch) -> Path:
    """One tiny checkpoint of each task, the only checkpoints there are."""
    root = only_checkpoints_in(tmp_path / "checkpoints", monkeypatch)
    write_tiny_checkpoint(root / "a-gan")
    _write(root / "an-upscaler", {"task": SUPER_RESOLUTION, "model": "srresnet", "scale": 4,
                                  "config": {"blocks": 1, "channels": 8}, "files": {"generator": GENERATOR_FILE}},
           GENERATOR_FILE, SRResNet(4, 1, 8))
    _write(root / "a-painter", {"task": STYLE_TRANSFER, "model": "siamese-tile-translator",
                                "config": {"tile": 16, "g_width": 4, "g_blocks": 1}},
           GENERATOR_FILE, TileTranslator(4, 1))
    _write(root / "a-detector", {"task": WINDOW_DETECTION, "detector": {"width": 4, "image_size": 16},
                                 "files": {"weights": DETECTOR_FILE}}, DETECTOR_FILE, WindowDetector(4, 16))
    save_classifier(root / "a-classifier", AttributeClassifier([AttributeHead("a")], image_size=16, width=4),
                    {"name": "a-classifier"})
    _write(root / "a-shape-judge", {"task": SHAPE_CLASSIFICATION, "classifier": ShapeClassifier(2).config(),
                                    "files": {"weights": SHAPE_FILE}}, SHAPE_FILE, ShapeClassifier(2))
    return root


KINDS = {"a-gan": (GAN, GeneratorPipeline), "an-upscaler": (SUPER_RESOLUTION, Upscaler),
         "a-painter": (STYLE_TRANSFER, StyleTransfer), "a-detector": (WINDOW_DETECTION, WindowDetectorPipeline),
         "a-classifier": (ATTRIBUTE_CLASSIFICATION, AttributeClassifierPipeline),
         "a-shape-judge": (SHAPE_CLASSIFICATION, ShapeClassifierPipeline)}


def test_every_task_has_a_pipeline():
    assert set(gan_core.PIPELINES) == set(TASKS)


def test_load_gives_the_pipeline_each_card_names(every_kind):
    for name, (task, kind) in KINDS.items():
        pipe = gan_core.load(name)
        assert type(pipe) is kind and pipe.card["name"] == name and pipe.path == every_kind / name, name
        assert type(gan_core.load(every_kind / name, task=task)) is kind  # by folder, and asking for its task


def test_each_pipeline_does_its_job(every_kind):
    images = torch.rand(2, 3, 24, 24) * 2 - 1
    assert gan_core.load("a-gan")(2, seed=0)[0].size == (32, 32)
    from PIL import Image
    assert gan_core.load("an-upscaler")(Image.new("RGB", (10, 6))).size == (40, 24)
    assert gan_core.load("a-painter")(Image.new("RGB", (20, 12)), working_size=None).size == (20, 12)
    assert gan_core.load("a-detector")(images).shape == (2, 24, 24)  # masks at the images' size
    assert gan_core.load("a-classifier")(images)["a"].shape == (2,)


def test_lists_by_task(every_kind):
    assert list_checkpoints() == ["a-gan"]  # generators by default: what the GAN tabs offer
    for name, (task, _) in KINDS.items():
        assert list_checkpoints(task=task) == [name]
    assert sorted(list_checkpoints(task=None)) == sorted(KINDS)
    assert gan_core.list_checkpoints is list_checkpoints


def test_find_by_name_folder_file_and_run_folder(every_kind, tmp_path):
    folder = every_kind / "a-detector"
    assert find_checkpoint("a-detector") == folder
    assert find_checkpoint(folder) == folder
    assert find_checkpoint(folder / DETECTOR_FILE) == folder
    write_tiny_checkpoint(tmp_path / "run" / "export")
    assert find_checkpoint(tmp_path / "run") == tmp_path / "run" / "export"
    with pytest.raises(CheckpointError, match=r"no checkpoint 'nope': give a shipped name \(a-classifier, .*\)"):
        find_checkpoint("nope")
    with pytest.raises(CheckpointError, match=r"no super-resolution checkpoint 'nope'.*\(an-upscaler\)"):
        find_checkpoint("nope", SUPER_RESOLUTION)


def test_the_environment_comes_before_the_repository(tmp_path, monkeypatch):
    import gan_core.core.hub

    write_tiny_checkpoint(tmp_path / "repo" / "same", name="shipped")
    write_tiny_checkpoint(tmp_path / "mine" / "same", name="mine")
    monkeypatch.setattr(gan_core.core.hub, "REPO_CHECKPOINTS", tmp_path / "repo")
    monkeypatch.delenv("GAN_CORE_CHECKPOINTS", raising=False)
    assert open_checkpoint("same")[1]["name"] == "shipped"
    monkeypatch.setenv("GAN_CORE_CHECKPOINTS", str(tmp_path / "mine"))
    assert open_checkpoint("same")[1]["name"] == "mine"
    assert list_checkpoints() == ["same"]


def test_a_card_of_another_task_says_what_it_is(every_kind):
    with pytest.raises(CheckpointError, match="an-upscaler is a super-resolution checkpoint, not a GAN generator: "
                                              ".* The gan checkpoints: a-gan"):
        gan_core.load("an-upscaler", task=GAN)
    with pytest.raises(CheckpointError, match="a-gan is a gan checkpoint, not an attribute classifier"):
        open_checkpoint("a-gan", ATTRIBUTE_CLASSIFICATION)
    with pytest.raises(CheckpointError, match="a-painter is a style-transfer checkpoint, not a GAN generator"):
        gan_core.load_discriminator("a-painter")


def test_a_card_without_a_task_is_a_gan(tmp_path):
    write_tiny_checkpoint(tmp_path / "old")  # the first cards had no "task"
    assert "task" not in json.loads((tmp_path / "old" / CARD_FILE).read_text())
    assert open_checkpoint(tmp_path / "old", GAN)[1]["model"] == "dcgan32"
    assert isinstance(gan_core.load(tmp_path / "old"), GeneratorPipeline)


def test_a_card_with_an_unknown_task_is_refused(tmp_path, monkeypatch):
    root = only_checkpoints_in(tmp_path / "checkpoints", monkeypatch)
    write_json(root / "odd" / CARD_FILE, {"name": "odd", "task": "text-to-speech"})
    with pytest.raises(CheckpointError, match="names the task 'text-to-speech', which this library does not load: "
                                              "the tasks are gan, super-resolution"):
        gan_core.load("odd")
    write_json(root / "odd" / CARD_FILE, {"name": "odd", "task": 3})
    with pytest.raises(CheckpointError, match="\"task\" must be one of gan, "):
        gan_core.load("odd")
    write_json(root / "odd" / CARD_FILE, ["not", "a", "card"])
    with pytest.raises(CheckpointError, match="must hold a JSON object"):
        open_checkpoint("odd")
    assert list_checkpoints() == ["odd"]  # listed as a GAN, so that loading it gives its error


def test_a_card_cannot_point_outside_its_folder(tmp_path):
    for name in ("../elsewhere.safetensors", "/etc/passwd", "", "..", 3):
        with pytest.raises(CheckpointError, match="files.generator must be a file name inside"):
            weights_file(tmp_path, {"files": {"generator": name}}, "generator", GENERATOR_FILE)
    assert weights_file(tmp_path, {}, "generator", GENERATOR_FILE) == tmp_path / GENERATOR_FILE


def test_the_shipped_cards_all_name_a_known_task():
    import gan_core.core.hub

    shipped = [p for p in gan_core.core.hub.REPO_CHECKPOINTS.iterdir() if p.is_dir()]
    assert all((p / CARD_FILE).is_file() for p in shipped)  # one card file name for every kind
    for folder in shipped:
        assert open_checkpoint(folder)[1].get("task", GAN) in TASKS


def test_a_checkpoint_is_named_by_its_card_else_its_folder_else_the_default(tmp_path):
    assert checkpoint_name({"name": "mine"}, tmp_path / "folder", "upscaler") == "mine"
    assert checkpoint_name({}, tmp_path / "folder", "upscaler") == "folder"
    assert checkpoint_name({"name": ""}, None, "upscaler") == "upscaler"
