"""Ship a trained run as a checkpoint: its export's weights and card, stored for a Space.

A Hugging Face Space refuses files of 10 MB or more pushed without LFS, and a full-width
DCGAN-64 generator is 14 MB in float32. `ship_checkpoint` copies a run's export (or any
checkpoint) to a checkpoint folder, optionally storing the weights as float16 (loaded back
into float32 by every loader) and leaving out a discriminator the app has no use for. For
a GAN it measures what float16 changed, on the seed-0 grid of 64 samples, and writes it
into the card's "storage".

    python -m gan_core ship runs/faces --out checkpoints/faces-dcgan64 --half
    python -m gan_core ship runs/frogs --out checkpoints/cifar10-frogs-keras32 --no-discriminator

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
                    name: str | None = None) -> dict:
    """Write `source`'s weights and card into the folder `out`; returns the card written.
    half: store floating-point weights as float16; discriminator: keep a GAN's D."""
    folder, card = open_checkpoint(source)
    out = Path(out)
    if out.resolve() == folder.resolve():
        raise ValueError(f"{out} is the checkpoint itself: ship it to another folder")
    out.mkdir(parents=True, exist_ok=True)
    card = dict(card)
    files = dict(card.get("files", {}))
    if not discriminator:
        if card_task(card) != GAN:
            raise ValueError("only a GAN has a discriminator to leave out")
        files.pop("discriminator", None)
        (out / "discriminator.safetensors").unlink(missing_ok=True)
    for key, file_name in files.items():
        tensors, metadata = read_tensors(weights_file(folder, card, key, file_name))
        if half:
            tensors = {k: v.half() if v.is_floating_point() else v for k, v in tensors.items()}
        tensors = {k: v.contiguous() for k, v in tensors.items()}
        atomic_write(out / file_name, lambda tmp: save_file(tensors, tmp, metadata=metadata or None))
    card["files"] = files
    if name:
        card["name"] = name
    card.pop("storage", None)
    write_json(out / CARD_FILE, card)
    if half:  # a GAN's change is measured on the folder just written
        card["storage"] = half_precision_note(folder, out) if card_task(card) == GAN else (
            f"weights stored as float16 ({HALF_REASON}) and loaded into float32; measure the change with the "
            "task's own evaluation")
        write_json(out / CARD_FILE, card)
    return card


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
