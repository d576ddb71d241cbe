"""Window detection for facades: which pixels of a facade are window.

The DCGAN paper (section 6.1) makes a generator "forget to draw windows" by
dropping the feature maps that fire on windows; to see that it worked, something
must tell where a generated facade has windows. `WindowDetector`
(gan_core.models.window_detector) is a tiny U-Net trained on the CMP facades' label
maps (gan_core.data.facades): random square crops of the train split's photos,
resized to 64 px, against their window masks.

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

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch
import torch.nn.functional as F

from gan_core.core.checkpoints import CARD_FILE, load_weights, save_weights, write_json
from gan_core.core.errors import CheckpointError
from gan_core.core.hub import WINDOW_DETECTION, weights_file
from gan_core.core.version import __version__
from gan_core.data.facades import CROP_SIDE, HELD_OUT_EVERY, crop_resize, read_facades, resize_facades
from gan_core.models.window_detector import DETECTOR_SIZE, WindowDetector

DETECTOR_FILE = "detector.safetensors"
THRESHOLD = 0.5  # a pixel is window where the detector's probability exceeds this
DICE_WEIGHT = 1.0  # loss = BCE + DICE_WEIGHT * soft Dice: Dice pulls towards IoU, which BCE alone does not
# Photometric jitter in [-1, 1] units: generated facades are not coloured or lit
# exactly as the photos, and a detector that keys on exact tones would miss that.
BRIGHTNESS_JITTER = 0.1
CONTRAST_JITTER = (0.8, 1.2)


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
        return self.card.get("name") or (self.path.name if self.path else "window-detector")

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
            detector = WindowDetector(**card["detector"])
        except (KeyError, TypeError, ValueError) as exc:
            raise CheckpointError(f"{folder / CARD_FILE} does not describe a window detector: {exc}") from None
        load_weights(detector, weights_file(folder, card, "weights", DETECTOR_FILE))
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


# ----------------------------------------------------------------------------- training


@dataclass
class DetectorReport:
    """What train_window_detector did: settings, data, held-out scores, history, time."""

    settings: dict
    data: dict
    metrics: dict = field(default_factory=dict)
    history: list = field(default_factory=list)
    wall_time_s: float = 0.0


def random_crops(photos: torch.Tensor, masks: torch.Tensor, n: int, size: int, rng: torch.Generator
                 ) -> tuple[torch.Tensor, torch.Tensor]:
    """n training pairs: a random image, a random square crop (side uniform in CROP_SIDE
    of the image's side), area-resized to `size`, mirrored with probability 1/2 and
    jittered in brightness and contrast. Float images (n, 3, size, size) in about
    [-1, 1] and float masks (n, size, size) of 0 and 1."""
    side = min(photos.shape[-2:])
    lo, hi = CROP_SIDE
    idx = torch.randint(len(photos), (n,), generator=rng).tolist()
    s = (side * (lo + (hi - lo) * torch.rand(n, generator=rng))).round().long().tolist()
    pos = torch.rand(n, 2, generator=rng).tolist()
    flips = (torch.rand(n, generator=rng) < 0.5).tolist()
    xs, ms = [], []
    for i, si, (u, v), flip in zip(idx, s, pos, flips):
        x, m = crop_resize(photos[i], masks[i], (int(u * (side - si + 1)), int(v * (side - si + 1)), si), size)
        xs.append(x.flip(-1) if flip else x)
        ms.append(m.flip(-1) if flip else m)
    x = torch.stack(xs).div_(127.5).sub_(1.0)                                  # (n, 3, size, size)
    mean = x.mean((1, 2, 3), keepdim=True)
    c_lo, c_hi = CONTRAST_JITTER
    contrast = c_lo + (c_hi - c_lo) * torch.rand(n, 1, 1, 1, generator=rng)
    bright = BRIGHTNESS_JITTER * (2 * torch.rand(n, 1, 1, 1, generator=rng) - 1)
    return (x - mean) * contrast + mean + bright, torch.stack(ms).float()


def detector_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """BCE plus DICE_WEIGHT x soft Dice loss over the batch (target float 0/1)."""
    bce = F.binary_cross_entropy_with_logits(logits, target)
    p = torch.sigmoid(logits)
    dice = 1 - (2 * (p * target).sum() + 1) / (p.sum() + target.sum() + 1)
    return bce + DICE_WEIGHT * dice


def train_window_detector(data: str | Path | tuple[torch.Tensor, torch.Tensor], *,
                          held_out: tuple[torch.Tensor, torch.Tensor] | None = None, steps: int = 2500,
                          batch_size: int = 16, lr: float = 2e-3, width: int = 16, size: int = DETECTOR_SIZE,
                          seed: int = 0, eval_every: int = 250, device: torch.device | str = "cpu",
                          log: Callable[[str], None] | None = None,
                          progress_fn: Callable[[int, int, dict], None] | None = None
                          ) -> tuple[WindowDetector, DetectorReport]:
    """Train a WindowDetector; returns (detector in eval mode, report).

    data: a CMP facades folder (photos/, labels/): trained on its train split and scored
        on its held-out split (facades.is_held_out); or (photos uint8 (N, 3, H, W),
        masks bool (N, H, W)) to train on, scored on `held_out` (the same pair) if given.
    Each step draws `batch_size` random crops (random_crops); Adam with a one-cycle
    learning rate peaking at `lr`; loss BCE + Dice (detector_loss). The held-out IoU is
    recorded every `eval_every` steps in the history (it does not pick the steps).
    log(message) gets a line at each evaluation; progress_fn(step, steps, info) every step.
    """
    if steps < 1 or batch_size < 2:
        raise ValueError("steps must be >= 1 and batch_size >= 2")
    t0 = time.time()
    device = torch.device(device)
    if isinstance(data, (str, Path)):
        photos, masks, names = read_facades(data, "train")
        held_out = held_out or read_facades(data, "held-out")[:2]
        data_info = {"source": str(data), "train_images": len(names), "held_out_images": len(held_out[0]),
                     "split": f"held out: the facades whose file name's SHA-256 (first 32 bits) is divisible by "
                              f"{HELD_OUT_EVERY} (gan_core.data.facades.is_held_out); trained on the others"}
    else:
        photos, masks = data
        data_info = {"source": "tensors", "train_images": len(photos),
                     "held_out_images": len(held_out[0]) if held_out else 0}
    if photos.ndim != 4 or masks.shape != (photos.shape[0], *photos.shape[2:]):
        raise ValueError(f"photos (N, 3, H, W) and masks (N, H, W) expected, got {tuple(photos.shape)} "
                         f"and {tuple(masks.shape)}")
    if min(photos.shape[-2:]) < size:
        raise ValueError(f"images of {tuple(photos.shape[-2:])} px are smaller than the detector's {size} px")
    data_info["train_window_share"] = round(masks.float().mean().item(), 4)
    settings = {"steps": steps, "batch_size": batch_size, "lr": lr, "width": width, "size": size, "seed": seed,
                "optimizer": "Adam, one-cycle learning rate (15 % warm-up, cosine decay)",
                "loss": f"BCE + {DICE_WEIGHT:g} x soft Dice",
                "crops": f"random squares of {CROP_SIDE[0]:.0%}-{CROP_SIDE[1]:.0%} of the photo's side, "
                         f"area-resized to {size} px, mirrored at random",
                "jitter": f"brightness +-{BRIGHTNESS_JITTER}, contrast x{CONTRAST_JITTER[0]}-{CONTRAST_JITTER[1]} "
                          "(in [-1, 1] units)",
                "threshold": THRESHOLD}
    report = DetectorReport(settings=settings, data=data_info)

    with torch.random.fork_rng(devices=[]):  # the seed fixes weights and crops; global RNG untouched
        torch.manual_seed(seed)
        model = WindowDetector(width, size).to(device)
        rng = torch.Generator().manual_seed(seed)
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=max(steps, 2), pct_start=0.15)
        losses: list[float] = []
        for step in range(1, steps + 1):
            model.train()
            x, m = random_crops(photos, masks, batch_size, size, rng)
            loss = detector_loss(model(x.to(device)), m.to(device))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            losses.append(loss.item())
            if progress_fn:
                progress_fn(step, steps, {"loss": losses[-1]})
            if step % eval_every == 0 or step == steps:
                entry = {"step": step, "train_loss": round(sum(losses) / len(losses), 4),
                         "elapsed_s": round(time.time() - t0, 1)}
                losses = []
                if held_out is not None:
                    entry["held_out_iou"] = window_iou(model, *held_out)
                report.history.append(entry)
                if log:
                    log(" ".join(f"{k} {v}" for k, v in entry.items()))
    model.eval()
    if held_out is not None:
        scores = iou_report(model, *held_out)
        report.metrics = {"held_out_iou": scores["iou"], "all_window_iou": scores["all_window_iou"],
                          "held_out": scores,
                          "how": f"each held-out photo resized whole to {size}x{size} by area averaging, its window "
                                 "mask by the same averaging thresholded at 0.5; pixels called window where the "
                                 f"detector's probability exceeds {THRESHOLD}; IoU of all held-out pixels pooled. "
                                 "all_window_iou: the IoU of calling every pixel window (the window share)"}
    report.wall_time_s = round(time.time() - t0, 1)
    return model, report


# ----------------------------------------------------------------------------- files


def save_detector(folder: str | Path, detector: WindowDetector, report: DetectorReport, *,
                  name: str | None = None, command: str | None = None, hardware: str | None = None,
                  hardware_note: str | None = None) -> Path:
    """Write `detector.safetensors` and `model_card.json`: data, command, steps, wall
    time, hardware and held-out IoU, plus the architecture under "detector", which
    `gan_core.load` rebuilds."""
    from gan_core.core.hardware import describe

    folder = Path(folder)
    device = next(detector.parameters()).device
    hardware = hardware or describe(device)
    if hardware_note:
        hardware = f"{hardware}, {hardware_note}"
    card = {
        "name": name or folder.name,
        "task": WINDOW_DETECTION,
        "description": f"Window detector for {detector.image_size}x{detector.image_size} facades: a three-level "
                       f"U-Net (width {detector.width}) giving a window logit per pixel",
        "intended_use": "finding the windows in generated facades (DCGAN paper section 6.1: does a generator "
                        "still draw windows once its window feature maps are dropped?)",
        "data": {**report.data, "dataset": "CMP Facade Database (Tylecek and Sara, GCPR 2013), pix2pix's 400 "
                                          "facades; research and teaching, non-commercial"},
        "training": {**report.settings, "command": command, "wall_time_s": report.wall_time_s,
                     "hardware": hardware, "gan_core_version": __version__, "history": report.history},
        "metrics": report.metrics,
        "detector": detector.config(),
        "files": {"weights": DETECTOR_FILE},
    }
    save_weights(folder / DETECTOR_FILE, detector)
    write_json(folder / CARD_FILE, card)
    return folder
