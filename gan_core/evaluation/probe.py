"""The discriminator as a feature extractor: the linear probe of DCGAN section 5.

Radford, Metz & Chintala trained a DCGAN, then used its discriminator, frozen, as
a feature extractor for CIFAR-10: every layer's activations max-pooled to a 4x4
grid, flattened and concatenated, and a regularised linear classifier on top
(82.8 % test accuracy, above K-means features at 80.6 %). This module repeats the
experiment for any checkpoint with a `BlockDiscriminator`, and the same pipeline
on the discriminator's untrained starting weights, so that the gain from
adversarial training shows.

>>> import torch
>>> from gan_core.models import get_model
>>> from gan_core.evaluation.probe import discriminator_features, fit_linear_probe, evaluate
>>> D = get_model("dcgan32").build_discriminator()
>>> discriminator_features(D, torch.zeros(2, 3, 32, 32, dtype=torch.uint8)).shape   # (64+128+256) x 16
torch.Size([2, 7168])
>>> x, y = torch.randn(200, 5, generator=torch.Generator().manual_seed(0)), torch.arange(200) % 2
>>> x[y == 1] += 3                                # class 1 sits well away from class 0
>>> evaluate(fit_linear_probe(x, y, l2=1e-3), x, y)["accuracy"]
1.0

From the command line (the shipped numbers; `--max-train 5000` for a quick look):

    python -m gan_core probe checkpoints/cifar10-dcgan32 --data ../shared/data/cifar10/cifar10.tar.gz \\
        --out probe.json --write-card
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw, ImageFont
from torch import nn

from gan_core.core.images import from_uint8

# The paper's probe: activations max-pooled to a 4x4 grid in every layer.
GRID = 4
# The regularisation strengths tried (L2 on the weights, relative to the mean
# cross-entropy); the one with the best validation accuracy is refitted on all.
L2_GRID = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1)
VALIDATION_IMAGES = 5000  # held out of the training split to choose the strength
# The classifier's solver (see _fit): full-batch L-BFGS for small problems,
# minibatch Adam for CIFAR-10's 50,000 x 7,168 features.
FULL_BATCH_ELEMENTS = 20_000_000  # 80 MB of float32 features: a pass takes milliseconds
LBFGS_ITERATIONS = 500
# 20 epochs stop short of the exact optimum, which regularises a little more: on
# 10,000 CIFAR-10 training images (a DCGAN-32 discriminator after 1.5 epochs) Adam
# scored 56.8 % at L2 1e-3 and 1e-2, L-BFGS run to the optimum 54.8 % and 55.8 %,
# in a tenth of the time.
EPOCHS = 20
BATCH_SIZE = 256
LEARNING_RATE = 1e-3
FEATURE_BATCH = 500
# Reference points from DCGAN section 5, table 1 (CIFAR-10 test accuracy).
PAPER_ACCURACY = 0.828  # DCGAN (discriminator trained on Imagenet-1k) + L2-SVM
KMEANS_ACCURACY = 0.806  # 1 layer K-means, 4,800 features (Coates & Ng)
PAPER_NOTE = ("DCGAN paper, table 1: discriminator trained on Imagenet-1k, features of every layer "
              "max-pooled to 4x4 (28,672 values), a regularised linear L2-SVM; K-means: 1 layer, 4,800 features")
# What `probe --write-card` leaves in a checkpoint folder besides metrics.probe in its card.
PROBE_CONFUSION_FILE = "probe_confusion.png"

Log = Callable[[str], None]


# ----------------------------------------------------------------------------- features


@torch.no_grad()
def discriminator_features(D: nn.Module, images: torch.Tensor, grid: int = GRID,
                           batch_size: int = FEATURE_BATCH, device: torch.device | str = "cpu") -> torch.Tensor:
    """(N, sum over blocks of C x grid x grid) float features on the CPU.

    `images` are uint8 (N, 3, H, W) as `load_images` gives them, or floats in
    [-1, 1]. Every block of `D.features` is max-pooled to `grid` x `grid`
    (adaptive: a 16x16 map in 4x4 windows, a 4x4 map as it is), flattened and
    concatenated. D runs in eval mode (BatchNorm's running statistics), so an
    image's features do not depend on the rest of its batch."""
    if not hasattr(D, "features"):
        raise ValueError(f"{type(D).__name__} has no features(): the probe needs a BlockDiscriminator")
    was_training = D.training
    D = D.to(device).eval()
    out = []
    for batch in images.split(batch_size):
        maps = D.features(from_uint8(batch.to(device)))
        out.append(torch.cat([F.adaptive_max_pool2d(m.float(), grid).flatten(1) for m in maps], 1).cpu())
    D.train(was_training)
    if not out:
        return torch.empty(0, feature_dim(D, images.shape[-1], grid))
    return torch.cat(out)


def feature_dim(D: nn.Module, image_size: int, grid: int = GRID) -> int:
    """Length of one image's feature vector: sum over blocks of C x grid x grid."""
    with torch.no_grad():
        was_training = D.training
        maps = D.eval().features(torch.zeros(1, 3, image_size, image_size, device=next(D.parameters()).device))
        D.train(was_training)
    return sum(m.shape[1] for m in maps) * grid * grid


# ----------------------------------------------------------------------------- the linear classifier


@dataclass
class LinearProbe:
    """Multinomial logistic regression on standardised features."""

    weight: torch.Tensor  # (classes, features)
    bias: torch.Tensor  # (classes,)
    mean: torch.Tensor  # (features,) of the training features
    std: torch.Tensor  # (features,)
    l2: float

    def logits(self, features: torch.Tensor) -> torch.Tensor:
        return standardise(features, self.mean, self.std) @ self.weight.T + self.bias

    def predict(self, features: torch.Tensor) -> torch.Tensor:
        return self.logits(features).argmax(1)


def feature_stats(features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-feature mean and standard deviation; constant features (a dead unit) get
    std 1, so they standardise to 0 instead of NaN."""
    mean = features.mean(0)
    std = features.std(0, unbiased=False)
    return mean, torch.where(std > 1e-6, std, torch.ones_like(std))


def standardise(features: torch.Tensor, mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
    return (features - mean) / std


def _prepare(features: torch.Tensor, labels: torch.Tensor, mean: torch.Tensor, std: torch.Tensor,
             seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A standardised copy of the rows in a random order, made once: the epochs then
    take contiguous slices of it, which streams memory instead of gathering rows."""
    order = torch.randperm(len(features), generator=torch.Generator().manual_seed(seed))
    return features[order].sub_(mean).div_(std), labels[order].long()


def _objective(x, y, w, b, l2: float) -> torch.Tensor:
    """Mean cross-entropy + l2/2 |W|^2 (the bias is not penalised)."""
    return F.cross_entropy(x @ w.T + b, y) + 0.5 * l2 * w.pow(2).sum()


def _fit(x: torch.Tensor, y: torch.Tensor, num_classes: int, l2: float, epochs: int, seed: int = 0,
         init: tuple[torch.Tensor, torch.Tensor] | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Minimise `_objective`, a convex problem, from zero or from `init`.

    Up to FULL_BATCH_ELEMENTS features: full-batch L-BFGS, to the optimum in a
    second or two. Above: `epochs` of minibatch Adam with a cosine learning-rate
    decay to zero, since one pass over 50,000 x 7,168 features costs seconds on a
    CPU and L-BFGS needs hundreds of passes; Adam needs tens."""
    w = torch.zeros(num_classes, x.shape[1]) if init is None else init[0].clone()
    b = torch.zeros(num_classes) if init is None else init[1].clone()
    w.requires_grad_(True)
    b.requires_grad_(True)
    if x.numel() <= FULL_BATCH_ELEMENTS:
        opt = torch.optim.LBFGS([w, b], lr=1.0, max_iter=LBFGS_ITERATIONS, history_size=20, tolerance_grad=1e-6,
                                tolerance_change=1e-10, line_search_fn="strong_wolfe")

        def closure():
            opt.zero_grad()
            loss = _objective(x, y, w, b, l2)
            loss.backward()
            return loss

        opt.step(closure)
        return w.detach(), b.detach()
    opt = torch.optim.Adam([w, b], lr=LEARNING_RATE)
    starts = torch.arange(0, len(x), BATCH_SIZE)
    total, step = epochs * len(starts), 0
    g = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        for i in starts[torch.randperm(len(starts), generator=g)].tolist():
            for group in opt.param_groups:
                group["lr"] = LEARNING_RATE * 0.5 * (1 + math.cos(math.pi * step / total))
            loss = _objective(x[i:i + BATCH_SIZE], y[i:i + BATCH_SIZE], w, b, l2)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
    return w.detach(), b.detach()


def fit_linear_probe(features: torch.Tensor, labels: torch.Tensor, l2: float, *, num_classes: int | None = None,
                     epochs: int = EPOCHS, seed: int = 0, init: LinearProbe | None = None) -> LinearProbe:
    """An L2-regularised multinomial logistic regression on standardised `features`
    (N, F) for integer `labels` (N,). `init` warm-starts from another probe."""
    if features.shape[0] != labels.shape[0] or features.shape[0] == 0:
        raise ValueError(f"{features.shape[0]} feature rows for {labels.shape[0]} labels")
    labels = labels.long()
    num_classes = num_classes or int(labels.max()) + 1
    mean, std = feature_stats(features)
    start = (init.weight, init.bias) if init is not None else None
    x, y = _prepare(features, labels, mean, std, seed)
    w, b = _fit(x, y, num_classes, l2, epochs, seed, start)
    return LinearProbe(w, b, mean, std, float(l2))


def evaluate(probe: LinearProbe, features: torch.Tensor, labels: torch.Tensor) -> dict:
    """{"accuracy": float, "predictions": LongTensor (N,)}."""
    with torch.no_grad():
        pred = probe.predict(features)
    return {"accuracy": (pred == labels.long()).float().mean().item() if len(labels) else math.nan,
            "predictions": pred}


def choose_l2(features: torch.Tensor, labels: torch.Tensor, validation: torch.Tensor,
              l2_grid: Sequence[float] = L2_GRID, *, num_classes: int | None = None, epochs: int = EPOCHS,
              seed: int = 0, log: Log | None = None) -> tuple[float, dict[float, float], LinearProbe]:
    """Fit on the rows not in `validation` (a bool mask) for each strength of
    `l2_grid`, strongest first (each fit warm-starts the next), and score on the
    validation rows. Returns (best l2, {l2: validation accuracy}, its probe)."""
    if not validation.any() or validation.all():
        raise ValueError("the validation split must hold some, but not all, of the training images")
    fit_x, fit_y = features[~validation], labels[~validation]
    num_classes = num_classes or int(labels.max()) + 1
    mean, std = feature_stats(fit_x)
    fit_x, fit_y = _prepare(fit_x, fit_y, mean, std, seed)  # once for the whole grid
    scores: dict[float, float] = {}
    best: tuple[float, LinearProbe] | None = None
    start = None
    for l2 in sorted(l2_grid, reverse=True):
        start = _fit(fit_x, fit_y, num_classes, l2, epochs, seed, start)
        probe = LinearProbe(*start, mean, std, float(l2))
        scores[float(l2)] = evaluate(probe, features[validation], labels[validation])["accuracy"]
        if log:
            log(f"  l2 {l2:g}: validation accuracy {100 * scores[float(l2)]:.1f} %")
        if best is None or scores[float(l2)] > best[0]:
            best = (scores[float(l2)], probe)
    return best[1].l2, dict(sorted(scores.items())), best[1]


# ----------------------------------------------------------------------------- confusion


def confusion_matrix(labels: torch.Tensor, predictions: torch.Tensor, num_classes: int) -> torch.Tensor:
    """(num_classes, num_classes) counts: row = true class, column = predicted."""
    index = labels.long() * num_classes + predictions.long()
    return torch.bincount(index, minlength=num_classes * num_classes).view(num_classes, num_classes)


def _font(size: int):
    try:
        return ImageFont.load_default(size=size)  # Pillow >= 10.1: a scalable font
    except TypeError:
        return ImageFont.load_default()


def confusion_image(matrix, class_names: Sequence[str], title: str = "", cell: int = 46) -> Image.Image:
    """The confusion matrix as a picture: rows true classes, columns predictions,
    each cell shaded by its share of the row, with the count written in it."""
    m = torch.as_tensor(matrix, dtype=torch.float64)
    k = m.shape[0]
    share = m / m.sum(1, keepdim=True).clamp(min=1)
    font, small = _font(13), _font(11)
    left, top, pad = 96, 96 + (22 if title else 0), 12
    img = Image.new("RGB", (left + k * cell + pad, top + k * cell + 40), "white")
    draw = ImageDraw.Draw(img)
    if title:
        draw.text((pad, 8), title, fill="black", font=font)
    for i in range(k):
        for j in range(k):
            s = float(share[i, j])
            # Diagonal cells (right answers) in blue, mistakes in orange.
            rgb = (int(255 - 215 * s), int(255 - 145 * s), int(255 - 20 * s)) if i == j else \
                  (int(255 - 10 * s), int(255 - 150 * s), int(255 - 235 * s))
            x0, y0 = left + j * cell, top + i * cell
            draw.rectangle([x0, y0, x0 + cell - 1, y0 + cell - 1], fill=rgb, outline=(225, 225, 225))
            text = str(int(m[i, j]))
            w = draw.textlength(text, font=small)
            draw.text((x0 + (cell - w) / 2, y0 + cell / 2 - 7), text, font=small,
                      fill="white" if s > 0.55 else "black")
        name = class_names[i] if i < len(class_names) else str(i)
        draw.text((left - 6 - draw.textlength(name, font=font), top + i * cell + cell / 2 - 8), name,
                  fill="black", font=font)
        # Column names, written sideways in a strip of their own.
        strip = Image.new("RGB", (int(draw.textlength(name, font=font)) + 4, 18), "white")
        ImageDraw.Draw(strip).text((0, 1), name, fill="black", font=font)
        strip = strip.rotate(90, expand=True)
        img.paste(strip, (left + i * cell + (cell - strip.width) // 2, top - 6 - strip.height))
    draw.text((left, top + k * cell + 8), "predicted class ->   (rows: true class)", fill="black", font=font)
    return img


# ----------------------------------------------------------------------------- the experiment


@dataclass
class ProbeScore:
    """One discriminator's probe: the strength chosen on validation and the scores."""

    weights: str  # "trained" or "random (untrained, same initialisation)"
    feature_dim: int
    l2: float
    validation: dict[float, float]  # l2 -> validation accuracy
    train_accuracy: float
    test_accuracy: float
    confusion: list[list[int]]  # test set, rows true class
    seconds: float


@dataclass
class ProbeResult:
    checkpoint: str
    model: str
    width: float
    data: list[str]
    class_names: list[str]
    train_images: int  # the classifier's final fit (validation images included)
    validation_images: int
    test_images: int
    grid: int
    trained: ProbeScore
    random: ProbeScore | None = None
    reference: dict = field(default_factory=lambda: {"paper_dcgan": PAPER_ACCURACY, "kmeans": KMEANS_ACCURACY,
                                                     "note": PAPER_NOTE})
    classifier: str = ("multinomial logistic regression on standardised features, L2 on the weights, "
                       "minibatch Adam; strength chosen on the validation images, then refitted on all")

    def to_dict(self) -> dict:
        d = asdict(self)
        for score in ("trained", "random"):
            if d[score] is not None:  # JSON keys are strings
                d[score]["validation"] = {f"{k:g}": round(v, 4) for k, v in d[score]["validation"].items()}
                for key in ("train_accuracy", "test_accuracy", "seconds"):
                    d[score][key] = round(d[score][key], 4)
        return d

    def table(self) -> str:
        """A plain-text table: the paper, K-means, this checkpoint, the random baseline."""
        rows = [("DCGAN paper (Imagenet-1k D, L2-SVM)", f"{100 * PAPER_ACCURACY:.1f} %", ""),
                ("K-means, 1 layer (paper's table 1)", f"{100 * KMEANS_ACCURACY:.1f} %", "")]
        for score, what in ((self.trained, "trained"), (self.random, "untrained, its starting weights")):
            if score is not None:
                rows.append((f"{self.checkpoint}: {what}", f"{100 * score.test_accuracy:.1f} %",
                             f"l2 {score.l2:g}, {score.feature_dim:,} features"))
        width = max(len(r[0]) for r in rows)
        lines = [f"{'features':<{width}}  test acc  notes", "-" * (width + 26)]
        lines += [f"{a:<{width}}  {b:>8}  {c}" for a, b, c in rows]
        lines.append(f"{self.train_images:,} training images ({self.validation_images:,} of them held out to "
                     f"choose l2), {self.test_images:,} test images")
        return "\n".join(lines)


def class_labels(files: Sequence[str], class_names: Sequence[str] | None = None) -> tuple[torch.Tensor, list[str]]:
    """Integer labels from each file's parent folder (`train/frog/x.jpg` -> frog),
    and the class names in label order (sorted, unless given)."""
    parents = [f.replace("\\", "/").split("/")[-2] if "/" in f else "" for f in files]
    names = list(class_names) if class_names is not None else sorted(set(parents))
    index = {n: i for i, n in enumerate(names)}
    unknown = sorted(set(parents) - set(index))
    if unknown:
        raise ValueError(f"images in folders that are not classes of the training split: {', '.join(unknown[:5])}")
    return torch.tensor([index[p] for p in parents], dtype=torch.long), names


def initial_discriminator(spec, seed: int = 0) -> nn.Module:
    """The discriminator a training run with this seed started from: the trainer
    seeds torch, builds G, then D, so the same calls give the same weights. The
    caller's random state is left as it was."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        spec.build_generator()
        return spec.build_discriminator()


def _subsample(n: int, keep: int | None, generator: torch.Generator) -> torch.Tensor:
    """Indices of `keep` of n items, drawn at random (files are sorted by class, so
    the first N would be a few classes only), in order."""
    if keep is None or keep >= n:
        return torch.arange(n)
    return torch.randperm(n, generator=generator)[:keep].sort().values


def _score(name: str, D: nn.Module, train_x: torch.Tensor, train_y: torch.Tensor, test_x: torch.Tensor,
           test_y: torch.Tensor, validation: torch.Tensor, l2_grid, num_classes: int, grid: int, device,
           epochs: int, seed: int, log: Log) -> ProbeScore:
    t0 = time.time()
    log(f"{name}: features of {len(train_x):,} training and {len(test_x):,} test images")
    f_train = discriminator_features(D, train_x, grid, device=device)
    f_test = discriminator_features(D, test_x, grid, device=device)
    if len(l2_grid) == 1:  # nothing to choose
        l2, scores, start = float(l2_grid[0]), {}, None
    else:
        log(f"{name}: choosing l2 on {int(validation.sum()):,} held-out images")
        l2, scores, start = choose_l2(f_train, train_y, validation, l2_grid, num_classes=num_classes,
                                      epochs=epochs, seed=seed, log=log)
    probe = fit_linear_probe(f_train, train_y, l2, num_classes=num_classes, epochs=epochs, seed=seed, init=start)
    train_acc = evaluate(probe, f_train, train_y)["accuracy"]
    result = evaluate(probe, f_test, test_y)
    log(f"{name}: l2 {l2:g}, train {100 * train_acc:.1f} %, test {100 * result['accuracy']:.1f} %")
    matrix = confusion_matrix(test_y, result["predictions"], num_classes)
    return ProbeScore(name, f_train.shape[1], l2, scores, train_acc, result["accuracy"], matrix.tolist(),
                      time.time() - t0)


def run_probe(checkpoint: str | Path, data: str | Path | Sequence[str | Path], *, train_split: str = "train",
              test_split: str = "test", max_train: int | None = None, max_test: int | None = None,
              validation: int = VALIDATION_IMAGES, l2_grid: Sequence[float] = L2_GRID, baseline: bool = True,
              grid: int = GRID, seed: int = 0, epochs: int = EPOCHS, device: torch.device | str = "cpu",
              cache_dir: str | Path | None = None, log: Log | None = None) -> ProbeResult:
    """The whole experiment on a checkpoint's discriminator (and, with `baseline`,
    on its untrained starting weights) over class-folder data with `train_split`
    and `test_split` folders (CIFAR-10: `train/<class>/*.jpg`, `test/<class>/*.jpg`).

    `max_train` / `max_test` keep that many images drawn at random (seeded);
    `validation` of the training images choose the L2 strength from `l2_grid`."""
    from gan_core.data.image_set import load_images
    from gan_core.core.hub import GAN, open_checkpoint
    from gan_core.pipelines.generator import load_discriminator, model_spec
    from gan_core.training.gan import initial_seed

    log = log or (lambda message: None)
    folder, card = open_checkpoint(checkpoint, GAN)
    spec = model_spec(folder, card)
    sources = [data] if isinstance(data, (str, Path)) else list(data)
    D = load_discriminator(folder)
    card_data = card.get("data") if isinstance(card.get("data"), dict) else {}
    framing = card_data.get("framing", "auto")
    train = load_images(sources, spec.image_size, split=train_split, framing=framing, cache_dir=cache_dir)
    test = load_images(sources, spec.image_size, split=test_split, framing=framing, cache_dir=cache_dir)
    train_y, names = class_labels(train.files)
    test_y, _ = class_labels(test.files, names)
    rng = torch.Generator().manual_seed(seed)
    keep = _subsample(len(train), max_train, rng)
    train_x, train_y = train.images[keep], train_y[keep]
    keep = _subsample(len(test), max_test, rng)
    test_x, test_y = test.images[keep], test_y[keep]
    n_val = min(validation, len(train_x) // 5) if len(l2_grid) > 1 else 0
    if len(l2_grid) > 1 and n_val < 1:
        raise ValueError("no training images are held out to choose the L2 strength: hold some out "
                         "(validation) or give a single strength")
    held_out = torch.zeros(len(train_x), dtype=torch.bool)
    held_out[torch.randperm(len(train_x), generator=rng)[:n_val]] = True

    args = (train_x, train_y, test_x, test_y, held_out, l2_grid, len(names), grid, device, epochs, seed, log)
    trained = _score("trained", D, *args)
    random = None
    if baseline:
        training = card.get("training") if isinstance(card.get("training"), dict) else {}
        random = _score("random (untrained, same initialisation)",
                        initial_discriminator(spec, initial_seed(training)), *args)
    return ProbeResult(checkpoint=card.get("name") or folder.name, model=spec.name, width=spec.width,
                       data=[str(s) for s in sources], class_names=names, train_images=len(train_x),
                       validation_images=n_val, test_images=len(test_x), grid=grid, trained=trained, random=random)
