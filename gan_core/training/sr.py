"""Training x4 super-resolution networks: SRResNet and SRGAN (Ledig et al., CVPR 2017),
and the CPU-sized LiteSR (gan_core.models.srgan) with today's recipe.

Two phases, as in the paper:
  * `mse`: the network alone on a pixel loss between its output and the HR crop
    (the paper's MSE with Adam at lr 1e-4; or `pixel_loss="l1"` with a cosine
    schedule, EDSR's and its successors' recipe): the PSNR-oriented model;
  * `gan`: SRGAN, the generator started from an `mse` run (`init_from`) and
    trained against the SRGAN discriminator with a content loss + 1e-3 x the
    adversarial loss -log D(G(LR)). The content loss is the paper's VGG54
    (MSE between VGG19 relu5_4 features, feature maps scaled by 1/12.75) when
    ImageNet VGG19 weights can be loaded: a local file (`vgg_weights`, read with
    safetensors or torch.load(weights_only=True)) or torchvision's download.
    Offline, it falls back to the discriminator's own features (MSE over its
    eight conv blocks, a learned comparison that needs no download) or, when
    asked, the pixel MSE. The model card says which loss was used, and why.

>>> from gan_core.training.sr import SRTrainConfig, train_sr
>>> cfg = SRTrainConfig(phase="mse", data=["../shared/data/sr/BSDS500_train"], out="runs/srresnet",
...                     steps=2000)                                                      # doctest: +SKIP
>>> result = train_sr(cfg, progress_fn=lambda step, metrics, samples: print(step, metrics))  # doctest: +SKIP

A run folder holds (as gan_core.training.loop's):
    config.json             the configuration the run started with
    log.jsonl               losses, img/s and (on sample steps) validation PSNR, every `log_every` steps
    samples/step_XXXXXX.png fixed validation crops, one row each: LR (nearest) | bicubic | SR | HR
    state.safetensors       nets, optimisers, RNG, step: --resume continues exactly
    export/                 generator.safetensors (+ discriminator.safetensors for `gan`) and
                            model_card.json, what gan_core.load() reads

Callbacks: progress_fn(step, metrics, samples) every `log_every` steps (samples is a
PIL image on sample steps, else None); abort_fn() -> bool, polled every step: True
saves a checkpoint and returns.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

from gan_core.core.checkpoints import DISCRIMINATOR_FILE, GENERATOR_FILE, load_weights, read_tensors
from gan_core.core.hub import SUPER_RESOLUTION, open_checkpoint, weights_file
from gan_core.core.images import to_uint8
from gan_core.data.sr_pairs import SRPatches
from gan_core.evaluation.sr_metrics import psnr_y
from gan_core.models.srgan import SR_ARCHS, SR_SIZES, SRDiscriminator, build_sr_arch
from gan_core.pipelines.tiles import bicubic_upscale
from gan_core.training.losses import VGG_RESCALE, VGGLoss, feature_matching_loss, nonsaturating_loss
from gan_core.training.loop import (
    LR_SCHEDULES, AbortFn, ProgressFn, RunFolder, Task, TrainResult, crop_training_record, rounded, scheduled_rate,
    setup_device, train_loop,
)

PHASES = ("mse", "gan")
PIXEL_LOSSES = ("mse", "l1")
CONTENT_LOSSES = ("auto", "vgg", "discriminator", "pixel")
PAPER = "Ledig et al., Photo-Realistic Single Image Super-Resolution Using a Generative Adversarial Network, CVPR 2017"
ADVERSARIAL_WEIGHT = 1e-3  # the paper's weight of -log D(G(LR)) against the content loss
# VGG19's convolutions up to conv5_4 (torchvision's `features` layout, "M" = 2x2 max pool);
# relu5_4 after it is the paper's phi_{5,4}, the VGG54 loss.
VGG19_TO_CONV54 = [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512]
VALIDATION_CROPS = 4
CONTENT_NAMES = {"pixel": "pixel", "vgg": "vgg19 relu5_4", "discriminator": "discriminator features"}
CONTENT_DETAIL = {
    "pixel": "MSE between SR and HR pixels in [-1, 1]",
    "vgg": f"MSE between VGG19 relu5_4 feature maps (ImageNet weights) of SR and HR, maps divided by "
           f"{VGG_RESCALE} (the paper's VGG54)",
    "discriminator": "mean over the discriminator's 8 conv blocks of the MSE between their activations on SR "
                     "and on HR (stands in for VGG54 when ImageNet weights are not available)",
}


@dataclass
class SRTrainConfig:
    phase: str = "mse"  # "mse": the network on a pixel loss; "gan": SRGAN's recipe, generator from `init_from`
    data: list[str] = field(default_factory=list)
    out: str = "runs/sr"
    name: str | None = None  # the exported model's name; default: the run folder's name
    steps: int = 2000
    scale: int = 4
    arch: str = "srresnet"  # the generator (gan_core.models.srgan.SR_ARCHS)
    blocks: int | None = None  # None: the architecture's own size (SR_SIZES)
    channels: int | None = None
    hr_size: int = 96  # HR crop side (the paper's 96: D is built for it)
    batch_size: int = 16  # the paper's
    lr: float = 1e-4  # Adam, both nets (the paper's)
    beta1: float = 0.9
    # The mse phase's pixel loss: "mse" (the paper's) or "l1" (EDSR: sharper, converges faster).
    pixel_loss: str = "mse"
    # "step": the rate as given, multiplied by 0.1 from lr_drop_at on (the paper's SRGAN: half-way);
    # "cosine": from lr down to 0 over the run's steps (the lightweight-SR papers' schedule).
    lr_schedule: str = "step"
    lr_drop_at: int | None = None
    # gan phase
    content_loss: str = "auto"  # auto: vgg when weights load, else discriminator; or vgg, discriminator, pixel
    vgg_weights: str | None = None  # a local VGG19 ImageNet state dict (.safetensors, or .pth read weights-only)
    adversarial_weight: float = ADVERSARIAL_WEIGHT
    # Extra W x pixel MSE in the content loss. The discriminator's features sit behind
    # batch norm, which hides global colour shifts: without a pixel term the colours drift.
    pixel_weight: float = 0.0
    d_channels: int = 64  # the discriminator's first width (the paper's 64; 32 costs a quarter, for a CPU)
    init_from: str | None = None  # an SR checkpoint (an `mse` run's export) to start the generator from
    # data
    max_images: int | None = None
    augment: bool = True  # random flips and 90-degree rotations
    # loop
    seed: int = 0
    sample_every: int = 100
    checkpoint_every: int = 100
    log_every: int = 10
    device: str = "auto"
    channels_last: bool = True
    resume: bool = False
    hardware_note: str | None = None  # e.g. "shared with other training": written next to the hardware
    data_note: str | None = None  # licence and citations of the data, for the card
    command: str | None = None  # recorded in the model card; default: this process's command line

    @classmethod
    def from_dict(cls, d: dict) -> "SRTrainConfig":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})

    def size(self) -> tuple[int, int]:
        """(blocks, channels) of the generator: as given, else its architecture's default."""
        default_blocks, default_channels = SR_SIZES[self.arch]
        return self.blocks or default_blocks, self.channels or default_channels

    def check(self) -> None:
        if self.arch not in SR_ARCHS:
            raise ValueError(f"the network must be one of {', '.join(SR_ARCHS)}, not {self.arch!r}")
        if self.pixel_loss not in PIXEL_LOSSES:
            raise ValueError(f"the pixel loss must be one of {', '.join(PIXEL_LOSSES)}, not {self.pixel_loss!r}")
        if self.lr_schedule not in LR_SCHEDULES:
            raise ValueError(f"the schedule must be one of {', '.join(LR_SCHEDULES)}, not {self.lr_schedule!r}")
        if self.lr_schedule == "cosine" and self.lr_drop_at is not None:
            raise ValueError("--lr-drop-at belongs to the step schedule; the cosine one falls to 0 by itself")
        for value, what in ((self.blocks, "blocks"), (self.channels, "channels")):
            if value is not None and not (isinstance(value, int) and 1 <= value <= 256):
                raise ValueError(f"{what} must be a whole number from 1 to 256, not {value!r}")
        if self.phase not in PHASES:
            raise ValueError(f"phase must be one of {', '.join(PHASES)}, not {self.phase!r}")
        if self.content_loss not in CONTENT_LOSSES:
            raise ValueError(f"content loss must be one of {', '.join(CONTENT_LOSSES)}, not {self.content_loss!r}")
        if not (isinstance(self.d_channels, int) and 8 <= self.d_channels <= 256):
            raise ValueError(f"the discriminator's channels must be a whole number from 8 to 256, not {self.d_channels!r}")
        if not self.pixel_weight >= 0:
            raise ValueError(f"pixel weight must be 0 or more, not {self.pixel_weight}")
        if self.steps < 1 or self.batch_size < 1:
            raise ValueError("steps and batch size must be at least 1")
        if self.phase == "gan" and self.hr_size % 16:
            raise ValueError(f"the SRGAN discriminator needs HR crops a multiple of 16 px, not {self.hr_size}")
        if self.hr_size % self.scale:
            raise ValueError(f"the HR crop ({self.hr_size} px) must be a multiple of the scale ({self.scale})")


