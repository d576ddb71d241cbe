"""Style translation (gan_core.pipelines.style): the combo, tiles, seams, the resized baseline, pictures.

Tiny nets on a handful of synthetic pictures: seconds on a CPU.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

import gan_core
from gan_core.core.checkpoints import CARD_FILE
from gan_core.core.errors import DataError, ImageTooLargeError
from gan_core.pipelines.style import (combo, join_tiles, load_picture, seam_score, split_tiles, translate_resized,
    translate_tiled)

from ..helpers import pixel_difference as _differ, smooth_picture, tiles_by_hand as _tiles_by_hand


class Identity(nn.Module):
    def forward(self, x):
        return x


class TileBrightness(nn.Module):
    """Brightens each tile by its own mean: neighbouring tiles disagree at their border."""

    def forward(self, x):
        return (x + x.mean(dim=(1, 2, 3), keepdim=True)).clamp(-1, 1)


class Invert(nn.Module):
    """Every pixel to its negative: 255 - v in uint8, exactly."""

    def forward(self, x):
        return -x


# ----------------------------------------------------------------------------- the combo


def test_combo_with_an_identity_generator_gives_back_the_input():
    crops = torch.randn(3, 3, 32, 32)
    assert torch.equal(combo(Identity(), crops, 16), crops)


def test_combo_translates_each_tile_on_its_own():
    """G sees four separate tiles: a per-tile operation changes each quarter by its own mean."""
    crops = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(0)) * 2 - 1
    out = combo(TileBrightness(), crops, 16)
    for i, (r, c) in enumerate([(0, 0), (0, 1), (1, 0), (1, 1)]):
        quarter = crops[:, :, r * 16:(r + 1) * 16, c * 16:(c + 1) * 16]
        expect = (quarter + quarter.mean(dim=(1, 2, 3), keepdim=True)).clamp(-1, 1)
        # float32 tolerance: a mean over a batch of tiles may sum in another order than over one
        torch.testing.assert_close(out[:, :, r * 16:(r + 1) * 16, c * 16:(c + 1) * 16], expect)


def test_split_and_join_tiles_are_inverse_and_ordered_row_by_row():
    x = torch.arange(2 * 1 * 4 * 6, dtype=torch.float32).reshape(2, 1, 4, 6)
    tiles = split_tiles(x, 2)
    assert tiles.shape == (2 * 2 * 3, 1, 2, 2)
    assert torch.equal(tiles[1], x[0, :, 0:2, 2:4]) and torch.equal(tiles[3], x[0, :, 2:4, 0:2])
    assert torch.equal(join_tiles(tiles, 2, 3), x)
    with pytest.raises(ValueError, match="whole"):
        split_tiles(torch.zeros(1, 3, 5, 4), 2)


# ----------------------------------------------------------------------------- seams and tiled translation


def test_seam_score_is_one_without_a_grid_and_high_with_one():
    rng = np.random.default_rng(0)
    noise = rng.uniform(0, 255, (128, 128, 3))
    assert seam_score(noise, 32) == pytest.approx(1.0, abs=0.05)
    ramp = np.tile(np.linspace(0, 255, 128)[None, :, None], (128, 1, 3))
    assert seam_score(ramp, 32) == pytest.approx(1.0, abs=1e-3)
    stepped = ramp.copy()
    stepped[:, 32:64] += 20  # a jump at the tile borders x = 32 and x = 64
    assert seam_score(stepped, 32) > 3
    with pytest.raises(ValueError, match="no 64 px tile border"):
        seam_score(noise[:40, :40], 64)


def test_tiled_translation_keeps_any_size_and_shows_seams_only_for_tile_wise_changes():
    img = Image.fromarray(smooth_picture(1))  # 150 x 110: not a multiple of 32
    same = translate_tiled(Identity(), img, 32)
    assert same.size == img.size
    assert np.abs(np.asarray(same, np.int16) - np.asarray(img, np.int16)).max() <= 1
    bright = translate_tiled(TileBrightness(), img, 32)
    assert bright.size == img.size
    assert seam_score(bright, 32) > 1.5 * seam_score(img, 32)
    done = []
    translate_tiled(Identity(), img, 32, progress_fn=lambda i, n: done.append((i, n)))
    assert done[-1] == (4, 4)
    small = translate_tiled(Identity(), Image.fromarray(smooth_picture(2, (10, 7))), 32)  # smaller than one tile
    assert small.size == (10, 7)


def test_tiled_translation_is_the_generator_on_each_tile_on_its_own():
    img = Image.fromarray(smooth_picture(4, (128, 96)))  # 4 x 3 whole tiles of 32
    out = translate_tiled(TileBrightness(), img, 32)
    assert _differ(out, _tiles_by_hand(TileBrightness(), img, 32)).max() <= 1
    assert _differ(out, img).mean() > 20  # translated, not handed back


def test_the_resized_baseline_translates_a_shrunk_copy_and_enlarges_it_back():
    img = Image.fromarray(smooth_picture(3, (256, 128)))
    out = translate_resized(Invert(), img, 128)
    small = np.asarray(img.resize((128, 64), Image.Resampling.LANCZOS))  # 128 px on the longest side
    expected = Image.fromarray(255 - small).resize((256, 128), Image.Resampling.BICUBIC)
    assert out.size == (256, 128) and _differ(out, expected).max() <= 1
    assert _differ(out, img).mean() > 40


def test_bad_pictures_get_clear_errors(tmp_path):
    text = tmp_path / "notes.png"
    text.write_text("not a picture")
    with pytest.raises(DataError):
        load_picture(text)
    with pytest.raises(ImageTooLargeError, match="at most 4096"):
        load_picture(Image.new("RGB", (100, 50)), working_size=5000)
    assert load_picture(Image.new("RGB", (100, 50)), working_size=40).size == (40, 20)
    rgba = Image.new("RGBA", (20, 20), (255, 0, 0, 0))
    path = tmp_path / "clear.png"
    rgba.save(path)
    assert load_picture(path).getpixel((5, 5)) == (255, 255, 255)  # transparency on white paper


def test_the_shipped_style_model_loads_and_its_card_records_the_seam_ablation():
    from gan_core.core.hub import REPO_CHECKPOINTS

    folder = REPO_CHECKPOINTS / "photo2painting-siamese"
    if not (folder / CARD_FILE).is_file():
        pytest.skip("photo2painting-siamese is not in this checkout")
    painter = gan_core.load("photo2painting-siamese")
    seams = painter.card["metrics"]["seams"]
    assert painter.card["config"]["combo"] is True and seams["without_combo"]["combo"] is False
    assert seams["seam_score"] < seams["without_combo"]["seam_score"]  # what the combo is for
    img = Image.fromarray(smooth_picture(7, (2 * painter.tile, painter.tile)))
    out = painter(img, working_size=None)
    assert np.array_equal(np.asarray(out), _tiles_by_hand(painter.generator, img, painter.tile))
    assert _differ(out, img).mean() > 5  # it paints
