"""The `attributes` command: train a classifier, find directions, render them."""

import json

import pytest
import torch

from gan_core.core.checkpoints import CARD_FILE
from gan_core.explore.attributes import DEFAULT_NORM, load_directions
from gan_core.cli import main

from ..helpers import REPO, TINY_CHECKPOINT


def test_cli_train_directions_and_render(tmp_path, tiny_checkpoint_dir, capsys, monkeypatch):
    from ..helpers import make_folder

    monkeypatch.setenv("GAN_CORE_CACHE", str(tmp_path / "cache"))

    make_folder(tmp_path / "imgs", 4)
    # plain images carry no labels: a clear error, exit code 2
    assert main(["attributes", "train", "--data", str(tmp_path / "imgs"), "--out", str(tmp_path / "c")]) == 2
    assert "no label" in capsys.readouterr().err
    assert main(["attributes", "train", "--data", str(tmp_path / "missing"), "--dry-run"]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["attributes", "train", "--data", str(tmp_path / "imgs"), "--epochs", "0", "--dry-run"]) == 2

    # UTKFace-style names give age and gender labels
    from PIL import Image
    utk = tmp_path / "utk"
    utk.mkdir()
    g = torch.Generator().manual_seed(0)
    for i in range(40):
        shade = 40 if i % 2 else 200
        arr = (torch.rand(24, 24, 3, generator=g) * 40 + shade).clamp(0, 255).byte().numpy()
        Image.fromarray(arr).save(utk / f"{20 + i}_{i % 2}_0_2017010{i:04d}.jpg.chip.jpg")
    out = tmp_path / "clf"
    assert main(["attributes", "train", "--data", str(utk), "--size", "16", "--min-count", "5", "--epochs", "2",
                            "--batch-size", "8", "--width", "8", "--dry-run"]) == 0
    assert not out.exists()
    args = ["train", "--data", str(utk), "--size", "16", "--min-count", "5", "--epochs", "2", "--batch-size", "8",
            "--width", "8", "--out", str(out)]
    assert main(["attributes", *args]) == 0
    card = json.loads((out / CARD_FILE).read_text())
    assert card["task"] == "attribute-classification"
    assert card["attributes"] == ["age", "gender"] and card["data"]["labels"]["gender"]["positive"] == 20
    assert card["training"]["command"].startswith("python -m gan_core attributes train")
    assert "auc" in card["metrics"]["validation"]["gender"] and card["training"]["hardware"]
    assert main(["attributes", *args]) == 2  # does not overwrite silently
    assert "--overwrite" in capsys.readouterr().err

    gen = ["--generator", TINY_CHECKPOINT, "--classifier", str(out)]
    assert main(["attributes", "directions", *gen, "--attributes", "Smiling"]) == 2
    assert "no attribute 'Smiling'" in capsys.readouterr().err
    assert main(["attributes", "directions", *gen, "--samples", "-3"]) == 2
    assert main(["attributes", "directions", *gen, "--attributes", "age", "gender", "--dry-run"]) == 0
    assert load_directions(TINY_CHECKPOINT) == {}
    assert main(["attributes", "directions", *gen, "--attributes", "age", "gender", "--samples", "100",
                            "--check-samples", "20"]) == 0
    dirs = load_directions(TINY_CHECKPOINT)
    assert sorted(dirs) == ["age", "gender"] and dirs["age"].direction.shape == (100,)
    info = json.loads((tiny_checkpoint_dir / TINY_CHECKPOINT / "directions" / "directions.json").read_text())
    assert info["norm"] == DEFAULT_NORM and "command" in info and info["directions"]["gender"]["samples"] == 100
    assert 0 <= info["directions"]["gender"]["consistency"] <= 1

    png = tmp_path / "rows.png"
    assert main(["attributes", "render", "--generator", TINY_CHECKPOINT, "--attributes", "age", "--seeds", "1", "2",
                            "-o", str(png)]) == 0
    assert png.is_file()
    assert main(["attributes", "render", "--generator", TINY_CHECKPOINT, "--attributes", "Bald", "-o", str(png)]) == 2


def test_cli_turn_fits_checks_writes_and_renders(tmp_path, tiny_checkpoint_dir, capsys):
    from gan_core.explore.pose import TURN_LENGTH, load_turn

    gen = ["--generator", TINY_CHECKPOINT]
    assert main(["attributes", "turn", *gen, "--dry-run"]) == 0
    assert "dry run ok: nothing written" in capsys.readouterr().out and load_turn(TINY_CHECKPOINT) is None
    assert main(["attributes", "turn", *gen, "--samples", "0"]) == 2
    assert main(["attributes", "turn", *gen, "--samples", "120", "--seeds", "4", "--randoms", "2"]) == 0
    out = capsys.readouterr().out
    assert "| turn (mirror_pose, fitted on 120 faces) |" in out and "2 random directions, same length" in out
    direction, info = load_turn(TINY_CHECKPOINT)
    assert direction.norm().item() == pytest.approx(TURN_LENGTH * 10, rel=1e-4)  # nz = 100
    assert info["samples"] == 120 and info["check"]["seeds"] == "0-3" and len(info["check"]["random_turned"]) == 2
    assert "attributes turn" in info["command"]
    png = tmp_path / "turn.png"
    assert main(["attributes", "render", *gen, "--attributes", "turn", "--seeds", "1", "-o", str(png)]) == 0
    assert png.is_file()


def test_cli_runs_as_a_module_with_a_clean_error():
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "gan_core", "attributes", "directions", "--generator", "nope",
                        "--classifier", "nope"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and r.stderr.startswith("error:") and "Traceback" not in r.stderr
