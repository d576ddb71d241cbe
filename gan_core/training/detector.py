"""Training the window detector (gan_core.pipelines.detector.WindowDetector) on the CMP facades.

Each step draws random square crops of the train split's photos (random_crops), resized
to the detector's size, mirrored and jittered, against their window masks; Adam with a
one-cycle learning rate; loss BCE + soft Dice (gan_core.training.losses.detector_loss).
The held-out window IoU is recorded every `eval_every` steps.

>>> from gan_core.training.detector import save_detector, train_window_detector
>>> detector, report = train_window_detector("../shared/data/facades", steps=2500)    # doctest: +SKIP
>>> save_detector("checkpoints/window-detector", detector, report)                   # doctest: +SKIP

Given `out`, the run has a folder as gan_core.training.loop's (config.json, log.jsonl,
state.safetensors, export/ with detector.safetensors and model_card.json) and `resume`
continues it exactly.
"""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch

from gan_core.core.checkpoints import CARD_FILE, write_json
from gan_core.core.hub import WINDOW_DETECTION
from gan_core.core.version import __version__
from gan_core.data.facades import CROP_SIDE, HELD_OUT_EVERY, crop_resize, read_facades
from gan_core.models.window_detector import DETECTOR_SIZE, WindowDetector
from gan_core.pipelines.detector import DETECTOR_FILE, THRESHOLD, iou_report, window_iou
from gan_core.training.losses import DICE_WEIGHT, detector_loss
from gan_core.training.loop import RunFolder, Task, net_hardware, train_loop, write_export

# Photometric jitter in [-1, 1] units: generated facades are not coloured or lit
# exactly as the photos, and a detector that keys on exact tones would miss that.
BRIGHTNESS_JITTER = 0.1
CONTRAST_JITTER = (0.8, 1.2)


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


