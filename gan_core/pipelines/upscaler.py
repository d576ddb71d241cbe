"""Load a trained super-resolution checkpoint and upscale photos with it.

>>> from gan_core.pipelines.upscaler import list_upscalers, load_upscaler
>>> list_upscalers()                                    # doctest: +SKIP
['photo-srresnet-x4']
>>> up = load_upscaler("photo-srresnet-x4")             # or a folder; doctest: +SKIP
>>> big = up("photo.jpg")                               # doctest: +SKIP
>>> up.card["metrics"]["evaluation"]["Set5"]            # doctest: +SKIP

SR checkpoints live beside the GAN ones (`checkpoints/`, $GAN_CORE_CHECKPOINTS) and
are told apart by their model card's `"task": "super-resolution"`; so
`gan_core.list_checkpoints()` (generators only) never offers them to the GAN tabs.
The photo goes through `gan_core.pipelines.tiles.upscale_image`: tiles with blended overlaps,
bounded memory, alpha / grayscale / 16-bit / EXIF handled, oversized input refused.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import torch
from PIL import Image
from torch import nn

from gan_core.core.checkpoints import GENERATOR_FILE, load_weights
from gan_core.core.errors import CheckpointError
from gan_core.models.srgan import SR_BLOCKS, SR_CHANNELS, RRDBNet, SRResNet, for_inference
from gan_core.pipelines.generator import list_checkpoints, open_task_checkpoint, weights_file
from gan_core.pipelines.tiles import MAX_INPUT_PIXELS, upscale_image

TASK = "super-resolution"
DEFAULT_TILE = 128  # LR px per tile: 16 px of overlap on each side adds about half again (bench/upscale_speed.py)
DEFAULT_OVERLAP = 16


def _build(card: dict) -> nn.Module:
    """The network a card describes (architecture, scale and size from the card)."""
    config = card.get("config") if isinstance(card.get("config"), dict) else {}
    scale = int(card.get("scale", config.get("scale", 4)))
    model = card.get("model")
    if model == "srresnet":
        return SRResNet(scale, int(config.get("blocks", SR_BLOCKS)), int(config.get("channels", SR_CHANNELS)))
    if model == "rrdbnet":
        return RRDBNet(scale)
    raise CheckpointError(f"model {model!r} is not a super-resolution network this library builds "
                          "(srresnet or rrdbnet)")


def list_upscalers() -> list[str]:
    """Names of the shipped (and $GAN_CORE_CHECKPOINTS) super-resolution checkpoints."""
    return list_checkpoints(task=TASK)


def open_sr_checkpoint(name_or_path: str | Path) -> tuple[Path, dict]:
    """(folder, model card) of an SR checkpoint: a shipped name, a folder with a
    model card, a run folder (its export/), or a file inside one."""
    return open_task_checkpoint(name_or_path, TASK)


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
        return self.card.get("name") or (self.path.name if self.path else "upscaler")

    def __call__(self, image: Image.Image | str | Path | bytes, *, tile: int = DEFAULT_TILE,
                 overlap: int = DEFAULT_OVERLAP, max_input_pixels: int = MAX_INPUT_PIXELS,
                 progress_fn: Callable[[int, int], None] | None = None) -> Image.Image:
        """The photo `scale` times larger (see gan_core.pipelines.tiles.upscale_image: raises
        DataError for unreadable files, ImageTooLargeError over `max_input_pixels`)."""
        return upscale_image(self.model, image, scale=self.scale, tile=tile, overlap=overlap, device=self.device,
                             max_input_pixels=max_input_pixels, progress_fn=progress_fn)


def load_upscaler(name_or_path: str | Path, device: torch.device | str = "cpu") -> Upscaler:
    """Load a super-resolution checkpoint by name (`photo-srresnet-x4`) or folder.

    Only safetensors and JSON are read: loading never unpickles code."""
    folder, card = open_sr_checkpoint(name_or_path)
    model = _build(card)
    load_weights(model, weights_file(folder, card, "generator", GENERATOR_FILE))
    return Upscaler(model, card, folder, device)


__all__ = ["Upscaler", "load_upscaler", "list_upscalers", "open_sr_checkpoint", "TASK"]
