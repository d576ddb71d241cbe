"""The Siamese GAN's networks (gan_core.models.siamese)."""
from __future__ import annotations

import torch

from gan_core.models.siamese import SiameseDiscriminator, TileTranslator


def test_networks_keep_sizes_and_an_untrained_translator_is_the_identity():
    G = TileTranslator(width=8, blocks=1)
    x = torch.rand(2, 3, 64, 64) * 1.6 - 0.8
    assert torch.allclose(G(x), x, atol=1e-4)  # zero-initialised last layer
    assert G(torch.zeros(1, 3, 64, 96)).shape == (1, 3, 64, 96)
    D = SiameseDiscriminator(lenvec=16, width=4)
    assert D(torch.zeros(2, 3, 128, 128)).shape == (2, 16)
    assert D(torch.zeros(2, 3, 64, 64)).shape == (2, 16)  # the same net reads tiles and combos
