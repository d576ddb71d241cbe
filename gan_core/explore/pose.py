"""Head pose from the picture alone, and the turn direction it gives.

The DCGAN paper (section 6.3) finds its turn vector from faces a person picked as
looking left or right. `pose_direction` needs no picks: it scores generated faces
with `pose_score` and takes the mean latent of the most left-turned minus that of
the most right-turned (`directions.direction_from_scores`).

>>> import gan_core
>>> from gan_core.explore.directions import along
>>> from gan_core.explore.pose import pose_direction
>>> pipe = gan_core.load("faces-dcgan64")                         # doctest: +SKIP
>>> turn = pose_direction(pipe)                                    # doctest: +SKIP
>>> z = pipe.latents(1, seed=3)[0]                                 # doctest: +SKIP
>>> row = pipe.decode(along(z, turn, [-1, -0.5, 0, 0.5, 1]))       # doctest: +SKIP
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from gan_core.explore.directions import direction_from_scores

# Where things sit in the face crops the models are trained on (gan_core.data.image_set
# frames every face with the eyes at 28 % and the mouth at 68 % of the height).
MIDLINE_ROWS = (0.38, 0.80)  # nose, mouth and chin: the features the midline runs through


def pose_score(images: torch.Tensor) -> torch.Tensor:
    """Signed head turn of each face, (N, 3, H, W) in [-1, 1] -> (N,).

    Positive: the face is turned towards the viewer's left (its nose and mouth sit
    left of the image centre); negative: towards the right; about 0: frontal.
    The score is how far left of the centre the nose-mouth band is most
    mirror-symmetric, as a fraction of half the image width (0.1 is 3.2 pixels at
    64x64); typical faces score within +-0.1. Mirroring a picture negates its
    score exactly, and a picture equal to its mirror image scores exactly 0.

    It assumes aligned crops (eyes level, face centred), like the training data:
    a face that is shifted sideways, not turned, scores as turned. The axis is
    found on detail (luma minus a local mean), so light from one side, which
    darkens half a face without moving its features, barely moves it.
    """
    if images.dim() != 4 or images.shape[1] != 3:
        raise ValueError(f"expected images of shape (N, 3, H, W), got {tuple(images.shape)}")
    x = images.detach().float().cpu().contiguous()
    # The difference with the mirror image makes the antisymmetry exact, not just
    # close: in floating point a - b is exactly -(b - a).
    return (_midline(x.flip(-1).contiguous()) - _midline(x)) / 2


def pose_direction(pipe, *, samples: int = 2000, fraction: float = 0.1,
                   generator: torch.Generator | None = None) -> torch.Tensor:
    """Latent direction that turns faces towards the viewer's left, (nz,).

    Scores `samples` generated faces with `pose_score` and takes the mean latent of
    the highest-scored `fraction` minus that of the lowest, from
    `pipe.latents(samples, generator=generator)` (seed 0 when no generator).

    Scale: the direction has length sqrt(nz) / 2, half the typical length of a
    latent, so that `along(z, d, [-1, 0, 1])` gives the face turned right, as it
    is, and turned left; with faces-dcgan64 the turn is plain at +-1 and faces wash
    out by +-2. The raw difference of means is about 3 times shorter there, too
    short to see: faces that score high for other reasons (a face off centre)
    dilute it. More samples give a steadier direction.

    >>> import gan_core
    >>> from gan_core.explore.directions import along
    >>> pipe = gan_core.load("faces-dcgan64")                   # doctest: +SKIP
    >>> d = pose_direction(pipe, generator=torch.Generator().manual_seed(1))  # doctest: +SKIP
    >>> pipe.decode(along(pipe.latents(1, seed=5)[0], d, [-1, 0, 1])).shape  # doctest: +SKIP
    torch.Size([3, 3, 64, 64])
    """
    if samples < 2:
        raise ValueError("pose_direction needs at least two samples")
    if not 0.0 < fraction <= 0.5:
        raise ValueError(f"fraction must be in (0, 0.5], not {fraction}")
    z = pipe.latents(samples, generator=generator)
    scores = torch.cat([pose_score(pipe.decode(chunk)) for chunk in z.split(500)])
    direction = direction_from_scores(z, scores, fraction)
    return direction * (0.5 * z.shape[1] ** 0.5 / direction.norm().clamp_min(1e-12))


def _rows(h: int, span: tuple[float, float]) -> slice:
    return slice(int(span[0] * h), max(int(span[0] * h) + 1, int(span[1] * h)))


def _luma(x: torch.Tensor) -> torch.Tensor:
    return 0.299 * x[:, 0] + 0.587 * x[:, 1] + 0.114 * x[:, 2]


def _midline(x: torch.Tensor) -> torch.Tensor:
    """Where the nose-mouth band is most mirror-symmetric, in half-widths right of
    the centre: the reflection of the band that matches it best, scored by the
    normalised correlation of its detail (luma minus a local mean, so that
    lighting from one side does not pull the axis)."""
    _, _, h, w = x.shape
    k = max(1, round(w / 20))
    luma = _luma(x)[:, None]
    detail = luma - F.avg_pool2d(F.pad(luma, (k, k, k, k), mode="replicate"), 2 * k + 1, 1)
    band = detail[:, 0, _rows(h, MIDLINE_ROWS)]
    reach = max(1, round(0.19 * w))  # columns each side of a candidate axis
    shifts = range(-max(2, round(0.22 * w)), max(2, round(0.22 * w)) + 1)
    scores = []
    for s in shifts:
        # The axis at (w - 1 + s) / 2 maps column c to column w - 1 + s - c.
        twice_axis = w - 1 + s
        cols = torch.arange(w)
        keep = ((cols - twice_axis / 2).abs() <= reach) & (twice_axis - cols >= 0) & (twice_axis - cols <= w - 1)
        cols = cols[keep]
        a, b = band[..., cols], band[..., twice_axis - cols]
        scores.append((a * b).sum((1, 2)) / ((a * a).sum((1, 2)) + 1e-6))
    # A soft arg-max: a smooth score, not one that jumps between whole pixels.
    weights = torch.softmax(torch.stack(scores, 1) * 30.0, 1)
    axis = (weights * torch.tensor(list(shifts), dtype=x.dtype)).sum(1) / 2
    return axis / (w / 2)
