"""The one training loop: every trainer (GAN, super-resolution, style transfer, window
detector, attribute classifier) supplies a `Task` (its nets, optimisers, random
generators, one step and its samples and model card) and this loop does the rest, as
stylegan3's training_loop and BasicSR's train loop do for theirs.

A run folder holds:
    config.json             the configuration the run started with
    log.jsonl               one line of metrics every `log_every` steps
    samples/step_XXXXXX.png the task's sample picture, every `sample_every` steps
    samples/real.png        training images laid out as the samples are (GAN runs)
    state.safetensors       the training state (nets, optimisers, every RNG, data order) for resume
    export/                 the weights the app loads, and their model card

Callbacks let a UI drive the loop without knowing its internals:
    progress_fn(step, metrics, samples): called every `log_every` steps with the
        averaged metrics (a dict); `samples` is a PIL picture on sample steps, else None.
    abort_fn() -> bool: polled every step; True saves a checkpoint and returns.

Resuming is exact: a run trained k steps, stopped and resumed to N ends with the same
weights, bit for bit, as one trained N steps straight (on the same device).
NaN/inf in a loss stops the run with TrainingDiverged, keeping the last good checkpoint.
"""
from __future__ import annotations

import json
import math
import os
import shlex
import sys
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, ContextManager

import torch
import torch.distributed as dist
from PIL import Image
from torch import nn

from gan_core.core.checkpoints import (
    CARD_FILE, STATE_FILE, atomic_write, load_training_state, save_training_state, save_weights, write_json,
)
from gan_core.core.errors import TrainingDiverged
from gan_core.core.hardware import describe, pick_device
from gan_core.core.version import __version__

ProgressFn = Callable[[int, dict, "Image.Image | None"], None]
AbortFn = Callable[[], bool]
REAL_SAMPLE_FILE = "real.png"  # in samples/: training images laid out as the sample grids are


@dataclass
class TrainResult:
    out: Path | None  # None for a run without a folder
    step: int
    metrics: dict
    aborted: bool = False
    wall_time_s: float = 0.0


class Task:
    """What a trainer gives the loop. Subclasses set the attributes and write `step`,
    `samples` and `card`; the other hooks have defaults."""

    nets: dict[str, nn.Module]  # saved in the state by name; checked for NaN/inf before each checkpoint
    optimizers: dict[str, torch.optim.Optimizer]
    schedulers: dict[str, torch.optim.lr_scheduler.LRScheduler] = {}  # learning-rate schedules, kept in the state
    generators: dict[str, torch.Generator]  # every random source the step draws from besides torch's own
    metric_names: tuple[str, ...]  # what `step` returns, in order: averaged and logged
    exports: dict[str, nn.Module]  # export/ file name -> net
    batch_size: int  # items a step, for the img/s column
    card_file: str = CARD_FILE
    # Sections of `metrics` in an exported card, written there by a separate measuring
    # command, that a new checkpoint keeps.
    kept_metrics: tuple[str, ...] = ()
    diverged_hint: str = "--resume continues from it."
    log_digits: int = 6

    def step(self, step: int) -> torch.Tensor:
        """Train one step (`step` counts from 0); return the values of `metric_names` as
        one tensor, on any device (the loop reads it back only on log steps)."""
        raise NotImplementedError

    def samples(self) -> tuple[Image.Image | None, dict]:
        """The sample picture and what was measured on it (added to the logged metrics)."""
        return None, {}

    def card(self, step: int, wall_s: float, metrics: dict) -> dict:
        raise NotImplementedError

    def state_info(self) -> dict:
        """JSON kept with the state (the data's hash, a data position...)."""
        return {}

    def state_tensors(self) -> dict[str, torch.Tensor]:
        """Tensors kept with the state besides nets, optimisers and generators (a data order)."""
        return {}

    def resume(self, info: dict, tensors: dict[str, torch.Tensor]) -> None:
        """Check and restore what `state_info` and `state_tensors` saved."""

    def log_fields(self, step: int) -> dict:
        """Fields a log line has besides the metrics, step and speed (an epoch)."""
        return {}

    def check(self, step: int, metrics: dict, steps: int) -> None:
        """A guard run on each log line after the NaN check (`steps` since the last one):
        raise TrainingDiverged to stop."""


