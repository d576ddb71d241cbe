"""Feature-map ablation (gan_core.explore.ablation) on a generator whose unit 3 is known to draw squares."""
from __future__ import annotations

import copy

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from gan_core.explore.ablation import (ablate_units, change_outside, collect_features, concept_share, feature_layers,
                               fit_concept_units, position_labels)
from gan_core.models import get_model

UNITS, GRID, SCALE, SQUARE_UNIT = 8, 8, 4, 3


class Draw(nn.Module):
    """z -> 8 feature maps on an 8x8 grid. Unit 3 is 1 on a 3x3 square placed by z[0:2];
    the others are smooth patterns from the rest of z, on everywhere."""

    def forward(self, z):
        n = z.shape[0]
        ii, jj = torch.meshgrid(torch.arange(GRID), torch.arange(GRID), indexing="ij")
        top = ((torch.sigmoid(z[:, 0]) * (GRID - 3)).round().long())[:, None, None]
        left = ((torch.sigmoid(z[:, 1]) * (GRID - 3)).round().long())[:, None, None]
        square = ((ii >= top) & (ii < top + 3) & (jj >= left) & (jj < left + 3)).float()
        maps = [torch.sin(ii * z[:, k, None, None] + jj * z[:, k + 1, None, None]) * 0.5 + 0.6
                for k in range(2, 2 + UNITS)]
        maps[SQUARE_UNIT] = square
        return torch.stack(maps, 1).reshape(n, UNITS, GRID, GRID)


class ToyGenerator(nn.Module):
    def __init__(self):
        super().__init__()
        self.draw = Draw()
        self.act = nn.ReLU()
        weights = torch.full((UNITS,), 0.05)
        weights[SQUARE_UNIT] = 1.5  # the square unit paints bright
        self.register_buffer("paint", weights)

    def forward(self, z):
        x = self.act(self.draw(z))
        gray = (x * self.paint[None, :, None, None]).sum(1, keepdim=True) - 0.7
        return F.interpolate(gray, scale_factor=SCALE, mode="nearest").expand(-1, 3, -1, -1).tanh()


def _squares(z: torch.Tensor) -> torch.Tensor:
    """Where unit 3 draws, at image resolution: the ground-truth masks."""
    return F.interpolate(Draw()(z)[:, SQUARE_UNIT:SQUARE_UNIT + 1], scale_factor=SCALE)[:, 0] > 0.5


@pytest.fixture
def toy():
    g = torch.Generator().manual_seed(0)
    return ToyGenerator(), torch.randn(150, 2 + UNITS + 1, generator=g)


def test_the_fit_finds_the_unit_that_draws_squares(toy):
    G, z = toy
    assert ("act", (UNITS, GRID, GRID)) in feature_layers(G, z)
    masks = _squares(z)
    fit = fit_concept_units(collect_features(G, "act", z), masks)
    assert fit.ranking[0] == SQUARE_UNIT
    assert fit.weights[SQUARE_UNIT] > 0 and SQUARE_UNIT in fit.positive_units
    assert fit.accuracy > 0.95
    # The others carry no square: their weights stay far below the square unit's.
    others = torch.cat([fit.weights[:SQUARE_UNIT], fit.weights[SQUARE_UNIT + 1:]])
    assert others.abs().max() < 0.25 * fit.weights[SQUARE_UNIT]


def test_ablating_the_unit_removes_the_squares_and_little_else(toy):
    G, z = toy
    masks = _squares(z)
    fit = fit_concept_units(collect_features(G, "act", z), masks)
    with torch.no_grad():
        before = G(z)
        with ablate_units(G, "act", fit.top(1)):
            after = G(z)
        restored = G(z)
    inside_before = before.mean(1)[masks].mean()
    inside_after = after.mean(1)[masks].mean()
    background = before.mean(1)[~masks].mean()
    assert inside_before > background + 0.5  # squares are bright
    assert abs(inside_after - background) < 0.1  # gone: the square area looks like the rest
    assert change_outside(before, after, masks) < 1e-6  # unit 3 paints nowhere else
    assert torch.equal(restored, before)  # leaving the block restores the generator exactly


