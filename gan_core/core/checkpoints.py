"""Checkpoints on disk: safetensors weights and JSON model cards, never pickles.

Two kinds of files:
  * a *training state* (`state.safetensors`): a trainer's nets and optimisers,
    every RNG and the data order, so `--resume` continues exactly where it stopped;
  * an *exported model*: `generator.safetensors` (+ `discriminator.safetensors`)
    beside `model_card.json`, what `gan_core.load()` reads.

Every write goes to a temporary file that is renamed over the old one, so a
crash (or kill -9) mid-write leaves the previous file intact.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Callable

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file
from torch import nn

from gan_core.core.errors import CheckpointError

CARD_FILE = "model_card.json"
GENERATOR_FILE = "generator.safetensors"
DISCRIMINATOR_FILE = "discriminator.safetensors"
STATE_FILE = "state.safetensors"


def atomic_write(path: str | Path, write: Callable[[str], Any]) -> None:
    """Call `write(tmp_path)`, fsync, then rename over `path` (atomic on POSIX)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_json(path: str | Path, obj: Any) -> None:
    def _write(tmp: str) -> None:
        with open(tmp, "w") as f:
            json.dump(obj, f, indent=2, sort_keys=False)
            f.write("\n")
    atomic_write(path, _write)


# A model card is a few kB; 1 MB and 32 levels of nesting leave room for any real one,
# and refuse a card made to exhaust memory or the parser's recursion.
MAX_JSON_BYTES = 2**20
MAX_JSON_DEPTH = 32


def read_json(path: str | Path, max_bytes: int = MAX_JSON_BYTES, max_depth: int = MAX_JSON_DEPTH) -> dict:
    """A small JSON file (a model card...): CheckpointError when it is missing, not JSON,
    over `max_bytes` or nested deeper than `max_depth`."""
    try:
        size = os.path.getsize(path)
        if size > max_bytes:
            raise CheckpointError(f"{path} is {size:,} bytes, over the limit of {max_bytes:,} bytes for a "
                                  "JSON file here (a model card is a few kB): it is not a model card")
        with open(path) as f:
            obj = json.load(f)
    except FileNotFoundError:
        raise CheckpointError(f"{path} not found") from None
    except RecursionError:
        raise CheckpointError(f"{path} is nested too deeply (more than {max_depth} levels of lists or "
                              "objects): it is not a model card") from None
    except json.JSONDecodeError as exc:
        raise CheckpointError(f"{path} is not valid JSON: {exc}") from None
    except UnicodeDecodeError:
        raise CheckpointError(f"{path} is not valid JSON: it is not UTF-8 text") from None
    except IsADirectoryError:
        raise CheckpointError(f"{path} is a folder, not a JSON file") from None
    except OSError as exc:
        raise CheckpointError(f"{path} cannot be read ({exc.strerror or exc})") from None
    if _depth(obj) > max_depth:
        raise CheckpointError(f"{path} is nested too deeply (more than {max_depth} levels of lists or "
                              "objects): it is not a model card")
    return obj


def _depth(obj: Any) -> int:
    """Levels of lists and objects in parsed JSON, counted without recursion."""
    deepest, todo = 0, [(obj, 1)]
    while todo:
        item, level = todo.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, level)
            todo += [(x, level + 1) for x in item if isinstance(x, (dict, list))]
    return deepest


def _cpu_state(module: nn.Module) -> dict[str, torch.Tensor]:
    module = getattr(module, "_orig_mod", module)  # torch.compile wrapper
    module = getattr(module, "module", module)  # DistributedDataParallel wrapper
    return {k: v.detach().to("cpu", copy=True).contiguous() for k, v in module.state_dict().items()}


def save_weights(path: str | Path, module: nn.Module, metadata: dict[str, str] | None = None) -> None:
    tensors = _cpu_state(module)
    atomic_write(path, lambda tmp: save_file(tensors, tmp, metadata=metadata))


