"""A window detector for facades: which pixels of a 64x64 facade are window.

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
>>> from gan_core.pipelines.detector import load_detector, detect_windows
>>> pipe = gan_core.load("facades-dcgan64")                          # doctest: +SKIP
>>> detector = load_detector("window-detector")                     # doctest: +SKIP
>>> images = pipe.decode(pipe.latents(16, seed=0))                  # (16, 3, 64, 64) in [-1, 1]  # doctest: +SKIP
>>> masks = detect_windows(detector, images)                        # (16, 64, 64) bool  # doctest: +SKIP

Training from the command line (31 minutes on a 2-core CPU shared with other training runs):

    python -m gan_core facades detector --data ../shared/data/facades \\
        --out checkpoints/window-detector --steps 2500 --threads 1

Files: `detector.safetensors` + `model_card.json` with `"task": "window-detection"`:
detectors live beside the generators (`checkpoints/`, $GAN_CORE_CHECKPOINTS), and
the task keeps `gan_core.list_checkpoints()` (generators only) from offering them.
No pickles.
"""
from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from gan_core.core.checkpoints import CARD_FILE, CheckpointError, load_weights, read_json
from gan_core.data.facades import resize_facades

DETECTOR_FILE = "detector.safetensors"
DETECTOR_CARD = CARD_FILE
TASK = "window-detection"  # the card's "task": not a GAN (see gan_core.pipelines.generator.card_task)
DETECTOR_SIZE = 64  # the generators it judges draw 64x64 facades
THRESHOLD = 0.5  # a pixel is window where the detector's probability exceeds this


def _conv(c_in: int, c_out: int) -> list[nn.Module]:
    """A 3x3 convolution with BatchNorm and ReLU; the size is kept."""
    return [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(True)]


class WindowDetector(nn.Module):
    """A three-level U-Net: RGB in [-1, 1] (N, 3, S, S) -> window logits (N, S, S).

    For S = 64 and width w = 16 (about 0.1 M weights, 72 M multiply-adds an image):
        enc1  conv 3 -> 16                    (N, 16, 64, 64)
        enc2  pool, 2 convs 16 -> 32          (N, 32, 32, 32)
        enc3  pool, 2 convs 32 -> 64          (N, 64, 16, 16)   each pixel sees about 40 px
        dec2  up 64 -> 32, cat enc2, conv 64 -> 32   (N, 32, 32, 32)
        dec1  up 32 -> 16, cat enc1, conv 32 -> 16   (N, 16, 64, 64)
        head  1x1 16 -> 1                      (N, 64, 64) logits
    S must be a multiple of 4. Windows are a few pixels to a quarter of the image
    across, so three levels see a whole window and the wall around it, and the skips
    keep its edges sharp. One convolution, not two, at the full size: that is where
    a CPU spends its time, and a window's edge needs no deep features.
    """

    def __init__(self, width: int = 16, image_size: int = DETECTOR_SIZE):
        super().__init__()
        if width < 1 or image_size < 8 or image_size % 4:
            raise ValueError(f"width must be >= 1 and image_size a multiple of 4 (>= 8), not {width}, {image_size}")
        self.width, self.image_size = width, image_size
        w = width
        self.enc1 = nn.Sequential(*_conv(3, w))
        self.enc2 = nn.Sequential(*_conv(w, 2 * w), *_conv(2 * w, 2 * w))
        self.enc3 = nn.Sequential(*_conv(2 * w, 4 * w), *_conv(4 * w, 4 * w))
        self.up3 = nn.ConvTranspose2d(4 * w, 2 * w, 2, stride=2)
        self.dec2 = nn.Sequential(*_conv(4 * w, 2 * w))
        self.up2 = nn.ConvTranspose2d(2 * w, w, 2, stride=2)
        self.dec1 = nn.Sequential(*_conv(2 * w, w))
        self.head = nn.Conv2d(w, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        e1 = self.enc1(x)                                          # (N, w, S, S)
        e2 = self.enc2(F.max_pool2d(e1, 2))                        # (N, 2w, S/2, S/2)
        e3 = self.enc3(F.max_pool2d(e2, 2))                        # (N, 4w, S/4, S/4)
        d2 = self.dec2(torch.cat([self.up3(e3), e2], 1))           # (N, 2w, S/2, S/2)
        d1 = self.dec1(torch.cat([self.up2(d2), e1], 1))           # (N, w, S, S)
        return self.head(d1)[:, 0]                                 # (N, S, S)

    def config(self) -> dict:
        return {"width": self.width, "image_size": self.image_size}


def _as_input(images: torch.Tensor, size: int) -> torch.Tensor:
    """uint8 (0..255) or float in [-1, 1], (N, 3, H, W) -> float in [-1, 1] at size x size
    (area averaging down, bilinear up)."""
    if images.ndim != 4 or images.shape[1] != 3:
        raise ValueError(f"images must be (N, 3, H, W), not {tuple(images.shape)}")
    x = images.float().div(127.5).sub(1.0) if images.dtype == torch.uint8 else images.float()
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
    """Window masks, bool (N, 64, 64), of images (N, 3, 64, 64) in [-1, 1] (or uint8;
    other sizes are resized to the detector's)."""
    return window_probabilities(detector, images) > threshold


def window_fraction(detector: WindowDetector, images: torch.Tensor) -> torch.Tensor:
    """Share of each image's pixels called window, float (N,): how much window a
    generated facade has (what drops when a generator forgets to draw them)."""
    return detect_windows(detector, images).flatten(1).float().mean(1)


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


# ----------------------------------------------------------------------------- files


def resolve_detector(name_or_path: str | Path) -> Path:
    """The folder of a detector: a folder or a file inside it, or a name looked up where
    checkpoints are ($GAN_CORE_CHECKPOINTS, then the repository's checkpoints/)."""
    from gan_core.pipelines.generator import find_card_folder

    folder = find_card_folder(name_or_path, DETECTOR_CARD)
    if folder is None:
        raise CheckpointError(f"no window detector {str(name_or_path)!r}: give a folder with {DETECTOR_CARD} "
                              "(train one with `python -m gan_core facades detector`)")
    return folder


def load_detector(name_or_path: str | Path = "window-detector", device: torch.device | str = "cpu"
                  ) -> WindowDetector:
    """Load a detector saved by `save_detector`, in eval mode; its card is `detector.card`."""
    folder = resolve_detector(name_or_path)
    card = read_json(folder / DETECTOR_CARD)
    task = card.get("task", "gan") if isinstance(card, dict) else "gan"
    if task != TASK:
        raise CheckpointError(f"{folder} is a {task} checkpoint, not a window detector")
    try:
        model = WindowDetector(**card["detector"])
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"{folder / DETECTOR_CARD} does not describe a window detector: {exc}") from None
    load_weights(model, folder / card.get("files", {}).get("weights", DETECTOR_FILE))
    model.card, model.path = card, folder
    return model.to(device).eval()
