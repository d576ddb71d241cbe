"""The `evaluate-sr` command: the table, with bicubic measured the way the benchmarks do."""
from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from gan_core.cli import main
from gan_core.core.checkpoints import CARD_FILE
from gan_core.evaluation.sr_metrics import bicubic_downscale, crop_to_multiple, psnr_y, ssim_y
from gan_core.pipelines.tiles import bicubic_upscale
from gan_core.training.sr import train_sr

from ..helpers import edged_picture, sr_config


def test_evaluate_sr_prints_the_table_with_the_bicubic_convention(sr_photos, tmp_path, capsys):
    train_sr(sr_config(sr_photos, tmp_path / "run", steps=1, name="tiny-sr"))
    bench = tmp_path / "bench"
    bench.mkdir()
    hrs = [edged_picture(20 + i, (70, 61)) for i in range(2)]  # not multiples of 4: cropped first
    for i, hr in enumerate(hrs):
        Image.fromarray(hr).save(bench / f"b{i}.png")
    out_json = tmp_path / "eval.json"
    assert main(["evaluate-sr", str(tmp_path / "run"), "--sets", str(bench), "--json", str(out_json),
                 "--write-card"]) == 0
    table = capsys.readouterr().out
    expected = []
    for hr in hrs:
        hr = crop_to_multiple(hr, 4)
        sr = bicubic_upscale(bicubic_downscale(hr, 4), 4)
        expected.append((psnr_y(sr, hr, border=4), ssim_y(sr, hr, border=4)))
    psnr, ssim = np.mean(expected, 0)
    result = json.loads(out_json.read_text())
    assert result["bicubic"][str(bench)]["psnr"] == pytest.approx(psnr, abs=1e-9)
    assert result["bicubic"][str(bench)]["ssim"] == pytest.approx(ssim, abs=1e-9)
    assert f"{psnr:.2f} / {ssim:.4f}" in table and "tiny-sr" in table and "SRResNet (paper)" in table
    card = json.loads((tmp_path / "run" / "export" / CARD_FILE).read_text())
    assert card["metrics"]["evaluation"]["sets"][str(bench)]["bicubic_psnr"] == pytest.approx(psnr, abs=1e-3)