# ----------------------------------------------------------------------------- content loss


def vgg19_features() -> nn.Sequential:
    """VGG19 up to relu5_4, laid out as torchvision's `vgg19().features[:36]` so its
    state dict loads as is:  (N, 3, H, W) -> (N, 512, H/16, W/16)."""
    layers: list[nn.Module] = []
    width = 3
    for v in VGG19_TO_CONV54:
        if v == "M":
            layers.append(nn.MaxPool2d(2, 2))
        else:
            layers += [nn.Conv2d(width, v, 3, padding=1), nn.ReLU(inplace=True)]
            width = v
    return nn.Sequential(*layers)


def load_vgg19(weights: str | None = None) -> tuple[nn.Module, str]:
    """(VGG19 relu5_4 feature extractor, where its weights came from), frozen, in eval mode.

    `weights`: a local file (a torchvision vgg19 state dict, whole or `features.*` only),
    read with safetensors or torch.load(weights_only=True), never unpickling code.
    Without it, torchvision's ImageNet weights (from its cache, or downloaded).
    Raises OSError/RuntimeError/ValueError when they cannot be had."""
    net = vgg19_features()
    if weights:
        path = Path(weights).expanduser()
        if path.suffix == ".safetensors":
            tensors = read_tensors(path)[0]
        else:
            try:
                tensors = torch.load(path, map_location="cpu", weights_only=True)
            except FileNotFoundError:
                raise ValueError(f"--vgg-weights {path}: not found") from None
            except Exception as exc:  # weights_only refuses anything but tensors and plain containers
                raise ValueError(f"--vgg-weights {path} could not be read as a plain state dict ({exc})") from None
        if not isinstance(tensors, dict):
            raise ValueError(f"--vgg-weights {path} holds a {type(tensors).__name__}, not a state dict")
        source = str(path)
    else:
        from torchvision.models import VGG19_Weights, vgg19

        tensors = vgg19(weights=VGG19_Weights.IMAGENET1K_V1).state_dict()
        source = "torchvision VGG19_Weights.IMAGENET1K_V1"
    own = {k: v for k, v in tensors.items() if k.startswith("features.")}
    own = {k[len("features."):]: v for k, v in own.items()} if own else dict(tensors)
    wanted = net.state_dict()
    try:
        net.load_state_dict({k: own[k] for k in wanted})
    except (KeyError, RuntimeError) as exc:
        raise ValueError(f"{source} is not a VGG19 state dict ({type(exc).__name__}: {exc})") from None
    return net.eval().requires_grad_(False), source


