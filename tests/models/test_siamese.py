"""The Siamese GAN's networks (gan_core.models.siamese)."""
from __future__ import annotations

import torch

from gan_core.models.siamese import PatchDiscriminator, SiameseDiscriminator, TileTranslator


def test_networks_keep_sizes_and_an_untrained_translator_is_the_identity():
    G = TileTranslator(width=8, blocks=1)
    x = torch.rand(2, 3, 64, 64) * 1.6 - 0.8
    assert torch.allclose(G(x), x, atol=1e-4)  # zero-initialised last layer
    assert G(torch.zeros(1, 3, 64, 96)).shape == (1, 3, 64, 96)
    D = SiameseDiscriminator(lenvec=16, width=4)
    assert D(torch.zeros(2, 3, 128, 128)).shape == (2, 16)
    assert D(torch.zeros(2, 3, 64, 64)).shape == (2, 16)  # the same net reads tiles and combos


def test_a_drawing_translator_starts_in_tanhs_linear_range():
    """Without the residual, G's picture comes out of a tanh; it must start where tanh has a
    slope (He initialisation alone put a wide G's outputs at +-1, and GAN steps then drove
    it to a white canvas it never left)."""
    torch.manual_seed(0)
    G = TileTranslator(width=48, blocks=4, residual=False)
    y = G(torch.rand(2, 3, 64, 64) * 2 - 1)
    assert (y.abs() > 0.95).float().mean() < 0.01
    assert y.std() > 0.02  # not a flat picture either


def test_the_patch_discriminator_gives_a_logit_per_patch():
    D = PatchDiscriminator(width=4)
    assert D(torch.zeros(2, 3, 128, 128)).shape == (2, 1, 16, 16)
    assert D(torch.zeros(1, 3, 64, 96)).shape == (1, 1, 8, 12)
