"""Fixtures shared by the demo tests."""
from __future__ import annotations

import shutil

import pytest
import torch

from demo import common, explore, style, upscale
from gan_core.training.style import StyleTrainConfig, train_style

from ..helpers import TINY_STYLE, only_checkpoints_in, write_style_domains


@pytest.fixture(autouse=True)
def fresh_tab_caches():
    """Each test's checkpoints live in its own tmp folder: never reuse a model another test loaded."""
    def clear():
        for cached in (common.load_pipeline, explore.presets_for, explore.pose_direction_for,
                       explore.attribute_directions_for, style._painter, style._judge, upscale._upscaler):
            cached.cache_clear()
        explore._ROW_CACHE.clear()

    clear()
    yield
    clear()


@pytest.fixture(scope="session")
def trained_style_export(tmp_path_factory):
    """The export/ folder of a two-step run of the tiny style config (one torch thread: these
    tiny convolutions gain nothing from more)."""
    tmp = tmp_path_factory.mktemp("style-run")
    photos, paintings = write_style_domains(tmp)
    config = StyleTrainConfig(photos=[str(photos)], paintings=[str(paintings)], out=str(tmp / "run"), steps=2,
                              tile=16, batch_size=3, g_width=4, g_blocks=1, d_width=4, lenvec=8, log_every=1,
                              sample_every=2, checkpoint_every=2, device="cpu", max_side=None)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        train_style(config)
    finally:
        torch.set_num_threads(threads)
    return tmp / "run" / "export"


@pytest.fixture
def style_checkpoint(trained_style_export, tmp_path, monkeypatch):
    """A checkpoints root holding only the tiny style model, `tiny-style`."""
    root = tmp_path / "checkpoints"
    shutil.copytree(trained_style_export, root / TINY_STYLE)
    return only_checkpoints_in(root, monkeypatch)
