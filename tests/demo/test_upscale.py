"""The Upscale tab's handlers, called as plain functions (no server, no browser)."""
from __future__ import annotations

import json

import gradio as gr
import numpy as np
import pytest
import torch
from PIL import Image

from demo import upscale as tab
from demo.examples import upscale_examples
from gan_core.core.checkpoints import CARD_FILE, GENERATOR_FILE, save_weights, write_json
from gan_core.models.srgan import SRResNet
from gan_core.evaluation.sr_metrics import bicubic_downscale, crop_to_multiple, psnr_y, ssim_y
from gan_core.pipelines.tiles import bicubic_upscale
import gan_core

from ..helpers import only_checkpoints_in, unreadable_uploads, write_upload

TINY_SR = "tiny-srresnet-x4"


@pytest.fixture
def sr_checkpoint(tmp_path, monkeypatch):
    """One SR checkpoint: a 2-block SRResNet with seeded random weights."""
    root = tmp_path / "checkpoints"
    torch.manual_seed(0)
    save_weights(root / TINY_SR / GENERATOR_FILE, SRResNet(4, blocks=2, channels=16))
    write_json(root / TINY_SR / CARD_FILE, {
        "name": TINY_SR, "task": "super-resolution", "model": "srresnet", "scale": 4,
        "description": "an untrained SRResNet for tests", "config": {"blocks": 2, "channels": 16, "batch_size": 4},
        "loss": {"content": "pixel", "adversarial_weight": 0.0},
        "training": {"steps": 0, "wall_time_s": 0.0, "hardware": "none"},
        "metrics": {"evaluation": {"sets": {"Set5": {"psnr": 20.0, "ssim": 0.5, "bicubic_psnr": 28.43,
                                                     "bicubic_ssim": 0.81}}}},
        "files": {"generator": GENERATOR_FILE},
    })
    return only_checkpoints_in(root, monkeypatch)


