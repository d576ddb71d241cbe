"""Training a latent encoder (gan_core.models.latent_encoder) for a fixed generator.

Each step (In-Domain GAN Inversion's recipe, Zhu et al. 2020, on a CPU budget):
  * the generator's own samples G(z), whose latents are known: the encoder learns
    E(G(z)) ~ z (latent loss) and G(E(G(z))) ~ G(z);
  * real faces x, whose latents are not known: the encoder learns G(E(x)) ~ x, in
    pixels and in the face network's feature maps (a comparison that sees eyes and
    mouths; `face-attributes`, trained here).
The generator stays frozen (eval mode: its BatchNorm running statistics). Validation:
the pixel and feature error of G(E(x)) on faces held out of the encoder's training,
and the latent error on samples of latents the training never draws.

>>> from gan_core.training.encoder import EncoderConfig, train_encoder
>>> cfg = EncoderConfig(generator="faces-dcgan64", data=["../shared/data/faces/celeba/img_align_celeba"],
...                     out="runs/faces-encoder")                                     # doctest: +SKIP
>>> train_encoder(cfg)                                                                 # doctest: +SKIP

The run folder is gan_core.training.loop's; its export/ (encoder.safetensors and
model_card.json with "task": "latent-encoder") is what gan_core.load() reads.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import torch
import torch.nn.functional as F
from PIL import Image

import gan_core
from gan_core.core.hub import ATTRIBUTE_CLASSIFICATION, GAN, LATENT_ENCODER
from gan_core.core.images import make_grid
from gan_core.data.image_set import ImageSet, load_images
from gan_core.models.latent_encoder import LatentEncoder
from gan_core.pipelines.encoder import ENCODER_FILE, generator_digest
from gan_core.training.losses import feature_matching_loss
from gan_core.training.loop import (
    AbortFn, ProgressFn, RunFolder, Task, TrainResult, net_hardware, rounded, run_command, setup_device, software,
    train_loop,
)

VALIDATION_FACES = 64  # the last faces of the set (by file name), never trained on
VALIDATION_SEED = 10_000  # the validation samples' latents: a seed the training's draws never reach
SHOWN = 8  # faces per row of the sample picture


@dataclass
class EncoderConfig:
    generator: str = "faces-dcgan64"  # the checkpoint whose latent space the encoder maps into
    data: list[str] = field(default_factory=list)  # real faces; none: the generator's samples only
    framing: str = "auto"
    out: str | None = None
    name: str | None = None
    steps: int = 3000
    batch_size: int = 32  # generated samples a step, and as many real faces when there are any
    lr: float = 1e-4
    width: int = 64
    latent_weight: float = 1.0
    pixel_weight: float = 1.0
    feature_weight: float = 1.0
    face_network: str | None = "face-attributes"  # None: pixels only
    seed: int = 0
    sample_every: int = 250
    checkpoint_every: int = 250
    log_every: int = 25
    device: str = "cpu"
    resume: bool = False
    command: str | None = None

    def check(self) -> None:
        if not 1 <= self.steps <= 10**7 or not 2 <= self.batch_size <= 4096:
            raise ValueError(f"steps must be 1 or more and the batch size 2-4096, not {self.steps}, {self.batch_size}")
        if not 0 < self.lr <= 1 or not 1 <= self.width <= 512:
            raise ValueError(f"the learning rate must be in (0, 1] and the width 1-512, not {self.lr}, {self.width}")
        for name in ("latent_weight", "pixel_weight", "feature_weight"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name.replace('_', ' ')} must be 0 or more, not {getattr(self, name)}")


def train_encoder(config: EncoderConfig, progress_fn: ProgressFn | None = None, abort_fn: AbortFn | None = None,
                  faces: ImageSet | None = None,
                  data_progress: Callable[[int, int], None] | None = None) -> TrainResult:
    """Train a LatentEncoder for `config.generator`. Raises CheckpointError for a generator
    or face network that cannot be loaded, DataError for unusable faces, ValueError for a
    bad setting, FileExistsError for an existing run without `resume`."""
    config.check()
    device, _, _ = setup_device(config.device)
    pipe = gan_core.load(config.generator, device=device, task=GAN)
    size = pipe.spec.image_size
    if faces is None and config.data:
        faces = load_images(config.data, size, framing=config.framing, progress=data_progress)
    if faces is not None and len(faces) <= VALIDATION_FACES:
        raise ValueError(f"the encoder needs more than {VALIDATION_FACES} faces ({VALIDATION_FACES} are held out "
                         f"to validate it); {len(faces)} given")
    face_net = None
    if config.face_network:
        face_net = gan_core.load(config.face_network, device=device, task=ATTRIBUTE_CLASSIFICATION).classifier
    run = RunFolder(config.out, config.resume) if config.out else None
    task = EncoderTask(config, pipe, faces, face_net, device)
    return train_loop(task, run, asdict(config), total=config.steps, log_every=config.log_every,
                      sample_every=config.sample_every, checkpoint_every=config.checkpoint_every,
                      progress_fn=progress_fn, abort_fn=abort_fn)


class EncoderTask(Task):
    """The encoder's step (latent, pixel and feature losses), its validation rows and card."""

    def __init__(self, config: EncoderConfig, pipe, faces: ImageSet | None, face_net, device: torch.device):
        self.config, self.pipe, self.device = config, pipe, device
        self.G = pipe.generator.eval().requires_grad_(False)
        self.face_net = face_net.eval().requires_grad_(False) if face_net is not None else None
        self.nz = pipe.spec.nz
        torch.manual_seed(config.seed)
        self.encoder = LatentEncoder(pipe.spec.image_size, self.nz, config.width).to(device)
        self.opt = torch.optim.Adam(self.encoder.parameters(), lr=config.lr, betas=(0.9, 0.999))
        self.rng = torch.Generator().manual_seed(config.seed + 1)
        self.batch_size = config.batch_size * (2 if faces is not None else 1)
        self.nets, self.optimizers = {"encoder": self.encoder}, {"opt": self.opt}
        self.generators = {"rng": self.rng}
        self.exports = {ENCODER_FILE: self.encoder}
        self.metric_names = ("loss", "latent", "pixel_fake", "pixel_real", "feature_real")
        self.faces, self.train_count = faces, (len(faces) - VALIDATION_FACES if faces is not None else 0)
        self.val_z = pipe.latents(VALIDATION_FACES, seed=VALIDATION_SEED).to(device)
        with torch.no_grad():
            self.val_fake = self.G(self.val_z)
        self.val_real = (faces.batch(torch.arange(self.train_count, len(faces))).to(device)
                         if faces is not None else None)
        self.last_val: dict = {}

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        return self.face_net.feature_maps(x) if self.face_net is not None else []

    def reconstruction_losses(self, recon: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(pixel MSE, face-feature MSE) between reconstructions and targets."""
        pixel = F.mse_loss(recon, target)
        if self.face_net is None:
            return pixel, torch.zeros((), device=recon.device)
        with torch.no_grad():
            target_maps = self.features(target)
        return pixel, feature_matching_loss(self.features(recon), target_maps)

    def step(self, step: int) -> torch.Tensor:
        c, n = self.config, self.config.batch_size
        z = torch.randn(n, self.nz, generator=self.rng).to(self.device)
        with torch.no_grad():
            fake = self.G(z)
        x = fake
        if self.faces is not None:
            real = self.faces.batch(torch.randint(self.train_count, (n,), generator=self.rng)).to(self.device)
            x = torch.cat([fake, real])
        w = self.encoder(x)
        latent = F.mse_loss(w[:n], z)
        recon = self.G(w)
        pixel_fake, _ = self.reconstruction_losses(recon[:n], fake)
        loss = c.latent_weight * latent + c.pixel_weight * pixel_fake
        pixel_real = feature_real = torch.zeros((), device=self.device)
        if self.faces is not None:
            pixel_real, feature_real = self.reconstruction_losses(recon[n:], x[n:])
            loss = loss + c.pixel_weight * pixel_real + c.feature_weight * feature_real
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        return torch.stack([loss, latent, pixel_fake, pixel_real, feature_real]).detach()

    @torch.no_grad()
    def validate(self) -> tuple[dict, torch.Tensor]:
        """(validation errors, the rows of the sample picture)."""
        self.encoder.eval()
        w = self.encoder(self.val_fake)
        recon_fake = self.G(w)
        val = {"val_latent": F.mse_loss(w, self.val_z).item(),
               "val_pixel_fake": F.mse_loss(recon_fake, self.val_fake).item()}
        rows = [self.val_fake[:SHOWN], recon_fake[:SHOWN]]
        if self.val_real is not None:
            recon_real = self.G(self.encoder(self.val_real))
            pixel, feature = self.reconstruction_losses(recon_real, self.val_real)
            val |= {"val_pixel_real": pixel.item(), "val_feature_real": feature.item()}
            rows += [self.val_real[:SHOWN], recon_real[:SHOWN]]
        self.encoder.train()
        return {k: round(v, 5) for k, v in val.items()}, torch.cat(rows).float().cpu()

    def samples(self) -> tuple[Image.Image, dict]:
        """Rows: generated faces, their reconstructions; held-out real faces, theirs."""
        self.last_val, rows = self.validate()
        return make_grid(rows, nrow=SHOWN), self.last_val

    def state_info(self) -> dict:
        return {"data_hash": self.faces.content_hash if self.faces is not None else None,
                "generator": generator_digest(self.pipe)}

    def resume(self, info: dict, tensors: dict) -> None:
        if info.get("data_hash") != (self.faces.content_hash if self.faces is not None else None):
            raise ValueError("the faces differ from those this run was trained on")
        if info.get("generator") != generator_digest(self.pipe):
            raise ValueError("the generator's weights differ from those this encoder was trained for")

    def card(self, step: int, wall: float, metrics: dict) -> dict:
        c, pipe = self.config, self.pipe
        if not self.last_val:
            self.last_val, _ = self.validate()
        return {
            "name": c.name or (Path(c.out).name if c.out else "latent-encoder"),
            "task": LATENT_ENCODER,
            "description": f"An encoder from {pipe.spec.image_size} px pictures to {pipe.name}'s {self.nz}-number "
                           f"latent space (a DCGAN discriminator's trunk, width {c.width}, "
                           f"{sum(p.numel() for p in self.encoder.parameters()) / 1e6:.1f} M weights): the first "
                           "guess of a projection, refined by gan_core.explore.projection",
            "generator": {"name": pipe.name, "weights_sha256": generator_digest(pipe)},
            "encoder": self.encoder.config(),
            "data": ({**self.faces.summary(), "sources": [str(s) for s in c.data],
                      "held_out": f"the last {VALIDATION_FACES} faces by file name, for validation"}
                     if self.faces is not None else {"description": "the generator's own samples only"}),
            "loss": {"latent": f"{c.latent_weight:g} x MSE(E(G(z)), z)",
                     "pixel": f"{c.pixel_weight:g} x MSE(G(E(x)), x), generated and real",
                     "feature": (f"{c.feature_weight:g} x mean MSE of {c.face_network}'s feature maps of G(E(x)) "
                                 "and x, real faces" if c.face_network and self.faces is not None else None)},
            "training": {"command": run_command(c.command), "steps": step, "planned_steps": c.steps,
                         "batch_size": c.batch_size, "lr": c.lr, "optimizer": "Adam (0.9, 0.999)", "seed": c.seed,
                         "wall_time_s": round(wall, 1), "hardware": net_hardware(self.encoder), **software()},
            "metrics": {"validation": self.last_val, "training": rounded(metrics, 5),
                        "note": f"MSE in [-1, 1] pixel units; real: {VALIDATION_FACES} held-out faces; fake: "
                                f"{VALIDATION_FACES} samples of seed {VALIDATION_SEED}"},
            "files": {"weights": ENCODER_FILE},
        }


__all__ = ["EncoderConfig", "train_encoder", "EncoderTask"]
