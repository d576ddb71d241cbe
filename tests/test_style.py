"""Style transfer with the Siamese GAN (gan_core.pipelines.style, style_train, models.siamese).

Tiny nets on a handful of synthetic pictures: seconds on a CPU.
"""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

import gan_core
from gan_core.core.checkpoints import CARD_FILE, STATE_FILE, read_tensors
from gan_core.core.errors import CheckpointError, DataError, ImageTooLargeError
from gan_core.models.siamese import SiameseDiscriminator, TileTranslator
from gan_core.pipelines.style import (
    StyleTransfer, combo, join_tiles, load_picture, seam_score, split_tiles, translate_resized, translate_tiled,
)
from gan_core.training.losses import content_loss, generator_loss, margin_loss, painting_loss
from gan_core.training.style import StyleTrainConfig, train_style


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


def _tiles_by_hand(G: nn.Module, image: Image.Image, tile: int) -> np.ndarray:
    """`G` run on each tile of `image` (whole tiles only) on its own, the results put back
    in place: what tile-by-tile translation must give."""
    arr = np.asarray(image.convert("RGB"))
    h, w = arr.shape[:2]
    assert h % tile == 0 and w % tile == 0
    x = torch.from_numpy(arr.astype(np.float32) / 127.5 - 1).permute(2, 0, 1)
    out = np.zeros_like(arr)
    with torch.no_grad():
        for top in range(0, h, tile):
            for left in range(0, w, tile):
                y = G(x[None, :, top:top + tile, left:left + tile])[0].clamp(-1, 1)
                out[top:top + tile, left:left + tile] = ((y + 1) * 127.5).round().permute(1, 2, 0).numpy()
    return out


def _differ(a, b) -> np.ndarray:
    return np.abs(np.asarray(a, np.int16) - np.asarray(b, np.int16))


def _picture(seed: int, size=(150, 110)) -> np.ndarray:
    rng = np.random.default_rng(seed)
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w]
    arr = np.stack([(xx * 2 + seed * 40) % 256, (yy * 2) % 256, ((xx + yy) + seed * 9) % 256], -1).astype(np.float32)
    arr += rng.normal(0, 6, arr.shape)
    return np.clip(arr, 0, 255).astype(np.uint8)


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


# ----------------------------------------------------------------------------- the losses, by hand


def test_each_loss_term_matches_a_hand_computation():
    v_b = torch.tensor([[3.0, 4.0], [0.0, 1.0]])  # norms 5 and 1
    assert painting_loss(v_b).item() == pytest.approx((25 + 1) / 2)
    assert generator_loss(v_b).item() == pytest.approx((25 + 1) / 2)
    v_ab = torch.tensor([[0.6, 0.8], [3.0, 0.0]])  # norms 1 and 3
    # m = 2: max(0, 2 - 1)^2 = 1 and max(0, 2 - 3)^2 = 0
    assert margin_loss(v_ab, margin=2.0).item() == pytest.approx(0.5)
    v_a = torch.tensor([[1.0, 0.0], [0.0, 0.0], [0.0, 2.0]])
    v_t = torch.tensor([[2.0, 0.0], [0.0, 0.0], [0.0, -2.0]])
    # pairs (0,1), (1,2), (2,0): differences of A: (1,0), (0,-2), (-1,2); of AB: (2,0), (0,2), (-2,-2)
    # cosines: 1, -1, (2 - 4) / (sqrt(5) sqrt(8))
    cosines = [1.0, -1.0, -2 / (5 ** 0.5 * 8 ** 0.5)]
    assert content_loss(v_a, v_t).item() == pytest.approx(np.mean([1 - c for c in cosines]), abs=1e-6)
    with pytest.raises(ValueError, match="at least 2"):
        content_loss(v_a[:1], v_t[:1])


def test_the_losses_pull_the_right_way():
    """One gradient step on D's vectors: paintings towards 0, translations out to the margin."""
    v_b = torch.tensor([[1.0, 1.0]], requires_grad=True)
    painting_loss(v_b).backward()
    assert (v_b.grad * v_b).sum() > 0  # descent shrinks the norm
    v_ab = torch.tensor([[0.1, 0.0]], requires_grad=True)
    margin_loss(v_ab, 1.0).backward()
    assert v_ab.grad[0, 0] < 0  # descent grows the norm
    far = torch.tensor([[5.0, 0.0]], requires_grad=True)
    margin_loss(far, 1.0).backward()
    assert far.grad.abs().sum() == 0  # beyond the margin: nothing to do


# ----------------------------------------------------------------------------- the networks


