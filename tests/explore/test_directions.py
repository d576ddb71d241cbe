"""Latent directions (gan_core.explore.directions): the turn vector and scored directions."""

import torch

from gan_core.explore.directions import along, direction_from_scores, turn_vector


def test_turn_vector_and_scored_direction():
    left = torch.tensor([[1.0, 0.0], [3.0, 0.0]])
    right = torch.tensor([[-1.0, 1.0], [-3.0, 1.0]])
    assert torch.equal(turn_vector(left, right), torch.tensor([4.0, -1.0]))
    z = torch.randn(200, 8, generator=torch.Generator().manual_seed(1))
    scores = z[:, 3] * 2.0  # the score depends on coordinate 3 alone
    d = direction_from_scores(z, scores, 0.1)
    assert d.abs().argmax() == 3 and d[3] > 0
    row = along(torch.zeros(8), d, [-1, 0, 1])
    assert torch.equal(row[1], torch.zeros(8)) and torch.allclose(row[2], d)
