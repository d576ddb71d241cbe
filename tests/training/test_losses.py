"""The Siamese GAN's loss terms (gan_core.training.losses), against hand computations."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from gan_core.training.losses import content_loss, generator_loss, margin_loss, painting_loss


def test_each_loss_term_matches_a_hand_computation():
    v_b = torch.tensor([[3.0, 4.0], [0.0, 1.0]])  # norms 5 and 1
    assert painting_loss(v_b).item() == pytest.approx((25 + 1) / 2)
    assert generator_loss(v_b).item() == pytest.approx((25 + 1) / 2)
    v_ab = torch.tensor([[0.6, 0.8], [3.0, 0.0]])  # norms 1 and 3
    # m = 2: max(0, 2 - 1)^2 = 1 and max(0, 2 - 3)^2 = 0
    assert margin_loss(v_ab, margin=2.0).item() == pytest.approx(0.5)
    v_a = torch.tensor([[1.0, 0.0], [0.0, 0.0], [0.0, 2.0]])
    v_t = torch.tensor([[2.0, 0.0], [0.0, 0.0], [0.0, -2.0]])
    # pairs (0,1), (1,2), (2,0): differences of A: (1,0), (0,-2), (-1,2); of AB: (2,0), (0,2), (-2,-2)
    # cosines: 1, -1, (2 - 4) / (sqrt(5) sqrt(8))
    cosines = [1.0, -1.0, -2 / (5 ** 0.5 * 8 ** 0.5)]
    assert content_loss(v_a, v_t).item() == pytest.approx(np.mean([1 - c for c in cosines]), abs=1e-6)
    with pytest.raises(ValueError, match="at least 2"):
        content_loss(v_a[:1], v_t[:1])


def test_the_losses_pull_the_right_way():
    """One gradient step on D's vectors: paintings towards 0, translations out to the margin."""
    v_b = torch.tensor([[1.0, 1.0]], requires_grad=True)
    painting_loss(v_b).backward()
    assert (v_b.grad * v_b).sum() > 0  # descent shrinks the norm
    v_ab = torch.tensor([[0.1, 0.0]], requires_grad=True)
    margin_loss(v_ab, 1.0).backward()
    assert v_ab.grad[0, 0] < 0  # descent grows the norm
    far = torch.tensor([[5.0, 0.0]], requires_grad=True)
    margin_loss(far, 1.0).backward()
    assert far.grad.abs().sum() == 0  # beyond the margin: nothing to do


def test_loss_value_is_f_cosine_based():
    """content_loss is 0 when translation scales D's vectors (directions kept)."""
    v = torch.randn(5, 7)
    assert content_loss(v, 3 * v).item() == pytest.approx(0.0, abs=1e-6)
    assert content_loss(v, -v).item() == pytest.approx(2.0, abs=1e-6)
    assert F.cosine_similarity(v, v).mean().item() == pytest.approx(1.0)


def test_spread_loss_keeps_photos_apart_up_to_the_margin():
    """spread_loss = mean max(0, m - ||S(A_i) - S(A_i+1)||): m when S sends every photo to
    one point, 0 once neighbours are m apart, and the shortfall in between."""
    from gan_core.training.losses import spread_loss

    same = torch.ones(4, 3)
    assert spread_loss(same, 1.0).item() == pytest.approx(1.0)
    apart = torch.tensor([[0.0], [2.0], [0.0], [2.0]])
    assert spread_loss(apart, 1.0).item() == 0
    close = torch.tensor([[0.0], [0.5]])
    assert spread_loss(close, 1.0).item() == pytest.approx(0.5)
    with pytest.raises(ValueError, match="at least 2"):
        spread_loss(same[:1])
