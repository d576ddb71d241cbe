"""Super-resolution benchmarks: the bicubic baseline on Set5 (when ../shared/data/sr is present)
and scoring one photo the way the benchmarks do."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from gan_core.evaluation.sr_benchmarks import MIN_SCORE_SIDE, evaluate, score_photo
from gan_core.evaluation.sr_metrics import bicubic_downscale, crop_to_multiple, psnr_y, ssim_y
from gan_core.pipelines.tiles import bicubic_upscale

from ..helpers import SHARED_DATA

SET5 = SHARED_DATA / "sr" / "CSet5"


@pytest.mark.skipif(not SET5.is_dir(), reason="../shared/data/sr/CSet5 is absent")
def test_bicubic_on_set5_is_the_known_figure():
    result = evaluate([], ["Set5"], data_root=SHARED_DATA / "sr")
    assert result["bicubic"]["Set5"]["images"] == 5
    assert result["bicubic"]["Set5"]["psnr"] == pytest.approx(28.43, abs=0.01)


@pytest.mark.skipif(not SET5.is_dir(), reason="../shared/data/sr/CSet5 is absent")
def test_set5_bicubic_x4_baseline():
    # Standard protocol: crop HR to a multiple of 4, shrink and enlarge by bicubic,
    # Y channel, 4-pixel border. PIL's bicubic lands on the published 28.43 dB.
    files = sorted(SET5.glob("*.png"))
    assert len(files) == 5
    psnrs, ssims = [], []
    for f in files:
        with Image.open(f) as im:
            hr = crop_to_multiple(im.convert("RGB"), 4)
        sr = bicubic_upscale(bicubic_downscale(hr, 4), 4)
        psnrs.append(psnr_y(sr, hr, border=4))
        ssims.append(ssim_y(sr, hr, border=4))
    assert np.mean(psnrs) == pytest.approx(28.43, abs=0.3)  # measured: 28.43
    assert np.mean(ssims) == pytest.approx(0.8104, abs=0.01)  # literature 0.8104 (MATLAB); measured 0.8111


def test_score_photo_shrinks_upscales_back_and_scores_as_the_benchmarks_do():
    rng = np.random.default_rng(0)
    hr_full = (np.linspace(0, 255, 70)[None, :, None] * 0.7 + rng.integers(0, 70, (58, 70, 3))).astype(np.uint8)
    hr = crop_to_multiple(hr_full, 4)
    lr = bicubic_downscale(hr, 4)
    seen = []

    def nearest(image, **kwargs):  # an "upscaler" whose result is known exactly
        seen.append((image.size, kwargs))
        return image.resize((image.width * 4, image.height * 4), Image.Resampling.NEAREST)

    scored = score_photo(nearest, Image.fromarray(hr_full).convert("RGBA"), tile=99)
    assert seen == [((17, 14), {"tile": 99})] and np.array_equal(np.asarray(scored.input), lr)
    assert np.array_equal(np.asarray(scored.original), hr)
    near = np.repeat(np.repeat(lr, 4, 0), 4, 1)
    bicubic = bicubic_upscale(lr, 4)
    assert np.array_equal(np.asarray(scored.output), near) and np.array_equal(np.asarray(scored.bicubic), bicubic)
    assert scored.score == (psnr_y(near, hr, border=4), ssim_y(near, hr, border=4))
    assert scored.bicubic_score == (psnr_y(bicubic, hr, border=4), ssim_y(bicubic, hr, border=4))
    assert scored.bicubic_score[0] > scored.score[0]  # bicubic beats nearest on a smooth photo
    alone = score_photo(None, Image.fromarray(hr_full))
    assert alone.output is alone.bicubic and alone.score == alone.bicubic_score == scored.bicubic_score
    with pytest.raises(ValueError, match=f"at least {MIN_SCORE_SIDE} pixels"):
        score_photo(None, Image.new("RGB", (MIN_SCORE_SIDE - 1, 100)))


def test_evaluate_sr_names_each_bad_file_goes_on_with_the_rest_and_exits_2(tmp_path, capsys):
    from gan_core.cli import main

    bench = tmp_path / "bench"
    bench.mkdir()
    for i in range(2):
        Image.fromarray(np.random.default_rng(i).integers(0, 255, (48, 52, 3), np.uint8)).save(bench / f"ok{i}.png")
    (bench / "broken.png").write_bytes(b"not a picture at all")
    Image.new("RGB", (12, 12)).save(bench / "tiny.png")  # readable, too small to score
    result = evaluate([], [str(bench)])
    assert result["sets"][str(bench)]["images"] == 2
    assert sorted(result["bicubic"][str(bench)]["per_image"]) == ["ok0.png", "ok1.png"]
    failed = result["failed"][str(bench)]
    assert [f.split(":")[0] for f in failed] == ["broken.png", "tiny.png"]
    assert "not a readable image" in failed[0] and "too small to score" in failed[1]
    assert main(["evaluate-sr", "--sets", str(bench)]) == 2
    captured = capsys.readouterr()
    assert f"{str(bench)} (2)" in captured.out  # the table of the two good files
    assert "error: 2 file(s) could not be scored" in captured.err and "broken.png" in captured.err
    assert "Traceback" not in captured.err
