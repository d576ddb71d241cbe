"""Vector arithmetic on latents (DCGAN paper, section 6.3, figure 7).

One exemplar's latent is noisy; the paper averages three per concept, then adds
and subtracts the means: smiling woman - neutral woman + neutral man = smiling man.
"""
from __future__ import annotations

import torch


def concept_mean(exemplars: torch.Tensor) -> torch.Tensor:
    """The mean latent of (k, nz) exemplars of one concept."""
    if exemplars.ndim != 2 or exemplars.shape[0] == 0:
        raise ValueError("exemplars must be a non-empty (k, nz) tensor")
    return exemplars.mean(0)


def vector_arithmetic(terms: list[tuple[float, torch.Tensor]]) -> torch.Tensor:
    """sum(sign * mean(exemplars)) over `terms`, e.g. [(+1, A), (-1, B), (+1, C)] for A - B + C."""
    if not terms:
        raise ValueError("no terms")
    return sum(sign * concept_mean(ex) for sign, ex in terms)


def variations(z: torch.Tensor, n: int, spread: float = 0.25, generator: torch.Generator | None = None) -> torch.Tensor:
    """`n` neighbours of z with uniform noise in [-spread, spread] per coordinate (the
    paper's figure 7 shows eight), so one can see the result is a region, not a point."""
    noise = (torch.rand((n, *z.shape), generator=generator) * 2 - 1) * spread
    return z.unsqueeze(0) + noise


def arithmetic_grid_latents(a: torch.Tensor, b: torch.Tensor, c: torch.Tensor, spread: float = 0.25,
                            generator: torch.Generator | None = None) -> torch.Tensor:
    """The nine latents of the paper's figure 7 grid for A - B + C, (9, nz) in row-major order:
    the result in the middle (index 4), eight `variations` of it around.

    `a`, `b`, `c`: (k, nz) exemplars of each concept (k may differ)."""
    result = vector_arithmetic([(+1, a), (-1, b), (+1, c)])
    neighbours = variations(result, 8, spread, generator=generator)
    return torch.cat([neighbours[:4], result.view(1, -1), neighbours[4:]])


def term_columns(terms: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """The latents of a figure of the terms: one column per term, its exemplars from the
    top, blank cells down to the deepest term's depth, its mean at the bottom.

    Returns (latents (rows * len(terms), nz) in row-major order, zeros in the blank cells;
    blank, bool (rows * len(terms),))."""
    depth = max(t.shape[0] for t in terms)
    columns, blanks = [], []
    for term in terms:
        gap = depth - term.shape[0]
        columns.append(torch.cat([term, term.new_zeros(gap, term.shape[1]), concept_mean(term).view(1, -1)]))
        blanks.append(torch.tensor([False] * term.shape[0] + [True] * gap + [False]))
    return torch.stack(columns, 1).flatten(0, 1), torch.stack(blanks, 1).flatten()
