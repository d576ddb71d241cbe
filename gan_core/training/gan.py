"""Adversarial training of the registered GANs (DCGAN and its kin), driven from the CLI or a UI.

>>> from gan_core.training.gan import TrainConfig, train
>>> cfg = TrainConfig(model="dcgan64", data=["faces/celeba"], out="runs/faces", epochs=20)  # doctest: +SKIP
>>> result = train(cfg, progress_fn=lambda step, metrics, samples: print(step, metrics))    # doctest: +SKIP

The run folder, callbacks, resume and divergence guard are gan_core.training.loop's;
this module is the GAN's step, its sample grid (the fixed noise batch) and its model
card. The export holds generator + discriminator weights and model_card.json, what
gan_core.load() reads. Besides NaN/inf, a run stops when the discriminator has won
outright for `divergence_patience` steps (the generator then gets no gradient).
"""
from __future__ import annotations

import copy
import math
import re
import shlex
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.nn.utils.parametrizations import spectral_norm

from gan_core.core.checkpoints import DISCRIMINATOR_FILE, GENERATOR_FILE, load_weights
from gan_core.core.errors import TrainingDiverged
from gan_core.core.hardware import describe
from gan_core.core.hub import GAN, open_checkpoint, weights_file
from gan_core.core.images import make_grid
from gan_core.data.image_set import ImageSet, ShuffledBatches, framed_as_faces, load_images
from gan_core.data.shapes import SHAPES
from gan_core.evaluation.shape_score import shape_share
from gan_core.models import ModelSpec, get_model, model_names
from gan_core.models.registry import check_width
from gan_core.pipelines.generator import FACES, model_spec
from gan_core.training.augment import check_policies, diff_augment
from gan_core.training.losses import hinge_loss_d, hinge_loss_g, nonsaturating_loss
from gan_core.training.loop import (
    AbortFn, ProgressFn, RunFolder, Task, TrainResult, autocast_for, rounded, run_command, setup_device, software,
    train_loop,
)

METRIC_NAMES = ("loss_d", "loss_g", "d_x", "d_g_z1", "d_g_z2")
# Logged with each sample grid of a run on the built-in shapes: the share of the samples
# that the shipped shapes judge (gan_core.evaluation.shape_score) takes for a shape.
SHAPE_SHARE = "shape_share"
# The average's half-life is at most this share of the images seen so far, so that it
# does not hold on to the first random generator in a short run (StyleGAN2-ADA's ema_rampup).
EMA_RAMPUP = 0.05
# The average's BatchNorm statistics are measured afresh on this many generated images
# before it samples or is exported (BigGAN's "standing statistics"): the running statistics
# of the last step's G do not fit averaged weights (on the CIFAR-10 frogs they made the
# average score worse than the last step's G).
BN_RECALIBRATION_IMAGES = 512
LOSSES = ("bce", "hinge")
R1_EVERY = 16
# Self-supervised rotation (SS-GAN, Chen et al. 2019): D also tells which of four quarter
# turns a real image got, through a linear head on its last block; G is asked to make
# images whose turns D can tell, at this share of D's weight (the paper's alpha/beta, 0.2/1).
ROTATIONS = 4
ROTATION_G_SHARE = 0.2
MAX_STEPS = 1_000_000
MAX_BATCH_SIZE = 4096
LR_RANGE = (1e-6, 0.1)