def test_networks_keep_sizes_and_an_untrained_translator_is_the_identity():
    G = TileTranslator(width=8, blocks=1)
    x = torch.rand(2, 3, 64, 64) * 1.6 - 0.8
    assert torch.allclose(G(x), x, atol=1e-4)  # zero-initialised last layer
    assert G(torch.zeros(1, 3, 64, 96)).shape == (1, 3, 64, 96)
    D = SiameseDiscriminator(lenvec=16, width=4)
    assert D(torch.zeros(2, 3, 128, 128)).shape == (2, 16)
    assert D(torch.zeros(2, 3, 64, 64)).shape == (2, 16)  # the same net reads tiles and combos


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
    img = Image.fromarray(_picture(1))  # 150 x 110: not a multiple of 32
    same = translate_tiled(Identity(), img, 32)
    assert same.size == img.size
    assert np.abs(np.asarray(same, np.int16) - np.asarray(img, np.int16)).max() <= 1
    bright = translate_tiled(TileBrightness(), img, 32)
    assert bright.size == img.size
    assert seam_score(bright, 32) > 1.5 * seam_score(img, 32)
    done = []
    translate_tiled(Identity(), img, 32, progress_fn=lambda i, n: done.append((i, n)))
    assert done[-1] == (4, 4)
    small = translate_tiled(Identity(), Image.fromarray(_picture(2, (10, 7))), 32)  # smaller than one tile
    assert small.size == (10, 7)


def test_tiled_translation_is_the_generator_on_each_tile_on_its_own():
    img = Image.fromarray(_picture(4, (128, 96)))  # 4 x 3 whole tiles of 32
    out = translate_tiled(TileBrightness(), img, 32)
    assert _differ(out, _tiles_by_hand(TileBrightness(), img, 32)).max() <= 1
    assert _differ(out, img).mean() > 20  # translated, not handed back


def test_the_resized_baseline_translates_a_shrunk_copy_and_enlarges_it_back():
    img = Image.fromarray(_picture(3, (256, 128)))
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


# ----------------------------------------------------------------------------- training