# ----------------------------------------------------------------------------- device


def run_command(command: str | None) -> str:
    """The command a model card records: the one given (each CLI passes its own), else
    this process's command line."""
    return command or " ".join(shlex.quote(a) for a in [Path(sys.executable).name, *sys.argv])


def write_export(folder: str | Path, net: nn.Module, weights_file: str, card: dict) -> Path:
    """A helper network's export folder: its weights and its card (model_card.json), which
    `gan_core.load` reads."""
    folder = Path(folder)
    save_weights(folder / weights_file, net)
    write_json(folder / CARD_FILE, card)
    return folder


def net_hardware(net: nn.Module, hardware: str | None = None, note: str | None = None) -> str:
    """The hardware a card records for `net`: as given, else its device's; `note` after a comma."""
    hardware = hardware or describe(next(net.parameters()).device)
    return f"{hardware}, {note}" if note else hardware


def software() -> dict:
    """The versions a model card records next to its training: torch and gan_core."""
    return {"torch": torch.__version__, "gan_core": __version__}


def crop_training_record(config, step: int, wall: float, device: torch.device, **extra) -> dict:
    """The "training" block of a card for a trainer on random crops (super-resolution,
    style): command, steps, crops seen, wall time, hardware (with the config's note),
    seed, `extra`, versions. `config` has command, steps, batch_size, seed and hardware_note."""
    return {"command": run_command(config.command), "steps": step, "planned_steps": config.steps,
            "crops_seen": step * config.batch_size, "wall_time_s": round(wall, 1),
            "hardware": describe(device, config.hardware_note), "seed": config.seed, **extra, **software()}


def rounded(metrics: dict, digits: int) -> dict:
    """The metrics as a card shows them: floats rounded to `digits`, the rest as they are."""
    return {k: round(v, digits) if isinstance(v, float) else v for k, v in metrics.items()}


def dist_env() -> tuple[int, int, int]:
    """(rank, world_size, local_rank) as set by torchrun; (0, 1, 0) otherwise."""
    return int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1)), int(os.environ.get("LOCAL_RANK", 0))


LR_SCHEDULES = ("step", "cosine")


def scheduled_rate(base: float, step: int, steps: int, schedule: str = "step", drop_at: int | None = None) -> float:
    """A learning rate at `step` of `steps`: "step" keeps `base`, cut by 10 from `drop_at` on
    (SRGAN's); "cosine" falls on a half cosine from `base` at step 0 to 0 at the last step.

    >>> scheduled_rate(1e-3, 50, 100, "cosine"), scheduled_rate(1e-3, 60, 100, "step", drop_at=50)
    (0.0005, 0.0001)
    """
    if schedule == "cosine":
        return round(base * 0.5 * (1 + math.cos(math.pi * min(step / steps, 1.0))), 12)
    return base * (0.1 if drop_at is not None and step >= drop_at else 1.0)


def setup_device(name: str = "auto", distributed: bool = False) -> tuple[torch.device, int, int]:
    """(device, rank, world size): `name` ("auto" picks CUDA, then MPS, then the CPU) and,
    with `distributed` under torchrun, this process's GPU and its process group."""
    device = pick_device(name)
    rank, world, local = dist_env() if distributed else (0, 1, 0)
    if world > 1:
        if device.type == "cuda":
            device = torch.device("cuda", local)
            torch.cuda.set_device(device)
        if not dist.is_initialized():
            dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # fixed shapes: let cuDNN pick the fastest kernels once
    return device, rank, world


def autocast_for(device: torch.device, amp: bool | None = None) -> Callable[[], ContextManager]:
    """A context factory: bf16 autocast on CUDA (unless `amp` is False), else nothing."""
    if device.type == "cuda" and (amp is None or amp):
        return lambda: torch.autocast("cuda", dtype=torch.bfloat16)
    return nullcontext


# ----------------------------------------------------------------------------- the run folder


