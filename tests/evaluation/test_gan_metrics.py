import torch

from gan_core.evaluation.gan_metrics import nearest_distance


def test_copies_of_the_reference_are_at_distance_zero():
    ref = torch.rand(20, 3, 16, 16) * 2 - 1
    assert nearest_distance(ref[:5], ref) < 1e-3
    assert nearest_distance(torch.zeros(5, 3, 16, 16), ref) > 0