def resolve_content_loss(config: SRTrainConfig) -> tuple[str, nn.Module | None, str]:
    """(kind, VGG loss module or None, note for the card) for a config.

    `auto` tries the VGG weights and falls back to the discriminator's features; an
    explicit `vgg` that cannot load its weights is an error (the user asked for it)."""
    if config.phase == "mse":
        return "pixel", None, f"the mse phase: pixel {config.pixel_loss.upper()} only"
    if config.content_loss in ("pixel", "discriminator"):
        return config.content_loss, None, f"chosen: --content-loss {config.content_loss}"
    try:
        vgg, source = load_vgg19(config.vgg_weights)
    except Exception as exc:  # offline, no torchvision, a bad file: say why in the card
        if config.content_loss == "vgg":
            raise ValueError(f"the VGG19 content loss needs ImageNet weights: {exc}. Give a local file with "
                             "--vgg-weights PATH, or choose --content-loss discriminator") from None
        reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:300]
        return "discriminator", None, f"VGG19 ImageNet weights could not be loaded ({reason}); fell back"
    return "vgg", VGGLoss(vgg), f"VGG19 weights: {source}"


# ----------------------------------------------------------------------------- the task


def train_sr(config: SRTrainConfig, progress_fn: ProgressFn | None = None, abort_fn: AbortFn | None = None,
             patches: SRPatches | None = None,
             data_progress: Callable[[int, int], None] | None = None) -> TrainResult:
    """Train an SR network on a pixel loss (`phase="mse"`) or as SRGAN (`phase="gan"`) as `config` says.

    Raises TrainingDiverged on NaN/inf (the last good checkpoint stays), DataError
    for unusable data, FileExistsError when `out` already holds a run and `resume`
    is off, ValueError for a bad configuration."""
    config.check()
    run = RunFolder(config.out, config.resume)
    if run.resuming:
        run.check_same(config, ("phase", "scale", "arch", "blocks", "channels", "hr_size"))
    device, _, _ = setup_device(config.device)
    if patches is None:
        patches = SRPatches(config.data, config.hr_size, config.scale, max_images=config.max_images,
                            augment=config.augment, progress=data_progress)
    if (patches.hr_size, patches.scale) != (config.hr_size, config.scale):
        raise ValueError(f"the patches are {patches.hr_size} px at x{patches.scale}, the config asks for "
                         f"{config.hr_size} px at x{config.scale}")
    task = SRTask(config, patches, device)
    init_record = None
    if not run.resuming and config.init_from:
        init_record = _init_from(config.init_from, task.G, task.D)
    return train_loop(task, run, {**asdict(config), "init_record": init_record}, total=config.steps,
                      log_every=config.log_every, sample_every=config.sample_every,
                      checkpoint_every=config.checkpoint_every, progress_fn=progress_fn, abort_fn=abort_fn)