def photo(path, size=(40, 30), mode="RGB"):
    rng = np.random.default_rng(0)
    arr = rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    arr[:, : size[0] // 2] = (200, 120, 40)
    img = Image.fromarray(arr)
    if mode != "RGB":
        img = img.convert(mode)
    img.save(path)
    return str(path)


def test_bicubic_works_without_any_checkpoint(no_checkpoints, tmp_path):
    assert tab.model_choices() == ["bicubic"]
    pair, gallery, scores, download = tab.upscale_files(photo(tmp_path / "p.png"), "bicubic")
    left, right = (Image.open(p) for p in pair)
    assert left.size == right.size == (160, 120)
    out = Image.open(download)
    assert out.format == "PNG" and out.size == (160, 120)
    assert download.endswith("p-x4-bicubic.png")
    assert [caption for _, caption in gallery] == ["input (each pixel a block)", "bicubic"]
    assert Image.open(gallery[0][0]).size == (tab.CROP_HR * tab.ZOOM,) * 2
    assert scores == ""
    assert "bicubic" in tab.model_summary("bicubic")


def test_the_tab_builds_and_says_when_no_model_is_shipped(no_checkpoints):
    with gr.Blocks() as app:
        tab.build_upscale_tab()
    assert "upscale" in {dep.get("api_name") for dep in app.config["dependencies"]}
    assert any(getattr(c, "elem_id", None) == "no-sr-models" for c in app.blocks.values())
    assert len(upscale_examples()) == 3 and all(Image.open(p).size[0] >= 64 for p in upscale_examples())


def test_a_model_output_is_four_times_the_input(sr_checkpoint, tmp_path):
    assert tab.model_choices() == [TINY_SR, "bicubic"]
    pair, gallery, _, download = tab.upscale_files(photo(tmp_path / "p.png", (37, 23)), TINY_SR)
    assert Image.open(download).size == (148, 92)
    assert Image.open(pair[1]).size == Image.open(pair[0]).size == (148, 92)
    assert [caption for _, caption in gallery] == ["input (each pixel a block)", "bicubic", TINY_SR]
    summary = tab.model_summary(TINY_SR)
    assert "pixel content loss" in summary and "Set5" in summary and "x pixel MSE" not in summary


def test_the_summary_names_every_loss_term_of_an_srgan(sr_checkpoint):
    card_path = sr_checkpoint / TINY_SR / CARD_FILE
    card = json.loads(card_path.read_text())
    card["loss"] = {"content": "discriminator features", "adversarial_weight": 1e-3, "pixel_weight": 10.0}
    write_json(card_path, card)
    summary = tab.model_summary(TINY_SR)
    assert "discriminator features content loss + 10 x pixel MSE + 0.001 x adversarial" in summary


def test_transparency_and_grayscale_are_kept(sr_checkpoint, tmp_path):
    assert Image.open(tab.upscale_files(photo(tmp_path / "a.png", mode="RGBA"), TINY_SR)[3]).mode == "RGBA"
    assert Image.open(tab.upscale_files(photo(tmp_path / "g.png", mode="L"), TINY_SR)[3]).mode == "L"


def test_downscale_and_score_returns_the_benchmark_numbers(sr_checkpoint, tmp_path):
    path = photo(tmp_path / "hr.png", (70, 58))
    result = tab.upscale_photo(path, TINY_SR, score=True)
    hr = crop_to_multiple(np.asarray(Image.open(path)), 4)
    bic = bicubic_upscale(bicubic_downscale(hr, 4), 4)
    assert result.original.size == (68, 56) and result.input.size == (17, 14)
    assert result.scores["bicubic"] == pytest.approx((psnr_y(bic, hr), ssim_y(bic, hr)))
    by_hand = gan_core.load(TINY_SR)(Image.fromarray(bicubic_downscale(hr, 4)))  # the network on the shrunk photo
    assert np.array_equal(np.asarray(result.output), np.asarray(by_hand))
    assert result.scores[TINY_SR] == pytest.approx((psnr_y(np.asarray(by_hand), hr), ssim_y(np.asarray(by_hand), hr)))
    assert result.scores[TINY_SR] != result.scores["bicubic"]
    table = tab.scores_table(result)
    assert "PSNR (dB)" in table and f"{result.scores['bicubic'][0]:.2f}" in table
    _, gallery, scores, download = tab.upscale_files(path, TINY_SR, True)
    assert gallery[-1][1] == "original" and scores == table
    assert Image.open(download).size == (68, 56)  # the shrunk photo, upscaled back


@pytest.mark.parametrize("content, message", unreadable_uploads("upscaled"))
def test_bad_files_get_a_clear_message(no_checkpoints, tmp_path, content, message):
    with pytest.raises(gr.Error, match=message):
        tab.upscale_files(write_upload(tmp_path / "bad.png", content), "bicubic")


def test_missing_input_unknown_model_and_too_small_photos_are_refused(no_checkpoints, tmp_path):
    with pytest.raises(gr.Error, match="Upload a photo first"):
        tab.upscale_files(None, "bicubic")
    with pytest.raises(gr.Error, match="Unknown model 'nope'"):
        tab.upscale_files(photo(tmp_path / "p.png"), "nope")
    with pytest.raises(gr.Error, match="Unknown model 'other'"):
        tab.upscale_files(photo(tmp_path / "p.png"), "bicubic", compare="other")
    with pytest.raises(gr.Error, match="too small to score.*Untick"):
        tab.upscale_photo(photo(tmp_path / "s.png", (16, 16)), "bicubic", score=True)
    with pytest.raises(gr.Error, match="too small"):
        tab.upscale_photo(photo(tmp_path / "t.png", (5, 5)), "bicubic")


def test_a_photo_over_the_limit_is_shrunk_to_fit_in_both_modes_or_refused_when_asked(no_checkpoints, tmp_path):
    big = photo(tmp_path / "big.png", (600, 500))
    result = tab.upscale_photo(big, "bicubic")
    assert result.input.width * result.input.height <= tab.MAX_INPUT_PIXELS
    assert result.input.size == (560, 467) and result.output.size == (2240, 1868)
    assert "was shrunk to 560x467" in result.note and "python -m gan_core upscale" in result.note
    assert tab.upscale_files(big, "bicubic")[2] == result.note  # said beside the result
    with pytest.raises(gr.Error, match=r"600x500 = 300,000 pixels; the network upscales photos of at most "
                                       r"262,144 pixels .*Tick “Shrink a larger photo to fit”"):
        tab.upscale_files(big, "bicubic", shrink=False)
    # To score, the photo is the ground truth: shrunk x4 first, so 16 times as large fits whole.
    scored = tab.upscale_photo(big, "bicubic", score=True)
    assert scored.note == "" and scored.original.size == (600, 500)
    huge = photo(tmp_path / "huge.png", (2400, 2000))
    scored = tab.upscale_photo(huge, "bicubic", score=True)
    assert "shrunk to 2243x1869" in scored.note
    assert scored.original.size == (2240, 1868) and scored.input.size == (560, 467)  # cropped to a multiple of 4
    assert "shrunk" in tab.upscale_files(huge, "bicubic", True)[2]


def test_the_slider_compares_any_two_methods(sr_checkpoint, tmp_path):
    path = photo(tmp_path / "p.png", (37, 23))
    result = tab.upscale_photo(path, TINY_SR, compare="bicubic")
    assert np.array_equal(np.asarray(result.compared), np.asarray(result.bicubic))
    # A model against itself: the left side is the input, each pixel a block.
    pair, gallery, _, _ = tab.upscale_files(path, TINY_SR, compare=TINY_SR)
    left = np.asarray(Image.open(pair[0]))
    assert left.shape == (92, 148, 3) and np.array_equal(left[::4, ::4], np.asarray(Image.open(path).convert("RGB")))
    # bicubic on the right, the model on the left; in score mode both are scored.
    pair, gallery, scores, _ = tab.upscale_files(photo(tmp_path / "q.png", (48, 40)), "bicubic", True, compare=TINY_SR)
    assert [c for _, c in gallery] == ["input (each pixel a block)", "bicubic", TINY_SR, "original"]
    assert f"| {TINY_SR} |" in scores and "| bicubic |" in scores
    assert tab.slider_label(TINY_SR, "bicubic") == f"Left: bicubic · right: {TINY_SR} (drag to compare)"
    assert tab.slider_label(TINY_SR, TINY_SR).startswith("Left: the input")


def test_the_zoomed_crops_land_on_the_photos_most_detailed_region(no_checkpoints, tmp_path):
    """A flat photo with one textured patch off centre: the crops show the patch, not the flat middle."""
    arr = np.full((120, 160, 3), 128, np.uint8)
    arr[10:40, 110:150] = np.random.default_rng(0).integers(0, 256, (30, 40, 3), dtype=np.uint8)
    Image.fromarray(arr).save(tmp_path / "patch.png")
    _, gallery, _, _ = tab.upscale_files(str(tmp_path / "patch.png"), "bicubic")
    zoomed_input = np.asarray(Image.open(gallery[0][0]).convert("L"), np.float32)
    assert zoomed_input.std() > 30  # texture, where the centre crop would have been flat grey


@pytest.mark.browser  # starts the app: seconds, not milliseconds
def test_the_upscale_endpoint_through_the_api(sr_checkpoint, tmp_path):
    gradio_client = pytest.importorskip("gradio_client")
    from tools.browser import AppDidNotStart, running_app

    try:
        with running_app(tmp_path / "app.log", {"GAN_CORE_CHECKPOINTS": str(sr_checkpoint)}) as url:
            client = gradio_client.Client(url, verbose=False)
            pair, gallery, scores, download = client.predict(
                gradio_client.handle_file(photo(tmp_path / "p.png", (40, 36))), TINY_SR, True, api_name="/upscale")
            with pytest.raises(gradio_client.exceptions.AppError, match="not a readable image"):
                (tmp_path / "bad.png").write_bytes(b"not a picture")
                client.predict(gradio_client.handle_file(str(tmp_path / "bad.png")), TINY_SR, False,
                               api_name="/upscale")
    except AppDidNotStart as exc:
        pytest.fail(str(exc))
    assert Image.open(pair[0]).size == Image.open(pair[1]).size == Image.open(download).size == (40, 36)
    assert len(gallery) == 4 and "PSNR" in scores


def test_the_tab_opens_on_the_photo_psnr_model_among_several(sr_checkpoint, monkeypatch):
    import shutil

    import gan_core.core.hub

    # Three shipped upscalers (copies of the tiny one): the default, the photo PSNR model, comes first.
    for name in ("faces-litesrgan-x4", "photo-litesr-x4", "photo-litesrgan-x4"):
        shutil.copytree(sr_checkpoint / TINY_SR, sr_checkpoint / name)
    shutil.rmtree(sr_checkpoint / TINY_SR)
    monkeypatch.setattr(gan_core.core.hub, "REPO_CHECKPOINTS", sr_checkpoint)
    monkeypatch.delenv("GAN_CORE_CHECKPOINTS")
    with gr.Blocks() as app:
        tab.build_upscale_tab()
    dropdown = next(b for b in app.blocks.values() if getattr(b, "elem_id", None) == "upscale-model")
    assert dropdown.value == "photo-litesr-x4"
    assert [c[0] for c in dropdown.choices][-1] == tab.BICUBIC
