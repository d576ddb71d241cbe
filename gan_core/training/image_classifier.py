"""Training the metrics' feature network (gan_core.models.image_classifier) on CIFAR-10.

The classifier learns the ten classes of the CIFAR-10 training split (50,000 images)
and an eleventh, "none": images that keep a class's colours and textures but not its
object (NEGATIVE_KINDS, made from the batch itself). Without it, a GAN's frog-coloured
texture is called a frog with confidence (the first classifier, ten classes only, gave
the shipped frog GAN, which draws no frog, 47 % against real frogs' 70 %). It is scored
on the test split (10,000), which no GAN here trains on. Each step: a batch with a
random 32 px crop of the image padded by 4 px (reflected) and a left-right flip, the
standard CIFAR augmentation, NEGATIVE_SHARE of it turned into negatives; SGD with
Nesterov momentum and a one-cycle learning rate; cross-entropy.

>>> from gan_core.training.image_classifier import train_image_classifier
>>> result = train_image_classifier(train_set, test_set, epochs=10, out="runs/cifar10-classifier")  # doctest: +SKIP

The run folder is gan_core.training.loop's (config.json, log.jsonl, state.safetensors,
export/ with classifier.safetensors and model_card.json); `resume` continues it exactly.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from gan_core.core.hub import IMAGE_CLASSIFICATION
from gan_core.core.images import from_uint8
from gan_core.data.image_set import ImageSet
from gan_core.models.image_classifier import ImageClassifier
from gan_core.pipelines.image_classifier import CLASSIFIER_FILE, class_probabilities
from gan_core.training.loop import RunFolder, Task, TrainResult, net_hardware, run_command, software, train_loop

PAD = 4  # random crops of the image padded by this many pixels (reflected)
NONE = "none"  # the class of images with no object
NEGATIVE_SHARE = 0.2
# patches: the 8x8 tiles of an image in a random order (colours and texture, no object);
# zoom: an 8-14 px crop blown up to 32 px (a texture close up); blend: two images averaged
# (two ghosts, neither whole).
NEGATIVE_KINDS = ("patches", "zoom", "blend")
TILE = 8


@dataclass
class ClassifierConfig:
    epochs: float = 12
    batch_size: int = 128
    lr: float = 0.1  # the one-cycle peak
    momentum: float = 0.9
    weight_decay: float = 5e-4
    width: int = 32
    seed: int = 0
    out: str | None = None
    name: str = "cifar10-classifier"
    resume: bool = False
    command: str | None = None


def random_crop_flip(x: torch.Tensor, rng: torch.Generator) -> torch.Tensor:
    """A batch (N, 3, S, S) cropped back to S px at a random offset after reflect-padding by
    PAD, and mirrored left-right at random, each image on its own draw."""
    n, _, s, _ = x.shape
    padded = F.pad(x, (PAD, PAD, PAD, PAD), mode="reflect")
    dx, dy = (torch.randint(0, 2 * PAD + 1, (2, n), generator=rng)).unbind(0)
    rows = (dy[:, None] + torch.arange(s))[:, None, :, None].expand(n, 3, s, s + 2 * PAD)
    x = padded.gather(2, rows)
    cols = (dx[:, None] + torch.arange(s))[:, None, None, :].expand(n, 3, s, s)
    x = x.gather(3, cols)
    flip = torch.rand(n, generator=rng) < 0.5
    return torch.where(flip.view(-1, 1, 1, 1), x.flip(3), x)


def negatives(x: torch.Tensor, rng: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Images (N, 3, S, S), S a multiple of TILE, each made a negative of a kind drawn at
    random (NEGATIVE_KINDS); returns (negatives, kind indices)."""
    n, c, s, _ = x.shape
    kinds = torch.randint(0, len(NEGATIVE_KINDS), (n,), generator=rng)
    # patches: shuffle the (s/TILE)^2 tiles of each image
    k = s // TILE
    tiles = x.reshape(n, c, k, TILE, k, TILE).permute(0, 2, 4, 1, 3, 5).reshape(n, k * k, c, TILE, TILE)
    order = torch.rand(n, k * k, generator=rng).argsort(1)
    tiles = tiles.gather(1, order[:, :, None, None, None].expand_as(tiles))
    patches = tiles.reshape(n, k, k, c, TILE, TILE).permute(0, 3, 1, 4, 2, 5).reshape(n, c, s, s)
    # zoom: an 8-14 px square at a random place, scaled up (the same size for the batch)
    side = int(torch.randint(8, 15, (1,), generator=rng))
    top, left = (int(v) for v in torch.randint(0, s - side + 1, (2,), generator=rng))
    zoom = F.interpolate(x[:, :, top:top + side, left:left + side], (s, s), mode="bilinear", align_corners=False)
    blend = (x + x.roll(1, 0)) / 2
    out = torch.where((kinds == 0).view(-1, 1, 1, 1), patches, torch.where((kinds == 1).view(-1, 1, 1, 1), zoom, blend))
    return out, kinds


