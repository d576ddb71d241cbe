"""`python -m gan_core upscale`: files, folders and globs; bad files reported while the rest go on."""
from __future__ import annotations

import numpy as np
import torch
from PIL import Image

from gan_core.cli import main
from gan_core.core.checkpoints import CARD_FILE, GENERATOR_FILE, save_weights, write_json
from gan_core.models.srgan import LiteSR
from gan_core.pipelines.tiles import bicubic_upscale

from ..helpers import edged_picture


def tiny_upscaler(folder):
    """A LiteSR with a seeded random residual: not bicubic, not bilinear."""
    torch.manual_seed(0)
    net = LiteSR(4, blocks=1, channels=8)
    torch.nn.init.normal_(net.tail[0].weight, std=0.05)
    save_weights(folder / GENERATOR_FILE, net)
    write_json(folder / CARD_FILE, {"name": "tiny-litesr-x4", "task": "super-resolution", "model": "litesr",
                                    "scale": 4, "config": {"blocks": 1, "channels": 8},
                                    "files": {"generator": GENERATOR_FILE}})
    return folder


def photos(folder):
    (folder / "nested").mkdir(parents=True)
    Image.fromarray(edged_picture(0, (24, 16))).save(folder / "a.png")
    Image.fromarray(edged_picture(1, (20, 20))).save(folder / "nested" / "a.jpg")  # the same stem elsewhere
    Image.new("LA", (12, 10), (90, 128)).save(folder / "grey.png")
    (folder / "broken.png").write_bytes(b"not a picture")
    (folder / "notes.txt").write_text("not an image: not looked at")
    return folder


def test_a_folder_is_upscaled_whole_and_a_bad_file_fails_alone(tmp_path, capsys):
    model, src, out = tiny_upscaler(tmp_path / "model"), photos(tmp_path / "in"), tmp_path / "out"
    code = main(["upscale", str(src), "--model", str(model), "--out", str(out), "--quiet"])
    assert code == 1  # one file failed
    captured = capsys.readouterr()
    assert "broken.png" in captured.err and "3 upscaled" in captured.out and "1 failed" in captured.out
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.png")) == \
        ["a-x4.png", "grey-x4.png", "nested/a-x4.png"]
    a = Image.open(out / "a-x4.png")
    assert a.size == (96, 64) and a.mode == "RGB"
    grey = Image.open(out / "grey-x4.png")
    assert grey.mode == "LA" and grey.size == (48, 40)  # grey and its transparency kept, as the tab keeps them
    # The network's result, not bicubic's.
    bicubic = np.asarray(bicubic_upscale(Image.open(src / "a.png")), np.int16)
    assert np.abs(np.asarray(a, np.int16) - bicubic).mean() > 1
    assert not list(out.rglob(".*.tmp"))


def test_results_are_not_overwritten_unless_asked_and_globs_and_bicubic_work(tmp_path, capsys):
    src, out = photos(tmp_path / "in"), tmp_path / "out"
    args = ["upscale", str(src / "*.png"), "--model", "bicubic", "--out", str(out), "--quiet"]
    assert main(args) == 1  # broken.png matches the glob and fails
    first = (out / "a-x4.png").stat().st_mtime_ns
    assert np.array_equal(np.asarray(Image.open(out / "a-x4.png")), np.asarray(bicubic_upscale(src / "a.png")))
    capsys.readouterr()
    assert main(["upscale", str(src / "a.png"), "--model", "bicubic", "--out", str(out), "--quiet"]) == 0
    assert "1 skipped" in capsys.readouterr().out and (out / "a-x4.png").stat().st_mtime_ns == first
    assert main(["upscale", str(src / "a.png"), "--model", "bicubic", "--out", str(out), "--overwrite",
                 "--quiet"]) == 0


def test_what_names_nothing_fails_and_a_bad_model_or_setting_is_refused(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["upscale", str(tmp_path / "missing*.jpg"), "--model", "bicubic", "--out", str(out)]) == 1
    assert "no such file, folder or matching files" in capsys.readouterr().err
    assert main(["upscale", str(tmp_path), "--model", "no-such-model", "--out", str(out)]) == 2
    assert main(["upscale", str(tmp_path), "--model", "bicubic", "--tile", "4", "--out", str(out)]) == 2
    assert "--tile" in capsys.readouterr().err
    assert not out.exists()  # nothing written by a refused command