def test_bad_layers_units_and_masks_are_refused(toy):
    G, z = toy
    untouched = copy.deepcopy(G)  # an independent copy: no hook placed on G can reach it
    feats = collect_features(G, "act", z[:10])
    with pytest.raises(KeyError, match="no layer 'nope'"):
        collect_features(G, "nope", z)
    with pytest.raises(IndexError, match="has 8 units"):
        with ablate_units(G, "act", [9]):
            G(z[:2])
    with pytest.raises(ValueError, match="mark some positions"):
        fit_concept_units(feats, torch.zeros(10, 32, 32))
    with pytest.raises(ValueError, match="3 masks for 10 samples"):
        fit_concept_units(feats, torch.zeros(3, 32, 32))
    with pytest.raises(RuntimeError, match="interrupted"):  # an error inside the block...
        with ablate_units(G, "act", [SQUARE_UNIT]):
            raise RuntimeError("interrupted")
    with torch.no_grad():  # ...and the failed ablations left no hook behind
        assert torch.equal(G(z), untouched(z))


def test_on_a_dcgan_layers_are_listed_in_order_and_ablation_is_reversible():
    spec = get_model("dcgan32")
    torch.manual_seed(0)
    G = spec.build_generator().eval()
    z = spec.sample_noise(4, torch.Generator().manual_seed(1))
    layers = feature_layers(G, z)
    assert [shape[1] for _, shape in layers] == [4, 8, 16]  # the three ReLU blocks, earliest first
    name, (c, h, w) = layers[-1]
    with torch.no_grad():
        before = G(z)
        with ablate_units(G, name, range(c)):  # every unit of the last block: a flat image
            flat = G(z)
        assert torch.equal(G(z), before)
    assert flat.std(dim=(2, 3)).max() < 1e-6
    assert collect_features(G, name, z).shape == (4, c, h, w)


def test_soft_labels_and_shares():
    masks = torch.zeros(1, 8, 8)
    masks[0, :4, :] = 1
    assert position_labels(masks, (2, 2)).tolist() == [[[1.0, 1.0], [0.0, 0.0]]]
    assert concept_share(masks) == 0.5
    before = torch.zeros(1, 3, 8, 8)
    after = before.clone()
    after[:, :, :4] = 1.0  # changes only where the mask is
    assert change_outside(before, after, masks) == 0.0


class ToyPipe:
    """The bits of a GeneratorPipeline measure_forgetting uses, around the toy generator."""

    def __init__(self):
        self.generator = ToyGenerator()

    def latents(self, n, seed=0):
        return torch.randn(n, 2 + UNITS + 1, generator=torch.Generator().manual_seed(seed))

    def decode(self, z):
        with torch.no_grad():
            return self.generator(z)


def test_measure_forgetting_counts_the_concept_on_unseen_samples():
    from gan_core.explore.ablation import measure_forgetting

    bright = lambda images: images.mean(1) > 0.3  # a "detector" for the squares  # noqa: E731
    report = measure_forgetting(ToyPipe(), "act", bright, labelled=60, measured=40, units=1)
    assert report.units == [SQUARE_UNIT] and report.layer_units == UNITS
    assert report.share_before > 0.05 and report.share_after == 0.0 and report.reduction == 1.0
    assert report.change_outside < 1e-6
    assert report.as_dict()["reduction"] == 1.0


def test_refit_rounds_stop_when_the_concept_is_gone_and_random_units_do_worse():
    from gan_core.explore.ablation import measure_forgetting

    bright = lambda images: images.mean(1) > 0.3  # noqa: E731
    report = measure_forgetting(ToyPipe(), "act", bright, labelled=60, measured=40, rounds=3, controls=4)
    assert SQUARE_UNIT in report.units and report.share_after == 0.0
    # Round 2 labels samples that no longer show squares: nothing left to fit, it stops.
    assert [r["round"] for r in report.rounds] == [1]
    assert report.rounds[0]["units"] == len(report.units) and report.rounds[0]["reduction"] == 1.0
    control = report.control
    assert control["units"] == len(report.units) and control["draws"] == 4
    # Random picks of as many units miss the square unit at least sometimes.
    assert control["reduction"] < report.reduction and control["reduction_range"][0] < 1.0
    with pytest.raises(ValueError, match="either units or rounds"):
        measure_forgetting(ToyPipe(), "act", bright, labelled=60, measured=40, units=1, rounds=2)
