"""Training the shapes judge (gan_core.models.shape_classifier.ShapeClassifier): five shapes or "none".

Positives are draw_shapes' images, negatives draw_non_shapes' (gan_core.data.shapes),
both with seeds the shapes GAN never sees (its set is draw_shapes(2000, 32, seed=0)):
seed 1 to train on, seed 2 held out. Each step draws a batch, half shapes and half
not, flips and turns it by quarter turns (which keep every class), and jitters it
lightly: brightness, contrast, saturation and per-channel gain, a blur of at most about a
pixel, and gaussian pixel noise, so the grain, softness and tint of a GAN's shapes do not
flip the verdict (the negatives' blur smears over several pixels). AdamW with a
one-cycle learning rate; cross-entropy over the six classes.

>>> from gan_core.training.shape_classifier import save_shape_classifier, train_shape_classifier
>>> model, report = train_shape_classifier(steps=5000)                                # doctest: +SKIP
>>> save_shape_classifier("checkpoints/shapes-classifier", model, report)              # doctest: +SKIP

Given `out`, the run has a folder as gan_core.training.loop's (config.json, log.jsonl,
state.safetensors, export/ with classifier.safetensors and model_card.json) and `resume`
continues it exactly.
"""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from gan_core.core.checkpoints import CARD_FILE, write_json
from gan_core.core.hub import SHAPE_CLASSIFICATION
from gan_core.core.version import __version__
from gan_core.data.shapes import DEFAULT_N, DEFAULT_SEED, NON_SHAPE_KINDS, SHAPES, draw_non_shapes, draw_shapes
from gan_core.models.shape_classifier import CLASSES, IMAGE_SIZE, NONE, ShapeClassifier
from gan_core.pipelines.shape_classifier import CLASSIFIER_FILE, CONFIDENT, confident_shapes, shape_probabilities
from gan_core.training.loop import RunFolder, Task, net_hardware, train_loop, write_export

TRAIN_SEED, HELD_OUT_SEED = 1, 2  # of draw_shapes and draw_non_shapes; the GAN's shapes are seed 0
# Augmentation, in [-1, 1] units.
BRIGHTNESS, CONTRAST, GAIN = 0.08, (0.85, 1.15), 0.05  # +-, x, +- per channel
MAX_GREY = 0.25  # saturation: each pixel mixed with its grey (channel mean) by up to this much
MAX_NOISE = 0.1  # gaussian pixel noise: sigma uniform in [0, MAX_NOISE] per image (up to 13 of 255 levels)
# A 5x5 blur ([1 2 1] twice each way, a gaussian of sigma 1 px) mixed in with weight uniform
# in [0, MAX_BLUR]: under a pixel, where draw_non_shapes' blurred kind smears 2+ px.
MAX_BLUR = 0.5


@dataclass
class ShapeReport:
    """What train_shape_classifier did: settings, data, held-out scores, history, time."""

    settings: dict
    data: dict
    metrics: dict = field(default_factory=dict)
    history: list = field(default_factory=list)
    wall_time_s: float = 0.0


@dataclass
class HeldOut:
    """The held-out images (uint8) the judge is scored on."""

    shapes: torch.Tensor  # (n, 3, 32, 32) real shapes, seed HELD_OUT_SEED
    classes: torch.Tensor  # (n,) their class indices
    negatives: torch.Tensor  # (m, 3, 32, 32) draw_non_shapes, seed HELD_OUT_SEED
    kinds: torch.Tensor  # (m,) indices into NON_SHAPE_KINDS
    noise: torch.Tensor  # (k, 3, 32, 32) uniform random pixels


