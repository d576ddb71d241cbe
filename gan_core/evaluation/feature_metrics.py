"""Fréchet distance and KID on features of networks trained here: a graded GAN metric offline.

FID (Heusel et al. 2017) compares Gaussians fitted to Inception features of real and
generated images; KID (Bińkowski et al. 2018) is an unbiased squared MMD with a cubic
polynomial kernel on the same features. No wheel ships Inception weights and nothing is
downloaded, so the features are those of two networks this repository trains and ships:

    faces    face-attributes' trunk (gan_core.models.attribute_classifier), its last 4x4
             map of 256 channels averaged over the cells: 256 features of a 64 px face
    cifar10  cifar10-classifier (gan_core.models.image_classifier), 128 pooled features of
             a 32 px image; for everything that is not a face (frogs, CIFAR-10, facades). It
             knows the ten CIFAR-10 classes and "none" (colours and textures without an
             object), so a frog's texture alone does not count as a frog

The figures are NOT comparable to published FID or KID (other network, other image
size, fewer images). They rank models and recipes measured the same way, and each
report carries its own real-vs-real calibration row: real training images against
held-out real images of the same set, the distance a perfect generator would score.

>>> from gan_core.evaluation.feature_metrics import feature_network, evaluate_features
>>> net = feature_network("faces")                                           # doctest: +SKIP
>>> report = evaluate_features(pipe, train_images, held_out, net, n=2000)     # doctest: +SKIP
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from gan_core.core.hub import ATTRIBUTE_CLASSIFICATION, IMAGE_CLASSIFICATION
from gan_core.core.images import from_uint8

FEATURE_NETWORKS = {"faces": "face-attributes", "cifar10": "cifar10-classifier"}
NOT_COMPARABLE = ("Fréchet distance and KID on this project's own feature networks: not comparable to published "
                  "FID/KID (Inception features); compare rows of the same network and n only")
# A sample counts for a class when the classifier gives that class at least this probability.
CONFIDENT = 0.9
KID_SUBSETS, KID_SUBSET_SIZE = 50, 500


@dataclass
class FeatureNetwork:
    """name: "faces" or "cifar10"; features(images) -> float64 (N, d); probabilities(images) ->
    (N, classes) or None where the network has no classes; classes: their names."""

    name: str
    checkpoint: str
    features: Callable[[torch.Tensor], np.ndarray]
    probabilities: Callable[[torch.Tensor], torch.Tensor] | None = None
    classes: list[str] | None = None


def feature_network(name: str) -> FeatureNetwork:
    """The shipped feature network `name` (FEATURE_NETWORKS), loaded."""
    import gan_core

    if name not in FEATURE_NETWORKS:
        raise ValueError(f"unknown feature network {name!r}; known: {', '.join(FEATURE_NETWORKS)}")
    checkpoint = FEATURE_NETWORKS[name]
    if name == "cifar10":
        clf = gan_core.load(checkpoint, task=IMAGE_CLASSIFICATION)
        return FeatureNetwork(name, checkpoint, lambda x: clf.features(x).double().numpy(), clf, clf.classes)
    clf = gan_core.load(checkpoint, task=ATTRIBUTE_CLASSIFICATION)
    size = clf.classifier.image_size

    @torch.no_grad()
    def face_features(images: torch.Tensor) -> np.ndarray:
        out = []
        for chunk in images.split(500):
            x = from_uint8(chunk)
            if x.shape[-1] != size:  # a 28 px face is scaled up to the network's 64 px
                x = F.interpolate(x, (size, size), mode="bilinear", align_corners=False, antialias=True)
            out.append(clf.classifier.pooled_features(x).double())
        return torch.cat(out).numpy()

    return FeatureNetwork(name, checkpoint, face_features)


def network_for(card: dict) -> str:
    """Which feature network suits a GAN's card: "faces" when it trained on faces (CelebA,
    UTKFace), else "cifar10"."""
    data = card.get("data", {}) if isinstance(card.get("data"), dict) else {}
    text = " ".join([str(data.get("description", "")), *map(str, data.get("sources", []) or [])]).lower()
    return "faces" if any(word in text for word in ("face", "celeba", "utkface")) else "cifar10"


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^1/2) of Gaussians fitted to features (N, d).
    Tr (S_a S_b)^1/2 is the sum of the square roots of the eigenvalues of the symmetric
    S_a^1/2 S_b S_a^1/2, which numpy's eigh finds without scipy's sqrtm."""
    mu_a, mu_b = a.mean(0), b.mean(0)
    s_a, s_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    w, v = np.linalg.eigh(s_a)
    root_a = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    middle = np.linalg.eigvalsh(root_a @ s_b @ root_a)
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(s_a) + np.trace(s_b) - 2 * np.sqrt(np.clip(middle, 0, None)).sum())


