"""The adversarial training loop, driven from the CLI or from a UI.

>>> from gan_core.training.loop import TrainConfig, train
>>> cfg = TrainConfig(model="dcgan64", data=["faces/celeba"], out="runs/faces", epochs=20)  # doctest: +SKIP
>>> result = train(cfg, progress_fn=lambda step, metrics, samples: print(step, metrics))    # doctest: +SKIP

A run folder holds:
    config.json             the configuration the run started with
    log.jsonl               one line of metrics every `log_every` steps
    samples/step_XXXXXX.png the fixed noise batch rendered every `sample_every` steps
    state.safetensors       the training state (nets, optimisers, RNG, data order) for --resume
    export/                 generator + discriminator weights and model_card.json, for gan_core.load()

Callbacks let a UI drive the loop without knowing its internals:
    progress_fn(step, metrics, samples): called every `log_every` steps with the
        averaged metrics (a dict); `samples` is a PIL grid on sample steps, else None.
    abort_fn() -> bool: polled every step; True saves a checkpoint and returns.
"""
from __future__ import annotations

import json
import math
import os
import shlex
import sys
import time
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Callable

import torch
import torch.nn.functional as F

from gan_core import __version__
from gan_core.core.checkpoints import (
    CARD_FILE, DISCRIMINATOR_FILE, GENERATOR_FILE, STATE_FILE,
    load_training_state, save_training_state, save_weights, write_json,
)
from gan_core.data.image_set import ImageSet, ShuffledBatches, load_images
from gan_core.core.hardware import describe, pick_device
from gan_core.core.images import make_grid
from gan_core.models import ModelSpec, get_model
from gan_core.training.run import append_log, save_sample

ProgressFn = Callable[[int, dict, "object | None"], None]
AbortFn = Callable[[], bool]
METRIC_NAMES = ("loss_d", "loss_g", "d_x", "d_g_z1", "d_g_z2")


class TrainingDiverged(RuntimeError):
    """Training produced NaN/inf or collapsed; the last good checkpoint is kept."""


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
        for key in ("batch_size", "lr_g", "lr_d", "beta1", "label_noise", "clip_grad"):
            if getattr(self, key) is not None:
                hp[key] = getattr(self, key)
        return hp

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


@dataclass
class TrainResult:
    out: Path
    step: int
    metrics: dict
    aborted: bool = False
    wall_time_s: float = 0.0


# ----------------------------------------------------------------------------- distributed


def _dist_env() -> tuple[int, int, int]:
    """(rank, world_size, local_rank) as set by torchrun; (0, 1, 0) otherwise."""
    return int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1)), int(os.environ.get("LOCAL_RANK", 0))


def _setup_distributed(device: torch.device) -> tuple[int, int, torch.device]:
    rank, world, local = _dist_env()
    if world == 1:
        return 0, 1, device
    import torch.distributed as dist

    if device.type == "cuda":
        device = torch.device("cuda", local)
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return rank, world, device


# ----------------------------------------------------------------------------- loop


def _remove_partial_writes(out: Path) -> None:
    """A process killed mid-write (SIGKILL, power loss) leaves atomic_write's temporary
    file behind; the checkpoint it was replacing is intact, so the leftover can go."""
    for folder in (out, out / "export"):
        for tmp in folder.glob(".*.tmp"):
            tmp.unlink(missing_ok=True)