def read_tensors(path: str | Path) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """All tensors and the metadata of a safetensors file, with a clear error
    for a missing, truncated or foreign file."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path} not found")
    try:
        with safe_open(str(path), framework="pt") as f:
            return {k: f.get_tensor(k) for k in f.keys()}, dict(f.metadata() or {})
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise CheckpointError(f"{path} {_why_unreadable(path, exc)}") from None


# Pickles start with the PROTO opcode; torch.save writes a zip archive (of a pickle).
_PICKLE_MAGIC = (b"\x80",)
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


def _why_unreadable(path: Path, exc: Exception) -> str:
    """What is wrong with a file safetensors refused, from its first bytes."""
    never = ("Only safetensors files are read: pickles (.pt, .pth, .ckpt, .bin) are never loaded, "
             "as unpickling can run any code")
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            head = f.read(8)
            n = int.from_bytes(head, "little") if len(head) == 8 else 0
            header = f.read(n) if 0 < n <= min(size - 8, 100 * 2**20) else b""
    except OSError as err:
        return f"cannot be read ({err.strerror or err})"
    if size == 0:
        return "is empty (0 bytes): the save or download did not finish; export or download it again"
    if head.startswith(_ZIP_MAGIC) or head.startswith(_PICKLE_MAGIC):
        return (f"is not a readable safetensors file: it looks like a pickle (as PyTorch's torch.save "
                f"writes). {never}; "
                "re-save the weights with safetensors.torch.save_file(model.state_dict(), path)")
    if len(head) < 8 or (8 + n > size and n < 100 * 2**20):
        return (f"is truncated: its header needs {8 + n:,} bytes but the file has {size:,}; "
                "copy or download it again")
    try:
        entries = json.loads(header)
        end = max((v["data_offsets"][1] for k, v in entries.items() if k != "__metadata__"), default=0)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError):
        end = None
    if end is not None and 8 + n + end > size:
        return (f"is truncated: it holds {size:,} of the {8 + n + end:,} bytes its header describes; "
                "copy or download it again")
    return f"is not a readable safetensors file ({exc}). {never}"


def tensor_shapes(path: str | Path) -> dict[str, tuple[int, ...]]:
    """Each tensor's shape in a safetensors file, from its header alone (nothing is
    allocated); CheckpointError as read_tensors for a missing or unreadable file."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path} not found")
    try:
        with safe_open(str(path), framework="pt") as f:
            return {k: tuple(f.get_slice(k).get_shape()) for k in f.keys()}
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise CheckpointError(f"{path} {_why_unreadable(path, exc)}") from None


def check_fits(own: dict[str, tuple[int, ...]], found: dict[str, tuple[int, ...]], path: str | Path) -> None:
    """CheckpointError unless the file's tensors (`found`: name -> shape) are exactly
    the model's (`own`), naming the first wrong, missing or unexpected tensor."""
    missing = sorted(set(own) - set(found))
    extra = sorted(set(found) - set(own))
    wrong = sorted(k for k in set(own) & set(found) if tuple(own[k]) != tuple(found[k]))
    if missing or extra or wrong:
        detail = []
        if wrong:
            k = wrong[0]
            detail.append(f"{len(wrong)} tensors of the wrong shape (e.g. {k}: file {tuple(found[k])}, "
                          f"model {tuple(own[k])})")
        if missing:
            detail.append(f"{len(missing)} missing (e.g. {missing[0]})")
        if extra:
            detail.append(f"{len(extra)} unexpected (e.g. {extra[0]})")
        raise CheckpointError(f"{path} does not fit the model named in its card: {'; '.join(detail)}")


def load_weights(module: nn.Module, path: str | Path) -> None:
    """Load weights into `module`, refusing missing, extra or mis-shaped tensors (from the
    file's header, before any tensor is read) and weights holding NaN or infinity."""
    check_fits({k: tuple(v.shape) for k, v in module.state_dict().items()}, tensor_shapes(path), path)
    tensors, _ = read_tensors(path)
    bad = [k for k, v in tensors.items() if v.is_floating_point() and not bool(torch.isfinite(v).all())]
    if bad:
        raise CheckpointError(f"{path} holds NaN or infinite weights in {len(bad)} tensors (e.g. {bad[0]}): "
                              "the training that wrote them diverged, and the model would draw blank images; "
                              "use an earlier checkpoint")
    module.load_state_dict(tensors)


def build_checked(build: Callable[[], nn.Module], path: str | Path) -> nn.Module:
    """`build()` with the weights of `path` loaded: the network is first built on the
    meta device (no memory) and its tensor shapes compared with the file's header, so
    a card that does not describe these weights is refused before anything is allocated."""
    with torch.device("meta"):
        shapes = {k: tuple(v.shape) for k, v in build().state_dict().items()}
    check_fits(shapes, tensor_shapes(path), path)
    module = build()
    load_weights(module, path)
    return module


# ----------------------------------------------------------------------------- training state


