"""Latent arithmetic (gan_core.explore.arithmetic): exemplar means and variations."""

import torch

from gan_core.explore.arithmetic import variations, vector_arithmetic


def test_arithmetic_on_exemplar_means_matches_the_hand_computation():
    a = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])   # mean (3, 4)
    b = torch.tensor([[0.0, 1.0], [2.0, 1.0], [1.0, 1.0]])   # mean (1, 1)
    c = torch.tensor([[10.0, 0.0], [10.0, 3.0], [10.0, 0.0]])  # mean (10, 1)
    assert torch.allclose(vector_arithmetic([(1, a), (-1, b), (1, c)]), torch.tensor([12.0, 4.0]))


def test_variations_stay_within_the_spread():
    z = torch.zeros(100)
    v = variations(z, 8, 0.25, torch.Generator().manual_seed(0))
    assert v.shape == (8, 100) and v.abs().max() <= 0.25 and v.std() > 0.1
