"""Differentiable augmentation (DiffAugment; Zhao, Liu, Lin, Zhu & Han, NeurIPS 2020).

The same random transforms are applied to real and generated images before the
discriminator sees them, in both the discriminator's and the generator's step, so the
discriminator cannot learn a small training set by heart while the generator is still
asked for untransformed images (the transforms are differentiable, so its gradient flows
through them). The three policies of the paper's reference code:

    color        brightness +-0.5, saturation x0-2, contrast x0.5-1.5, per image
    translation  a shift of up to 1/8 of the side, filled with zeros (mid grey in [-1, 1])
    cutout       a zeroed square of half the side, at a random place

Every random draw comes from the `torch.Generator` given, so a run that saves that
generator's state resumes exactly.

>>> import torch
>>> x = torch.rand(4, 3, 32, 32) * 2 - 1
>>> diff_augment(x, ("translation", "cutout"), torch.Generator().manual_seed(0)).shape
torch.Size([4, 3, 32, 32])
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F

POLICIES = ("color", "translation", "cutout")
TRANSLATION = 0.125  # the largest shift, as a fraction of the side
CUTOUT = 0.5  # the cut square's side, as a fraction of the image's


def check_policies(policies: Sequence[str] | None) -> tuple[str, ...]:
    """`policies` as a tuple, or a ValueError naming the unknown ones."""
    policies = tuple(policies or ())
    unknown = [p for p in policies if p not in POLICIES]
    if unknown:
        raise ValueError(f"unknown augmentation {', '.join(map(repr, unknown))}; known: {', '.join(POLICIES)}")
    return policies


def diff_augment(x: torch.Tensor, policies: Sequence[str], generator: torch.Generator) -> torch.Tensor:
    """`x` (N, C, H, W) in [-1, 1] with each policy applied in POLICIES' order."""
    for policy in POLICIES:
        if policy in policies:
            x = _TRANSFORMS[policy](x, generator)
    return x


def _uniform(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """One number in [0, 1) per image, shaped to broadcast over (C, H, W)."""
    return torch.rand(x.shape[0], 1, 1, 1, generator=generator, device=generator.device).to(x.device, x.dtype)


def _color(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    x = x + (_uniform(x, generator) - 0.5)  # brightness
    mean = x.mean(dim=1, keepdim=True)
    x = (x - mean) * (_uniform(x, generator) * 2) + mean  # saturation
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - mean) * (_uniform(x, generator) + 0.5) + mean  # contrast


def _translation(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    n, _, h, w = x.shape
    # The same shift in pixels along both sides' own scale, as the reference code draws it.
    sh, sw = int(h * TRANSLATION + 0.5), int(w * TRANSLATION + 0.5)
    dy = torch.randint(-sh, sh + 1, (n, 1, 1), generator=generator, device=generator.device).to(x.device)
    dx = torch.randint(-sw, sw + 1, (n, 1, 1), generator=generator, device=generator.device).to(x.device)
    rows = (torch.arange(h, device=x.device).view(1, h, 1) + dy + 1).clamp(0, h + 1)  # into the padded image
    cols = (torch.arange(w, device=x.device).view(1, 1, w) + dx + 1).clamp(0, w + 1)
    padded = F.pad(x, [1, 1, 1, 1])  # a border of zeros that shifted-in pixels take
    batch = torch.arange(n, device=x.device).view(n, 1, 1)
    return padded.permute(0, 2, 3, 1)[batch, rows, cols].permute(0, 3, 1, 2)


def _cutout(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    n, _, h, w = x.shape
    ch, cw = int(h * CUTOUT + 0.5), int(w * CUTOUT + 0.5)
    cy = torch.randint(0, h + (1 - ch % 2), (n, 1, 1), generator=generator, device=generator.device).to(x.device)
    cx = torch.randint(0, w + (1 - cw % 2), (n, 1, 1), generator=generator, device=generator.device).to(x.device)
    rows = torch.arange(h, device=x.device).view(1, h, 1)
    cols = torch.arange(w, device=x.device).view(1, 1, w)
    # The square of side (ch, cw) centred on (cy, cx), clipped at the edges.
    top, left = cy - ch // 2, cx - cw // 2
    inside = (rows >= top) & (rows < top + ch) & (cols >= left) & (cols < left + cw)
    return x * (~inside).unsqueeze(1).to(x.dtype)


_TRANSFORMS = {"color": _color, "translation": _translation, "cutout": _cutout}

__all__ = ["diff_augment", "check_policies", "POLICIES"]
