"""Shared fixtures."""
from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import TINY_CHECKPOINT, only_checkpoints_in, write_tiny_checkpoint


@pytest.fixture
def tiny_checkpoint_dir(tmp_path, monkeypatch) -> Path:
    """A folder holding one checkpoint, `tiny-dcgan32`, and GAN_CORE_CHECKPOINTS set to it."""
    root = tmp_path / "checkpoints"
    write_tiny_checkpoint(root / TINY_CHECKPOINT)
    monkeypatch.setenv("GAN_CORE_CHECKPOINTS", str(root))
    return root


@pytest.fixture
def no_checkpoints(tmp_path, monkeypatch) -> Path:
    """No checkpoint anywhere: an empty GAN_CORE_CHECKPOINTS and none shipped."""
    return only_checkpoints_in(tmp_path / "empty", monkeypatch)
