"""Shared fixtures."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch
from PIL import Image

from gan_core.core.checkpoints import CARD_FILE, DISCRIMINATOR_FILE, read_json, save_weights, write_json
from gan_core.models import get_model

from .helpers import TINY_CHECKPOINT, edged_picture, only_checkpoints_in, write_tiny_checkpoint


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


@pytest.fixture
def one_torch_thread():
    """One torch thread: small convolutions gain nothing from more, and on a CPU shared
    with other jobs two threads can be ten times slower than one."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def sr_photos(tmp_path) -> Path:
    """Six small photos for super-resolution training and one broken file (skipped and counted, not fatal)."""
    folder = tmp_path / "photos"
    folder.mkdir()
    for i in range(6):
        Image.fromarray(edged_picture(i)).save(folder / f"p{i}.png")
    (folder / "broken.jpg").write_bytes(b"not an image")
    return folder


@pytest.fixture
def probe_checkpoint(tmp_path) -> Path:
    """A tiny untrained dcgan32 with a discriminator (the helper writes the generator)."""
    folder = write_tiny_checkpoint(tmp_path / "tiny-probe")
    torch.manual_seed(1)
    save_weights(folder / DISCRIMINATOR_FILE, get_model("dcgan32").build_discriminator())
    card = read_json(folder / CARD_FILE)
    card["files"]["discriminator"] = DISCRIMINATOR_FILE
    write_json(folder / CARD_FILE, card)
    return folder