class RunFolder:
    """A run's folder: refuses to overwrite a run unless resuming, and on resume removes
    what a killed process left half-written."""

    def __init__(self, out: str | Path, resume: bool):
        self.out = Path(out)
        self.state_path = self.out / STATE_FILE
        if self.state_path.exists() and not resume:
            raise FileExistsError(f"{self.out} already holds a training run: pass --resume to continue it, "
                                  "or choose another --out")
        self.resuming = resume and self.state_path.exists()
        if self.resuming:
            self.remove_partial_writes()

    def saved_config(self) -> dict:
        return json.loads((self.out / "config.json").read_text())

    def check_same(self, config: object, keys: tuple[str, ...]) -> None:
        """A resumed run keeps the settings its state depends on."""
        saved = self.saved_config()
        for key in keys:
            if saved.get(key) != getattr(config, key):
                raise ValueError(f"{self.out} was trained with {key} {saved.get(key)}, not {getattr(config, key)}: "
                                 "a run resumes with its own settings; to change them, start a new run")

    def remove_partial_writes(self) -> None:
        """A process killed mid-write (SIGKILL, power loss) leaves atomic_write's temporary
        file behind; the file it was replacing is intact, so the leftover can go."""
        for folder in (self.out, self.out / "export"):
            for tmp in folder.glob(".*.tmp"):
                tmp.unlink(missing_ok=True)

    def cut_back(self, step: int) -> None:
        """Forget what was logged after the checkpoint at `step`: a run killed (or
        stopped by an error) between checkpoints logged and sampled steps that the
        resumed run trains again. The log lines beyond `step` go (the file rewritten
        atomically) and so do the sample pictures beyond it."""
        path = self.out / "log.jsonl"
        if path.is_file():
            kept, cut = [], False
            for line in path.read_text().splitlines(keepends=True):
                try:
                    logged = json.loads(line).get("step")
                except (ValueError, AttributeError):
                    logged = None
                if isinstance(logged, int) and logged > step or not line.endswith("\n"):
                    cut = True  # beyond the checkpoint, or a line cut short by the kill
                    continue
                kept.append(line)
            if cut:
                atomic_write(path, lambda tmp: Path(tmp).write_text("".join(kept)))
        for picture in (self.out / "samples").glob("step_*.png"):
            if picture.stem[5:].isdigit() and int(picture.stem[5:]) > step:
                picture.unlink(missing_ok=True)

    def append_log(self, metrics: dict, time_s: float, digits: int = 6) -> None:
        """One line of log.jsonl: the metrics (floats rounded) and the run's wall time so far."""
        line = {k: (round(v, digits) if isinstance(v, float) else v) for k, v in metrics.items()}
        line["time_s"] = round(time_s, 1)
        with open(self.out / "log.jsonl", "a") as f:
            f.write(json.dumps(line) + "\n")

    def save_sample(self, step: int, picture: Image.Image) -> None:
        """samples/step_XXXXXX.png, numbered by step so the folder sorts in training order."""
        (self.out / "samples").mkdir(exist_ok=True)
        picture.save(self.out / "samples" / f"step_{step:06d}.png")

    def save_real_sample(self, picture: Image.Image) -> None:
        """samples/real.png: training images as the sample grid lays them out, to set beside it."""
        # Whole or not at all: the app reads it while the run trains.
        atomic_write(self.out / "samples" / REAL_SAMPLE_FILE, lambda tmp: picture.save(tmp, format="PNG"))

    def checkpoint(self, task: Task, step: int, wall: float, metrics: dict) -> None:
        """The resumable state, then export/ (weights and card). Refuses NaN/inf weights,
        so the last good checkpoint stays."""
        for net in task.nets.values():
            if not all(torch.isfinite(p).all() for p in net.parameters()):
                raise TrainingDiverged(f"step {step}: weights became NaN/inf; the last good checkpoint is kept")
        schedulers = {name: s.state_dict() for name, s in task.schedulers.items()}
        save_training_state(self.state_path, nets=task.nets, optimizers=task.optimizers, generators=task.generators,
                            tensors=task.state_tensors(),
                            info={"step": step, "wall_time_s": wall, **task.state_info(),
                                  **({"schedulers": schedulers} if schedulers else {})})
        export = self.out / "export"
        for file, net in task.exports.items():
            save_weights(export / file, net)
        card_path = export / task.card_file
        kept = {}
        if task.kept_metrics and card_path.exists():
            old = json.loads(card_path.read_text()).get("metrics", {})
            kept = {k: old[k] for k in task.kept_metrics if k in old}
        card = task.card(step, wall, metrics)
        if kept:
            card.setdefault("metrics", {}).update(kept)
        write_json(card_path, card)


