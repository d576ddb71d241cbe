"""Load a trained generator and sample from it.

>>> import torch, gan_core
>>> pipe = gan_core.load("faces-dcgan64")                        # doctest: +SKIP
>>> images = pipe(num_images=16, generator=torch.Generator().manual_seed(0))  # doctest: +SKIP
>>> pipe.grid(num_images=16, seed=0).save("faces.png")          # doctest: +SKIP

A seed gives the same images on every run and every device: the latent vectors
are always drawn on the CPU and only then moved to the model's device.
"""
from __future__ import annotations

from pathlib import Path

import torch
from PIL import Image
from torch import nn

from gan_core.core.checkpoints import CARD_FILE, DISCRIMINATOR_FILE, GENERATOR_FILE, build_checked
from gan_core.core.errors import CheckpointError
from gan_core.core.hub import GAN, open_checkpoint, weights_file
from gan_core.core.images import make_grid, to_pil
from gan_core.models import ModelSpec, get_model


FACES = "faces"  # a card's "draws" for a face generator


class GeneratorPipeline:
    """A trained generator, ready to sample: `pipe(num_images, generator=...)`.

    Attributes: `generator` (the nn.Module, in eval mode), `spec` (its ModelSpec),
    `card` (the model card as a dict), `device`.
    """

    def __init__(self, generator: nn.Module, spec: ModelSpec, card: dict | None = None,
                 device: torch.device | str = "cpu", path: Path | None = None):
        self.generator = generator.to(device).eval()
        self.spec = spec
        self.card = card or {}
        self.device = torch.device(device)
        self.path = path

    @property
    def name(self) -> str:
        return self.card.get("name") or self.spec.name

    @property
    def draws(self) -> str:
        """What the generator draws, from its card ("faces", "CIFAR-10 frogs", ...); "images"
        when the card does not say. Face-only tools (turn, attributes, projection) ask for FACES."""
        draws = self.card.get("draws")
        return draws if isinstance(draws, str) and draws.strip() else "images"

    @property
    def draws_faces(self) -> bool:
        return self.draws == FACES

    def latents(self, num_images: int, *, seed: int | None = None, generator: torch.Generator | None = None) -> torch.Tensor:
        """(num_images, nz) latent vectors, drawn on the CPU."""
        if generator is None:
            generator = torch.Generator().manual_seed(0 if seed is None else int(seed))
        return self.spec.sample_noise(num_images, generator=generator)

    @torch.no_grad()  # not inference_mode: callers may use the images as targets of a loss
    def decode(self, latents: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
        """Latents -> images (N, 3, H, W) in [-1, 1], on the CPU."""
        out = [self.generator(z.to(self.device)).float().cpu() for z in latents.split(batch_size)]
        return torch.cat(out)

    def __call__(self, num_images: int = 1, *, seed: int | None = None, generator: torch.Generator | None = None,
                 latents: torch.Tensor | None = None) -> list[Image.Image]:
        if latents is None:
            latents = self.latents(num_images, seed=seed, generator=generator)
        return to_pil(self.decode(latents))

    def grid(self, num_images: int = 16, *, seed: int | None = None, nrow: int | None = None,
             generator: torch.Generator | None = None) -> Image.Image:
        return make_grid(self.decode(self.latents(num_images, seed=seed, generator=generator)), nrow=nrow)

    @classmethod
    def from_pretrained(cls, folder: Path, card: dict, device: torch.device | str = "cpu") -> GeneratorPipeline:
        """The pipeline of a GAN checkpoint's folder and card (see gan_core.load)."""
        spec = model_spec(folder, card)
        G = build_checked(spec.build_generator, weights_file(folder, card, "generator", GENERATOR_FILE))
        return cls(G, spec, card, device, folder)


def load_discriminator(name_or_path: str | Path, device: torch.device | str = "cpu") -> nn.Module:
    """The discriminator of a GAN checkpoint, in eval mode (CheckpointError when it has none)."""
    folder, card = open_checkpoint(name_or_path, GAN)
    D = build_checked(model_spec(folder, card).build_discriminator,
                      weights_file(folder, card, "discriminator", DISCRIMINATOR_FILE))
    return D.to(device).eval()


def model_spec(folder: Path, card: dict) -> ModelSpec:
    """The ModelSpec a GAN's card names, at the width its nets were trained at."""
    if not isinstance(card.get("model"), str):
        raise CheckpointError(f"{folder / CARD_FILE} names no model: it needs \"model\": one of the names "
                              "that `python -m gan_core info` lists")
    try:
        spec = get_model(card["model"])
    except KeyError as exc:
        raise CheckpointError(f"{folder / CARD_FILE}: {exc.args[0] if exc.args else 'no model name'}") from None
    # The width the nets were trained at (ModelSpec.scaled); cards from before the
    # width setting, and hand-written ones, hold the paper's network.
    config = card.get("config")
    width = config.get("width", 1.0) if isinstance(config, dict) else 1.0
    try:
        return spec.scaled(width)
    except ValueError as exc:
        raise CheckpointError(f"{folder / CARD_FILE}: config.width: {exc}") from None
