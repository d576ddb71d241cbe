"""Model registry: every architecture is a `ModelSpec` registered under a name.

A spec knows how to build its generator and discriminator, its paper's
optimisers and training defaults, and nothing about data or training loops.

>>> from gan_core.models import get_model, model_names
>>> spec = get_model("dcgan64")
>>> G = spec.build_generator()
>>> G(spec.sample_noise(4)).shape
torch.Size([4, 3, 64, 64])

Every model has a width knob: `spec.scaled(0.25)` is the same architecture with a
quarter of the paper's channels in each layer (about 1/16 of the multiply-adds),
which makes the heavier nets practical to train on a CPU:

>>> small = get_model("keras-gan32").scaled(0.25)
>>> small.width, small.build_generator()(small.sample_noise(2)).shape
(0.25, torch.Size([2, 3, 32, 32]))
"""
from __future__ import annotations

import inspect
import math
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Callable

import torch
from torch import nn

_REGISTRY: dict[str, "ModelSpec"] = {}

# Widths a spec may be scaled to, 0 < width <= 4: narrow nets bottom out at 8
# channels a layer, and 4x (16x the paper's multiply-adds) is already past what
# these small images gain from.
MIN_WIDTH, MAX_WIDTH = 0.0, 4.0
CHANNEL_MULTIPLE = 8  # scaled channel counts stay multiples of 8: fast kernels on CPU and GPU


def scale_channels(channels: int, width: float) -> int:
    """`channels` x `width`, rounded to a multiple of 8 and at least 8. Every paper
    width here is a multiple of 8, so width 1 gives back exactly `channels`."""
    if width == 1:
        return channels
    return max(CHANNEL_MULTIPLE, CHANNEL_MULTIPLE * round(channels * width / CHANNEL_MULTIPLE))


def check_width(width: float) -> float:
    """`width` as a float, or a ValueError naming the allowed range."""
    if isinstance(width, bool) or not isinstance(width, (int, float)) or not math.isfinite(width) \
            or not MIN_WIDTH < width <= MAX_WIDTH:
        raise ValueError(f"width must be a number above {MIN_WIDTH:g} and at most {MAX_WIDTH:g} "
                         f"(1 = the paper's channel widths), not {width!r}")
    return float(width)


@dataclass(frozen=True)
class ModelSpec:
    name: str
    image_size: int
    nz: int
    description: str
    paper: str
    # Called without arguments they build the paper's nets; each also takes `width=`
    # (see `scaled`).
    build_generator: Callable[..., nn.Module]
    build_discriminator: Callable[..., nn.Module]
    make_optimizers: Callable[[nn.Module, nn.Module, dict], tuple[torch.optim.Optimizer, torch.optim.Optimizer]]
    # Training defaults from the paper or book the model comes from; any of them
    # can be overridden on the command line (see `gan_core train --help`).
    defaults: dict = field(default_factory=dict)
    # Shape of the noise the generator takes, without the batch dimension.
    noise_shape: tuple[int, ...] = ()
    # Fraction of the paper's channel widths the builders use (see `scaled`).
    width: float = 1.0

    def scaled(self, width: float) -> "ModelSpec":
        """This architecture with every layer's channel count multiplied by `width`
        (rounded to a multiple of 8, at least 8). `width` is relative to the paper,
        not to this spec: `spec.scaled(0.5).scaled(1.0)` is the paper's network.
        Width 1 gives the registered spec itself, so its checkpoints load unchanged.
        Raises ValueError outside 0 < width <= 4."""
        width = check_width(width)
        if width == self.width:
            return self
        for build in (self.build_generator, self.build_discriminator):
            if "width" not in inspect.signature(build).parameters:
                raise ValueError(f"model {self.name!r} has no width setting: it trains at its paper's width only")
        # partial of a partial is flattened with the later keyword winning, so the
        # builders never stack two widths.
        return replace(self, width=width, build_generator=partial(self.build_generator, width=width),
                       build_discriminator=partial(self.build_discriminator, width=width))

    def sample_noise(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """n standard-normal latent vectors, drawn on the CPU one row at a time, so
        that latent i depends only on the seed and i: the first image of a 64-image
        grid is the image of a 1-image grid, on every device. (One batched draw would
        not promise that: torch fills a tensor in vector chunks.)"""
        if generator is not None and generator.device.type != "cpu":
            raise ValueError("draw latents with a CPU torch.Generator, so that seeds agree across devices")
        return torch.stack([torch.randn(self.noise_shape, generator=generator) for _ in range(n)]) if n else \
            torch.empty((0, *self.noise_shape))


def register(spec: ModelSpec) -> ModelSpec:
    if spec.name in _REGISTRY:
        raise ValueError(f"model {spec.name!r} is registered twice")
    _REGISTRY[spec.name] = spec
    return spec


def get_model(name: str) -> ModelSpec:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown model {name!r}; known models: {', '.join(model_names())}") from None


def model_names() -> list[str]:
    return sorted(_REGISTRY)
