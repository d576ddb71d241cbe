"""Window detection for facades: which pixels of a facade are window.

The DCGAN paper (section 6.1) makes a generator "forget to draw windows" by
dropping the feature maps that fire on windows; to see that it worked, something
must tell where a generated facade has windows. `WindowDetector` is a tiny U-Net
trained on the CMP facades' label maps (gan_core.data.facades; the trainer is
gan_core.training.detector): random square crops of the train split's photos, resized
to 64 px, against their window masks.

It is scored on the held-out facades (facades.is_held_out), each photo resized
whole to 64x64 by area averaging and its mask by the same averaging thresholded
at one half (facades.resize_facades): the pixel IoU of windows over all held-out
pixels together, beside the IoU of calling every pixel a window (the trivial
baseline, equal to the share of window pixels).

>>> import gan_core
>>> pipe = gan_core.load("facades-dcgan64")                          # doctest: +SKIP
>>> windows = gan_core.load("window-detector")                      # a WindowDetectorPipeline; doctest: +SKIP
>>> images = pipe.decode(pipe.latents(16, seed=0))                  # (16, 3, 64, 64) in [-1, 1]  # doctest: +SKIP
>>> masks = windows(images)                          # (16, 64, 64) bool, at any image size  # doctest: +SKIP

Training from the command line (31 minutes on a 2-core CPU shared with other training runs):

    python -m gan_core facades detector --data ../shared/data/facades \\
        --out checkpoints/window-detector --steps 2500 --threads 1

Files: `detector.safetensors` + `model_card.json` with `"task": "window-detection"`:
detectors live beside the generators (`checkpoints/`, $GAN_CORE_CHECKPOINTS), and
the task keeps `gan_core.list_checkpoints()` (generators only) from offering them
and makes `gan_core.load` give a WindowDetectorPipeline.
No pickles.
"""
from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F

from gan_core.core.checkpoints import CARD_FILE, build_checked
from gan_core.core.errors import CheckpointError
from gan_core.core.hub import checkpoint_name, weights_file
from gan_core.core.images import from_uint8
from gan_core.data.facades import resize_facades
from gan_core.models.window_detector import WindowDetector

DETECTOR_FILE = "detector.safetensors"
THRESHOLD = 0.5  # a pixel is window where the detector's probability exceeds this


def _as_input(images: torch.Tensor, size: int) -> torch.Tensor:
    """uint8 (0..255) or float in [-1, 1], (N, 3, H, W) -> float in [-1, 1] at size x size
    (area averaging down, bilinear up)."""
    if images.ndim != 4 or images.shape[1] != 3:
        raise ValueError(f"images must be (N, 3, H, W), not {tuple(images.shape)}")
    x = from_uint8(images)
    if x.shape[-2:] != (size, size):
        mode = "area" if min(x.shape[-2:]) >= size else "bilinear"
        x = F.interpolate(x, (size, size), mode=mode, **({} if mode == "area" else {"align_corners": False}))
    return x


@torch.no_grad()
def window_probabilities(detector: WindowDetector, images: torch.Tensor, batch_size: int = 128) -> torch.Tensor:
    """Probability of window per pixel, float (N, S, S) on the CPU, S the detector's size.
    images: (N, 3, H, W) uint8 or float in [-1, 1] (a generator's output), resized to S."""
    was_training = detector.training
    detector.eval()
    device = next(detector.parameters()).device
    out = [torch.sigmoid(detector(_as_input(chunk, detector.image_size).to(device))).float().cpu()
           for chunk in images.split(batch_size)]
    detector.train(was_training)
    return torch.cat(out) if out else torch.empty(0, detector.image_size, detector.image_size)


def detect_windows(detector: WindowDetector, images: torch.Tensor, threshold: float = THRESHOLD) -> torch.Tensor:
    """Window masks, bool (N, S, S) at the detector's size S, of images (N, 3, H, W) in
    [-1, 1] (or uint8) resized to it. WindowDetectorPipeline gives them at the images' size."""
    return window_probabilities(detector, images) > threshold


