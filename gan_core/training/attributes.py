"""Training the face-attribute classifier (gan_core.models.attribute_classifier.AttributeClassifier),
choosing the labels it can learn (label_counts, usable_attributes) and saving it (save_classifier).

A small CNN learns labelled attributes from real faces (UTKFace's gender and age,
CelebA's 40 binary attributes), one head each: binary logits, or a regression in units
normalised by the training mean and spread. An image trains only the heads it has a
label for (masked_attribute_loss). A share of the images is held out by a group key
(a person), so the same face never sits on both sides (split_by_group).

>>> from gan_core.data.image_set import load_images
>>> from gan_core.training.attributes import train_attribute_classifier
>>> ds = load_images(["faces/celeba/img_align_celeba", "faces/utkface"], 64)      # doctest: +SKIP
>>> model, report = train_attribute_classifier(ds, ["gender", "age", "Smiling"], epochs=4)  # doctest: +SKIP

Given `out`, the run has a folder as gan_core.training.loop's (config.json, log.jsonl,
state.safetensors, export/ with classifier.safetensors and model_card.json) and
`resume` continues it exactly.
"""
from __future__ import annotations

import hashlib
import math
import time
from dataclasses import asdict
from pathlib import Path
from typing import Callable, Mapping, Sequence

import torch
import torch.nn.functional as F

from gan_core.core.checkpoints import CARD_FILE
from gan_core.core.hub import ATTRIBUTE_CLASSIFICATION
from gan_core.models.attribute_classifier import AttributeClassifier, AttributeHead
from gan_core.pipelines.classifier import CLASSIFIER_FILE
from gan_core.training.loop import RunFolder, Task, train_loop, write_export


# Labels that are categories rather than yes/no or an amount: a single head
# cannot learn them, so they are never picked automatically.
NOT_ORDERED = ("race", "class")


def label_counts(labels: Mapping[str, torch.Tensor], names: Sequence[str] | None = None) -> dict[str, dict]:
    """Per label: how many images have it, and positives/negatives (0/1 labels)
    or mean/min/max (other values)."""
    counts = {}
    for name in names or sorted(labels):
        v = labels[name]
        known = v[~torch.isnan(v)]
        if is_binary_label(known):
            counts[name] = {"labelled": int(known.numel()), "positive": int((known > 0.5).sum()),
                            "negative": int((known < 0.5).sum())}
        else:
            counts[name] = {"labelled": int(known.numel())}
            if known.numel():
                counts[name].update(mean=round(known.mean().item(), 2), min=known.min().item(),
                                    max=known.max().item())
    return counts


def is_binary_label(known: torch.Tensor) -> bool:
    return bool(((known == 0) | (known == 1)).all())


def usable_attributes(labels: Mapping[str, torch.Tensor], min_count: int = 30,
                      exclude: Sequence[str] = NOT_ORDERED) -> list[str]:
    """Labels with at least `min_count` positives and negatives (0/1 labels) or
    `min_count` known values (others); categories such as race are left out."""
    keep = []
    for name, c in label_counts(labels).items():
        if name in exclude:
            continue
        if "positive" in c and min(c["positive"], c["negative"]) >= min_count:
            keep.append(name)
        elif "positive" not in c and c["labelled"] >= min_count:
            keep.append(name)
    return keep


def save_classifier(folder: str | Path, model: AttributeClassifier, card: dict) -> Path:
    """Write `classifier.safetensors` and `model_card.json` (the card with its task,
    plus the architecture under "classifier", which `gan_core.load` rebuilds)."""
    card = {**card, "task": ATTRIBUTE_CLASSIFICATION, "classifier": model.config(),
            "files": {**card.get("files", {}), "weights": CLASSIFIER_FILE}}
    return write_export(folder, model, CLASSIFIER_FILE, card)


