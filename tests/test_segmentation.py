"""The window detector: shapes, scoring, a short training run on drawn facades, files."""
import json
from pathlib import Path

import pytest
import torch

import gan_core
from gan_core.cli import main as cli_main
from gan_core.core.checkpoints import CARD_FILE
from gan_core.core.errors import CheckpointError
from gan_core.models.window_detector import WindowDetector
from gan_core.pipelines.detector import (
    DETECTOR_FILE, WindowDetectorPipeline, detect_windows, iou_report, window_iou, window_probabilities,
)
from gan_core.training.detector import random_crops, save_detector, train_window_detector

from .helpers import SHARED_DATA, write_tiny_checkpoint
from .test_facades import write_facades

SHIPPED = Path(__file__).resolve().parent.parent / "checkpoints" / "window-detector"


@pytest.fixture(autouse=True)
def one_thread():
    """One torch thread: these small convolutions gain nothing from more, and on a CPU
    shared with other jobs two threads can be ten times slower than one."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def drawn_facades(n: int, size: int = 64, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Walls of a random colour with a grid of dark rectangles (the windows) of random
    size and spacing: uint8 photos (n, 3, size, size) and bool masks (n, size, size)."""
    g = torch.Generator().manual_seed(seed)
    photos = torch.empty(n, 3, size, size, dtype=torch.uint8)
    masks = torch.zeros(n, size, size, dtype=torch.bool)
    for i in range(n):
        wall = torch.randint(120, 230, (3,), generator=g)
        photos[i] = wall.view(3, 1, 1).to(torch.uint8)
        w, h = (int(v) for v in torch.randint(size // 16, size // 6, (2,), generator=g))
        step_x = w + int(torch.randint(3, 10, (1,), generator=g))
        step_y = h + int(torch.randint(4, 12, (1,), generator=g))
        glass = torch.randint(10, 80, (3,), generator=g).to(torch.uint8).view(3, 1, 1)
        for y in range(3, size - h, step_y):
            for x in range(2, size - w, step_x):
                photos[i, :, y:y + h, x:x + w] = glass
                masks[i, y:y + h, x:x + w] = True
    photos = (photos.float() + 8 * torch.randn(photos.shape, generator=g)).clamp(0, 255).to(torch.uint8)
    return photos, masks


class _Oracle(WindowDetector):
    """Calls a pixel window where its red channel is dark."""

    def forward(self, x):
        return torch.where(x[:, 0] < 0, 10.0, -10.0) + 0 * self.head.bias.sum()


def test_the_detector_gives_one_logit_map_per_image():
    d = WindowDetector(width=4)
    assert d(torch.zeros(2, 3, 64, 64)).shape == (2, 64, 64)
    assert WindowDetector(width=4, image_size=32)(torch.zeros(1, 3, 32, 32)).shape == (1, 32, 32)
    assert sum(p.numel() for p in WindowDetector().parameters()) < 200_000  # tiny: a 2-core CPU trains it
    with pytest.raises(ValueError):
        WindowDetector(image_size=30)


def test_detect_windows_takes_generator_output_or_uint8_at_any_size():
    d = WindowDetector(width=4).eval()
    x = torch.rand(3, 3, 64, 64) * 2 - 1
    masks = detect_windows(d, x)
    assert masks.shape == (3, 64, 64) and masks.dtype == torch.bool
    assert torch.equal(masks, window_probabilities(d, x) > 0.5)
    assert detect_windows(d, torch.zeros(2, 3, 128, 128, dtype=torch.uint8)).shape == (2, 64, 64)
    with pytest.raises(ValueError):
        detect_windows(d, torch.zeros(2, 64, 64))


def test_the_pipeline_labels_images_of_any_size_at_their_size():
    """The app and the command line both go through the pipeline, so a generator of any
    size is labelled one way: resized to the detector's input, masks back at the image's size."""
    oracle = _Oracle(width=4).eval()
    windows = WindowDetectorPipeline(oracle, {"name": "oracle"})
    x = torch.rand(3, 3, 64, 64) * 2 - 1
    assert torch.equal(windows(x), detect_windows(oracle, x))  # at the detector's size: untouched
    dark_left = torch.ones(2, 3, 32, 48)
    dark_left[:, 0, :, :24] = -1  # the left half of each image is "window"
    for size in ((32, 48), (128, 128), (16, 16)):
        images = torch.nn.functional.interpolate(dark_left, size, mode="nearest")
        masks = windows(images)
        assert masks.shape == (2, *size) and masks.dtype == torch.bool
        assert masks[:, :, : size[1] // 2 - 1].all() and not masks[:, :, size[1] // 2 + 1:].any()
    probs = windows.probabilities(torch.zeros(1, 3, 100, 80, dtype=torch.uint8))
    assert probs.shape == (1, 100, 80) and 0 <= probs.min() <= probs.max() <= 1


def test_iou_is_pooled_over_pixels_and_the_baseline_is_the_window_share():
    masks = torch.zeros(2, 128, 128, dtype=torch.bool)  # windows on even pixels: exact at half size
    masks[0, 10:30, 20:40] = masks[0, 60:80, 20:40] = masks[1, 50:58, 64:128] = True
    photos = torch.where(masks[:, None], 0, 255).to(torch.uint8).expand(2, 3, 128, 128)
    report = iou_report(_Oracle(width=1), photos, masks)
    assert report["iou"] == 1.0 and report["mean_image_iou"] == 1.0 and report["images"] == 2
    assert report["size"] == 64 and report["precision"] == report["recall"] == 1.0
    share = masks.float().mean().item()
    assert report["all_window_iou"] == report["window_share"] == round(share, 4)
    half = masks.clone()
    half[0] = False  # the detector now finds twice the windows there are
    assert window_iou(_Oracle(width=1), photos, half) == pytest.approx(half.sum().item() / masks.sum().item(),
                                                                        abs=1e-4)
    assert window_iou(_Oracle(width=1), photos, ~masks) == 0.0


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


def test_the_detector_command_trains_scores_and_writes_a_card(tmp_path, capsys):
    write_facades(tmp_path / "facades", n=24)
    out = tmp_path / "det"
    assert cli_main(["facades", "detector", "--data", str(tmp_path / "facades"), "--out", str(out),
                     "--steps", "2", "--batch-size", "4", "--width", "4"]) == 0
    assert "held-out window IoU" in capsys.readouterr().out
    card = json.loads((out / CARD_FILE).read_text())
    assert card["training"]["command"].startswith("python -m gan_core facades detector --data")
    assert card["data"]["train_images"] + card["data"]["held_out_images"] == 24
    assert "held_out_iou" in card["metrics"] and gan_core.load(out).detector.image_size == 64


@pytest.mark.skipif(not (SHIPPED / CARD_FILE).is_file() or not (SHARED_DATA / "facades").is_dir(),
                    reason="no shipped window detector, or ../shared/data/facades is absent")
def test_the_shipped_detector_scores_as_its_card_says_on_the_held_out_facades():
    from gan_core.data.facades import read_facades

    windows = gan_core.load(SHIPPED)
    photos, masks, _ = read_facades(SHARED_DATA / "facades", "held-out")
    report = iou_report(windows.detector, photos, masks)
    assert report["iou"] == pytest.approx(windows.card["metrics"]["held_out_iou"], abs=2e-3)
    assert report["iou"] > report["all_window_iou"] + 0.2