@torch.no_grad()
def test_accuracy(model: ImageClassifier, test: ImageSet) -> dict:
    """On `test`: top-1 accuracy over all the model's classes, overall and per class; the
    share of real images called "none"; and the share of negatives made from them
    (negatives(), seed 0) called "none", by kind."""
    probs = class_probabilities(model, test.images)
    truth = test.labels["class"].long()
    right = probs.argmax(1) == truth
    report = {"accuracy": round(right.float().mean().item(), 4),
              "by_class": {name: round(right[truth == k].float().mean().item(), 4)
                           for k, name in enumerate(test.class_names)}}
    if NONE in model.classes:
        none = model.classes.index(NONE)
        report["real_called_none"] = round((probs.argmax(1) == none).float().mean().item(), 4)
        neg, kinds = negatives(from_uint8(test.images), torch.Generator().manual_seed(0))
        called = class_probabilities(model, neg).argmax(1) == none
        report["negatives_called_none"] = {kind: round(called[kinds == i].float().mean().item(), 4)
                                           for i, kind in enumerate(NEGATIVE_KINDS)}
    return report


class ImageClassifierTask(Task):
    metric_names = ("loss", "accuracy")

    def __init__(self, cfg: ClassifierConfig, train_set: ImageSet, test_set: ImageSet, total: int):
        self.cfg, self.train_set, self.test_set, self.total = cfg, train_set, test_set, total
        torch.manual_seed(cfg.seed)
        self.model = ImageClassifier([*train_set.class_names, NONE], width=cfg.width).to(
            memory_format=torch.channels_last)
        self.opt = torch.optim.SGD(self.model.parameters(), lr=cfg.lr, momentum=cfg.momentum,
                                   weight_decay=cfg.weight_decay, nesterov=True)
        self.sched = torch.optim.lr_scheduler.OneCycleLR(self.opt, max_lr=cfg.lr, total_steps=total, pct_start=0.2)
        self.rng = torch.Generator().manual_seed(cfg.seed + 1)
        self.batch_size = cfg.batch_size
        self.nets, self.optimizers, self.schedulers = {"classifier": self.model}, {"opt": self.opt}, {"lr": self.sched}
        self.generators = {"batches": self.rng}
        self.exports = {CLASSIFIER_FILE: self.model}
        self.labels = train_set.labels["class"].long()
        self.last_test: dict = {}

    def step(self, step: int) -> torch.Tensor:
        i = torch.randint(len(self.train_set), (self.batch_size,), generator=self.rng)
        x = random_crop_flip(from_uint8(self.train_set.images[i]), self.rng)
        y = self.labels[i].clone()
        m = int(NEGATIVE_SHARE * self.batch_size)  # the batch's first m become negatives
        x[:m] = negatives(x[:m], self.rng)[0]
        y[:m] = len(self.train_set.class_names)
        x = x.contiguous(memory_format=torch.channels_last)
        logits = self.model(x)
        loss = F.cross_entropy(logits, y)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        self.sched.step()
        return torch.stack([loss.detach(), (logits.argmax(1) == y).float().mean()])

    def samples(self):
        self.last_test = test_accuracy(self.model, self.test_set)
        self.model.train()
        return None, {"test_accuracy": self.last_test["accuracy"]}

    def state_info(self) -> dict:
        return {"data_hash": self.train_set.content_hash}

    def resume(self, info: dict, tensors: dict) -> None:
        if info["data_hash"] != self.train_set.content_hash:
            raise ValueError("the training images differ from those this run was trained on")

    def card(self, step: int, wall: float, metrics: dict) -> dict:
        cfg, model = self.cfg, self.model
        test = test_accuracy(model, self.test_set)
        model.train()
        return {
            "name": cfg.name,
            "task": IMAGE_CLASSIFICATION,
            "description": f"A {len(model.classes)}-class image classifier at 32 px (a VGG-style CNN, width "
                           f"{model.width}, {sum(p.numel() for p in model.parameters()) / 1e6:.2f} M weights)",
            "intended_use": "the feature network of `python -m gan_core evaluate` (Fréchet distance and KID "
                            f"on its {model.feature_dim} pooled features) and the class share of a GAN's "
                            "samples (a frog GAN's frog rate); not comparable to Inception-based FID",
            "classes": model.classes,
            "data": {"train": self.train_set.summary(), "test": self.test_set.summary(),
                     "licence": "CIFAR-10: research and teaching, non-commercial",
                     "citations": ["Krizhevsky, Learning Multiple Layers of Features from Tiny Images, 2009 "
                                   "(CIFAR-10, here as JPEG re-encodings)"]},
            "training": {"command": run_command(cfg.command), "steps": step, "planned_steps": self.total,
                         "epochs": round(step * cfg.batch_size / len(self.train_set), 2),
                         "batch_size": cfg.batch_size, "lr": cfg.lr, "momentum": cfg.momentum,
                         "weight_decay": cfg.weight_decay, "seed": cfg.seed,
                         "optimizer": "SGD with Nesterov momentum, one-cycle learning rate (20 % warm-up)",
                         "augmentation": f"random 32 px crops of the image reflect-padded by {PAD} px, "
                                         "left-right flips",
                         "negatives": f"{NEGATIVE_SHARE:.0%} of each batch made into images of the class "
                                      f"{NONE!r}: {', '.join(NEGATIVE_KINDS)} (gan_core.training.image_classifier."
                                      "negatives)",
                         "wall_time_s": round(wall, 1), "hardware": net_hardware(model, None), **software()},
            "metrics": {"test": test, "train_loss": metrics.get("loss"), "train_accuracy": metrics.get("accuracy")},
            "classifier": model.config(),
            "files": {"weights": CLASSIFIER_FILE},
        }