def train_window_detector(data: str | Path | tuple[torch.Tensor, torch.Tensor], *,
                          held_out: tuple[torch.Tensor, torch.Tensor] | None = None, steps: int = 2500,
                          batch_size: int = 16, lr: float = 2e-3, width: int = 16, size: int = DETECTOR_SIZE,
                          seed: int = 0, eval_every: int = 250, device: torch.device | str = "cpu",
                          log: Callable[[str], None] | None = None,
                          progress_fn: Callable[[int, int, dict], None] | None = None,
                          out: str | Path | None = None, resume: bool = False, checkpoint_every: int = 250,
                          abort_fn: Callable[[], bool] | None = None) -> tuple[WindowDetector, DetectorReport]:
    """Train a WindowDetector; returns (detector in eval mode, report).

    data: a CMP facades folder (photos/, labels/): trained on its train split and scored
        on its held-out split (facades.is_held_out); or (photos uint8 (N, 3, H, W),
        masks bool (N, H, W)) to train on, scored on `held_out` (the same pair) if given.
    Each step draws `batch_size` random crops (random_crops); Adam with a one-cycle
    learning rate peaking at `lr`; loss BCE + Dice (detector_loss). The held-out IoU is
    recorded every `eval_every` steps in the history (it does not pick the steps).
    log(message) gets a line at each evaluation; progress_fn(step, steps, info) every step.
    out: a run folder (state every `checkpoint_every` steps, export/ with the detector and
    its card); `resume` continues the run there exactly. Without it nothing is written.
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
    run = RunFolder(out, resume) if out is not None else None
    if run is not None and run.resuming:
        saved = run.saved_config()
        for key in ("steps", "batch_size", "lr", "width", "size", "seed"):
            if saved.get(key) != settings[key]:
                raise ValueError(f"{run.out} was trained with {key} {saved.get(key)}, not {settings[key]}: "
                                 "a run resumes with its own settings; to change them, start a new run")

    with torch.random.fork_rng(devices=[]):  # the seed fixes weights and crops; global RNG untouched
        torch.manual_seed(seed)
        task = DetectorTask(photos, masks, held_out, report, settings, device, progress_fn)

        def on_log(step: int, metrics: dict, picture) -> None:
            entry = {"step": step, "train_loss": round(metrics["train_loss"], 4),
                     "elapsed_s": round(task.wall_before + time.time() - t0, 1)}
            if "held_out_iou" in metrics:
                entry["held_out_iou"] = metrics["held_out_iou"]
            report.history.append(entry)
            if log:
                log(" ".join(f"{k} {v}" for k, v in entry.items()))

        result = train_loop(task, run, {**settings, "data": data_info}, total=steps, log_every=eval_every,
                            sample_every=eval_every, checkpoint_every=checkpoint_every, progress_fn=on_log,
                            abort_fn=abort_fn)
    model = task.model.eval()
    if held_out is not None:
        scores = iou_report(model, *held_out)
        report.metrics = {"held_out_iou": scores["iou"], "all_window_iou": scores["all_window_iou"],
                          "held_out": scores,
                          "how": f"each held-out photo resized whole to {size}x{size} by area averaging, its window "
                                 "mask by the same averaging thresholded at 0.5; pixels called window where the "
                                 f"detector's probability exceeds {THRESHOLD}; IoU of all held-out pixels pooled. "
                                 "all_window_iou: the IoU of calling every pixel window (the window share)"}
    report.wall_time_s = round(task.wall_before + time.time() - t0, 1)
    if run is not None and result.step == steps:
        write_json(run.out / "export" / CARD_FILE, detector_card(model, report))
    return model, report


class DetectorTask(Task):
    """The detector's step (crops, BCE + Dice, Adam, one-cycle schedule), the held-out IoU
    as its sample measure, and its card."""

    metric_names = ("train_loss",)
    card_file = CARD_FILE

    def __init__(self, photos, masks, held_out, report: DetectorReport, settings: dict, device: torch.device,
                 progress_fn: Callable[[int, int, dict], None] | None):
        self.photos, self.masks, self.held_out, self.report = photos, masks, held_out, report
        self.settings, self.device, self.progress_fn = settings, device, progress_fn
        self.batch_size, self.total = settings["batch_size"], settings["steps"]
        lr = settings["lr"]
        self.model = WindowDetector(settings["width"], settings["size"]).to(device)
        self.rng = torch.Generator().manual_seed(settings["seed"])
        self.opt = torch.optim.Adam(self.model.parameters(), lr=lr)
        self.sched = torch.optim.lr_scheduler.OneCycleLR(self.opt, max_lr=lr, total_steps=max(self.total, 2),
                                                         pct_start=0.15)
        self.nets, self.optimizers, self.schedulers = {"detector": self.model}, {"opt": self.opt}, {"lr": self.sched}
        self.generators = {"crops": self.rng}
        self.exports = {DETECTOR_FILE: self.model}
        self.data_hash = hashlib.sha256(photos.cpu().numpy().tobytes() + masks.cpu().numpy().tobytes()).hexdigest()[:16]
        self.wall_before = 0.0

    def step(self, step: int) -> torch.Tensor:
        self.model.train()
        x, m = random_crops(self.photos, self.masks, self.batch_size, self.settings["size"], self.rng)
        loss = detector_loss(self.model(x.to(self.device)), m.to(self.device))
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        self.sched.step()
        if self.progress_fn:
            self.progress_fn(step + 1, self.total, {"loss": loss.item()})
        return loss.detach().reshape(1)

    def samples(self):
        return None, ({"held_out_iou": window_iou(self.model, *self.held_out)} if self.held_out is not None else {})

    def state_info(self) -> dict:
        return {"data_hash": self.data_hash, "history": self.report.history}

    def resume(self, info: dict, tensors: dict[str, torch.Tensor]) -> None:
        if info["data_hash"] != self.data_hash:
            raise ValueError(f"the data differs from the data this run was trained on "
                             f"(content hash {self.data_hash} vs {info['data_hash']})")
        self.report.history[:] = info["history"]
        self.wall_before = info["wall_time_s"]

    def card(self, step: int, wall: float, metrics: dict) -> dict:
        self.report.wall_time_s = round(wall, 1)
        return detector_card(self.model, self.report)


def detector_card(detector: WindowDetector, report: DetectorReport, *, name: str | None = None,
                  command: str | None = None, hardware: str | None = None, folder: Path | None = None) -> dict:
    """The detector's card: data, command, steps, wall time, hardware and held-out IoU, plus
    the architecture under "detector", which `gan_core.load` rebuilds."""
    hardware = net_hardware(detector, hardware)
    return {
        "name": name or (folder.name if folder is not None else "window-detector"),
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


def save_detector(folder: str | Path, detector: WindowDetector, report: DetectorReport, *,
                  name: str | None = None, command: str | None = None, hardware: str | None = None,
                  hardware_note: str | None = None) -> Path:
    """Write `detector.safetensors` and its card (model_card.json with "task":
    "window-detection"), which `gan_core.load` reads."""
    folder = Path(folder)
    hardware = net_hardware(detector, hardware, hardware_note)
    card = detector_card(detector, report, name=name, command=command, hardware=hardware, folder=folder)
    return write_export(folder, detector, DETECTOR_FILE, card)


__all__ = ["train_window_detector", "save_detector", "detector_card", "random_crops", "DetectorReport",
           "DetectorTask"]