class SRTask(Task):
    """The pixel-loss step or SRGAN's adversarial one, the validation rows
    (LR | bicubic | SR | HR) with their PSNR, and the SR model card."""

    def __init__(self, config: SRTrainConfig, patches: SRPatches, device: torch.device):
        self.config, self.patches, self.device = config, patches, device
        self.out = Path(config.out)
        self.batch_size = config.batch_size
        self.diverged_hint = (f"--resume continues from it, or --init-from {self.out / 'export'} starts again from "
                              "its weights with new settings (say, a lower --lr).")
        torch.manual_seed(config.seed)  # weight init
        self.G = G = build_sr_arch(config.arch, config.scale, *config.size()).to(device)
        self.opt_g = torch.optim.Adam(G.parameters(), lr=config.lr, betas=(config.beta1, 0.999))
        self.nets, self.optimizers = {"G": G}, {"optG": self.opt_g}
        self.exports = {GENERATOR_FILE: G}
        self.D = self.opt_d = None
        if config.phase == "gan":
            self.D = SRDiscriminator(config.hr_size, config.d_channels).to(device)
            self.opt_d = torch.optim.Adam(self.D.parameters(), lr=config.lr, betas=(config.beta1, 0.999))
            self.nets["D"], self.optimizers["optD"] = self.D, self.opt_d
            self.exports[DISCRIMINATOR_FILE] = self.D
        if config.channels_last:
            for net in self.nets.values():
                net.to(memory_format=torch.channels_last)
        self.content_kind, self.vgg_loss, self.content_note = resolve_content_loss(config)
        if self.vgg_loss is not None:
            self.vgg_loss = self.vgg_loss.to(device)
        self.crops = torch.Generator().manual_seed(config.seed + 1)  # every random choice of the data
        self.generators = {"crop_rng": self.crops}
        self.metric_names = ((f"loss_{config.pixel_loss}",) if config.phase == "mse" else
                             ("loss_content", "loss_adv", "loss_g", "loss_d", "d_x", "d_g_z"))
        self.val_lr, self.val_hr = patches.fixed_pairs(VALIDATION_CROPS)
        self.val_hr8, self.val_lr8 = to_uint8(self.val_hr), to_uint8(self.val_lr)
        self.psnr_bicubic = float(np.mean([psnr_y(bicubic_upscale(lr, config.scale), hr, border=config.scale)
                                           for lr, hr in zip(self.val_lr8, self.val_hr8)]))
        self.last_val: dict = {}

    def step(self, step: int) -> torch.Tensor:
        config, device = self.config, self.device
        rate = learning_rate(config, step)
        for opt in self.optimizers.values():
            for group in opt.param_groups:
                group["lr"] = rate
        lr_img, hr = self.patches.batch(config.batch_size, self.crops)
        lr_img, hr = lr_img.to(device), hr.to(device)
        if config.channels_last:
            lr_img, hr = lr_img.contiguous(memory_format=torch.channels_last), hr.contiguous(memory_format=torch.channels_last)
        sr = self.G(lr_img)
        if config.phase == "mse":
            loss = pixel_distance(config, sr, hr)
            self.opt_g.zero_grad(set_to_none=True)
            loss.backward()
            self.opt_g.step()
            return loss.detach().reshape(1)
        return torch.stack(_gan_step(config, self.G, self.D, self.opt_g, self.opt_d, sr, hr, self.content_kind,
                                     self.vgg_loss))

    def state_info(self) -> dict:
        return {"data_hash": self.patches.content_hash, "content_loss": self.content_kind,
                "content_note": self.content_note}

    def resume(self, info: dict, tensors: dict[str, torch.Tensor]) -> None:
        if info["data_hash"] != self.patches.content_hash:
            raise ValueError(f"the data differs from the data {self.out} was trained on "
                             f"(content hash {self.patches.content_hash} vs {info['data_hash']})")
        self.content_kind, self.content_note = info["content_loss"], info["content_note"]
        if self.content_kind == "vgg" and self.vgg_loss is None:
            raise ValueError(f"{self.out} was trained with the VGG19 content loss, whose weights cannot be loaded now")

    @torch.no_grad()
    def samples(self) -> tuple[Image.Image, dict]:
        G = self.G
        was_training = G.training
        G.eval()  # running BatchNorm statistics, as at inference
        sr = to_uint8(G(self.val_lr.to(self.device)))
        G.train(was_training)
        s = self.config.scale
        psnr = float(np.mean([psnr_y(a, b, border=s) for a, b in zip(sr, self.val_hr8)]))
        gap = np.full((2, 4 * self.config.hr_size + 6, 3), 255, np.uint8)
        rows = []
        for lr, out, hr in zip(self.val_lr8, sr, self.val_hr8):
            rows += [sample_row(lr, out, hr, s), gap]
        self.last_val = {"psnr_val": round(psnr, 3), "psnr_val_bicubic": round(self.psnr_bicubic, 3)}
        return Image.fromarray(np.concatenate(rows[:-1], 0)), self.last_val

    def card(self, step: int, wall: float, metrics: dict) -> dict:
        c, p = self.config, self.patches
        gan = c.phase == "gan"
        saved = json.loads((self.out / "config.json").read_text())
        files = {"generator": GENERATOR_FILE, **({"discriminator": DISCRIMINATOR_FILE} if gan else {})}
        blocks, channels = c.size()
        network = SR_ARCHS[c.arch][1].split(":")[0].split(" (")[0]
        pixel = "pixel MSE" if c.pixel_loss == "mse" else "pixel L1"
        return {
            "name": c.name or self.out.name,
            "task": SUPER_RESOLUTION,
            "model": c.arch,
            "scale": c.scale,
            "description": (f"x{c.scale}: {network} trained against a discriminator (SRGAN's recipe, perceptual)"
                            if gan else f"x{c.scale}: {network} trained on {pixel} (PSNR-oriented)"),
            "architecture": SR_ARCHS[c.arch][1],
            "paper": PAPER,
            "config": {"phase": c.phase, "scale": c.scale, "blocks": blocks, "channels": channels,
                       "hr_size": c.hr_size, "batch_size": c.batch_size, "lr": c.lr, "betas": [c.beta1, 0.999],
                       "pixel_loss": c.pixel_loss, "lr_schedule": c.lr_schedule, "lr_drop_at": c.lr_drop_at,
                       **({"d_channels": c.d_channels} if gan else {}),
                       "augment": c.augment},
            "loss": {"content": CONTENT_NAMES[self.content_kind],
                     "content_detail": (CONTENT_DETAIL[self.content_kind] if self.content_kind != "pixel" or
                                        c.pixel_loss == "mse" else
                                        "mean absolute difference between SR and HR pixels in [-1, 1] (L1)"),
                     "note": self.content_note,
                     "adversarial": "-log D(G(LR)) (non-saturating BCE)" if gan else None,
                     "adversarial_weight": c.adversarial_weight if gan else 0.0,
                     "pixel_weight": c.pixel_weight if gan and self.content_kind != "pixel" else None,
                     "pixel_loss": c.pixel_loss},
            "data": {**p.summary(), "note": c.data_note},
            "value_range": "LR input and SR output RGB in [-1, 1]; clamp the output",
            "training": crop_training_record(c, step, wall, self.device, init_from=saved.get("init_record")),
            "metrics": {"training": rounded(metrics, 5),
                        "validation_crops": {**self.last_val, "note": f"{VALIDATION_CROPS} centre crops of training "
                                             "photos: a progress check, not a benchmark (see evaluation)"}},
            "files": files,
        }


