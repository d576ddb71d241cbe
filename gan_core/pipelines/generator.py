"""Load a trained generator and sample from it.

>>> import torch, gan_core
>>> pipe = gan_core.load("faces-dcgan64")                        # doctest: +SKIP
>>> images = pipe(num_images=16, generator=torch.Generator().manual_seed(0))  # doctest: +SKIP
>>> pipe.grid(num_images=16, seed=0).save("faces.png")          # doctest: +SKIP

A seed gives the same images on every run and every device: the latent vectors
are always drawn on the CPU and only then moved to the model's device.
"""
from __future__ import annotations

import os
from pathlib import Path

import torch
from PIL import Image
from torch import nn

from gan_core.core.checkpoints import CARD_FILE, DISCRIMINATOR_FILE, GENERATOR_FILE, load_weights, read_json
from gan_core.core.errors import CheckpointError
from gan_core.core.images import make_grid, to_pil
from gan_core.models import ModelSpec, get_model

REPO_CHECKPOINTS = Path(__file__).resolve().parents[2] / "checkpoints"


def checkpoint_dirs() -> list[Path]:
    """Where named checkpoints are looked up: $GAN_CORE_CHECKPOINTS (os.pathsep
    separated), then the repository's `checkpoints/`."""
    extra = [Path(p) for p in os.environ.get("GAN_CORE_CHECKPOINTS", "").split(os.pathsep) if p]
    return extra + [REPO_CHECKPOINTS]


def list_checkpoints(task: str | None = "gan") -> list[str]:
    """Names of the loadable checkpoints (folders holding a model card) of one task:
    "gan" (generators, the default: what gan_core.load() reads), "super-resolution"
    (what gan_core.pipelines.upscaler.load_upscaler() reads), or None for all of them.

    A card's task is its "task" field; cards without one are GANs. A card that cannot
    be read counts as a GAN, so that loading it gives its error."""
    names = []
    for root in checkpoint_dirs():
        if root.is_dir():
            names += [p.name for p in sorted(root.iterdir()) if (p / CARD_FILE).is_file() and p.name not in names
                      and (task is None or card_task(p / CARD_FILE) == task)]
    return names


def card_task(card_file: Path) -> str:
    """The "task" a model card names ("gan" when it names none or cannot be read)."""
    try:
        card = read_json(card_file)
    except CheckpointError:
        return "gan"
    task = card.get("task", "gan") if isinstance(card, dict) else "gan"
    return task if isinstance(task, str) else "gan"


def resolve_checkpoint(name_or_path: str | Path) -> Path:
    """A checkpoint folder from a shipped name, a folder, or a file inside one."""
    folder = find_card_folder(name_or_path, CARD_FILE)
    if folder is None:
        known = ", ".join(list_checkpoints()) or "none"
        raise CheckpointError(f"no checkpoint {str(name_or_path)!r}: give a shipped name ({known}) "
                              f"or a folder with {CARD_FILE}")
    return folder


def open_task_checkpoint(name_or_path: str | Path, task: str) -> tuple[Path, dict]:
    """(folder, model card) of a checkpoint of `task` ("super-resolution", "style-transfer"):
    a shipped name, a folder with a model card, or a training run's folder (its export/).
    Raises CheckpointError, naming the checkpoints of that task, when there is none or the
    card names another task."""
    folder = find_card_folder(name_or_path, CARD_FILE)
    if folder is None:
        known = ", ".join(list_checkpoints(task=task)) or "none shipped"
        raise CheckpointError(f"no {task} checkpoint {str(name_or_path)!r}: give a shipped name "
                              f"({known}) or a folder with {CARD_FILE}")
    card = read_json(folder / CARD_FILE)
    if not isinstance(card, dict) or card.get("task") != task:
        other = card.get("task") if isinstance(card, dict) else None
        what = f"its card says \"task\": \"{other}\"" if other else "its card has no \"task\": a GAN generator?"
        raise CheckpointError(f"{folder / CARD_FILE} is not a {task} checkpoint ({what})")
    return folder, card


def find_card_folder(name_or_path: str | Path, card: str = CARD_FILE) -> Path | None:
    """Where `card` is for a name or path (see resolve_checkpoint), or None."""
    p = Path(name_or_path).expanduser()
    if p.is_file():
        p = p.parent
    if (p / card).is_file():
        return p
    if p.is_dir() and (p / "export" / card).is_file():  # a training run's folder
        return p / "export"
    if len(p.parts) == 1:
        for root in checkpoint_dirs():
            if (root / str(name_or_path) / card).is_file():
                return root / str(name_or_path)
    return None


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


def load(name_or_path: str | Path, device: torch.device | str = "cpu") -> GeneratorPipeline:
    """Load a shipped checkpoint by name (`faces-dcgan64`) or from a folder.

    Only safetensors and JSON are read: loading never unpickles code."""
    folder, card, spec = open_checkpoint(name_or_path)
    G = spec.build_generator()
    load_weights(G, weights_file(folder, card, "generator", GENERATOR_FILE))
    return GeneratorPipeline(G, spec, card, device, folder)


def load_discriminator(name_or_path: str | Path, device: torch.device | str = "cpu") -> nn.Module:
    folder, card, spec = open_checkpoint(name_or_path)
    D = spec.build_discriminator()
    load_weights(D, weights_file(folder, card, "discriminator", DISCRIMINATOR_FILE))
    return D.to(device).eval()


def open_checkpoint(name_or_path: str | Path) -> tuple[Path, dict, ModelSpec]:
    """(folder, model card, ModelSpec) of a checkpoint, without loading weights."""
    folder = resolve_checkpoint(name_or_path)
    card = read_json(folder / CARD_FILE)
    if not isinstance(card, dict):
        raise CheckpointError(f"{folder / CARD_FILE} must hold a JSON object (with \"model\" and \"files\"), "
                              f"not a {type(card).__name__}")
    return folder, card, _spec_from_card(card, folder)


def weights_file(folder: Path, card: dict, key: str, default: str) -> Path:
    """The weights file the card names for `key`: a plain file name inside the
    checkpoint folder (a card cannot point elsewhere)."""
    files = card.get("files", {})
    name = files.get(key, default) if isinstance(files, dict) else None
    if not isinstance(name, str) or not name or Path(name).name != name or name in (".", ".."):
        raise CheckpointError(f"{folder / CARD_FILE}: files.{key} must be a file name inside the checkpoint "
                              f"folder, not {name!r}")
    return folder / name


def _spec_from_card(card: dict, folder: Path) -> ModelSpec:
    if card.get("task", "gan") != "gan":
        raise CheckpointError(f"{folder} is a {card['task']} checkpoint, not a GAN generator"
                              + {"super-resolution": ": load it with gan_core.pipelines.upscaler.load_upscaler",
                                 "style-transfer": ": load it with gan_core.pipelines.style.load_style_transfer",
                                 }.get(card["task"], ""))
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
