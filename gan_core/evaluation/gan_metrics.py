"""Sample-quality measures that need no downloaded network.

FID needs ImageNet Inception weights, which an offline machine does not have, so
model cards report measures computed from pixels alone:

* diversity_ratio: mean pairwise distance between generated images divided by the
  same among real images. Near 1 the generator covers the data's spread; far
  below 1 it has collapsed onto a few modes.
* nn_ratio: mean distance from each generated image to its nearest training image,
  divided by the same for held-out real images. Near 1 samples are as novel as new
  real photos; far below 1 the generator copies its training set.
* sliced_wasserstein: the sliced Wasserstein distance between the two sets of
  images (as vectors, at 32 px), x100. Lower is closer; real vs real sets the floor.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from gan_core.core.images import from_uint8


def _flat(images: torch.Tensor, size: int = 32) -> torch.Tensor:
    x = images.float()
    if x.shape[-1] != size:
        x = F.interpolate(x, size=(size, size), mode="area")
    return x.flatten(1)


def pairwise_diversity(images: torch.Tensor) -> float:
    """Mean L2 distance between all pairs of (N, 3, H, W) images in [-1, 1], per pixel."""
    x = _flat(images)
    d = torch.cdist(x, x)
    n = x.shape[0]
    return (d.sum() / (n * (n - 1))).item() / x.shape[1] ** 0.5


def nearest_distance(queries: torch.Tensor, reference: torch.Tensor, chunk: int = 512) -> float:
    """Mean distance from each query image to its nearest reference image, per pixel."""
    q, r = _flat(queries), _flat(reference)
    best = torch.cat([torch.cdist(part, r).min(1).values for part in q.split(chunk)])
    return best.mean().item() / q.shape[1] ** 0.5


def sliced_wasserstein(a: torch.Tensor, b: torch.Tensor, projections: int = 256, seed: int = 0) -> float:
    x, y = _flat(a), _flat(b)
    n = min(len(x), len(y))
    g = torch.Generator().manual_seed(seed)
    dirs = F.normalize(torch.randn(x.shape[1], projections, generator=g), dim=0)
    px, py = (x[:n] @ dirs).sort(0).values, (y[:n] @ dirs).sort(0).values
    return (px - py).abs().mean().item() * 100


@torch.no_grad()
def evaluate_generator(pipe, images: torch.Tensor, n: int = 1000, seed: int = 0) -> dict:
    """Measure `pipe` (a GeneratorPipeline) against real uint8 images (N, 3, H, W).

    The real images are split at random into a reference set and `n` others; the
    ratios compare n generated images with those n real ones, so 1.0 means
    "indistinguishable by this measure"."""
    g = torch.Generator().manual_seed(seed)
    perm = torch.randperm(len(images), generator=g)
    n = min(n, len(images) // 2)
    real = from_uint8(images[perm[:n]])
    reference = from_uint8(images[perm[n:n + 4 * n]])
    fake = pipe.decode(pipe.latents(n, seed=seed))
    return {
        "diversity_ratio": round(pairwise_diversity(fake) / pairwise_diversity(real), 3),
        "nn_ratio": round(nearest_distance(fake, reference) / nearest_distance(real, reference), 3),
        "sliced_wasserstein": round(sliced_wasserstein(fake, real), 3),
        "sliced_wasserstein_real_vs_real": round(sliced_wasserstein(reference[:n], real), 3),
        "n": n,
        "seed": seed,
    }