def train(config: TrainConfig, progress_fn: ProgressFn | None = None, abort_fn: AbortFn | None = None,
          dataset: ImageSet | None = None, data_progress: Callable[[int, int], None] | None = None) -> TrainResult:
    """Train `config.model` on `config.data` (or on a ready `dataset`).

    Raises TrainingDiverged on NaN or collapse (the last good checkpoint stays),
    DataError for unusable data, FileExistsError when `out` already holds a run
    and `resume` is off."""
    spec = config.spec()
    hp = config.hyperparameters()
    out = Path(config.out)
    state_path = out / STATE_FILE
    if state_path.exists() and not config.resume:
        raise FileExistsError(f"{out} already holds a training run: pass --resume to continue it, "
                              "or choose another --out")
    if config.resume and state_path.exists():
        saved = json.loads((out / "config.json").read_text())
        if saved["model"] != config.model:
            raise ValueError(f"{out} was trained as {saved['model']}, not {config.model}")
        saved_width = saved.get("width", 1.0)  # runs from before the width setting are at the paper's
        if saved_width != spec.width:
            raise ValueError(f"{out} was trained at width {saved_width:g}, not {spec.width:g}: a run resumes "
                             f"at its own width (--width {saved_width:g}); to change it, start a new run")
        _remove_partial_writes(out)

    device = pick_device(config.device)
    rank, world, device = _setup_distributed(device)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # fixed shapes: let cuDNN pick the fastest kernels once
    is_main = rank == 0
    on_cuda = device.type == "cuda"
    use_amp = on_cuda if config.amp is None else config.amp
    channels_last = config.channels_last
    if hp["batch_size"] % world:
        raise ValueError(f"batch size {hp['batch_size']} does not split over {world} processes")

    # Data: the whole uint8 set on the GPU when it fits, so batches never leave it.
    if dataset is None:
        dataset = load_images(config.data, spec.image_size, classes=config.classes, split=config.split,
                              framing=config.framing, max_images=config.max_images, cache_dir=config.cache_dir,
                              progress=data_progress if is_main else None)
    if dataset.size != spec.image_size:
        raise ValueError(f"images are {dataset.size} px, {config.model} needs {spec.image_size} px")
    if on_cuda:
        free, _ = torch.cuda.mem_get_info(device)
        if dataset.images.numel() < 0.5 * free:
            dataset = dataset.to(device)

    torch.manual_seed(config.seed + rank)  # weight init and dropout
    G = spec.build_generator().to(device)
    D = spec.build_discriminator().to(device)
    if channels_last:
        G, D = G.to(memory_format=torch.channels_last), D.to(memory_format=torch.channels_last)
    opt_g, opt_d = spec.make_optimizers(G, D, hp)
    batches = ShuffledBatches(len(dataset), hp["batch_size"], config.seed, device=dataset.images.device)
    # Latents, flips and label noise come from one generator on the training device, so
    # the loop never waits on a host-to-device copy; its state is saved for --resume.
    noise_gen = torch.Generator(device).manual_seed(config.seed + 1)
    fixed_noise = spec.sample_noise(config.n_samples, torch.Generator().manual_seed(config.sample_seed))

    step, wall_before = 0, 0.0
    if config.resume and state_path.exists():
        info, extra = load_training_state(state_path, G=G, D=D, opt_g=opt_g, opt_d=opt_d)
        if info["data_hash"] != dataset.content_hash:
            raise ValueError(f"the data differs from the data {out} was trained on "
                             f"(content hash {dataset.content_hash} vs {info['data_hash']})")
        step, wall_before = info["step"], info["wall_time_s"]
        batches.load_state_dict({"perm": extra["perm"], "rng": extra["data_rng"], **info["batches"]})
        noise_gen.set_state(extra["noise_rng"])
    else:
        if config.init_from:
            _init_from(config.init_from, spec, G, D)
        if is_main:
            out.mkdir(parents=True, exist_ok=True)
            write_json(out / "config.json", {**asdict(config), "hyperparameters": hp})

    total = config.steps if config.steps is not None else math.ceil((config.epochs or 1) * len(dataset) / hp["batch_size"])
    G_train, D_train = G, D
    if world > 1:
        from torch.nn.parallel import DistributedDataParallel as DDP

        ids = [device.index] if on_cuda else None
        G_train, D_train = DDP(G, device_ids=ids), DDP(D, device_ids=ids)
    D_frozen = D  # the discriminator as the generator step sees it
    if config.compile:
        G_train, D_train, D_frozen = torch.compile(G_train), torch.compile(D_train), torch.compile(D)
    autocast = (lambda: torch.autocast("cuda", dtype=torch.bfloat16)) if use_amp and on_cuda else nullcontext

    run = _Run(config, spec, hp, dataset, out, device, world, G, D, opt_g, opt_d, batches, noise_gen,
               fixed_noise, is_main, wall_before, progress_fn, total)
    acc = torch.zeros(len(METRIC_NAMES), device=device)
    acc_n, collapse_steps = 0, 0
    t_start, t_log, last_metrics = time.time(), time.time(), {}
    aborted = False
    G_train.train()
    D_train.train()
    while step < total:
        idx = batches.next()[rank::world]
        flip = (torch.rand(hp["batch_size"], generator=noise_gen, device=device) < 0.5)[rank::world] if config.flip else None
        z = torch.randn((hp["batch_size"], *spec.noise_shape), generator=noise_gen, device=device)[rank::world]
        noise = torch.rand(2, hp["batch_size"], generator=noise_gen, device=device)[:, rank::world] * hp["label_noise"]
        real_target, fake_target = 1.0 - noise[0], noise[1]  # soft, noisy labels when label_noise > 0
        real = dataset.batch(idx, flip)
        if channels_last:
            real = real.contiguous(memory_format=torch.channels_last)

        with autocast():
            fake = G_train(z)
        # Discriminator: real -> 1, fake -> 0 (two backward passes, as BatchNorm must
        # see all-real and all-fake batches separately).
        opt_d.zero_grad(set_to_none=True)
        with autocast():
            out_real = D_train(real).float()
        loss_real = F.binary_cross_entropy_with_logits(out_real, real_target)
        loss_real.backward()
        with autocast():
            out_fake = D_train(fake.detach()).float()
        loss_fake = F.binary_cross_entropy_with_logits(out_fake, fake_target)
        loss_fake.backward()
        if hp["clip_grad"]:
            torch.nn.utils.clip_grad_value_(D.parameters(), hp["clip_grad"])
        opt_d.step()
        # Generator: the non-saturating loss, -log D(G(z)). D is frozen (and unwrapped
        # from DDP) here: its weight gradients would be thrown away.
        opt_g.zero_grad(set_to_none=True)
        D.requires_grad_(False)
        with autocast():
            out_g = D_frozen(fake).float()
        loss_g = F.binary_cross_entropy_with_logits(out_g, torch.ones_like(out_g))
        loss_g.backward()
        D.requires_grad_(True)
        if hp["clip_grad"]:
            torch.nn.utils.clip_grad_value_(G.parameters(), hp["clip_grad"])
        opt_g.step()
        step += 1

        with torch.no_grad():
            acc += torch.stack([loss_real + loss_fake, loss_g, torch.sigmoid(out_real).mean(),
                                torch.sigmoid(out_fake).mean(), torch.sigmoid(out_g).mean()])
        acc_n += 1
        if step % config.log_every == 0 or step == total:
            values = (acc / acc_n).tolist()  # the only host sync of the loop
            now = time.time()
            last_metrics = dict(zip(METRIC_NAMES, values))
            last_metrics.update(step=step, total_steps=total, epoch=round(step * hp["batch_size"] / len(dataset), 3),
                                img_per_s=round(acc_n * hp["batch_size"] / max(now - t_log, 1e-9), 1))
            acc.zero_()
            t_log = now
            collapse_steps = collapse_steps + acc_n if (last_metrics["d_x"] > 0.999 and last_metrics["d_g_z1"] < 1e-3) else 0
            acc_n = 0
            if not all(math.isfinite(v) for v in values):
                raise TrainingDiverged(
                    f"step {step}: a loss became NaN/inf ({_fmt(last_metrics)}); stopped. The last good "
                    f"checkpoint is kept: --resume continues from it, or --init-from {out / 'export'} "
                    "starts again from its weights with new settings (say, lower learning rates).")
            if collapse_steps >= config.divergence_patience:
                raise TrainingDiverged(
                    f"step {step}: the discriminator has won outright for {collapse_steps} steps "
                    f"(D(x) > 0.999, D(G(z)) < 0.001); the generator gets no gradient. Stopped; the last "
                    f"good checkpoint ({out / 'export'}) is kept.")
            run.log(step, last_metrics, t_start, sample=step % config.sample_every == 0 or step == total)
        elif step % config.sample_every == 0:
            run.log(step, None, t_start, sample=True)
        if abort_fn is not None and abort_fn():
            aborted = True
            break
        if step % config.checkpoint_every == 0 and step < total:
            run.checkpoint(step, last_metrics, t_start)
    run.checkpoint(step, last_metrics, t_start)
    if world > 1:
        import torch.distributed as dist
        dist.barrier()
    return TrainResult(out, step, last_metrics, aborted, wall_before + time.time() - t_start)


