"""SRGAN (Ledig et al., CVPR 2017): SRResNet generator and its discriminator,
plus the ESRGAN / Real-ESRGAN generator (RRDBNet, Wang et al. 2018 and 2021).

These are image-to-image networks (a low-resolution picture in, a picture
`scale` times larger out), not noise-to-image ones, so they are not in the
model registry: build them directly.

    >>> from gan_core.models.srgan import SRResNet, SRDiscriminator
    >>> G, D = SRResNet(), SRDiscriminator()
    >>> G(torch.zeros(1, 3, 24, 24)).shape
    torch.Size([1, 3, 96, 96])

Value convention: both the low-resolution input and the high-resolution
output are RGB in [-1, 1], the library's image range. (The paper scales LR
inputs to [0, 1] and HR targets to [-1, 1]; one range for both keeps the
pipeline uniform and costs the network nothing, the first conv absorbs it.)
SRResNet has no output Tanh, as in the paper, so its output can overshoot
[-1, 1] slightly: clamping before display or metrics is the caller's job.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from . import BlockDiscriminator

SCALE = 4  # the paper's upscaling factor
SR_BLOCKS = 16  # residual blocks in SRResNet
SR_CHANNELS = 64  # feature maps throughout SRResNet
HR_PATCH = 96  # HR crop size the paper trains D on
LEAK = 0.2  # LeakyReLU slope in D (and RRDBNet)
RRDB_BLOCKS = 23  # residual-in-residual dense blocks in ESRGAN's generator
RRDB_GROWTH = 32  # maps added by each conv of a dense block
RESIDUAL_SCALE = 0.2  # ESRGAN scales every residual branch by 0.2 before adding it


def _upsampling_stages(scale: int) -> int:
    """Number of x2 stages for `scale`; the networks upsample by powers of two."""
    stages = int(math.log2(scale)) if scale >= 2 else 0
    if scale < 2 or 2 ** stages != scale:
        raise ValueError(f"scale must be a power of two (2, 4, 8, ...), got {scale}")
    return stages


class ResidualBlock(nn.Module):
    """SRResNet block: conv3 -> BN -> PReLU -> conv3 -> BN, plus the identity."""

    def __init__(self, channels: int = SR_CHANNELS):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, channels, 3, 1, 1),
            nn.BatchNorm2d(channels),
            nn.PReLU(),
            nn.Conv2d(channels, channels, 3, 1, 1),
            nn.BatchNorm2d(channels),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class SRResNet(nn.Module):
    """LR image (N, 3, h, w) in [-1, 1] -> HR image (N, 3, scale*h, scale*w), about [-1, 1].

    For scale 4, 16 blocks, 64 channels (the paper's network, ~1.55M parameters):
        x                                             N x   3 x  h x  w
        Conv 9 -> PReLU                               N x  64 x  h x  w
        16 x [Conv 3 -> BN -> PReLU -> Conv 3 -> BN] + skip
                                                      N x  64 x  h x  w
        Conv 3 -> BN, + long skip from the first conv N x  64 x  h x  w
        Conv 3 -> PixelShuffle(2) -> PReLU            N x  64 x 2h x 2w   (conv to 256 maps)
        Conv 3 -> PixelShuffle(2) -> PReLU            N x  64 x 4h x 4w
        Conv 9 (no activation)                        N x   3 x 4h x 4w
    Each x2 stage is one conv to 4x the maps and a pixel shuffle (sub-pixel
    convolution, Shi et al. 2016), which avoids transposed-conv checkerboards.
    The output is not squashed (no Tanh, as in the paper): clamp it to [-1, 1]
    at inference.
    """

    def __init__(self, scale: int = SCALE, blocks: int = SR_BLOCKS, channels: int = SR_CHANNELS):
        super().__init__()
        self.scale = scale
        self.head = nn.Sequential(nn.Conv2d(3, channels, 9, 1, 4), nn.PReLU())  # 3 -> 64, h x w
        self.body = nn.Sequential(*[ResidualBlock(channels) for _ in range(blocks)])  # 64, h x w
        self.body_tail = nn.Sequential(nn.Conv2d(channels, channels, 3, 1, 1), nn.BatchNorm2d(channels))
        up: list[nn.Module] = []
        for _ in range(_upsampling_stages(scale)):  # each stage: 64 -> 256 maps -> 64 maps at 2x the size
            up += [nn.Conv2d(channels, channels * 4, 3, 1, 1), nn.PixelShuffle(2), nn.PReLU()]
        self.upsample = nn.Sequential(*up)
        self.tail = nn.Conv2d(channels, 3, 9, 1, 4)  # 64 -> 3, scale*h x scale*w

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feat = self.head(x)
        # The long skip lets the residual trunk learn only the high-frequency detail.
        feat = feat + self.body_tail(self.body(feat))
        return self.tail(self.upsample(feat))


class SRDiscriminator(BlockDiscriminator):
    """HR image (N, 3, H, W) in [-1, 1] -> logit (N,), like the library's other
    discriminators; `features(x)` gives each conv block's activations.

    For the paper's 96 x 96 crops:
        x                                             N x   3 x 96 x 96
        Conv 3 s1 -> LeakyReLU (no BN on input)       N x  64 x 96 x 96
        Conv 3 s2 -> BN -> LeakyReLU                  N x  64 x 48 x 48
        Conv 3 s1 -> BN -> LeakyReLU                  N x 128 x 48 x 48
        Conv 3 s2 -> BN -> LeakyReLU                  N x 128 x 24 x 24
        Conv 3 s1 -> BN -> LeakyReLU                  N x 256 x 24 x 24
        Conv 3 s2 -> BN -> LeakyReLU                  N x 256 x 12 x 12
        Conv 3 s1 -> BN -> LeakyReLU                  N x 512 x 12 x 12
        Conv 3 s2 -> BN -> LeakyReLU                  N x 512 x  6 x  6
        AdaptiveAvgPool to image_size/16              N x 512 x  6 x  6
        Dense 1024 -> LeakyReLU -> Dense 1 (logit)    N x 1
    Deviation from the paper, for flexibility: the adaptive pool fixes the
    dense layer's input at (image_size/16)^2 positions, so any input size
    works. At `image_size` itself the pool is the identity and the network is
    exactly the paper's. The sigmoid is folded into the loss (BCE-with-logits).

    `features(x)` returns the activations of all eight conv blocks: a
    feature-space content loss when pretrained VGG weights are not available.
    """

    def __init__(self, image_size: int = HR_PATCH, channels: int = 64):
        super().__init__()
        if image_size % 16:
            raise ValueError(f"image_size must be a multiple of 16 (four stride-2 convs), got {image_size}")
        c = channels
        # (out maps, stride) of the seven BN blocks after the first conv, as in the paper's figure 4.
        plan = [(c, 2), (2 * c, 1), (2 * c, 2), (4 * c, 1), (4 * c, 2), (8 * c, 1), (8 * c, 2)]
        blocks: list[nn.Module] = [nn.Sequential(nn.Conv2d(3, c, 3, 1, 1), nn.LeakyReLU(LEAK, True))]
        width = c
        for out, stride in plan:
            blocks.append(
                nn.Sequential(
                    nn.Conv2d(width, out, 3, stride, 1, bias=False),  # BN follows: a bias would be redundant
                    nn.BatchNorm2d(out),
                    nn.LeakyReLU(LEAK, True),
                )
            )
            width = out
        self.blocks = nn.Sequential(*blocks)
        side = image_size // 16
        self.head = nn.Sequential(
            nn.AdaptiveAvgPool2d(side),  # 512 x H/16 x W/16 -> 512 x side x side
            nn.Flatten(),
            nn.Linear(width * side * side, 1024),
            nn.LeakyReLU(LEAK, True),
            nn.Linear(1024, 1),
        )



class DenseBlock(nn.Module):
    """ESRGAN residual dense block: five convs, each seeing every earlier map."""

    def __init__(self, channels: int = SR_CHANNELS, growth: int = RRDB_GROWTH):
        super().__init__()
        self.convs = nn.ModuleList(
            nn.Conv2d(channels + i * growth, growth if i < 4 else channels, 3, 1, 1) for i in range(5)
        )
        self.act = nn.LeakyReLU(LEAK, True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feats = [x]
        for i, conv in enumerate(self.convs):
            out = conv(torch.cat(feats, 1))
            if i < 4:
                feats.append(self.act(out))
        return x + RESIDUAL_SCALE * out


class RRDB(nn.Module):
    """Residual-in-residual dense block: three dense blocks and a scaled outer skip."""

    def __init__(self, channels: int = SR_CHANNELS, growth: int = RRDB_GROWTH):
        super().__init__()
        self.body = nn.Sequential(*[DenseBlock(channels, growth) for _ in range(3)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + RESIDUAL_SCALE * self.body(x)


class RRDBNet(nn.Module):
    """ESRGAN / Real-ESRGAN generator: LR (N, 3, h, w) -> (N, 3, scale*h, scale*w).

    For scale 4, 23 blocks (the published x4 model, ~16.7M parameters):
        x                                             N x  3 x  h x  w
        Conv 3                                        N x 64 x  h x  w
        23 x RRDB, Conv 3, + long skip                N x 64 x  h x  w
        nearest x2 -> Conv 3 -> LeakyReLU             N x 64 x 2h x 2w
        nearest x2 -> Conv 3 -> LeakyReLU             N x 64 x 4h x 4w
        Conv 3 -> LeakyReLU -> Conv 3                 N x  3 x 4h x 4w
    No BatchNorm anywhere (ESRGAN removed it: it caused artefacts). Here for
    speed comparisons with SRResNet; weights are random unless loaded.
    (Real-ESRGAN's x2 model instead pixel-unshuffles the input; not done here.)
    """

    def __init__(self, scale: int = SCALE, blocks: int = RRDB_BLOCKS, channels: int = SR_CHANNELS,
                 growth: int = RRDB_GROWTH):
        super().__init__()
        self.scale = scale
        self.conv_first = nn.Conv2d(3, channels, 3, 1, 1)
        self.body = nn.Sequential(*[RRDB(channels, growth) for _ in range(blocks)])
        self.conv_body = nn.Conv2d(channels, channels, 3, 1, 1)
        self.ups = nn.ModuleList(nn.Conv2d(channels, channels, 3, 1, 1) for _ in range(_upsampling_stages(scale)))
        self.conv_hr = nn.Conv2d(channels, channels, 3, 1, 1)
        self.conv_last = nn.Conv2d(channels, 3, 3, 1, 1)
        self.act = nn.LeakyReLU(LEAK, True)
        # ESRGAN's init: Kaiming, scaled by 0.1 inside the blocks so that a deep
        # stack of residuals starts close to the identity.
        for m in self.body.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)
                m.weight.data.mul_(0.1)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feat = self.conv_first(x)
        feat = feat + self.conv_body(self.body(feat))
        for conv in self.ups:
            feat = self.act(conv(nn.functional.interpolate(feat, scale_factor=2, mode="nearest")))
        return self.conv_last(self.act(self.conv_hr(feat)))


__all__ = ["SRResNet", "SRDiscriminator", "RRDBNet", "ResidualBlock", "DenseBlock", "RRDB"]