@dataclass
class TrainConfig:
    model: str = "dcgan64"
    # Fraction of the paper's channel widths (see ModelSpec.scaled): 1 is the paper's
    # network; 0.25 costs about 1/16 of the multiply-adds, for CPU training.
    width: float = 1.0
    data: list[str] = field(default_factory=list)
    out: str = "runs/run"
    name: str | None = None  # the exported model's name; default: the run folder's name
    steps: int | None = None  # total steps; or give epochs
    epochs: float | None = None
    # Hyperparameters: None takes the model's paper defaults (see `gan_core info MODEL`).
    batch_size: int | None = None
    lr_g: float | None = None
    lr_d: float | None = None
    beta1: float | None = None
    label_noise: float | None = None
    clip_grad: float | None = None
    beta2: float | None = None  # Adam's beta2 (the papers': 0.999)
    # Half-life, in training images, of an exponential moving average of the generator's
    # weights that samples and the export use (as StyleGAN2-ADA's ema_kimg); 0 keeps
    # the papers' plain generator. The half-life ramps up with the images seen (EMA_RAMPUP).
    ema_images: float = 0.0
    # DiffAugment policies applied to real and generated images before the discriminator
    # (gan_core.training.augment: color, translation, cutout); none is the papers' recipe.
    augment: list[str] | None = None
    # The adversarial loss: "bce" (the papers': D's cross-entropy, G's non-saturating -log D(G(z)))
    # or "hinge" (SAGAN, BigGAN: D's max(0, 1 - D(x)) + max(0, 1 + D(G(z))), G's -D(G(z))).
    loss: str = "bce"
    # Spectral normalisation of D's convolution and linear weights (Miyato et al. 2018).
    spectral_norm: bool = False
    # R1 penalty weight gamma on D's gradient at real images (Mescheder et al. 2018), applied
    # every R1_EVERY steps at R1_EVERY times the weight (StyleGAN2's lazy regularisation); 0: none.
    r1: float = 0.0
    # Weight of D's rotation-prediction loss on real images (SS-GAN's beta; 0: none). It
    # teaches D features that a linear probe can use; G gets ROTATION_G_SHARE of it on its images.
    rotation: float = 0.0
    # The named recipe (gan_core.training.recipes.RECIPES) the command line filled options
    # from, recorded in the card; None: the options as given.
    recipe: str | None = None
    # Data
    classes: list[str] | None = None
    split: str | None = None
    framing: str = "auto"
    max_images: int | None = None
    flip: bool = False
    cache_dir: str | None = None
    # Loop
    seed: int = 0
    sample_seed: int = 0
    n_samples: int = 64
    sample_every: int = 500
    checkpoint_every: int = 1000
    log_every: int = 50
    divergence_patience: int = 2000  # steps of D(x) > 0.999 and D(G(z)) < 0.001 before stopping
    # Device
    device: str = "auto"
    amp: bool | None = None  # bf16 autocast; default on for CUDA
    channels_last: bool = True  # faster convolutions on CUDA and on CPU (oneDNN)
    compile: bool = False
    resume: bool = False
    init_from: str | None = None  # start from an exported checkpoint's G and D (fresh optimisers)
    command: str | None = None  # recorded in the model card; default: this process's command line

    def spec(self) -> ModelSpec:
        """The model to train: the registered architecture at this config's width."""
        return get_model(self.model).scaled(self.width)

    def hyperparameters(self) -> dict:
        spec = get_model(self.model)
        hp = dict(spec.defaults)
        for key in ("batch_size", "lr_g", "lr_d", "beta1", "beta2", "label_noise", "clip_grad"):
            if getattr(self, key) is not None:
                hp[key] = getattr(self, key)
        if self.loss == "hinge" and self.label_noise is None:
            hp["label_noise"] = 0.0  # noisy 0/1 labels are the cross-entropy's; the hinge has no labels
        return hp

    def check(self) -> None:
        """A ValueError naming the first setting out of its bounds (None means the model's default)."""
        if self.model not in model_names():
            raise ValueError(f"unknown model {self.model!r}; known models: {', '.join(model_names())}")
        check_width(self.width)
        # 0 steps writes the starting point as a run (say, an --init-from checkpoint to fine-tune in the app)
        _whole(self.steps, "steps", 0, MAX_STEPS, optional=True)
        if self.epochs is not None:
            _number(self.epochs, "epochs", 1e-6, 1e6)
        _whole(self.batch_size, "the batch size", 2, MAX_BATCH_SIZE, optional=True)
        _number(self.lr_g, "the generator's learning rate", *LR_RANGE, optional=True)
        _number(self.lr_d, "the discriminator's learning rate", *LR_RANGE, optional=True)
        if (self.beta1 is not None or self.beta2 is not None) and "beta1" not in get_model(self.model).defaults:
            raise ValueError(f"{self.model} trains with RMSprop, which has no betas: leave out Adam's beta1 and "
                             "beta2")
        _number(self.beta1, "Adam's beta1", 0.0, 0.999, optional=True)
        _number(self.beta2, "Adam's beta2", 0.0, 0.9999, optional=True)
        _number(self.ema_images, "the average's half-life in images", 0.0, 1e9)
        check_policies(self.augment)
        if self.loss not in LOSSES:
            raise ValueError(f"the loss must be one of {', '.join(LOSSES)}, not {self.loss!r}")
        if self.loss == "hinge" and self.label_noise:
            raise ValueError("label noise softens the cross-entropy's 0/1 labels; the hinge loss has none: "
                             "leave out the label noise or use the bce loss")
        _number(self.r1, "the R1 weight", 0.0, 1e4)
        _number(self.rotation, "the rotation loss weight", 0.0, 100.0)
        _number(self.label_noise, "the label noise", 0.0, 0.5, optional=True)
        _number(self.clip_grad, "the gradient clip", 1e-9, 1e9, optional=True)
        _whole(self.n_samples, "the number of samples", 1, 4096)
        for name in ("sample_every", "checkpoint_every", "log_every"):
            _whole(getattr(self, name), name, 1, MAX_STEPS)
        _whole(self.divergence_patience, "divergence_patience", 1, 10 * MAX_STEPS)
        if self.max_images is not None:
            _whole(self.max_images, "max_images", 1, 10**9)

    def command_line(self, data: list[str] | None = None) -> str:
        """The `python -m gan_core train ...` command that trains this config: what a run
        started elsewhere (the app's Train tab) records in its card. `data` names the
        images in place of `self.data` (the app keeps an upload under a server path)."""
        defaults = TrainConfig()
        args = ["python", "-m", "gan_core", "train", "--model", self.model]
        if self.width != 1.0:
            args += ["--width", f"{self.width:g}"]
        for source in (self.data if data is None else data):
            args += ["--data", str(source)]
        options = [("--classes", self.classes), ("--split", self.split), ("--max-images", self.max_images),
                   ("--steps", self.steps), ("--epochs", self.epochs if self.steps is None else None),
                   ("--batch-size", self.batch_size), ("--lr-g", self.lr_g), ("--lr-d", self.lr_d),
                   ("--beta1", self.beta1), ("--beta2", self.beta2), ("--label-noise", self.label_noise),
                   ("--clip-grad", self.clip_grad), ("--ema-images", self.ema_images or None),
                   ("--augment", self.augment or None), ("--loss", self.loss if self.loss != "bce" else None),
                   ("--r1", self.r1 or None), ("--rotation", self.rotation or None), ("--recipe", self.recipe)]
        if self.framing != defaults.framing:
            options.append(("--framing", self.framing))
        for name in ("seed", "sample_every", "checkpoint_every", "log_every"):
            if getattr(self, name) != getattr(defaults, name):
                options.append(("--" + name.replace("_", "-"), getattr(self, name)))
        for flag, value in options:
            if value is not None:
                args += [flag, *(map(str, value) if isinstance(value, list) else [f"{value:g}" if isinstance(
                    value, float) else str(value)])]
        if self.flip:
            args.append("--flip")
        if self.spectral_norm:
            args.append("--spectral-norm")
        args += ["--out", self.out or "runs/run"]
        if self.name:
            args += ["--name", self.name]
        return " ".join(shlex.quote(a) for a in args)

    def lengthened(self, steps: int) -> "TrainConfig":
        """This config trained on to `steps` in all (resuming). A recorded `--steps` says the
        new length: one run of that many steps gives the same weights, resume being exact."""
        command = self.command and re.sub(r"--steps \d+", f"--steps {steps}", self.command)
        return replace(self, steps=steps, epochs=None, resume=True, command=command)

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