# ----------------------------------------------------------------------------- the loop


def train_loop(task: Task, run: RunFolder | None, config: dict, *, total: int, log_every: int, sample_every: int,
               checkpoint_every: int, progress_fn: ProgressFn | None = None, abort_fn: AbortFn | None = None,
               rank: int = 0, world: int = 1) -> TrainResult:
    """Run `task` to step `total` in `run`'s folder (resuming from its state when it has
    one; else writing `config` to config.json), logging, sampling and checkpointing on
    the given cadence. Only rank 0 writes; every rank steps. Without a `run` nothing is
    written (a trainer called as a function); the callbacks still come."""
    is_main = rank == 0
    writes = is_main and run is not None
    step, wall_before = 0, 0.0
    if run is not None and run.resuming:
        info, tensors = load_training_state(run.state_path, nets=task.nets, optimizers=task.optimizers,
                                            generators=task.generators)
        for name, scheduler in task.schedulers.items():
            scheduler.load_state_dict(info["schedulers"][name])
        task.resume(info, tensors)
        step, wall_before = info["step"], info["wall_time_s"]
        if writes:
            run.cut_back(step)
    elif writes:
        run.out.mkdir(parents=True, exist_ok=True)
        write_json(run.out / "config.json", config)

    t_start = t_log = time.time()
    acc, acc_n, last_metrics, aborted = None, 0, {}, False

    def wall() -> float:
        return wall_before + time.time() - t_start

    def log(step: int, metrics: dict | None, sample: bool) -> None:
        picture = None
        if sample and (is_main or progress_fn is not None):
            picture, measured = task.samples()
            if metrics is not None:
                metrics.update(measured)
        if not is_main:
            return
        if writes and metrics is not None:
            run.append_log(metrics, wall(), task.log_digits)
        if writes and picture is not None:
            run.save_sample(step, picture)
        if progress_fn is not None and (metrics is not None or picture is not None):
            progress_fn(step, metrics if metrics is not None else {}, picture)

    for net in task.nets.values():
        net.train()
    while step < total:
        values = task.step(step).detach().float()
        acc = values if acc is None else acc + values
        acc_n += 1
        step += 1
        sample = step % sample_every == 0 or step == total
        if step % log_every == 0 or step == total:
            now = time.time()
            averaged = (acc / acc_n).tolist()  # the only host sync of the loop
            last_metrics = dict(zip(task.metric_names, averaged))
            last_metrics.update(step=step, total_steps=total, **task.log_fields(step),
                                img_per_s=round(acc_n * task.batch_size / max(now - t_log, 1e-9), 2))
            if not all(math.isfinite(v) for v in averaged):
                raise TrainingDiverged(
                    f"step {step}: a loss became NaN/inf ({_fmt(last_metrics, task.metric_names)}); stopped. "
                    f"The last good checkpoint is kept: {task.diverged_hint}")
            task.check(step, last_metrics, acc_n)
            acc, acc_n, t_log = None, 0, now
            log(step, last_metrics, sample)
        elif step % sample_every == 0:
            log(step, None, True)
        if abort_fn is not None and abort_fn():
            aborted = True
            break
        if step % checkpoint_every == 0 and step < total and writes:
            run.checkpoint(task, step, wall(), last_metrics)
    if writes:
        run.checkpoint(task, step, wall(), last_metrics)
    if world > 1:
        dist.barrier()
    return TrainResult(run.out if run is not None else None, step, last_metrics, aborted, wall())


def _fmt(metrics: dict, names: tuple[str, ...]) -> str:
    return ", ".join(f"{k} {metrics[k]:.4g}" for k in names if k in metrics)


__all__ = ["Task", "RunFolder", "TrainResult", "train_loop", "setup_device", "autocast_for", "scheduled_rate",
           "LR_SCHEDULES"]