def pixel_distance(config: SRTrainConfig, sr: torch.Tensor, hr: torch.Tensor) -> torch.Tensor:
    """The config's pixel loss between SR and HR: MSE (the paper's) or L1."""
    return F.l1_loss(sr, hr) if config.pixel_loss == "l1" else F.mse_loss(sr, hr)


def learning_rate(config: SRTrainConfig, step: int) -> float:
    """The config's rate at `step` (see gan_core.training.loop.scheduled_rate).

    >>> learning_rate(SRTrainConfig(lr=1e-3, lr_schedule="cosine", steps=100), 50)
    0.0005
    """
    return scheduled_rate(config.lr, step, config.steps, config.lr_schedule, config.lr_drop_at)


def _gan_step(config, G, D, opt_g, opt_d, sr, hr, content_kind, vgg_loss) -> list[torch.Tensor]:
    """One discriminator and one generator update; returns the logged values."""
    # (1) Update D: HR -> 1, SR -> 0, two passes so BatchNorm sees all-real and all-fake batches.
    opt_d.zero_grad(set_to_none=True)
    out_real = D(hr)
    loss_real = F.binary_cross_entropy_with_logits(out_real, torch.ones_like(out_real))
    loss_real.backward()
    out_fake = D(sr.detach())
    loss_fake = F.binary_cross_entropy_with_logits(out_fake, torch.zeros_like(out_fake))
    loss_fake.backward()
    opt_d.step()
    # (2) Update G: content + 1e-3 x -log D(G(LR)). D is frozen: its weight gradients would be thrown away.
    opt_g.zero_grad(set_to_none=True)
    D.requires_grad_(False)
    feats = D.features(sr)
    adv = nonsaturating_loss(D.head(feats[-1]).flatten())
    if content_kind == "vgg":
        content = vgg_loss(sr, hr)
    elif content_kind == "discriminator":
        with torch.no_grad():
            target = D.features(hr)
        content = feature_matching_loss(feats, target)
    else:
        content = pixel_distance(config, sr, hr)
    if config.pixel_weight and content_kind != "pixel":
        content = content + config.pixel_weight * pixel_distance(config, sr, hr)
    loss_g = content + config.adversarial_weight * adv
    loss_g.backward()
    D.requires_grad_(True)
    opt_g.step()
    with torch.no_grad():
        return [content.detach(), adv.detach(), loss_g.detach(), (loss_real + loss_fake).detach(),
                torch.sigmoid(out_real).mean(), torch.sigmoid(out_fake).mean()]


