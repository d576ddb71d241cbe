"""Building blocks the GAN architectures share: the DCGAN weight init and a
discriminator whose hidden layers can be read out (`BlockDiscriminator.features`)."""
from __future__ import annotations

import torch
from torch import nn


def init_dcgan_weights(module: nn.Module) -> None:
    """DCGAN paper: all weights from N(0, 0.02); BatchNorm scale from N(1, 0.02), shift 0."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d)):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


class BlockDiscriminator(nn.Module):
    """A discriminator made of `blocks` (hidden layers) and a `head` giving one logit.

    `features(x)` returns each block's activations: the input of the paper's
    linear-probe experiment (DCGAN section 5) and of feature-space losses.
    """

    blocks: nn.Sequential
    head: nn.Module

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        out = []
        for block in self.blocks:
            x = block(x)
            out.append(x)
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.blocks(x)).flatten()