def held_out_set(n: int, seed: int = HELD_OUT_SEED) -> HeldOut:
    """`n` real shapes and `n` negatives of `seed` (every kind alike), and n // 8 noise images."""
    shapes, classes = draw_shapes(n, IMAGE_SIZE, seed)
    noise = np.random.default_rng([seed, 99]).integers(0, 256, (max(1, n // 8), 3, IMAGE_SIZE, IMAGE_SIZE))
    return HeldOut(torch.from_numpy(shapes), torch.from_numpy(classes),
                   torch.from_numpy(draw_non_shapes(n, IMAGE_SIZE, seed)),
                   torch.arange(n) % len(NON_SHAPE_KINDS), torch.from_numpy(noise.astype(np.uint8)))


def _share(x: torch.Tensor) -> float:
    return round(x.float().mean().item(), 4) if x.numel() else 0.0


def evaluate(model: ShapeClassifier, held: HeldOut, threshold: float = CONFIDENT) -> dict:
    """The judge's held-out figures: on real shapes, accuracy (top class right) and the
    confident shape share (top class a shape at >= threshold); on negatives, rejection
    (top class "none") and the confident shape share, overall and by kind; on noise, the
    confident shape share; on real shapes degraded as a GAN might draw them (degraded),
    the confident shape share."""
    p_real = shape_probabilities(model, held.shapes)
    p_neg = shape_probabilities(model, held.negatives)
    p_noise = shape_probabilities(model, held.noise)
    neg_sure = confident_shapes(p_neg, threshold)
    real_sure = confident_shapes(p_real, threshold)
    return {
        "real_shapes": {"images": len(held.shapes), "accuracy": _share(p_real.argmax(1) == held.classes),
                        "confident_shape_share": _share(real_sure),
                        "confident_and_right": _share(real_sure & (p_real.argmax(1) == held.classes)),
                        "by_class_confident": {s: _share(real_sure[held.classes == k]) for k, s in enumerate(SHAPES)}},
        "negatives": {"images": len(held.negatives), "rejection": _share(p_neg.argmax(1) == NONE),
                      "confident_shape_share": _share(neg_sure),
                      "by_kind_confident": {kind: _share(neg_sure[held.kinds == k])
                                            for k, kind in enumerate(NON_SHAPE_KINDS)}},
        "noise": {"images": len(held.noise), "confident_shape_share": _share(confident_shapes(p_noise, threshold))},
        "real_shapes_degraded": {name: _share(confident_shapes(shape_probabilities(model, x), threshold))
                                 for name, x in degraded(held.shapes).items()},
        "threshold": threshold,
    }


def degraded(images: torch.Tensor) -> dict[str, torch.Tensor]:
    """Real shapes (uint8) as a GAN might draw them, float in [-1, 1]: with gaussian pixel noise
    of sigma 0.1 and 0.2, blurred by a gaussian of sigma 1 and 2 px, and half grey."""
    x = images.float() / 127.5 - 1
    noise = torch.randn(x.shape, generator=torch.Generator().manual_seed(0))
    k = torch.tensor([1.0, 4.0, 6.0, 4.0, 1.0]) / 16
    k = (k[:, None] * k[None, :]).expand(3, 1, 5, 5)

    def blur(y: torch.Tensor) -> torch.Tensor:  # sigma 1 px
        return F.conv2d(F.pad(y, (2, 2, 2, 2), mode="replicate"), k, groups=3)

    return {"noise_0.1": (x + 0.1 * noise).clamp(-1, 1), "noise_0.2": (x + 0.2 * noise).clamp(-1, 1),
            "blur_1px": blur(x), "blur_2px": blur(blur(blur(blur(x)))), "half_grey": (x + x.mean(1, keepdim=True)) / 2}


def augment(x: torch.Tensor, rng: torch.Generator) -> torch.Tensor:
    """A batch (n, 3, S, S) in [-1, 1], flipped and turned by quarter turns (the same for the
    whole batch), then per image: a blur of up to about a pixel, saturation, brightness,
    contrast and channel gain jitter, and gaussian pixel noise (see the constants)."""
    n = len(x)
    turns, flip = (int(v) for v in torch.randint(0, 4, (1,), generator=rng).tolist() +
                   torch.randint(0, 2, (1,), generator=rng).tolist())
    x = torch.rot90(x, turns, (2, 3))
    if flip:
        x = x.flip(3)
    kernel = torch.tensor([1.0, 4.0, 6.0, 4.0, 1.0]) / 16  # [1 2 1] twice
    kernel = (kernel[:, None] * kernel[None, :]).expand(3, 1, 5, 5)
    blurred = F.conv2d(F.pad(x, (2, 2, 2, 2), mode="replicate"), kernel, groups=3)
    w = MAX_BLUR * torch.rand(n, 1, 1, 1, generator=rng)
    x = x * (1 - w) + blurred * w
    grey = MAX_GREY * torch.rand(n, 1, 1, 1, generator=rng)
    x = x * (1 - grey) + x.mean(1, keepdim=True) * grey
    mean = x.mean((1, 2, 3), keepdim=True)
    contrast = CONTRAST[0] + (CONTRAST[1] - CONTRAST[0]) * torch.rand(n, 1, 1, 1, generator=rng)
    bright = BRIGHTNESS * (2 * torch.rand(n, 1, 1, 1, generator=rng) - 1)
    gain = 1 + GAIN * (2 * torch.rand(n, 3, 1, 1, generator=rng) - 1)
    x = ((x - mean) * contrast + mean) * gain + bright
    sigma = MAX_NOISE * torch.rand(n, 1, 1, 1, generator=rng)
    x = x + sigma * torch.randn(x.shape, generator=rng)
    return x.clamp(-1, 1)


def train_shape_classifier(*, steps: int = 5000, batch_size: int = 128, lr: float = 3e-3, width: int = 16,
                           seed: int = 0, train_images: int = 20_000, held_out_images: int = 2200,
                           eval_every: int = 500, device: torch.device | str = "cpu",
                           log: Callable[[str], None] | None = None,
                           progress_fn: Callable[[int, int, dict], None] | None = None,
                           out: str | Path | None = None, resume: bool = False, checkpoint_every: int = 500,
                           abort_fn: Callable[[], bool] | None = None) -> tuple[ShapeClassifier, ShapeReport]:
    """Train a ShapeClassifier; returns (classifier in eval mode, report).

    Trains on `train_images` shapes (draw_shapes, seed TRAIN_SEED) and as many negatives
    (draw_non_shapes, the same seed); each step a batch of `batch_size`, half of each,
    augmented (augment). Scored on `held_out_images` of each of seed HELD_OUT_SEED and on
    noise (evaluate) every `eval_every` steps (kept in the history; they do not pick the
    steps) and at the end. `seed` fixes the weights and the batches.
    log(message) gets a line at each evaluation; progress_fn(step, steps, info) every step.
    out: a run folder (state every `checkpoint_every` steps, export/ with the classifier
    and its card); `resume` continues the run there exactly. Without it nothing is written.
    """
    if steps < 1 or batch_size < 2 or train_images < 2 or held_out_images < 1:
        raise ValueError("steps must be >= 1, batch_size and train_images >= 2, held_out_images >= 1")
    t0 = time.time()
    device = torch.device(device)
    shapes, classes = draw_shapes(train_images, IMAGE_SIZE, TRAIN_SEED)
    negatives = draw_non_shapes(train_images, IMAGE_SIZE, TRAIN_SEED)
    held = held_out_set(held_out_images)
    data = {
        "description": f"the five shapes of gan_core.data.shapes and non-shapes (draw_non_shapes: "
                       f"{', '.join(NON_SHAPE_KINDS)}), {IMAGE_SIZE} px",
        "licence": "none needed: every image is drawn by this repository's code (gan_core.data.shapes)",
        "train": {"shapes": train_images, "negatives": train_images,
                  "source": f"draw_shapes({train_images}, {IMAGE_SIZE}, seed={TRAIN_SEED}) and "
                            f"draw_non_shapes({train_images}, {IMAGE_SIZE}, seed={TRAIN_SEED})"},
        "held_out": {"shapes": held_out_images, "negatives": held_out_images, "noise": len(held.noise),
                     "source": f"draw_shapes({held_out_images}, {IMAGE_SIZE}, seed={HELD_OUT_SEED}), "
                               f"draw_non_shapes({held_out_images}, {IMAGE_SIZE}, seed={HELD_OUT_SEED}), "
                               f"{len(held.noise)} images of uniform random pixels"},
        "not_seen": f"the shapes GAN's set, draw_shapes({DEFAULT_N}, 32, seed={DEFAULT_SEED}), is neither trained "
                    "on nor held out",
    }
    settings = {"steps": steps, "batch_size": batch_size, "lr": lr, "width": width, "seed": seed,
                "train_images": train_images, "held_out_images": held_out_images,
                "optimizer": "AdamW (weight decay 1e-4), one-cycle learning rate (15 % warm-up, cosine decay)",
                "loss": "cross-entropy over the 6 classes; each batch half shapes, half negatives",
                "augmentation": f"quarter turns and flips; a 1 px gaussian blur mixed in up to {MAX_BLUR}; "
                                f"each pixel mixed with its grey up to {MAX_GREY}; brightness +-{BRIGHTNESS}, "
                                f"contrast x{CONTRAST[0]}-{CONTRAST[1]}, channel gain +-{GAIN}; gaussian noise "
                                f"of sigma up to {MAX_NOISE} (in [-1, 1] units)",
                "threshold": CONFIDENT}
    report = ShapeReport(settings=settings, data=data)
    run = RunFolder(out, resume) if out is not None else None
    if run is not None and run.resuming:
        saved = run.saved_config()
        for key in ("steps", "batch_size", "lr", "width", "seed", "train_images", "held_out_images"):
            if saved.get(key) != settings[key]:
                raise ValueError(f"{run.out} was trained with {key} {saved.get(key)}, not {settings[key]}: "
                                 "a run resumes with its own settings; to change them, start a new run")

    with torch.random.fork_rng(devices=[]):  # the seed fixes weights and batches; global RNG untouched
        torch.manual_seed(seed)
        task = ShapeTask(torch.from_numpy(shapes), torch.from_numpy(classes), torch.from_numpy(negatives), held,
                         report, settings, device, progress_fn)

        def on_log(step: int, metrics: dict, picture) -> None:
            entry = {"step": step, "train_loss": round(metrics["train_loss"], 4),
                     "train_accuracy": round(metrics["train_accuracy"], 4),
                     "elapsed_s": round(task.wall_before + time.time() - t0, 1)}
            for key in ("real_confident", "negatives_confident"):
                if key in metrics:
                    entry[key] = metrics[key]
            report.history.append(entry)
            if log:
                log(" ".join(f"{k} {v}" for k, v in entry.items()))

        result = train_loop(task, run, {**settings, "data": data}, total=steps, log_every=min(eval_every, steps),
                            sample_every=min(eval_every, steps), checkpoint_every=checkpoint_every,
                            progress_fn=on_log, abort_fn=abort_fn)
    model = task.model.eval()
    report.metrics = evaluate(model, held)
    report.metrics["how"] = (f"held-out images scored at {IMAGE_SIZE} px; accuracy: the top class is the true one; "
                             "rejection: the top class of a negative is none; confident_shape_share: the top class "
                             f"is a shape with probability >= {CONFIDENT} (what shape_share counts)")
    report.wall_time_s = round(task.wall_before + time.time() - t0, 1)
    if run is not None and result.step == steps:
        write_json(run.out / "export" / CARD_FILE, shape_classifier_card(model, report))
    return model, report


class ShapeTask(Task):
    """The judge's step (a half-and-half augmented batch, cross-entropy, AdamW, one-cycle
    schedule), the held-out confident shares as its sample measure, and its card."""

    metric_names = ("train_loss", "train_accuracy")
    card_file = CARD_FILE

    def __init__(self, shapes: torch.Tensor, classes: torch.Tensor, negatives: torch.Tensor, held: HeldOut,
                 report: ShapeReport, settings: dict, device: torch.device,
                 progress_fn: Callable[[int, int, dict], None] | None):
        self.shapes, self.classes, self.negatives, self.held = shapes, classes, negatives, held
        self.report, self.settings, self.device, self.progress_fn = report, settings, device, progress_fn
        self.batch_size, self.total = settings["batch_size"], settings["steps"]
        lr = settings["lr"]
        self.model = ShapeClassifier(settings["width"]).to(device)
        self.rng = torch.Generator().manual_seed(settings["seed"])
        self.opt = torch.optim.AdamW(self.model.parameters(), lr=lr, weight_decay=1e-4)
        self.sched = torch.optim.lr_scheduler.OneCycleLR(self.opt, max_lr=lr, total_steps=max(self.total, 2),
                                                         pct_start=0.15)
        self.nets, self.optimizers, self.schedulers = {"classifier": self.model}, {"opt": self.opt}, {"lr": self.sched}
        self.generators = {"batches": self.rng}
        self.exports = {CLASSIFIER_FILE: self.model}
        self.data_hash = hashlib.sha256(shapes.numpy().tobytes() + negatives.numpy().tobytes()).hexdigest()[:16]
        self.wall_before = 0.0

    def batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(images (B, 3, 32, 32) in [-1, 1], augmented; labels (B,)): half shapes, half negatives."""
        half = self.batch_size // 2
        i = torch.randint(len(self.shapes), (half,), generator=self.rng)
        j = torch.randint(len(self.negatives), (self.batch_size - half,), generator=self.rng)
        x = torch.cat([self.shapes[i], self.negatives[j]]).float().div_(127.5).sub_(1.0)
        y = torch.cat([self.classes[i].long(), torch.full((len(j),), NONE, dtype=torch.long)])
        return augment(x, self.rng), y

    def step(self, step: int) -> torch.Tensor:
        self.model.train()
        x, y = self.batch()
        logits = self.model(x.to(self.device))
        y = y.to(self.device)
        loss = F.cross_entropy(logits, y)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        self.sched.step()
        if self.progress_fn:
            self.progress_fn(step + 1, self.total, {"loss": loss.item()})
        accuracy = (logits.argmax(1) == y).float().mean()
        return torch.stack([loss.detach(), accuracy])

    def samples(self):
        real = confident_shapes(shape_probabilities(self.model, self.held.shapes))
        neg = confident_shapes(shape_probabilities(self.model, self.held.negatives))
        return None, {"real_confident": _share(real), "negatives_confident": _share(neg)}

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
        return shape_classifier_card(self.model, self.report)


def shape_classifier_card(classifier: ShapeClassifier, report: ShapeReport, *, name: str | None = None,
                          command: str | None = None, hardware: str | None = None,
                          folder: Path | None = None) -> dict:
    """The judge's card: classes, threshold, data, command, steps, wall time, hardware and the
    held-out figures, plus the architecture under "classifier", which `gan_core.load` rebuilds."""
    hardware = net_hardware(classifier, hardware)
    real, neg = report.metrics.get("real_shapes", {}), report.metrics.get("negatives", {})
    return {
        "name": name or (folder.name if folder is not None else "shapes-classifier"),
        "task": SHAPE_CLASSIFICATION,
        "description": f"A judge for the built-in shapes at {classifier.image_size} px: a 4-layer CNN (width "
                       f"{classifier.width}) giving probabilities over {', '.join(CLASSES)}",
        "intended_use": "measuring a shapes GAN: the share of its samples that look like one clean shape "
                        "(gan_core.evaluation.shape_score.shape_share), live in the Train tab and with "
                        "`python -m gan_core shapes score`",
        "classes": list(CLASSES),
        "threshold": CONFIDENT,
        "notes": [
            f"a sample counts as a shape when its top class is a shape with probability >= {CONFIDENT}",
            f"held out: {real.get('confident_shape_share', 0):.1%} of real shapes and "
            f"{neg.get('confident_shape_share', 0):.1%} of negatives counted as shapes",
            "the negatives are procedural stand-ins for a GAN's failures; a GAN can fail in ways they do not "
            "cover, so the share is a lower bar, not a proof of quality",
        ],
        "data": report.data,
        "training": {**report.settings, "command": command, "wall_time_s": report.wall_time_s,
                     "hardware": hardware, "gan_core_version": __version__, "history": report.history},
        "metrics": report.metrics,
        "classifier": classifier.config(),
        "files": {"weights": CLASSIFIER_FILE},
    }


def save_shape_classifier(folder: str | Path, classifier: ShapeClassifier, report: ShapeReport, *,
                          name: str | None = None, command: str | None = None, hardware: str | None = None,
                          hardware_note: str | None = None) -> Path:
    """Write `classifier.safetensors` and its card (model_card.json with "task":
    "shape-classification"), which `gan_core.load` reads."""
    folder = Path(folder)
    hardware = net_hardware(classifier, hardware, hardware_note)
    card = shape_classifier_card(classifier, report, name=name, command=command, hardware=hardware, folder=folder)
    return write_export(folder, classifier, CLASSIFIER_FILE, card)


__all__ = ["train_shape_classifier", "save_shape_classifier", "shape_classifier_card", "evaluate", "augment",
           "degraded",
           "held_out_set", "ShapeReport", "ShapeTask", "HeldOut", "TRAIN_SEED", "HELD_OUT_SEED"]