def _init_from(checkpoint: str, G: nn.Module, D: nn.Module | None) -> dict:
    """Load an SR checkpoint's generator (and discriminator, when both have one) into
    fresh nets; returns what the card records about it."""
    folder, card = open_checkpoint(checkpoint, SUPER_RESOLUTION)
    arch, built = card.get("model", "srresnet"), architecture_name(G)
    if arch != built:
        raise ValueError(f"--init-from {checkpoint} is a {arch}, not a {built}: pass --arch {arch}")
    load_weights(G, weights_file(folder, card, "generator", GENERATOR_FILE))
    loaded_d = False
    if D is not None and isinstance(card.get("files"), dict) and "discriminator" in card["files"]:
        load_weights(D, weights_file(folder, card, "discriminator", DISCRIMINATOR_FILE))
        loaded_d = True
    training = card.get("training", {})
    return {"checkpoint": str(checkpoint), "name": card.get("name"), "phase": card.get("config", {}).get("phase"),
            "steps": training.get("steps"), "wall_time_s": training.get("wall_time_s"),
            "discriminator_loaded": loaded_d}


def architecture_name(net: nn.Module) -> str:
    """The SR_ARCHS name of a built network."""
    return next(name for name, (cls, _) in SR_ARCHS.items() if type(net) is cls)


def checkpoint_architecture(checkpoint: str) -> dict:
    """The generator an SR checkpoint holds, as SRTrainConfig fields (arch, blocks,
    channels): what a run started --init-from it builds unless told otherwise."""
    _, card = open_checkpoint(checkpoint, SUPER_RESOLUTION)
    config = card.get("config") if isinstance(card.get("config"), dict) else {}
    return {"arch": card.get("model", "srresnet"), "blocks": config.get("blocks"), "channels": config.get("channels")}


def sample_row(lr: np.ndarray, sr: np.ndarray, hr: np.ndarray, scale: int) -> np.ndarray:
    """One row LR (nearest) | bicubic | SR | HR of uint8 H x W x 3 crops."""
    near = np.repeat(np.repeat(lr, scale, 0), scale, 1)
    gap = np.full((hr.shape[0], 2, 3), 255, np.uint8)
    return np.concatenate([near, gap, bicubic_upscale(lr, scale), gap, sr, gap, hr], 1)


__all__ = ["SRTrainConfig", "train_sr", "SRTask", "load_vgg19", "vgg19_features", "resolve_content_loss",
           "PHASES"]