def masked_attribute_loss(outputs: torch.Tensor, targets: torch.Tensor, heads: Sequence[AttributeHead],
                          weights: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Weighted sum over heads of each head's mean loss over the images labelled for it.

    targets: (N, heads) in raw units (0/1 or normalised values), NaN where unknown.
    An image trains only the heads it has labels for; a head with no label in the
    batch adds exactly zero loss and zero gradient. weights: (heads,), default 1.
    Returns (total, unweighted per-head losses).
    """
    known = ~torch.isnan(targets)
    filled = torch.where(known, targets, torch.zeros_like(targets))  # NaN * 0 is NaN: replace, do not multiply
    per_item = torch.zeros_like(outputs)
    binary = torch.tensor([h.kind == "binary" for h in heads], device=outputs.device)
    if binary.any():
        bce = F.binary_cross_entropy_with_logits(outputs, filled, reduction="none")
        per_item = torch.where(binary.view(1, -1), bce, per_item)
    if (~binary).any():  # smooth L1: a few mislabelled ages do not dominate
        reg = F.smooth_l1_loss(outputs, filled, reduction="none", beta=0.5)
        per_item = torch.where(binary.view(1, -1), per_item, reg)
    per_item = torch.where(known, per_item, torch.zeros_like(per_item))
    per_head = per_item.sum(0) / known.sum(0).clamp(min=1)
    total = per_head.sum() if weights is None else (per_head * weights.to(per_head)).sum()
    return total, per_head


def roc_auc(scores: torch.Tensor, labels: torch.Tensor) -> float:
    """Area under the ROC curve (ties count one half); NaN without both classes."""
    pos, n = int((labels > 0.5).sum()), labels.numel()
    if pos == 0 or pos == n:
        return math.nan
    _, inverse, counts = torch.unique(scores.double(), return_inverse=True, return_counts=True)
    avg_rank = counts.cumsum(0).double() - (counts.double() - 1) / 2  # 1-based rank, ties averaged
    ranks = avg_rank[inverse]
    return float((ranks[labels > 0.5].sum() - pos * (pos + 1) / 2) / (pos * (n - pos)))


# ----------------------------------------------------------------------------- training


def split_by_group(keys: Sequence[str], val_fraction: float) -> torch.Tensor:
    """Bool mask of held-out items: a group key goes wholly to one side, decided
    by a hash of the key, so the split does not depend on order or seed (and
    the same person's photos, given one key, never sit on both sides)."""
    cut = int(round(val_fraction * 10_000))
    return torch.tensor([int(hashlib.sha1(k.encode()).hexdigest()[:8], 16) % 10_000 < cut for k in keys])


def _metrics(model: AttributeClassifier, raw: torch.Tensor, targets: torch.Tensor) -> dict[str, dict]:
    """Validation metrics per head: AUC and accuracy (binary), MAE in label units (regression)."""
    out = {}
    for j, h in enumerate(model.heads):
        known = ~torch.isnan(targets[:, j])
        y, s = targets[known, j], raw[known, j]
        if not known.any():
            out[h.name] = {"n": 0}
        elif h.kind == "binary":
            pos = int((y > 0.5).sum())
            out[h.name] = {"n": int(known.sum()), "positive": pos, "auc": _round(roc_auc(s, y)),
                           "accuracy": _round(((s > 0) == (y > 0.5)).float().mean().item()),
                           "majority_accuracy": _round(max(pos, len(y) - pos) / len(y))}
        else:
            values, pred = y * h.scale + h.offset, s * h.scale + h.offset
            out[h.name] = {"n": int(known.sum()), "mae": _round((pred - values).abs().mean().item(), 2),
                           "mae_predicting_mean": _round((values - h.offset).abs().mean().item(), 2)}
    return out


def _round(x: float, digits: int = 3) -> float | None:
    return None if math.isnan(x) else round(x, digits)


def train_attribute_classifier(imageset, attributes: Sequence[str], *, epochs: int = 8, batch_size: int = 128,
                               seed: int = 0, progress_fn: Callable[[int, int, dict], None] | None = None,
                               val_fraction: float = 0.2, groups: Sequence[str] | None = None, lr: float = 2e-3,
                               width: int = 32, device: torch.device | str = "cpu",
                               max_steps: int | None = None,
                               head_weighting: str = "sqrt", out: str | Path | None = None, resume: bool = False,
                               checkpoint_every: int = 500,
                               abort_fn: Callable[[], bool] | None = None) -> tuple[AttributeClassifier, dict]:
    """Train an AttributeClassifier on a `gan_core.data.image_set.ImageSet`; returns (model, report).

    attributes: label names of `imageset.labels` (0/1 labels become binary heads,
        others regressions normalised by their training mean and spread).
    Only images with at least one of these labels are used. `val_fraction` of
    them is held out by `groups` (one key per image, e.g. a person's identity;
    default: the file name). Augmentation: left-right flips and shifts of up to
    3 px. head_weighting: "sqrt" (each head's loss weighted by the square root of
    its share of labelled images, relative to the most labelled head) or "equal".
    progress_fn(step, total_steps, info) is called every step; info has
    "epoch" and "loss", and at the end of an epoch "validation" (metrics so far).
    The report gives label counts per split, validation metrics per attribute
    (AUC, accuracy and the majority-class accuracy; MAE for regressions),
    per-epoch history and the wall time.
    out: a run folder (state every `checkpoint_every` steps and at the end, export/ with
    the classifier and a card); `resume` continues the run there exactly. Without it
    nothing is written.

    >>> from gan_core.data.image_set import load_images
    >>> ds = load_images(["faces/celeba/img_align_celeba", "faces/utkface"], 64)      # doctest: +SKIP
    >>> model, report = train_attribute_classifier(ds, ["gender", "age", "Smiling"], epochs=4)  # doctest: +SKIP
    >>> report["validation"]["Smiling"]["auc"]                                          # doctest: +SKIP
    """
    if not attributes:
        raise ValueError("no attributes to train")
    missing = [a for a in attributes if a not in imageset.labels]
    if missing:
        raise ValueError(f"no label {missing[0]!r} in the data; it has: {', '.join(sorted(imageset.labels)) or 'none'}")
    if epochs < 1 or batch_size < 2:
        raise ValueError("epochs must be >= 1 and batch_size >= 2")
    if head_weighting not in ("sqrt", "equal"):
        raise ValueError(f"head_weighting must be sqrt or equal, not {head_weighting!r}")
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must be between 0 and 1, not {val_fraction}")
    t0 = time.time()
    device = torch.device(device)
    labels = torch.stack([imageset.labels[a].float() for a in attributes], 1)  # (N, heads), NaN = unknown
    used = (~torch.isnan(labels)).any(1)
    keys = list(groups) if groups is not None else list(imageset.files)
    if len(keys) != len(imageset):
        raise ValueError(f"{len(keys)} group keys for {len(imageset)} images")
    held_out = split_by_group(keys, val_fraction)
    train_idx = torch.nonzero(used & ~held_out).flatten()
    val_idx = torch.nonzero(used & held_out).flatten()
    if len(train_idx) < 2 or len(val_idx) < 1:
        raise ValueError(f"too few labelled images to split: {len(train_idx)} for training, {len(val_idx)} held out")

    heads = []
    for j, name in enumerate(attributes):
        known = labels[train_idx, j][~torch.isnan(labels[train_idx, j])]
        if known.numel() == 0:
            raise ValueError(f"attribute {name!r} has no label among the training images")
        if is_binary_label(known):
            heads.append(AttributeHead(name, "binary"))
        else:
            spread = known.std().item() if known.numel() > 1 else 1.0
            heads.append(AttributeHead(name, "regression", round(known.mean().item(), 3), round(spread or 1.0, 3)))
    # Heads labelled on few images (CelebA's: a few per batch) give noisy gradients;
    # weighting them by sqrt(labelled share) keeps them from drowning the trunk in
    # noise. Adam rescales each head's own weights, so those still learn at full speed.
    labelled = (~torch.isnan(labels[train_idx])).sum(0).float()
    weights = (labelled / labelled.max()).sqrt() if head_weighting == "sqrt" else torch.ones(len(heads))
    targets = labels.clone()
    for j, h in enumerate(heads):
        targets[:, j] = (labels[:, j] - h.offset) / h.scale

    settings = {"attributes": list(attributes), "epochs": epochs, "batch_size": batch_size, "seed": seed,
                "val_fraction": val_fraction, "lr": lr, "width": width, "max_steps": max_steps,
                "head_weighting": head_weighting}
    run = RunFolder(out, resume) if out is not None else None
    if run is not None and run.resuming:
        saved = run.saved_config()
        for key, value in settings.items():
            if saved.get(key) != value:
                raise ValueError(f"{run.out} was trained with {key} {saved.get(key)}, not {value}: a run resumes "
                                 "with its own settings; to change them, start a new run")

    with torch.random.fork_rng(devices=[]):  # the seed fixes weights, order and dropout; global RNG untouched
        torch.manual_seed(seed)
        task = ClassifierTask(imageset, heads, targets, weights, train_idx, val_idx, settings, device, progress_fn)
        train_loop(task, run, settings, total=task.total, log_every=task.steps_per_epoch,
                   sample_every=task.total, checkpoint_every=checkpoint_every, abort_fn=abort_fn)
    model, history, step = task.model.eval(), task.history, task.step_count
    report = {
        "attributes": [asdict(h) for h in heads],
        "counts": {"train": label_counts({a: imageset.labels[a][train_idx] for a in attributes}, attributes),
                   "validation": label_counts({a: imageset.labels[a][val_idx] for a in attributes}, attributes)},
        "split": {"train_images": len(train_idx), "validation_images": len(val_idx), "val_fraction": val_fraction,
                  "by": "group key (hash)" if groups is not None else "file name (hash)"},
        "validation": _evaluate(model, imageset, val_idx, targets, device),
        "history": history,
        "epochs": history[-1]["epoch"] if history else 0, "steps": step, "batch_size": batch_size, "lr": lr,
        "seed": seed, "head_weighting": head_weighting,
        "head_weights": {h.name: round(w, 3) for h, w in zip(heads, weights.tolist())},
        "wall_time_s": round(task.wall_before + time.time() - t0, 1),
    }
    return model, report


class ClassifierTask(Task):
    """The classifier's step (a shuffled batch each step, a new order each epoch; flips and
    shifts; the masked loss; AdamW with a one-cycle schedule), its validation at the end
    of each epoch, and a card that load_classifier reads."""

    metric_names = ("loss",)
    card_file = CARD_FILE

    def __init__(self, imageset, heads: list[AttributeHead], targets: torch.Tensor, weights: torch.Tensor,
                 train_idx: torch.Tensor, val_idx: torch.Tensor, settings: dict, device: torch.device,
                 progress_fn: Callable[[int, int, dict], None] | None):
        self.imageset, self.heads, self.targets, self.weights = imageset, heads, targets, weights
        self.train_idx, self.val_idx, self.settings, self.device = train_idx, val_idx, settings, device
        self.progress_fn = progress_fn
        lr, self.batch_size = settings["lr"], settings["batch_size"]
        self.model = AttributeClassifier(heads, image_size=imageset.size, width=settings["width"]).to(device)
        self.order_rng = torch.Generator().manual_seed(settings["seed"])
        self.opt = torch.optim.AdamW(self.model.parameters(), lr=lr, weight_decay=1e-4)
        self.steps_per_epoch = max(1, len(train_idx) // self.batch_size)
        total = self.steps_per_epoch * settings["epochs"]
        self.total = total if settings["max_steps"] is None else min(settings["max_steps"], total)
        self.sched = torch.optim.lr_scheduler.OneCycleLR(self.opt, max_lr=lr, total_steps=max(self.total, 2),
                                                         pct_start=0.15)
        self.nets, self.optimizers, self.schedulers = {"classifier": self.model}, {"opt": self.opt}, {"lr": self.sched}
        self.generators = {"order": self.order_rng}
        self.exports = {CLASSIFIER_FILE: self.model}
        self.data_hash = hashlib.sha256(imageset.images.cpu().numpy().tobytes()
                                        + targets.numpy().tobytes()).hexdigest()[:16]
        self.perm = train_idx
        self.losses: list[float] = []  # this epoch's
        self.history: list[dict] = []
        self.step_count, self.wall_before = 0, 0.0

    def step(self, step: int) -> torch.Tensor:
        epoch, b = divmod(step, self.steps_per_epoch)
        if b == 0:
            self.model.train()
            self.perm = self.train_idx[torch.randperm(len(self.train_idx), generator=self.order_rng)]
            self.losses = []
        idx = self.perm[b * self.batch_size:(b + 1) * self.batch_size]
        flip = torch.rand(len(idx), generator=self.order_rng) < 0.5
        x = _augment(self.imageset.batch(idx, flip).to(self.device), self.order_rng)
        loss, _ = masked_attribute_loss(self.model(x), self.targets[idx].to(self.device), self.heads, self.weights)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        self.sched.step()
        self.step_count = step + 1
        self.losses.append(loss.item())
        if self.progress_fn:
            self.progress_fn(step + 1, self.total, {"epoch": epoch + 1, "loss": self.losses[-1]})
        if b + 1 == self.steps_per_epoch or step + 1 == self.total:  # the end of an epoch: validation
            val = _evaluate(self.model, self.imageset, self.val_idx, self.targets, self.device)
            self.history.append({"epoch": epoch + 1,
                                 "train_loss": round(sum(self.losses) / max(1, len(self.losses)), 4),
                                 "mean_val_auc": _mean_auc(val)})
            if self.progress_fn:
                self.progress_fn(step + 1, self.total,
                                 {"epoch": epoch + 1, "loss": self.history[-1]["train_loss"], "validation": val})
        return loss.detach().reshape(1)

    def state_info(self) -> dict:
        return {"data_hash": self.data_hash, "losses": self.losses, "history": self.history}

    def state_tensors(self) -> dict[str, torch.Tensor]:
        return {"perm": self.perm}

    def resume(self, info: dict, tensors: dict[str, torch.Tensor]) -> None:
        if info["data_hash"] != self.data_hash:
            raise ValueError(f"the data differs from the data this run was trained on "
                             f"(content hash {self.data_hash} vs {info['data_hash']})")
        self.perm, self.losses, self.history = tensors["perm"], info["losses"], info["history"]
        self.step_count, self.wall_before = info["step"], info["wall_time_s"]

    def card(self, step: int, wall: float, metrics: dict) -> dict:
        return {"name": "attribute-classifier", "kind": "attribute-classifier",
                "attributes": self.settings["attributes"], "classifier": self.model.config(),
                "training": {**self.settings, "steps": step, "wall_time_s": round(wall, 1), "history": self.history},
                "metrics": {"last_log": metrics}, "files": {"weights": CLASSIFIER_FILE}}


def _augment(x: torch.Tensor, rng: torch.Generator, max_shift: int = 3) -> torch.Tensor:
    """Shift the batch by up to `max_shift` px (edges replicated): generated faces
    are framed like the training data, but not to the pixel."""
    dx, dy = (int(v) for v in torch.randint(-max_shift, max_shift + 1, (2,), generator=rng))
    padded = F.pad(x, (max_shift,) * 4, mode="replicate")
    h, w = x.shape[-2:]
    return padded[..., max_shift + dy:max_shift + dy + h, max_shift + dx:max_shift + dx + w]


@torch.no_grad()
def _evaluate(model: AttributeClassifier, imageset, idx: torch.Tensor, targets: torch.Tensor, device) -> dict:
    model.eval()
    raw = torch.cat([model(imageset.batch(chunk).to(device)).float().cpu() for chunk in idx.split(256)])
    return _metrics(model, raw, targets[idx])


def _mean_auc(val: dict) -> float | None:
    aucs = [m["auc"] for m in val.values() if m.get("auc") is not None]
    return round(sum(aucs) / len(aucs), 3) if aucs else None



__all__ = ["train_attribute_classifier", "ClassifierTask", "masked_attribute_loss", "roc_auc", "split_by_group",
           "label_counts", "usable_attributes", "save_classifier"]
