"""Load a trained super-resolution checkpoint and upscale photos with it.

>>> import gan_core
>>> from gan_core.core.hub import SUPER_RESOLUTION
>>> gan_core.list_checkpoints(task=SUPER_RESOLUTION)   # doctest: +SKIP
['faces-litesrgan-x4', 'photo-litesr-x4', 'photo-litesrgan-x4']
>>> up = gan_core.load("photo-litesr-x4")             # or a folder; doctest: +SKIP
>>> big = up("photo.jpg")                               # doctest: +SKIP
>>> up.card["metrics"]["evaluation"]["Set5"]            # doctest: +SKIP

SR checkpoints live beside the GAN ones (`checkpoints/`, $GAN_CORE_CHECKPOINTS) and
are told apart by their model card's `"task": "super-resolution"`; so
`gan_core.list_checkpoints()` (generators only) never offers them to the GAN tabs, and
`gan_core.load` gives an `Upscaler` for them.
The photo goes through `gan_core.pipelines.tiles.upscale_image`: tiles with blended overlaps,
bounded memory, alpha / grayscale / 16-bit / EXIF handled, oversized input refused.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import torch
from PIL import Image
from torch import nn

from gan_core.core.checkpoints import CARD_FILE, GENERATOR_FILE, build_checked
from gan_core.core.errors import CheckpointError
from gan_core.core.hub import checkpoint_name, weights_file
from gan_core.models.srgan import SR_ARCHS, build_sr_arch, for_inference
from gan_core.pipelines.tiles import MAX_INPUT_PIXELS, upscale_image

# What `python -m gan_core upscale` and the Upscale tab open with: the CPU-sized PSNR-oriented
# model, faithful on any photo, the best on Set5 and BSD68 and the fastest (the GAN-refined
# ones add texture, the face model is for faces).
DEFAULT_UPSCALER = "photo-litesr-x4"
BICUBIC = "bicubic"  # the baseline, by the name the command and the tab offer it under
DEFAULT_TILE = 128  # LR px per tile: 16 px of overlap on each side adds about half again (bench/upscale_speed.py)
DEFAULT_OVERLAP = 16


def build_sr_network(card: dict) -> nn.Module:
    """The network a card describes (architecture, scale and size from the card)."""
    config = card.get("config") if isinstance(card.get("config"), dict) else {}
    scale = int(card.get("scale", config.get("scale", 4)))
    model = card.get("model")
    if model not in SR_ARCHS:
        raise CheckpointError(f"model {model!r} is not a super-resolution network this library builds "
                              f"({', '.join(SR_ARCHS)})")
    blocks, channels = config.get("blocks"), config.get("channels")
    return build_sr_arch(model, scale, int(blocks) if blocks else None, int(channels) if channels else None)


class Upscaler:
    """A trained SR network, ready to upscale: `up(image) -> PIL.Image`.

    Attributes: `model` (an inference copy of the network: eval mode, batch norm
    folded, see models.srgan.for_inference), `card` (dict), `scale`, `name`, `path`, `device`."""

    def __init__(self, model: nn.Module, card: dict, path: Path | None = None,
                 device: torch.device | str = "cpu"):
        self.model = for_inference(model).to(device)
        self.card = card
        self.path = path
        self.device = torch.device(device)
        self.scale = int(card.get("scale", getattr(model, "scale", 4)))

    @property
    def name(self) -> str:
        return checkpoint_name(self.card, self.path, "upscaler")

    def __call__(self, image: Image.Image | str | Path | bytes, *, tile: int = DEFAULT_TILE,
                 overlap: int = DEFAULT_OVERLAP, max_input_pixels: int = MAX_INPUT_PIXELS,
                 progress_fn: Callable[[int, int], None] | None = None) -> Image.Image:
        """The photo `scale` times larger (see gan_core.pipelines.tiles.upscale_image: raises
        DataError for unreadable files, ImageTooLargeError over `max_input_pixels`)."""
        return upscale_image(self.model, image, scale=self.scale, tile=tile, overlap=overlap, device=self.device,
                             max_input_pixels=max_input_pixels, progress_fn=progress_fn)

    @classmethod
    def from_pretrained(cls, folder: Path, card: dict, device: torch.device | str = "cpu") -> Upscaler:
        """The upscaler of a super-resolution checkpoint's folder and card (see gan_core.load)."""
        try:
            with torch.device("meta"):  # the arguments are checked; the real one is built by build_checked
                build_sr_network(card)
        except (TypeError, ValueError) as exc:
            if isinstance(exc, CheckpointError):
                raise
            raise CheckpointError(f"{folder / CARD_FILE} does not describe a super-resolution network: {exc}") from None
        model = build_checked(lambda: build_sr_network(card), weights_file(folder, card, "generator", GENERATOR_FILE))
        return cls(model, card, folder, device)


__all__ = ["Upscaler", "build_sr_network", "BICUBIC", "DEFAULT_UPSCALER", "DEFAULT_TILE", "DEFAULT_OVERLAP"]