def _flatten_optimizer(prefix: str, opt: torch.optim.Optimizer, tensors: dict, meta: dict) -> None:
    sd = opt.state_dict()
    scalars: dict[str, dict[str, Any]] = {}
    for idx, st in sd["state"].items():
        for key, value in st.items():
            if torch.is_tensor(value):
                tensors[f"{prefix}.{idx}.{key}"] = value.detach().to("cpu", copy=True).contiguous()
            else:
                scalars.setdefault(str(idx), {})[key] = value
    meta[prefix] = {"param_groups": sd["param_groups"], "scalars": scalars}


def _unflatten_optimizer(prefix: str, tensors: dict, meta: dict) -> dict:
    state: dict[int, dict[str, Any]] = {}
    for name, value in tensors.items():
        if name.startswith(prefix + "."):
            _, idx, key = name.split(".", 2)
            state.setdefault(int(idx), {})[key] = value
    for idx, scalars in meta[prefix]["scalars"].items():
        state.setdefault(int(idx), {}).update(scalars)
    return {"state": state, "param_groups": meta[prefix]["param_groups"]}


def save_training_state(path: str | Path, *, nets: dict[str, nn.Module], optimizers: dict[str, torch.optim.Optimizer],
                        generators: dict[str, torch.Generator] | None = None,
                        tensors: dict[str, torch.Tensor] | None = None, info: dict) -> None:
    """Everything a run needs to go on exactly where it stopped, in one file written atomically:
    the nets and optimisers (by name), every random source (torch's CPU generator, every CUDA
    device's, and the named `generators` a trainer draws from: data sampler, noise), other
    `tensors` (a data order) and `info` (JSON: step, wall time, data hash...)."""
    generators, tensors = generators or {}, tensors or {}
    out: dict[str, torch.Tensor] = {}
    meta: dict[str, Any] = {"info": info, "nets": sorted(nets), "optimizers": sorted(optimizers),
                            "generators": sorted(generators)}
    for name, net in nets.items():
        out.update({f"{name}.{k}": v for k, v in _cpu_state(net).items()})
    for name, opt in optimizers.items():
        _flatten_optimizer(name, opt, out, meta)
    out["rng.torch"] = torch.get_rng_state()
    if torch.cuda.is_available():
        for i, s in enumerate(torch.cuda.get_rng_state_all()):
            out[f"rng.cuda.{i}"] = s
    out.update({f"rng.generator.{name}": g.get_state() for name, g in generators.items()})
    out.update({f"x.{k}": v.detach().to("cpu").contiguous() for k, v in tensors.items()})
    atomic_write(path, lambda tmp: save_file(out, tmp, metadata={"state": json.dumps(meta)}))


def load_training_state(path: str | Path, *, nets: dict[str, nn.Module], optimizers: dict[str, torch.optim.Optimizer],
                        generators: dict[str, torch.Generator] | None = None) -> tuple[dict, dict[str, torch.Tensor]]:
    """Restore what `save_training_state` wrote into `nets`, `optimizers`, `generators` and
    torch's generators; returns (info, the other tensors). Reads the states written before
    the generators had their own entries too (they were kept among the other tensors)."""
    tensors, metadata = read_tensors(path)
    if "state" not in metadata:
        raise CheckpointError(f"{path} is not a training state (no resume information in it)")
    meta = json.loads(metadata["state"])
    if meta.get("nets", sorted(nets)) != sorted(nets):
        raise CheckpointError(f"{path} holds the nets {meta['nets']}, this run has {sorted(nets)}")

    def sub(prefix: str) -> dict[str, torch.Tensor]:
        return {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}

    for name, net in nets.items():
        target = getattr(net, "_orig_mod", net)  # torch.compile wrapper
        target = getattr(target, "module", target)  # DistributedDataParallel wrapper
        target.load_state_dict(sub(name + "."))
    for name, opt in optimizers.items():
        opt.load_state_dict(_unflatten_optimizer(name, tensors, meta))
    extra = sub("x.")
    for name, g in (generators or {}).items():
        state = tensors.get(f"rng.generator.{name}", extra.get(name))
        if state is None:
            raise CheckpointError(f"{path} holds no state of the random generator {name!r}")
        g.set_state(state)
    torch.set_rng_state(tensors["rng.torch"])
    cuda_states = [tensors[f"rng.cuda.{i}"] for i in range(torch.cuda.device_count()) if f"rng.cuda.{i}" in tensors]
    if cuda_states and len(cuda_states) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(cuda_states)
    return meta["info"], {k: v for k, v in extra.items() if k not in (generators or {})}
