"""A trained latent encoder (gan_core.models.latent_encoder): pictures to one generator's latents.

>>> import gan_core
>>> enc = gan_core.load("faces-dcgan64-encoder")        # a LatentEncoderPipeline; doctest: +SKIP
>>> z = enc(images)                                      # (N, nz) latents; doctest: +SKIP
>>> enc.fits(gan_core.load("faces-dcgan64"))             # trained for these very weights; doctest: +SKIP
True
>>> encoder_for(gan_core.load("faces-dcgan64"))          # the shipped encoder that fits, or None; doctest: +SKIP

Files: `encoder.safetensors` + `model_card.json` with `"task": "latent-encoder"`, the
architecture under "encoder" and the generator it was trained for (name and weights
digest) under "generator". An encoder trained for other weights of a generator (a
retrained model) does not fit them, and `encoder_for` does not offer it. No pickles.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import torch
import torch.nn.functional as F

from gan_core.core.checkpoints import CARD_FILE, GENERATOR_FILE, build_checked
from gan_core.core.errors import CheckpointError
from gan_core.core.hub import LATENT_ENCODER, checkpoint_name, list_checkpoints, open_checkpoint, weights_file
from gan_core.models.latent_encoder import LatentEncoder

ENCODER_FILE = "encoder.safetensors"


def weights_digest(path: Path) -> str:
    """The first 16 hex digits of a file's SHA-256: which generator weights an encoder fits."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def generator_digest(pipe) -> str:
    """The digest of a loaded generator's weights file ("" for one built in memory)."""
    if pipe.path is None:
        return ""
    return weights_digest(weights_file(pipe.path, pipe.card, "generator", GENERATOR_FILE))


class LatentEncoderPipeline:
    """`z = enc(images)`: latents (N, nz) on the CPU of images (N, 3, H, W) in [-1, 1] or
    uint8, any size (resized to the encoder's). Attributes: `encoder` (eval mode), `card`,
    `path`, `device`, `generator_name`."""

    def __init__(self, encoder: LatentEncoder, card: dict, path: Path | None = None,
                 device: torch.device | str = "cpu"):
        self.encoder = encoder.to(device).eval()
        self.card, self.path, self.device = card, path, torch.device(device)

    @property
    def name(self) -> str:
        return checkpoint_name(self.card, self.path, "latent-encoder")

    @property
    def generator_name(self) -> str | None:
        return (self.card.get("generator") or {}).get("name")

    def fits(self, pipe) -> bool:
        """Whether this encoder was trained for `pipe`'s very generator weights."""
        return (self.card.get("generator") or {}).get("weights_sha256") == generator_digest(pipe) != ""

    @torch.no_grad()
    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        x = images.float() / 127.5 - 1 if images.dtype == torch.uint8 else images.float()
        size = self.encoder.image_size
        if x.shape[-1] != size or x.shape[-2] != size:
            x = F.interpolate(x, (size, size), mode="area" if x.shape[-1] > size else "bilinear",
                              align_corners=None if x.shape[-1] > size else False)
        return self.encoder(x.to(self.device)).cpu()

    @classmethod
    def from_pretrained(cls, folder: Path, card: dict, device: torch.device | str = "cpu") -> LatentEncoderPipeline:
        try:
            cfg = card["encoder"]

            def build() -> LatentEncoder:
                return LatentEncoder(int(cfg["image_size"]), int(cfg["nz"]), int(cfg["width"]))
            with torch.device("meta"):
                build()
        except (KeyError, TypeError, ValueError) as exc:
            raise CheckpointError(f"{folder / CARD_FILE} does not describe a latent encoder: {exc}") from None
        encoder = build_checked(build, weights_file(folder, card, "weights", ENCODER_FILE))
        return cls(encoder, card, folder, device)


def find_encoder(pipe) -> tuple[Path, dict] | None:
    """(folder, card) of the shipped encoder trained for `pipe`'s generator weights, or None;
    nothing is loaded (whether Your photo can start from a guess)."""
    digest = generator_digest(pipe)
    for name in list_checkpoints(task=LATENT_ENCODER):
        try:
            folder, card = open_checkpoint(name, LATENT_ENCODER)
        except CheckpointError:
            continue
        if digest != "" and (card.get("generator") or {}).get("weights_sha256") == digest:
            return folder, card
    return None


def encoder_for(pipe, device: torch.device | str = "cpu") -> LatentEncoderPipeline | None:
    """The shipped encoder trained for `pipe`'s generator weights, loaded, or None when there is none."""
    found = find_encoder(pipe)
    try:
        return LatentEncoderPipeline.from_pretrained(*found, device) if found else None
    except CheckpointError:  # a damaged encoder: projection starts from random latents
        return None


__all__ = ["LatentEncoderPipeline", "encoder_for", "find_encoder", "generator_digest", "weights_digest", "ENCODER_FILE"]
