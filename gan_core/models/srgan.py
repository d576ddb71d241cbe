"""SRGAN (Ledig et al., CVPR 2017): SRResNet generator and its discriminator,
the ESRGAN / Real-ESRGAN generator (RRDBNet, Wang et al. 2018 and 2021), and
LiteSR, an EDSR-baseline-style network sized for a CPU (Lim et al. 2017, with
IMDN's one-step pixel-shuffle tail and an interpolated-input skip).

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

import copy
import math

import torch
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

from gan_core.models.blocks import BlockDiscriminator

SCALE = 4  # the paper's upscaling factor
SR_BLOCKS = 16  # residual blocks in SRResNet
SR_CHANNELS = 64  # feature maps throughout SRResNet
HR_PATCH = 96  # HR crop size the paper trains D on
LEAK = 0.2  # LeakyReLU slope in D (and RRDBNet)
RRDB_BLOCKS = 23  # residual-in-residual dense blocks in ESRGAN's generator
RRDB_GROWTH = 32  # maps added by each conv of a dense block
RESIDUAL_SCALE = 0.2  # ESRGAN scales every residual branch by 0.2 before adding it
# LiteSR's size: 0.66M weights, 43 G multiply-adds for 256 -> 1024 (SRResNet: 145 G). On one
# CPU thread 8 blocks of 64 maps ran faster than 12 of 48 (fewer multiply-adds, run worse).
LITE_BLOCKS = 8
LITE_CHANNELS = 64


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


class PlainResidualBlock(nn.Module):
    """EDSR's block: conv3 -> ReLU -> conv3, plus the identity; no batch norm (EDSR found
    that it removes range flexibility and costs memory, for no gain in SR)."""

    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(channels, channels, 3, 1, 1), nn.ReLU(inplace=True),
                                  nn.Conv2d(channels, channels, 3, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class LiteSR(nn.Module):
    """LR (N, 3, h, w) in [-1, 1] -> HR (N, 3, scale*h, scale*w), about [-1, 1]: every
    convolution runs at the low resolution, so a CPU can both train and run it.

    For scale 4, 8 blocks, 64 channels (0.66M weights, as many multiply-adds per LR pixel):
        x                                             N x  3 x  h x  w
        Conv 3                                        N x 64 x  h x  w
        8 x [Conv 3 -> ReLU -> Conv 3] + skip         N x 64 x  h x  w
        Conv 3, + long skip from the first conv       N x 64 x  h x  w
        Conv 3 to 3 x scale^2 maps -> PixelShuffle    N x  3 x 4h x 4w
        + bilinear x4 of the input                    N x  3 x 4h x 4w
    What it takes from where: EDSR-baseline's residual blocks without batch norm;
    IMDN's and RFDN's tail (one conv at the low resolution, then a pixel shuffle: SRResNet
    and EDSR spend most of their time in convolutions at 2x and 4x the size); the
    interpolated input added to the output (VDSR's global residual), so the network
    learns only the missing detail and a short training starts from bilinear, not noise.
    """

    def __init__(self, scale: int = SCALE, blocks: int = LITE_BLOCKS, channels: int = LITE_CHANNELS):
        super().__init__()
        _upsampling_stages(scale)  # the same scales as the other networks
        self.scale = scale
        self.head = nn.Conv2d(3, channels, 3, 1, 1)
        self.body = nn.Sequential(*[PlainResidualBlock(channels) for _ in range(blocks)],
                                  nn.Conv2d(channels, channels, 3, 1, 1))
        self.tail = nn.Sequential(nn.Conv2d(channels, 3 * scale * scale, 3, 1, 1), nn.PixelShuffle(scale))
        # The residual starts at zero: an untrained LiteSR is bilinear upscaling, not noise on it.
        nn.init.zeros_(self.tail[0].weight)
        nn.init.zeros_(self.tail[0].bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feat = self.head(x)
        base = nn.functional.interpolate(x, scale_factor=self.scale, mode="bilinear", align_corners=False)
        return base + self.tail(feat + self.body(feat))


# The x4 networks by the name a model card gives them ("model"), each built from the
# card's config (blocks, channels), with what it is for the Upscale tab and the cards.
SR_ARCHS = {
    "srresnet": (SRResNet, "SRResNet (Ledig et al. 2017): 16 residual blocks with batch norm, 64 channels"),
    "rrdbnet": (RRDBNet, "RRDBNet (ESRGAN, Wang et al. 2018): 23 residual-in-residual dense blocks"),
    "litesr": (LiteSR, "LiteSR: EDSR-baseline-style residual blocks without batch norm, every convolution at "
                       "the low resolution, a pixel-shuffle tail and a bilinear skip"),
}
SR_SIZES = {"srresnet": (SR_BLOCKS, SR_CHANNELS), "rrdbnet": (RRDB_BLOCKS, SR_CHANNELS),
            "litesr": (LITE_BLOCKS, LITE_CHANNELS)}


def build_sr_arch(name: str, scale: int = SCALE, blocks: int | None = None,
                  channels: int | None = None) -> nn.Module:
    """The x4 network registered as `name`, at its default size unless told.

    >>> build_sr_arch("litesr", blocks=1)(torch.zeros(1, 3, 8, 8)).shape
    torch.Size([1, 3, 32, 32])
    """
    if name not in SR_ARCHS:
        raise ValueError(f"unknown super-resolution network {name!r}; known: {', '.join(SR_ARCHS)}")
    default_blocks, default_channels = SR_SIZES[name]
    return SR_ARCHS[name][0](scale, blocks or default_blocks, channels or default_channels)


def fold_batch_norm(net: nn.Module) -> nn.Module:
    """An inference copy of `net` in eval mode with every BatchNorm2d that directly
    follows a Conv2d in a Sequential folded into that conv (the norm becomes an
    Identity). Same outputs up to float rounding, one pass over memory less per
    norm: SRResNet has 33 of them. `net` itself is left untouched.

    >>> net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))
    >>> type(fold_batch_norm(net)[1]).__name__, type(net[1]).__name__
    ('Identity', 'BatchNorm2d')
    """
    net = copy.deepcopy(net).eval()
    for module in net.modules():
        if not isinstance(module, nn.Sequential):
            continue
        names = list(module._modules)
        for conv_name, norm_name in zip(names, names[1:]):
            conv, norm = module._modules[conv_name], module._modules[norm_name]
            if isinstance(conv, nn.Conv2d) and isinstance(norm, nn.BatchNorm2d) and norm.track_running_stats:
                module._modules[conv_name] = fuse_conv_bn_eval(conv, norm)
                module._modules[norm_name] = nn.Identity()
    return net


def _conv_before_shuffle(conv: nn.Conv2d) -> nn.Conv2d:
    """The conv that, run *before* PixelShuffle(2), gives what `conv` gives after it.

    `conv` (C -> O maps, k x k, k odd, stride 1, 'same' padding) reads a shuffled map
    y[c, 2i+e, 2j+f] = v[4c + 2e + f, i, j]. Output pixel (2i+a, 2j+b) at tap dy reads
    row 2i+a+dy = 2(i+ky) + e, so the same sum runs over v with a kernel of
    2*ceil(r/2)+1 taps (r = k//2) and 4*O outputs, which the shuffle puts back in place.
    Zero padding agrees because v's padding is exactly y's. Exact up to rounding."""
    weight = conv.weight.detach()
    out_ch, in_ch, k, _ = weight.shape
    r = k // 2
    kr = (r + 1) // 2
    new_weight = weight.new_zeros(out_ch * 4, in_ch * 4, 2 * kr + 1, 2 * kr + 1)
    for a in range(2):  # output row parity
        for b in range(2):  # output column parity
            for e in range(2):  # input row parity
                for f in range(2):  # input column parity
                    for ky in range(-kr, kr + 1):
                        dy = 2 * ky + e - a
                        if abs(dy) > r:
                            continue
                        for kx in range(-kr, kr + 1):
                            dx = 2 * kx + f - b
                            if abs(dx) <= r:
                                new_weight[2 * a + b::4, 2 * e + f::4, ky + kr, kx + kr] = weight[:, :, dy + r, dx + r]
    new = nn.Conv2d(in_ch * 4, out_ch * 4, 2 * kr + 1, 1, kr, bias=conv.bias is not None)
    new.weight.data.copy_(new_weight)
    if conv.bias is not None:
        new.bias.data.copy_(conv.bias.detach().repeat_interleave(4))
    return new.to(weight.device)


def for_inference(net: nn.Module) -> nn.Module:
    """A faster inference copy of an SR network, same outputs up to float rounding:
    batch norm folded into the convs (`fold_batch_norm`) and, for SRResNet, its
    final 9x9 conv moved before the last pixel shuffle (a 5x5 conv to 12 maps at
    half the resolution instead of a 9x9 conv to 3 maps at full resolution, which
    CPU convolution runs poorly). `net` itself is left untouched.

    >>> net = SRResNet(blocks=1).eval()
    >>> x = torch.rand(1, 3, 8, 8)
    >>> bool((for_inference(net)(x) - net(x)).abs().max() < 1e-4)
    True
    """
    net = fold_batch_norm(net)
    if isinstance(net, SRResNet) and len(net.upsample) >= 3:
        conv, shuffle, act = net.upsample[-3:]
        tail = net.tail
        # Only a one-slope PReLU commutes with the shuffle; odd 'same' kernels only.
        if (isinstance(shuffle, nn.PixelShuffle) and shuffle.upscale_factor == 2 and isinstance(act, nn.PReLU)
                and act.num_parameters == 1 and isinstance(tail, nn.Conv2d) and tail.kernel_size[0] % 2 == 1
                and tail.kernel_size[0] == tail.kernel_size[1] and tail.stride == (1, 1)
                and tail.padding == (tail.kernel_size[0] // 2,) * 2 and tail.groups == 1 and tail.dilation == (1, 1)):
            net.upsample = nn.Sequential(*list(net.upsample[:-3]), conv, act)
            net.tail = nn.Sequential(_conv_before_shuffle(tail), nn.PixelShuffle(2))
    return net


__all__ = ["SRResNet", "SRDiscriminator", "RRDBNet", "LiteSR", "ResidualBlock", "PlainResidualBlock", "DenseBlock",
           "RRDB", "SR_ARCHS", "build_sr_arch", "fold_batch_norm", "for_inference"]