def _init_record(checkpoint: str | None) -> dict | None:
    if not checkpoint:
        return None
    from gan_core.core.hub import open_checkpoint

    training = open_checkpoint(checkpoint)[1].get("training", {})
    return {"checkpoint": str(checkpoint), "steps": training.get("steps"), "wall_time_s": training.get("wall_time_s"),
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
    from gan_core.core.checkpoints import load_weights
    from gan_core.core.hub import GAN, open_checkpoint, weights_file
    from gan_core.pipelines.generator import model_spec

    folder, card = open_checkpoint(checkpoint, GAN)
    saved = model_spec(folder, card)
    if saved.name != spec.name:
        raise ValueError(f"--init-from {checkpoint} is a {saved.name}, not a {spec.name}")
    if saved.width != spec.width:
        raise ValueError(f"--init-from {checkpoint} was trained at width {saved.width:g}, not {spec.width:g}: "
                         f"pass --width {saved.width:g} (its weights have that many channels)")
    load_weights(G, weights_file(folder, card, "generator", GENERATOR_FILE))
    load_weights(D, weights_file(folder, card, "discriminator", DISCRIMINATOR_FILE))


def _fmt(metrics: dict) -> str:
    return ", ".join(f"{k} {metrics[k]:.3f}" for k in METRIC_NAMES if k in metrics)


class _Run:
    """The run folder's writer: logs, sample grids, checkpoints, model card (rank 0 only)."""

    def __init__(self, config, spec, hp, dataset, out, device, world, G, D, opt_g, opt_d, batches, noise_gen,
                 fixed_noise, is_main, wall_before, progress_fn, total):
        self.__dict__.update(locals())
        del self.__dict__["self"]

    @torch.no_grad()
    def samples(self):
        was_training = self.G.training
        self.G.eval()  # running BatchNorm statistics, as gan_core.load() samples
        images = torch.cat([self.G(z.to(self.device)).float().cpu() for z in self.fixed_noise.split(256)])
        self.G.train(was_training)
        return make_grid(images)

    def log(self, step: int, metrics: dict | None, t_start: float, sample: bool) -> None:
        grid = self.samples() if sample and (self.is_main or self.progress_fn) else None
        if not self.is_main:
            return
        if metrics is not None:
            append_log(self.out, metrics, self.wall_before + time.time() - t_start, digits=5)
        if grid is not None:
            save_sample(self.out, step, grid)
        if self.progress_fn is not None and (metrics is not None or grid is not None):
            self.progress_fn(step, metrics or {}, grid)

    def checkpoint(self, step: int, metrics: dict, t_start: float) -> None:
        if not self.is_main:
            return
        for p in list(self.G.parameters()) + list(self.D.parameters()):
            if not torch.isfinite(p).all():
                raise TrainingDiverged(f"step {step}: weights became NaN/inf; the last good checkpoint is kept")
        wall = self.wall_before + time.time() - t_start
        bstate = self.batches.state_dict()
        info = {"step": step, "wall_time_s": wall, "data_hash": self.dataset.content_hash,
                "batches": {"pos": bstate["pos"], "epoch": bstate["epoch"]}}
        save_training_state(self.out / STATE_FILE, G=self.G, D=self.D, opt_g=self.opt_g, opt_d=self.opt_d,
                            extra_tensors={"perm": bstate["perm"], "data_rng": bstate["rng"],
                                           "noise_rng": self.noise_gen.get_state()}, info=info)
        export = self.out / "export"
        save_weights(export / GENERATOR_FILE, self.G)
        save_weights(export / DISCRIMINATOR_FILE, self.D)
        write_json(export / CARD_FILE, self.card(step, wall, metrics))

    def card(self, step: int, wall: float, metrics: dict) -> dict:
        c, ds = self.config, self.dataset
        return {
            "name": c.name or self.out.name,
            "model": c.model,
            "description": self.spec.description,
            "paper": self.spec.paper,
            "config": {"image_size": self.spec.image_size, "nz": self.spec.nz, "width": self.spec.width, **self.hp},
            "data": {**ds.summary(), "sources": [str(s) for s in c.data], "classes_filter": c.classes,
                     "split": c.split, "framing": c.framing, "flip": c.flip},
            "training": {
                "command": c.command or " ".join(shlex.quote(a) for a in [Path(sys.executable).name, *sys.argv]),
                "steps": step,
                "planned_steps": self.total,
                "epochs": round(step * self.hp["batch_size"] / len(ds), 2),
                "images_seen": step * self.hp["batch_size"],
                "wall_time_s": round(wall, 1),
                "hardware": describe(self.device),
                "processes": self.world,
                "seed": c.seed,
                "init_from": _init_record(c.init_from),
                "torch": torch.__version__,
                "gan_core": __version__,
            },
            "metrics": {k: round(v, 4) if isinstance(v, float) else v for k, v in metrics.items()},
            "samples": {"seed": c.sample_seed, "n": c.n_samples,
                        "note": "gan_core.load(...).grid(n, seed) reproduces the training sample grid"},
            "files": {"generator": GENERATOR_FILE, "discriminator": DISCRIMINATOR_FILE},
        }
