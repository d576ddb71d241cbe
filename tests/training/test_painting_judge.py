"""The photo-or-painting judge (gan_core.training.painting_judge, evaluation.painting_score):
it learns two kinds of pictures apart from texture, holds its test pictures out, and
scores any picture on a grid of crops."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

import gan_core
from gan_core.evaluation.painting_score import CROP, grid_crops, painting_probabilities, painting_share
from gan_core.training.painting_judge import JudgeConfig, jitter, split, train_painting_judge


def pictures(folder, kind: str, n: int = 10):
    """Smooth 'photos' (gradients) or 'paintings' (the same with coarse dabs of noise):
    the same colours, only texture tells them apart."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0 if kind == "photo" else 1)
    for i in range(n):
        y, x = np.mgrid[0:160, 0:200] / 200.0
        base = np.stack([x, y, 1 - x], -1) * 200 + 20
        if kind == "painting":
            dabs = rng.normal(0, 40, (40, 50, 3)).repeat(4, 0).repeat(4, 1)
            base = base + dabs
        Image.fromarray(base.clip(0, 255).astype(np.uint8)).save(folder / f"{kind}{i}.png")
    return folder


def test_the_judge_learns_texture_holds_out_a_test_set_and_loads(tmp_path):
    photos, paintings = pictures(tmp_path / "photos", "photo"), pictures(tmp_path / "paintings", "painting")
    cfg = JudgeConfig(photos=[str(photos)], paintings=[str(paintings)], out=str(tmp_path / "run"), steps=60,
                      batch_size=8, width=8, eval_every=60, log_every=20)
    train_painting_judge(cfg)
    card = json.loads((tmp_path / "run" / "export" / "model_card.json").read_text())
    test = card["metrics"]["test"]
    assert test["photos_held_out"] == test["paintings_held_out"] == 2  # 20 % of each domain
    assert test["accuracy"] == 1.0
    judge = gan_core.load(tmp_path / "run").classifier
    photo = np.asarray(Image.open(photos / "photo0.png"))
    painting = np.asarray(Image.open(paintings / "painting0.png"))
    probs = painting_probabilities(judge, [photo, painting])
    assert probs[0] < 0.5 < probs[1]
    assert painting_share(judge, [photo, painting, painting]) == pytest.approx(2 / 3)


def test_the_held_out_split_is_fixed_and_the_jitter_can_turn_crops_grey():
    assert split(10, 0) == split(10, 0) and len(split(10, 0)[1]) == 2 and not set(split(10, 0)[0]) & set(split(10, 0)[1])
    x = torch.rand(64, 3, 8, 8) * 2 - 1
    out = jitter(x, torch.Generator().manual_seed(0))
    grey = (out.std(1) < 1e-6).flatten(1).all(1)
    assert 5 < int(grey.sum()) < 40 and out.abs().max() <= 1


def test_a_grid_of_crops_covers_any_picture():
    crops = grid_crops(np.zeros((200, 300, 3), np.uint8))
    assert crops.shape == (16, 3, CROP, CROP) and crops.dtype == torch.uint8


def test_softening_blurs_about_half_the_photo_crops_and_keeps_their_colour():
    """soften: SOFT_SHARE of the crops lose fine detail (a Gaussian), the rest are untouched,
    and a blur keeps each crop's mean colour (reflect padding, a normalised kernel)."""
    from gan_core.training.painting_judge import soften

    x = torch.rand(64, 3, 32, 32) * 2 - 1
    out = soften(x, torch.Generator().manual_seed(0))
    same = (out == x).flatten(1).all(1)
    assert 20 < int(same.sum()) < 44
    detail = lambda t: (t[..., 1:] - t[..., :-1]).abs().mean((1, 2, 3))  # noqa: E731
    assert (detail(out[~same]) < 0.7 * detail(x[~same])).all()
    assert torch.allclose(out[~same].mean((2, 3)), x[~same].mean((2, 3)), atol=0.05)
