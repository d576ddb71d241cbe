"""A small 28x28 celebrity-face GAN, in the style of the classic course
projects on CelebA: a dense layer reshaped to a 4-D tensor, transposed
convolutions whose depth falls from 1024 to 3, BatchNorm + LeakyReLU + Dropout
on every generator layer but the output, and a 4-layer discriminator.
The discriminator returns a logit; its sigmoid is folded into the loss.

`width` scales every layer's maps (the tables write 1024w, w = width, rounded to
a multiple of 8); width 1 is the original network.

>>> Generator(width=0.5).dense.out_features   # 1024 x 0.5 maps of 4 x 4
8192
"""
from __future__ import annotations

import torch
from torch import nn

from gan_core.models.blocks import BlockDiscriminator, init_dcgan_weights
from gan_core.models.dcgan import adam_optimizers
from gan_core.models.registry import ModelSpec, register, scale_channels

NZ = 100
SLOPE = 0.2
DROPOUT = 0.3
LR = 2e-4
BETA1 = 0.5
BATCH_SIZE = 64
G_DEPTHS = (1024, 512, 256, 128)  # generator maps at 4, 7, 14 and 28 px
D_DEPTHS = (64, 128, 256)  # discriminator maps at 14, 7 and 4 px


def _block(cin: int, cout: int, k: int, s: int, p: int) -> list[nn.Module]:
    return [
        nn.ConvTranspose2d(cin, cout, k, s, p, bias=False),
        nn.BatchNorm2d(cout),
        nn.LeakyReLU(SLOPE, True),
        nn.Dropout(DROPOUT),
    ]


class Generator(nn.Module):
    """z (N, 100) -> image (N, 3, 28, 28) in [-1, 1].

        z                                              N x   100
        Dense -> reshape -> BN -> LReLU -> Dropout     N x 1024w x  4 x  4
        ConvT 4 s1 -> BN -> LReLU -> Dropout           N x  512w x  7 x  7
        ConvT 4 s2 -> BN -> LReLU -> Dropout           N x  256w x 14 x 14
        ConvT 4 s2 -> BN -> LReLU -> Dropout           N x  128w x 28 x 28
        ConvT 3 s1 -> Tanh                             N x     3 x 28 x 28
    """

    def __init__(self, nz: int = NZ, nc: int = 3, width: float = 1.0):
        super().__init__()
        self.nz = nz
        d4, d7, d14, d28 = (scale_channels(d, width) for d in G_DEPTHS)
        self.maps = d4
        self.dense = nn.Linear(nz, d4 * 4 * 4, bias=False)
        self.main = nn.Sequential(
            nn.BatchNorm2d(d4), nn.LeakyReLU(SLOPE, True), nn.Dropout(DROPOUT),
            *_block(d4, d7, 4, 1, 0),
            *_block(d7, d14, 4, 2, 1),
            *_block(d14, d28, 4, 2, 1),
            nn.ConvTranspose2d(d28, nc, 3, 1, 1), nn.Tanh(),
        )
        init_dcgan_weights(self)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.main(self.dense(z.reshape(z.shape[0], self.nz)).view(-1, self.maps, 4, 4))


class Discriminator(BlockDiscriminator):
    """image (N, 3, 28, 28) -> logit (N,).

        x                                          N x    3 x 28 x 28
        Conv 5 s2 -> LReLU (no BN on the input)    N x  64w x 14 x 14
        Conv 5 s2 -> BN -> LReLU                   N x 128w x  7 x  7
        Conv 5 s2 -> BN -> LReLU                   N x 256w x  4 x  4
        Flatten -> Dense                           N x    1
    """

    def __init__(self, nc: int = 3, width: float = 1.0):
        super().__init__()
        d14, d7, d4 = (scale_channels(d, width) for d in D_DEPTHS)
        self.blocks = nn.Sequential(
            nn.Sequential(nn.Conv2d(nc, d14, 5, 2, 2), nn.LeakyReLU(SLOPE, True)),
            nn.Sequential(nn.Conv2d(d14, d7, 5, 2, 2, bias=False), nn.BatchNorm2d(d7), nn.LeakyReLU(SLOPE, True)),
            nn.Sequential(nn.Conv2d(d7, d4, 5, 2, 2, bias=False), nn.BatchNorm2d(d4), nn.LeakyReLU(SLOPE, True)),
        )
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(d4 * 4 * 4, 1))
        init_dcgan_weights(self)



register(
    ModelSpec(
        name="celeb28",
        image_size=28,
        nz=NZ,
        noise_shape=(NZ,),
        description="A 28x28 celebrity-face GAN (dense + transposed convs, dropout in G)",
        paper="DCGAN-style face generator of the CelebA course projects",
        build_generator=Generator,
        build_discriminator=Discriminator,
        make_optimizers=adam_optimizers,
        defaults=dict(batch_size=BATCH_SIZE, lr_g=LR, lr_d=LR, beta1=BETA1, label_noise=0.0, clip_grad=None),
    )
)
