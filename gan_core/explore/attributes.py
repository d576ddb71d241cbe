"""Face attributes as latent directions, found with a small classifier.

The DCGAN paper (section 6) shows that a generator's latent space has directions
that mean something (a smile, glasses, a turned head). Here a small CNN learns
labelled attributes from real faces (UTKFace's gender and age, CelebA's 40
binary attributes); it then labels thousands of generated faces, and each
attribute's direction is read off their latents (the InterFaceGAN recipe; the
classifier's trainer is gan_core.training.attributes):

  * "mean": mean latent of the highest-scored `fraction` minus that of the lowest;
  * "logistic": the normal of a logistic regression that separates those two groups.

A direction is then checked on other latents (another seed): the share of them
whose score rises when the latent moves along +direction is its *consistency*.
Attributes travel together in the data (glasses with age, age with gender), and
so do their directions; `conditioned_on` projects the named attributes'
directions out of the others, so that e.g. glasses do not also age a face.

>>> import torch, gan_core
>>> from gan_core.explore.attributes import load_directions, attribute_directions
>>> from gan_core.explore.directions import along
>>> pipe = gan_core.load("faces-dcgan64")                                 # doctest: +SKIP
>>> directions = load_directions("faces-dcgan64")                         # doctest: +SKIP
>>> smile = directions["Smiling"].direction                               # doctest: +SKIP
>>> row = pipe(latents=along(pipe.latents(1, seed=3)[0], smile, [-1, 0, 1]))  # doctest: +SKIP
>>> clf = gan_core.load("face-attributes").classifier                      # doctest: +SKIP
>>> d = attribute_directions(pipe, clf, ["Eyeglasses"], samples=2000,
...                          generator=torch.Generator().manual_seed(0))["Eyeglasses"]  # doctest: +SKIP

Scale convention: a stored direction has L2 norm `DEFAULT_NORM` (3.0), so that
`z + t * direction` with t in [-1, 1] moves the latent by up to 3 standard
deviations of the latent prior along the attribute's axis; a slider over t in
[-1, 1] then spans a clearly visible change that stays a face.

Files: a generator's `directions/directions.safetensors` (one (nz,) tensor per attribute)
+ `directions/directions.json`. No pickles. (The classifier's own files are written by
gan_core.training.attributes.save_classifier.)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Sequence

import torch
import torch.nn.functional as F

from gan_core.core.checkpoints import read_json, read_tensors, write_json
from gan_core.core.errors import CheckpointError
from gan_core.core.hub import find_checkpoint
from gan_core.explore.directions import orthogonalize
from gan_core.models.attribute_classifier import AttributeClassifier
from gan_core.pipelines.classifier import score_images

DIRECTIONS_DIR = "directions"
DIRECTIONS_FILE = "directions.safetensors"
DIRECTIONS_CARD = "directions.json"
DEFAULT_NORM = 3.0
NORM_CONVENTION = ("each direction has L2 norm {norm}: z + t * direction with t in [-1, 1] moves the latent "
                   "by up to {norm} prior standard deviations along the attribute's axis")
# What the positive end of a label means, where its name does not say it.
MEANINGS = {"gender": "+ female, - male (UTKFace gender label 1 = female)", "age": "+ older, - younger (years)",
            "No_Beard": "+ clean-shaven, - beard"}

# Edits that show what a face's latent can do (Your photo's strip, bench/projection.py's figure):
# (direction, t of the slider's +-1, what the result is called).
SHOWCASE_EDITS = (("Smiling", 0.7, "smiling"), ("age", 0.7, "older"), ("Eyeglasses", 0.7, "glasses"),
                  ("gender", 0.7, "female"), ("gender", -0.7, "male"))
SHOWCASE_TURN = 0.7  # how far the showcase turns a face each way (of the turn slider's +-1)

ScoreFn = Callable[[torch.Tensor], "Mapping[str, torch.Tensor] | torch.Tensor"]


# ----------------------------------------------------------------------------- directions


@dataclass
class AttributeDirection:
    """A direction in a generator's latent space along which an attribute grows.

    direction: (nz,), scaled as stated in `details["unit"]` (by default L2 norm
    DEFAULT_NORM, so that t in [-1, 1] is a slider's useful range).
    consistency: share of held-out latents whose score rises along +direction.
    details: how it was found and checked (fraction, seeds, orthogonal_to,
    side_effects: mean change of every classifier output over the check step).
    """

    name: str
    direction: torch.Tensor
    method: str
    samples: int
    consistency: float | None = None
    details: dict = field(default_factory=dict)


def _score_fn(classifier: AttributeClassifier | ScoreFn, attributes: Sequence[str]) -> Callable[[torch.Tensor], dict]:
    """images -> {attribute: raw score}: a trained classifier (logits), or any
    function of images giving a dict of scores (or one tensor, for one attribute)."""
    if isinstance(classifier, AttributeClassifier):
        unknown = [a for a in attributes if a not in classifier.names]
        if unknown:
            raise ValueError(f"the classifier has no attribute {unknown[0]!r}; it has: {', '.join(classifier.names)}")
        return lambda images: score_images(classifier, images, raw=True)

    def call(images: torch.Tensor) -> dict:
        out = classifier(images)
        if torch.is_tensor(out):
            if len(attributes) != 1:
                raise ValueError("a scoring function returning one tensor serves one attribute")
            return {attributes[0]: out}
        missing = [a for a in attributes if a not in out]
        if missing:
            raise ValueError(f"the scoring function gives no {missing[0]!r}; it gives: {', '.join(out)}")
        return dict(out)
    return call


def generated_scores(pipe, classifier: AttributeClassifier | ScoreFn, latents: torch.Tensor,
                     attributes: Sequence[str], batch_size: int = 250) -> dict[str, torch.Tensor]:
    """Raw classifier scores of the images `pipe` makes from `latents`, decoded in
    batches so that thousands of samples never sit in memory as images."""
    score = _score_fn(classifier, attributes)
    parts: dict[str, list[torch.Tensor]] = {a: [] for a in attributes}
    for z in latents.split(batch_size):
        out = score(pipe.decode(z))
        for a in attributes:
            parts[a].append(out[a].detach().float().cpu().flatten())
    return {a: torch.cat(v) for a, v in parts.items()}


def _logistic_normal(z: torch.Tensor, positive: torch.Tensor, l2: float = 1e-2, steps: int = 200) -> torch.Tensor:
    """Unit normal of an L2-regularised logistic regression on z (float64, L-BFGS)."""
    x, y = z.double(), positive.double()
    w = torch.zeros(x.shape[1], dtype=torch.float64, requires_grad=True)
    b = torch.zeros((), dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], max_iter=steps, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = F.binary_cross_entropy_with_logits(x @ w + b, y) + l2 * (w * w).sum()
        loss.backward()
        return loss
    opt.step(closure)
    w = w.detach()
    return (w / w.norm().clamp(min=1e-12)).float()


def direction_from_latents(z: torch.Tensor, scores: torch.Tensor, method: str = "mean", fraction: float = 0.1,
                           norm: float | None = DEFAULT_NORM) -> torch.Tensor:
    """The direction for latents z (N, nz) and their scores (N,).

    "mean": top-`fraction` mean minus bottom-`fraction` mean (gan_core.explore.directions);
    "logistic": the unit normal separating those two groups, given the length of
    the mean difference projected on it. Then rescaled to L2 norm `norm` (None: kept).
    """
    from gan_core.explore.directions import direction_from_scores

    if not 0.0 < fraction <= 0.5:
        raise ValueError(f"fraction must be in (0, 0.5], not {fraction}")
    diff = direction_from_scores(z, scores, fraction)
    if method == "mean":
        d = diff
    elif method == "logistic":
        k = max(1, int(round(fraction * z.shape[0])))
        order = scores.argsort()
        pick = torch.cat([order[:k], order[-k:]])
        normal = _logistic_normal(z[pick], torch.cat([torch.zeros(k), torch.ones(k)]))
        d = normal * (normal @ diff)
    else:
        raise ValueError(f"method must be mean or logistic, not {method!r}")
    if norm is not None:
        d = d / d.norm().clamp(min=1e-12) * norm
    return d


def attribute_directions(pipe, classifier: AttributeClassifier | ScoreFn, attributes: Sequence[str], *,
                         samples: int = 5000, method: str = "mean", fraction: float = 0.1,
                         norm: float | None = DEFAULT_NORM, generator: torch.Generator | None = None,
                         conditioned_on: Sequence[str] = (), check_samples: int = 500, check_step: float = 0.25,
                         check_generator: torch.Generator | None = None, controls: int = 8,
                         progress_fn: Callable[[str, int, int], None] | None = None) -> dict[str, AttributeDirection]:
    """Directions for several attributes from one set of generated samples.

    `samples` latents drawn with `generator` (default seed 0) are decoded once and
    scored for every attribute. conditioned_on: attributes whose directions are
    projected out of every other direction (`orthogonalize`), e.g. ["gender",
    "age"] so that "Eyeglasses" does not also turn faces into old men.

    When check_samples > 0 each direction is checked on `check_samples` other
    latents, drawn with `check_generator` (default: the seed of `generator` plus
    one, so never the fitting latents), moved by `check_step` times the stored
    direction: `consistency` is the share whose score rises, details["change"]
    the mean change of the score (probability, or years for age, with a trained
    classifier) and details["random_direction_change"] the mean size of that
    change along `controls` random directions of the same length (a control:
    any fixed direction moves most faces one way, so consistency alone says
    little). With a trained classifier, details["side_effects"] gives the mean
    change of every output over the step.
    progress_fn(stage, done, total) reports "scoring" and "checking".
    """
    if samples < 10:
        raise ValueError(f"samples must be at least 10, not {samples}")
    needed = list(dict.fromkeys([*attributes, *conditioned_on]))
    generator = generator or torch.Generator().manual_seed(0)
    fit_seed = generator.initial_seed()
    z = pipe.latents(samples, generator=generator)
    if progress_fn:
        progress_fn("scoring", 0, samples)
    scores = generated_scores(pipe, classifier, z, needed)
    if progress_fn:
        progress_fn("scoring", samples, samples)
    raw = {a: direction_from_latents(z, scores[a], method, fraction, norm=None) for a in needed}
    is_clf = isinstance(classifier, AttributeClassifier)
    watched = classifier.names if is_clf else needed  # side effects: every head of a trained classifier
    check = None
    if check_samples > 0:
        check_generator = check_generator or torch.Generator().manual_seed(fit_seed + 1)
        z_check = pipe.latents(check_samples, generator=check_generator)
        check = (z_check, generated_scores(pipe, classifier, z_check, watched), check_generator.initial_seed())
        # The control: random directions of the same length. Any fixed direction
        # moves most faces the same way (its consistency is rarely near 0.5), so
        # what sets an attribute's direction apart is how far it moves the score.
        length = norm if norm is not None else float(torch.stack([raw[a].norm() for a in attributes]).mean())
        control_rng = torch.Generator().manual_seed(check[2] + 1)
        random_changes = []
        for _ in range(controls):
            r = torch.randn(z.shape[1], generator=control_rng)
            moved_r = generated_scores(pipe, classifier, z_check + check_step * r / r.norm() * length, needed)
            random_changes.append({a: _mean_change(classifier, a, check[1][a], moved_r[a]) for a in attributes})
    result = {}
    for i, a in enumerate(attributes):
        others = [c for c in conditioned_on if c != a]
        d = orthogonalize(raw[a], [raw[c] for c in others]) if others else raw[a]
        if norm is not None:
            d = d / d.norm().clamp(min=1e-12) * norm
        details = {"fraction": fraction, "fit_seed": fit_seed, "norm": round(d.norm().item(), 4),
                   "mean_difference_norm": round(raw[a].norm().item(), 4),
                   "unit": NORM_CONVENTION.format(norm=norm) if norm is not None else "raw (not rescaled)"}
        if others:
            details["orthogonal_to"] = others
        consistency = None
        if check is not None:
            z_check, base, check_seed = check
            moved = generated_scores(pipe, classifier, z_check + check_step * d.view(1, -1), watched)
            consistency = round(((moved[a] - base[a]) > 0).float().mean().item(), 4)
            details.update(check_samples=check_samples, check_step=check_step, check_seed=check_seed,
                           change=_significant(_mean_change(classifier, a, base[a], moved[a])))
            if random_changes:
                details["random_direction_change"] = _significant(
                    sum(abs(c[a]) for c in random_changes) / len(random_changes))
            if is_clf:
                details["side_effects"] = {h: round(_mean_change(classifier, h, base[h], moved[h]), 3) + 0.0
                                           for h in classifier.names}
            if progress_fn:
                progress_fn("checking", i + 1, len(attributes))
        result[a] = AttributeDirection(a, d, method, samples, consistency, details)
    return result


def _significant(x: float, digits: int = 4) -> float:
    """x to `digits` significant digits: raw scores of any scale stay readable in JSON."""
    return float(f"{x:.{digits}g}") + 0.0  # + 0.0: no "-0.0" in the JSON


def _mean_change(classifier, name: str, base: torch.Tensor, moved: torch.Tensor) -> float:
    """Mean score change from raw scores: in label units (probability, years)
    for a trained classifier, raw for any other scoring function."""
    if isinstance(classifier, AttributeClassifier):
        head = classifier.heads[classifier.names.index(name)]
        if head.kind == "binary":
            return (torch.sigmoid(moved) - torch.sigmoid(base)).mean().item()
        return ((moved - base) * head.scale).mean().item()
    return (moved - base).mean().item()


def showcase_edits(z: torch.Tensor, directions: Mapping[str, AttributeDirection],
                   turn: torch.Tensor | None = None) -> list[tuple[str, torch.Tensor]]:
    """[(what it is, latent)]: `z` itself, turned left and right by `turn` (when given), then
    SHOWCASE_EDITS for the directions the generator has: what Explore's edits do to one face.

    >>> dirs = {"Smiling": AttributeDirection("Smiling", torch.ones(3), "mean", 1, 1.0)}
    >>> [(label, z.tolist()) for label, z in showcase_edits(torch.zeros(3), dirs)]
    [('the face', [0.0, 0.0, 0.0]), ('smiling', [0.699999988079071, 0.699999988079071, 0.699999988079071])]
    """
    cells = [("the face", z)]
    if turn is not None:
        cells += [("turned left", z + SHOWCASE_TURN * turn), ("turned right", z - SHOWCASE_TURN * turn)]
    return cells + [(label, z + t * directions[name].direction) for name, t, label in SHOWCASE_EDITS
                    if name in directions]


def directions_folder(checkpoint_name_or_path: str | Path) -> Path:
    """Where a generator's directions live: `<checkpoint>/directions/`, or the
    given folder itself when it holds directions.json."""
    p = Path(checkpoint_name_or_path).expanduser()
    if (p / DIRECTIONS_CARD).is_file():
        return p
    return find_checkpoint(checkpoint_name_or_path) / DIRECTIONS_DIR


def save_directions(folder: str | Path, directions: Mapping[str, AttributeDirection], info: dict) -> Path:
    """Write directions.safetensors (one (nz,) tensor per attribute) and
    directions.json (`info` plus, per attribute, method, samples, consistency...)."""
    from safetensors.torch import save_file

    from gan_core.core.checkpoints import atomic_write

    folder = Path(folder)
    tensors = {name: d.direction.detach().float().cpu().contiguous() for name, d in directions.items()}
    atomic_write(folder / DIRECTIONS_FILE, lambda tmp: save_file(tensors, tmp))
    card = {**info, "files": {"directions": DIRECTIONS_FILE},
            "directions": {name: {"method": d.method, "samples": d.samples, "consistency": d.consistency,
                                  "meaning": MEANINGS.get(name, f"+ towards {name} (label 1), - away from it"),
                                  **d.details}
                           for name, d in directions.items()}}
    write_json(folder / DIRECTIONS_CARD, card)
    return folder


def load_directions(checkpoint_name_or_path: str | Path) -> dict[str, AttributeDirection]:
    """A generator's attribute directions by name ({} when it has none).

    Accepts a checkpoint name (`faces-dcgan64`), its folder, or a directions
    folder. An unknown checkpoint is an error (CheckpointError); a known one
    without a `directions/` folder gives {}.

    >>> dirs = load_directions("faces-dcgan64")                     # doctest: +SKIP
    >>> sorted(dirs), dirs["Smiling"].consistency                     # doctest: +SKIP
    """
    folder = directions_folder(checkpoint_name_or_path)
    if not (folder / DIRECTIONS_CARD).is_file():
        return {}
    card = read_json(folder / DIRECTIONS_CARD)
    tensors, _ = read_tensors(folder / card.get("files", {}).get("directions", DIRECTIONS_FILE))
    out = {}
    for name, entry in card.get("directions", {}).items():
        if name not in tensors:
            raise CheckpointError(f"{folder / DIRECTIONS_CARD} lists {name!r}, which its tensors file lacks")
        if tensors[name].dim() != 1:
            raise CheckpointError(f"direction {name!r} in {folder} is not a vector: {tuple(tensors[name].shape)}")
        rest = {k: v for k, v in entry.items() if k not in ("method", "samples", "consistency")}
        out[name] = AttributeDirection(name, tensors[name], entry.get("method", "mean"), int(entry.get("samples", 0)),
                                       entry.get("consistency"), rest)
    return out
