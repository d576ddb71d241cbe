"""DCGAN (Radford, Metz & Chintala, ICLR 2016) at 32, 64 and 128 pixels.

The paper's guidelines, all kept here:
  * no pooling: the generator upsamples with transposed convolutions, the
    discriminator downsamples with stride-2 convolutions;
  * BatchNorm in both nets except the generator output and the discriminator input;
  * ReLU in the generator with Tanh on the output, LeakyReLU(0.2) in the discriminator;
  * weights from N(0, 0.02); Adam, lr 2e-4, beta1 0.5; mini-batches of 128.

The discriminator returns logits; the sigmoid is folded into the loss
(BCE-with-logits), which is the same function but numerically stable in bf16.

`width` multiplies ngf and ndf (rounded to a multiple of 8): the layer tables
below give the maps as 512w and so on, w = width, and width 1 is the paper's network.

>>> from gan_core.models.dcgan import Generator
>>> Generator(64, width=0.25).main[0].out_channels   # 512 x 0.25
128
"""
from __future__ import annotations

import math
from functools import partial

import torch
from torch import nn

from gan_core.models.blocks import BlockDiscriminator, init_dcgan_weights
from gan_core.models.registry import ModelSpec, register, scale_channels

NZ = 100  # latent size, as in the paper
NGF = 64  # generator width: feature maps of the last hidden layer
NDF = 64  # discriminator width: feature maps of the first layer
LR = 2e-4
BETA1 = 0.5
BATCH_SIZE = 128


class Generator(nn.Module):
    """z (N, nz, 1, 1) -> image (N, 3, size, size) in [-1, 1].

    For size 64 (ngf = 64) the layers are:
        z                                          N x  100 x  1 x  1
        ConvT 4 s1 -> BN -> ReLU                   N x 512w x  4 x  4
        ConvT 4 s2 -> BN -> ReLU                   N x 256w x  8 x  8
        ConvT 4 s2 -> BN -> ReLU                   N x 128w x 16 x 16
        ConvT 4 s2 -> BN -> ReLU                   N x  64w x 32 x 32
        ConvT 4 s2 -> Tanh (no BN on the output)   N x    3 x 64 x 64
    Size 32 drops one middle block and size 128 adds one (1024w maps at 4x4).
    w = width, the fraction of the paper's maps (ngf x w rounded to a multiple of 8).
    """

    def __init__(self, image_size: int = 64, nz: int = NZ, ngf: int = NGF, nc: int = 3, width: float = 1.0):
        super().__init__()
        n_up = int(math.log2(image_size)) - 2  # stride-2 layers from 4x4 up to the output
        maps = scale_channels(ngf, width) * 2 ** (n_up - 1)  # maps of the current layer
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(nz, maps, 4, 1, 0, bias=False),  # nz x 1 x 1 -> maps x 4 x 4
            nn.BatchNorm2d(maps),
            nn.ReLU(True),
        ]
        for _ in range(n_up - 1):  # each block: double the size, halve the maps
            layers += [
                nn.ConvTranspose2d(maps, maps // 2, 4, 2, 1, bias=False),
                nn.BatchNorm2d(maps // 2),
                nn.ReLU(True),
            ]
            maps //= 2
        layers += [nn.ConvTranspose2d(maps, nc, 4, 2, 1, bias=False), nn.Tanh()]  # -> nc x size x size
        self.main = nn.Sequential(*layers)
        self.nz = nz
        init_dcgan_weights(self)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.main(z.view(z.shape[0], self.nz, 1, 1))


class Discriminator(BlockDiscriminator):
    """image (N, 3, size, size) -> logit (N,).

    For size 64 (ndf = 64) the layers are:
        x                                          N x    3 x 64 x 64
        Conv 4 s2 -> LeakyReLU (no BN on input)    N x  64w x 32 x 32
        Conv 4 s2 -> BN -> LeakyReLU               N x 128w x 16 x 16
        Conv 4 s2 -> BN -> LeakyReLU               N x 256w x  8 x  8
        Conv 4 s2 -> BN -> LeakyReLU               N x 512w x  4 x  4
        Conv 4 s1 (valid) -> logit                 N x    1 x  1 x  1
    Size 32 drops one middle block and size 128 adds one. w = width, as in the Generator.

    `features(x)` returns the activations of every hidden block, the input to the
    paper's linear-probe experiment (section 5).
    """

    def __init__(self, image_size: int = 64, ndf: int = NDF, nc: int = 3, width: float = 1.0):
        super().__init__()
        n_down = int(math.log2(image_size)) - 2  # stride-2 blocks from size down to 4x4
        ndf = scale_channels(ndf, width)
        blocks: list[nn.Module] = [
            nn.Sequential(nn.Conv2d(nc, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True))
        ]
        maps = ndf
        for _ in range(n_down - 1):
            blocks.append(
                nn.Sequential(
                    nn.Conv2d(maps, maps * 2, 4, 2, 1, bias=False),
                    nn.BatchNorm2d(maps * 2),
                    nn.LeakyReLU(0.2, True),
                )
            )
            maps *= 2
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Conv2d(maps, 1, 4, 1, 0, bias=False)  # maps x 4 x 4 -> 1 x 1 x 1
        init_dcgan_weights(self)


def adam_optimizers(G: nn.Module, D: nn.Module, hp: dict):
    betas = (hp["beta1"], hp.get("beta2", 0.999))
    return (
        torch.optim.Adam(G.parameters(), lr=hp["lr_g"], betas=betas),
        torch.optim.Adam(D.parameters(), lr=hp["lr_d"], betas=betas),
    )


for _size in (32, 64, 128):
    register(
        ModelSpec(
            name=f"dcgan{_size}",
            image_size=_size,
            nz=NZ,
            noise_shape=(NZ,),
            description=f"DCGAN at {_size}x{_size}: transposed-conv generator, strided-conv discriminator",
            paper="Radford, Metz & Chintala, Unsupervised Representation Learning with DCGANs, ICLR 2016",
            build_generator=partial(Generator, _size),
            build_discriminator=partial(Discriminator, _size),
            make_optimizers=adam_optimizers,
            defaults=dict(batch_size=BATCH_SIZE, lr_g=LR, lr_d=LR, beta1=BETA1, label_noise=0.0, clip_grad=None),
        )
    )