def _number(value, name: str, low: float, high: float, optional: bool = False) -> None:
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or not low <= value <= high:
        raise ValueError(f"{name} must be a number from {low:g} to {high:g}, not {value!r}")


def _whole(value, name: str, low: int, high: int, optional: bool = False) -> None:
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name} must be a whole number from {low:,} to {high:,}, not {value!r}")


def train(config: TrainConfig, progress_fn: ProgressFn | None = None, abort_fn: AbortFn | None = None,
          dataset: ImageSet | None = None, data_progress: Callable[[int, int], None] | None = None) -> TrainResult:
    """Train `config.model` on `config.data` (or on a ready `dataset`).

    Raises TrainingDiverged on NaN or collapse (the last good checkpoint stays),
    DataError for unusable data, FileExistsError when `out` already holds a run
    and `resume` is off, ValueError for a bad configuration."""
    config.check()
    spec = config.spec()
    hp = config.hyperparameters()
    run = RunFolder(config.out, config.resume)
    if run.resuming:
        saved = run.saved_config()
        if saved["model"] != config.model:
            raise ValueError(f"{run.out} was trained as {saved['model']}, not {config.model}")
        saved_width = saved.get("width", 1.0)  # runs from before the width setting are at the paper's
        if saved_width != spec.width:
            raise ValueError(f"{run.out} was trained at width {saved_width:g}, not {spec.width:g}: a run resumes "
                             f"at its own width (--width {saved_width:g}); to change it, start a new run")

    device, rank, world = setup_device(config.device, distributed=True)
    if hp["batch_size"] % world:
        raise ValueError(f"batch size {hp['batch_size']} does not split over {world} processes")
    # Data: the whole uint8 set on the GPU when it fits, so batches never leave it.
    if dataset is None:
        dataset = load_images(config.data, spec.image_size, classes=config.classes, split=config.split,
                              framing=config.framing, max_images=config.max_images, cache_dir=config.cache_dir,
                              progress=data_progress if rank == 0 else None)
    if dataset.size != spec.image_size:
        raise ValueError(f"images are {dataset.size} px, {config.model} needs {spec.image_size} px")
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        if dataset.images.numel() < 0.5 * free:
            dataset = dataset.to(device)

    total = config.steps if config.steps is not None else math.ceil((config.epochs or 1) * len(dataset) / hp["batch_size"])
    task = GANTask(config, spec, hp, dataset, device, rank, world, total,
                   init_from=None if run.resuming else config.init_from)
    if rank == 0:
        run.save_real_sample(task.real_samples())
    return train_loop(task, run, {**asdict(config), "hyperparameters": hp}, total=total,
                      log_every=config.log_every, sample_every=config.sample_every,
                      checkpoint_every=config.checkpoint_every, progress_fn=progress_fn, abort_fn=abort_fn,
                      rank=rank, world=world)


