"""Latent directions from attribute scores (gan_core.explore.attributes), on an untrained generator."""

import pytest
import torch

import gan_core
from gan_core.core.errors import CheckpointError
from gan_core.explore.attributes import (DEFAULT_NORM, AttributeDirection, attribute_directions, load_directions,
    orthogonalize, save_directions)
from gan_core.models.attribute_classifier import AttributeClassifier, AttributeHead
from gan_core.explore.directions import direction_from_scores

from ..helpers import TINY_CHECKPOINT


def brightness(images: torch.Tensor) -> dict[str, torch.Tensor]:
    """A stand-in classifier: how bright a picture is."""
    return {"bright": images.mean(dim=(1, 2, 3))}


def consistency_by_hand(pipe, direction: torch.Tensor, samples: int = 200, step: float = 0.25) -> float:
    """Share of latents drawn with seed 1 whose brightness rises at z + step * direction."""
    z = pipe.latents(samples, generator=torch.Generator().manual_seed(1))
    before, after = brightness(pipe.decode(z))["bright"], brightness(pipe.decode(z + step * direction))["bright"]
    return ((after - before) > 0).float().mean().item()


def test_direction_from_a_synthetic_classifier_raises_its_score(tiny_checkpoint_dir):
    pipe = gan_core.load(TINY_CHECKPOINT)
    d = attribute_directions(pipe, brightness, ["bright"], samples=400, fraction=0.1, norm=None,
                             generator=torch.Generator().manual_seed(0), check_samples=200, check_step=0.5)["bright"]
    # by hand: mean latent of the brightest 10 % minus that of the darkest 10 %
    z = pipe.latents(400, generator=torch.Generator().manual_seed(0))
    by_hand = direction_from_scores(z, pipe.decode(z).mean(dim=(1, 2, 3)), 0.1)
    assert torch.allclose(d.direction, by_hand, atol=1e-5)
    assert d.consistency > 0.5 and d.consistency == pytest.approx(consistency_by_hand(pipe, d.direction, step=0.5))
    assert d.details["check_seed"] == 1 and d.details["fit_seed"] == 0  # held-out latents come from another seed
    assert d.details["change"] > 2 * d.details["random_direction_change"] > 0  # beats random directions
    # a random direction is the control: about half the samples brighten
    random_dir = torch.randn(pipe.spec.nz, generator=torch.Generator().manual_seed(5))
    random_dir = random_dir / random_dir.norm() * d.direction.norm()
    assert consistency_by_hand(pipe, random_dir) < d.consistency
    assert consistency_by_hand(pipe, -d.direction) < 0.5


def test_directions_are_scaled_to_the_stated_norm_and_logistic_agrees_with_mean(tiny_checkpoint_dir):
    pipe = gan_core.load(TINY_CHECKPOINT)
    kw = dict(samples=400, generator=torch.Generator().manual_seed(0), check_samples=0)
    mean = attribute_directions(pipe, brightness, ["bright"], **kw)["bright"]
    kw["generator"] = torch.Generator().manual_seed(0)
    logistic = attribute_directions(pipe, brightness, ["bright"], method="logistic", **kw)["bright"]
    assert mean.direction.norm() == pytest.approx(DEFAULT_NORM) and logistic.direction.norm() == pytest.approx(DEFAULT_NORM)
    assert torch.cosine_similarity(mean.direction, logistic.direction, dim=0) > 0.5
    assert mean.consistency is None and mean.method == "mean" and logistic.method == "logistic"
    with pytest.raises(ValueError, match="method"):
        attribute_directions(pipe, brightness, ["bright"], method="svm2", **kw)


def test_orthogonalize_removes_the_span_of_the_others():
    g = torch.Generator().manual_seed(0)
    d, a = torch.randn(10, generator=g), torch.randn(10, generator=g)
    b = a + 0.1 * torch.randn(10, generator=g)  # nearly parallel to a: Gram-Schmidt must still cope
    out = orthogonalize(d, [a, b])
    assert abs(float(out @ a)) < 1e-5 and abs(float(out @ b)) < 1e-5
    assert torch.equal(orthogonalize(d, []), d) and orthogonalize(d, [d]).norm() < 1e-5
    # what is left is d's component outside span(a, b): adding it back along a and b restores d
    assert float(out @ d) > 0


def two_scores(images: torch.Tensor) -> dict[str, torch.Tensor]:
    return {"bright": images.mean(dim=(1, 2, 3)), "red": (images[:, 0] - images[:, 1:].mean(1)).mean(dim=(1, 2))}


def test_conditioned_directions_are_orthogonal_to_the_conditions(tiny_checkpoint_dir):
    pipe = gan_core.load(TINY_CHECKPOINT)
    kw = dict(samples=300, norm=None, check_samples=0)
    plain = attribute_directions(pipe, two_scores, ["bright", "red"], generator=torch.Generator().manual_seed(0), **kw)
    cond = attribute_directions(pipe, two_scores, ["bright", "red"], conditioned_on=["bright"],
                                generator=torch.Generator().manual_seed(0), **kw)
    assert torch.equal(cond["bright"].direction, plain["bright"].direction)  # not conditioned on itself
    assert abs(float(cond["red"].direction @ plain["bright"].direction)) < 1e-4
    assert cond["red"].details["orthogonal_to"] == ["bright"] and "orthogonal_to" not in cond["bright"].details
    with pytest.raises(ValueError, match="gives no 'green'"):
        attribute_directions(pipe, two_scores, ["green"], **kw)


def test_a_trained_classifier_serves_as_the_scorer(tiny_checkpoint_dir):
    """The generator here is 32 px and the classifier 16 px: images are resized."""
    pipe = gan_core.load(TINY_CHECKPOINT)
    torch.manual_seed(0)
    clf = AttributeClassifier([AttributeHead("a"), AttributeHead("age", "regression", 30.0, 20.0)],
                              image_size=16, width=8).eval()
    d = attribute_directions(pipe, clf, ["age"], samples=100, generator=torch.Generator().manual_seed(0),
                             check_samples=50)["age"]
    assert d.direction.shape == (pipe.spec.nz,) and 0 <= d.consistency <= 1
    assert set(d.details["side_effects"]) == {"a", "age"}  # every output is watched, in label units
    with pytest.raises(ValueError, match="no attribute 'Smiling'"):
        attribute_directions(pipe, clf, ["Smiling"], samples=100)


def test_load_directions_is_empty_when_absent_and_round_trips(tiny_checkpoint_dir):
    assert load_directions(TINY_CHECKPOINT) == {}
    with pytest.raises(CheckpointError):
        load_directions("no-such-generator")
    d = AttributeDirection("Smiling", torch.arange(100.0), "mean", 5000, 0.9, {"fraction": 0.1})
    save_directions(tiny_checkpoint_dir / TINY_CHECKPOINT / "directions", {"Smiling": d}, {"generator": "x"})
    back = load_directions(TINY_CHECKPOINT)
    assert list(back) == ["Smiling"] and torch.equal(back["Smiling"].direction, d.direction)
    assert back["Smiling"].consistency == 0.9 and back["Smiling"].details["fraction"] == 0.1
    assert list(load_directions(tiny_checkpoint_dir / TINY_CHECKPOINT / "directions")) == ["Smiling"]