def kernel_distance(a: np.ndarray, b: np.ndarray, subsets: int = KID_SUBSETS, subset_size: int = KID_SUBSET_SIZE,
                    seed: int = 0) -> tuple[float, float]:
    """KID: the unbiased MMD^2 with the kernel (x.y / d + 1)^3, averaged over `subsets`
    random subsets of `subset_size` of each set; (mean, standard deviation)."""
    rng = np.random.default_rng(seed)
    d, m = a.shape[1], min(subset_size, len(a), len(b))
    values = []
    for _ in range(subsets):
        x = a[rng.choice(len(a), m, replace=False)]
        y = b[rng.choice(len(b), m, replace=False)]
        kxx, kyy, kxy = (x @ x.T / d + 1) ** 3, (y @ y.T / d + 1) ** 3, (x @ y.T / d + 1) ** 3
        off = (kxx.sum() - np.trace(kxx) + kyy.sum() - np.trace(kyy)) / (m * (m - 1))
        values.append(off - 2 * kxy.mean())
    return float(np.mean(values)), float(np.std(values))


def class_share(net: FeatureNetwork, images: torch.Tensor, cls: str | None = None,
                threshold: float = CONFIDENT) -> float:
    """The share of `images` the classifier gives class `cls` (any class but "none", if
    None) with probability >= threshold."""
    probs = net.probabilities(images)
    if cls is None:  # any class that is an object: not the classifier's "none"
        objects = [i for i, name in enumerate(net.classes) if name != "none"]
        return float((probs[:, objects].max(1).values >= threshold).float().mean())
    return float((probs[:, net.classes.index(cls)] >= threshold).float().mean())


def distances(net: FeatureNetwork, reference: np.ndarray, images: torch.Tensor) -> dict:
    """FD and KID (x1000, with its spread) of `images` against reference features."""
    feats = net.features(images)
    kid, spread = kernel_distance(feats, reference)
    return {"fd": round(frechet_distance(feats, reference), 4), "kid_x1000": round(1000 * kid, 3),
            "kid_std_x1000": round(1000 * spread, 3)}


@torch.no_grad()
def evaluate_features(pipe, train: torch.Tensor, held_out: torch.Tensor, net: FeatureNetwork, *, n: int = 2000,
                      seed: int = 0, held_out_label: str = "held-out real images", cls: str | None = None,
                      untrained=None, classes: bool = True, generated: torch.Tensor | None = None) -> dict:
    """Fréchet distance and KID of `n` samples of `pipe` (a GeneratorPipeline) against `n`
    training images (uint8 (N, 3, H, W)), beside the calibration row (n `held_out` real
    images against the same training images) and, given `untrained` (a pipeline of the
    same network at its initial weights), a floor row. With a classifier network, each row
    also gets the share of images it calls `cls` (any class if None) with confidence, unless
    `classes` is off (images of none of its classes: facades). `generated`: the n samples,
    when the caller has drawn them already."""
    n = min(n, len(held_out), len(train))
    g = torch.Generator().manual_seed(seed)
    reference = train[torch.randperm(len(train), generator=g)[:n]]
    held = held_out[torch.randperm(len(held_out), generator=g)[:n]]
    ref_feats = net.features(reference)
    rows = {}
    candidates = [("generated", lambda: generated[:n] if generated is not None else
                   pipe.decode(pipe.latents(n, seed=seed)))]
    candidates.append((held_out_label, lambda: held))
    if untrained is not None:
        candidates.append(("untrained generator", lambda: untrained.decode(untrained.latents(n, seed=seed))))
    for name, make in candidates:
        images = make()
        rows[name] = distances(net, ref_feats, images)
        if net.probabilities is not None and classes:
            rows[name]["class_share"] = round(class_share(net, images, cls), 4)
    report = {"features": net.name, "feature_checkpoint": net.checkpoint, "n": n, "seed": seed, "rows": rows,
              "note": NOT_COMPARABLE}
    if net.probabilities is not None and classes:
        report["class_share"] = (f"share of images the classifier calls {cls!r} with probability >= {CONFIDENT}"
                                 if cls else f"share of images the classifier gives one class (not 'none') "
                                             f"with probability >= {CONFIDENT}")
    return report


__all__ = ["FeatureNetwork", "feature_network", "network_for", "frechet_distance", "kernel_distance", "class_share",
           "evaluate_features", "FEATURE_NETWORKS", "NOT_COMPARABLE", "CONFIDENT"]