class WindowDetectorPipeline:
    """A trained window detector, ready to label facades of any size: `masks = windows(images)`.

    Images go in at their size and masks come back at it: the images are resized to
    the detector's input as it was scored (area averaging down, bilinear up), and its
    probabilities back to the images' size the same way before the threshold. So a
    generator of any size is labelled the same way by the app and the command line.
    Attributes: `detector` (the WindowDetector, in eval mode), `card` (dict), `path`, `device`."""

    def __init__(self, detector: WindowDetector, card: dict, path: Path | None = None,
                 device: torch.device | str = "cpu"):
        self.detector = detector.to(device).eval()
        self.card = card
        self.path = path
        self.device = torch.device(device)

    @property
    def name(self) -> str:
        return checkpoint_name(self.card, self.path, "window-detector")

    def probabilities(self, images: torch.Tensor) -> torch.Tensor:
        """Probability of window per pixel, float (N, H, W) on the CPU, of images
        (N, 3, H, W) uint8 or float in [-1, 1] (a generator's output)."""
        probs = window_probabilities(self.detector, images)
        size = tuple(images.shape[-2:])
        if probs.shape[-2:] == size:
            return probs
        mode = "area" if max(size) <= probs.shape[-1] else "bilinear"
        return F.interpolate(probs[:, None], size, mode=mode,
                             **({} if mode == "area" else {"align_corners": False}))[:, 0]

    def __call__(self, images: torch.Tensor, threshold: float = THRESHOLD) -> torch.Tensor:
        """Window masks, bool (N, H, W), of images (N, 3, H, W) (see `probabilities`)."""
        return self.probabilities(images) > threshold

    @classmethod
    def from_pretrained(cls, folder: Path, card: dict, device: torch.device | str = "cpu") -> WindowDetectorPipeline:
        """The pipeline of a window-detection checkpoint's folder and card (see gan_core.load)."""
        try:
            with torch.device("meta"):  # the arguments are checked; the real one is built by build_checked
                WindowDetector(**card["detector"])
        except (KeyError, TypeError, ValueError) as exc:
            raise CheckpointError(f"{folder / CARD_FILE} does not describe a window detector: {exc}") from None
        detector = build_checked(lambda: WindowDetector(**card["detector"]),
                                 weights_file(folder, card, "weights", DETECTOR_FILE))
        return cls(detector, card, folder, device)


# ----------------------------------------------------------------------------- scoring


def iou_report(detector: WindowDetector, photos: torch.Tensor, masks: torch.Tensor) -> dict:
    """Window scores on whole photos (N, 3, H, W) uint8 with masks (N, H, W) bool, both
    resized to the detector's size as facades.resize_facades does:
    iou (all pixels pooled), mean_image_iou (images without windows in truth and
    prediction count 1), precision, recall, window_share (of true pixels), and
    all_window_iou, the IoU of calling every pixel window (= window_share)."""
    x, truth = resize_facades(photos, masks, detector.image_size)
    pred = detect_windows(detector, x)
    inter = (pred & truth).flatten(1).sum(1).double()
    union = (pred | truth).flatten(1).sum(1).double()
    n_pred, n_true = pred.sum().item(), truth.sum().item()
    per_image = torch.where(union > 0, inter / union.clamp(min=1), torch.ones_like(union))
    return {"images": len(x), "size": detector.image_size,
            "iou": round(inter.sum().item() / max(union.sum().item(), 1), 4),
            "mean_image_iou": round(per_image.mean().item(), 4),
            "precision": round(inter.sum().item() / max(n_pred, 1), 4),
            "recall": round(inter.sum().item() / max(n_true, 1), 4),
            "window_share": round(n_true / truth.numel(), 4),
            "all_window_iou": round(n_true / truth.numel(), 4)}


def window_iou(detector: WindowDetector, photos: torch.Tensor, masks: torch.Tensor) -> float:
    """Pixel IoU of windows over all images together (see iou_report for how images are resized)."""
    return iou_report(detector, photos, masks)["iou"]
