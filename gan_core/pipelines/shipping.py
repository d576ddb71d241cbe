"""Ship a trained run as a checkpoint: its export's weights and card, stored for a Space.

A Hugging Face Space refuses files of 10 MB or more pushed without LFS, and a full-width
DCGAN-64 generator is 14 MB in float32. `ship_checkpoint` copies a run's export (or any
checkpoint) to a checkpoint folder, optionally storing the weights as float16 (loaded back
into float32 by every loader) and leaving out a discriminator the app has no use for. For
a GAN it measures what float16 changed, on the seed-0 grid of 64 samples, and writes it
into the card's "storage".

    python -m gan_core ship runs/faces --out checkpoints/faces-dcgan64 --half
    python -m gan_core ship runs/frogs --out checkpoints/cifar10-frogs-keras32 --no-discriminator

`blend_with` is ESRGAN's network interpolation (Wang et al. 2018, section 3.4): the
generator's weights become alpha x the source's + (1 - alpha) x another checkpoint's of
the same network, typically a GAN-refined upscaler blended with the PSNR model it started
from, which trades the GAN's texture and artefacts for fidelity smoothly, with no training:

    python -m gan_core ship runs/litesr-gan --out checkpoints/photo-litesrgan-x4 --half \
        --blend-with photo-litesr-x4 --alpha 0.7

Files in the folder that are not the checkpoint's weights or card (explore.json,
directions/) are left as they are.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from safetensors.torch import save_file

from gan_core.core.checkpoints import CARD_FILE, atomic_write, read_tensors, write_json
from gan_core.core.hub import GAN, card_task, open_checkpoint, weights_file

GRID_SAMPLES = 64  # the seed-0 grid float16 is checked on
HALF_REASON = "half the size: every file under 10 MB, as a Hugging Face Space needs without LFS"


def ship_checkpoint(source: str | Path, out: str | Path, *, half: bool = False, discriminator: bool = True,
                    name: str | None = None, blend_with: str | Path | None = None, alpha: float = 1.0) -> dict:
    """Write `source`'s weights and card into the folder `out`; returns the card written.
    half: store floating-point weights as float16; discriminator: keep a GAN's (or an SR
    GAN's) D; blend_with, alpha: the generator as alpha x source + (1 - alpha) x that
    checkpoint's (which leaves the discriminator out: it was trained against neither)."""
    folder, card = open_checkpoint(source)
    blend = None
    if blend_with is not None:
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f"alpha must be between 0 and 1 (got {alpha})")
        blend = open_checkpoint(blend_with)
        if card_task(blend[1]) != card_task(card) or blend[1].get("model") != card.get("model"):
            raise ValueError(f"{blend_with} is a {blend[1].get('model')} ({card_task(blend[1])}), {source} a "
                             f"{card.get('model')} ({card_task(card)}): only the same network can be blended")
        discriminator = False
    out = Path(out)
    if out.resolve() == folder.resolve():
        raise ValueError(f"{out} is the checkpoint itself: ship it to another folder")
    out.mkdir(parents=True, exist_ok=True)
    card = dict(card)
    files = dict(card.get("files", {}))
    if not discriminator:
        if "discriminator" not in files and blend is None:
            raise ValueError("this checkpoint has no discriminator to leave out")
        files.pop("discriminator", None)
        (out / "discriminator.safetensors").unlink(missing_ok=True)
    for key, file_name in files.items():
        tensors, metadata = read_tensors(weights_file(folder, card, key, file_name))
        if blend is not None and key == "generator":
            tensors = _blend(tensors, read_tensors(weights_file(blend[0], blend[1], key,
                                                                blend[1]["files"][key]))[0], alpha, blend_with)
        if half:
            tensors = {k: v.half() if v.is_floating_point() else v for k, v in tensors.items()}
        tensors = {k: v.contiguous() for k, v in tensors.items()}
        atomic_write(out / file_name, lambda tmp: save_file(tensors, tmp, metadata=metadata or None))
    card["files"] = files
    if name:
        card["name"] = name
    card.pop("storage", None)
    if blend is not None:
        card["interpolation"] = {
            "alpha": alpha, "with": blend[1].get("name", str(blend_with)),
            "with_command": blend[1].get("training", {}).get("command"),
            "note": f"network interpolation (ESRGAN, Wang et al. 2018): the generator's weights are {alpha:g} x this "
                    f"run's + {1 - alpha:g} x {blend[1].get('name', blend_with)}'s; the metrics in the card's training "
                    "section are the run's own, before the blend: evaluate the shipped checkpoint for its figures",
        }
    write_json(out / CARD_FILE, card)
    if half:  # a GAN's change is measured on the folder just written
        card["storage"] = half_precision_note(folder, out) if card_task(card) == GAN else (
            f"weights stored as float16 ({HALF_REASON}) and loaded into float32; measure the change with the "
            "task's own evaluation")
        write_json(out / CARD_FILE, card)
    return card


def _blend(mine: dict, theirs: dict, alpha: float, other) -> dict:
    if mine.keys() != theirs.keys() or any(mine[k].shape != theirs[k].shape for k in mine):
        raise ValueError(f"{other}'s generator has other weights than this one: only the same network can be blended")
    return {k: (alpha * v.float() + (1 - alpha) * theirs[k].float()).to(v.dtype) if v.is_floating_point() else v
            for k, v in mine.items()}


def half_precision_note(full: Path, stored: Path) -> str:
    """What float16 weights change in a GAN's seed-0 grid, in words for the card."""
    import gan_core

    grids = [np.asarray(gan_core.load(f, task=GAN).grid(GRID_SAMPLES, seed=0), np.int16) for f in (full, stored)]
    diff = np.abs(grids[0] - grids[1])
    changed = (diff > 0).mean()
    return (f"weights stored as float16 ({HALF_REASON}) and loaded into float32; against the float32 weights, a "
            f"{GRID_SAMPLES}-image seed-0 grid differs by at most {int(diff.max())} of 255 levels in {changed:.1%} of "
            "its pixels")


__all__ = ["ship_checkpoint", "half_precision_note"]
