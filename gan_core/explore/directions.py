"""Directions in latent space: the paper's turn vector, and directions from scores.

turn_vector: the DCGAN paper (section 6.3, figure 8) averages the latents of
faces looking left and of faces looking right; their difference, added to any
latent, turns the face. `direction_from_scores` does the same with a number
computed for each sample (a classifier's score, a pose estimate) instead of a
person's picks: the mean of the top minus the mean of the bottom.
`ridge_direction` fits a score linearly (ridge regression) on all samples at once:
steadier than the extremes when the score is noisy, as picture measures are.
`orthogonalize` takes what a direction must not change out of it.
"""
from __future__ import annotations

from typing import Sequence

import torch

from gan_core.explore.arithmetic import concept_mean


def turn_vector(z_left: torch.Tensor, z_right: torch.Tensor) -> torch.Tensor:
    """mean(z_left) - mean(z_right): adding it turns a face towards the left picks."""
    return concept_mean(z_left) - concept_mean(z_right)


def direction_from_scores(z: torch.Tensor, scores: torch.Tensor, fraction: float = 0.1) -> torch.Tensor:
    """Mean latent of the highest-scored `fraction` minus that of the lowest."""
    if z.shape[0] != scores.shape[0]:
        raise ValueError("one score per latent")
    k = max(1, int(round(fraction * z.shape[0])))
    order = scores.argsort()
    return z[order[-k:]].mean(0) - z[order[:k]].mean(0)


def ridge_direction(z: torch.Tensor, scores: torch.Tensor, l2: float = 10.0) -> torch.Tensor:
    """w of the ridge regression scores ~ b + z @ w: the direction along which the score
    grows fastest under a linear fit, (nz,)."""
    if z.shape[0] != scores.shape[0]:
        raise ValueError("one score per latent")
    z = z.double() - z.double().mean(0)
    s = scores.double() - scores.double().mean()
    w = torch.linalg.solve(z.T @ z + l2 * torch.eye(z.shape[1], dtype=torch.float64), z.T @ s)
    return w.float()


def orthogonalize(direction: torch.Tensor, others: Sequence[torch.Tensor]) -> torch.Tensor:
    """`direction` minus its projection on the span of `others` (InterFaceGAN's
    conditional manipulation): moving along the result leaves the others' scores
    unchanged to first order, e.g. glasses that do not also age the face."""
    basis: list[torch.Tensor] = []
    for o in others:  # Gram-Schmidt, so that correlated others are not projected out twice
        o = o.double() - sum(((o.double() @ b) * b for b in basis), torch.zeros_like(o, dtype=torch.float64))
        if o.norm() > 1e-8:
            basis.append(o / o.norm())
    d = direction.double()
    for b in basis:
        d = d - (d @ b) * b
    return d.to(direction.dtype)


def along(z: torch.Tensor, direction: torch.Tensor, ts: list[float] | torch.Tensor) -> torch.Tensor:
    """z + t * direction for each t: (len(ts), nz), a row of steps along a direction."""
    ts = torch.as_tensor(ts, dtype=z.dtype).view(-1, 1)
    return z.view(1, -1) + ts * direction.view(1, -1)
