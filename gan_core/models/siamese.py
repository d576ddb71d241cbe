"""The Siamese GAN for tile-by-tile style transfer: a tile translator and a Siamese discriminator.

The generator translates SxS tiles (S = 64 by default) and is fully convolutional, so
the same weights translate a whole picture or any tile of it. It has no normalisation
layer: statistics taken per tile would differ from tile to tile and draw the seams the
combo is there to remove. Its last layer adds a residual to the input in the tanh
domain, so an untrained generator is (almost) the identity and training starts from
the photo's content.

The discriminator is a Siamese network: one encoder maps any image to a vector of
LENVEC numbers. Paintings are pulled to the origin, translated photos pushed beyond a
margin, and the vector differences between two photos keep their direction after
translation (the losses are in gan_core.training.losses).

TraVeLGAN itself (Amodio and Krishnaswamy 2019) splits those jobs: a PatchDiscriminator
says "painting or not" with a standard GAN loss, and the Siamese network, trained with G
rather than against it, only carries the content term (gan_core.training.style's
`adversary="patch"`).
"""
from __future__ import annotations

import torch
from torch import nn

TILE = 64  # S: the side of the tiles the generator translates
LENVEC = 128  # length of the discriminator's vectors
G_WIDTH = 32  # the generator's channels at full resolution (x2 and x4 deeper down)
D_WIDTH = 32  # the discriminator's first conv (doubling at each stride to 8x)
SLOPE = 0.2
OUT_GAIN = 0.1  # a drawing generator's last conv, scaled: outputs start in tanh's linear range


def _init(module: nn.Module) -> None:
    # He initialisation for LeakyReLU: with no normalisation layer to rescale activations,
    # DCGAN's N(0, 0.02) would shrink the signal at every layer and leave D's vectors nearly
    # constant (a first run sat at ||D(B)|| = ||D(AB)|| = m/2, the trivial optimum).
    if isinstance(module, (nn.Conv2d, nn.Linear)):
        nn.init.kaiming_normal_(module.weight, a=SLOPE, nonlinearity="leaky_relu")
        if module.bias is not None:
            nn.init.zeros_(module.bias)


class _Residual(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, channels, 3, 1, 1), nn.LeakyReLU(SLOPE, inplace=True),
            nn.Conv2d(channels, channels, 3, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class TileTranslator(nn.Module):
    """A small U-Net: RGB in [-1, 1] (N, 3, H, W) -> RGB in [-1, 1], the same size.

    `residual` (the default, and the shipped model's): the output is the input plus a
    residual in the tanh domain, started at zero, so training starts from the photo and
    may never leave it; without it the U-Net draws the picture from its features (its
    skip connections still carry the layout).

    H and W must be multiples of 4 (two stride-2 steps); tiles of S = 64 are."""

    def __init__(self, width: int = G_WIDTH, blocks: int = 3, residual: bool = True):
        super().__init__()
        w = width
        self.enc1 = nn.Sequential(nn.Conv2d(3, w, 3, 1, 1), nn.LeakyReLU(SLOPE, inplace=True))  # w x S x S
        self.enc2 = nn.Sequential(nn.Conv2d(w, 2 * w, 4, 2, 1), nn.LeakyReLU(SLOPE, inplace=True))  # 2w x S/2
        self.enc3 = nn.Sequential(nn.Conv2d(2 * w, 4 * w, 4, 2, 1), nn.LeakyReLU(SLOPE, inplace=True))  # 4w x S/4
        self.middle = nn.Sequential(*[_Residual(4 * w) for _ in range(blocks)])  # 4w x S/4
        self.up2 = nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"),
                                 nn.Conv2d(4 * w, 2 * w, 3, 1, 1), nn.LeakyReLU(SLOPE, inplace=True))  # 2w x S/2
        self.dec2 = nn.Sequential(nn.Conv2d(4 * w, 2 * w, 3, 1, 1), nn.LeakyReLU(SLOPE, inplace=True))  # skip: 4w in
        self.up1 = nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"),
                                 nn.Conv2d(2 * w, w, 3, 1, 1), nn.LeakyReLU(SLOPE, inplace=True))  # w x S
        self.dec1 = nn.Sequential(nn.Conv2d(2 * w, w, 3, 1, 1), nn.LeakyReLU(SLOPE, inplace=True))  # skip: 2w in
        self.out = nn.Conv2d(w, 3, 3, 1, 1)  # 3 x S x S: a residual in the tanh domain, or the picture itself
        self.width, self.blocks, self.residual = width, blocks, residual
        self.apply(_init)
        if residual:
            nn.init.zeros_(self.out.weight)  # start as the identity
        else:
            # He initialisation leaves the last conv's outputs at a std of ~2.7, where tanh is flat:
            # a drawing G started saturated and its first GAN steps pushed it to a white canvas.
            with torch.no_grad():
                self.out.weight.mul_(OUT_GAIN)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        e1 = self.enc1(x)
        e2 = self.enc2(e1)
        h = self.middle(self.enc3(e2))
        h = self.dec2(torch.cat([self.up2(h), e2], 1))
        h = self.dec1(torch.cat([self.up1(h), e1], 1))
        if not self.residual:  # the picture is drawn, not edited: nothing pins it to the photo
            return torch.tanh(self.out(h))
        return torch.tanh(torch.atanh(x.clamp(-0.999, 0.999)) + self.out(h))