class GANTask(Task):
    """The GAN's step (pytorch/examples dcgan's), its fixed-noise sample grid and its card."""

    metric_names = METRIC_NAMES
    log_digits = 5

    def __init__(self, config: TrainConfig, spec: ModelSpec, hp: dict, dataset: ImageSet, device: torch.device,
                 rank: int, world: int, total: int, init_from: str | None = None):
        self.config, self.spec, self.hp, self.dataset, self.device = config, spec, hp, dataset, device
        self.rank, self.world, self.total = rank, world, total  # total: the planned steps, for the card
        self.batch_size = hp["batch_size"]
        self.diverged_hint = (f"--resume continues from it, or --init-from {Path(config.out) / 'export'} starts "
                              "again from its weights with new settings (say, lower learning rates).")
        torch.manual_seed(config.seed + rank)  # weight init and dropout
        G = spec.build_generator().to(device)
        D = spec.build_discriminator().to(device)
        if init_from:
            _init_from(init_from, spec, G, D)
        if config.spectral_norm:
            D = with_spectral_norm(D)
        if config.channels_last:
            G, D = G.to(memory_format=torch.channels_last), D.to(memory_format=torch.channels_last)
        self.G, self.D = G, D
        self.opt_g, self.opt_d = spec.make_optimizers(G, D, hp)
        self.batches = ShuffledBatches(len(dataset), hp["batch_size"], config.seed, device=dataset.images.device)
        # Latents, flips and label noise come from one generator on the training device, so
        # the loop never waits on a host-to-device copy; its state is saved for resume.
        self.noise_gen = torch.Generator(device).manual_seed(config.seed + 1)
        self.fixed_noise = spec.sample_noise(config.n_samples, torch.Generator().manual_seed(config.sample_seed))
        self.nets = {"G": G, "D": D}
        # The generator that samples and is exported: G's running average, or G itself.
        self.G_ema = None
        if config.ema_images > 0:
            self.G_ema = copy.deepcopy(G).requires_grad_(False)
            self.nets["G_ema"] = self.G_ema
        self.G_out = self.G_ema if self.G_ema is not None else G
        self.averaged_at, self.calibrated_at = 0, None  # the average's last update; its BatchNorm's last measure
        # SS-GAN's rotation head: trained with D (a parameter group of D's optimiser), kept
        # in the training state for resume, not exported (D's blocks are what a probe reads).
        self.rotation_head = None
        if config.rotation:
            if world > 1:
                raise ValueError("--rotation trains on one process: its head reads D's blocks outside "
                                 "DistributedDataParallel, whose gradients would not be shared")
            self.rotation_head = rotation_head(D, spec.image_size).to(device)
            self.nets["D_rotation"] = self.rotation_head
            self.opt_d.add_param_group({"params": list(self.rotation_head.parameters())})
        self.optimizers = {"optG": self.opt_g, "optD": self.opt_d}
        self.generators = {"data_rng": self.batches.generator, "noise_rng": self.noise_gen}

        self.G_train, self.D_train = G, D
        if world > 1:
            ids = [device.index] if device.type == "cuda" else None
            self.G_train, self.D_train = DDP(G, device_ids=ids), DDP(D, device_ids=ids)
        self.D_frozen = D  # the discriminator as the generator step sees it
        if config.compile:
            self.G_train, self.D_train, self.D_frozen = (torch.compile(self.G_train), torch.compile(self.D_train),
                                                         torch.compile(D))
        self.autocast = autocast_for(device, config.amp)
        self.collapse_steps = 0
        self.judge_shapes = dataset.class_names == list(SHAPES)
        policies = check_policies(config.augment)
        # The draws come from the noise generator, whose state is saved: resume stays exact.
        self.augment = (lambda x: diff_augment(x, policies, self.noise_gen)) if policies else (lambda x: x)

    def sampling_generator(self) -> nn.Module:
        """The generator that samples and is exported: G, or the average with BatchNorm
        statistics of its own (measured once per average, not on every call)."""
        if self.G_ema is not None and self.calibrated_at != self.averaged_at:
            recalibrate_batchnorm(self.G_ema, self.spec, self.device)
            self.calibrated_at = self.averaged_at
        return self.G_out

    @property
    def exports(self) -> dict:
        """What export/ holds: the sampling generator and D (with spectral norm folded into
        plain weights, so every loader reads it as the paper's D)."""
        D = without_spectral_norm(self.D, self.spec.build_discriminator) if self.config.spectral_norm else self.D
        return {GENERATOR_FILE: self.sampling_generator(), DISCRIMINATOR_FILE: D}

    def step(self, step: int) -> torch.Tensor:
        hp, spec, config, gen, device = self.hp, self.spec, self.config, self.noise_gen, self.device
        n, part = hp["batch_size"], slice(self.rank, None, self.world)  # this process's share of the batch
        G, D, opt_g, opt_d, autocast = self.G, self.D, self.opt_g, self.opt_d, self.autocast
        idx = self.batches.next()[part]
        flip = (torch.rand(n, generator=gen, device=device) < 0.5)[part] if config.flip else None
        z = torch.randn((n, *spec.noise_shape), generator=gen, device=device)[part]
        noise = torch.rand(2, n, generator=gen, device=device)[:, part] * hp["label_noise"]
        real_target, fake_target = 1.0 - noise[0], noise[1]  # soft, noisy labels when label_noise > 0
        real = self.dataset.batch(idx, flip)
        if config.channels_last:
            real = real.contiguous(memory_format=torch.channels_last)
        with autocast():
            fake = self.G_train(z)

        # (1) Update D: maximize log(D(x)) + log(1 - D(G(z))), in two backward passes,
        # as BatchNorm must see all-real and all-fake batches separately.
        opt_d.zero_grad(set_to_none=True)
        hinge = config.loss == "hinge"
        with autocast():
            out_real = self.D_train(self.augment(real)).float()
        loss_real = hinge_loss_d(out_real, True) if hinge else F.binary_cross_entropy_with_logits(out_real, real_target)
        loss_real.backward()
        with autocast():
            out_fake = self.D_train(self.augment(fake.detach())).float()
        loss_fake = hinge_loss_d(out_fake, False) if hinge else F.binary_cross_entropy_with_logits(out_fake, fake_target)
        loss_fake.backward()
        if config.r1 and step % R1_EVERY == 0:
            self.r1_penalty(real).backward()
        if self.rotation_head is not None:
            (config.rotation * self.rotation_loss(real)).backward()
        if hp["clip_grad"]:
            torch.nn.utils.clip_grad_value_(D.parameters(), hp["clip_grad"])
        opt_d.step()

        # (2) Update G: maximize log(D(G(z))), the non-saturating loss. D is frozen (and
        # unwrapped from DDP) here: its weight gradients would be thrown away.
        opt_g.zero_grad(set_to_none=True)
        frozen = [D] if self.rotation_head is None else [D, self.rotation_head]
        for net in frozen:
            net.requires_grad_(False)
        with autocast():
            out_g = self.D_frozen(self.augment(fake)).float()
        loss_g = hinge_loss_g(out_g) if hinge else nonsaturating_loss(out_g)
        if self.rotation_head is not None:
            loss_g = loss_g + config.rotation * ROTATION_G_SHARE * self.rotation_loss(fake)
        loss_g.backward()
        for net in frozen:
            net.requires_grad_(True)
        if hp["clip_grad"]:
            torch.nn.utils.clip_grad_value_(G.parameters(), hp["clip_grad"])
        opt_g.step()
        if self.G_ema is not None:
            self.update_average(step)

        with torch.no_grad():
            return torch.stack([loss_real + loss_fake, loss_g, torch.sigmoid(out_real).mean(),
                                torch.sigmoid(out_fake).mean(), torch.sigmoid(out_g).mean()])

    def r1_penalty(self, real: torch.Tensor) -> torch.Tensor:
        """gamma / 2 * E ||grad_x D(x)||^2 on the (augmented) real batch, times R1_EVERY as it
        is taken every R1_EVERY steps. In float32: a second derivative under bf16 is too coarse."""
        x = self.augment(real).detach().requires_grad_(True)
        out = self.D_train(x).float()
        grad, = torch.autograd.grad(out.sum(), x, create_graph=True)
        return grad.pow(2).flatten(1).sum(1).mean() * (self.config.r1 / 2) * R1_EVERY

    def rotation_loss(self, images: torch.Tensor) -> torch.Tensor:
        """Cross-entropy of the rotation head on the batch turned by 0, 90, 180 and 270
        degrees in four quarters (image i by i mod 4 quarter turns: the batch order is
        already random, so no random numbers are drawn)."""
        turns = torch.arange(images.shape[0], device=images.device) % ROTATIONS
        rotated = torch.cat([torch.rot90(images[turns == k], k, dims=(2, 3)) for k in range(ROTATIONS)])
        labels = torch.cat([turns[turns == k] for k in range(ROTATIONS)])
        with self.autocast():
            logits = self.rotation_head(self.D.blocks(rotated).flatten(1)).float()
        return F.cross_entropy(logits, labels)

    @torch.no_grad()
    def update_average(self, step: int) -> None:
        """G_ema moves towards G by the share that gives the configured half-life (in
        images, capped at EMA_RAMPUP of those seen). Its BatchNorm statistics are measured
        when it samples (sampling_generator), not copied from G."""
        ema_update(self.G_ema, self.G, step, self.batch_size, self.config.ema_images)
        self.averaged_at = step + 1

    def log_fields(self, step: int) -> dict:
        return {"epoch": round(step * self.hp["batch_size"] / len(self.dataset), 3)}

    def check(self, step: int, metrics: dict, steps: int) -> None:
        """The discriminator winning outright (D(x) ~ 1, D(G(z)) ~ 0) leaves G no gradient."""
        won = metrics["d_x"] > 0.999 and metrics["d_g_z1"] < 1e-3
        self.collapse_steps = self.collapse_steps + steps if won else 0
        if self.collapse_steps >= self.config.divergence_patience:
            raise TrainingDiverged(
                f"step {step}: the discriminator has won outright for {self.collapse_steps} steps "
                f"(D(x) > 0.999, D(G(z)) < 0.001); the generator gets no gradient. Stopped; the last "
                f"good checkpoint ({Path(self.config.out) / 'export'}) is kept.")

    def state_info(self) -> dict:
        b = self.batches
        return {"data_hash": self.dataset.content_hash, "batches": {"pos": b.pos, "epoch": b.epoch}}

    def state_tensors(self) -> dict[str, torch.Tensor]:
        return {"perm": self.batches.perm}

    def resume(self, info: dict, tensors: dict[str, torch.Tensor]) -> None:
        if info["data_hash"] != self.dataset.content_hash:
            raise ValueError(f"the data differs from the data {self.config.out} was trained on "
                             f"(content hash {self.dataset.content_hash} vs {info['data_hash']})")
        self.batches.load_state_dict({"perm": tensors["perm"], "rng": self.batches.generator.get_state(),
                                      **info["batches"]})

    def real_samples(self):
        """A grid of training images, as many as the sample grid shows, to set beside it."""
        n = min(self.config.n_samples, len(self.dataset))
        return make_grid(self.dataset.batch(torch.arange(n)).float().cpu())

    @torch.no_grad()
    def samples(self):
        G = self.sampling_generator()
        was_training = G.training
        G.eval()  # running BatchNorm statistics, as gan_core.load() samples
        images = torch.cat([G(z.to(self.device)).float().cpu() for z in self.fixed_noise.split(256)])
        G.train(was_training)
        measured = {SHAPE_SHARE: shape_share(images).share} if self.judge_shapes else {}
        return make_grid(images), measured

    def card(self, step: int, wall: float, metrics: dict) -> dict:
        c, ds, spec = self.config, self.dataset, self.spec
        return {
            "name": c.name or Path(c.out).name,
            "model": c.model,
            "description": spec.description,
            "draws": what_it_draws(ds, c),
            "paper": spec.paper,
            "config": {"image_size": spec.image_size, "nz": spec.nz, "width": spec.width, **self.hp,
                       "ema_images": c.ema_images, "augment": list(c.augment or []), "loss": c.loss,
                       "spectral_norm": c.spectral_norm, "r1": c.r1, "rotation": c.rotation, "recipe": c.recipe},
            "data": {**ds.summary(), "sources": [str(s) for s in c.data], "classes_filter": c.classes,
                     "split": c.split, "framing": c.framing, "flip": c.flip},
            "training": {
                "command": run_command(c.command),
                "steps": step,
                "planned_steps": self.total,
                "epochs": round(step * self.hp["batch_size"] / len(ds), 2),
                "images_seen": step * self.hp["batch_size"],
                "wall_time_s": round(wall, 1),
                "hardware": describe(self.device),
                "processes": self.world,
                "seed": c.seed,
                "init_from": _init_record(c.init_from),
                **software(),
            },
            "metrics": rounded(metrics, 4),
            "samples": {"seed": c.sample_seed, "n": c.n_samples,
                        "note": "gan_core.load(...).grid(n, seed) reproduces the training sample grid"},
            "files": {"generator": GENERATOR_FILE, "discriminator": DISCRIMINATOR_FILE},
        }