@pytest.fixture
def domains(tmp_path):
    photos, paintings = tmp_path / "photos", tmp_path / "paintings"
    photos.mkdir()
    paintings.mkdir()
    for i in range(4):
        Image.fromarray(_picture(i, (70, 60))).save(photos / f"p{i}.png")
        painted = (_picture(10 + i, (70, 60)) // 64 * 64 + 32).astype(np.uint8)  # posterised: "paint"
        Image.fromarray(painted).save(paintings / f"b{i}.png")
    (photos / "broken.jpg").write_bytes(b"nope")  # skipped and counted
    return photos, paintings


def cfg(domains, out, **kw) -> StyleTrainConfig:
    base = dict(photos=[str(domains[0])], paintings=[str(domains[1])], out=str(out), steps=4, tile=16,
                batch_size=3, g_width=4, g_blocks=1, d_width=4, lenvec=8, log_every=1, sample_every=2,
                checkpoint_every=2, device="cpu", max_side=None)
    return StyleTrainConfig(**{**base, **kw})


def _weights(path):
    tensors, _ = read_tensors(path)
    return {k: v for k, v in tensors.items() if not k.startswith("rng.")}


def test_training_writes_a_loadable_style_model_and_logs_every_term(domains, tmp_path):
    seen = []
    result = train_style(cfg(domains, tmp_path / "run", name="tiny-style"),
                         progress_fn=lambda step, metrics, sheet: seen.append((step, sheet)))
    assert result.step == 4 and not result.aborted
    lines = [json.loads(x) for x in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert {"loss_d1", "loss_d2", "loss_d3", "loss_g1", "loss_g2", "norm_b", "norm_ab"} <= set(lines[-1])
    assert "seam_score" in lines[-1]
    assert any(sheet is not None for _, sheet in seen)
    card = json.loads((tmp_path / "run" / "export" / CARD_FILE).read_text())
    assert card["task"] == "style-transfer" and card["config"]["combo"] is True
    assert card["data"]["A (photos)"]["images"] == 4 and card["data"]["A (photos)"]["skipped"] == 1
    painter = gan_core.load(tmp_path / "run")
    assert isinstance(painter, StyleTransfer)
    out = painter(Image.fromarray(_picture(5, (50, 40))), working_size=None)
    assert out.size == (50, 40)
    assert painter(Image.fromarray(_picture(5, (50, 40))), working_size=None, method="resized").size == (50, 40)
    with pytest.raises(ValueError, match="tiles"):
        painter(Image.fromarray(_picture(5)), method="mosaic")


def test_training_changes_the_generator(domains, tmp_path):
    train_style(cfg(domains, tmp_path / "run", steps=3, lr=1e-2))  # a big step: 3 of them must show
    painter = gan_core.load(tmp_path / "run")
    G = painter.generator
    x = torch.rand(1, 3, 32, 32) * 1.6 - 0.8
    assert not torch.allclose(G(x), x, atol=1e-3)  # no longer the identity it started as
    img = Image.fromarray(_picture(5, (48, 32)))  # 3 x 2 tiles of 16
    out = painter(img, working_size=None)
    assert np.array_equal(np.asarray(out), _tiles_by_hand(G, img, 16))  # the trained G, tile by tile
    assert _differ(out, img).mean() > 1


def test_resume_continues_exactly(domains, tmp_path):
    train_style(cfg(domains, tmp_path / "whole", steps=4))
    train_style(cfg(domains, tmp_path / "split", steps=2))
    card_path = tmp_path / "split" / "export" / CARD_FILE
    card = json.loads(card_path.read_text())
    card["metrics"]["seams"] = {"measured": "by hand"}  # as `style seams --write-card` leaves it
    card_path.write_text(json.dumps(card))
    train_style(cfg(domains, tmp_path / "split", steps=4, resume=True))
    a, b = _weights(tmp_path / "whole" / STATE_FILE), _weights(tmp_path / "split" / STATE_FILE)
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k
    card = json.loads(card_path.read_text())
    assert card["metrics"]["seams"] == {"measured": "by hand"} and card["training"]["steps"] == 4
    assert [json.loads(line)["step"] for line in (tmp_path / "split" / "log.jsonl").read_text().splitlines()
            if "step" in json.loads(line)][-1] == 4


def test_a_run_refuses_to_overwrite_or_resume_with_other_settings(domains, tmp_path):
    train_style(cfg(domains, tmp_path / "run", steps=2))
    with pytest.raises(FileExistsError, match="--resume"):
        train_style(cfg(domains, tmp_path / "run", steps=2))
    with pytest.raises(ValueError, match="combo"):
        train_style(cfg(domains, tmp_path / "run", steps=3, combo=False, resume=True))


def test_bad_settings_are_refused_before_anything_is_written(domains, tmp_path):
    for kw, msg in [(dict(batch_size=1), "at least 2"), (dict(tile=20), "multiple of 16"),
                    (dict(paintings=[]), "both domains"), (dict(margin=0), "positive")]:
        with pytest.raises(ValueError, match=msg):
            train_style(cfg(domains, tmp_path / "run", **kw))
        assert not (tmp_path / "run").exists()


def test_the_ablation_trains_without_the_combo(domains, tmp_path):
    train_style(cfg(domains, tmp_path / "plain", steps=2, combo=False, lr_d=1e-3))
    card = json.loads((tmp_path / "plain" / "export" / CARD_FILE).read_text())
    assert card["config"]["combo"] is False and "WITHOUT" in card["description"]
    assert card["config"]["lr_d"] == 1e-3 and card["config"]["lr"] == 2e-4 and card["config"]["clip_grad"] == 1.0


def test_gradient_clipping_is_applied(domains, tmp_path):
    """The same two steps with a tiny clip and with none end with different weights (Adam's
    moments see the clipped gradients)."""
    train_style(cfg(domains, tmp_path / "clipped", steps=2, clip_grad=1e-6))
    train_style(cfg(domains, tmp_path / "free", steps=2, clip_grad=None))
    a, b = _weights(tmp_path / "clipped" / STATE_FILE), _weights(tmp_path / "free" / STATE_FILE)
    assert any(not torch.equal(a[k], b[k]) for k in a if k.startswith("D."))


def test_style_models_are_listed_apart_from_generators(domains, tmp_path, monkeypatch):
    root = tmp_path / "checkpoints"
    train_style(cfg(domains, tmp_path / "run", steps=2))
    (root / "tiny-style").mkdir(parents=True)
    for f in (tmp_path / "run" / "export").iterdir():
        (root / "tiny-style" / f.name).write_bytes(f.read_bytes())
    monkeypatch.setenv("GAN_CORE_CHECKPOINTS", str(root))
    assert "tiny-style" in gan_core.list_checkpoints(task="style-transfer")
    assert "tiny-style" not in gan_core.list_checkpoints()
    with pytest.raises(CheckpointError, match="no style-transfer checkpoint"):
        gan_core.load(tmp_path, task="style-transfer")  # no card there
    with pytest.raises(CheckpointError, match="tiny-style is a style-transfer checkpoint, not a GAN generator"):
        gan_core.load("tiny-style", task="gan")  # not a generator of noise: the error says what it is


def test_loss_value_is_f_cosine_based():
    """content_loss is 0 when translation scales D's vectors (directions kept)."""
    v = torch.randn(5, 7)
    assert content_loss(v, 3 * v).item() == pytest.approx(0.0, abs=1e-6)
    assert content_loss(v, -v).item() == pytest.approx(2.0, abs=1e-6)
    assert F.cosine_similarity(v, v).mean().item() == pytest.approx(1.0)


def test_the_shipped_style_model_loads_and_its_card_records_the_seam_ablation():
    from gan_core.core.hub import REPO_CHECKPOINTS

    folder = REPO_CHECKPOINTS / "photo2painting-siamese"
    if not (folder / CARD_FILE).is_file():
        pytest.skip("photo2painting-siamese is not in this checkout")
    painter = gan_core.load("photo2painting-siamese")
    seams = painter.card["metrics"]["seams"]
    assert painter.card["config"]["combo"] is True and seams["without_combo"]["combo"] is False
    assert seams["seam_score"] < seams["without_combo"]["seam_score"]  # what the combo is for
    img = Image.fromarray(_picture(7, (2 * painter.tile, painter.tile)))
    out = painter(img, working_size=None)
    assert np.array_equal(np.asarray(out), _tiles_by_hand(painter.generator, img, painter.tile))
    assert _differ(out, img).mean() > 5  # it paints
