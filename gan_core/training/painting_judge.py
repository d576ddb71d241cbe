"""Training the style model's "painted" measure: a photo-or-painting classifier.

Whether a translated photo looks painted is judged by a classifier that never sees the
style model's output in training: an AttributeClassifier (gan_core.models) with one
binary head, "painting", learnt from random CROP px crops of the two domains' own
pictures (photos: label 0, paintings: 1), with HELD_OUT of each domain's files kept out
to test it. So that it cannot win on colour alone (the failure it must catch is a photo
with a painter's palette and no strokes), every crop's colour is jittered and GREY_SHARE
of them turned grey; and SOFT_SHARE of the photo crops are blurred (a Gaussian of
SOFT_SIGMA px), because the first judge, trained without, called every BSD68 photo with a
cool cast and a 1.5 px blur a painting: softness alone must not make a painting. What is
left to learn from is texture, edges and strokes.
gan_core.evaluation.painting_score turns its crop scores into a verdict per picture.

>>> from gan_core.training.painting_judge import JudgeConfig, train_painting_judge
>>> cfg = JudgeConfig(photos=["../shared/data/style/photos", "../shared/data/sr/BSDS500_train"],
...                   paintings=["../shared/data/style/paintings"], out="runs/photo-or-painting")  # doctest: +SKIP
>>> train_painting_judge(cfg)                                                                   # doctest: +SKIP
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from gan_core.core.hub import ATTRIBUTE_CLASSIFICATION
from gan_core.data.sr_pairs import SRPatches, to_tensor
from gan_core.evaluation.painting_score import CROP, MAX_SIDE, PAINTING, painting_probabilities
from gan_core.models.attribute_classifier import AttributeClassifier
from gan_core.pipelines.classifier import CLASSIFIER_FILE
from gan_core.training.loop import RunFolder, Task, TrainResult, net_hardware, run_command, software, train_loop

HELD_OUT = 0.2  # of each domain's pictures, by a fixed shuffle of the files: the test set
GREY_SHARE = 0.3
SOFT_SHARE = 0.5  # of the photo crops, blurred
SOFT_SIGMA = (0.5, 2.5)  # px, the blur's standard deviation, drawn uniformly


@dataclass
class JudgeConfig:
    photos: list[str] = field(default_factory=list)
    paintings: list[str] = field(default_factory=list)
    out: str | None = None
    name: str = "photo-or-painting"
    steps: int = 1500
    batch_size: int = 32  # crops per domain per step
    lr: float = 1e-3
    width: int = 32
    seed: int = 0
    log_every: int = 50
    eval_every: int = 250
    resume: bool = False
    command: str | None = None


def split(n: int, seed: int) -> tuple[list[int], list[int]]:
    """(training, held-out) indices of n pictures: a fixed shuffle, HELD_OUT of it held out."""
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed)).tolist()
    cut = max(1, round(n * HELD_OUT))
    return sorted(order[cut:]), sorted(order[:cut])


def jitter(x: torch.Tensor, rng: torch.Generator) -> torch.Tensor:
    """Brightness +-0.2, contrast x0.7-1.3, saturation x0.5-1.5 per crop, and GREY_SHARE grey."""
    n = x.shape[0]
    u = torch.rand(n, 4, 1, 1, 1, generator=rng)
    x = x + (u[:, 0] - 0.5) * 0.4
    mean = x.mean((1, 2, 3), keepdim=True)
    x = (x - mean) * (0.7 + 0.6 * u[:, 1]) + mean
    grey = x.mean(1, keepdim=True)
    x = (x - grey) * (0.5 + u[:, 2]) + grey
    x = torch.where(u[:, 3] < GREY_SHARE, grey.expand_as(x), x)
    return x.clamp(-1, 1)


def soften(x: torch.Tensor, rng: torch.Generator) -> torch.Tensor:
    """SOFT_SHARE of the crops (N, 3, H, W) blurred by a Gaussian whose sigma is drawn from
    SOFT_SIGMA, each its own; the rest as they are."""
    n = x.shape[0]
    u = torch.rand(n, 2, generator=rng).tolist()
    radius = int(np.ceil(3 * SOFT_SIGMA[1]))
    t = torch.arange(-radius, radius + 1, dtype=x.dtype)
    out = []
    for crop, (pick, where) in zip(x, u):
        if pick >= SOFT_SHARE:
            out.append(crop)
            continue
        sigma = SOFT_SIGMA[0] + where * (SOFT_SIGMA[1] - SOFT_SIGMA[0])
        k = torch.exp(-t ** 2 / (2 * sigma ** 2))
        k = (k / k.sum()).to(x.device)
        c = F.pad(crop[None], (radius, radius, radius, radius), mode="reflect")
        c = F.conv2d(c, k.view(1, 1, 1, -1).expand(3, 1, 1, -1), groups=3)  # along rows
        c = F.conv2d(c, k.view(1, 1, -1, 1).expand(3, 1, -1, 1), groups=3)  # along columns
        out.append(c[0])
    return torch.stack(out)


class JudgeTask(Task):
    metric_names = ("loss", "accuracy")

    def __init__(self, cfg: JudgeConfig, photos: SRPatches, paintings: SRPatches):
        self.cfg, self.domains = cfg, (photos, paintings)
        self.train_idx, self.test_idx = zip(*(split(len(d.images), cfg.seed + k) for k, d in enumerate(self.domains)))
        torch.manual_seed(cfg.seed)
        self.model = AttributeClassifier([{"name": PAINTING, "kind": "binary"}], image_size=CROP, width=cfg.width)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=cfg.lr)
        self.rng = torch.Generator().manual_seed(cfg.seed + 1)
        self.batch_size = 2 * cfg.batch_size
        self.nets, self.optimizers, self.generators = {"classifier": self.model}, {"opt": self.opt}, {"rng": self.rng}
        self.exports = {CLASSIFIER_FILE: self.model}
        self.last_test: dict = {}

    def crops(self, domain: int, n: int) -> torch.Tensor:
        """n random crops of the domain's training pictures, mirrored at random, in [-1, 1]."""
        patches, idx = self.domains[domain], self.train_idx[domain]
        which = torch.randint(len(idx), (n,), generator=self.rng).tolist()
        where = torch.rand(n, 3, generator=self.rng).tolist()
        out = []
        for k, (fy, fx, mirror) in zip(which, where):
            i = idx[k]
            h, w = patches.images[i].shape[:2]
            out.append(patches.crop(i, int(fy * (h - CROP + 1)), int(fx * (w - CROP + 1)), 4 if mirror < 0.5 else 0))
        return to_tensor(np.stack(out))

    def step(self, step: int) -> torch.Tensor:
        n = self.cfg.batch_size
        x = jitter(torch.cat([soften(self.crops(0, n), self.rng), self.crops(1, n)]), self.rng)
        y = torch.cat([torch.zeros(n), torch.ones(n)])
        logits = self.model(x)[:, 0]
        loss = F.binary_cross_entropy_with_logits(logits, y)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        return torch.stack([loss.detach(), ((logits > 0).float() == y).float().mean()])

    def test(self) -> dict:
        """On the held-out pictures of each domain: the share each is called (by its mean crop score)."""
        report = {}
        for domain, name in ((0, "photos_called_painting"), (1, "paintings_called_painting")):
            patches = self.domains[domain]
            probs = painting_probabilities(self.model, [patches.images[i] for i in self.test_idx[domain]])
            report[name] = round(float((probs > 0.5).float().mean()), 4)
            report[name.split("_")[0] + "_held_out"] = len(probs)
        report["accuracy"] = round(((1 - report["photos_called_painting"]) * report["photos_held_out"]
                                    + report["paintings_called_painting"] * report["paintings_held_out"])
                                   / (report["photos_held_out"] + report["paintings_held_out"]), 4)
        self.model.train()
        return report

    def samples(self):
        self.last_test = self.test()
        return None, {"test_accuracy": self.last_test["accuracy"]}

    def state_info(self) -> dict:
        return {"data_hash": [d.content_hash for d in self.domains]}

    def resume(self, info: dict, tensors: dict) -> None:
        if info["data_hash"] != [d.content_hash for d in self.domains]:
            raise ValueError("the pictures differ from those this run was trained on")

    def card(self, step: int, wall: float, metrics: dict) -> dict:
        cfg = self.cfg
        test = self.last_test or self.test()
        return {
            "name": cfg.name,
            "task": ATTRIBUTE_CLASSIFICATION,
            "description": f"Photo or painting? A {CROP} px crop classifier (one binary output, 'painting'); a "
                           "picture's verdict is its crops' mean score (gan_core.evaluation.painting_score)",
            "intended_use": "the 'painted' measure of the style model: the share of translated photos it calls "
                            f"paintings. Trained on texture with colour jittered, {GREY_SHARE:.0%} of crops grey "
                            f"and {SOFT_SHARE:.0%} of the photo crops blurred, so a photo with a painter's palette "
                            "or a soft focus alone should stay a photo; it knows one painter's "
                            "style (the training paintings') and photos of landscapes and scenes, nothing else",
            "attributes": [PAINTING],
            "data": {"photos": self.domains[0].summary(), "paintings": self.domains[1].summary(),
                     "held_out": f"{HELD_OUT:.0%} of each domain's pictures (a fixed shuffle of the files), "
                                 "never trained on: the test set"},
            "training": {"command": run_command(cfg.command), "steps": step, "batch_size": f"{cfg.batch_size} crops "
                         "of each domain", "lr": cfg.lr, "optimizer": "Adam", "seed": cfg.seed,
                         "augmentation": f"random {CROP} px crops, left-right mirror, brightness/contrast/"
                                         f"saturation jitter, {GREY_SHARE:.0%} grey; {SOFT_SHARE:.0%} of the photo "
                                         f"crops blurred (Gaussian, sigma {SOFT_SIGMA[0]}-{SOFT_SIGMA[1]} px)",
                         "wall_time_s": round(wall, 1), "hardware": net_hardware(self.model), **software()},
            "metrics": {"test": test, "train_loss": metrics.get("loss"), "train_accuracy": metrics.get("accuracy")},
            "classifier": self.model.config(),
            "files": {"weights": CLASSIFIER_FILE},
        }


def train_painting_judge(cfg: JudgeConfig, progress_fn=None, abort_fn=None) -> TrainResult:
    """Train the photo-or-painting classifier (see the module's text)."""
    if not cfg.photos or not cfg.paintings:
        raise ValueError("give both domains: --photos and --paintings")
    photos = SRPatches(cfg.photos, CROP, 1, rotate=False, max_side=MAX_SIDE)
    paintings = SRPatches(cfg.paintings, CROP, 1, rotate=False, max_side=MAX_SIDE)
    task = JudgeTask(cfg, photos, paintings)
    run = RunFolder(cfg.out, cfg.resume) if cfg.out else None
    return train_loop(task, run, asdict(cfg), total=cfg.steps, log_every=cfg.log_every, sample_every=cfg.eval_every,
                      checkpoint_every=cfg.eval_every, progress_fn=progress_fn, abort_fn=abort_fn)


__all__ = ["JudgeConfig", "train_painting_judge", "JudgeTask", "split", "jitter", "soften"]
