"""The 32x32 GAN of *Deep Learning with Python* (Chollet, 2017, section 8.5),
trained there on CIFAR-10 frogs.

Its tricks, kept here: a latent of only 32; kernel sizes divisible by the stride
(4 with stride 2) against checkerboard artefacts; Dropout in the discriminator;
RMSprop with gradient clipping at 1.0 (Keras's `clipvalue`); 0.05 uniform noise
on the labels; Keras's LeakyReLU slope 0.3 and Glorot-uniform initialisation.
The discriminator returns a logit; its sigmoid is folded into the loss.

It is heavy for its size: three 256-map 5x5 convolutions at 32x32 make 3.9 G
multiply-adds per generated image. `width` scales every layer's maps (the tables
write 256w, w = width, rounded to a multiple of 8): width 0.25 needs 0.25 G and
trains 5-10x faster on a CPU (small convolutions use the cores less well than
large ones, so not the full 16x); width 1 is the book's net.

>>> Generator(width=0.25).main[0].out_channels   # 256 x 0.25
64
"""
from __future__ import annotations

import torch
from torch import nn

from gan_core.models.blocks import BlockDiscriminator
from gan_core.models.registry import ModelSpec, register, scale_channels

LATENT = 32
WIDTH = 128  # maps of the dense layer's output and of every discriminator conv
CONV_WIDTH = 256  # maps of the generator's convolutions
SLOPE = 0.3  # Keras's default LeakyReLU slope
LR_D = 8e-4
LR_G = 4e-4
CLIP = 1.0
LABEL_NOISE = 0.05
BATCH_SIZE = 20


def _keras_init(module: nn.Module) -> None:
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)


class Generator(nn.Module):
    """z (N, 32) -> image (N, 3, 32, 32) in [-1, 1].

        z                                          N x   32
        Dense -> LeakyReLU, reshape                N x 128w x 16 x 16
        Conv 5 (same) -> LeakyReLU                 N x 256w x 16 x 16
        ConvT 4 s2 -> LeakyReLU                    N x 256w x 32 x 32
        Conv 5 (same) -> LeakyReLU                 N x 256w x 32 x 32
        Conv 5 (same) -> LeakyReLU                 N x 256w x 32 x 32
        Conv 7 (same) -> Tanh                      N x    3 x 32 x 32
    """

    def __init__(self, latent: int = LATENT, nc: int = 3, width: float = 1.0):
        super().__init__()
        self.nz = latent
        self.maps = scale_channels(WIDTH, width)
        conv = scale_channels(CONV_WIDTH, width)
        self.dense = nn.Sequential(nn.Linear(latent, self.maps * 16 * 16), nn.LeakyReLU(SLOPE))
        self.main = nn.Sequential(
            nn.Conv2d(self.maps, conv, 5, padding=2), nn.LeakyReLU(SLOPE),
            nn.ConvTranspose2d(conv, conv, 4, 2, 1), nn.LeakyReLU(SLOPE),
            nn.Conv2d(conv, conv, 5, padding=2), nn.LeakyReLU(SLOPE),
            nn.Conv2d(conv, conv, 5, padding=2), nn.LeakyReLU(SLOPE),
            nn.Conv2d(conv, nc, 7, padding=3), nn.Tanh(),
        )
        _keras_init(self)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = self.dense(z.reshape(z.shape[0], self.nz))
        return self.main(x.view(-1, self.maps, 16, 16))


class Discriminator(BlockDiscriminator):
    """image (N, 3, 32, 32) -> logit (N,).

        x                                          N x    3 x 32 x 32
        Conv 3 (valid) -> LeakyReLU                N x 128w x 30 x 30
        Conv 4 s2 (valid) -> LeakyReLU             N x 128w x 14 x 14
        Conv 4 s2 (valid) -> LeakyReLU             N x 128w x  6 x  6
        Conv 4 s2 (valid) -> LeakyReLU             N x 128w x  2 x  2
        Flatten -> Dropout 0.4 -> Dense            N x    1
    """

    def __init__(self, nc: int = 3, width: float = 1.0):
        super().__init__()
        maps = scale_channels(WIDTH, width)
        self.blocks = nn.Sequential(
            nn.Sequential(nn.Conv2d(nc, maps, 3), nn.LeakyReLU(SLOPE)),
            nn.Sequential(nn.Conv2d(maps, maps, 4, 2), nn.LeakyReLU(SLOPE)),
            nn.Sequential(nn.Conv2d(maps, maps, 4, 2), nn.LeakyReLU(SLOPE)),
            nn.Sequential(nn.Conv2d(maps, maps, 4, 2), nn.LeakyReLU(SLOPE)),
        )
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(0.4), nn.Linear(maps * 2 * 2, 1))
        _keras_init(self)


def rmsprop_optimizers(G: nn.Module, D: nn.Module, hp: dict):
    # Keras's RMSprop: rho 0.9, epsilon 1e-7 (PyTorch's defaults differ).
    kw = dict(alpha=0.9, eps=1e-7)
    return (
        torch.optim.RMSprop(G.parameters(), lr=hp["lr_g"], **kw),
        torch.optim.RMSprop(D.parameters(), lr=hp["lr_d"], **kw),
    )


register(
    ModelSpec(
        name="keras-gan32",
        image_size=32,
        nz=LATENT,
        noise_shape=(LATENT,),
        description="The Keras-book 32x32 GAN (latent 32, RMSprop, label noise)",
        paper="Chollet, Deep Learning with Python, Manning 2017, section 8.5",
        build_generator=Generator,
        build_discriminator=Discriminator,
        make_optimizers=rmsprop_optimizers,
        defaults=dict(batch_size=BATCH_SIZE, lr_g=LR_G, lr_d=LR_D, label_noise=LABEL_NOISE, clip_grad=CLIP),
    )
)
