"""The run folder of the image-to-image trainers (super-resolution, style transfer).

A run folder holds config.json (written by the trainer), log.jsonl (one line of metrics
every few steps), samples/step_*.png, state.safetensors (everything `--resume` needs:
nets, optimisers, RNG states, in one file written atomically) and export/ (the weights
the app loads and their model card). `RunWriter` writes all but config.json; a trainer
subclasses it with its own sample picture and model card.
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Callable

import torch
from PIL import Image
from safetensors.torch import save_file
from torch import nn

from gan_core.core.checkpoints import (
    CARD_FILE, DISCRIMINATOR_FILE, GENERATOR_FILE, STATE_FILE, _cpu_state, _flatten_optimizer, _unflatten_optimizer,
    atomic_write, read_tensors, save_weights, write_json)
from gan_core.core.errors import CheckpointError


def save_state(path: str | Path, nets: dict[str, nn.Module], optimizers: dict[str, torch.optim.Optimizer],
               extra: dict[str, torch.Tensor], info: dict) -> None:
    """Nets, optimisers, torch's RNG, `extra` tensors and `info` (JSON) in one safetensors
    file, written atomically (checkpoint.save_training_state for any number of nets)."""
    tensors: dict[str, torch.Tensor] = {}
    meta: dict[str, Any] = {"info": info, "nets": sorted(nets), "optimizers": sorted(optimizers)}
    for name, net in nets.items():
        tensors.update({f"{name}.{k}": v for k, v in _cpu_state(net).items()})
    for name, opt in optimizers.items():
        _flatten_optimizer(name, opt, tensors, meta)
    tensors["rng.torch"] = torch.get_rng_state()
    tensors.update({f"x.{k}": v.detach().to("cpu").contiguous() for k, v in extra.items()})
    atomic_write(path, lambda tmp: save_file(tensors, tmp, metadata={"state": json.dumps(meta)}))


def load_state(path: str | Path, nets: dict[str, nn.Module],
               optimizers: dict[str, torch.optim.Optimizer]) -> tuple[dict, dict[str, torch.Tensor]]:
    """Restore what `save_state` wrote; returns (info, extra tensors)."""
    tensors, metadata = read_tensors(path)
    if "state" not in metadata:
        raise CheckpointError(f"{path} is not a training state (no resume information in it)")
    meta = json.loads(metadata["state"])
    if meta.get("nets") != sorted(nets):
        raise CheckpointError(f"{path} holds the nets {meta.get('nets')}, this run has {sorted(nets)}")
    for name, net in nets.items():
        prefix = name + "."
        net.load_state_dict({k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)})
    for name, opt in optimizers.items():
        opt.load_state_dict(_unflatten_optimizer(name, tensors, meta))
    torch.set_rng_state(tensors["rng.torch"])
    return meta["info"], {k[2:]: v for k, v in tensors.items() if k.startswith("x.")}


def append_log(out: Path, metrics: dict, time_s: float, digits: int = 6) -> None:
    """One line of log.jsonl: the metrics (floats rounded) and the run's wall time so far."""
    line = {k: (round(v, digits) if isinstance(v, float) else v) for k, v in metrics.items()}
    line["time_s"] = round(time_s, 1)
    with open(Path(out) / "log.jsonl", "a") as f:
        f.write(json.dumps(line) + "\n")


def save_sample(out: Path, step: int, picture: Image.Image) -> None:
    """samples/step_XXXXXX.png, numbered by step so the folder sorts in training order."""
    (Path(out) / "samples").mkdir(exist_ok=True)
    picture.save(Path(out) / "samples" / f"step_{step:06d}.png")


class RunWriter:
    """Writes a run folder for a loop over nets {"G": ..., "D": ...}.

    A subclass gives `samples()` -> (picture, metrics measured on it) and
    `card(step, wall_s, metrics)` -> the model card, and may add `state_info()` (JSON
    kept in the state for resuming) and `kept_metrics` (sections of `metrics` in an
    existing exported card, written there by a separate measuring command, that a new
    checkpoint keeps). `rng` is the data sampler's torch.Generator, saved with the state.
    """

    kept_metrics: tuple[str, ...] = ()

    def __init__(self, out: Path, nets: dict[str, nn.Module], optimizers: dict[str, torch.optim.Optimizer],
                 rng: torch.Generator, wall_before: float, progress_fn: Callable | None):
        self.out, self.nets, self.optimizers, self.rng = Path(out), nets, optimizers, rng
        self.wall_before, self.progress_fn = wall_before, progress_fn
        self.last_val: dict = {}

    def samples(self) -> tuple[Image.Image, dict]:
        raise NotImplementedError

    def card(self, step: int, wall: float, metrics: dict) -> dict:
        raise NotImplementedError

    def state_info(self) -> dict:
        return {}

    def log(self, step: int, metrics: dict | None, t_start: float, sample: bool) -> None:
        """Append `metrics` to log.jsonl (with the run's wall time), and when `sample`,
        write the sample picture and add what was measured on it to the metrics."""
        picture = None
        if sample:
            picture, self.last_val = self.samples()
            if metrics is not None:
                metrics.update(self.last_val)
        if metrics is not None:
            append_log(self.out, metrics, self.wall_before + time.time() - t_start)
        if picture is not None:
            save_sample(self.out, step, picture)
        if self.progress_fn is not None:
            self.progress_fn(step, metrics or {}, picture)

    def checkpoint(self, step: int, metrics: dict, t_start: float) -> None:
        """The resumable state, then export/ (weights and card). Refuses NaN/inf weights,
        so the last good checkpoint stays."""
        from gan_core.training.loop import TrainingDiverged  # train.py writes its logs through this module

        for net in self.nets.values():
            if not all(torch.isfinite(p).all() for p in net.parameters()):
                raise TrainingDiverged(f"step {step}: weights became NaN/inf; the last good checkpoint is kept")
        wall = self.wall_before + time.time() - t_start
        info = {"step": step, "wall_time_s": wall, **self.state_info()}
        save_state(self.out / STATE_FILE, self.nets, self.optimizers, {"crop_rng": self.rng.get_state()}, info)
        export = self.out / "export"
        save_weights(export / GENERATOR_FILE, self.nets["G"])
        if "D" in self.nets:
            save_weights(export / DISCRIMINATOR_FILE, self.nets["D"])
        card_path = export / CARD_FILE
        kept = {}
        if self.kept_metrics and card_path.exists():
            old = json.loads(card_path.read_text()).get("metrics", {})
            kept = {k: old[k] for k in self.kept_metrics if k in old}
        card = self.card(step, wall, metrics)
        card.setdefault("metrics", {}).update(kept)
        write_json(card_path, card)


__all__ = ["RunWriter", "save_state", "load_state", "append_log", "save_sample"]