def what_it_draws(ds: ImageSet, config: TrainConfig) -> str:
    """The card's "draws": FACES for a set framed as faces, else its classes or shapes."""
    if framed_as_faces(ds.files, config.framing):
        return FACES
    if ds.class_names == list(SHAPES):
        return "shapes"
    if ds.class_names:
        return " and ".join(ds.class_names) + " images"
    return "images like its training set"


@torch.no_grad()
def recalibrate_batchnorm(G: nn.Module, spec: ModelSpec, device: torch.device | str = "cpu",
                          images: int = BN_RECALIBRATION_IMAGES, seed: int = 0) -> None:
    """Set G's BatchNorm running statistics to their average over `images` generated images
    (latents of `seed`): the statistics that fit G's own weights. The training draws no
    random numbers here, so a run stays exactly resumable. Nothing to do without BatchNorm."""
    norms = [m for m in G.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not norms:
        return
    was_training, momenta = G.training, [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # a plain average over the batches below
    G.train()
    z = spec.sample_noise(images, torch.Generator().manual_seed(seed))
    for chunk in z.split(128):
        G(chunk.to(device))
    for m, momentum in zip(norms, momenta):
        m.momentum = momentum
    G.train(was_training)


def rotation_head(D: nn.Module, image_size: int) -> nn.Module:
    """SS-GAN's linear classifier of the four quarter turns on D's last block, flattened."""
    was_training = D.training
    D.eval()  # running statistics: measuring the shape moves no BatchNorm buffer
    with torch.no_grad():
        size = D.blocks(torch.zeros(1, 3, image_size, image_size, device=next(D.parameters()).device)).numel()
    D.train(was_training)
    return nn.Linear(size, ROTATIONS)


@torch.no_grad()
def ema_update(average: nn.Module, current: nn.Module, step: int, batch_size: int, half_life: float) -> None:
    """Move `average`'s weights towards `current`'s after step `step` (from 0) of `batch_size`
    images, by the share that gives a half-life of `half_life` images, capped at EMA_RAMPUP of
    the images seen so far (StyleGAN2-ADA's ema_kimg and ema_rampup)."""
    seen = (step + 1) * batch_size
    keep = 0.5 ** (batch_size / max(min(half_life, EMA_RAMPUP * seen), 1e-8))
    for a, c in zip(average.parameters(), current.parameters()):
        a.lerp_(c, 1 - keep)


def with_spectral_norm(D: nn.Module) -> nn.Module:
    """D with every convolution's and linear layer's weight spectrally normalised (in place)."""
    for module in D.modules():
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            spectral_norm(module)
    return D


def without_spectral_norm(D: nn.Module, build: Callable[[], nn.Module]) -> nn.Module:
    """A plain D (`build()`'s architecture) holding D's normalised weights W / sigma(W).
    D is read in eval mode, so its power-iteration vectors do not move (resume stays exact),
    and the copy is built on the meta device, so no random state is drawn."""
    was_training = D.training
    D.eval()
    state = {}
    with torch.no_grad():
        for key, value in D.state_dict().items():
            if ".parametrizations.weight.original" in key:
                prefix = key.split(".parametrizations.")[0]
                state[f"{prefix}.weight"] = D.get_submodule(prefix).weight.detach().clone()
            elif ".parametrizations." not in key:
                state[key] = value
    D.train(was_training)
    with torch.device("meta"):
        plain = build()
    plain.load_state_dict(state, assign=True)
    return plain


def _init_record(checkpoint: str | None) -> dict | None:
    if not checkpoint:
        return None
    folder, card = open_checkpoint(checkpoint)
    training = card.get("training", {})
    has_d = weights_file(folder, card, "discriminator", DISCRIMINATOR_FILE).is_file()
    return {"checkpoint": str(checkpoint), "steps": training.get("steps"), "wall_time_s": training.get("wall_time_s"),
            "discriminator": "its own" if has_d else "a fresh one (the checkpoint ships none)",
            # What the probe's untrained baseline rebuilds: this run's own seed drew
            # weights that the loaded ones replaced.
            "initial_seed": initial_seed(training)}


def initial_seed(training: dict) -> int:
    """The seed that drew a run's starting weights: its own, or, for a run started
    `--init-from` another, that run's (recorded in its card's training.init_from)."""
    origin = training.get("init_from")
    if isinstance(origin, dict) and isinstance(origin.get("initial_seed"), int):
        return origin["initial_seed"]
    seed = training.get("seed", 0)
    return seed if isinstance(seed, int) else 0


def _init_from(checkpoint: str, spec: ModelSpec, G, D) -> None:
    """Load an exported checkpoint's weights into fresh nets (fine-tuning, or going on
    from a shipped model when its training state is gone)."""
    folder, card = open_checkpoint(checkpoint, GAN)
    saved = model_spec(folder, card)
    if saved.name != spec.name:
        raise ValueError(f"--init-from {checkpoint} is a {saved.name}, not a {spec.name}")
    if saved.width != spec.width:
        raise ValueError(f"--init-from {checkpoint} was trained at width {saved.width:g}, not {spec.width:g}: "
                         f"pass --width {saved.width:g} (its weights have that many channels)")
    load_weights(G, weights_file(folder, card, "generator", GENERATOR_FILE))
    d_file = weights_file(folder, card, "discriminator", DISCRIMINATOR_FILE)
    if d_file.is_file():  # a checkpoint shipped without its D (the app has no use for it) starts a fresh one
        load_weights(D, d_file)


__all__ = ["TrainConfig", "train", "GANTask", "initial_seed", "recalibrate_batchnorm", "METRIC_NAMES"]