def train_image_classifier(cfg: ClassifierConfig, train_set: ImageSet, test_set: ImageSet,
                           progress_fn=None, abort_fn=None) -> TrainResult:
    """Train an ImageClassifier on `train_set` (labels["class"]), scored on `test_set` every epoch."""
    if "class" not in train_set.labels or train_set.class_names != test_set.class_names:
        raise ValueError("the training and test sets need the same classes (folders named by class)")
    total = math.ceil(cfg.epochs * len(train_set) / cfg.batch_size)
    log_every = 50
    # Scored and saved about once an epoch, on a logged step (the score is logged with it).
    epoch_steps = max(log_every, len(train_set) // cfg.batch_size // log_every * log_every)
    task = ImageClassifierTask(cfg, train_set, test_set, total)
    run = RunFolder(cfg.out, cfg.resume) if cfg.out else None
    return train_loop(task, run, {k: v for k, v in vars(cfg).items()}, total=total, log_every=log_every,
                      sample_every=epoch_steps, checkpoint_every=epoch_steps, progress_fn=progress_fn,
                      abort_fn=abort_fn)


__all__ = ["ClassifierConfig", "train_image_classifier", "random_crop_flip", "negatives", "test_accuracy",
           "ImageClassifierTask", "NONE", "NEGATIVE_KINDS"]
