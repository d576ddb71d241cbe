"""An encoder from pictures back to a generator's latent space (GAN inversion's first guess).

Projection by optimisation alone starts from random latents and takes hundreds of
steps (20 s on a 2-core CPU for one 64 px face) and often ends at a stranger. An
encoder trained on the generator's own samples (whose latents are known) and on real
faces through the generator (In-Domain GAN Inversion, Zhu et al. 2020) gives a latent
in one forward pass, near the face; a short optimisation then refines it
(gan_core.explore.projection).

>>> E = LatentEncoder(image_size=64, nz=100)
>>> E(torch.zeros(2, 3, 64, 64)).shape
torch.Size([2, 100])
"""
from __future__ import annotations

import math

import torch
from torch import nn

LEAK = 0.2


class LatentEncoder(nn.Module):
    """RGB in [-1, 1] (N, 3, S, S) -> latent (N, nz). A DCGAN discriminator's trunk with a
    linear layer to the latent instead of one logit.

    For S = 64, width 64 (2.9 M weights):
        Conv 4 s2 -> LeakyReLU                 (N,  64, 32, 32)
        Conv 4 s2 -> BN -> LeakyReLU           (N, 128, 16, 16)
        Conv 4 s2 -> BN -> LeakyReLU           (N, 256,  8,  8)
        Conv 4 s2 -> BN -> LeakyReLU           (N, 512,  4,  4)
        Flatten -> Linear                      (N, nz)
    Smaller pictures (32 or 28 px) take fewer stride-2 convolutions: the trunk always ends at 4x4
    (28 px ends at 3x3: the last convolution pads as the others do).
    """

    def __init__(self, image_size: int = 64, nz: int = 100, width: int = 64):
        super().__init__()
        if not 16 <= image_size <= 256 or nz < 1 or width < 1:
            raise ValueError(f"an encoder needs image_size 16-256, nz >= 1 and width >= 1, not "
                             f"{image_size}, {nz}, {width}")
        self.image_size, self.nz, self.width = image_size, nz, width
        stages = max(1, round(math.log2(image_size / 4)))
        layers: list[nn.Module] = []
        c_in, c_out, size = 3, width, image_size
        for i in range(stages):
            layers.append(nn.Conv2d(c_in, c_out, 4, 2, 1, bias=i == 0))
            if i:  # no batch norm on the input layer (DCGAN's rule)
                layers.append(nn.BatchNorm2d(c_out))
            layers.append(nn.LeakyReLU(LEAK, True))
            c_in, c_out, size = c_out, c_out * 2, size // 2
        self.trunk = nn.Sequential(*layers)
        self.out = nn.Linear(c_in * size * size, nz)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.trunk(x).flatten(1))

    def config(self) -> dict:
        return {"image_size": self.image_size, "nz": self.nz, "width": self.width}


__all__ = ["LatentEncoder"]
