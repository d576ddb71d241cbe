"""Shared fixtures."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

TINY_CHECKPOINT = "tiny-dcgan32"


def write_tiny_checkpoint(folder: Path, name: str = TINY_CHECKPOINT) -> Path:
    """A loadable dcgan32 checkpoint with untrained (but seeded, so repeatable) weights."""
    from gan_core import get_model
    from gan_core.checkpoint import CARD_FILE, GENERATOR_FILE, save_weights, write_json

    torch.manual_seed(0)
    generator = get_model("dcgan32").build_generator()
    save_weights(folder / GENERATOR_FILE, generator)
    write_json(folder / CARD_FILE, {
        "name": name,
        "model": "dcgan32",
        "description": "An untrained DCGAN-32 for tests",
        "data": {"description": "no data: random weights", "images": 0},
        "training": {"command": "pytest", "steps": 0, "epochs": 0, "wall_time_s": 0.0, "hardware": "none"},
        "metrics": {},
        "files": {"generator": GENERATOR_FILE},
    })
    return folder


@pytest.fixture
def tiny_checkpoint_dir(tmp_path, monkeypatch) -> Path:
    """A folder holding one checkpoint, `tiny-dcgan32`, and GAN_CORE_CHECKPOINTS set to it."""
    root = tmp_path / "checkpoints"
    write_tiny_checkpoint(root / TINY_CHECKPOINT)
    monkeypatch.setenv("GAN_CORE_CHECKPOINTS", str(root))
    return root
