"""Copying, measured in pixels: how close a generator's samples are to their nearest
training image, against how close new real images are (the nn_ratio of `python -m
gan_core evaluate`). Near 1 samples are as novel as new real photos; far below 1 the
generator copies its training set.

Pixel distances cannot tell a good sample from a bad one (a blurred face and a sharp one
are about as far from their nearest neighbours), so quality is graded on features:
gan_core.evaluation.feature_metrics.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def _flat(images: torch.Tensor, size: int = 32) -> torch.Tensor:
    x = images.float()
    if x.shape[-1] != size:
        x = F.interpolate(x, size=(size, size), mode="area")
    return x.flatten(1)


def nearest_distance(queries: torch.Tensor, reference: torch.Tensor, chunk: int = 512) -> float:
    """Mean distance from each query image to its nearest reference image, per pixel
    (images (N, 3, H, W) in [-1, 1], compared at 32 px)."""
    q, r = _flat(queries), _flat(reference)
    best = torch.cat([torch.cdist(part, r).min(1).values for part in q.split(chunk)])
    return best.mean().item() / q.shape[1] ** 0.5


__all__ = ["nearest_distance"]
