"""Head pose from the picture alone, and the turn direction it gives.

The DCGAN paper (section 6.3) finds its turn vector from faces a person picked as
looking left or right. `pose_direction` needs no picks. Its signal is mirror
consistency: a face and its own mirror image have opposite head turns and the same
person, lighting aside, so `mirror_pose`, the sideways shift that best lays a face's
edges over its mirror image's, is a pose reading with no labels. The direction is the
ridge regression of that reading on the latents of thousands of generated faces, with
the direction that lights one side of the face projected out (`side_light`).

`pose_score`, a second pose reading (where the nose-mouth band is most symmetric), is
not used to find the direction: it is what checks it (`check_turn`, printed by
`python -m gan_core attributes turn`: 40 seeds against random directions of the same
length). `measured_turn` gives a generator's turn: the one shipped beside it
(`save_turn` / `load_turn`), else one fitted on the spot.

>>> import gan_core
>>> from gan_core.explore.directions import along
>>> from gan_core.explore.pose import pose_direction
>>> pipe = gan_core.load("faces-dcgan64")                         # doctest: +SKIP
>>> turn = pose_direction(pipe)                                    # doctest: +SKIP
>>> z = pipe.latents(1, seed=3)[0]                                 # doctest: +SKIP
>>> row = pipe.decode(along(z, turn, [-1, -0.5, 0, 0.5, 1]))       # doctest: +SKIP
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from gan_core.explore.directions import orthogonalize, ridge_direction

# Where things sit in the face crops the models are trained on (gan_core.data.image_set
# frames every face with the eyes at 28 % and the mouth at 68 % of the height).
MIDLINE_ROWS = (0.38, 0.80)  # nose, mouth and chin: the features the midline runs through
FACE_ROWS = (0.20, 0.92)  # brows to chin: what mirror_pose lays over its mirror image
FACE_COLUMNS = (0.12, 0.88)
TURN_LENGTH = 0.75  # x sqrt(nz): pose_direction's length (see there)


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
    x = _faces(images)
    # The difference with the mirror image makes the antisymmetry exact, not just
    # close: in floating point a - b is exactly -(b - a).
    return (_midline(x.flip(-1).contiguous()) - _midline(x)) / 2


def mirror_pose(images: torch.Tensor) -> torch.Tensor:
    """Signed head turn of each face from its mirror image, (N, 3, H, W) in [-1, 1] -> (N,).

    A face turned towards the viewer's left, mirrored, is the same face turned right: the
    sideways shift that best lays the face's edges (luma gradient magnitude, from the brows
    to the chin) over its mirror image's is twice its turn. Same sign and unit as
    `pose_score` (positive: towards the viewer's left; a fraction of half the width);
    mirroring negates it exactly. It sees the whole face's edges, not the nose-mouth
    band's detail, and edges, not brightness, so light from one side barely moves it.
    """
    x = _faces(images)
    return (_mirror_shift(x) - _mirror_shift(x.flip(-1).contiguous())) / 2


def side_light(images: torch.Tensor) -> torch.Tensor:
    """Left half's mean luma minus the right half's, (N,): light from one side, which a
    turn direction must not carry."""
    luma = _luma(images.detach().float().cpu())
    half = luma.shape[-1] // 2
    return luma[..., :half].mean((1, 2)) - luma[..., -half:].mean((1, 2))


def pose_direction(pipe, *, samples: int = 6000, l2: float = 10.0,
                   generator: torch.Generator | None = None) -> torch.Tensor:
    """Latent direction that turns faces towards the viewer's left, (nz,).

    Reads `mirror_pose` of `samples` generated faces from `pipe.latents(samples,
    generator=generator)` (seed 0 when no generator), fits it on the latents by ridge
    regression (`l2`), and projects out the ridge direction of `side_light`, so that the
    turn does not also light one side of the face.

    Scale: length TURN_LENGTH x sqrt(nz), so that `along(z, d, [-1, 0, 1])` gives the face
    turned right, as it is, and turned left; with faces-dcgan64 the turn is plain at
    +-1 (`check_turn`) and faces wash out beyond +-1.5.

    >>> import gan_core
    >>> from gan_core.explore.directions import along
    >>> pipe = gan_core.load("faces-dcgan64")                   # doctest: +SKIP
    >>> d = pose_direction(pipe, generator=torch.Generator().manual_seed(1))  # doctest: +SKIP
    >>> pipe.decode(along(pipe.latents(1, seed=5)[0], d, [-1, 0, 1])).shape  # doctest: +SKIP
    torch.Size([3, 3, 64, 64])
    """
    if samples < 2:
        raise ValueError("pose_direction needs at least two samples")
    if l2 < 0:
        raise ValueError(f"l2 must be >= 0, not {l2}")
    z = pipe.latents(samples, generator=generator)
    pose, light = [], []
    for chunk in z.split(500):
        x = pipe.decode(chunk)
        pose.append(mirror_pose(x))
        light.append(side_light(x))
    direction = orthogonalize(ridge_direction(z, torch.cat(pose), l2), [ridge_direction(z, torch.cat(light), l2)])
    return direction * (TURN_LENGTH * z.shape[1] ** 0.5 / direction.norm().clamp_min(1e-12))


def _faces(images: torch.Tensor) -> torch.Tensor:
    """(N, 3, H, W) float on the CPU, or ValueError for another shape."""
    if images.dim() != 4 or images.shape[1] != 3:
        raise ValueError(f"expected images of shape (N, 3, H, W), got {tuple(images.shape)}")
    return images.detach().float().cpu().contiguous()


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


def _mirror_shift(x: torch.Tensor) -> torch.Tensor:
    """The shift, in half-widths, that best lays the face's edge map over its mirror
    image's (normalised correlation, soft arg-max over whole-pixel shifts)."""
    _, _, h, w = x.shape
    luma = _luma(x)
    gx = F.pad(luma[..., :, 2:] - luma[..., :, :-2], (1, 1, 0, 0))
    gy = F.pad(luma[..., 2:, :] - luma[..., :-2, :], (0, 0, 1, 1))
    edges = (gx ** 2 + gy ** 2).sqrt()[:, _rows(h, FACE_ROWS)]
    mirrored = edges.flip(-1)
    c0, c1 = round(FACE_COLUMNS[0] * w), round(FACE_COLUMNS[1] * w)
    reach = max(1, min(c0, w - c1))
    a = edges[..., c0:c1]
    a = a - a.mean((1, 2), keepdim=True)
    shifts = range(-reach, reach + 1)
    scores = []
    for s in shifts:  # the mirror image moved s pixels right
        b = mirrored[..., c0 - s:c1 - s]
        b = b - b.mean((1, 2), keepdim=True)
        scores.append((a * b).sum((1, 2)) / (a.norm(dim=(1, 2)) * b.norm(dim=(1, 2)) + 1e-6))
    weights = torch.softmax(torch.stack(scores, 1) * 50.0, 1)
    shift = (weights * torch.tensor(list(shifts), dtype=x.dtype)).sum(1)
    # The best match pairs column c with column w - 1 - c + shift: the face's axis sits shift / 2
    # right of the centre, and features right of the centre are a face turned right (negative).
    return -shift / 2 / (w / 2)


@dataclass(frozen=True)
class TurnCheck:
    """How often a direction turns heads, on `pose_score` (which no direction here is fitted
    with): a row turns when its scores rise with t (Spearman's rho >= MONOTONE) and the
    ends differ by at least one standard deviation of the score over faces (`spread`)."""

    seeds: int
    turned: int                 # rows of the direction that turn towards the viewer's left
    change: float               # mean score change from t = -1 to +1
    random_turned: tuple[int, ...]  # per random direction: rows that turn either way
    random_change: float        # mean size of the change along the random directions
    spread: float


MONOTONE = 0.8


def check_turn(pipe, direction: torch.Tensor, *, seeds: int = 40, steps: int = 9, randoms: int = 10,
               seed: int = 7) -> TurnCheck:
    """Rows t = -1 ... +1 (`steps` of them) along `direction` from the faces of seeds
    0 .. seeds - 1, scored with `pose_score`, against `randoms` random directions of the
    same length (drawn with `seed`); a random direction may turn heads either way."""
    from gan_core.explore.directions import along
    from gan_core.explore.latents import latents_for_seeds

    if seeds < 1 or steps < 3 or randoms < 0:
        raise ValueError("check_turn needs seeds >= 1, steps >= 3 and randoms >= 0")
    z = latents_for_seeds(pipe.spec, list(range(seeds)))
    ts = torch.linspace(-1, 1, steps)
    spread = float(pose_score(pipe.decode(pipe.latents(2000, generator=torch.Generator().manual_seed(seed)))).std())

    def rows(d: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        scores = pose_score(pipe.decode(torch.cat([along(zi, d, ts) for zi in z]))).view(seeds, steps)
        return _spearman(scores), scores[:, -1] - scores[:, 0]

    rho, change = rows(direction)
    turned = int(((rho >= MONOTONE) & (change >= spread)).sum())
    g = torch.Generator().manual_seed(seed)
    random_turned, random_change = [], []
    for _ in range(randoms):
        r = torch.randn(direction.shape[0], generator=g)
        rho_r, change_r = rows(r * (direction.norm() / r.norm()))
        random_turned.append(int(((rho_r.abs() >= MONOTONE) & (change_r.abs() >= spread)).sum()))
        random_change.append(float(change_r.abs().mean()))
    return TurnCheck(seeds, turned, float(change.mean()), tuple(random_turned),
                     sum(random_change) / len(random_change) if random_change else float("nan"), spread)


def _spearman(scores: torch.Tensor) -> torch.Tensor:
    """Each row's rank correlation with its position, (rows,)."""
    ranks = scores.argsort(1).argsort(1).float()
    ranks = ranks - ranks.mean(1, keepdim=True)
    t = torch.arange(scores.shape[1], dtype=torch.float32)
    t = t - t.mean()
    return (ranks * t).sum(1) / (ranks.norm(dim=1) * t.norm()).clamp_min(1e-12)


# ----------------------------------------------------------------------------- shipped turn

TURN_FILE = "turn.safetensors"  # in the generator's directions folder, beside the attribute directions


def save_turn(folder: str | Path, direction: torch.Tensor, info: dict) -> Path:
    """Write `direction` as TURN_FILE in `folder`, `info` (how it was found and checked,
    JSON-able) in the file's metadata."""
    from safetensors.torch import save_file

    from gan_core.core.checkpoints import atomic_write

    path = Path(folder) / TURN_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    tensors = {"turn": direction.detach().float().cpu().contiguous()}
    atomic_write(path, lambda tmp: save_file(tensors, tmp, metadata={"info": json.dumps(info)}))
    return path


def load_turn(checkpoint_name_or_path: str | Path) -> tuple[torch.Tensor, dict] | None:
    """(direction, info) shipped with a generator (`attributes turn` writes them), or None."""
    from gan_core.core.checkpoints import read_tensors
    from gan_core.core.errors import CheckpointError
    from gan_core.explore.attributes import directions_folder

    path = directions_folder(checkpoint_name_or_path) / TURN_FILE
    if not path.is_file():
        return None
    tensors, metadata = read_tensors(path)
    direction = tensors.get("turn")
    if direction is None or direction.dim() != 1:
        raise CheckpointError(f"{path} holds no turn direction (a vector named 'turn')")
    try:
        info = json.loads(metadata.get("info", "{}"))
    except ValueError:
        info = {}
    return direction.float(), info


def measured_turn(pipe, checkpoint: str | Path | None = None) -> torch.Tensor:
    """The turn direction for `pipe`: the one shipped in `checkpoint`'s directions folder when
    there is one of the generator's latent size, else `pose_direction(pipe)` fitted now (seed 0,
    seconds to a minute on a CPU). A damaged file is passed over the same way."""
    from gan_core.core.errors import CheckpointError

    try:
        shipped = load_turn(checkpoint) if checkpoint is not None else None
    except CheckpointError:
        shipped = None
    if shipped is not None and shipped[0].shape == (pipe.spec.nz,):
        return shipped[0]
    return pose_direction(pipe, generator=torch.Generator().manual_seed(0))