class SiameseDiscriminator(nn.Module):
    """An image (N, 3, H, W), H and W multiples of 32 -> vectors (N, LENVEC).

    Five stride-2 convolutions, the maps brought to a 4x4 grid (exact for 2Sx2S = 128 px
    combos; other sizes are averaged or repeated to it) and a linear map to the vector."""

    def __init__(self, lenvec: int = LENVEC, width: int = D_WIDTH):
        super().__init__()
        w = width
        self.features = nn.Sequential(
            nn.Conv2d(3, w, 4, 2, 1), nn.LeakyReLU(SLOPE, inplace=True),  # w x 2S/2   (64 x 64 for S = 64)
            nn.Conv2d(w, 2 * w, 4, 2, 1), nn.LeakyReLU(SLOPE, inplace=True),  # 2w x 32 x 32
            nn.Conv2d(2 * w, 4 * w, 4, 2, 1), nn.LeakyReLU(SLOPE, inplace=True),  # 4w x 16 x 16
            nn.Conv2d(4 * w, 8 * w, 4, 2, 1), nn.LeakyReLU(SLOPE, inplace=True),  # 8w x 8 x 8
            nn.Conv2d(8 * w, 8 * w, 4, 2, 1), nn.LeakyReLU(SLOPE, inplace=True),  # 8w x 4 x 4
        )
        self.head = nn.Linear(8 * w * 16, lenvec)  # the 4x4 grid kept: where things are matters
        self.pool = nn.AdaptiveAvgPool2d(4)
        self.lenvec, self.width = lenvec, width
        self.apply(_init)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.pool(self.features(x)).flatten(1))


class PatchDiscriminator(nn.Module):
    """An image (N, 3, H, W), H and W multiples of 8 -> a map of logits (N, 1, H/8, W/8),
    one "painting or not" per overlapping patch (pix2pix's PatchGAN, three strides): the
    verdict is about brushwork and palette, which every patch holds, not the layout."""

    def __init__(self, width: int = D_WIDTH):
        super().__init__()
        w = width
        self.features = nn.Sequential(
            nn.Conv2d(3, w, 4, 2, 1), nn.LeakyReLU(SLOPE, inplace=True),  # w x H/2   (64 x 64 for a 128 px combo)
            nn.Conv2d(w, 2 * w, 4, 2, 1), nn.LeakyReLU(SLOPE, inplace=True),  # 2w x H/4
            nn.Conv2d(2 * w, 4 * w, 4, 2, 1), nn.LeakyReLU(SLOPE, inplace=True),  # 4w x H/8
            nn.Conv2d(4 * w, 4 * w, 3, 1, 1), nn.LeakyReLU(SLOPE, inplace=True),  # 4w x H/8
            nn.Conv2d(4 * w, 1, 3, 1, 1),  # 1 x H/8: a logit per patch (receptive field 46 px)
        )
        self.width = width
        self.apply(_init)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)


__all__ = ["TileTranslator", "SiameseDiscriminator", "PatchDiscriminator", "TILE", "LENVEC", "G_WIDTH", "D_WIDTH"]
