"""The window-detector pipeline (gan_core.pipelines.detector): labelling, IoU, the shipped detector."""

import pytest
import torch

import gan_core
from gan_core.core.checkpoints import CARD_FILE
from gan_core.models.window_detector import WindowDetector
from gan_core.pipelines.detector import (WindowDetectorPipeline, detect_windows, iou_report, window_iou,
    window_probabilities)

from ..helpers import REPO, SHARED_DATA

pytestmark = pytest.mark.usefixtures("one_torch_thread")


SHIPPED = REPO / "checkpoints" / "window-detector"


class _Oracle(WindowDetector):
    """Calls a pixel window where its red channel is dark."""

    def forward(self, x):
        return torch.where(x[:, 0] < 0, 10.0, -10.0) + 0 * self.head.bias.sum()


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


@pytest.mark.skipif(not (SHIPPED / CARD_FILE).is_file() or not (SHARED_DATA / "facades").is_dir(),
                    reason="no shipped window detector, or ../shared/data/facades is absent")
def test_the_shipped_detector_scores_as_its_card_says_on_the_held_out_facades():
    from gan_core.data.facades import read_facades

    windows = gan_core.load(SHIPPED)
    photos, masks, _ = read_facades(SHARED_DATA / "facades", "held-out")
    report = iou_report(windows.detector, photos, masks)
    assert report["iou"] == pytest.approx(windows.card["metrics"]["held_out_iou"], abs=2e-3)
    assert report["iou"] > report["all_window_iou"] + 0.2
