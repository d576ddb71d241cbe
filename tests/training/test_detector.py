"""Window-detector training (gan_core.training.detector): crops, a short run on drawn facades, files."""

import json

import pytest
import torch

import gan_core
from gan_core.core.checkpoints import CARD_FILE
from gan_core.core.errors import CheckpointError
from gan_core.pipelines.detector import DETECTOR_FILE, WindowDetectorPipeline, window_probabilities
from gan_core.training.detector import random_crops, save_detector, train_window_detector

from ..helpers import drawn_facades, write_tiny_checkpoint

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_random_crops_are_repeatable_and_mirror_their_masks():
    photos, masks = drawn_facades(3, size=64)
    a = random_crops(photos, masks, 8, 32, torch.Generator().manual_seed(1))
    b = random_crops(photos, masks, 8, 32, torch.Generator().manual_seed(1))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert a[0].shape == (8, 3, 32, 32) and a[1].shape == (8, 32, 32)
    assert set(a[1].unique().tolist()) <= {0.0, 1.0}
    dark = a[0][:, 0] < a[0][:, 0].mean((1, 2), keepdim=True) - 0.2  # windows are the dark pixels
    assert (dark == (a[1] > 0.5)).float().mean() > 0.9


def test_a_short_training_run_learns_drawn_windows():
    train = drawn_facades(48, size=64, seed=0)
    held = drawn_facades(12, size=64, seed=1)
    detector, report = train_window_detector(train, held_out=held, steps=60, batch_size=16, lr=1e-2, width=6,
                                             size=32, eval_every=30)
    assert not detector.training
    assert report.metrics["held_out_iou"] > 0.5
    assert report.metrics["held_out_iou"] > report.metrics["all_window_iou"] + 0.2
    assert [h["step"] for h in report.history] == [30, 60] and report.wall_time_s > 0


def test_save_and_load_give_the_same_detector_and_a_truthful_card(tmp_path, monkeypatch):
    train = drawn_facades(8, size=32)
    detector, report = train_window_detector(train, held_out=train, steps=2, batch_size=4, width=4, size=32)
    folder = save_detector(tmp_path / "ckpt" / "my-detector", detector, report, command="python -m x",
                           hardware_note="shared with other runs")
    assert (folder / DETECTOR_FILE).is_file()
    card = json.loads((folder / CARD_FILE).read_text())
    assert card["name"] == "my-detector" and card["task"] == "window-detection"
    assert card["training"]["command"] == "python -m x" and card["training"]["steps"] == 2
    assert card["training"]["hardware"].endswith("shared with other runs")
    assert card["metrics"]["held_out_iou"] == report.metrics["held_out_iou"]
    x = torch.rand(2, 3, 32, 32) * 2 - 1
    loaded = gan_core.load(folder)
    assert isinstance(loaded, WindowDetectorPipeline) and loaded.card["detector"] == {"width": 4, "image_size": 32}
    assert not loaded.detector.training
    assert torch.equal(window_probabilities(loaded.detector, x), window_probabilities(detector, x))
    monkeypatch.setenv("GAN_CORE_CHECKPOINTS", str(tmp_path / "ckpt"))
    assert gan_core.load("my-detector").path == folder  # by name, where checkpoints are looked up
    assert "my-detector" not in gan_core.list_checkpoints()  # not offered as a generator
    assert gan_core.list_checkpoints(task="window-detection")[0] == "my-detector"
    with pytest.raises(CheckpointError, match="my-detector is a window-detection checkpoint, not a GAN generator"):
        gan_core.load("my-detector", task="gan")
    with pytest.raises(CheckpointError, match="no window-detection checkpoint"):
        gan_core.load(tmp_path / "nowhere", task="window-detection")
    write_tiny_checkpoint(tmp_path / "ckpt" / "a-gan")
    with pytest.raises(CheckpointError, match="a-gan is a gan checkpoint, not a window detector"):
        gan_core.load("a-gan", task="window-detection")
    (folder / DETECTOR_FILE).write_bytes(b"\x80\x04 not safetensors")
    with pytest.raises(CheckpointError):
        gan_core.load(folder)
